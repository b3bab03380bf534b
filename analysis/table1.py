"""Table 1: baseline characteristics by group, with tests and standardised mean differences.

Conventions:

- **Columns.** "Overall" first, then one column per group (values of the
  grouping column as text, natural order). Patients with no group are excluded
  and counted.
- **Continuous rows** show median [Q1, Q3] by default; quartiles are R's
  default ``quantile(type = 7)``. Variables not named in ``nonnormal`` (when
  it is given) show mean (SD). Median rows are tested with the Wilcoxon
  rank-sum test (two groups; normal approximation with continuity and tie
  corrections, R ``wilcox.test(x ~ g, exact = FALSE)``) or Kruskal–Wallis
  (more groups); mean rows with Welch's t-test (two groups, R ``t.test``) or
  one-way ANOVA (R ``oneway.test(var.equal = TRUE)``).
- **Categorical rows** show n (%) with the percentage of patients whose value
  is recorded; yes/no variables show one "yes" row. They are tested with
  :func:`analysis.response.association_test` (chi-square without continuity
  correction, or Fisher's exact test when an expected count is below 5).
- **Missing values** are counted per column and shown on a "Missing" row
  under the variable whenever any are missing.
- **SMD** (two groups only, as R ``tableone::ExtractSmd``): continuous
  |mean1 - mean2| / sqrt((var1 + var2) / 2); categorical the multi-level SMD of
  Yang & Dalton (2012), sqrt((p1 - p2)' S⁻¹ (p1 - p2)) on the proportions of
  all levels but the first, with S the mean of the two multinomial covariance
  matrices and a generalised inverse as ``MASS::ginv``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from analysis.errors import DataError, UndefinedComparisonError
from analysis.km import encode_groups
from analysis.messages import Message
from analysis.response import NO_TEST, NO_VALUE, association_test, excluded_message, monte_carlo_reason
from analysis.schema import COLUMN_BY_NAME, COLUMNS, column_label
from analysis.survdata import coerce_event, coerce_numeric, require_columns

BASELINE_VARIABLES: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.group == "Baseline")
OVERALL = "Overall"
MISSING_LEVEL = "Missing"
MAX_CATEGORICAL_INTEGERS = 5
"""Whole-number variables with at most this many distinct values (e.g. ECOG 0-4) are shown as categories."""

RowKind = Literal["continuous", "categorical"]
FloatArray = npt.NDArray[np.float64]
Values = tuple[float | None, ...]
_MAX_ROWS_SHOWN = 10
_GINV_TOLERANCE = math.sqrt(float(np.finfo(np.float64).eps))


SUMMARIES: tuple[str, ...] = ("median [IQR]", "mean (SD)", "n (%)")
"""How a row is summarised, the end of its label (the app translates the variable and the summary apart)."""


@dataclass(frozen=True)
class Table1Row:
    """One line of Table 1; ``cells``, ``values`` and ``missing`` have one entry per column (Overall first).

    - Continuous: one row with ``level`` None; ``values`` are (median, Q1, Q3)
      or (mean, SD) per column.
    - Categorical: a header row (``level`` None, empty cells) and one row per
      level with ``values`` (count, percent); yes/no variables have a single
      "yes" row instead.
    - A "Missing" row (``values`` (count,)) follows when any value is missing.

    ``p``, ``test`` and ``smd`` are on the first row of each variable only.
    """

    variable: str
    label: str
    level: str | None
    kind: RowKind
    cells: tuple[str, ...]
    values: tuple[Values, ...]
    missing: tuple[int, ...]
    p: float | None
    test: str | None
    smd: float | None
    single: bool = False
    """A yes/no variable's only row (level "yes"): shown as the variable's line, not as a bare "yes"."""

    @property
    def summary(self) -> str:
        """How the row is summarised: "median [IQR]", "mean (SD)" or "n (%)" (one of :data:`SUMMARIES`)."""
        return next((s for s in SUMMARIES if self.label.endswith(f", {s}")), "")

    @property
    def variable_label(self) -> str:
        """The variable's own label (``label`` is "{variable_label}, {summary}"): the app translates each part."""
        return self.label.removesuffix(f", {self.summary}") if self.summary else self.label

    def to_dict(self) -> dict[str, Any]:
        return {
            "variable": self.variable,
            "label": self.label,
            "level": self.level,
            "kind": self.kind,
            "cells": list(self.cells),
            "values": [list(v) for v in self.values],
            "missing": list(self.missing),
            "p": self.p,
            "test": self.test,
            "smd": self.smd,
            "single": self.single,
        }


