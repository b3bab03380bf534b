"""Bringing a user's own cohort file into the canonical schema.

The path of an upload (the Data page and ``ppx validate``)::

    bytes --read_upload--> RawTable --apply_mapping(MappingSpec)--> MappedTable
          --analysis.cohort.validate_cohort--> PreparedUpload (cohort + one merged report)

- :func:`read_upload` reads CSV, TSV or XLSX bytes. Text encodings are detected
  (UTF-8, UTF-8 with BOM, Shift_JIS/CP932, UTF-16 with BOM) or given; the
  delimiter is sniffed from the header. Every cell stays text: nothing is
  guessed before the mapping says what a column is. Rows the reader cannot
  place (more fields than the header) are excluded and reported, never dropped
  silently; short rows are padded and reported.
- :func:`suggest_mapping` matches the file's columns to the canonical ones by
  name and by English and Japanese synonyms (性別 → sex), and suggests value
  mappings (ソラフェニブ → sorafenib). A :class:`MappingSpec` is saved and
  loaded as JSON.
- :func:`apply_mapping` renames, maps values and normalises dates (ISO,
  ``2020/03/01``, ``2020年3月1日``, Japanese eras, ``20200301``, Excel serial
  numbers, and ``03/04/2020`` with a day/month order that is inferred from
  unambiguous values or chosen by the user). Validation itself is
  :func:`analysis.cohort.validate_cohort`: no rule is duplicated here.

**A file with the endpoints but without the follow-up dates** (``os_months``,
``os_event``, ``pfs_months``, ``pfs_event``, optionally ``pps_months``) is used
directly when it has ``first_line_start``: the dates are rebuilt from the
months (days = months x 30.4375, rounded to whole days), so the recomputed
endpoints equal the file's to within half a day, which the validator checks.
Death is dated at the end of OS when ``os_event`` is 1; progression at the end
of PFS when the PFS event is not the death itself (with ``pps_months``:
wherever PPS is given). Without ``first_line_start`` the file is blocked: the
calendar checks, the year filter and the time-varying analyses need time zero
as a date (the message says so). ``pp_start`` then may be missing; the
post-progression therapy is kept and its start reported as unknown.

Privacy: nothing here logs or prints cell values; :func:`neutralise_frame`
makes every export of user text safe to open in a spreadsheet.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any, Literal

import pandas as pd

from analysis.cohort import Issue, ValidatedCohort, ValidationReport, validate_cohort
from analysis.errors import DataError
from analysis.schema import (
    ALBI_GRADES,
    COLUMN_BY_NAME,
    COLUMNS,
    DATE_COLUMNS,
    DAYS_PER_MONTH,
    FIRST_LINE_DRUGS,
    INPUT_COLUMNS,
)
from analysis.survdata import FALSE_WORDS, TRUE_WORDS

DateOrder = Literal["auto", "dmy", "mdy"]
DATE_ORDERS: tuple[str, ...] = ("auto", "dmy", "mdy")

ENCODINGS: dict[str, str] = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "cp932": "Shift_JIS (CP932)",
    "utf-16": "UTF-16",
}
"""Encodings the reader accepts, with the label shown to users. CP932 is Windows' superset of Shift_JIS."""

DEFAULT_MAX_ROWS = 200_000
"""Largest number of data rows an upload may have (the Data page passes its configured value)."""

NA_TEXT = frozenset({"", "na", "n/a", "nan", "null", "none.", "#n/a", "#na", "nr"})
"""Cell texts read as empty (case-insensitive). ``none`` is not here: it is a value of pp_therapy."""

MAPPING_FORMAT = "ppx-mapping"
MAPPING_VERSION = 1

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BINARY_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
_MAX_LISTED = 5


# ---------------------------------------------------------------------------
# Spreadsheet-formula neutralisation (shared with exports)
# ---------------------------------------------------------------------------


def neutralise_formula(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe.

    Cells starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    are prefixed with ``'`` (OWASP's CSV-injection advice). Plain numbers
    written as text (``-1.5``, ``+3``) are left alone: a spreadsheet reads them
    as numbers, not formulas. Non-text values are returned unchanged.
    """
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    if _PLAIN_NUMBER.match(value):
        return value
    return "'" + value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with :func:`neutralise_formula` applied to every text cell and column name."""
    out = frame.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if pd.api.types.is_object_dtype(column.dtype) or pd.api.types.is_string_dtype(column.dtype):
            out.isetitem(position, column.map(neutralise_formula).to_numpy(dtype=object))
    out.columns = [neutralise_formula(str(c)) for c in out.columns]
    return out


# ---------------------------------------------------------------------------
# Reading bytes
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class RawTable:
    """A file read as text cells, before any mapping.

    ``frame`` has one object column per file column (None where empty) and an
    index of 0-based data-row labels such that ``label + 2`` is the
    spreadsheet row (header is row 1; a header lower down shifts the labels,
    so row numbers are always the file's). ``rejected`` holds rows the reader
    could not place (label, cells), excluded and reported in ``issues``.
    """

    frame: pd.DataFrame
    source: str
    kind: Literal["csv", "tsv", "xlsx"]
    encoding: str | None = None
    encoding_detected: bool = True
    delimiter: str | None = None
    sheet: str | None = None
    sheets: tuple[str, ...] = ()
    issues: tuple[Issue, ...] = ()
    notes: tuple[str, ...] = ()
    rejected: tuple[tuple[int, tuple[str, ...]], ...] = ()

    @property
    def encoding_label(self) -> str | None:
        return None if self.encoding is None else ENCODINGS.get(self.encoding, self.encoding)

    @property
    def n_rows(self) -> int:
        return len(self.frame) + len(self.rejected)

    def describe(self) -> str:
        """One line: ``cohort.csv: CSV, UTF-8 (detected), comma-separated, 513 rows, 24 columns``."""
        parts = [self.kind.upper()]
        if self.encoding is not None:
            parts.append(f"{self.encoding_label} ({'detected' if self.encoding_detected else 'chosen'})")
        if self.delimiter is not None:
            parts.append(_DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter)) + "-separated")
        if self.sheet is not None:
            parts.append(f"sheet {self.sheet!r}")
        plural = "" if self.n_rows == 1 else "s"
        parts.append(f"{self.n_rows} data row{plural}, {self.frame.shape[1]} columns")
        return f"{self.source}: " + ", ".join(parts)


_DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}


def _file_issue(severity: Literal["error", "warning"], column: str | None, message: str, reason: str) -> Issue:
    return Issue(severity, None, None, column, None, message, reason)


def _row_issue(
    severity: Literal["error", "warning"], label: int, column: str | None, message: str, reason: str
) -> Issue:
    return Issue(severity, f"row {label + 2}", None, column, None, message, reason)


def _is_binary(sample: bytes) -> bool:
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 13, 12))
    return controls / len(sample) > 0.05


def _private_use(text: str) -> bool:
    """CP932 decodes some stray bytes to user-defined (private-use) characters: a sign of a wrong guess."""
    return any("\ue000" <= ch <= "\uf8ff" for ch in text)


def _first_bad_line(data: bytes) -> int:
    for number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            return number
    return 1


def _mixed_encoding_message(data: bytes) -> str | None:
    """Names lines that are UTF-8 and lines that are not, when a file holds both."""
    utf8_lines: list[int] = []
    other_lines: list[int] = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8_lines.append(number)
        except UnicodeDecodeError:
            other_lines.append(number)
    if not utf8_lines or not other_lines:
        return None
    return (
        f"the file mixes encodings: line(s) {_list_numbers(utf8_lines)} are UTF-8 but line(s) "
        f"{_list_numbers(other_lines)} are not (probably Shift_JIS); save the whole file again as CSV UTF-8"
    )


def _list_numbers(numbers: Sequence[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:_MAX_LISTED])
    return shown + (f" and {len(numbers) - _MAX_LISTED} more" if len(numbers) > _MAX_LISTED else "")


