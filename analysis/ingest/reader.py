"""Reading an upload's bytes: what kind of file it is, then the CSV/TSV or XLSX reader."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from analysis.errors import DataError
from analysis.ingest.delimited import formula_issues, read_delimited
from analysis.ingest.encodings import decode_text, is_binary
from analysis.ingest.table import DEFAULT_MAX_ROWS, RawTable
from analysis.ingest.workbook import read_xlsx

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BINARY_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
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
        table = read_xlsx(data, source, sheet, max_rows)
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
    if not data.startswith((b"\xff\xfe", b"\xfe\xff")) and is_binary(data[:8192]):
        raise DataError(f"file {source!r} is a binary file, not a text table; upload a CSV, TSV or XLSX file")
    text, used, detected = decode_text(data, source, encoding)
    frame, delimiter, notes, rows = read_delimited(text, source, max_rows)
    if frame.empty and not rows.rejected:
        raise DataError(f"file {source!r} has a header but no data rows")
    kind: Literal["csv", "tsv"] = "tsv" if delimiter == "\t" else "csv"
    issues = [*rows.issues, *formula_issues(frame)]
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
