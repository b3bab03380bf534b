"""What the server keeps of a received file: its content without the columns that identify a patient.

An encoding or sheet choice re-reads the file, so something of it must be
kept between requests; never the identifying columns (names, birth dates:
:data:`analysis.ingest.synonyms.NOT_NEEDED_COLUMNS`). :func:`read_and_keep`
reads the received bytes once and returns the table with a :class:`KeptFile`:

- a CSV/TSV file: its bytes re-written without those columns. The text is
  decoded in the encoding it was read with (``surrogateescape``: a byte that
  encoding cannot read becomes a placeholder that encodes back to the same
  byte), the records are split by the csv module (never in the byte domain,
  where a Shift_JIS or UTF-16 second byte can look like a delimiter), the
  columns removed, and the text encoded again with the same codec and
  byte-order mark. Choosing another encoding later decodes the same bytes,
  minus those columns; a column recognised only under the new encoding is
  removed then.
- a workbook: every sheet's cells as text (what :func:`excel_cell` makes of
  them) without those columns, and its formula cells, as tables.

:func:`read_kept` reads a :class:`KeptFile` as :func:`read_upload` reads bytes.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd

from analysis.errors import DataError
from analysis.ingest import messages as M
from analysis.ingest.bounds import DEFAULT_MAX_ROWS, Deadline, Progress, ReadLimits
from analysis.ingest.delimited import first_text_line, sniff_delimiter
from analysis.ingest.encodings import decode_text, utf16_without_bom
from analysis.ingest.reader import read_upload
from analysis.ingest.synonyms import NOT_NEEDED_KEYS, column_key
from analysis.ingest.table import RawTable, header_names
from analysis.ingest.workbook import Formulas, excel_cell, table_from_sheets, workbook_sheets
from analysis.messages import Message

_ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True, eq=False)
class KeptFile:
    """A received file without its identifying columns (see the module's docstring).

    ``data``: a text file's bytes minus those columns (empty for a workbook).
    ``sheets``: a workbook's sheets in order, each (name, cells as text with
    string column labels, formula cells as a frame of row, column, formula,
    has_value). ``dropped``: the columns removed, with why (per sheet for a
    workbook: ``(sheet, column, why)``). ``digest``: SHA-256 of the bytes as
    received (which validations are kept under).
    """

    kind: Literal["text", "xlsx"]
    digest: str
    data: bytes = b""
    sheets: tuple[tuple[str, pd.DataFrame, pd.DataFrame], ...] = ()
    dropped: tuple[tuple[str, str, str], ...] = ()


def read_and_keep(
    data: bytes,
    source: str,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    limits: ReadLimits | None = None,
    progress: Progress | None = None,
) -> tuple[RawTable, KeptFile]:
    """Read received bytes (as :func:`read_upload`) and what to keep of them instead of the bytes."""
    digest = hashlib.sha256(data).hexdigest()
    if data.startswith(_ZIP_MAGIC):
        limits = limits if limits is not None else ReadLimits(max_rows=DEFAULT_MAX_ROWS)
        deadline = Deadline(source, limits, progress)
        kept = _kept_workbook(workbook_sheets(data, source, limits, deadline), digest)
        del data
        return read_kept(kept, source, encoding=encoding, sheet=sheet, limits=limits, progress=progress)
    table = read_upload(data, source, encoding=encoding, sheet=sheet, limits=limits, progress=progress)
    return table, _kept_text(KeptFile("text", digest, data), table)


def read_kept(
    kept: KeptFile,
    source: str,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    limits: ReadLimits | None = None,
    progress: Progress | None = None,
) -> tuple[RawTable, KeptFile]:
    """Read a kept file as chosen; the table lists the columns removed before, and the kept file loses any
    identifying column recognised only now (under another encoding)."""
    if kept.kind == "text":
        table = read_upload(kept.data, source, encoding=encoding, limits=limits, progress=progress)
        kept = _kept_text(kept, table)
        return replace(table, dropped=tuple((c, why) for _, c, why in kept.dropped)), kept
    limits = limits if limits is not None else ReadLimits(max_rows=DEFAULT_MAX_ROWS)
    deadline = Deadline(source, limits, progress)
    stored: dict[str, tuple[list[list[object]], Formulas]] = {
        name: (_cells(frame), _formulas(formulas)) for name, frame, formulas in kept.sheets
    }
    table = table_from_sheets(stored, source, sheet, limits, deadline)
    if table.frame.empty and not table.rejected:
        raise DataError.of(M.SHEET_HEADER_ONLY, sheet=repr(table.sheet), source=repr(source))
    deadline.report(0.9, Message(M.STAGE_READ))
    if not source.lower().endswith((".xlsx", ".xlsm")):
        table = replace(table, messages=(Message.of(M.NOTE_READ_AS_WORKBOOK, source=repr(source)), *table.messages))
    dropped = tuple((c, why) for name, c, why in kept.dropped if name == table.sheet)
    return replace(table, dropped=dropped), kept


# --- text ------------------------------------------------------------------------------


def _codec(data: bytes, encoding: str) -> tuple[str, bytes, str]:
    """(codec, byte-order mark, error handler) that decode and encode ``data`` read as ``encoding``."""
    if encoding == "utf-16":
        if data.startswith(b"\xff\xfe"):
            return "utf-16-le", b"\xff\xfe", "strict"
        if data.startswith(b"\xfe\xff"):
            return "utf-16-be", b"\xfe\xff", "strict"
        return utf16_without_bom(data[:8192]) or "utf-16-le", b"", "strict"  # read strictly: encodes back
    if encoding == "utf-8-sig" or data.startswith(b"\xef\xbb\xbf"):
        return "utf-8", b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b"", "surrogateescape"
    return encoding, b"", "surrogateescape"


def _kept_text(kept: KeptFile, table: RawTable) -> KeptFile:
    """``kept`` without the columns ``table`` dropped (its bytes re-written only when there are any)."""
    if not table.dropped or table.encoding is None or table.delimiter is None:
        return kept
    return _without_columns(kept, table.encoding, table.delimiter, table.dropped)


def _without_columns(kept: KeptFile, encoding: str, delimiter: str, dropped: Sequence[tuple[str, str]]) -> KeptFile:
    """``kept``'s text, read as ``encoding`` and split at ``delimiter``, re-written without the ``dropped``
    columns (by header name), record by record."""
    codec, bom, errors = _codec(kept.data, encoding)
    text = kept.data[len(bom) :].decode(codec, errors=errors)
    names = {name for name, _ in dropped}
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    out = io.StringIO(newline="")
    ending = "\r\n" if "\r\n" in text[: text.find("\n") + 1] else "\n"
    writer = csv.writer(out, delimiter=delimiter, lineterminator=ending)
    positions: set[int] | None = None
    for record in reader:
        if positions is None and any(value.strip() for value in record):
            header, _ = header_names(record)
            positions = {k for k, name in enumerate(header) if name in names}
        if positions:
            record = [value for k, value in enumerate(record) if k not in positions]
        writer.writerow(record)
    written = out.getvalue()
    if not text.endswith(("\n", "\r")) and written.endswith(ending):
        written = written[: -len(ending)]
    data = bom + written.encode(codec, errors=errors)
    return replace(kept, data=data, dropped=(*kept.dropped, *(("", name, why) for name, why in dropped)))


def keep_received(data: bytes, source: str, limits: ReadLimits | None = None) -> KeptFile | None:
    """In the receiving request, before any reading: a text file without its identifying columns.

    Only the header is parsed (the text is decoded as detected, the delimiter
    sniffed, the first non-blank record split); the rest is re-written record
    by record only when the header has such a column. None when the columns
    cannot be known this cheaply: a workbook (its zip must be parsed), bytes
    that do not decode as detected, or a header wider than ``limits`` allow
    (the read job refuses it). The caller then keeps the bytes sealed until
    the read job (:mod:`app.upload_flow`).
    """
    limits = limits if limits is not None else ReadLimits(max_rows=DEFAULT_MAX_ROWS)
    if data.startswith(_ZIP_MAGIC):
        return None
    try:
        text, used, _ = decode_text(data, source)
    except DataError:
        return None
    kept = KeptFile("text", hashlib.sha256(data).hexdigest(), data)
    first = first_text_line(text)
    if not first:
        return kept
    delimiter, _ = sniff_delimiter(first[:65_536], source)
    if first.count(delimiter) + 1 > limits.max_columns or len(first) > limits.max_cell_chars * limits.max_columns:
        return None
    header: list[str] = []
    try:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if any(value.strip() for value in record):
                header, _ = header_names(record)
                break
    except csv.Error:
        return None  # the read job refuses it with its message; until then it stays sealed
    del text
    dropped = [(name, NOT_NEEDED_KEYS[column_key(name)]) for name in header if column_key(name) in NOT_NEEDED_KEYS]
    return _without_columns(kept, used, delimiter, dropped) if dropped else kept


# --- workbooks -------------------------------------------------------------------------


def _kept_workbook(found: tuple[tuple[str, list[list[object]], Formulas], ...], digest: str) -> KeptFile:
    sheets: list[tuple[str, pd.DataFrame, pd.DataFrame]] = []
    dropped: list[tuple[str, str, str]] = []
    for name, values, formulas in found:
        frame = _text_frame(values)
        header_at = next((i for i in range(len(frame)) if frame.iloc[i].notna().any()), None)
        removed: list[int] = []
        if header_at is not None:
            header, _ = header_names(frame.iloc[header_at].tolist())
            for position, column in enumerate(header):
                why = NOT_NEEDED_KEYS.get(column_key(column))
                if why is not None and frame.iloc[header_at, position] is not None:
                    removed.append(position)
                    dropped.append((name, column, why))
        if removed:
            frame = frame.drop(columns=[str(k) for k in removed])
            frame.columns = [str(k) for k in range(frame.shape[1])]
        shift = np.array(sorted(removed), dtype="int64")
        rows = [
            (row, column - int(np.searchsorted(shift, column - 1, side="right")), formula, has_value)
            for (row, column), (formula, has_value) in sorted(formulas.items())
            if column - 1 not in removed
        ]
        table = pd.DataFrame(rows, columns=["row", "column", "formula", "has_value"])
        sheets.append((name, frame, table.astype({"row": "int64", "column": "int64", "has_value": "bool"})))
    return KeptFile("xlsx", digest, sheets=tuple(sheets), dropped=tuple(dropped))


def _text_frame(values: list[list[object]]) -> pd.DataFrame:
    """A sheet's cells as text (None where empty), column by column, each distinct value converted once."""
    width = max((len(row) for row in values), default=0)
    matrix = np.full((len(values), width), None, dtype=object)
    if all(len(row) == width for row in values):
        matrix[:] = values  # rows to a 2-D array in C (calamine's rows are as wide as the sheet)
    else:
        for k, row in enumerate(values):
            matrix[k, : len(row)] = row
    columns: dict[str, np.ndarray] = {}
    for position in range(width):
        codes, uniques = pd.factorize(matrix[:, position], use_na_sentinel=True)
        converted = np.array([*(excel_cell(v) for v in uniques), None], dtype=object)
        columns[str(position)] = converted[codes]
    return pd.DataFrame(columns, index=pd.RangeIndex(len(values)), dtype=object)


def _cells(frame: pd.DataFrame) -> list[list[object]]:
    rows: list[list[object]] = frame.to_numpy(dtype=object).tolist()
    return rows


def _formulas(table: pd.DataFrame) -> Formulas:
    return {
        (int(row), int(column)): (str(formula), bool(has_value))
        for row, column, formula, has_value in table.itertuples(index=False)
    }
