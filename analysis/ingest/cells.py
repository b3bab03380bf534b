"""Cell text and the issues the reader and mapper report (shared by the ingest modules)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from analysis.cohort import Issue
from analysis.ingest import messages as M
from analysis.messages import Message, Param

NA_TEXT = frozenset({"", "na", "n/a", "nan", "null", "none.", "#n/a", "#na", "nr"})
"""Cell texts read as empty (case-insensitive). ``none`` is not here: it is a value of pp_therapy."""

MAX_LISTED = 5
"""How many row or column names a message lists before 'and N more'."""


def file_issue(severity: Literal["error", "warning"], column: str | None, message: Message, reason: str) -> Issue:
    """A file-level issue worded by ``message``; ``reason`` is a template without parameters (:mod:`.messages`)."""
    return Issue(severity, None, None, column, None, message.text(), reason, message, Message(reason))


def row_issue(
    severity: Literal["error", "warning"], label: int, column: str | None, message: Message, reason: str
) -> Issue:
    return Issue(severity, f"row {label + 2}", None, column, None, message.text(), reason, message, Message(reason))


def listed(items: Sequence[str]) -> Param:
    """The first :data:`MAX_LISTED` items, comma-separated, with "and N more" (a message) when there are more."""
    shown = ", ".join(items[:MAX_LISTED])
    return Message.of(M.AND_MORE, shown=shown, more=len(items) - MAX_LISTED) if len(items) > MAX_LISTED else shown


def list_numbers(numbers: Sequence[int]) -> Param:
    return listed([str(n) for n in numbers])


def clean_cell(value: str) -> str | None:
    text = value.strip()
    return None if text.casefold() in NA_TEXT else text
