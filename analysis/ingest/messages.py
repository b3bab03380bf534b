"""The reader's and mapper's notes, issues and refusals as templates (:class:`analysis.messages.Message`).

Each constant is the English wording with named placeholders; the English text (what ``ppx validate`` prints and
the tests pin) is the template filled with its parameters, so nothing changes in English. The web app looks each
template up as a message id (``app/i18n/ingest.py`` lists them for extraction; a test keeps the two lists equal).
Parameters are already formatted as the English text shows them (a file name quoted, ``12,000``); a parameter
that is itself a :class:`~analysis.messages.Message` (a list with "and 3 more", the reader's stage) is worded in
turn.
"""

from __future__ import annotations

# --- lists ------------------------------------------------------------------------------------------------------
AND_MORE = "{shown} and {more} more"

# --- notes (how the file was read and mapped) -------------------------------------------------------------------
NOTE_READ_AS_WORKBOOK = "{source} is an Excel workbook; it was read as one"
NOTE_DELIMITER = "read as {name}-separated: the header has no {expected}s"
DELIMITER_WORDS: tuple[str, ...] = ("comma", "tab", "semicolon", "pipe")
NOTE_HEADER_LINE = "the header is on line {line}; the lines above it are empty"
NOTE_HEADER_ROW = "the header is on row {row}; the rows above it are empty"
NOTE_SHEETS = "the workbook has {n} sheets ({sheets}); {sheet} was read"
NOTE_UNMAPPED = "{n} file column(s) not mapped and not kept: {shown}"
NOTE_DATE_FORMATS = "{column}: dates read in {n} format(s): {forms}"
NOTE_DATE_ORDER_CHOSEN_DMY = "dates like 03/04/2020 read as day/month (your choice)"
NOTE_DATE_ORDER_CHOSEN_MDY = "dates like 03/04/2020 read as month/day (your choice)"
NOTE_DATE_ORDER_DMY = (
    "dates like 03/04/2020 read as day/month, because of {evidence}; change the date order if that is wrong"
)
NOTE_DATE_ORDER_MDY = (
    "dates like 03/04/2020 read as month/day, because of {evidence}; change the date order if that is wrong"
)
DATE_FORMS: tuple[str, ...] = ("Japanese era", "DD/MM or MM/DD", "Excel serial number")
"""The date formats named in words (the others are written as patterns: YYYY/MM/DD)."""
DATE_EVIDENCE = "{value} in {column}"
DATE_CONFLICT = "{dmy} is day/month but {mdy} is month/day"
NOTE_NO_PP_START = "pp_start is not in the file: post-progression therapy is kept, its start date is unknown"
NOTE_REBUILT = (
    "{columns} rebuilt from the stored endpoints (months x 30.4375 days from first_line_start, rounded to days); the "
    "endpoints recomputed from them are checked against the file's"
)

# --- issues (report lines) and their reasons --------------------------------------------------------------------
REPEATED_HEADER = (
    "column {name} appears more than once; the repeat (column {position}) is read as {new_name}: check that the "
    "mapping uses the right one"
)
RAGGED_ROW = (
    "the row has {n} fields but the header has {width}; the cells cannot be placed (a delimiter or quote inside a "
    "value?), so the row is excluded"
)
SHORT_ROW = "the row has {n} fields but the header has {width}; the missing cells are empty"
SHORT_ROW_TRUNCATED = (
    "the row has {n} fields but the header has {width}; the missing cells are empty (the file may be truncated)"
)
FORMULA_TEXT = "{column}: the cell is a spreadsheet formula ({formula}); it is read as text, and exports neutralise it"
FORMULA_VALUE = "{column}: the cell holds a formula ({formula}); its last computed value is used"
FORMULA_NO_VALUE = (
    "{column}: the cell holds a formula ({formula}) with no saved value (the workbook was not recalculated), so the "
    "cell is read as empty"
)
MAPPED_NOT_IN_FILE = "the mapping uses column {source} for {canonical}, but the file has no such column"
MAPPED_TWICE = "column {source} is mapped to both {first} and {second}"
DATE_ORDER_CONFLICT = (
    "dates disagree on the day/month order: {conflict}; choose the order (the report below assumes day/month)"
)
DATE_ORDER_AMBIGUOUS = (
    "{n} date(s) like 03/04/2020 could be day/month or month/day and no date in the file settles it; choose the "
    "order (the report below assumes day/month)"
)
NO_START_FOR_MONTHS = (
    "the file has os_months and os_event but no first_line_start: time zero is needed as a date (calendar checks, "
    "the year filter and time-varying analyses use it); add the start date column"
)
REASONS: tuple[str, ...] = (
    "repeated column",
    "ragged row",
    "short row",
    "formula cell",
    "mapped column not in file",
    "column mapped twice",
    "date order unclear",
    "missing required column",
)
"""The reader's and mapper's issue reasons, each a template without parameters."""

