"""Applying a :class:`MappingSpec`: canonical names, mapped values, ISO dates."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.cohort import Issue
from analysis.ingest import messages as M
from analysis.ingest.cells import file_issue, listed
from analysis.ingest.dates import DateOrderDecision, normalise_dates
from analysis.ingest.endpoints import rebuild_dates
from analysis.ingest.spec import MappingSpec
from analysis.ingest.table import RawTable
from analysis.messages import Message


@dataclass(frozen=True, eq=False)
class MappedTable:
    """The file under canonical names (text cells), with the reader's and the mapper's issues and notes."""

    frame: pd.DataFrame
    issues: tuple[Issue, ...]
    messages: tuple[Message, ...]
    """The reader's and mapper's notes as templates and parameters (:mod:`analysis.ingest.messages`)."""
    date_order: DateOrderDecision | None

    @property
    def notes(self) -> tuple[str, ...]:
        """The notes in English (what ``ppx validate`` prints)."""
        return tuple(m.text() for m in self.messages)


def _mapped_column(raw: RawTable, canonical: str, source: str, spec: MappingSpec) -> pd.Series:
    values = raw.frame[source]
    mapping = spec.value_map(canonical)
    if mapping:
        values = values.map(lambda v: mapping.get(v, v) if isinstance(v, str) else v)
    return values.astype(object)


def apply_mapping(raw: RawTable, spec: MappingSpec) -> MappedTable:
    """The file under canonical names with values mapped and dates normalised to ISO text.

    Unmapped file columns are dropped unless ``spec.keep_unmapped``. A mapping
    naming a column the file lacks gives a warning (the column counts as
    missing). Cells that cannot be normalised stay as they are, so the
    validator reports them with its own message.
    """
    issues: list[Issue] = list(raw.issues)
    notes: list[Message] = list(raw.messages)
    data: dict[str, pd.Series] = {}
    used: dict[str, str] = {}
    for canonical, source in spec.columns:
        if source not in raw.frame.columns:
            message = Message.of(M.MAPPED_NOT_IN_FILE, source=repr(source), canonical=canonical)
            issues.append(file_issue("warning", canonical, message, "mapped column not in file"))
            continue
        if source in used:
            message = Message.of(M.MAPPED_TWICE, source=repr(source), first=used[source], second=canonical)
            issues.append(file_issue("warning", canonical, message, "column mapped twice"))
        used[source] = canonical
        data[canonical] = _mapped_column(raw, canonical, source, spec)
    unmapped = [str(c) for c in raw.frame.columns if c not in used]
    if spec.keep_unmapped:
        data.update({name: raw.frame[name] for name in unmapped})
    frame = pd.DataFrame(data, index=raw.frame.index)  # built at once: no column-by-column inserts
    if unmapped and not spec.keep_unmapped:
        notes.append(Message.of(M.NOTE_UNMAPPED, n=len(unmapped), shown=listed([repr(n) for n in unmapped])))
    decision = normalise_dates(frame, spec.date_order, issues, notes)
    rebuild_dates(frame, issues, notes)
    return MappedTable(frame, tuple(issues), tuple(notes), decision)
