"""Sparse levels of categorical covariates: flag them, and merge them into the adjacent level when asked.

A level with fewer than :data:`MIN_PATIENTS` patients or fewer than :data:`MIN_EVENTS`
events gives an unstable hazard ratio (one patient's death can make ALBI grade 3 look
80 times as dangerous). The Cox page flags such levels in the univariate screen and
the multivariable model; "merge sparse levels" merges each into its neighbour in the
level order (the schema's order, else natural order): into the level before it, or
after it when it is the first. Merging repeats until no level is sparse or only two
levels remain (a yes/no covariate is never merged away), and each merge is stated.
Counts are over the rows used for the endpoint (time and event present).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from analysis.km import encode_groups
from analysis.schema import COLUMN_BY_NAME
from analysis.survdata import coerce_event

MIN_PATIENTS = 5
MIN_EVENTS = 2


@dataclass(frozen=True)
class SparseLevel:
    """A level with fewer than 5 patients or 2 events among the rows used."""

    covariate: str
    level: str
    n: int
    events: int

    def describe(self, label: str | None = None) -> str:
        patients = "patient" if self.n == 1 else "patients"
        events = "event" if self.events == 1 else "events"
        return f"{label or self.covariate} {self.level}: {self.n} {patients}, {self.events} {events}"


@dataclass(frozen=True)
class Merge:
    """``level`` (sparse) merged into ``into``; ``merged`` is the new level's name."""

    covariate: str
    level: str
    into: str
    merged: str
    n: int
    events: int

    def describe(self, label: str | None = None) -> str:
        patients = "patient" if self.n == 1 else "patients"
        events = "event" if self.events == 1 else "events"
        return (
            f"{label or self.covariate}: {self.level} ({self.n} {patients}, {self.events} {events}) merged into "
            f"{self.into} (now {self.merged})"
        )


def _is_categorical(frame: pd.DataFrame, covariate: str, categorical: Sequence[str]) -> bool:
    column = COLUMN_BY_NAME.get(covariate)
    if covariate in categorical or (column is not None and column.kind in ("category", "bool")):
        return True
    values = frame[covariate]
    return not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)


def _text(values: pd.Series) -> pd.Series:
    text: pd.Series = values.astype("string").str.replace(r"\.0$", "", regex=True).astype(object)
    text[values.isna()] = None
    return text


def _order(values: pd.Series, covariate: str) -> list[str]:
    column = COLUMN_BY_NAME.get(covariate)
    present = [str(v) for v in pd.unique(values.dropna())]
    known = list(column.allowed) if column is not None and column.allowed is not None else None
    if known is not None:
        return [v for v in known if v in present] + sorted(set(present) - set(known))
    _, labels = encode_groups(values.dropna())
    return list(labels)


def _counts(values: pd.Series, events: pd.Series, order: Sequence[str]) -> dict[str, tuple[int, int]]:
    return {level: (int((values == level).sum()), int(events[values == level].sum())) for level in order}


def _used(frame: pd.DataFrame, time_col: str, event_col: str) -> tuple[pd.DataFrame, pd.Series]:
    rows = frame[frame[time_col].notna() & frame[event_col].notna()]
    return rows, coerce_event(rows[event_col], event_col).fillna(0.0)


def sparse_levels(
    frame: pd.DataFrame, time_col: str, event_col: str, covariates: Sequence[str], *, categorical: Sequence[str] = ()
) -> tuple[SparseLevel, ...]:
    """Every level of the categorical covariates with fewer than 5 patients or 2 events (rows with the endpoint)."""
    rows, events = _used(frame, time_col, event_col)
    found: list[SparseLevel] = []
    for covariate in covariates:
        if covariate not in rows.columns or not _is_categorical(rows, covariate, categorical):
            continue
        values = _text(rows[covariate])
        for level, (n, d) in _counts(values, events, _order(values, covariate)).items():
            if n < MIN_PATIENTS or d < MIN_EVENTS:
                found.append(SparseLevel(covariate, level, n, d))
    return tuple(found)


def merge_sparse_levels(
    frame: pd.DataFrame, time_col: str, event_col: str, covariates: Sequence[str], *, categorical: Sequence[str] = ()
) -> tuple[pd.DataFrame, tuple[Merge, ...]]:
    """The frame with each sparse level merged into its neighbour (as text levels), and the merges made."""
    rows, events = _used(frame, time_col, event_col)
    out = frame.copy()
    merges: list[Merge] = []
    for covariate in covariates:
        if covariate not in rows.columns or not _is_categorical(rows, covariate, categorical):
            continue
        values = _text(rows[covariate])
        order = _order(values, covariate)
        if len(order) <= 2:
            continue
        mapping = {level: level for level in order}
        counts = _counts(values, events, order)
        while len(order) > 2:
            sparse = [lv for lv in order if counts[lv][0] < MIN_PATIENTS or counts[lv][1] < MIN_EVENTS]
            if not sparse:
                break
            level = min(sparse, key=lambda lv: counts[lv])  # the sparsest first
            i = order.index(level)
            into = order[i - 1] if i > 0 else order[i + 1]
            first, second = (into, level) if i > 0 else (level, into)
            merged = f"{first}+{second}"
            merges.append(Merge(covariate, level, into, merged, *counts[level]))
            n, d = counts.pop(level)
            n2, d2 = counts.pop(into)
            counts[merged] = (n + n2, d + d2)
            order[min(i, order.index(into))] = merged
            order.remove(level if i > 0 else into)
            mapping = {k: (merged if v in (level, into) else v) for k, v in mapping.items()}
        if any(k != v for k, v in mapping.items()):
            column = _text(out[covariate])
            out[covariate] = column.where(column.isna(), column.replace(mapping))
    return out, tuple(merges)
