"""Suggested column and value mappings for a file."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from analysis.ingest.spec import MappingSpec
from analysis.ingest.synonyms import COLUMN_KEYS, NOT_NEEDED_KEYS, VALUE_SYNONYMS, column_key, value_key
from analysis.ingest.table import RawTable
from analysis.schema import COLUMN_BY_NAME, COLUMNS
from analysis.survdata import FALSE_WORDS, TRUE_WORDS


@dataclass(frozen=True)
class ColumnSuggestion:
    """Why a canonical column was matched to a file column."""

    canonical: str
    source: str
    how: Literal["name", "synonym", "similar"]


@dataclass(frozen=True)
class MappingSuggestion:
    """Suggested mapping for a file, with how each column was matched and which file columns are not needed."""

    spec: MappingSpec
    columns: tuple[ColumnSuggestion, ...]
    not_needed: tuple[tuple[str, str], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "mapping": self.spec.to_dict(),
            "how": {s.canonical: s.how for s in self.columns},
            "not_needed": dict(self.not_needed),
        }


def suggest_columns(file_columns: Sequence[str]) -> tuple[ColumnSuggestion, ...]:
    """Match canonical columns to file columns: exact name, then synonyms, then similar spellings."""
    free = list(file_columns)
    chosen: dict[str, ColumnSuggestion] = {}

    def take(canonical: str, source: str, how: Literal["name", "synonym", "similar"]) -> None:
        chosen[canonical] = ColumnSuggestion(canonical, source, how)
        free.remove(source)

    for column in COLUMNS:
        exact = [s for s in free if s.strip() == column.name]
        if exact:
            take(column.name, exact[0], "name")
    for source in list(free):
        canonical = COLUMN_KEYS.get(column_key(source))
        if canonical is not None and canonical not in chosen:
            take(canonical, source, "name" if column_key(source) == column_key(canonical) else "synonym")
    ascii_keys = [k for k in COLUMN_KEYS if k.isascii() and len(k) >= 4]
    for source in list(free):
        key = column_key(source)
        if len(key) < 4 or not key.isascii():
            continue
        close = difflib.get_close_matches(key, ascii_keys, n=1, cutoff=0.84)
        if close and COLUMN_KEYS[close[0]] not in chosen:
            take(COLUMN_KEYS[close[0]], source, "similar")
    order = {c.name: i for i, c in enumerate(COLUMNS)}
    return tuple(sorted(chosen.values(), key=lambda s: order[s.canonical]))


def suggest_values(column: str, values: Iterable[object]) -> dict[str, str]:
    """Suggested canonical value for each file value of ``column`` that is not already accepted as is."""
    definition = COLUMN_BY_NAME.get(column)
    synonyms = VALUE_SYNONYMS.get(column)
    if definition is None or synonyms is None:
        return {}
    allowed = definition.allowed or ("0", "1")
    accepted = set(allowed) | (set(TRUE_WORDS) | set(FALSE_WORDS) if definition.kind == "bool" else set())
    lookup: dict[str, str] = {}
    for canonical in allowed:
        lookup.setdefault(value_key(canonical), canonical)
    for canonical, spellings in synonyms.items():
        for spelling in spellings:
            lookup.setdefault(value_key(spelling), canonical)
    out: dict[str, str] = {}
    for value in values:
        if value is None:
            continue
        text = str(value)
        if text in accepted or (definition.kind == "bool" and text.lower() in accepted):
            continue
        match = lookup.get(value_key(text))
        if match is not None:
            out[text] = match
    return out


def distinct_values(raw: RawTable, source: str, limit: int = 60) -> tuple[str, ...]:
    """Distinct non-empty texts of a file column, most frequent first (at most ``limit``)."""
    if source not in raw.frame.columns:
        return ()
    counts = raw.frame[source].dropna().astype(str).value_counts(sort=True)
    return tuple(str(v) for v in counts.index[:limit])


def suggest_mapping(raw: RawTable) -> MappingSuggestion:
    """The suggested column and value mapping for a file, keeping its reader choices."""
    columns = suggest_columns([str(c) for c in raw.frame.columns])
    mapped = {s.source for s in columns}
    values = {
        s.canonical: suggest_values(s.canonical, distinct_values(raw, s.source))
        for s in columns
        if s.canonical in VALUE_SYNONYMS
    }
    not_needed = raw.dropped + tuple(
        (str(c), NOT_NEEDED_KEYS[column_key(str(c))])
        for c in raw.frame.columns
        if c not in mapped and column_key(str(c)) in NOT_NEEDED_KEYS
    )
    spec = MappingSpec.build(
        {s.canonical: s.source for s in columns},
        values,
        encoding=None if raw.encoding_detected else raw.encoding,
        sheet=raw.sheet if len(raw.sheets) > 1 else None,
    )
    return MappingSuggestion(spec, columns, not_needed)