# --- refusals (DataError) ---------------------------------------------------------------------------------------
EMPTY_FILE = "file {source} is empty"
HEADER_ONLY = "file {source} has a header but no data rows"
SHEET_HEADER_ONLY = "sheet {sheet} of {source} has a header but no data rows"
SHEET_EMPTY = "sheet {sheet} of {source} is empty"
SINGLE_COLUMN = "file {source} has a single column ({name}); columns must be separated by commas, tabs or semicolons"
NOT_A_TABLE = "file {source} could not be read as a table: {detail}"
"""``detail``: the csv module's own text; ``kind``: its class (a translation names that instead)."""
OLD_EXCEL = "file {source} is an old Excel (.xls) or other Office binary file; save it as .xlsx or CSV UTF-8"
BINARY_KIND = "file {source} is {what}, not a table; upload a CSV, TSV or XLSX file"
BINARY_KINDS: tuple[str, ...] = ("a PDF document", "a PNG image", "a JPEG image", "a GIF image", "a gzip archive")
BINARY = "file {source} is a binary file, not a text table; upload a CSV, TSV or XLSX file"
NUL_BYTE = (
    "file {source} has a NUL byte (0x00) at byte offset {offset} (line {line}), which a text table does not "
    "contain: the file may be damaged or partly binary; remove that byte, or if the file is UTF-16, choose UTF-16 "
    "as its encoding"
)
UNKNOWN_ENCODING = "unknown encoding {encoding}; choose one of: {choices}"
NOT_IN_ENCODING = (
    "file {source} cannot be read as {encoding}: byte {byte} on line {line} is not valid in that encoding; choose "
    "another encoding or 'detect'"
)
BAD_UTF16 = "file {source} starts like UTF-16 text but cannot be read as it"
MIXED_ENCODINGS = (
    "file {source} cannot be read: the file mixes encodings: line(s) {utf8_lines} are UTF-8 but line(s) "
    "{other_lines} are not (probably Shift_JIS); save the whole file again as CSV UTF-8"
)
NOT_UTF8_OR_SJIS = (
    "file {source} is not UTF-8 or Shift_JIS (CP932) text: line {line} has bytes that neither can read; save it as "
    "CSV UTF-8, or choose its encoding"
)
BAD_WORKBOOK = "file {source} is not a readable Excel workbook (.xlsx): {kind}"
NO_SHEETS = "file {source} is not a readable Excel workbook (.xlsx): it has no sheets"
NO_SUCH_SHEET = "workbook {source} has no sheet {sheet}; its sheets: {sheets}"

# A saved mapping (JSON) that cannot be used.
NOT_A_MAPPING = 'this is not a ppx mapping file (it needs "format": "ppx-mapping")'
MAPPING_BAD_VERSION = "mapping version {version} is not supported (expected {expected})"
MAPPING_UNKNOWN_COLUMNS = "the mapping names columns that are not canonical: {columns}"
MAPPING_VALUES_NOT_OBJECT = 'the mapping\'s "values" must be an object'
MAPPING_UNKNOWN_VALUE_COLUMNS = "the mapping has values for columns that are not canonical: {columns}"
MAPPING_DATE_ORDER = "date_order must be one of {choices}, not {order}"
MAPPING_ENCODING = "unknown encoding {encoding} in the mapping; one of: {choices}"
MAPPING_NOT_JSON = "the mapping file is not valid JSON: {detail}"
MAPPING_NOT_NAMES = "the mapping's {where} must be an object of names"
MAPPING_NOT_TEXT = "the mapping's {where} must be text"