@dataclass(frozen=True)
class Table1:
    """Baseline table. ``groups`` and ``n`` are the group columns; ``columns``/``column_n`` add Overall first."""

    grouping: str
    groups: tuple[str, ...]
    n: tuple[int, ...]
    n_overall: int
    rows: tuple[Table1Row, ...]
    n_excluded: int
    notes: tuple[str, ...]
    messages: tuple[Message, ...] = ()
    """The notes as templates and parameters (the app words them in the interface language)."""

    @property
    def columns(self) -> tuple[str, ...]:
        return (OVERALL, *self.groups)

    @property
    def column_n(self) -> tuple[int, ...]:
        return (self.n_overall, *self.n)

    def to_dict(self) -> dict[str, Any]:
        return {
            "grouping": self.grouping,
            "columns": list(self.columns),
            "groups": list(self.groups),
            "n": list(self.n),
            "n_overall": self.n_overall,
            "rows": [r.to_dict() for r in self.rows],
            "n_excluded": self.n_excluded,
            "notes": list(self.notes),
        }


# ----------------------------------------------------------------------------- statistics


def _optional(value: float) -> float | None:
    return None if not math.isfinite(value) else float(value)


def quartiles(values: FloatArray) -> tuple[float | None, float | None, float | None]:
    """Median, Q1 and Q3 as R's ``quantile(x, c(.5, .25, .75))`` (type 7); ``None`` when empty."""
    if values.size == 0:
        return None, None, None
    median, q1, q3 = np.quantile(values, [0.5, 0.25, 0.75], method="linear")
    return float(median), float(q1), float(q3)


def continuous_smd(first: FloatArray, second: FloatArray) -> float | None:
    """|mean1 - mean2| / sqrt((var1 + var2) / 2), sample variances; 0 when both are the same constant."""
    if first.size < 2 or second.size < 2:
        return None
    difference = float(first.mean() - second.mean())
    pooled = (float(first.var(ddof=1)) + float(second.var(ddof=1))) / 2
    if pooled == 0:
        return 0.0 if difference == 0 else None
    return abs(difference) / math.sqrt(pooled)


def categorical_smd(first_counts: Sequence[int], second_counts: Sequence[int]) -> float | None:
    """Yang & Dalton's multi-level SMD from the level counts of two groups (R ``tableone``'s ``StdDiffMulti``)."""
    first = np.asarray(first_counts, dtype=np.float64)
    second = np.asarray(second_counts, dtype=np.float64)
    if first.sum() == 0 or second.sum() == 0:
        return None
    p1 = first / first.sum()
    p2 = second / second.sum()
    if p1.size > 1:
        p1, p2 = p1[1:], p2[1:]
    difference = p1 - p2
    covariance = (_multinomial_covariance(p1) + _multinomial_covariance(p2)) / 2
    if not np.any(covariance):
        return 0.0 if not np.any(difference) else None
    distance = float(difference @ np.linalg.pinv(covariance, rtol=_GINV_TOLERANCE) @ difference)
    return math.sqrt(max(distance, 0.0))


def _multinomial_covariance(p: FloatArray) -> FloatArray:
    covariance: FloatArray = -np.outer(p, p)
    np.fill_diagonal(covariance, p * (1 - p))
    return covariance


def _continuous_test(samples: Sequence[FloatArray], use_median: bool) -> tuple[float | None, str | None]:
    present = [s for s in samples if s.size > 0]
    if len(present) < 2:
        return None, None
    two = len(present) == 2
    try:
        with np.errstate(all="ignore"):
            if use_median and two:
                result = stats.mannwhitneyu(present[0], present[1], use_continuity=True, method="asymptotic")
                return _optional(float(result.pvalue)), "Wilcoxon rank-sum"
            if use_median:
                return _optional(float(stats.kruskal(*present).pvalue)), "Kruskal–Wallis"
            if two:
                return _optional(float(stats.ttest_ind(present[0], present[1], equal_var=False).pvalue)), "Welch t-test"
            return _optional(float(stats.f_oneway(*present).pvalue)), "one-way ANOVA"
    except ValueError:  # e.g. Kruskal–Wallis when every value is identical
        return None, None


# ----------------------------------------------------------------------------- formatting


def _decimals(reference: float | None) -> int:
    size = abs(reference) if reference is not None else 0.0
    return 0 if size >= 100 else 1 if size >= 10 else 2


def _number(value: float | None, decimals: int) -> str:
    return "–" if value is None else f"{value:.{decimals}f}"


def _count_cell(count: int, total: int) -> tuple[str, Values]:
    if total == 0:
        return f"{count} (–)", (float(count), None)
    percent = 100.0 * count / total
    return f"{count} ({percent:.1f}%)", (float(count), percent)


