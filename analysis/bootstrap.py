"""Stratified bootstrap confidence intervals for Kaplan–Meier summaries and their differences.

Patients are resampled with replacement *within* each group (so group sizes
stay fixed), and in every resample the Kaplan–Meier median, the survival at the
requested times and the restricted mean survival time (RMST) up to ``tau`` are
recomputed per group, together with the differences of each group from the
first (reference) group. Intervals are percentile intervals (the
``inverted_cdf`` quantile, i.e. an actual resample value); the bootstrap
standard error is the standard deviation of the finite resample values.

Conventions
-----------
- The point estimates are those of :func:`analysis.km.km_by_group` (R's
  ``survfit``/``print.survfit``/``survmean`` rules): the same median rule, the
  same survival at a time (``None`` beyond the last follow-up) and the same RMST.
- ``tau`` defaults to the smallest of the groups' largest follow-up times, as
  R's ``survRM2::rmst2``.
- A median *not reached* (NR) in a resample is counted and ordered above every
  reached median (as +infinity); it is never dropped. If more than
  ``(1 - level) / 2`` of the resamples are NR, the upper bound is NR (``None``),
  and a note says how many. A median difference is +infinity when only the
  compared group is NR, -infinity when only the reference is NR, and undefined
  when both are; survival beyond a resample's last follow-up is undefined too.
  Undefined resamples are counted in a note and left out of that interval; if
  there are more than ``(1 - level) / 2`` of them, the interval is ``None``.

Everything is vectorised over a chunk of resamples: the resampled patients are
an index array of shape (chunk, n), counts at the group's distinct times come
from one ``np.bincount`` per chunk, and the curves from ``cumprod`` along the
rows. There is no per-resample Python loop.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.errors import DataError, EmptyGroupError, PPXError
from analysis.km import _R_TOLERANCE, _requested_times, encode_groups
from analysis.messages import Message
from analysis.survdata import survival_data

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
Interval = tuple[float | None, float | None]

DEFAULT_TIMES: tuple[float, ...] = (6.0, 12.0, 24.0)
SMALL_GROUP = 10
"""Below this many patients in a group the bootstrap is unreliable (a note says so)."""
_CELLS_PER_CHUNK = 4_000_000
"""Upper bound on resamples x distinct times held in memory at once."""


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class BootEstimate:
    """A point estimate with its bootstrap percentile CI and SE.

    ``estimate`` and CI bounds are ``None`` when not reached / undefined.
    ``n_not_reached`` counts resamples whose value was infinite (a median not
    reached, or a difference with one median not reached); ``n_undefined``
    counts resamples where the statistic had no value (left out of the CI).
    """

    estimate: float | None
    ci: Interval
    std_err: float | None
    n_not_reached: int
    n_undefined: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "estimate": self.estimate,
            "ci": list(self.ci),
            "std_err": self.std_err,
            "n_not_reached": self.n_not_reached,
            "n_undefined": self.n_undefined,
        }


@dataclass(frozen=True)
class BootAt:
    """A survival (or survival difference) at one time."""

    time: float
    value: BootEstimate

    def to_dict(self) -> dict[str, Any]:
        return {"time": self.time, **self.value.to_dict()}


@dataclass(frozen=True)
class BootGroup:
    """Bootstrap summaries of one group."""

    label: str
    n: int
    events: int
    median: BootEstimate
    survival: tuple[BootAt, ...]
    rmst: BootEstimate

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "n": self.n,
            "events": self.events,
            "median": self.median.to_dict(),
            "survival": [s.to_dict() for s in self.survival],
            "rmst": self.rmst.to_dict(),
        }


@dataclass(frozen=True)
class BootDifference:
    """Differences ``group - reference`` of the median, survival at times and RMST."""

    group: str
    reference: str
    median: BootEstimate
    survival: tuple[BootAt, ...]
    rmst: BootEstimate

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "reference": self.reference,
            "median": self.median.to_dict(),
            "survival": [s.to_dict() for s in self.survival],
            "rmst": self.rmst.to_dict(),
        }


# The notes of a bootstrap, each a template (analysis.messages; the app words them, a group by its label): what an
# estimate is, why a resample's estimate is undefined, and the notes themselves.
WHAT_MEDIAN = "{group} median"
WHAT_SURVIVAL = "{group} survival at {time}"
WHAT_RMST = "{group} RMST"
WHAT_MEDIAN_DIFFERENCE = "{group} vs {reference} median difference"
WHAT_SURVIVAL_DIFFERENCE = "{group} vs {reference} survival difference at {time}"
WHAT_RMST_DIFFERENCE = "{group} vs {reference} RMST difference"
RMST_DIFFERENCE = "RMST difference"
BEYOND_FOLLOW_UP = "beyond the resample's last follow-up"
BOTH_NOT_REACHED = "both medians not reached"
UNDEFINED_IN = "{what}: undefined ({why}) in {n} of {total} resamples ({percent}%)."
NOT_REACHED_NR = "{what}: median not reached in {n} of {total} resamples ({percent}%); the CI bound beyond them is NR."
NOT_REACHED_COUNTED = "{what}: median not reached in {n} of {total} resamples ({percent}%); counted, not dropped."
TOO_MANY_UNDEFINED = "{what}: too many undefined resamples for a confidence interval."
SMALL_GROUPS = "Fewer than {minimum} patients in {groups}: the bootstrap is unreliable there."
SMALL_GROUP_NOTE = "{group} (n = {n})"
NEXT_ITEM = "{first}, {rest}"
"""One more item of a list (nested, so that each item is a message of its own)."""
BOOTSTRAP_TEMPLATES: tuple[str, ...] = (
    WHAT_MEDIAN, WHAT_SURVIVAL, WHAT_RMST, WHAT_MEDIAN_DIFFERENCE, WHAT_SURVIVAL_DIFFERENCE, WHAT_RMST_DIFFERENCE,
    RMST_DIFFERENCE, BEYOND_FOLLOW_UP, BOTH_NOT_REACHED, UNDEFINED_IN, NOT_REACHED_NR, NOT_REACHED_COUNTED,
    TOO_MANY_UNDEFINED, SMALL_GROUPS, SMALL_GROUP_NOTE, NEXT_ITEM,
)  # fmt: skip
"""Every template of a bootstrap's notes."""


