"""The file read as text cells (:class:`RawTable`) and the row placement shared by the CSV and XLSX readers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import compress
from typing import Literal

import numpy as np
import pandas as pd

from analysis.cohort import Issue
from analysis.ingest import messages as M
from analysis.ingest.bounds import ReadLimits, long_cell
from analysis.ingest.cells import clean_cell, file_issue, row_issue
from analysis.ingest.encodings import ENCODINGS
from analysis.messages import Message


@dataclass(frozen=True, eq=False)
class RawTable:
    """A file read as text cells, before any mapping.

    ``frame`` has one object column per file column (None where empty) and an
    index of 0-based data-row labels such that ``label + 2`` is the
    spreadsheet row (header is row 1; a header lower down shifts the labels,
    so row numbers are always the file's). ``rejected`` holds rows the reader
    could not place (label, cells), excluded and reported in ``issues``.
    ``dropped`` names the columns that identify a patient and are not needed
    (names, birth dates), with why: they were removed when the file was read.
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
    messages: tuple[Message, ...] = ()
    """The reader's notes (how the file was read) as templates and parameters (:mod:`analysis.ingest.messages`)."""
    rejected: tuple[tuple[int, tuple[str, ...]], ...] = ()
    dropped: tuple[tuple[str, str], ...] = ()

    @property
    def encoding_label(self) -> str | None:
        return None if self.encoding is None else ENCODINGS.get(self.encoding, self.encoding)

    @property
    def notes(self) -> tuple[str, ...]:
        """The reader's notes in English (what ``ppx validate`` prints)."""
        return tuple(m.text() for m in self.messages)

    @property
    def n_rows(self) -> int:
        return len(self.frame) + len(self.rejected)

    def describe(self) -> str:
        """One line: ``cohort.csv: CSV, UTF-8 (detected), comma-separated, 513 rows, 24 columns``."""
        parts = [self.kind.upper()]
        if self.encoding is not None:
            parts.append(f"{self.encoding_label} ({'detected' if self.encoding_detected else 'chosen'})")
        if self.delimiter is not None:
            parts.append(DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter)) + "-separated")
        if self.sheet is not None:
            parts.append(f"sheet {self.sheet!r}")
        plural = "" if self.n_rows == 1 else "s"
        parts.append(f"{self.n_rows} data row{plural}, {self.frame.shape[1]} columns")
        return f"{self.source}: " + ", ".join(parts)


DELIMITER_NAMES = dict(zip((",", "\t", ";", "|"), M.DELIMITER_WORDS, strict=True))


def header_names(cells: Sequence[object]) -> tuple[list[str], list[Issue]]:
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
            message = Message.of(M.REPEATED_HEADER, name=repr(name), position=position + 1, new_name=repr(new_name))
            issues.append(file_issue("warning", name, message, "repeated column"))
        else:
            seen[name] = 1
    return names, issues


@dataclass
class Rows:
    """Rows under construction: labels, cells, and what the reader noticed."""

    labels: list[int] = field(default_factory=list)
    cells: list[list[str | None]] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    rejected: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)
    blank: int = 0


def place_row(rows: Rows, label: int, fields: list[str], width: int) -> None:
    cleaned = [clean_cell(value) for value in fields]
    if all(value is None for value in cleaned):
        rows.blank += 1
        return
    if len(fields) > width and any(value is not None for value in cleaned[width:]):
        message = Message.of(M.RAGGED_ROW, n=len(fields), width=width)
        rows.issues.append(row_issue("error", label, None, message, "ragged row"))
        rows.rejected.append((label, tuple(fields)))
        return
    if len(fields) < width:
        message = Message.of(M.SHORT_ROW, n=len(fields), width=width)
        rows.issues.append(row_issue("warning", label, None, message, "short row"))
        cleaned += [None] * (width - len(fields))
    rows.labels.append(label)
    rows.cells.append(cleaned[:width])


Convert = Callable[[object], "str | None"]
"""A reader's cell conversion: file value -> cleaned text, None when empty."""


