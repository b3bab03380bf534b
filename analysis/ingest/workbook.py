"""Reading XLSX workbooks with calamine: bounds first, sheet choice, cell values, formula cells.

The zip directory is checked before anything is decompressed
(:func:`analysis.ingest.bounds.check_zip_directory`). Cells are read by
python-calamine (Rust), which gives each formula cell its saved value; the
formulas themselves are found by a streaming scan of the sheet's XML for
``<f>`` elements, so a formula without a saved value is still reported (and
read as empty).
"""

from __future__ import annotations

import html
import io
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import cast

import python_calamine

from analysis.cohort import Issue
from analysis.errors import DataError
from analysis.ingest import messages as M
from analysis.ingest.bounds import Deadline, ReadLimits, check_columns, check_zip_directory, too_many_rows
from analysis.ingest.cells import clean_cell, row_issue
from analysis.ingest.table import CHUNK_ROWS, RawTable, Rows, TableBuilder, header_names
from analysis.messages import Message


def _workbook_formula_issues(formulas: Mapping[tuple[int, str], tuple[str, bool]]) -> list[Issue]:
    """A warning for each workbook formula cell: its saved value is used, or the cell is empty without one."""
    issues: list[Issue] = []
    for (label, column), (formula, has_value) in formulas.items():
        template = M.FORMULA_VALUE if has_value else M.FORMULA_NO_VALUE
        message = Message.of(template, column=column, formula=repr(formula[:40]))
        issues.append(row_issue("warning", label, column, message, "formula cell"))
    return issues


def excel_cell(value: object) -> str | None:
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
    return clean_cell(str(value))


def read_xlsx(data: bytes, source: str, sheet: str | None, limits: ReadLimits, deadline: Deadline) -> RawTable:
    archive, members, book, sheets = _open_workbook(data, source, limits)
    deadline.report(0.05, Message(M.STAGE_OPENING))
    chosen, values = _choose_sheet(lambda name: _sheet_values(book, name), sheets, sheet, source, deadline)
    deadline.report(0.4, Message.of(M.STAGE_SHEET, sheet=repr(chosen)))
    formulas = _formula_cells(archive, members.get(chosen), deadline)
    return _xlsx_table(values, formulas, source, chosen, sheets, limits, deadline)


Formulas = dict[tuple[int, int], tuple[str, bool]]
"""(row number, column number) -> (formula, has a saved value), the workbook's numbering from 1."""


def workbook_sheets(
    data: bytes, source: str, limits: ReadLimits, deadline: Deadline
) -> tuple[tuple[str, list[list[object]], Formulas], ...]:
    """Every sheet's cells (from A1) and formula cells, within the bounds (:func:`read_xlsx` reads one)."""
    archive, members, book, sheets = _open_workbook(data, source, limits)
    found = []
    for position, name in enumerate(sheets):
        deadline.report(0.05 + 0.3 * position / len(sheets), Message.of(M.STAGE_SHEET, sheet=repr(name)))
        found.append((name, _sheet_values(book, name), _formula_cells(archive, members.get(name), deadline)))
    return tuple(found)


def table_from_sheets(
    stored: Mapping[str, tuple[list[list[object]], Formulas]],
    source: str,
    sheet: str | None,
    limits: ReadLimits,
    deadline: Deadline,
) -> RawTable:
    """:func:`read_xlsx` on cells already read (:func:`workbook_sheets`, as kept for a session)."""
    sheets = tuple(stored)
    chosen, values = _choose_sheet(lambda name: stored[name][0], sheets, sheet, source, deadline)
    return _xlsx_table(values, stored[chosen][1], source, chosen, sheets, limits, deadline)


