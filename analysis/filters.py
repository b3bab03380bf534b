"""Global subgroup filters: one frozen, normalised spec, its URL encoding, and the patient flow.

A :class:`FilterSpec` is hashable and normalised (sorted, de-duplicated
tuples), so equal subgroups give equal cache keys whatever order the user
clicked in. ``to_query``/``parse_query`` round-trip it through the URL query
string; invalid parts are dropped and reported, never raised at a user.

:func:`apply_filters` applies the steps in a fixed order and records how many
patients each step keeps (the patient flow on the Cohort page). A patient with
a missing value in a filtered column is excluded by that step.

``progressed`` (any/yes/no) and ``response`` (best response codes) let a
click on the treatment-sequence diagram become a filter.

Post-progression filter (``pp``): ``any``; ``none`` (no post-progression
therapy, including patients who never progressed); ``received`` (any
therapy); or a class from :data:`analysis.schema.PP_CLASSES`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pandas as pd

from analysis.schema import (
    ALBI_GRADES,
    BCLC_STAGES,
    CHILD_PUGH_CLASSES,
    ECOG_VALUES,
    ETIOLOGIES,
    FIRST_LINE_DRUGS,
    PP_CLASSES,
    RESPONSES,
)

PP_CHOICES: tuple[str, ...] = ("any", "none", "received", *(c for c in PP_CLASSES if c != "none"))
ICI_CHOICES: tuple[str, ...] = ("any", "yes", "no")

_MULTI_ALLOWED: dict[str, tuple[str, ...] | None] = {
    "first_line": FIRST_LINE_DRUGS,
    "bclc": BCLC_STAGES,
    "child_pugh": CHILD_PUGH_CLASSES,
    "albi": ALBI_GRADES,
    "etiology": ETIOLOGIES,
    "center": None,  # any text
    "response": RESPONSES,
}
_COLUMN_OF: dict[str, str] = {
    "first_line": "first_line",
    "bclc": "bclc",
    "child_pugh": "child_pugh_class",
    "albi": "albi_grade",
    "etiology": "etiology",
    "ecog": "ecog",
    "center": "center",
    "response": "best_response",
}
_LABEL_OF: dict[str, str] = {
    "first_line": "first-line drug",
    "pp": "post-progression therapy",
    "ici": "ICI after progression",
    "bclc": "BCLC stage",
    "child_pugh": "Child-Pugh class",
    "albi": "ALBI grade",
    "etiology": "etiology",
    "ecog": "ECOG PS",
    "center": "centre",
    "start_year": "first-line start year",
    "age": "age",
    "response": "best response",
    "progressed": "progressed",
}


def _text_tuple(values: Iterable[object]) -> tuple[str, ...]:
    return tuple(sorted({str(v) for v in values if str(v) != ""}))


@dataclass(frozen=True)
class FilterSpec:
    """A normalised subgroup definition. Empty tuples and ``None`` ranges mean "no restriction"."""

    first_line: tuple[str, ...] = ()
    pp: str = "any"
    ici: str = "any"
    bclc: tuple[str, ...] = ()
    child_pugh: tuple[str, ...] = ()
    albi: tuple[str, ...] = ()
    etiology: tuple[str, ...] = ()
    ecog: tuple[int, ...] = ()
    center: tuple[str, ...] = ()
    start_year: tuple[int, int] | None = None
    age: tuple[float, float] | None = None
    response: tuple[str, ...] = ()
    progressed: str = "any"

    # ------------------------------------------------------------------ construction

    @classmethod
    def create(
        cls,
        *,
        first_line: Iterable[str] = (),
        pp: str = "any",
        ici: str = "any",
        bclc: Iterable[str] = (),
        child_pugh: Iterable[str] = (),
        albi: Iterable[str] = (),
        etiology: Iterable[str] = (),
        ecog: Iterable[int] = (),
        center: Iterable[str] = (),
        start_year: tuple[int, int] | None = None,
        age: tuple[float, float] | None = None,
        response: Iterable[str] = (),
        progressed: str = "any",
    ) -> FilterSpec:
        """Build a normalised spec; raises ``ValueError`` naming the filter for an invalid value."""
        if pp not in PP_CHOICES:
            raise ValueError(f"post-progression filter must be one of {', '.join(PP_CHOICES)}; got {pp!r}")
        if ici not in ICI_CHOICES:
            raise ValueError(f"ICI filter must be one of {', '.join(ICI_CHOICES)}; got {ici!r}")
        if progressed not in ICI_CHOICES:
            raise ValueError(f"progression filter must be one of {', '.join(ICI_CHOICES)}; got {progressed!r}")
        multi = {
            "first_line": _text_tuple(first_line),
            "bclc": _text_tuple(bclc),
            "child_pugh": _text_tuple(child_pugh),
            "albi": _text_tuple(albi),
            "etiology": _text_tuple(etiology),
            "center": _text_tuple(center),
            "response": _text_tuple(response),
        }
        for name, values in multi.items():
            allowed = _MULTI_ALLOWED[name]
            bad = [v for v in values if allowed is not None and v not in allowed]
            if bad:
                raise ValueError(f"{_LABEL_OF[name]} filter: unknown value(s) {', '.join(map(repr, bad))}")
        ecog_values = tuple(sorted({int(e) for e in ecog}))
        if any(e not in ECOG_VALUES for e in ecog_values):
            raise ValueError(f"ECOG filter values must be 0-4; got {ecog_values}")
        return cls(
            pp=pp,
            ici=ici,
            progressed=progressed,
            ecog=ecog_values,
            start_year=_range(start_year, "first-line start year", int),
            age=_range(age, "age", float),
            **multi,
        )

    @property
    def is_empty(self) -> bool:
        return self == FilterSpec()

    # ------------------------------------------------------------------ URL encoding

    def to_query(self) -> str:
        """Canonical query string (no leading '?'); only restricting filters appear."""
        pairs: list[tuple[str, str]] = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value == f.default:
                continue
            if f.name in ("start_year", "age"):
                pairs.append((f.name, f"{value[0]:g}-{value[1]:g}"))
            elif isinstance(value, tuple):
                pairs.append((f.name, ",".join(str(v) for v in value)))
            else:
                pairs.append((f.name, str(value)))
        return urlencode(pairs, safe=",-")

    @classmethod
    def parse_query(cls, query: str) -> tuple[FilterSpec, tuple[str, ...]]:
        """Parse a query string; unknown keys are ignored, invalid filter values dropped and reported."""
        names = {f.name for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        dropped: list[str] = []
        for key, text in parse_qsl(query.lstrip("?"), keep_blank_values=False):
            if key not in names:
                continue
            try:
                candidate = {**kwargs, key: _parse_value(key, text)}
                cls.create(**candidate)
            except ValueError as exc:
                dropped.append(f"{key}={text} ({exc})")
                continue
            kwargs = candidate
        return cls.create(**kwargs), tuple(dropped)

    # ------------------------------------------------------------------ description

    def terms(self) -> tuple[FilterTerm, ...]:
        """The restricting filters, in field order, as codes and English values (the app words them)."""
        out: list[FilterTerm] = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value == f.default:
                continue
            if f.name in ("start_year", "age"):
                values: tuple[str, ...] = (f"{value[0]:g}–{value[1]:g}",)
            elif isinstance(value, tuple):
                values = tuple(str(v) for v in value)
            else:
                values = (str(value),)
            out.append(FilterTerm(f.name, _LABEL_OF[f.name], _COLUMN_OF.get(f.name), values))
        return tuple(out)

    def describe(self) -> str:
        """Plain-words summary, e.g. ``first-line drug: lenvatinib; BCLC stage: C``; "all patients" if empty."""
        parts = [f"{term.label}: {', '.join(term.values)}" for term in self.terms()]
        return "; ".join(parts) if parts else "all patients"

    def without(self, name: str) -> FilterSpec:
        """The same spec with one filter reset to "no restriction"."""
        default: Any = getattr(FilterSpec(), name)
        return replace(self, **{name: default})


def _range(value: tuple[float, float] | None, label: str, cast: Callable[[Any], Any]) -> Any:
    if value is None:
        return None
    if len(value) != 2:
        raise ValueError(f"{label} range needs two values")
    low, high = cast(value[0]), cast(value[1])
    if low > high:
        raise ValueError(f"{label} range is reversed: {low}–{high}")
    return (low, high)


def _parse_value(key: str, text: str) -> Any:
    if key in ("pp", "ici", "progressed"):
        return text
    if key in ("start_year", "age"):
        low, sep, high = text.partition("-")
        if not sep:
            raise ValueError(f"{_LABEL_OF[key]} range must look like LOW-HIGH")
        try:
            return (float(low), float(high))
        except ValueError as exc:
            raise ValueError(f"{_LABEL_OF[key]} range must be numbers") from exc
    items = [item for item in text.split(",") if item]
    if key == "ecog":
        try:
            return tuple(int(item) for item in items)
        except ValueError as exc:
            raise ValueError("ECOG values must be whole numbers") from exc
    return tuple(items)


# ---------------------------------------------------------------------------- applying


@dataclass(frozen=True)
class FilterTerm:
    """One restricting filter: its URL key, English label, data column (None for derived ones) and values."""

    key: str
    label: str
    column: str | None
    values: tuple[str, ...]


@dataclass(frozen=True)
class FilterStep:
    """One step of the patient flow: ``n_before`` patients, ``n_after`` kept by ``label`` (``term``, in codes)."""

    label: str
    n_before: int
    n_after: int
    term: FilterTerm | None = None

    @property
    def excluded(self) -> int:
        return self.n_before - self.n_after

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "n_before": self.n_before, "n_after": self.n_after, "excluded": self.excluded}


@dataclass(frozen=True, eq=False)
class FilterResult:
    """The filtered cohort and the flow of patients through each restricting filter."""

    frame: pd.DataFrame
    spec: FilterSpec
    steps: tuple[FilterStep, ...] = field(default=())
    n_total: int = 0

    @property
    def n(self) -> int:
        return len(self.frame)


def _mask(frame: pd.DataFrame, name: str, value: Any) -> pd.Series:
    if name == "pp":
        if value == "none":
            return frame["pp_received"] == 0
        if value == "received":
            return frame["pp_received"] == 1
        same_class: pd.Series = frame["pp_class"] == value
        return same_class
    if name == "ici":
        return frame["pp_ici"] == (1 if value == "yes" else 0)
    if name == "progressed":
        progressed: pd.Series = frame["progression_date"].notna() == (value == "yes")
        return progressed
    if name == "start_year":
        year = pd.to_datetime(frame["first_line_start"]).dt.year
        return year.between(value[0], value[1])
    if name == "age":
        return frame["age"].astype("float64").between(value[0], value[1])
    column = frame[_COLUMN_OF[name]]
    if name == "ecog":
        return column.astype("float64").isin([float(v) for v in value])
    keep: pd.Series = column.astype("string").isin(list(value)).fillna(False).astype(bool)
    return keep


def apply_filters(frame: pd.DataFrame, spec: FilterSpec) -> FilterResult:
    """Apply ``spec`` to a validated cohort frame, step by step in field order."""
    current = frame
    steps: list[FilterStep] = []
    for f in fields(spec):
        value = getattr(spec, f.name)
        if value == f.default:
            continue
        before = len(current)
        current = current[_mask(current, f.name, value).to_numpy(dtype=bool)]
        single = FilterSpec.create(**{f.name: value})
        term = single.terms()[0]
        steps.append(FilterStep(label=single.describe(), n_before=before, n_after=len(current), term=term))
    return FilterResult(frame=current, spec=spec, steps=tuple(steps), n_total=len(frame))


def filter_options(frame: pd.DataFrame) -> Mapping[str, tuple[str, ...]]:
    """Levels present in the cohort for the multi-choice filters (e.g. the centres of an uploaded file)."""
    out: dict[str, tuple[str, ...]] = {}
    for name, column in _COLUMN_OF.items():
        if column in frame.columns:
            values = frame[column].dropna()
            if name == "ecog":
                out[name] = tuple(str(int(v)) for v in sorted(values.astype("float64").unique()))
            else:
                out[name] = tuple(sorted(values.astype(str).unique()))
    return out