# ----------------------------------------------------------------------------- variables


@dataclass(frozen=True)
class _Context:
    """The included rows split into columns: ``columns[0]`` selects everyone, then one mask per group."""

    columns: tuple[npt.NDArray[np.bool_], ...]
    n_groups: int


def _is_yes_no(values: pd.Series, name: str) -> bool:
    column = COLUMN_BY_NAME.get(name)
    if column is not None:
        return column.kind == "bool"
    if pd.api.types.is_bool_dtype(values):
        return True
    try:
        coded = coerce_event(values, name)
    except DataError:
        return False
    return bool(coded.notna().any())


def _is_continuous(values: pd.Series, name: str, forced: bool) -> bool:
    if forced:
        return True
    column = COLUMN_BY_NAME.get(name)
    if column is not None and column.kind == "float":
        return True
    if column is not None and column.kind == "int" and column.minimum is not None and column.maximum is not None:
        return column.maximum - column.minimum + 1 > MAX_CATEGORICAL_INTEGERS
    if column is not None and column.kind != "int":
        return False
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().sum() < values.notna().sum():  # text present: categorical
        return False
    whole = bool((numeric.dropna() % 1 == 0).all())
    return not (whole and numeric.nunique() <= MAX_CATEGORICAL_INTEGERS)


def _label(name: str, labels: Mapping[str, str]) -> str:
    return labels[name] if name in labels else column_label(name)


def _missing_row(name: str, label: str, kind: RowKind, missing: tuple[int, ...]) -> Table1Row:
    return Table1Row(
        variable=name,
        label=label,
        level=MISSING_LEVEL,
        kind=kind,
        cells=tuple(str(m) for m in missing),
        values=tuple((float(m),) for m in missing),
        missing=missing,
        p=None,
        test=None,
        smd=None,
    )


def _continuous_rows(
    name: str, label: str, raw: pd.Series, context: _Context, use_median: bool
) -> tuple[list[Table1Row], Message | None]:
    numbers = coerce_numeric(raw, name).to_numpy(dtype=np.float64)
    present = ~np.isnan(numbers)
    samples = [numbers[mask & present] for mask in context.columns]
    missing = tuple(int((mask & ~present).sum()) for mask in context.columns)
    if use_median:
        summaries: list[Values] = [quartiles(s) for s in samples]
    else:
        summaries = [
            (float(s.mean()) if s.size else None, float(s.std(ddof=1)) if s.size > 1 else None) for s in samples
        ]
    digits = _decimals(summaries[0][0])
    if use_median:
        cells = tuple(f"{_number(m, digits)} [{_number(a, digits)}, {_number(b, digits)}]" for m, a, b in summaries)
    else:
        cells = tuple(f"{_number(m, digits)} ({_number(sd, digits)})" for m, sd in summaries)
    p, test = _continuous_test(samples[1:], use_median) if context.n_groups > 1 else (None, None)
    smd = continuous_smd(samples[1], samples[2]) if context.n_groups == 2 else None
    suffix = "median [IQR]" if use_median else "mean (SD)"
    rows = [Table1Row(name, f"{label}, {suffix}", None, "continuous", cells, tuple(summaries), missing, p, test, smd)]
    if any(missing):
        rows.append(_missing_row(name, f"{label}, {suffix}", "continuous", missing))
    too_few = Message.of(NO_TEST, column=name, reason="too few values in the groups")
    note = None if p is not None or context.n_groups < 2 else too_few
    return rows, note


def _categorical_levels(raw: pd.Series, name: str, yes_no: bool) -> tuple[npt.NDArray[np.intp], tuple[str, ...]]:
    if yes_no:
        coded = coerce_event(raw, name)
        codes = np.where(coded.isna(), -1, coded.fillna(0).astype(int)).astype(np.intp)
        return codes, ("no", "yes")
    text = raw.where(~raw.astype("string").str.strip().eq("").fillna(False))
    column = COLUMN_BY_NAME.get(name)
    order = list(column.allowed) if column is not None and column.allowed is not None else None
    return encode_groups(text, order)