def _open_workbook(
    data: bytes, source: str, limits: ReadLimits
) -> tuple[zipfile.ZipFile, dict[str, str], python_calamine.CalamineWorkbook, tuple[str, ...]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        check_zip_directory(archive, source, len(data), limits)
        members = _sheet_members(archive)
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except DataError:
        raise
    except (zipfile.BadZipFile, python_calamine.CalamineError, KeyError, OSError, ValueError) as exc:
        raise DataError.of(M.BAD_WORKBOOK, source=repr(source), kind=type(exc).__name__) from exc
    sheets = tuple(book.sheet_names)
    if not sheets:
        raise DataError.of(M.NO_SHEETS, source=repr(source))
    return archive, members, book, sheets


def _sheet_members(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its XML member, from xl/workbook.xml and its relationships (small files)."""
    try:
        workbook = archive.read("xl/workbook.xml").decode("utf-8", errors="replace")
        rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", errors="replace")
    except KeyError:
        return {}
    targets: dict[str, str] = {}
    for element in re.findall(r"<(?:\w+:)?Relationship\b[^>]*>", rels):
        rel_id = re.search(r'\bId="([^"]+)"', element)
        target = re.search(r'\bTarget="([^"]+)"', element)
        if rel_id and target:
            path = target.group(1)
            targets[rel_id.group(1)] = path.lstrip("/") if path.startswith("/") else posixpath.join("xl", path)
    members: dict[str, str] = {}
    for element in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", workbook):
        name = re.search(r'\bname="([^"]*)"', element)
        rel_id = re.search(r'\br:id="([^"]+)"', element) or re.search(r'\b\w+:id="([^"]+)"', element)
        if name and rel_id and rel_id.group(1) in targets:
            members[html.unescape(name.group(1))] = posixpath.normpath(targets[rel_id.group(1)])
    return members


def _choose_sheet(
    values_of: Callable[[str], list[list[object]]],
    sheets: tuple[str, ...],
    sheet: str | None,
    source: str,
    deadline: Deadline,
) -> tuple[str, list[list[object]]]:
    """The chosen sheet, else the first with at least two non-empty rows among its first three; and its cells."""
    if sheet is not None:
        if sheet not in sheets:
            raise DataError.of(M.NO_SUCH_SHEET, source=repr(source), sheet=repr(sheet), sheets=", ".join(sheets))
        return sheet, values_of(sheet)
    first: list[list[object]] | None = None
    for name in sheets:
        values = values_of(name)
        deadline.check(Message.of(M.STAGE_SHEET, sheet=repr(name)))
        if sum(1 for row in values[:3] if any(v not in (None, "") for v in row)) >= 2:
            return name, values
        first = values if first is None else first
    return sheets[0], first or []


def _sheet_values(book: python_calamine.CalamineWorkbook, name: str) -> list[list[object]]:
    """The sheet's cells from A1 (so row and column numbers are the workbook's); empty cells are ''."""
    return cast(list[list[object]], book.get_sheet_by_name(name).to_python(skip_empty_area=False))  # lists already


_CELL_REF = re.compile(r'\br="([A-Z]{1,3})(\d+)"')
_FORMULA_TAG = re.compile(rb"<f[\s>/]")


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _formula_cells(archive: zipfile.ZipFile, member: str | None, deadline: Deadline) -> Formulas:
    """(row, column) -> (formula, has a saved value) for every ``<f>`` in the sheet's XML, read in chunks."""
    found: Formulas = {}
    if member is None or member not in archive.namelist():
        return found
    for buffer in _chunks(archive, member, deadline):
        for match in _FORMULA_TAG.finditer(buffer):
            start = max(buffer.rfind(b"<c ", 0, match.start()), buffer.rfind(b"<c>", 0, match.start()))
            end = buffer.find(b"</c>", match.start())
            if start < 0 or end < 0:
                continue
            cell = buffer[start : end + 4].decode("utf-8", errors="replace")
            ref = _CELL_REF.search(cell[: cell.find(">") + 1])
            if ref is None:
                continue
            formula = re.search(r"<f\b[^>]*?(?:/>|>(.*?)</f>)", cell, re.S)
            text = html.unescape(formula.group(1) or "") if formula else ""
            value = re.search(r"<v>(.*?)</v>", cell, re.S)
            inline = re.search(r"<is>.*?<t[^>]*>(.+?)</t>", cell, re.S)
            has_value = bool((value and value.group(1)) or inline)
            found[(int(ref.group(2)), _column_number(ref.group(1)))] = (
                "=" + text if text else "(shared formula)",
                has_value,
            )
    return found


def _chunks(archive: zipfile.ZipFile, member: str, deadline: Deadline, size: int = 8 << 20) -> Iterator[bytes]:
    """The member's bytes in chunks, each starting with the last 64 kB of the one before (cells cross chunks)."""
    tail = b""
    with archive.open(member) as handle:
        while True:
            chunk = handle.read(size)
            if not chunk:
                return
            buffer = tail + chunk
            yield buffer
            tail = buffer[-65_536:]
            deadline.check(Message(M.STAGE_FORMULAS))


def _xlsx_table(
    values: list[list[object]],
    formulas: Mapping[tuple[int, int], tuple[str, bool]],
    source: str,
    sheet: str,
    sheets: tuple[str, ...],
    limits: ReadLimits,
    deadline: Deadline,
) -> RawTable:
    header_at = next((i for i, row in enumerate(values) if any(v not in (None, "") for v in row)), None)
    if header_at is None:
        raise DataError.of(M.SHEET_EMPTY, sheet=repr(sheet), source=repr(source))
    header_values = list(values[header_at])
    while header_values and header_values[-1] in (None, ""):
        header_values = header_values[:-1]
    check_columns(source, len(header_values), limits)
    max_rows = limits.max_rows
    if max_rows is not None and len(values) - header_at - 1 > max_rows + 1_000:
        raise too_many_rows(source, limits, max_rows)
    names, issues = header_names([excel_cell(v) for v in header_values])
    width = len(names)
    rows = Rows(issues=issues)
    builder = TableBuilder(names, excel_cell, source, limits, rows)
    formula_by_cell: dict[tuple[int, str], tuple[str, bool]] = {}
    for (row_number, column_number), (formula, has_value) in sorted(formulas.items()):
        if row_number > header_at + 1 and column_number <= width:
            formula_by_cell[(row_number - 2, names[column_number - 1])] = (formula, has_value)
    total = max(len(values) - header_at - 1, 1)
    for start in range(header_at + 1, len(values), CHUNK_ROWS):
        chunk: list[Sequence[object]] = list(values[start : start + CHUNK_ROWS])
        if any(len(cells) > width for cells in chunk):
            chunk = [_beyond_header(cells, width) if len(cells) > width else cells for cells in chunk]
        builder.add_chunk(start - 1, chunk)  # row number start + 1, label = row number - 2
        values[start : start + CHUNK_ROWS] = [[]] * len(chunk)  # release the cells once converted
        stage = Message.of(M.STAGE_ROWS_SO_FAR, n=f"{builder.count:,}")
        deadline.report(0.4 + 0.5 * (start - header_at) / total, stage)
    frame = builder.finish()
    if max_rows is not None and len(frame) + len(rows.rejected) > max_rows:
        raise too_many_rows(source, limits, max_rows)
    issues_all = [*rows.issues, *_workbook_formula_issues(formula_by_cell)]
    notes = []
    if len(sheets) > 1:
        notes.append(Message.of(M.NOTE_SHEETS, n=len(sheets), sheets=", ".join(sheets), sheet=repr(sheet)))
    if header_at > 0:
        notes.append(Message.of(M.NOTE_HEADER_ROW, row=header_at + 1))
    return RawTable(
        frame=frame,
        source=source,
        kind="xlsx",
        sheet=sheet,
        sheets=sheets,
        issues=tuple(issues_all),
        messages=tuple(notes),
        rejected=tuple(rows.rejected),
    )


def _beyond_header(cells: Sequence[object], width: int) -> Sequence[object]:
    """A row with cells right of the header: as wide as the header when those are empty, else as text."""
    if all(value in (None, "") for value in cells[width:]):
        return cells[:width]
    texts = [excel_cell(value) or "" for value in cells]
    while len(texts) > width and texts[-1] == "":
        texts.pop()
    return texts