_BEYOND = Message(BEYOND_FOLLOW_UP)


def joined(items: Sequence[Message]) -> Message:
    """Messages as one list ("a, b, c"), each worded on its own."""
    head, *rest = items
    return head if not rest else Message.of(NEXT_ITEM, first=head, rest=joined(rest))


@dataclass(frozen=True)
class BootstrapResult:
    """Stratified bootstrap of Kaplan–Meier summaries; ``differences`` are vs the first group."""

    n_resamples: int
    seed: int
    level: float
    tau: float
    times: tuple[float, ...]
    groups: tuple[BootGroup, ...]
    differences: tuple[BootDifference, ...]
    n_excluded: int
    notes: tuple[str, ...]
    wording: tuple[Message, ...] = ()
    """``notes`` as templates and parameters (:data:`BOOTSTRAP_TEMPLATES`), for the app to word."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_resamples": self.n_resamples,
            "seed": self.seed,
            "level": self.level,
            "tau": self.tau,
            "times": list(self.times),
            "groups": [g.to_dict() for g in self.groups],
            "differences": [d.to_dict() for d in self.differences],
            "n_excluded": self.n_excluded,
            "notes": list(self.notes),
        }


# ----------------------------------------------------------------------------- vectorised Kaplan–Meier


@dataclass(frozen=True)
class _Group:
    """One group's data on its sorted distinct times: ``slot`` maps each patient to his distinct time."""

    label: str
    distinct: FloatArray
    slot: IntArray
    event: FloatArray

    @property
    def n(self) -> int:
        return len(self.slot)


def _prepare(label: str, time: FloatArray, event: FloatArray) -> _Group:
    distinct, slot = np.unique(time, return_inverse=True)
    return _Group(label, distinct.astype(np.float64), slot.astype(np.intp).ravel(), event)


@dataclass(frozen=True)
class CurveStats:
    """Per-resample statistics: rows are resamples. NaN median = not reached; NaN survival = unknown."""

    median: FloatArray
    survival: FloatArray
    rmst: FloatArray