def _categorical_rows(
    name: str, label: str, raw: pd.Series, context: _Context, yes_no: bool
) -> tuple[list[Table1Row], Message | None]:
    codes, levels = _categorical_levels(raw, name, yes_no)
    counts = np.array(
        [[int(((codes == k) & mask).sum()) for k in range(len(levels))] for mask in context.columns], dtype=np.int64
    )
    missing = tuple(int(((codes < 0) & mask).sum()) for mask in context.columns)
    totals = counts.sum(axis=1)
    p: float | None = None
    test: str | None = None
    note = None
    if context.n_groups > 1:
        try:
            result = association_test(counts[1:])
            p, test = result.p, result.name
            if result.replicates is not None and result.smallest_expected is not None:
                reason = monte_carlo_reason(result.smallest_expected, result.replicates)
                note = Message.of("{label}: {reason}.", label=label, reason=reason)
        except UndefinedComparisonError as error:
            note = Message.of(NO_TEST, column=name, reason=str(error))
    smd = categorical_smd(counts[1], counts[2]) if context.n_groups == 2 else None
    shown = [1] if yes_no else list(range(len(levels)))
    level_rows = []
    for k in shown:
        cells, values = zip(*(_count_cell(int(c[k]), int(t)) for c, t in zip(counts, totals, strict=True)), strict=True)
        level_rows.append(
            Table1Row(name, f"{label}, n (%)", levels[k], "categorical", cells, values, missing, None, None, None)
        )
    empty = tuple("" for _ in context.columns)
    header = Table1Row(
        name, f"{label}, n (%)", None, "categorical", empty, tuple(() for _ in context.columns), missing, p, test, smd
    )
    if yes_no:
        first = level_rows[0]
        label_yes = f"{label}, n (%)"
        rows = [
            Table1Row(name, label_yes, "yes", "categorical", first.cells, first.values, missing, p, test, smd, True)
        ]
    else:
        rows = [header, *level_rows]
    if any(missing):
        rows.append(_missing_row(name, f"{label}, n (%)", "categorical", missing))
    return rows, note


# ----------------------------------------------------------------------------- table


def _included(
    frame: pd.DataFrame, group_col: str, group_order: Sequence[str] | None
) -> tuple[_Context, list[str], int, list[Message]]:
    codes, groups = encode_groups(frame[group_col], group_order)
    keep = codes >= 0
    notes = []
    n_excluded = int((~keep).sum())
    if n_excluded:
        notes.append(excluded_message(NO_VALUE, group_col, list(frame.index[~keep])))
    columns = (keep, *(codes == k for k in range(len(groups))))
    return _Context(columns=columns, n_groups=len(groups)), list(groups), n_excluded, notes


def table_one(
    frame: pd.DataFrame,
    group_col: str,
    variables: Sequence[str] | None = None,
    *,
    nonnormal: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    group_order: Sequence[str] | None = None,
    categorical: Sequence[str] | None = None,
) -> Table1:
    """Baseline characteristics by ``group_col``.

    ``variables`` defaults to the schema's baseline columns present in the frame.
    Continuous variables show median [IQR] unless ``nonnormal`` is given, in
    which case only those named show median [IQR] and the others mean (SD).
    A variable is categorical when the schema says so, when it holds text, or
    when it holds at most 5 distinct whole numbers; ``categorical`` forces it.
    Schema yes/no columns, and other columns coded only 0/1 (or true/false,
    yes/no), are shown as a single row (level "yes", ``single``). ``labels``
    replaces the default label (the data dictionary's, :func:`analysis.schema.column_label`).
    """
    if variables is None:
        variables = [v for v in BASELINE_VARIABLES if v in frame.columns]
    require_columns(frame, dict.fromkeys([group_col, *variables]))
    context, groups, n_excluded, notes = _included(frame, group_col, group_order)
    forced_categorical = set(categorical or ())
    rows: list[Table1Row] = []
    for name in variables:
        if name == group_col:
            continue
        raw = frame[name]
        label = _label(name, labels or {})
        if name not in forced_categorical and _is_continuous(raw, name, forced=name in (nonnormal or ())):
            use_median = nonnormal is None or name in nonnormal
            new_rows, note = _continuous_rows(name, label, raw, context, use_median)
        else:
            new_rows, note = _categorical_rows(name, label, raw, context, yes_no=_is_yes_no(raw, name))
        rows.extend(new_rows)
        if note:
            notes.append(note)
    if len(groups) < 2:
        notes.append(Message.of("Fewer than two groups: no tests and no SMD."))
    elif len(groups) > 2:
        notes.append(Message.of("SMD is shown for two groups only."))
    notes.append(Message.of("Percentages are of patients with a recorded value; quartiles as R quantile(type = 7)."))
    return Table1(
        grouping=group_col,
        groups=tuple(groups),
        n=tuple(int(mask.sum()) for mask in context.columns[1:]),
        n_overall=int(context.columns[0].sum()),
        rows=tuple(rows),
        n_excluded=n_excluded,
        notes=tuple(m.text() for m in notes),
        messages=tuple(notes),
    )
