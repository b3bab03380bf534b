"""The file read as text cells (:class:`RawTable`) and the row placement shared by the CSV and XLSX readers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from analysis.cohort import Issue
from analysis.errors import DataError
from analysis.ingest.cells import clean_cell, file_issue, row_issue
from analysis.ingest.encodings import ENCODINGS

DEFAULT_MAX_ROWS = 200_000
"""Largest number of data rows an upload may have (the Data page passes its configured value)."""


@dataclass(frozen=True, eq=False)
class RawTable:
    """A file read as text cells, before any mapping.

    ``frame`` has one object column per file column (None where empty) and an
    index of 0-based data-row labels such that ``label + 2`` is the
    spreadsheet row (header is row 1; a header lower down shifts the labels,
    so row numbers are always the file's). ``rejected`` holds rows the reader
    could not place (label, cells), excluded and reported in ``issues``.
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
    notes: tuple[str, ...] = ()
    rejected: tuple[tuple[int, tuple[str, ...]], ...] = ()

    @property
    def encoding_label(self) -> str | None:
        return None if self.encoding is None else ENCODINGS.get(self.encoding, self.encoding)

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


DELIMITER_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}


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
            message = (
                f"column {name!r} appears more than once; the repeat (column {position + 1}) is read as "
                f"{new_name!r}: check that the mapping uses the right one"
            )
            issues.append(file_issue("warning", name, message, "repeated column"))
        else:
            seen[name] = 1
    return names, issues


def too_many_rows(source: str, max_rows: int) -> DataError:
    return DataError(
        f"file {source!r} has more than {max_rows:,} data rows, the upload limit; split it, or use the "
        "command line (ppx validate), which has no row limit"
    )


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
        message = (
            f"the row has {len(fields)} fields but the header has {width}; the cells cannot be placed "
            "(a delimiter or quote inside a value?), so the row is excluded"
        )
        rows.issues.append(row_issue("error", label, None, message, "ragged row"))
        rows.rejected.append((label, tuple(fields)))
        return
    if len(fields) < width:
        message = f"the row has {len(fields)} fields but the header has {width}; the missing cells are empty"
        rows.issues.append(row_issue("warning", label, None, message, "short row"))
        cleaned += [None] * (width - len(fields))
    rows.labels.append(label)
    rows.cells.append(cleaned[:width])