def build_rows(
    first_label: int,
    records: Sequence[Sequence[object]],
    convert: Convert,
    source: str,
    names: Sequence[str],
    limits: ReadLimits,
    rows: Rows,
) -> pd.DataFrame:
    """Consecutive data rows (labels from ``first_label``) as a frame of cleaned text, one distinct value at a time.

    Rows as wide as the header are converted column by column, each distinct
    value once (fast); other rows (which readers pass as text) go through
    :func:`place_row` (short rows padded, ragged rows rejected). Blank rows are
    counted in ``rows.blank``. A cell longer than ``limits.max_cell_chars``
    raises DataError naming its row and column.
    """
    width = len(names)
    lengths = np.fromiter(map(len, records), dtype="int64", count=len(records))
    regular = lengths == width
    labels = first_label + np.flatnonzero(regular)
    columns: dict[str, np.ndarray] = {}
    filled = np.zeros(len(labels), dtype=bool)
    if len(labels) and width:
        chosen = list(compress(records, regular)) if not regular.all() else records
        matrix = np.empty((len(chosen), width), dtype=object)
        matrix[:] = chosen  # rows to a 2-D array in C; its columns are then views
        for position in range(width):
            values = _converted_column(matrix[:, position], convert, source, names[position], labels, limits)
            filled |= values != None  # noqa: E711 (element-wise)
            columns[names[position]] = values
    frame = pd.DataFrame(columns, index=pd.Index(labels, dtype="int64"), columns=list(names), dtype=object)
    if len(frame) and not filled.all():
        rows.blank += int((~filled).sum())
        frame = frame.loc[filled]
    if regular.all():
        return frame
    for offset in np.flatnonzero(~regular).tolist():
        label = first_label + offset
        texts = ["" if value is None else str(value) for value in records[offset]]  # readers pass these as text
        for index, text in enumerate(texts):
            if len(text) > limits.max_cell_chars:
                column = names[index] if index < len(names) else f"column {index + 1}"
                where = Message.of(M.WHERE_ROW_COLUMN, row=label + 2, column=repr(column))
                raise long_cell(source, where, len(text), limits)
        place_row(rows, label, texts, width)
    extra = pd.DataFrame(rows.cells, index=pd.Index(rows.labels, dtype="int64"), columns=list(names), dtype=object)
    rows.cells.clear()
    rows.labels.clear()
    return pd.concat([frame, extra]).sort_index(kind="stable") if len(frame) else extra


def _converted_column(
    cells: np.ndarray, convert: Convert, source: str, name: str, labels: np.ndarray, limits: ReadLimits
) -> np.ndarray:
    codes, uniques = pd.factorize(np.ascontiguousarray(cells), use_na_sentinel=True)
    converted = np.empty(len(uniques) + 1, dtype=object)
    longest = 0
    for position, value in enumerate(uniques):
        text = convert(value)
        converted[position] = text
        if text is not None and len(text) > longest:
            longest = len(text)
            if longest > limits.max_cell_chars:
                row = int(labels[int(np.flatnonzero(codes == position)[0])]) + 2
                where = Message.of(M.WHERE_ROW_COLUMN, row=row, column=repr(name))
                raise long_cell(source, where, longest, limits)
    converted[-1] = None
    return converted[codes]


CHUNK_ROWS = 20_000
"""Rows converted at a time: the file's cells are held as Python objects for one chunk only."""


class TableBuilder:
    """Collects a reader's data rows a chunk at a time and converts each chunk (:func:`build_rows`)."""

    def __init__(self, names: Sequence[str], convert: Convert, source: str, limits: ReadLimits, rows: Rows) -> None:
        self.names = list(names)
        self.convert = convert
        self.source = source
        self.limits = limits
        self.rows = rows
        self.frames: list[pd.DataFrame] = []
        self.count = 0

    def add_chunk(self, first_label: int, records: Sequence[Sequence[object]]) -> None:
        """Rows labelled ``first_label``, ``first_label + 1``, ... (consecutive in the file)."""
        if records:
            self.count += len(records)
            self.frames.append(
                build_rows(first_label, records, self.convert, self.source, self.names, self.limits, self.rows)
            )

    def finish(self) -> pd.DataFrame:
        if not self.frames:
            return pd.DataFrame(index=pd.Index([], dtype="int64"), columns=self.names, dtype=object)
        return self.frames[0] if len(self.frames) == 1 else pd.concat(self.frames)