def decode_text(data: bytes, source: str, encoding: str | None = None) -> tuple[str, str, bool]:
    """Decode ``data``; returns (text, encoding used, detected?).

    Detection order: a UTF-16 or UTF-8 byte-order mark; strict UTF-8; strict
    CP932 without private-use characters. A given ``encoding`` (one of
    :data:`ENCODINGS`) is used as is. Raises DataError naming the line when
    nothing fits, and says so when a file mixes UTF-8 and another encoding.
    """
    if encoding is not None:
        if encoding not in ENCODINGS:
            raise DataError(f"unknown encoding {encoding!r}; choose one of: {', '.join(ENCODINGS)}")
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise DataError(
                f"file {source!r} cannot be read as {ENCODINGS[encoding]}: byte 0x{data[exc.start]:02x} on line "
                f"{line} is not valid in that encoding; choose another encoding or 'detect'"
            ) from exc
        return text.lstrip("\ufeff"), encoding, False
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16").lstrip("\ufeff"), "utf-16", True
        except UnicodeDecodeError as exc:
            raise DataError(f"file {source!r} starts like UTF-16 text but cannot be read as it") from exc
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig", True
        except UnicodeDecodeError:
            pass  # a BOM followed by other bytes: fall through to the general checks
    try:
        return data.decode("utf-8"), "utf-8", True
    except UnicodeDecodeError:
        pass
    mixed = _mixed_encoding_message(data)
    if mixed is not None:
        raise DataError(f"file {source!r} cannot be read: {mixed}")
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError:
        text = ""
    if text and not _private_use(text):
        return text, "cp932", True
    raise DataError(
        f"file {source!r} is not UTF-8 or Shift_JIS (CP932) text: line {_first_bad_line(data)} has bytes that "
        "neither can read; save it as CSV UTF-8, or choose its encoding"
    )


