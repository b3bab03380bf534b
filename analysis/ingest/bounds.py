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

Progress = Callable[[float, str], None]
"""Called with (fraction done 0-1, what is happening) while a file is read and validated."""

BOUND_NAMES: tuple[str, ...] = ("rows", "columns", "cell_chars", "xlsx_mb", "xlsx_ratio", "time_s")

DEFAULT_HINTS: dict[str, str] = {
    "rows": "split the file, or raise the limit (ppx validate --max-rows N; on the server PPX_MAX_UPLOAD_ROWS)",
    "columns": "remove the columns you do not need, or raise the limit (ppx validate --max-columns N; on the "
    "server PPX_MAX_UPLOAD_COLUMNS)",
    "cell_chars": "shorten the cell, or raise the limit (ppx validate --max-cell-chars N; on the server "
    "PPX_MAX_CELL_CHARS)",
    "xlsx_mb": "save the sheet as CSV UTF-8, or raise the limit (ppx validate --max-xlsx-mb N; on the server "
    "PPX_MAX_XLSX_MB)",
    "xlsx_ratio": "save the sheet as CSV UTF-8, or raise the limit (ppx validate --max-xlsx-ratio N; on the server "
    "PPX_MAX_XLSX_RATIO)",
    "time_s": "save it as CSV UTF-8 or split it, or raise the budget (ppx validate --time-budget S; on the server "
    "PPX_READ_BUDGET_S)",
}


@dataclass(frozen=True)
class ReadLimits:
    """How far the reader goes. ``None`` for rows or time means no bound; ``hints`` say how to lift each bound."""

    max_rows: int | None = DEFAULT_MAX_ROWS
    max_columns: int = DEFAULT_MAX_COLUMNS
    max_cell_chars: int = DEFAULT_MAX_CELL_CHARS
    max_xlsx_mb: float = DEFAULT_MAX_XLSX_MB
    max_xlsx_ratio: float = DEFAULT_MAX_XLSX_RATIO
    time_budget_s: float | None = DEFAULT_TIME_BUDGET_S
    hints: tuple[tuple[str, str], ...] = field(default_factory=lambda: tuple(DEFAULT_HINTS.items()))

    def hint(self, bound: str) -> str:
        return dict(self.hints).get(bound, DEFAULT_HINTS[bound])

    def exceeded(self, bound: str, what: str) -> DataError:
        """``{what}; {how to lift it}`` as a DataError."""
        return DataError(f"{what}; {self.hint(bound)}")


def too_many_rows(source: str, limits: ReadLimits, max_rows: int) -> DataError:
    return limits.exceeded("rows", f"file {source!r} has more than {max_rows:,} data rows, the upload limit")


def check_columns(source: str, n_columns: int, limits: ReadLimits) -> None:
    if n_columns > limits.max_columns:
        raise limits.exceeded(
            "columns", f"file {source!r} has {n_columns:,} columns, more than the limit of {limits.max_columns:,}"
        )


def long_cell(source: str, where: str, length: int, limits: ReadLimits) -> DataError:
    return limits.exceeded(
        "cell_chars",
        f"file {source!r}: {where} holds {length:,} characters, more than the limit of {limits.max_cell_chars:,} "
        "for one cell",
    )


def check_zip_directory(archive: zipfile.ZipFile, source: str, compressed_size: int, limits: ReadLimits) -> None:
    """The members' declared sizes, before anything is decompressed: total size and compression ratio."""
    total = sum(member.file_size for member in archive.infolist())
    limit = limits.max_xlsx_mb * 1024 * 1024
    if total > limit:
        raise limits.exceeded(
            "xlsx_mb",
            f"workbook {source!r} decompresses to {total / 1024 / 1024:,.0f} MB, more than the limit of "
            f"{limits.max_xlsx_mb:,.0f} MB",
        )
    ratio = total / max(compressed_size, 1)
    if ratio > limits.max_xlsx_ratio and total > 1024 * 1024:
        raise limits.exceeded(
            "xlsx_ratio",
            f"workbook {source!r} is {compressed_size / 1024 / 1024:,.1f} MB but decompresses to "
            f"{total / 1024 / 1024:,.0f} MB ({ratio:,.0f} times), more than the limit of "
            f"{limits.max_xlsx_ratio:,.0f} times",
        )


class Deadline:
    """The wall-clock budget of one read; ``check()`` raises once it is spent, naming what was being done."""

    def __init__(self, source: str, limits: ReadLimits, progress: Progress | None = None) -> None:
        self.source = source
        self.limits = limits
        self.started = time.monotonic()
        self.progress = progress

    def check(self, stage: str) -> None:
        budget = self.limits.time_budget_s
        if budget is not None and time.monotonic() - self.started > budget:
            raise self.limits.exceeded(
                "time_s", f"reading {self.source!r} took longer than the {budget:g} s budget (while {stage})"
            )

    def report(self, fraction: float, text: str) -> None:
        self.check(text)
        if self.progress is not None:
            self.progress(min(max(fraction, 0.0), 1.0), text)
