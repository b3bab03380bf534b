"""Reading an upload's bytes: what kind of file it is, then the CSV/TSV or XLSX reader."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from analysis.errors import DataError
from analysis.ingest import messages as M
from analysis.ingest.bounds import DEFAULT_MAX_ROWS, Deadline, Progress, ReadLimits
from analysis.ingest.delimited import formula_issues, read_delimited
from analysis.ingest.encodings import decode_text, is_binary, nul_byte_error, utf16_without_bom
from analysis.ingest.synonyms import NOT_NEEDED_KEYS, column_key
from analysis.ingest.table import RawTable
from analysis.ingest.workbook import read_xlsx
from analysis.messages import Message

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BINARY_MAGIC: tuple[tuple[bytes, str], ...] = tuple(
    zip((b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b"), M.BINARY_KINDS, strict=True)
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
        raise DataError.of(M.EMPTY_FILE, source=repr(source))
    if data.startswith(_ZIP_MAGIC):
        table = read_xlsx(data, source, sheet, limits, deadline)
        if not source.lower().endswith((".xlsx", ".xlsm")):
            table = replace(table, messages=(Message.of(M.NOTE_READ_AS_WORKBOOK, source=repr(source)), *table.messages))
        return _finish(table, deadline)
    _refuse_binary(data, source, encoding)
    deadline.report(0.0, Message(M.STAGE_DECODING))
    text, used, detected = decode_text(data, source, encoding)
    del data
    frame, delimiter, notes, rows = read_delimited(text, source, limits, deadline)
    if frame.empty and not rows.rejected:
        raise DataError.of(M.HEADER_ONLY, source=repr(source))
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
        messages=tuple(notes),
        rejected=tuple(rows.rejected),
    )
    return _finish(table, deadline)


def _refuse_binary(data: bytes, source: str, encoding: str | None) -> None:
    """A PDF, an image, an old .xls or other binary: a message saying what it is; a NUL byte: where it is."""
    if data.startswith(_OLE_MAGIC):
        raise DataError.of(M.OLD_EXCEL, source=repr(source))
    for magic, what in _BINARY_MAGIC:
        if data.startswith(magic):
            raise DataError.of(M.BINARY_KIND, source=repr(source), what=Message(what))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or encoding == "utf-16" or utf16_without_bom(data[:8192]):
        return
    if is_binary(data[:8192]):
        raise DataError.of(M.BINARY, source=repr(source))
    nul = nul_byte_error(data, source)
    if nul is not None:
        raise nul


def _finish(table: RawTable, deadline: Deadline) -> RawTable:
    if table.frame.empty and not table.rejected:
        if table.sheet:
            raise DataError.of(M.SHEET_HEADER_ONLY, sheet=repr(table.sheet), source=repr(table.source))
        raise DataError.of(M.HEADER_ONLY, source=repr(table.source))
    deadline.report(0.9, Message(M.STAGE_READ))
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