def _sniff_delimiter(header_line: str, source: str) -> tuple[str, str | None]:
    """The delimiter of the header line, and a note when it is not the file name's."""
    counts = {d: _unquoted_count(header_line, d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0:
        return ",", None
    expected = "\t" if source.lower().endswith((".tsv", ".tab", ".txt")) else ","
    if best != expected and counts[expected] == 0:
        name = _DELIMITER_NAMES[best]
        return best, f"read as {name}-separated: the header has no {_DELIMITER_NAMES[expected]}s"
    return expected if counts[expected] > 0 else best, None


def _unquoted_count(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == delimiter and not quoted:
            count += 1
    return count


def _clean_cell(value: str) -> str | None:
    text = value.strip()
    return None if text.casefold() in NA_TEXT else text


def _header_names(cells: Sequence[object]) -> tuple[list[str], list[Issue]]:
    """Stripped header names; blank ones become ``(column N)``; repeats become ``name (2)`` with a warning."""
    names: list[str] = []
    for position, cell in enumerate(cells, start=1):
        text = "" if cell is None else " ".join(str(cell).split())
        names.append(text or f"(column {position})")
    issues: list[Issue] = []
    seen: dict[str, int] = {}
    for position, name in enumerate(list(names)):
        if name in seen:
            seen[name] += 1
            new_name = f"{name} ({seen[name]})"
            while new_name in names:
                new_name += "'"
            names[position] = new_name
            message = (
                f"column {name!r} appears more than once; the repeat (column {position + 1}) is read as "
                f"{new_name!r}: check that the mapping uses the right one"
            )
            issues.append(_file_issue("warning", name, message, "repeated column"))
        else:
            seen[name] = 1
    return names, issues


def _too_many_rows(source: str, max_rows: int) -> DataError:
    return DataError(
        f"file {source!r} has more than {max_rows:,} data rows, the upload limit; split it, or use the "
        "command line (ppx validate), which has no row limit"
    )


@dataclass
class _Rows:
    """Rows under construction: labels, cells, and what the reader noticed."""

    labels: list[int] = field(default_factory=list)
    cells: list[list[str | None]] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    rejected: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)
    blank: int = 0


def _place_row(rows: _Rows, label: int, fields: list[str], width: int) -> None:
    cleaned = [_clean_cell(value) for value in fields]
    if all(value is None for value in cleaned):
        rows.blank += 1
        return
    if len(fields) > width and any(value is not None for value in cleaned[width:]):
        message = (
            f"the row has {len(fields)} fields but the header has {width}; the cells cannot be placed "
            "(a delimiter or quote inside a value?), so the row is excluded"
        )
        rows.issues.append(_row_issue("error", label, None, message, "ragged row"))
        rows.rejected.append((label, tuple(fields)))
        return
    if len(fields) < width:
        message = f"the row has {len(fields)} fields but the header has {width}; the missing cells are empty"
        rows.issues.append(_row_issue("warning", label, None, message, "short row"))
        cleaned += [None] * (width - len(fields))
    rows.labels.append(label)
    rows.cells.append(cleaned[:width])


def _read_delimited(text: str, source: str, max_rows: int | None) -> tuple[pd.DataFrame, str, list[str], _Rows]:
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    if not first_line:
        raise DataError(f"file {source!r} is empty")
    delimiter, note = _sniff_delimiter(first_line, source)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    header_line = 0
    rows = _Rows()
    try:
        for number, record in enumerate(reader, start=1):
            if header is None:
                if any(value.strip() for value in record):
                    header, header_issues = _header_names(record)
                    rows.issues.extend(header_issues)
                    header_line = number
                continue
            _place_row(rows, number - 2, record, len(header))
            if max_rows is not None and len(rows.labels) + len(rows.rejected) > max_rows:
                raise _too_many_rows(source, max_rows)
    except csv.Error as exc:
        raise DataError(f"file {source!r} could not be read as a table: {exc}") from exc
    _mark_truncated(rows, text)
    if header is None:
        raise DataError(f"file {source!r} is empty")
    if len(header) == 1:
        raise DataError(
            f"file {source!r} has a single column ({header[0][:60]!r}); columns must be separated by commas, "
            "tabs or semicolons"
        )
    notes = [note] if note else []
    if header_line > 1:
        notes.append(f"the header is on line {header_line}; the lines above it are empty")
    frame = pd.DataFrame(rows.cells, index=pd.Index(rows.labels, dtype="int64"), columns=header, dtype=object)
    return frame, delimiter, notes, rows


def _mark_truncated(rows: _Rows, text: str) -> None:
    """A short last row in a file without a final newline: say the file may be truncated."""
    if not rows.issues or text.endswith(("\n", "\r")):
        return
    last = rows.issues[-1]
    if last.reason == "short row" and rows.labels and last.row == f"row {rows.labels[-1] + 2}":
        rows.issues[-1] = replace(last, message=last.message + " (the file may be truncated)")


def _formula_issues(frame: pd.DataFrame) -> list[Issue]:
    """A warning for each text cell that looks like a spreadsheet formula (starts with '=')."""
    issues: list[Issue] = []
    for column in frame.columns:
        values = frame[column]
        text = values[values.map(lambda v: isinstance(v, str) and v.startswith("="))]
        for label in text.index:
            message = (
                f"{column}: the cell is a spreadsheet formula ({str(text[label])[:40]!r}); it is read as text, "
                "and exports neutralise it"
            )
            issues.append(_row_issue("warning", int(label), str(column), message, "formula cell"))
    return issues


def _workbook_formula_issues(formulas: Mapping[tuple[int, str], tuple[str, bool]]) -> list[Issue]:
    """A warning for each workbook formula cell: its saved value is used, or the cell is empty without one."""
    issues: list[Issue] = []
    for (label, column), (formula, has_value) in formulas.items():
        if has_value:
            message = f"{column}: the cell holds a formula ({formula[:40]!r}); its last computed value is used"
        else:
            message = (
                f"{column}: the cell holds a formula ({formula[:40]!r}) with no saved value (the workbook was "
                "not recalculated), so the cell is read as empty"
            )
        issues.append(_row_issue("warning", label, column, message, "formula cell"))
    return issues


def _excel_cell(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d") if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        if value != value:
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return _clean_cell(str(value))


def _read_xlsx(data: bytes, source: str, sheet: str | None, max_rows: int | None) -> RawTable:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise DataError(f"file {source!r} is not a readable Excel workbook (.xlsx): {type(exc).__name__}") from exc
    sheets = tuple(book.sheetnames)
    try:
        chosen = _choose_sheet(book, sheets, sheet, source)
        records, formula_cells = _sheet_records(book[chosen], source, max_rows)
    finally:
        book.close()
    cached: dict[tuple[int, int], object] = {}
    if formula_cells:
        values_book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            wanted = set(formula_cells)
            for row_number, row in enumerate(values_book[chosen].iter_rows(values_only=True), start=1):
                for column_number, value in enumerate(row, start=1):
                    if (row_number, column_number) in wanted:
                        cached[(row_number, column_number)] = value
        finally:
            values_book.close()
    return _xlsx_table(records, formula_cells, cached, source, chosen, sheets, max_rows)


def _choose_sheet(book: Any, sheets: tuple[str, ...], sheet: str | None, source: str) -> str:
    if sheet is not None:
        if sheet not in sheets:
            raise DataError(f"workbook {source!r} has no sheet {sheet!r}; its sheets: {', '.join(sheets)}")
        return sheet
    for name in sheets:
        rows = book[name].iter_rows(values_only=True, max_row=3)
        if sum(1 for row in rows if any(v not in (None, "") for v in row)) >= 2:
            return name
    return sheets[0]


def _sheet_records(
    worksheet: Any, source: str, max_rows: int | None
) -> tuple[list[tuple[int, list[object]]], dict[tuple[int, int], str]]:
    records: list[tuple[int, list[object]]] = []
    formulas: dict[tuple[int, int], str] = {}
    for row_number, row in enumerate(worksheet.iter_rows(values_only=True), start=1):
        values = list(row)
        for column_number, value in enumerate(values, start=1):
            if isinstance(value, str) and value.startswith("=") and records:
                formulas[(row_number, column_number)] = value
        records.append((row_number, values))
        if max_rows is not None and len(records) > max_rows + 1_000:
            raise _too_many_rows(source, max_rows)
    return records, formulas


def _xlsx_table(
    records: list[tuple[int, list[object]]],
    formula_cells: dict[tuple[int, int], str],
    cached: Mapping[tuple[int, int], object],
    source: str,
    sheet: str,
    sheets: tuple[str, ...],
    max_rows: int | None,
) -> RawTable:
    header_at = next((i for i, (_, values) in enumerate(records) if any(v not in (None, "") for v in values)), None)
    if header_at is None:
        raise DataError(f"sheet {sheet!r} of {source!r} is empty")
    header_row, header_values = records[header_at]
    while header_values and header_values[-1] in (None, ""):
        header_values = header_values[:-1]
    names, issues = _header_names(header_values)
    width = len(names)
    rows = _Rows(issues=issues)
    formula_by_cell: dict[tuple[int, str], tuple[str, bool]] = {}
    for row_number, values in records[header_at + 1 :]:
        label = row_number - 2
        cells: list[str] = []
        for column_number, value in enumerate(values, start=1):
            if (row_number, column_number) in formula_cells:
                value = cached.get((row_number, column_number))
                if column_number <= width:
                    formula = formula_cells[(row_number, column_number)]
                    formula_by_cell[(label, names[column_number - 1])] = (formula, value is not None)
            cells.append(_excel_cell(value) or "")
        while len(cells) > width and cells[-1] == "":
            cells.pop()
        _place_row(rows, label, cells, width)
        if max_rows is not None and len(rows.labels) > max_rows:
            raise _too_many_rows(source, max_rows)
    frame = pd.DataFrame(rows.cells, index=pd.Index(rows.labels, dtype="int64"), columns=names, dtype=object)
    issues_all = [*rows.issues, *_workbook_formula_issues(formula_by_cell)]
    notes = []
    if len(sheets) > 1:
        notes.append(f"the workbook has {len(sheets)} sheets ({', '.join(sheets)}); {sheet!r} was read")
    if header_row > 1:
        notes.append(f"the header is on row {header_row}; the rows above it are empty")
    return RawTable(
        frame=frame,
        source=source,
        kind="xlsx",
        sheet=sheet,
        sheets=sheets,
        issues=tuple(issues_all),
        notes=tuple(notes),
        rejected=tuple(rows.rejected),
    )


def read_upload(
    data: bytes,
    source: str,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    max_rows: int | None = DEFAULT_MAX_ROWS,
) -> RawTable:
    """Read an uploaded CSV, TSV or XLSX file as text cells.

    The kind is taken from the bytes, not only the name: a workbook renamed
    ``.csv`` is read as a workbook (with a note); a PDF, an image or an old
    ``.xls`` is refused with a message saying what it is. Raises DataError for
    an empty, header-only, binary, undecodable or too long file.
    """
    if not data:
        raise DataError(f"file {source!r} is empty")
    lower = source.lower()
    if data.startswith(_ZIP_MAGIC):
        table = _read_xlsx(data, source, sheet, max_rows)
        if not lower.endswith((".xlsx", ".xlsm")):
            table = replace(table, notes=(f"{source!r} is an Excel workbook; it was read as one", *table.notes))
        return _finish(table)
    if data.startswith(_OLE_MAGIC):
        raise DataError(
            f"file {source!r} is an old Excel (.xls) or other Office binary file; save it as .xlsx or CSV UTF-8"
        )
    for magic, what in _BINARY_MAGIC:
        if data.startswith(magic):
            raise DataError(f"file {source!r} is {what}, not a table; upload a CSV, TSV or XLSX file")
    if not data.startswith((b"\xff\xfe", b"\xfe\xff")) and _is_binary(data[:8192]):
        raise DataError(f"file {source!r} is a binary file, not a text table; upload a CSV, TSV or XLSX file")
    text, used, detected = decode_text(data, source, encoding)
    frame, delimiter, notes, rows = _read_delimited(text, source, max_rows)
    if frame.empty and not rows.rejected:
        raise DataError(f"file {source!r} has a header but no data rows")
    kind: Literal["csv", "tsv"] = "tsv" if delimiter == "\t" else "csv"
    issues = [*rows.issues, *_formula_issues(frame)]
    return _finish(
        RawTable(
            frame=frame,
            source=source,
            kind=kind,
            encoding=used,
            encoding_detected=detected,
            delimiter=delimiter,
            issues=tuple(issues),
            notes=tuple(notes),
            rejected=tuple(rows.rejected),
        )
    )


def _finish(table: RawTable) -> RawTable:
    if table.frame.empty and not table.rejected:
        where = f"sheet {table.sheet!r} of {table.source!r}" if table.sheet else f"file {table.source!r}"
        raise DataError(f"{where} has a header but no data rows")
    return table


# ---------------------------------------------------------------------------
# Column and value mapping
# ---------------------------------------------------------------------------

COLUMN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "patient_id": (
        "id", "patient", "patient id", "patient no", "patient number", "pt id", "subject id", "case id", "case no",
        "study id", "record id", "患者id", "患者番号", "症例番号", "症例id", "登録番号", "カルテ番号", "id番号", "番号",
    ),
    "center": (
        "centre", "site", "hospital", "institution", "施設", "施設名", "病院", "病院名", "医療機関", "施設コード",
    ),
    "first_line": (
        "first line", "first-line drug", "1st line", "first line drug", "first line therapy", "1l", "1st line drug",
        "regimen", "initial therapy", "一次治療", "1次治療", "一次治療薬", "初回治療", "初回薬剤", "薬剤", "一次薬剤",
    ),
    "first_line_start": (
        "start date", "treatment start", "first line start date", "1st line start", "start", "date of start",
        "一次治療開始日", "1次治療開始日", "治療開始日", "投与開始日", "開始日", "導入日",
    ),
    "age": ("age at start", "age years", "年齢", "治療開始時年齢", "開始時年齢"),
    "sex": ("gender", "性別", "性"),
    "etiology": (
        "aetiology", "cause", "underlying liver disease", "背景肝", "背景肝疾患", "成因", "病因", "肝疾患成因", "原因",
    ),
    "bclc": ("bclc stage", "stage", "bclc病期", "病期", "bclcステージ"),
    "child_pugh_score": (
        "child pugh", "child pugh score", "cp score", "cps", "child pughスコア", "チャイルドピュースコア",
    ),
    "albi_score": ("albi", "albiスコア"),
    "fib4": ("fib 4", "fib4 index", "fib 4 index", "fib-4"),
    "afp": ("alpha fetoprotein", "afp ng/ml", "αフェトプロテイン", "afp値"),
    "ecog": ("ecog ps", "ps", "performance status", "全身状態", "パフォーマンスステータス"),
    "mvi": (
        "macrovascular invasion", "vascular invasion", "pvtt", "脈管侵襲", "門脈侵襲", "大血管浸潤", "脈管浸潤", "vp",
    ),
    "ehs": ("extrahepatic spread", "extrahepatic metastasis", "metastasis", "肝外転移", "遠隔転移", "肝外病変"),
    "best_response": (
        "response", "bor", "best overall response", "best response", "最良総合効果", "最良効果", "治療効果", "効果",
    ),
    "response_criteria": ("criteria", "response criteria", "効果判定基準", "判定基準"),
    "progression_date": (
        "progression", "date of progression", "pd date", "progression date", "増悪日", "進行日", "pd日", "病勢進行日",
        "増悪確認日",
    ),
    "pp_therapy": (
        "post progression therapy", "post-progression therapy", "subsequent therapy", "second line", "2nd line",
        "ppt", "後治療", "二次治療", "2次治療", "増悪後治療", "後治療内容",
    ),
    "pp_start": (
        "post progression therapy start", "subsequent therapy start", "second line start", "2nd line start",
        "後治療開始日", "二次治療開始日", "2次治療開始日", "増悪後治療開始日",
    ),
    "last_contact_date": (
        "last contact", "last follow up", "last follow-up", "last visit", "date of last contact", "last seen",
        "最終確認日", "最終生存確認日", "最終受診日", "最終観察日", "最終転帰確認日",
    ),
    "death_date": ("date of death", "death", "dod", "死亡日"),
    "os_months": ("os", "overall survival", "os month", "os months", "全生存期間", "生存期間"),
    "os_event": ("os status", "death event", "status", "vital status", "死亡", "転帰", "生死"),
    "pfs_months": ("pfs", "progression free survival", "pfs month", "無増悪生存期間"),
    "pfs_event": ("pfs status", "pfs event", "増悪イベント"),
    "pps_months": ("pps", "post progression survival", "増悪後生存期間"),
    "pps_event": ("pps status", "pps event"),
    "child_pugh_class": ("child pugh class", "child pugh grade", "cp class", "child pugh分類"),
    "albi_grade": ("albi grade", "malbi grade", "modified albi grade", "albiグレード"),
}  # fmt: skip
"""Column-name synonyms in English and Japanese, compared after :func:`column_key` normalisation."""

NOT_NEEDED_COLUMNS: dict[str, str] = {
    "生年月日": "not needed: age at first-line start is used",
    "birth date": "not needed: age at first-line start is used",
    "date of birth": "not needed: age at first-line start is used",
    "dob": "not needed: age at first-line start is used",
    "birthday": "not needed: age at first-line start is used",
    "氏名": "looks like patient names: not needed, and not stored",
    "患者名": "looks like patient names: not needed, and not stored",
    "名前": "looks like patient names: not needed, and not stored",
    "カナ": "looks like patient names: not needed, and not stored",
    "フリガナ": "looks like patient names: not needed, and not stored",
    "name": "looks like patient names: not needed, and not stored",
    "patient name": "looks like patient names: not needed, and not stored",
}

_DRUG_SYNONYMS: dict[str, tuple[str, ...]] = {
    "sorafenib": ("sor", "sora", "soraf", "nexavar", "ソラフェニブ", "ネクサバール", "ソラ"),
    "lenvatinib": ("len", "lenva", "lenv", "lenvima", "レンバチニブ", "レンビマ", "レンバ"),
    "atezolizumab_bevacizumab": (
        "atezo+bev", "atezo+beva", "atezolizumab+bevacizumab", "a+b", "ab", "atez+bev", "atezo/bev", "atezobev",
        "アテゾリズマブ+ベバシズマブ", "テセントリク+アバスチン", "アテゾ+ベバ", "atezolizumab", "テセントリク",
    ),
    "regorafenib": ("rego", "reg", "stivarga", "レゴラフェニブ", "スチバーガ"),
    "ramucirumab": ("ram", "ramu", "cyramza", "ラムシルマブ", "サイラムザ"),
    "cabozantinib": ("cabo", "cabometyx", "カボザンチニブ", "カボメティクス"),
    "other_ici": (
        "durvalumab+tremelimumab", "durva+treme", "stride", "nivolumab", "pembrolizumab", "durvalumab",
        "ニボルマブ", "ペムブロリズマブ", "デュルバルマブ", "デュルバルマブ+トレメリムマブ", "イミフィンジ",
        "オプジーボ", "キイトルーダ", "ici", "other ici",
    ),
    "tace": ("tae", "tace/tae", "肝動脈化学塞栓療法", "肝動脈塞栓術", "肝動脈化学塞栓術"),
    "haic": ("肝動注", "動注", "肝動注化学療法", "動注化学療法", "hai"),
    "radiotherapy": ("rt", "radiation", "sbrt", "放射線", "放射線治療", "放射線療法"),
    "none": ("no", "nil", "bsc", "best supportive care", "なし", "無", "無し", "無治療", "緩和", "緩和ケア", "-", "0"),
    "other": ("others", "その他", "他"),
}  # fmt: skip

_BOOL_SYNONYMS: dict[str, tuple[str, ...]] = {
    "1": ("あり", "有", "有り", "+", "陽性", "present", "positive", "pos", "はい", "○", "◯", "true", "yes"),
    "0": ("なし", "無", "無し", "-", "陰性", "absent", "negative", "neg", "いいえ", "×", "false", "no"),
}
_EVENT_SYNONYMS: dict[str, tuple[str, ...]] = {
    "1": ("dead", "died", "death", "deceased", "死亡", "event", "progressed", "増悪", "pd"),
    "0": ("alive", "censored", "生存", "打ち切り", "censor", "no event", "無増悪"),
}

_EVENT_AND_BOOL: dict[str, tuple[str, ...]] = {k: (*_BOOL_SYNONYMS[k], *v) for k, v in _EVENT_SYNONYMS.items()}

VALUE_SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "first_line": {k: v for k, v in _DRUG_SYNONYMS.items() if k in FIRST_LINE_DRUGS},
    "pp_therapy": _DRUG_SYNONYMS,
    "sex": {
        "M": ("male", "man", "m", "男", "男性", "おとこ"),
        "F": ("female", "woman", "w", "f", "女", "女性", "おんな"),
    },
    "etiology": {
        "HBV": ("b", "hbv", "hepatitis b", "b型", "b型肝炎", "hbs", "hbsag", "b型慢性肝炎", "b型肝硬変"),
        "HCV": ("c", "hcv", "hepatitis c", "c型", "c型肝炎", "hcv-ab", "c型慢性肝炎", "c型肝硬変"),
        "alcohol": ("alc", "alcoholic", "ald", "アルコール", "アルコール性", "アル"),
        "MASLD": ("nash", "nafld", "mafld", "mash", "masld", "非アルコール性", "脂肪肝", "非アルコール性脂肪肝炎"),
        "other": ("others", "その他", "nbnc", "other", "不明", "unknown", "aih", "pbc"),
    },
    "bclc": {s: (f"stage {s.lower()}", f"bclc {s.lower()}", f"bclc-{s.lower()}", f"{s.lower()}期") for s in "ABCD"},
    "best_response": {
        "CR": ("complete response", "完全奏効", "著効", "cr"),
        "PR": ("partial response", "部分奏効", "pr"),
        "SD": ("stable disease", "安定", "不変", "sd"),
        "PD": ("progressive disease", "進行", "増悪", "pd"),
        "NE": ("not evaluable", "評価不能", "判定不能", "ne", "na"),
    },
    "response_criteria": {
        "mRECIST": ("modified recist", "mrecist", "m-recist"),
        "RECIST1.1": ("recist", "recist 1.1", "recist v1.1", "recist ver1.1", "recist1.1"),
    },
    "albi_grade": {g: (f"grade {g}", f"g{g}", f"albi {g}", f"malbi {g}") for g in ALBI_GRADES},
    "child_pugh_class": {c: (f"class {c.lower()}", f"cp-{c.lower()}", f"child {c.lower()}") for c in "ABC"},
    **dict.fromkeys(("mvi", "ehs", "pp_received", "pp_ici", "disease_control", "objective_response"), _BOOL_SYNONYMS),
    **dict.fromkeys(("os_event", "pfs_event", "pps_event"), _EVENT_AND_BOOL),
}  # fmt: skip
"""Value synonyms per canonical column: canonical value -> source spellings (compared by :func:`value_key`)."""

MAPPABLE_VALUE_COLUMNS: tuple[str, ...] = tuple(
    c.name for c in COLUMNS if c.kind in ("category", "bool") and c.name in VALUE_SYNONYMS
)


def column_key(name: str) -> str:
    """Name normalised for matching: NFKC, case-folded, without spaces, punctuation or a unit in brackets."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = re.sub(r"[(\[（【].*?[)\]）】]", "", text) or text
    return re.sub(r"[\s_\-.:/・,'\"#]+", "", text)


def value_key(value: str) -> str:
    """Value normalised for matching: NFKC, case-folded, spaces removed, + / & ・ as '+'."""
    text = unicodedata.normalize("NFKC", value).casefold().strip()
    text = re.sub(r"\s*(\+|/|&|・|＋|,| and | with )\s*", "+", text)
    return re.sub(r"[\s_]+", "", text) if text not in ("-", "+") else text


_NOT_NEEDED_KEYS: dict[str, str] = {column_key(k): v for k, v in NOT_NEEDED_COLUMNS.items()}
_KEYS: dict[str, str] = {}
for _canonical, _names in COLUMN_SYNONYMS.items():
    for _name in (_canonical, *_names):
        _KEYS.setdefault(column_key(_name), _canonical)


@dataclass(frozen=True)
class MappingSpec:
    """How a file's columns and values become the canonical ones. Frozen and hashable; saved as JSON.

    - ``columns``: (canonical column, file column) pairs;
    - ``values``: (canonical column, ((file value, canonical value), ...)) pairs;
    - ``date_order``: how ``03/04/2020`` is read: ``auto`` (inferred from
      unambiguous dates in the file), ``dmy`` or ``mdy``;
    - ``encoding`` and ``sheet``: the reader's choices (None: detect / first sheet with data);
    - ``keep_unmapped``: keep file columns that are not mapped (the CLI's
      identity mode); the Data page drops them, so nothing unneeded is stored.
    """

    columns: tuple[tuple[str, str], ...] = ()
    values: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    date_order: DateOrder = "auto"
    encoding: str | None = None
    sheet: str | None = None
    keep_unmapped: bool = False

    def column_map(self) -> dict[str, str]:
        return dict(self.columns)

    def value_map(self, column: str) -> dict[str, str]:
        return dict(dict(self.values).get(column, ()))

    @staticmethod
    def build(
        columns: Mapping[str, str | None],
        values: Mapping[str, Mapping[str, str | None]] | None = None,
        **options: Any,
    ) -> MappingSpec:
        """A spec from plain dicts (None entries are dropped), in canonical column order."""
        order = {c.name: i for i, c in enumerate(COLUMNS)}
        pairs = tuple(sorted(((c, s) for c, s in columns.items() if s), key=lambda p: order.get(p[0], 999)))
        value_pairs = tuple(
            sorted(
                (
                    (c, tuple(sorted((str(k), str(v)) for k, v in m.items() if v not in (None, ""))))
                    for c, m in (values or {}).items()
                ),
                key=lambda p: order.get(p[0], 999),
            )
        )
        return MappingSpec(pairs, tuple(p for p in value_pairs if p[1]), **options)

    @staticmethod
    def identity(file_columns: Iterable[str]) -> MappingSpec:
        """Canonical names map to themselves; every other column is kept (``ppx validate`` without --mapping)."""
        present = set(file_columns)
        return MappingSpec.build({c.name: c.name for c in COLUMNS if c.name in present}, keep_unmapped=True)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": MAPPING_FORMAT,
            "version": MAPPING_VERSION,
            "columns": dict(self.columns),
            "values": {c: dict(pairs) for c, pairs in self.values},
            "date_order": self.date_order,
            "encoding": self.encoding,
            "sheet": self.sheet,
            "keep_unmapped": self.keep_unmapped,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    @staticmethod
    def from_dict(data: object) -> MappingSpec:
        """Checks a loaded mapping strictly; raises DataError naming what is wrong."""
        if not isinstance(data, dict) or data.get("format") != MAPPING_FORMAT:
            raise DataError('this is not a ppx mapping file (it needs "format": "ppx-mapping")')
        if data.get("version") != MAPPING_VERSION:
            raise DataError(f"mapping version {data.get('version')!r} is not supported (expected {MAPPING_VERSION})")
        columns = _str_dict(data.get("columns", {}), "columns")
        unknown = sorted(set(columns) - set(COLUMN_BY_NAME))
        if unknown:
            raise DataError(f"the mapping names columns that are not canonical: {', '.join(unknown)}")
        raw_values = data.get("values", {})
        if not isinstance(raw_values, dict):
            raise DataError('the mapping\'s "values" must be an object')
        values = {str(c): _str_dict(m, f"values.{c}") for c, m in raw_values.items()}
        unknown = sorted(set(values) - set(COLUMN_BY_NAME))
        if unknown:
            raise DataError(f"the mapping has values for columns that are not canonical: {', '.join(unknown)}")
        order = data.get("date_order", "auto")
        if order not in DATE_ORDERS:
            raise DataError(f"date_order must be one of {', '.join(DATE_ORDERS)}, not {order!r}")
        encoding = data.get("encoding")
        if encoding is not None and encoding not in ENCODINGS:
            raise DataError(f"unknown encoding {encoding!r} in the mapping; one of: {', '.join(ENCODINGS)}")
        sheet = data.get("sheet")
        return MappingSpec.build(
            columns,
            values,
            date_order=order,
            encoding=encoding,
            sheet=str(sheet) if sheet is not None else None,
            keep_unmapped=bool(data.get("keep_unmapped", False)),
        )

    @staticmethod
    def from_json(text: str | bytes) -> MappingSpec:
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise DataError(f"the mapping file is not valid JSON: {exc}") from exc
        return MappingSpec.from_dict(data)


def _str_dict(value: object, where: str) -> dict[str, str | None]:
    if not isinstance(value, dict):
        raise DataError(f"the mapping's {where!r} must be an object of names")
    out: dict[str, str | None] = {}
    for key, item in value.items():
        if item is not None and not isinstance(item, (str, int, float)):
            raise DataError(f"the mapping's {where}.{key} must be text")
        out[str(key)] = None if item is None else str(item)
    return out


@dataclass(frozen=True)
class ColumnSuggestion:
    """Why a canonical column was matched to a file column."""

    canonical: str
    source: str
    how: Literal["name", "synonym", "similar"]


@dataclass(frozen=True)
class MappingSuggestion:
    """Suggested mapping for a file, with how each column was matched and which file columns are not needed."""

    spec: MappingSpec
    columns: tuple[ColumnSuggestion, ...]
    not_needed: tuple[tuple[str, str], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "mapping": self.spec.to_dict(),
            "how": {s.canonical: s.how for s in self.columns},
            "not_needed": dict(self.not_needed),
        }


def suggest_columns(file_columns: Sequence[str]) -> tuple[ColumnSuggestion, ...]:
    """Match canonical columns to file columns: exact name, then synonyms, then similar spellings."""
    free = list(file_columns)
    chosen: dict[str, ColumnSuggestion] = {}

    def take(canonical: str, source: str, how: Literal["name", "synonym", "similar"]) -> None:
        chosen[canonical] = ColumnSuggestion(canonical, source, how)
        free.remove(source)

    for column in COLUMNS:
        exact = [s for s in free if s.strip() == column.name]
        if exact:
            take(column.name, exact[0], "name")
    for source in list(free):
        canonical = _KEYS.get(column_key(source))
        if canonical is not None and canonical not in chosen:
            take(canonical, source, "name" if column_key(source) == column_key(canonical) else "synonym")
    ascii_keys = [k for k in _KEYS if k.isascii() and len(k) >= 4]
    for source in list(free):
        key = column_key(source)
        if len(key) < 4 or not key.isascii():
            continue
        close = difflib.get_close_matches(key, ascii_keys, n=1, cutoff=0.84)
        if close and _KEYS[close[0]] not in chosen:
            take(_KEYS[close[0]], source, "similar")
    order = {c.name: i for i, c in enumerate(COLUMNS)}
    return tuple(sorted(chosen.values(), key=lambda s: order[s.canonical]))


def suggest_values(column: str, values: Iterable[object]) -> dict[str, str]:
    """Suggested canonical value for each file value of ``column`` that is not already accepted as is."""
    definition = COLUMN_BY_NAME.get(column)
    synonyms = VALUE_SYNONYMS.get(column)
    if definition is None or synonyms is None:
        return {}
    allowed = definition.allowed or ("0", "1")
    accepted = set(allowed) | (set(TRUE_WORDS) | set(FALSE_WORDS) if definition.kind == "bool" else set())
    lookup: dict[str, str] = {}
    for canonical in allowed:
        lookup.setdefault(value_key(canonical), canonical)
    for canonical, spellings in synonyms.items():
        for spelling in spellings:
            lookup.setdefault(value_key(spelling), canonical)
    out: dict[str, str] = {}
    for value in values:
        if value is None:
            continue
        text = str(value)
        if text in accepted or (definition.kind == "bool" and text.lower() in accepted):
            continue
        match = lookup.get(value_key(text))
        if match is not None:
            out[text] = match
    return out


def distinct_values(raw: RawTable, source: str, limit: int = 60) -> tuple[str, ...]:
    """Distinct non-empty texts of a file column, most frequent first (at most ``limit``)."""
    if source not in raw.frame.columns:
        return ()
    counts = raw.frame[source].dropna().astype(str).value_counts(sort=True)
    return tuple(str(v) for v in counts.index[:limit])


def suggest_mapping(raw: RawTable) -> MappingSuggestion:
    """The suggested column and value mapping for a file, keeping its reader choices."""
    columns = suggest_columns([str(c) for c in raw.frame.columns])
    mapped = {s.source for s in columns}
    values = {
        s.canonical: suggest_values(s.canonical, distinct_values(raw, s.source))
        for s in columns
        if s.canonical in VALUE_SYNONYMS
    }
    not_needed = tuple(
        (str(c), _NOT_NEEDED_KEYS[column_key(str(c))])
        for c in raw.frame.columns
        if c not in mapped and column_key(str(c)) in _NOT_NEEDED_KEYS
    )
    spec = MappingSpec.build(
        {s.canonical: s.source for s in columns},
        values,
        encoding=None if raw.encoding_detected else raw.encoding,
        sheet=raw.sheet if len(raw.sheets) > 1 else None,
    )
    return MappingSuggestion(spec, columns, not_needed)


# ---------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------

EXCEL_EPOCH = date(1899, 12, 30)
"""Day 0 of Excel's 1900 date system (serial 1 is 1900-01-01, counting Excel's phantom 1900-02-29)."""
EXCEL_SERIAL_RANGE = (18_264, 73_051)
"""Serial numbers read as dates: 1950-01-01 to 2099-12-31. Smaller numbers are more likely years or typos."""

_ERA_START = {"令和": 2018, "r": 2018, "平成": 1988, "h": 1988, "昭和": 1925, "s": 1925}
_DATE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("YYYY-MM-DD", re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")),
    ("YYYY/MM/DD", re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})(?: \d{1,2}:\d{2}(?::\d{2})?)?$")),
    ("YYYY年M月D日", re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?$")),
    ("YYYYMMDD", re.compile(r"^(\d{4})(\d{2})(\d{2})$")),
)
_ERA = re.compile(r"^(令和|平成|昭和|[RrHhSs])\s*(\d{1,2}|元)\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*日?$")
_DAY_MONTH = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_SERIAL = re.compile(r"^(\d{5})(?:\.0+)?$")


@dataclass(frozen=True)
class _DateRead:
    iso: str | None
    form: str | None
    first: int = 0
    second: int = 0


def _valid(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _read_date(text: str) -> _DateRead:
    """One date text: its ISO form (None if unreadable) and the format it was in (None if not a date form)."""
    value = unicodedata.normalize("NFKC", text).strip()
    for form, pattern in _DATE_PATTERNS:
        match = pattern.match(value)
        if match:
            y, m, d = (int(g) for g in match.groups())
            return _DateRead(_valid(y, m, d), form)
    match = _ERA.match(value)
    if match:
        era, year_text, month, day = match.groups()
        year = 1 if year_text == "元" else int(year_text)
        return _DateRead(_valid(_ERA_START[era.casefold()] + year, int(month), int(day)), "Japanese era")
    match = _DAY_MONTH.match(value)
    if match:
        a, b, _ = (int(g) for g in match.groups())
        return _DateRead(None, "DD/MM or MM/DD", a, b)
    match = _SERIAL.match(value)
    if match:
        serial = int(match.group(1))
        if EXCEL_SERIAL_RANGE[0] <= serial <= EXCEL_SERIAL_RANGE[1]:
            return _DateRead((EXCEL_EPOCH + timedelta(days=serial)).isoformat(), "Excel serial number")
    return _DateRead(None, None)


def _day_month(text: str, order: Literal["dmy", "mdy"]) -> str | None:
    match = _DAY_MONTH.match(unicodedata.normalize("NFKC", text).strip())
    if match is None:
        return None
    a, b, year = (int(g) for g in match.groups())
    return _valid(year, b, a) if order == "dmy" else _valid(year, a, b)


@dataclass(frozen=True)
class DateOrderDecision:
    """How ``DD/MM/YYYY``-like dates in the file were read, and why."""

    order: Literal["dmy", "mdy"] | None
    chosen: bool
    ambiguous: int
    evidence: str | None
    conflict: str | None


def _decide_order(reads: Mapping[str, Mapping[str, _DateRead]], requested: DateOrder) -> DateOrderDecision:
    dmy: str | None = None
    mdy: str | None = None
    ambiguous = 0
    for column, column_reads in reads.items():
        for text, read in column_reads.items():
            if read.form != "DD/MM or MM/DD":
                continue
            if read.first > 12 and read.second <= 12:
                dmy = dmy or f"{text!r} in {column}"
            elif read.second > 12 and read.first <= 12:
                mdy = mdy or f"{text!r} in {column}"
            elif read.first != read.second:
                ambiguous += 1
    if requested != "auto":
        return DateOrderDecision(requested, True, ambiguous, None, None)
    if dmy and mdy:
        return DateOrderDecision(None, False, ambiguous, None, f"{dmy} is day/month but {mdy} is month/day")
    if dmy or mdy:
        return DateOrderDecision("dmy" if dmy else "mdy", False, ambiguous, dmy or mdy, None)
    return DateOrderDecision(None, False, ambiguous, None, None)


# ---------------------------------------------------------------------------
# Applying a mapping
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class MappedTable:
    """The file under canonical names (text cells), with the reader's and the mapper's issues and notes."""

    frame: pd.DataFrame
    issues: tuple[Issue, ...]
    notes: tuple[str, ...]
    date_order: DateOrderDecision | None


def _mapped_column(raw: RawTable, canonical: str, source: str, spec: MappingSpec) -> pd.Series:
    values = raw.frame[source]
    mapping = spec.value_map(canonical)
    if mapping:
        values = values.map(lambda v: mapping.get(v, v) if isinstance(v, str) else v)
    return values.astype(object)


def _converted(table: Mapping[str, str | None], value: object) -> object:
    if isinstance(value, str):
        return table.get(value) or value
    return value


def _normalise_dates(
    frame: pd.DataFrame, requested: DateOrder, issues: list[Issue], notes: list[str]
) -> DateOrderDecision | None:
    columns = [c for c in DATE_COLUMNS if c in frame.columns]
    reads = {c: {str(t): _read_date(str(t)) for t in frame[c].dropna().unique()} for c in columns}
    if not any(r.form == "DD/MM or MM/DD" for column_reads in reads.values() for r in column_reads.values()):
        decision = None
        order: Literal["dmy", "mdy"] = "dmy"
    else:
        decision = _decide_order(reads, requested)
        order = decision.order or "dmy"
        _date_order_issues(decision, issues, notes)
    for column in columns:
        converted = {
            text: (_day_month(text, order) if read.form == "DD/MM or MM/DD" else read.iso)
            for text, read in reads[column].items()
        }
        frame[column] = frame[column].map(partial(_converted, converted))
        forms = sorted({r.form for r in reads[column].values() if r.form is not None})
        if len(forms) > 1 or (forms and forms != ["YYYY-MM-DD"]):
            notes.append(f"{column}: dates read in {len(forms)} format(s): {', '.join(forms)}")
    return decision


def _date_order_issues(decision: DateOrderDecision, issues: list[Issue], notes: list[str]) -> None:
    if decision.chosen:
        notes.append(
            f"dates like 03/04/2020 read as {'day/month' if decision.order == 'dmy' else 'month/day'} (your choice)"
        )
    elif decision.conflict is not None:
        message = (
            f"dates disagree on the day/month order: {decision.conflict}; choose the order "
            "(the report below assumes day/month)"
        )
        issues.append(_file_issue("error", None, message, "date order unclear"))
    elif decision.order is not None:
        notes.append(
            f"dates like 03/04/2020 read as {'day/month' if decision.order == 'dmy' else 'month/day'}, "
            f"because of {decision.evidence}; change the date order if that is wrong"
        )
    elif decision.ambiguous:
        message = (
            f"{decision.ambiguous} date(s) like 03/04/2020 could be day/month or month/day and no date in the file "
            "settles it; choose the order (the report below assumes day/month)"
        )
        issues.append(_file_issue("error", None, message, "date order unclear"))


def _numbers(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values.astype("string"), errors="coerce").astype("float64")


def _flags(values: pd.Series) -> pd.Series:
    codes = {**dict.fromkeys(TRUE_WORDS, 1.0), **dict.fromkeys(FALSE_WORDS, 0.0)}
    return values.astype("string").str.strip().str.lower().map(codes).astype("float64")


def _days_after(start: pd.Series, months: pd.Series) -> pd.Series:
    days = (months * DAYS_PER_MONTH).round()
    return start + pd.to_timedelta(days, unit="D")


def _iso_text(dates: pd.Series) -> pd.Series:
    text = dates.dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
    text[dates.isna().to_numpy()] = None
    return pd.Series(text, index=dates.index, dtype=object)


def _rebuild_dates(frame: pd.DataFrame, issues: list[Issue], notes: list[str]) -> None:
    """Dates from stored endpoints, for a file that has the months but not the follow-up dates."""
    have = set(frame.columns)
    if {"last_contact_date", "death_date"} & have or not {"os_months", "os_event"} <= have:
        return
    if "first_line_start" not in have:
        message = (
            "the file has os_months and os_event but no first_line_start: time zero is needed as a date "
            "(calendar checks, the year filter and time-varying analyses use it); add the start date column"
        )
        issues.append(_file_issue("error", "first_line_start", message, "missing required column"))
        return
    start = pd.to_datetime(frame["first_line_start"], format="%Y-%m-%d", errors="coerce")
    os_months, died = _numbers(frame["os_months"]), _flags(frame["os_event"])
    os_end = _days_after(start, os_months)
    frame["last_contact_date"] = _iso_text(os_end)
    frame["death_date"] = _iso_text(os_end.where(died == 1))
    rebuilt = ["last_contact_date", "death_date"]
    if "progression_date" not in have and {"pfs_months", "pfs_event"} <= have:
        pfs_end = _days_after(start, _numbers(frame["pfs_months"]))
        if "pps_months" in have:
            progressed = _numbers(frame["pps_months"]).notna()
        else:
            progressed = (_flags(frame["pfs_event"]) == 1) & ~((died == 1) & (pfs_end >= os_end))
        frame["progression_date"] = _iso_text(pfs_end.where(progressed))
        rebuilt.append("progression_date")
    if "pp_start" not in have and "progression_date" in frame.columns:
        frame["pp_start"] = None
        notes.append("pp_start is not in the file: post-progression therapy is kept, its start date is unknown")
    notes.append(
        f"{', '.join(rebuilt)} rebuilt from the stored endpoints (months x 30.4375 days from first_line_start, "
        "rounded to days); the endpoints recomputed from them are checked against the file's"
    )


def apply_mapping(raw: RawTable, spec: MappingSpec) -> MappedTable:
    """The file under canonical names with values mapped and dates normalised to ISO text.

    Unmapped file columns are dropped unless ``spec.keep_unmapped``. A mapping
    naming a column the file lacks gives a warning (the column counts as
    missing). Cells that cannot be normalised stay as they are, so the
    validator reports them with its own message.
    """
    issues: list[Issue] = list(raw.issues)
    notes: list[str] = list(raw.notes)
    data: dict[str, pd.Series] = {}
    used: dict[str, str] = {}
    for canonical, source in spec.columns:
        if source not in raw.frame.columns:
            message = f"the mapping uses column {source!r} for {canonical}, but the file has no such column"
            issues.append(_file_issue("warning", canonical, message, "mapped column not in file"))
            continue
        if source in used:
            message = f"column {source!r} is mapped to both {used[source]} and {canonical}"
            issues.append(_file_issue("warning", canonical, message, "column mapped twice"))
        used[source] = canonical
        data[canonical] = _mapped_column(raw, canonical, source, spec)
    frame = pd.DataFrame(data, index=raw.frame.index)
    unmapped = [str(c) for c in raw.frame.columns if c not in used]
    if spec.keep_unmapped:
        for name in unmapped:
            frame[name] = raw.frame[name]
    elif unmapped:
        shown = ", ".join(repr(n) for n in unmapped[:_MAX_LISTED])
        more = f" and {len(unmapped) - _MAX_LISTED} more" if len(unmapped) > _MAX_LISTED else ""
        notes.append(f"{len(unmapped)} file column(s) not mapped and not kept: {shown}{more}")
    decision = _normalise_dates(frame, spec.date_order, issues, notes)
    _rebuild_dates(frame, issues, notes)
    return MappedTable(frame, tuple(issues), tuple(notes), decision)


# ---------------------------------------------------------------------------
# Validation and the merged report
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PreparedUpload:
    """A mapped and validated upload: the cohort (with one report for reader, mapper and validator) and its notes."""

    cohort: ValidatedCohort
    raw: RawTable
    mapped: MappedTable

    @property
    def report(self) -> ValidationReport:
        return self.cohort.report

    @property
    def notes(self) -> tuple[str, ...]:
        return self.mapped.notes


def _row_number(issue: Issue) -> int:
    if issue.row is None:
        return -1
    match = re.search(r"\d+", issue.row)
    return int(match.group()) if match else -1


def _merge_report(report: ValidationReport, extra: Sequence[Issue], rejected: Sequence[int]) -> ValidationReport:
    """The validator's report plus the reader's and mapper's issues, with rejected rows counted as excluded."""
    file_errors = any(i.severity == "error" and i.row is None for i in extra)
    issues = sorted((*extra, *report.issues), key=_row_number)
    rejected_rows = [f"row {label + 2}" for label in rejected]
    excluded = sorted({*report.excluded_rows, *rejected_rows}, key=lambda r: int(r.split()[-1]))
    usable = report.usable and not file_errors
    n_read = report.n_read + len(rejected)
    return ValidationReport(
        source=report.source,
        n_read=n_read,
        n_used=report.n_used if usable else 0,
        n_excluded=len(excluded) if usable else n_read,
        issues=tuple(issues),
        excluded_rows=tuple(excluded),
        usable=usable,
    )


