"""Bounds on what reading a file may cost, checked before the work, each with a message naming how to lift it.

A small file can ask for a great deal of work: 100,000 columns in a 1 MB CSV,
an XLSX whose members decompress to hundreds of megabytes, a cell holding a
novel. :class:`ReadLimits` says how far the reader goes; every bound that is
hit raises :class:`~analysis.errors.DataError` naming the limit, its value
and how to raise it (the Data page's environment variable or ``ppx validate``'s
option: ``ReadLimits.hints``).

- rows and columns: from the header and the record count (CSV), or the sheet's
  ``<dimension>`` before any cell is parsed (XLSX);
- cell length: characters in one cell;
- XLSX: the zip directory is read first; the members' total decompressed size
  and the compression ratio are checked before anything is decompressed;
- time: a wall-clock budget for reading, checked between stages and every few
  thousand rows (:class:`Deadline`).
"""

from __future__ import annotations

import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

from analysis.errors import DataError
from analysis.ingest import messages as M
from analysis.messages import Message, Param

DEFAULT_MAX_ROWS = 200_000
"""Largest number of data rows an upload may have (the Data page passes its configured value)."""
DEFAULT_MAX_COLUMNS = 1_000
"""Columns: the canonical schema has about 30; hospital exports rarely pass a few hundred."""
DEFAULT_MAX_CELL_CHARS = 32_767
"""Excel's own limit for one cell: a longer cell cannot have come from a spreadsheet."""
DEFAULT_MAX_XLSX_MB = 400.0
"""Decompressed size of a workbook's members (a 200,000-row cohort is about 150 MB)."""
DEFAULT_MAX_XLSX_RATIO = 100.0
"""Decompressed / compressed size of a workbook (real cohorts compress 5-15 times; zip bombs thousands)."""
DEFAULT_TIME_BUDGET_S = 60.0
"""Wall-clock seconds for reading one file."""

Progress = Callable[[float, Message], None]
"""Called with (fraction done 0-1, what is happening) while a file is read and validated."""

BOUND_NAMES: tuple[str, ...] = ("rows", "columns", "cell_chars", "xlsx_mb", "xlsx_ratio", "time_s")

DEFAULT_HINTS: dict[str, str] = M.HINTS


@dataclass(frozen=True)
class ReadLimits:
    """How far the reader goes. ``None`` for rows or time means no bound; ``hints`` say how to lift each bound."""

    max_rows: int | None = DEFAULT_MAX_ROWS
    max_columns: int = DEFAULT_MAX_COLUMNS
    max_cell_chars: int = DEFAULT_MAX_CELL_CHARS
    max_xlsx_mb: float = DEFAULT_MAX_XLSX_MB
    max_xlsx_ratio: float = DEFAULT_MAX_XLSX_RATIO
    time_budget_s: float | None = DEFAULT_TIME_BUDGET_S
    hints: tuple[tuple[str, str | Message], ...] = field(default_factory=lambda: tuple(DEFAULT_HINTS.items()))
    """How to lift each bound: text, or a message with parameters (the Data page names its environment variable)."""

    def hint(self, bound: str) -> Message:
        found = dict(self.hints).get(bound, DEFAULT_HINTS[bound])
        return found if isinstance(found, Message) else Message(found)

    def exceeded(self, bound: str, what: Message) -> DataError:
        """``{what}; {how to lift it}`` as a DataError."""
        return DataError.of(M.EXCEEDED, what=what, hint=self.hint(bound))


def too_many_rows(source: str, limits: ReadLimits, max_rows: int) -> DataError:
    return limits.exceeded("rows", Message.of(M.TOO_MANY_ROWS, source=repr(source), limit=f"{max_rows:,}"))


def check_columns(source: str, n_columns: int, limits: ReadLimits) -> None:
    if n_columns > limits.max_columns:
        what = Message.of(M.TOO_MANY_COLUMNS, source=repr(source), n=f"{n_columns:,}", limit=f"{limits.max_columns:,}")
        raise limits.exceeded("columns", what)


def long_cell(source: str, where: Param, length: int, limits: ReadLimits) -> DataError:
    what = Message.of(M.LONG_CELL, source=repr(source), where=where, length=f"{length:,}",
                      limit=f"{limits.max_cell_chars:,}")  # fmt: skip
    return limits.exceeded("cell_chars", what)


def check_zip_directory(archive: zipfile.ZipFile, source: str, compressed_size: int, limits: ReadLimits) -> None:
    """The members' declared sizes, before anything is decompressed: total size and compression ratio."""
    total = sum(member.file_size for member in archive.infolist())
    limit = limits.max_xlsx_mb * 1024 * 1024
    if total > limit:
        what = Message.of(M.XLSX_TOO_LARGE, source=repr(source), total=f"{total / 1024 / 1024:,.0f}",
                          limit=f"{limits.max_xlsx_mb:,.0f}")  # fmt: skip
        raise limits.exceeded("xlsx_mb", what)
    ratio = total / max(compressed_size, 1)
    if ratio > limits.max_xlsx_ratio and total > 1024 * 1024:
        what = Message.of(M.XLSX_RATIO, source=repr(source), size=f"{compressed_size / 1024 / 1024:,.1f}",
                          total=f"{total / 1024 / 1024:,.0f}", ratio=f"{ratio:,.0f}",
                          limit=f"{limits.max_xlsx_ratio:,.0f}")  # fmt: skip
        raise limits.exceeded("xlsx_ratio", what)


class Deadline:
    """The wall-clock budget of one read; ``check()`` raises once it is spent, naming what was being done."""

    def __init__(self, source: str, limits: ReadLimits, progress: Progress | None = None) -> None:
        self.source = source
        self.limits = limits
        self.started = time.monotonic()
        self.progress = progress

    def check(self, stage: Message) -> None:
        budget = self.limits.time_budget_s
        if budget is not None and time.monotonic() - self.started > budget:
            what = Message.of(M.TOO_SLOW, source=repr(self.source), budget=f"{budget:g}", stage=stage)
            raise self.limits.exceeded("time_s", what)

    def report(self, fraction: float, stage: Message) -> None:
        self.check(stage)
        if self.progress is not None:
            self.progress(min(max(fraction, 0.0), 1.0), stage)