# The bounds: "{what}; {hint}", the hint saying how to lift the bound.
EXCEEDED = "{what}; {hint}"
TOO_MANY_ROWS = "file {source} has more than {limit} data rows, the upload limit"
TOO_MANY_COLUMNS = "file {source} has {n} columns, more than the limit of {limit}"
LONG_CELL = "file {source}: {where} holds {length} characters, more than the limit of {limit} for one cell"
WHERE_LINE = "line {line}"
WHERE_HEADER_COLUMN = "the header's column {position}"
WHERE_ROW_COLUMN = "row {row}, column {column}"
XLSX_TOO_LARGE = "workbook {source} decompresses to {total} MB, more than the limit of {limit} MB"
XLSX_RATIO = (
    "workbook {source} is {size} MB but decompresses to {total} MB ({ratio} times), more than the limit of {limit} "
    "times"
)
TOO_SLOW = "reading {source} took longer than the {budget} s budget (while {stage})"
HINTS: dict[str, str] = {
    "rows": "split the file, or raise the limit (ppx validate --max-rows N; on the server PPX_MAX_UPLOAD_ROWS)",
    "columns": "remove the columns you do not need, or raise the limit (ppx validate --max-columns N; on the "
    "server PPX_MAX_UPLOAD_COLUMNS)",
    "cell_chars": "shorten the cell, or raise the limit (ppx validate --max-cell-chars N; on the server "
    "PPX_MAX_CELL_CHARS)",
    "xlsx_mb": "save the sheet as CSV UTF-8, or raise the limit (ppx validate --max-xlsx-mb N; on the server "
    "PPX_MAX_XLSX_MB)",
    "xlsx_ratio": "save the sheet as CSV UTF-8, or raise the limit (ppx validate --max-xlsx-ratio N; on the server "
    "PPX_MAX_XLSX_RATIO)",
    "time_s": "save it as CSV UTF-8 or split it, or raise the budget (ppx validate --time-budget S; on the server "
    "PPX_READ_BUDGET_S)",
}
"""How to lift each bound, said by ``ppx validate`` (the Data page passes its own: ask the administrator)."""

# --- the reader's stages (progress and the time budget's "while ...") -------------------------------------------
STAGE_DECODING = "decoding the text"
STAGE_READ = "file read"
STAGE_OPENING = "opening the workbook"
STAGE_SHEET = "reading sheet {sheet}"
STAGE_FORMULAS = "looking for formula cells"
STAGE_ROWS_READ = "reading rows ({n} read)"
STAGE_ROWS_SO_FAR = "reading rows ({n} so far)"

TEMPLATES: tuple[str, ...] = (
    AND_MORE, NOTE_READ_AS_WORKBOOK, NOTE_DELIMITER, *DELIMITER_WORDS, NOTE_HEADER_LINE, NOTE_HEADER_ROW,
    NOTE_SHEETS, NOTE_UNMAPPED, NOTE_DATE_FORMATS, NOTE_DATE_ORDER_CHOSEN_DMY, NOTE_DATE_ORDER_CHOSEN_MDY,
    NOTE_DATE_ORDER_DMY, NOTE_DATE_ORDER_MDY, *DATE_FORMS, DATE_EVIDENCE, DATE_CONFLICT, NOTE_NO_PP_START,
    NOTE_REBUILT, REPEATED_HEADER, RAGGED_ROW, SHORT_ROW, SHORT_ROW_TRUNCATED, FORMULA_TEXT, FORMULA_VALUE,
    FORMULA_NO_VALUE, MAPPED_NOT_IN_FILE, MAPPED_TWICE, DATE_ORDER_CONFLICT, DATE_ORDER_AMBIGUOUS,
    NO_START_FOR_MONTHS, *REASONS, EMPTY_FILE, HEADER_ONLY, SHEET_HEADER_ONLY, SHEET_EMPTY, SINGLE_COLUMN,
    NOT_A_TABLE, OLD_EXCEL, BINARY_KIND, *BINARY_KINDS, BINARY, NUL_BYTE, UNKNOWN_ENCODING, NOT_IN_ENCODING,
    BAD_UTF16, MIXED_ENCODINGS, NOT_UTF8_OR_SJIS, BAD_WORKBOOK, NO_SHEETS, NO_SUCH_SHEET, NOT_A_MAPPING,
    MAPPING_BAD_VERSION, MAPPING_UNKNOWN_COLUMNS, MAPPING_VALUES_NOT_OBJECT, MAPPING_UNKNOWN_VALUE_COLUMNS,
    MAPPING_DATE_ORDER, MAPPING_ENCODING, MAPPING_NOT_JSON, MAPPING_NOT_NAMES, MAPPING_NOT_TEXT, EXCEEDED,
    TOO_MANY_ROWS, TOO_MANY_COLUMNS, LONG_CELL, WHERE_LINE, WHERE_HEADER_COLUMN, WHERE_ROW_COLUMN, XLSX_TOO_LARGE,
    XLSX_RATIO, TOO_SLOW, *HINTS.values(), STAGE_DECODING, STAGE_READ, STAGE_OPENING, STAGE_SHEET, STAGE_FORMULAS,
    STAGE_ROWS_READ, STAGE_ROWS_SO_FAR,
)  # fmt: skip
"""Every template the reader and mapper word their notes, issues, refusals and stages with."""
