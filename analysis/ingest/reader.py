"""Reading an upload's bytes: what kind of file it is, then the CSV/TSV or XLSX reader."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from analysis.errors import DataError
from analysis.ingest.bounds import DEFAULT_MAX_ROWS, Deadline, Progress, ReadLimits
from analysis.ingest.delimited import formula_issues, read_delimited
from analysis.ingest.encodings import decode_text, is_binary, nul_byte_message, utf16_without_bom
from analysis.ingest.synonyms import NOT_NEEDED_KEYS, column_key
from analysis.ingest.table import RawTable
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
    limits: ReadLimits | None = None,
    progress: Progress | None = None,
) -> RawTable:
    """Read an uploaded CSV, TSV or XLSX file as text cells, within ``limits``.

    The kind is taken from the bytes, not only the name: a workbook renamed
    ``.csv`` is read as a workbook (with a note); a PDF, an image or an old
    ``.xls`` is refused with a message saying what it is. Raises DataError for
    an empty, header-only, binary, undecodable or too long file, and for any
    bound of :class:`ReadLimits` (``limits``; without it the defaults with
    ``max_rows``). Columns that identify a patient and are not needed (names,
    birth dates: :data:`NOT_NEEDED_COLUMNS`) are dropped here and listed in
    ``RawTable.dropped``, so nothing downstream holds them. ``progress`` is
    called with (fraction, text) as the reading goes.
    """
    limits = limits if limits is not None else ReadLimits(max_rows=max_rows)
    deadline = Deadline(source, limits, progress)
    if not data:
        raise DataError(f"file {source!r} is empty")
    if data.startswith(_ZIP_MAGIC):
        table = read_xlsx(data, source, sheet, limits, deadline)
        if not source.lower().endswith((".xlsx", ".xlsm")):
            table = replace(table, notes=(f"{source!r} is an Excel workbook; it was read as one", *table.notes))
        return _finish(table, deadline)
    _refuse_binary(data, source, encoding)
    deadline.report(0.0, "decoding the text")
    text, used, detected = decode_text(data, source, encoding)
    del data
    frame, delimiter, notes, rows = read_delimited(text, source, limits, deadline)
    if frame.empty and not rows.rejected:
        raise DataError(f"file {source!r} has a header but no data rows")
    kind: Literal["csv", "tsv"] = "tsv" if delimiter == "\t" else "csv"
    issues = [*rows.issues, *formula_issues(frame)]
    table = RawTable(
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
    return _finish(table, deadline)


def _refuse_binary(data: bytes, source: str, encoding: str | None) -> None:
    """A PDF, an image, an old .xls or other binary: a message saying what it is; a NUL byte: where it is."""
    if data.startswith(_OLE_MAGIC):
        raise DataError(
            f"file {source!r} is an old Excel (.xls) or other Office binary file; save it as .xlsx or CSV UTF-8"
        )
    for magic, what in _BINARY_MAGIC:
        if data.startswith(magic):
            raise DataError(f"file {source!r} is {what}, not a table; upload a CSV, TSV or XLSX file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or encoding == "utf-16" or utf16_without_bom(data[:8192]):
        return
    if is_binary(data[:8192]):
        raise DataError(f"file {source!r} is a binary file, not a text table; upload a CSV, TSV or XLSX file")
    nul = nul_byte_message(data, source)
    if nul is not None:
        raise DataError(nul)


def _finish(table: RawTable, deadline: Deadline) -> RawTable:
    if table.frame.empty and not table.rejected:
        where = f"sheet {table.sheet!r} of {table.source!r}" if table.sheet else f"file {table.source!r}"
        raise DataError(f"{where} has a header but no data rows")
    deadline.report(0.9, "file read")
    return drop_identifying(table)


def drop_identifying(table: RawTable) -> RawTable:
    """The table without the columns that identify a patient and are not needed, each listed with why."""
    dropped = tuple(
        (str(c), NOT_NEEDED_KEYS[column_key(str(c))])
        for c in table.frame.columns
        if column_key(str(c)) in NOT_NEEDED_KEYS
    )
    if not dropped:
        return table
    names = {name for name, _ in dropped}
    frame = table.frame.drop(columns=[c for c in table.frame.columns if str(c) in names])
    positions = [k for k, c in enumerate(table.frame.columns) if str(c) in names]
    rejected = tuple(
        (label, tuple(cell for k, cell in enumerate(cells) if k not in positions)) for label, cells in table.rejected
    )
    issues = tuple(i for i in table.issues if i.column not in names)
    return replace(table, frame=frame, rejected=rejected, issues=issues, dropped=dropped)