def prepare_cohort(raw: RawTable, spec: MappingSpec, *, name: str | None = None) -> PreparedUpload:
    """Map ``raw`` with ``spec`` and validate it with :func:`analysis.cohort.validate_cohort`.

    The returned cohort's report also lists the reader's and mapper's issues
    (ragged rows, formulas, date order), and counts rows the reader excluded.
    A file-level error from them (an unclear date order) makes it unusable.
    """
    mapped = apply_mapping(raw, spec)
    cohort = validate_cohort(mapped.frame, source=raw.source, name=name or raw.source, synthetic=False)
    report = _merge_report(cohort.report, mapped.issues, [label for label, _ in raw.rejected])
    if not report.usable and cohort.report.usable:
        cohort = replace(cohort, frame=cohort.frame.iloc[0:0])
    return PreparedUpload(replace(cohort, report=report), raw, mapped)


def excluded_rows_table(prepared: PreparedUpload) -> pd.DataFrame:
    """The excluded rows as the file had them, with their row number and reasons; safe to open in a spreadsheet.

    Columns: ``row``, ``reasons``, then the file's columns (rows the reader
    could not place have their cells in order and ``(extra cells)``).
    """
    raw, report = prepared.raw, prepared.report
    reasons: dict[str, list[str]] = {}
    for issue in report.errors():
        if issue.row is not None:
            reasons.setdefault(issue.row, []).append(issue.message)
    file_reasons = [i.message for i in report.errors() if i.row is None]
    columns = [str(c) for c in raw.frame.columns]
    rows: list[dict[str, object]] = []
    rejected = dict(raw.rejected)
    excluded = set(report.excluded_rows) if report.usable else {f"row {lbl + 2}" for lbl in raw.frame.index}
    excluded |= {f"row {lbl + 2}" for lbl in rejected}
    for row in sorted(excluded, key=lambda r: int(r.split()[-1])):
        label = int(row.split()[-1]) - 2
        record: dict[str, object] = {"row": int(row.split()[-1]), "reasons": "; ".join(reasons.get(row, file_reasons))}
        if label in rejected:
            cells = rejected[label]
            record.update(zip(columns, cells, strict=False))
            record["(extra cells)"] = " | ".join(cells[len(columns) :])
        elif label in raw.frame.index:
            record.update({str(k): v for k, v in raw.frame.loc[label].items()})
        rows.append(record)
    table = pd.DataFrame(rows, columns=["row", "reasons", *columns, *(["(extra cells)"] if rejected else [])])
    return neutralise_frame(table)