def _curves(group: _Group, rows: IntArray) -> tuple[FloatArray, FloatArray]:
    """Survival after each distinct time and the number followed, for resamples ``rows`` (shape (B, n))."""
    n_rows, m = rows.shape[0], len(group.distinct)
    offsets = (np.arange(n_rows, dtype=np.intp) * m)[:, None]
    flat = (group.slot[rows] + offsets).ravel()
    counts = np.bincount(flat, minlength=n_rows * m).reshape(n_rows, m).astype(np.float64)
    events = np.bincount(flat, weights=group.event[rows].ravel(), minlength=n_rows * m).reshape(n_rows, m)
    n_risk = np.cumsum(counts[:, ::-1], axis=1)[:, ::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(events > 0, events / n_risk, 0.0)
    survival: FloatArray = np.cumprod(1.0 - hazard, axis=1, dtype=np.float64)
    return survival, counts


def row_medians(distinct: FloatArray, survival: FloatArray) -> FloatArray:
    """R's median rule (see :func:`analysis.km.r_median`) row by row; NaN = not reached."""
    below = survival < 0.5 + _R_TOLERANCE
    reached = below.any(axis=1)
    first = np.argmax(below, axis=1)
    rows = np.arange(len(survival))
    value = survival[rows, first]
    median = np.where(reached, distinct[first], np.nan)
    flat_half = reached & (np.abs(value - 0.5) < _R_TOLERANCE)
    if flat_half.any():
        lower = survival[flat_half] < value[flat_half][:, None]
        has_lower = lower.any(axis=1)
        nxt = np.argmax(lower, axis=1)
        midpoint = np.where(has_lower, (distinct[first[flat_half]] + distinct[nxt]) / 2, distinct[first[flat_half]])
        median[flat_half] = midpoint
    return median


def _statistics(group: _Group, rows: IntArray, times: FloatArray, tau: float) -> CurveStats:
    survival, counts = _curves(group, rows)
    return curve_statistics(group.distinct, survival, counts > 0, times, tau)


def curve_statistics(
    distinct: FloatArray, survival: FloatArray, observed: npt.NDArray[np.bool_], times: FloatArray, tau: float
) -> CurveStats:
    """Median, survival at ``times`` and RMST to ``tau`` of curves given as rows (resamples) on ``distinct`` times.

    ``survival[b, k]`` is the curve just after ``distinct[k]``; ``observed[b, k]`` says the resample has a
    patient at that time (survival beyond a resample's last one is unknown unless the curve reached 0).
    """
    index = np.searchsorted(distinct, times, side="right") - 1
    at = np.where(index[None, :] < 0, 1.0, survival[:, np.maximum(index, 0)])
    last = np.where(observed.any(axis=1), len(distinct) - 1 - np.argmax(observed[:, ::-1], axis=1), 0)
    last_time = distinct[last]
    unknown = (times[None, :] > last_time[:, None]) & (at > 0)
    at = np.where(unknown, np.nan, at)
    grid = np.minimum(distinct, tau)
    widths = np.diff(np.r_[0.0, grid, tau])
    heights = np.concatenate([np.ones((len(survival), 1)), survival], axis=1)
    rmst = heights @ widths
    return CurveStats(median=row_medians(distinct, survival), survival=at, rmst=rmst)


# ----------------------------------------------------------------------------- summaries


def _optional(value: float) -> float | None:
    return None if not math.isfinite(value) else float(value)


def summarise_samples(
    point: float,
    samples: FloatArray,
    alpha: float,
    what: Message,
    notes: list[Message],
    why: Message = _BEYOND,
) -> BootEstimate:
    """Percentile CI and SE; NaN = undefined (left out), +-inf = not reached (ordered, CI bound None)."""
    total = len(samples)
    undefined = np.isnan(samples)
    n_undefined = int(undefined.sum())
    defined = samples[~undefined]
    n_infinite = int(np.isinf(defined).sum())
    finite = defined[np.isfinite(defined)]
    std_err = float(np.std(finite, ddof=1)) if len(finite) >= 2 else None
    if n_undefined:
        percent = f"{100 * n_undefined / total:.1f}"
        notes.append(Message.of(UNDEFINED_IN, what=what, why=why, n=n_undefined, total=total, percent=percent))
    if n_infinite:
        template = NOT_REACHED_NR if n_infinite > alpha / 2 * total else NOT_REACHED_COUNTED
        percent = f"{100 * n_infinite / total:.1f}"
        notes.append(Message.of(template, what=what, n=n_infinite, total=total, percent=percent))
    if n_undefined > alpha / 2 * total or len(defined) == 0:
        ci: Interval = (None, None)
        notes.append(Message.of(TOO_MANY_UNDEFINED, what=what))
    else:
        low, high = np.quantile(defined, [alpha / 2, 1 - alpha / 2], method="inverted_cdf")
        ci = (_optional(float(low)), _optional(float(high)))
    return BootEstimate(_optional(point), ci, std_err, n_infinite, n_undefined)


def _median_difference(group: FloatArray, reference: FloatArray) -> FloatArray:
    group_nr, reference_nr = np.isnan(group), np.isnan(reference)
    diff = group - reference
    diff = np.where(group_nr & ~reference_nr, np.inf, diff)
    diff = np.where(reference_nr & ~group_nr, -np.inf, diff)
    return np.where(group_nr & reference_nr, np.nan, diff)


def not_reached_as_inf(median: FloatArray) -> FloatArray:
    """Not reached (NaN) as +infinity, so it is ordered above every reached median."""
    return np.where(np.isnan(median), np.inf, median)


def _fmt(t: float) -> str:
    return f"{t:g}"


# ----------------------------------------------------------------------------- entry point


def _check(n_resamples: int, level: float, tau: float | None) -> None:
    if n_resamples < 2:
        raise DataError(f"the bootstrap needs at least 2 resamples; got {n_resamples}")
    if not 0 < level < 1:
        raise DataError(f"the confidence level must be between 0 and 1; got {level}")
    if tau is not None and (not math.isfinite(tau) or tau <= 0):
        raise DataError(f"the RMST horizon tau must be a positive number; got {tau}")


def _groups(
    frame: pd.DataFrame, time_col: str, event_col: str, group_col: str | None, group_order: Sequence[str] | None
) -> tuple[list[_Group], int]:
    data = survival_data(frame, time_col, event_col, extra=(group_col,) if group_col else ())
    clean = data.frame
    if clean.empty:
        raise EmptyGroupError(f"no patients have both {time_col!r} and {event_col!r} recorded")
    time = clean["time"].to_numpy(dtype=np.float64)
    event = clean["event"].to_numpy(dtype=np.float64)
    if group_col is None:
        return [_prepare("all", time, event)], data.n_excluded
    values = clean[group_col] if group_col in clean.columns else frame.loc[clean.index, group_col]
    codes, labels = encode_groups(values, group_order)
    groups = [_prepare(label, time[codes == k], event[codes == k]) for k, label in enumerate(labels)]
    return groups, data.n_excluded


def bootstrap_survival(
    frame: pd.DataFrame,
    time_col: str,
    event_col: str,
    group_col: str | None,
    *,
    n_resamples: int = 2000,
    seed: int = 2022,
    times: Sequence[float] = DEFAULT_TIMES,
    tau: float | None = None,
    level: float = 0.95,
    group_order: Sequence[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> BootstrapResult:
    """Stratified bootstrap CIs of the KM median, survival at ``times`` and RMST, per group and vs the first group.

    Rows missing the time, event or group are excluded (``n_excluded``), as
    :func:`analysis.km.km_by_group`. Deterministic for a ``seed``.
    ``progress(done, total)`` is called after every chunk (about every 5%);
    ``should_stop()`` is checked before each chunk and, when true, raises
    ``PPXError("bootstrap cancelled")``.
    """
    _check(n_resamples, level, tau)
    requested = _requested_times(times)
    groups, n_excluded = _groups(frame, time_col, event_col, group_col, group_order)
    horizon = float(tau) if tau is not None else min(float(g.distinct[-1]) for g in groups)
    alpha = 1 - level
    points = [_statistics(g, np.arange(g.n, dtype=np.intp)[None, :], requested, horizon) for g in groups]
    samples = _resample(groups, requested, horizon, n_resamples, seed, progress, should_stop)

    notes: list[Message] = []
    small = [Message.of(SMALL_GROUP_NOTE, group=g.label, n=g.n) for g in groups if g.n < SMALL_GROUP]
    if small:
        notes.append(Message.of(SMALL_GROUPS, minimum=SMALL_GROUP, groups=joined(small)))
    out_groups = []
    for g, point, stats in zip(groups, points, samples, strict=True):
        out_groups.append(
            BootGroup(
                label=g.label,
                n=g.n,
                events=int(g.event.sum()),
                median=summarise_samples(
                    float(point.median[0]),
                    not_reached_as_inf(stats.median),
                    alpha,
                    Message.of(WHAT_MEDIAN, group=g.label),
                    notes,
                ),
                survival=tuple(
                    BootAt(
                        float(t),
                        summarise_samples(
                            float(point.survival[0, i]),
                            stats.survival[:, i],
                            alpha,
                            Message.of(WHAT_SURVIVAL, group=g.label, time=_fmt(t)),
                            notes,
                        ),
                    )
                    for i, t in enumerate(requested)
                ),
                rmst=summarise_samples(
                    float(point.rmst[0]), stats.rmst, alpha, Message.of(WHAT_RMST, group=g.label), notes
                ),
            )
        )
    differences = []
    reference, ref_point, ref_stats = groups[0], points[0], samples[0]
    for g, point, stats in zip(groups[1:], points[1:], samples[1:], strict=True):
        pair = {"group": g.label, "reference": reference.label}
        median_point = float(_median_difference(point.median, ref_point.median)[0])
        differences.append(
            BootDifference(
                group=g.label,
                reference=reference.label,
                median=summarise_samples(
                    median_point if math.isfinite(median_point) else math.nan,
                    _median_difference(stats.median, ref_stats.median),
                    alpha,
                    Message.of(WHAT_MEDIAN_DIFFERENCE, **pair),
                    notes,
                    why=Message(BOTH_NOT_REACHED),
                ),
                survival=tuple(
                    BootAt(
                        float(t),
                        summarise_samples(
                            float(point.survival[0, i] - ref_point.survival[0, i]),
                            stats.survival[:, i] - ref_stats.survival[:, i],
                            alpha,
                            Message.of(WHAT_SURVIVAL_DIFFERENCE, **pair, time=_fmt(t)),
                            notes,
                        ),
                    )
                    for i, t in enumerate(requested)
                ),
                rmst=summarise_samples(
                    float(point.rmst[0] - ref_point.rmst[0]),
                    stats.rmst - ref_stats.rmst,
                    alpha,
                    Message.of(WHAT_RMST_DIFFERENCE, **pair),
                    notes,
                ),
            )
        )
    return BootstrapResult(
        n_resamples=n_resamples,
        seed=seed,
        level=level,
        tau=horizon,
        times=tuple(float(t) for t in requested),
        groups=tuple(out_groups),
        differences=tuple(differences),
        n_excluded=n_excluded,
        notes=tuple(m.text() for m in notes),
        wording=tuple(notes),
    )


def _resample(
    groups: list[_Group],
    requested: FloatArray,
    tau: float,
    n_resamples: int,
    seed: int,
    progress: Callable[[int, int], None] | None,
    should_stop: Callable[[], bool] | None,
) -> list[CurveStats]:
    """Per-group statistics of ``n_resamples`` stratified resamples, in chunks of about 5%."""
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(groups))]
    widest = max(max(g.n, len(g.distinct)) for g in groups)
    chunk = max(1, min(math.ceil(n_resamples / 20), _CELLS_PER_CHUNK // widest))
    parts: list[list[CurveStats]] = [[] for _ in groups]
    done = 0
    while done < n_resamples:
        if should_stop is not None and should_stop():
            raise PPXError("bootstrap cancelled")
        size = min(chunk, n_resamples - done)
        for k, (g, rng) in enumerate(zip(groups, rngs, strict=True)):
            rows = rng.integers(0, g.n, size=(size, g.n)).astype(np.intp)
            parts[k].append(_statistics(g, rows, requested, tau))
        done += size
        if progress is not None:
            progress(done, n_resamples)
    return [
        CurveStats(
            median=np.concatenate([p.median for p in part]),
            survival=np.concatenate([p.survival for p in part], axis=0),
            rmst=np.concatenate([p.rmst for p in part]),
        )
        for part in parts
    ]
