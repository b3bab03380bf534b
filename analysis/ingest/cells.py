"""Cell text and the issues the reader and mapper report (shared by the ingest modules)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from analysis.cohort import Issue

NA_TEXT = frozenset({"", "na", "n/a", "nan", "null", "none.", "#n/a", "#na", "nr"})
"""Cell texts read as empty (case-insensitive). ``none`` is not here: it is a value of pp_therapy."""

MAX_LISTED = 5
"""How many row or column names a message lists before 'and N more'."""


def file_issue(severity: Literal["error", "warning"], column: str | None, message: str, reason: str) -> Issue:
    return Issue(severity, None, None, column, None, message, reason)


def row_issue(
    severity: Literal["error", "warning"], label: int, column: str | None, message: str, reason: str
) -> Issue:
    return Issue(severity, f"row {label + 2}", None, column, None, message, reason)


def list_numbers(numbers: Sequence[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:MAX_LISTED])
    return shown + (f" and {len(numbers) - MAX_LISTED} more" if len(numbers) > MAX_LISTED else "")


def clean_cell(value: str) -> str | None:
    text = value.strip()
    return None if text.casefold() in NA_TEXT else text