# ---------------------------------------------------------------------------
# The template workbook
# ---------------------------------------------------------------------------

TEMPLATE_EXAMPLE_ROWS: tuple[dict[str, object], ...] = (
    {
        "patient_id": "EXAMPLE-001", "center": "Example Hospital", "first_line": "lenvatinib",
        "first_line_start": date(2019, 4, 25), "age": 72, "sex": "M", "etiology": "HCV", "bclc": "C",
        "child_pugh_score": 5, "albi_score": -2.45, "fib4": 4.1, "afp": 520.0, "ecog": 0, "mvi": 1, "ehs": 0,
        "best_response": "PR", "response_criteria": "mRECIST", "progression_date": date(2019, 11, 2),
        "pp_therapy": "atezolizumab_bevacizumab", "pp_start": date(2020, 10, 1),
        "last_contact_date": date(2021, 6, 30), "death_date": date(2021, 6, 30),
    },
    {
        "patient_id": "EXAMPLE-002", "center": "Example Hospital", "first_line": "sorafenib",
        "first_line_start": date(2016, 1, 12), "age": 68, "sex": "F", "etiology": "HBV", "bclc": "B",
        "child_pugh_score": 6, "albi_score": -2.1, "fib4": 2.8, "afp": 12.5, "ecog": 1, "mvi": 0, "ehs": 0,
        "best_response": "SD", "response_criteria": "mRECIST", "progression_date": None, "pp_therapy": "none",
        "pp_start": None, "last_contact_date": date(2018, 3, 15), "death_date": None,
    },
)  # fmt: skip
"""Two fictional patients in the template (the first progresses and gets an ICI; the second is censored)."""


