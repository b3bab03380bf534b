"""A large cohort as CSV or XLSX bytes, fast: for ``make bench`` and the 200,000-row browser test.

The bundled cohort's rows are repeated (patient ids made unique) to ``n`` rows.
The XLSX is written as a stream of sheet XML (shared strings, numbers as
numbers, cells in column order without ``r`` references, built a column at a
time with vectorised string operations): a workbook of 200,000 rows takes a few
seconds, where openpyxl needs minutes. It is a plain Office Open XML workbook
that Excel, LibreOffice, openpyxl and calamine read.
"""

from __future__ import annotations

import io
import re
import zipfile
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from analysis.cohort import bundled_cohort_path
from analysis.schema import INPUT_COLUMNS

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)


def large_cohort(n: int) -> pd.DataFrame:
    """``n`` rows of the bundled cohort's input columns as text, with unique patient ids."""
    base = pd.read_csv(bundled_cohort_path(), dtype=str, keep_default_na=False)[list(INPUT_COLUMNS)]
    copies = -(-n // len(base))
    frame = pd.concat([base] * copies, ignore_index=True).iloc[:n].copy()
    frame["patient_id"] = [f"P{k:07d}" for k in range(n)]
    return frame


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


def _column_letters(position: int) -> str:
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _sheet_rows(frame: pd.DataFrame, strings: dict[str, int]) -> pd.Series:
    """Each row's ``<row>`` XML, built a column at a time (vectorised string operations, no cell objects)."""
    table = pd.concat([pd.DataFrame([list(map(str, frame.columns))], columns=frame.columns), frame.astype(str)])
    numbers = pd.Series(range(1, len(table) + 1)).astype(str).to_numpy()
    xml = pd.Series([""] * len(table))
    for column in table.columns:
        values = pd.Series(table[column].to_numpy(), dtype=object)
        numeric = values.str.fullmatch(_NUMBER.pattern).fillna(False).astype(bool)
        codes, uniques = pd.factorize(values.where(~numeric))
        index = {u: strings.setdefault(str(u), len(strings)) for u in uniques}
        lookup = np.array([str(index[u]) for u in uniques] + ["-1"], dtype=object)
        shared = pd.Series(lookup[codes])  # code -1 (a number) takes the last entry, unused
        cells = ("<c><v>" + values + "</v></c>").where(numeric, '<c t="s"><v>' + shared + "</v></c>")
        # empty text is written as a shared empty string, so cells keep their column without an r attribute
        xml = xml + cells
    return '<row r="' + pd.Series(numbers) + '">' + xml + "</row>"


def xlsx_bytes(frame: pd.DataFrame, sheet: str = "cohort") -> bytes:
    """One sheet: the header, then every row; numbers as numbers, other text as shared strings."""
    strings: dict[str, int] = {}
    frame = frame.reset_index(drop=True)
    letters = [_column_letters(k) for k in range(frame.shape[1])]
    rows = _sheet_rows(frame, strings)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK.format(name=escape(sheet, {'"': "&quot;"})))
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        last = f"{letters[-1]}{len(frame) + 1}"
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as handle:
            handle.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                + f'<dimension ref="A1:{last}"/><sheetData>'.encode()
            )
            for start in range(0, len(rows), 20_000):
                handle.write("".join(rows.iloc[start : start + 20_000]).encode("utf-8"))
            handle.write(b"</sheetData></worksheet>")
        shared = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
        archive.writestr(
            "xl/sharedStrings.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(strings)}" '
            f'uniqueCount="{len(strings)}">{shared}</sst>',
        )
    return buffer.getvalue()
