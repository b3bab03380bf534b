"""Reading XLSX workbooks: sheet choice, cell values, formula cells and their saved values."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import pandas as pd

from analysis.cohort import Issue
from analysis.errors import DataError
from analysis.ingest.cells import clean_cell, row_issue
from analysis.ingest.table import RawTable, Rows, header_names, place_row, too_many_rows


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
        issues.append(row_issue("warning", label, column, message, "formula cell"))
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
    return clean_cell(str(value))


def read_xlsx(data: bytes, source: str, sheet: str | None, max_rows: int | None) -> RawTable:
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
            raise too_many_rows(source, max_rows)
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
    names, issues = header_names(header_values)
    width = len(names)
    rows = Rows(issues=issues)
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
        place_row(rows, label, cells, width)
        if max_rows is not None and len(rows.labels) > max_rows:
            raise too_many_rows(source, max_rows)
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