def template_workbook() -> bytes:
    """An XLSX: sheet ``cohort`` with the canonical input columns and two example rows; sheet ``dictionary``.

    Reading it back with :func:`read_upload` and the suggested mapping gives a
    usable cohort of the two example patients.
    """
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "cohort"
    sheet.append(list(INPUT_COLUMNS))
    for example in TEMPLATE_EXAMPLE_ROWS:
        sheet.append([example.get(c) for c in INPUT_COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for position, name in enumerate(INPUT_COLUMNS, start=1):
        letter = openpyxl.utils.get_column_letter(position)
        sheet.column_dimensions[letter].width = max(12, len(name) + 2)
        if name in DATE_COLUMNS:
            for row in range(2, 2 + len(TEMPLATE_EXAMPLE_ROWS)):
                sheet.cell(row=row, column=position).number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    dictionary = book.create_sheet("dictionary")
    dictionary.append(["column", "type", "unit", "allowed values / range", "required", "meaning"])
    for cell in dictionary[1]:
        cell.font = Font(bold=True)
    for column in COLUMNS:
        dictionary.append(_dictionary_row(column.name))
    for letter, width in zip("ABCDEF", (22, 10, 10, 40, 14, 90), strict=True):
        dictionary.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _dictionary_row(name: str) -> list[str]:
    column = COLUMN_BY_NAME[name]
    if column.allowed is not None:
        allowed = ", ".join(column.allowed)
    elif column.kind == "bool":
        allowed = "0, 1"
    elif column.kind == "date":
        allowed = "date (YYYY-MM-DD, 2020/03/01, 2020年3月1日 or an Excel date)"
    elif column.minimum is not None or column.maximum is not None:
        lo = "" if column.minimum is None else f"{column.minimum:g}"
        hi = "" if column.maximum is None else f"{column.maximum:g}"
        allowed = f"{lo} to {hi}".strip()
    else:
        allowed = "any text"
    if column.derived:
        required = "derived (optional)"
    elif column.nullable:
        required = "may be empty"
    else:
        required = "yes"
    return [name, column.kind, column.unit or "", allowed, required, column.description]
