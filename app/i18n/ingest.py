"""The reader's and mapper's notes, refusals and progress on the Data page, in the interface language.

:mod:`analysis.ingest.messages` words each note, report line, refusal (:class:`analysis.errors.DataError`'s
``wording``) and reading stage as an English template with parameters; here each template is the message id
(:data:`TEMPLATES` marks them for extraction; ``tests/test_i18n_ingest.py`` keeps it equal to
:data:`analysis.ingest.messages.TEMPLATES`), filled by :func:`app.i18n.report.word`. An error without a template
is looked up as a message id (the app's own refusals), else shown as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

from analysis.errors import DataError
from analysis.messages import Message
from app.i18n import N_, Lang, tr
from app.i18n.report import word

TEMPLATES: tuple[str, ...] = (
    N_("{shown} and {more} more"),
    N_("{source} is an Excel workbook; it was read as one"),
    N_("read as {name}-separated: the header has no {expected}s"),
    N_("comma"),
    N_("tab"),
    N_("semicolon"),
    N_("pipe"),
    N_("the header is on line {line}; the lines above it are empty"),
    N_("the header is on row {row}; the rows above it are empty"),
    N_("the workbook has {n} sheets ({sheets}); {sheet} was read"),
    N_("{n} file column(s) not mapped and not kept: {shown}"),
    N_("{column}: dates read in {n} format(s): {forms}"),
    N_("dates like 03/04/2020 read as day/month (your choice)"),
    N_("dates like 03/04/2020 read as month/day (your choice)"),
    N_("dates like 03/04/2020 read as day/month, because of {evidence}; change the date order if that is wrong"),
    N_("dates like 03/04/2020 read as month/day, because of {evidence}; change the date order if that is wrong"),
    N_("Japanese era"),
    N_("DD/MM or MM/DD"),
    N_("Excel serial number"),
    N_("{value} in {column}"),
    N_("{dmy} is day/month but {mdy} is month/day"),
    N_("pp_start is not in the file: post-progression therapy is kept, its start date is unknown"),
    N_(
        "{columns} rebuilt from the stored endpoints (months x 30.4375 days from first_line_start, rounded "
        "to days); the endpoints recomputed from them are checked against the file's"
    ),
    N_(
        "column {name} appears more than once; the repeat (column {position}) is read as {new_name}: check "
        "that the mapping uses the right one"
    ),
    N_(
        "the row has {n} fields but the header has {width}; the cells cannot be placed (a delimiter or "
        "quote inside a value?), so the row is excluded"
    ),
    N_("the row has {n} fields but the header has {width}; the missing cells are empty"),
    N_("the row has {n} fields but the header has {width}; the missing cells are empty (the file may be truncated)"),
    N_("{column}: the cell is a spreadsheet formula ({formula}); it is read as text, and exports neutralise it"),
    N_("{column}: the cell holds a formula ({formula}); its last computed value is used"),
    N_(
        "{column}: the cell holds a formula ({formula}) with no saved value (the workbook was not "
        "recalculated), so the cell is read as empty"
    ),
    N_("the mapping uses column {source} for {canonical}, but the file has no such column"),
    N_("column {source} is mapped to both {first} and {second}"),
    N_("dates disagree on the day/month order: {conflict}; choose the order (the report below assumes day/month)"),
    N_(
        "{n} date(s) like 03/04/2020 could be day/month or month/day and no date in the file settles it; "
        "choose the order (the report below assumes day/month)"
    ),
    N_(
        "the file has os_months and os_event but no first_line_start: time zero is needed as a date "
        "(calendar checks, the year filter and time-varying analyses use it); add the start date column"
    ),
    N_("repeated column"),
    N_("ragged row"),
    N_("short row"),
    N_("formula cell"),
    N_("mapped column not in file"),
    N_("column mapped twice"),
    N_("date order unclear"),
    N_("missing required column"),
    N_("file {source} is empty"),
    N_("file {source} has a header but no data rows"),
    N_("sheet {sheet} of {source} has a header but no data rows"),
    N_("sheet {sheet} of {source} is empty"),
    N_("file {source} has a single column ({name}); columns must be separated by commas, tabs or semicolons"),
    N_("file {source} could not be read as a table: {detail}"),
    N_("file {source} is an old Excel (.xls) or other Office binary file; save it as .xlsx or CSV UTF-8"),
    N_("file {source} is {what}, not a table; upload a CSV, TSV or XLSX file"),
    N_("a PDF document"),
    N_("a PNG image"),
    N_("a JPEG image"),
    N_("a GIF image"),
    N_("a gzip archive"),
    N_("file {source} is a binary file, not a text table; upload a CSV, TSV or XLSX file"),
    N_(
        "file {source} has a NUL byte (0x00) at byte offset {offset} (line {line}), which a text table "
        "does not contain: the file may be damaged or partly binary; remove that byte, or if the file is "
        "UTF-16, choose UTF-16 as its encoding"
    ),
    N_("unknown encoding {encoding}; choose one of: {choices}"),
    N_(
        "file {source} cannot be read as {encoding}: byte {byte} on line {line} is not valid in that "
        "encoding; choose another encoding or 'detect'"
    ),
    N_("file {source} starts like UTF-16 text but cannot be read as it"),
    N_(
        "file {source} cannot be read: the file mixes encodings: line(s) {utf8_lines} are UTF-8 but "
        "line(s) {other_lines} are not (probably Shift_JIS); save the whole file again as CSV UTF-8"
    ),
    N_(
        "file {source} is not UTF-8 or Shift_JIS (CP932) text: line {line} has bytes that neither can "
        "read; save it as CSV UTF-8, or choose its encoding"
    ),
    N_("file {source} is not a readable Excel workbook (.xlsx): {kind}"),
    N_("file {source} is not a readable Excel workbook (.xlsx): it has no sheets"),
    N_("workbook {source} has no sheet {sheet}; its sheets: {sheets}"),
    N_('this is not a ppx mapping file (it needs "format": "ppx-mapping")'),
    N_("mapping version {version} is not supported (expected {expected})"),
    N_("the mapping names columns that are not canonical: {columns}"),
    N_('the mapping\'s "values" must be an object'),
    N_("the mapping has values for columns that are not canonical: {columns}"),
    N_("date_order must be one of {choices}, not {order}"),
    N_("unknown encoding {encoding} in the mapping; one of: {choices}"),
    N_("the mapping file is not valid JSON: {detail}"),
    N_("the mapping's {where} must be an object of names"),
    N_("the mapping's {where} must be text"),
    N_("{what}; {hint}"),
    N_("file {source} has more than {limit} data rows, the upload limit"),
    N_("file {source} has {n} columns, more than the limit of {limit}"),
    N_("file {source}: {where} holds {length} characters, more than the limit of {limit} for one cell"),
    N_("line {line}"),
    N_("the header's column {position}"),
    N_("row {row}, column {column}"),
    N_("workbook {source} decompresses to {total} MB, more than the limit of {limit} MB"),
    N_(
        "workbook {source} is {size} MB but decompresses to {total} MB ({ratio} times), more than the "
        "limit of {limit} times"
    ),
    N_("reading {source} took longer than the {budget} s budget (while {stage})"),
    N_("split the file, or raise the limit (ppx validate --max-rows N; on the server PPX_MAX_UPLOAD_ROWS)"),
    N_(
        "remove the columns you do not need, or raise the limit (ppx validate --max-columns N; on the "
        "server PPX_MAX_UPLOAD_COLUMNS)"
    ),
    N_("shorten the cell, or raise the limit (ppx validate --max-cell-chars N; on the server PPX_MAX_CELL_CHARS)"),
    N_("save the sheet as CSV UTF-8, or raise the limit (ppx validate --max-xlsx-mb N; on the server PPX_MAX_XLSX_MB)"),
    N_(
        "save the sheet as CSV UTF-8, or raise the limit (ppx validate --max-xlsx-ratio N; on the server "
        "PPX_MAX_XLSX_RATIO)"
    ),
    N_(
        "save it as CSV UTF-8 or split it, or raise the budget (ppx validate --time-budget S; on the "
        "server PPX_READ_BUDGET_S)"
    ),
    N_("decoding the text"),
    N_("file read"),
    N_("opening the workbook"),
    N_("reading sheet {sheet}"),
    N_("looking for formula cells"),
    N_("reading rows ({n} read)"),
    N_("reading rows ({n} so far)"),
)
"""Every template of :data:`analysis.ingest.messages.TEMPLATES`, as literal strings pybabel extracts."""

LABELS: tuple[str, ...] = (
    N_("UTF-8 with BOM"),
    N_("not needed: age at first-line start is used"),
    N_("looks like patient names: not needed, and not stored"),
)
"""Texts the reader passes as data that are shown as labels: an encoding's name, why a column was dropped
(:data:`analysis.ingest.NOT_NEEDED_COLUMNS`)."""


def notes(lang: Lang, messages: Sequence[Message]) -> list[str]:
    """The reader's and mapper's notes in ``lang``."""
    return [word(lang, m) for m in messages]


def error_text(lang: Lang, error: DataError) -> str:
    """A refusal in ``lang``: its template worded, else its text looked up as a message id."""
    return word(lang, error.wording) if error.wording is not None else tr(lang, str(error))
