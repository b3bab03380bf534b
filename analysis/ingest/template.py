"""The template workbook offered on the Data page."""

from __future__ import annotations

import io
from datetime import date

from analysis.schema import COLUMN_BY_NAME, COLUMNS, DATE_COLUMNS, EARLIEST_PLAUSIBLE_DATE, INPUT_COLUMNS

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
        allowed = (
            "date (YYYY-MM-DD, 2020/03/01, 2020年3月1日 or an Excel date), "
            f"from {EARLIEST_PLAUSIBLE_DATE.isoformat()} to today"
        )
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
