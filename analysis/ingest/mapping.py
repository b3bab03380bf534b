"""Applying a :class:`MappingSpec`: canonical names, mapped values, ISO dates."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.cohort import Issue
from analysis.ingest.cells import MAX_LISTED, file_issue
from analysis.ingest.dates import DateOrderDecision, normalise_dates
from analysis.ingest.endpoints import rebuild_dates
from analysis.ingest.spec import MappingSpec
from analysis.ingest.table import RawTable


@dataclass(frozen=True, eq=False)
class MappedTable:
    """The file under canonical names (text cells), with the reader's and the mapper's issues and notes."""

    frame: pd.DataFrame
    issues: tuple[Issue, ...]
    notes: tuple[str, ...]
    date_order: DateOrderDecision | None


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
    notes: list[str] = list(raw.notes)
    data: dict[str, pd.Series] = {}
    used: dict[str, str] = {}
    for canonical, source in spec.columns:
        if source not in raw.frame.columns:
            message = f"the mapping uses column {source!r} for {canonical}, but the file has no such column"
            issues.append(file_issue("warning", canonical, message, "mapped column not in file"))
            continue
        if source in used:
            message = f"column {source!r} is mapped to both {used[source]} and {canonical}"
            issues.append(file_issue("warning", canonical, message, "column mapped twice"))
        used[source] = canonical
        data[canonical] = _mapped_column(raw, canonical, source, spec)
    unmapped = [str(c) for c in raw.frame.columns if c not in used]
    if spec.keep_unmapped:
        data.update({name: raw.frame[name] for name in unmapped})
    frame = pd.DataFrame(data, index=raw.frame.index)  # built at once: no column-by-column inserts
    if unmapped and not spec.keep_unmapped:
        shown = ", ".join(repr(n) for n in unmapped[:MAX_LISTED])
        more = f" and {len(unmapped) - MAX_LISTED} more" if len(unmapped) > MAX_LISTED else ""
        notes.append(f"{len(unmapped)} file column(s) not mapped and not kept: {shown}{more}")
    decision = normalise_dates(frame, spec.date_order, issues, notes)
    rebuild_dates(frame, issues, notes)
    return MappedTable(frame, tuple(issues), tuple(notes), decision)
