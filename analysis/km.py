"""Kaplan–Meier estimates that agree with R's ``survival`` package.

Conventions (also explained on the dashboard's Methods page, ``app/pages/methods.py``):

- **Confidence intervals** of the survival curve are pointwise 95% intervals
  on the Greenwood variance, with the transform chosen by ``conf_type``:
  ``"log-log"`` (the default, as lifelines, SAS and Stata), ``"log"`` (R's
  default) or ``"plain"``. The formulas are those of R's ``survfit``.
- **Median and its CI** follow R's ``print.survfit``: the median is the first
  time the curve is below 0.5; where the curve is flat at exactly 0.5 it is
  the midpoint between the start of that flat piece and the next drop. The
  CI bounds are found the same way on the lower and upper CI curves.
  ``None`` means "not reached".
- **Number at risk at t** is the number of patients under observation at t
  (time >= t, and entered before t under left truncation). Without delayed
  entry this is R's ``summary(survfit, times=)``; with delayed entry R reports
  the risk set at the next observed time instead (it counts patients who enter
  between t and that time), which we do not: a Simon–Makuch treated curve has 0
  at risk at month 0. Cumulative events and censored counts include t.
- **Beyond the last follow-up** the survival is unknown (``None``; R's
  ``summary(..., extend=FALSE)`` drops the row) unless the curve has already
  reached 0. Counts stay defined: 0 at risk, all events and censorings counted.
- **RMST** is R's ``survival:::survmean(fit, rmean=tau)``.
- **Median follow-up** is the reverse Kaplan–Meier median (events and
  censorings swapped), with its CI from the same ``conf_type``.
- **Case weights** (``weights``, e.g. inverse-probability weights) give R's
  ``survfit(weights = w)``: the numbers at risk and of events in the product
  are sums of weights, and the standard error is R's default for weighted
  data (survival >= 3: ``robust = TRUE``), the infinitesimal-jackknife
  variance ``sum_i (w_i dS(t)/dw_i)^2``, not Greenwood. The RMST SE is
  ``survmean``'s formula on the weighted counts. ``n``, ``events``, the
  number at risk in tables and the median follow-up stay counts of patients
  (unweighted). For weighted comparisons the intervals a reader should use are
  the bootstrap ones (:mod:`analysis.adjusted`), which also carry the
  uncertainty of the estimated weights.

Everything is computed with vectorised numpy on the distinct times; there is
no per-patient Python loop.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.stats import norm

from analysis.errors import DataError, EmptyGroupError
from analysis.survdata import survival_data

ConfType = Literal["log-log", "log", "plain"]
CONF_TYPES: tuple[str, ...] = get_args(ConfType)
Z_95: float = float(norm.ppf(0.975))
_R_TOLERANCE = math.sqrt(float(np.finfo(np.float64).eps))
"""R's ``sqrt(.Machine$double.eps)``, used by print.survfit to decide that the curve is at 0.5."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
Interval = tuple[float | None, float | None]


def _optional(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _optional_tuple(values: FloatArray) -> tuple[float | None, ...]:
    out: list[float | None] = list(values.tolist())
    for i in np.flatnonzero(np.isnan(values)).tolist():  # only the missing ones visited in Python
        out[i] = None
    return tuple(out)


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class SurvivalAt:
    """The curve at one requested time (one column of a KMunicate table).

    ``survival``, ``std_err`` (of the survival, as R's summary) and the CI are
    ``None`` beyond the last follow-up (unless the curve reached 0) and where R
    gives NA (the CI when survival is 0).
    """

    time: float
    survival: float | None
    std_err: float | None
    ci: Interval
    n_at_risk: int
    cum_events: int
    cum_censored: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "survival": self.survival,
            "std_err": self.std_err,
            "ci": list(self.ci),
            "n_at_risk": self.n_at_risk,
            "cum_events": self.cum_events,
            "cum_censored": self.cum_censored,
        }


@dataclass(frozen=True)
class KMCurve:
    """The step function for plotting (draw with ``shape="hv"``).

    Points are the origin (time 0, survival 1), every distinct event time and,
    when it comes later, the last follow-up time. ``n_at_risk`` is the number
    at risk at each point (just before its events). Censor ticks go at
    ``censor_times`` (distinct times with at least one censoring) and height
    ``censor_survival``.
    """

    times: tuple[float, ...]
    survival: tuple[float, ...]
    ci_lower: tuple[float | None, ...]
    ci_upper: tuple[float | None, ...]
    n_at_risk: tuple[int, ...]
    censor_times: tuple[float, ...]
    censor_survival: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "times": list(self.times),
            "survival": list(self.survival),
            "ci_lower": list(self.ci_lower),
            "ci_upper": list(self.ci_upper),
            "n_at_risk": list(self.n_at_risk),
            "censor_times": list(self.censor_times),
            "censor_survival": list(self.censor_survival),
        }


@dataclass(frozen=True)
class RMST:
    """Restricted mean survival time up to ``tau``, as R's ``survmean(fit, rmean=tau)``; CI = estimate ± 1.96 SE."""

    tau: float
    estimate: float
    std_err: float
    ci: tuple[float, float]

    def to_dict(self) -> dict[str, Any]:
        return {"tau": self.tau, "estimate": self.estimate, "std_err": self.std_err, "ci": list(self.ci)}


@dataclass(frozen=True)
class FollowUp:
    """Median follow-up by the reverse Kaplan–Meier method; ``None`` when not reached."""

    median: float | None
    ci: Interval
    method: str = "reverse Kaplan–Meier"

    def to_dict(self) -> dict[str, Any]:
        return {"median": self.median, "ci": list(self.ci), "method": self.method}


@dataclass(frozen=True)
class KMGroup:
    """Kaplan–Meier summary of one group. ``median`` and CI bounds are ``None`` when not reached."""

    group: str
    n: int
    events: int
    censored: int
    median: float | None
    median_ci: Interval
    at: tuple[SurvivalAt, ...]
    curve: KMCurve
    rmst: RMST | None
    followup: FollowUp

    def to_dict(self, *, include_curve: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "group": self.group,
            "n": self.n,
            "events": self.events,
            "censored": self.censored,
            "median": self.median,
            "median_ci": list(self.median_ci),
            "at": [a.to_dict() for a in self.at],
            "rmst": None if self.rmst is None else self.rmst.to_dict(),
            "followup": self.followup.to_dict(),
        }
        if include_curve:
            out["curve"] = self.curve.to_dict()
        return out


@dataclass(frozen=True)
class KMResult:
    """Kaplan–Meier by group. ``n_excluded`` rows lacked a needed value; ``followup`` pools all groups."""

    conf_type: ConfType
    groups: tuple[KMGroup, ...]
    n_excluded: int
    followup: FollowUp

    def to_dict(self, *, include_curve: bool = True) -> dict[str, Any]:
        return {
            "conf_type": self.conf_type,
            "n_excluded": self.n_excluded,
            "groups": [g.to_dict(include_curve=include_curve) for g in self.groups],
            "followup": self.followup.to_dict(),
        }


# ----------------------------------------------------------------------------- group labels


def _label(value: object) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    return str(value).strip()


def natural_key(label: str) -> tuple[tuple[int, float, str], ...]:
    """Sort key putting "2" before "10" and "BCLC B" before "BCLC C"; numbers before text."""
    parts = re.split(r"(-?\d+(?:\.\d+)?)", label)
    key: list[tuple[int, float, str]] = []
    for part in parts:
        if not part:
            continue
        try:
            key.append((0, float(part), ""))
        except ValueError:
            key.append((1, 0.0, part.lower()))
    return tuple(key)


def encode_groups(
    values: Iterable[object], group_order: Sequence[str] | None = None
) -> tuple[IntArray, tuple[str, ...]]:
    """Integer codes (-1 where missing) and the group labels they index.

    Labels are the values as text, whole numbers without ".0" (1.0 → "1").
    Groups are sorted naturally unless ``group_order`` is given; labels in
    ``group_order`` that are absent are skipped, and groups missing from it
    follow in natural order.
    """
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype="object")
    raw_codes, uniques = pd.factorize(series, use_na_sentinel=True)
    unique_labels = [_label(u) for u in uniques]
    present = set(unique_labels)
    ordered = [g for g in dict.fromkeys(group_order or ()) if g in present]
    ordered += sorted(present.difference(ordered), key=natural_key)
    position = {label: i for i, label in enumerate(ordered)}
    lookup = np.array([position[label] for label in unique_labels] + [-1], dtype=np.intp)
    codes: IntArray = lookup[np.asarray(raw_codes, dtype=np.intp)]
    return codes, tuple(ordered)


# ----------------------------------------------------------------------------- input checks


def check_conf_type(conf_type: str) -> ConfType:
    if conf_type not in CONF_TYPES:
        raise DataError(f"confidence interval type must be one of {', '.join(CONF_TYPES)}; got {conf_type!r}")
    return cast(ConfType, conf_type)


def _requested_times(times: Iterable[float]) -> FloatArray:
    requested = np.asarray(list(times), dtype=np.float64)
    if np.any(~np.isfinite(requested)) or np.any(requested < 0):
        raise DataError(f"requested times must be numbers >= 0; got {requested.tolist()}")
    return requested


def _check_tau(tau: float | None) -> float | None:
    if tau is None:
        return None
    if not math.isfinite(tau) or tau <= 0:
        raise DataError(f"the RMST horizon tau must be a positive number; got {tau}")
    return float(tau)


def as_survival_arrays(
    time: Iterable[float], event: Iterable[float], entry: Iterable[float] | None = None
) -> tuple[FloatArray, FloatArray, FloatArray | None]:
    """Time, event (0.0/1.0) and optional entry times as float arrays, checked.

    For data frames use :func:`analysis.survdata.survival_data`, which also
    excludes incomplete rows; here missing values are an error.
    """
    try:
        time_array = np.asarray(time, dtype=np.float64).ravel()
        event_array = np.asarray(event, dtype=np.float64).ravel()
        entry_array = None if entry is None else np.asarray(entry, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise DataError(f"time, event and entry must be numeric: {exc}") from exc
    lengths = {len(time_array), len(event_array)} | ({len(entry_array)} if entry_array is not None else set())
    if len(lengths) > 1:
        raise DataError(f"time, event (and entry) must have the same length; got lengths {sorted(lengths)}")
    if np.isnan(time_array).any() or np.isnan(event_array).any():
        raise DataError("time and event must not have missing values")
    if (time_array < 0).any() or np.isinf(time_array).any():
        raise DataError("times must be finite and >= 0")
    if not np.isin(event_array, (0.0, 1.0)).all():
        raise DataError("event must be coded 0 (censored) or 1 (event)")
    if entry_array is not None:
        if np.isnan(entry_array).any() or (entry_array < 0).any():
            raise DataError("entry times must be present and >= 0")
        if (entry_array >= time_array).any():
            raise DataError("entry (start) time must be before the event/censoring time")
    return time_array, event_array, entry_array


# ----------------------------------------------------------------------------- the estimator


@dataclass(frozen=True)
class _Table:
    """Counts at each distinct observed time, plus the sorted arrays the look-ups need."""

    times: FloatArray
    n_risk: FloatArray
    n_event: FloatArray
    n_censor: FloatArray
    sorted_time: FloatArray
    sorted_entry: FloatArray | None
    event_times: FloatArray
    censor_times: FloatArray
    weighted: bool = False

    def at_risk(self, t: FloatArray) -> IntArray:
        """Number at risk at each t: time >= t and (under left truncation) entry < t; at t = 0, entry <= 0."""
        followed = len(self.sorted_time) - np.searchsorted(self.sorted_time, t, side="left")
        if self.sorted_entry is None:
            return followed.astype(np.intp)
        entered = np.where(
            t <= 0,
            np.searchsorted(self.sorted_entry, t, side="right"),
            np.searchsorted(self.sorted_entry, t, side="left"),
        )
        not_entered = len(self.sorted_entry) - entered
        at_risk: IntArray = np.maximum(followed - not_entered, 0).astype(np.intp)
        return at_risk


def _table(time: FloatArray, event: FloatArray, entry: FloatArray | None, weight: FloatArray | None = None) -> _Table:
    """Counts at each distinct time; with ``weight`` the numbers at risk, of events and censored are weight sums."""
    order = np.argsort(time, kind="stable")
    sorted_time = time[order]
    sorted_event = event[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_time[1:] != sorted_time[:-1])))
    distinct = sorted_time[starts]
    if weight is None:
        counts = np.diff(np.append(starts, len(sorted_time))).astype(np.float64)
        n_event = np.add.reduceat(sorted_event, starts) if len(starts) else np.zeros(0)
        n_risk = (len(sorted_time) - starts).astype(np.float64)
    else:
        sorted_weight = weight[order]
        counts = np.add.reduceat(sorted_weight, starts) if len(starts) else np.zeros(0)
        n_event = np.add.reduceat(sorted_event * sorted_weight, starts) if len(starts) else np.zeros(0)
        n_risk = np.cumsum(counts[::-1])[::-1]
    sorted_entry = None
    if entry is not None:
        sorted_entry = np.sort(entry)
        n_risk = n_risk - (len(sorted_entry) - np.searchsorted(sorted_entry, distinct, side="left"))
    is_event = sorted_event == 1.0
    return _Table(
        times=distinct,
        n_risk=n_risk,
        n_event=n_event,
        n_censor=counts - n_event,
        sorted_time=sorted_time,
        sorted_entry=sorted_entry,
        event_times=sorted_time[is_event],
        censor_times=sorted_time[~is_event],
        weighted=weight is not None,
    )


def _jackknife_se_log(
    drops: tuple[FloatArray, FloatArray, FloatArray], time: FloatArray, event: FloatArray, weight: FloatArray
) -> FloatArray:
    """SE of log S(t) at each drop time by R's infinitesimal jackknife (``survfit(weights=, robust=TRUE)``).

    The influence of patient i on log S(t) is ``A(min(t, T_i)) - d_i 1[T_i <= t] / (n(T_i) - d(T_i))`` with
    ``A(t) = sum_{t_j <= t} d_j / (n_j (n_j - d_j))`` on the weighted counts; the variance is
    ``sum_i w_i^2 influence_i(t)^2``, summed in O(n) with cumulative sums over the sorted times.
    """
    drop_times, n_risk, n_event = drops
    if len(drop_times) == 0:
        return np.zeros(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        alive = n_risk - n_event
        step_a = np.where(alive > 0, n_event / (n_risk * alive), 0.0)
        step_b = np.where(alive > 0, 1.0 / alive, 0.0)
    cumulative_a = np.cumsum(step_a)
    # the step (drop time) index of each patient's own time: the last drop time <= T_i
    own = np.searchsorted(drop_times, time, side="right") - 1
    a_own = np.where(own >= 0, cumulative_a[np.maximum(own, 0)], 0.0)
    is_drop = (own >= 0) & (drop_times[np.maximum(own, 0)] == time) & (event == 1.0)
    b_own = np.where(is_drop, step_b[np.maximum(own, 0)], 0.0)
    finished = weight**2 * (a_own - b_own) ** 2
    # patient i has finished by drop k when T_i <= t_k, i.e. from the first drop time >= T_i on
    first = np.searchsorted(drop_times, time, side="left")
    slots = len(drop_times) + 1
    finished_by = np.cumsum(np.bincount(first, weights=finished, minlength=slots))[:-1]
    finished_square = np.cumsum(np.bincount(first, weights=weight**2, minlength=slots))[:-1]
    variance = finished_by + cumulative_a**2 * (float(np.sum(weight**2)) - finished_square)
    se_log: FloatArray = np.sqrt(np.maximum(variance, 0.0))
    return se_log


@dataclass(frozen=True)
class _Steps:
    """The Kaplan–Meier curve at its drop times, with the Greenwood SE of log survival and the CI curves."""

    times: FloatArray
    n_risk: FloatArray
    n_event: FloatArray
    survival: FloatArray
    se_log: FloatArray
    lower: FloatArray
    upper: FloatArray


def confidence_limits(survival: FloatArray, se_log: FloatArray, conf_type: ConfType) -> tuple[FloatArray, FloatArray]:
    """Pointwise 95% limits exactly as R's ``survfit_confint``; NaN where R gives NA; 1 where survival is 1."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            half_width = Z_95 * se_log * survival
            lower = np.maximum(survival - half_width, 0.0)
            upper = np.minimum(survival + half_width, 1.0)
        elif conf_type == "log":
            positive = np.where(survival > 0, survival, np.nan)
            lower = positive * np.exp(-Z_95 * se_log)
            upper = np.minimum(positive * np.exp(Z_95 * se_log), 1.0)
        else:
            inside = np.where((survival > 0) & (survival < 1), survival, np.nan)
            shift = Z_95 * se_log / np.log(inside)
            log_minus_log = np.log(-np.log(inside))
            lower = np.exp(-np.exp(log_minus_log - shift))
            upper = np.exp(-np.exp(log_minus_log + shift))
    at_one = survival == 1.0
    lower = np.where(at_one, 1.0, lower)
    upper = np.where(at_one, 1.0, upper)
    return lower, upper


def _steps(
    times: FloatArray,
    n_risk: FloatArray,
    n_event: FloatArray,
    conf_type: ConfType,
    patients: tuple[FloatArray, FloatArray, FloatArray] | None = None,
) -> _Steps:
    """The curve at its drop times; ``patients`` (time, event, weight): the jackknife SE of R's weighted fit."""
    drops = n_event > 0
    times, n_risk, n_event = times[drops], n_risk[drops], n_event[drops]
    survival: FloatArray = np.cumprod(1.0 - n_event / n_risk, dtype=np.float64)
    with np.errstate(divide="ignore"):
        greenwood = np.cumsum(n_event / (n_risk * (n_risk - n_event)), dtype=np.float64)
    se_log: FloatArray = np.sqrt(greenwood)
    if patients is not None:
        se_log = _jackknife_se_log((times, n_risk, n_event), *patients)
    lower, upper = confidence_limits(survival, se_log, conf_type)
    return _Steps(times, n_risk, n_event, survival, se_log, lower, upper)


def r_median(times: FloatArray, values: FloatArray) -> float | None:
    """The time the curve first drops below 0.5, by R's ``print.survfit`` rule (``survmean``'s ``minmin``).

    If the first value below 0.5 + tolerance is 0.5 itself and the curve drops
    further later, the result is the midpoint between the two times.
    """
    keep = ~np.isnan(values) & (values < 0.5 + _R_TOLERANCE)
    if not keep.any():
        return None
    kept_times, kept_values = times[keep], values[keep]
    first = kept_values[0]
    if abs(first - 0.5) < _R_TOLERANCE:
        lower = kept_values < first
        if lower.any():
            return float((kept_times[0] + kept_times[int(np.argmax(lower))]) / 2)
    return float(kept_times[0])


def _rmst(steps: _Steps, tau: float) -> RMST:
    """Area under the curve on [0, tau] and its SE, term by term as ``survival:::survmean``."""
    keep = steps.times <= tau
    survival = steps.survival[keep]
    n_risk, n_event = steps.n_risk[keep], steps.n_event[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard_term = np.where(n_risk - n_event == 0, 0.0, n_event / (n_risk * (n_risk - n_event)))
    grid = np.r_[steps.times[keep], tau]
    rectangles = np.diff(np.r_[0.0, grid]) * np.r_[1.0, survival]
    area_after = np.cumsum(rectangles[::-1])[::-1]
    variance = float(np.sum(area_after[1:] ** 2 * hazard_term))
    estimate = float(rectangles.sum())
    std_err = math.sqrt(variance)
    return RMST(tau=tau, estimate=estimate, std_err=std_err, ci=(estimate - Z_95 * std_err, estimate + Z_95 * std_err))


def _followup(table: _Table, conf_type: ConfType) -> FollowUp:
    reverse = _steps(table.times, table.n_risk, table.n_censor, conf_type)
    return FollowUp(
        median=r_median(reverse.times, reverse.survival),
        ci=(r_median(reverse.times, reverse.lower), r_median(reverse.times, reverse.upper)),
    )


def _survival_at(table: _Table, steps: _Steps, requested: FloatArray) -> tuple[SurvivalAt, ...]:
    if len(requested) == 0:
        return ()
    index = np.searchsorted(steps.times, requested, side="right") - 1
    before_first = index < 0
    safe = np.maximum(index, 0)
    survival = np.where(before_first, 1.0, steps.survival[safe] if len(steps.times) else 1.0)
    se_log = np.where(before_first, 0.0, steps.se_log[safe] if len(steps.times) else 0.0)
    lower = np.where(before_first, 1.0, steps.lower[safe] if len(steps.times) else 1.0)
    upper = np.where(before_first, 1.0, steps.upper[safe] if len(steps.times) else 1.0)
    with np.errstate(invalid="ignore"):
        std_err = survival * se_log
    unknown = (requested > table.sorted_time[-1]) & (survival > 0)
    survival, std_err, lower, upper = (np.where(unknown, np.nan, a) for a in (survival, std_err, lower, upper))
    n_at_risk = table.at_risk(requested)
    cum_events = np.searchsorted(table.event_times, requested, side="right")
    cum_censored = np.searchsorted(table.censor_times, requested, side="right")
    return tuple(
        SurvivalAt(
            time=float(requested[i]),
            survival=_optional(survival[i]),
            std_err=_optional(std_err[i]),
            ci=(_optional(lower[i]), _optional(upper[i])),
            n_at_risk=int(n_at_risk[i]),
            cum_events=int(cum_events[i]),
            cum_censored=int(cum_censored[i]),
        )
        for i in range(len(requested))
    )


def _curve(table: _Table, steps: _Steps) -> KMCurve:
    last_followup = float(table.sorted_time[-1])
    needs_end = len(steps.times) == 0 or last_followup > steps.times[-1]
    end_survival = steps.survival[-1] if len(steps.times) else 1.0
    end_lower = steps.lower[-1] if len(steps.times) else 1.0
    end_upper = steps.upper[-1] if len(steps.times) else 1.0
    tail = np.array([last_followup]) if needs_end else np.zeros(0)

    def framed(first: float, values: FloatArray, last: float) -> FloatArray:  # first, values, then the tail
        return np.concatenate(([first], values, np.full(len(tail), last)))

    times = np.concatenate(([0.0], steps.times, tail))
    survival = framed(1.0, steps.survival, end_survival)
    lower = framed(1.0, steps.lower, end_lower)
    upper = framed(1.0, steps.upper, end_upper)
    risk_at_drops = table.at_risk(steps.times) if table.weighted else steps.n_risk
    n_at_risk = np.concatenate((table.at_risk(np.array([0.0])), risk_at_drops, table.at_risk(tail))).astype(np.intp)
    censored_at = table.times[table.n_censor > 0]
    index = np.searchsorted(steps.times, censored_at, side="right") - 1
    censor_survival = np.where(index < 0, 1.0, steps.survival[np.maximum(index, 0)] if len(steps.times) else 1.0)
    return KMCurve(
        times=tuple(times.tolist()),
        survival=tuple(survival.tolist()),
        ci_lower=_optional_tuple(lower),
        ci_upper=_optional_tuple(upper),
        n_at_risk=tuple(n_at_risk.tolist()),
        censor_times=tuple(censored_at.tolist()),
        censor_survival=tuple(censor_survival.tolist()),
    )


def _estimate(
    time: FloatArray,
    event: FloatArray,
    entry: FloatArray | None,
    *,
    conf_type: ConfType,
    requested: FloatArray,
    tau: float | None,
    label: str,
    weight: FloatArray | None = None,
) -> tuple[KMGroup, _Table]:
    if len(time) == 0:
        raise EmptyGroupError(f"group {label!r} has no patients")
    table = _table(time, event, entry, weight)
    patients = None if weight is None else (time, event, weight)
    steps = _steps(table.times, table.n_risk, table.n_event, conf_type, patients)
    events = len(table.event_times)
    counts = table if weight is None else _table(time, event, entry)
    group = KMGroup(
        group=label,
        n=len(time),
        events=events,
        censored=len(time) - events,
        median=r_median(steps.times, steps.survival),
        median_ci=(r_median(steps.times, steps.lower), r_median(steps.times, steps.upper)),
        at=_survival_at(table, steps, requested),
        curve=_curve(table, steps),
        rmst=None if tau is None else _rmst(steps, tau),
        followup=_followup(counts, conf_type),
    )
    return group, table


# ----------------------------------------------------------------------------- public entry points


def kaplan_meier(
    time: Iterable[float],
    event: Iterable[float],
    *,
    entry: Iterable[float] | None = None,
    conf_type: str = "log-log",
    times: Iterable[float] = (),
    tau: float | None = None,
    label: str = "all",
    weights: Iterable[float] | None = None,
) -> KMGroup:
    """Kaplan–Meier estimate of one group.

    Parameters
    ----------
    time, event : array-likes of equal length; times >= 0 in any unit, event 1 = event, 0 = censored.
    entry : optional left-truncation (delayed entry) times, each < its time.
    conf_type : "log-log" (default), "log" (R's default) or "plain".
    times : times at which to report survival, CI, number at risk and cumulative counts.
    tau : horizon for the restricted mean survival time (RMST); ``None`` skips it.
    weights : optional case weights (finite, >= 0), as R's ``survfit(weights = w)``; not with ``entry``.

    See Also
    --------
    km_by_group : the same on a DataFrame, one estimate per group.
    """
    conf = check_conf_type(conf_type)
    requested = _requested_times(times)
    horizon = _check_tau(tau)
    time_array, event_array, entry_array = as_survival_arrays(time, event, entry)
    weight = None if weights is None else check_weights(weights, len(time_array), entry is not None)
    group, _ = _estimate(
        time_array,
        event_array,
        entry_array,
        conf_type=conf,
        requested=requested,
        tau=horizon,
        label=label,
        weight=weight,
    )
    return group


def check_weights(weights: Iterable[float], n: int, with_entry: bool = False) -> FloatArray:
    """Case weights as a float array: finite, >= 0, one per patient, and not all zero."""
    if with_entry:
        raise DataError("case weights with delayed entry (start times) are not supported by the Kaplan–Meier here")
    try:
        weight = np.asarray(list(weights), dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise DataError(f"weights must be numeric: {exc}") from exc
    if len(weight) != n:
        raise DataError(f"there must be one weight per patient; got {len(weight)} weights for {n} patients")
    if not np.isfinite(weight).all() or (weight < 0).any():
        raise DataError("weights must be finite numbers >= 0")
    if n and not (weight > 0).any():
        raise DataError("every weight is 0, so there is nothing to estimate")
    return weight


def km_by_group(
    frame: pd.DataFrame,
    time_col: str,
    event_col: str,
    group_col: str | None = None,
    *,
    start_col: str | None = None,
    conf_type: str = "log-log",
    times: Iterable[float] = (),
    tau: float | None = None,
    group_order: Sequence[str] | None = None,
    weights_col: str | None = None,
) -> KMResult:
    """Kaplan–Meier per group of a DataFrame (one group "all" without ``group_col``).

    Input is checked by :func:`analysis.survdata.survival_data`: rows missing
    the time, event, start or group are excluded and counted in ``n_excluded``.
    Groups are labelled by their values as text and sorted naturally unless
    ``group_order`` is given. ``start_col`` gives left-truncation (entry) times.
    ``weights_col`` names a column of case weights (R's ``survfit(weights =)``);
    rows missing a weight are excluded and counted like the others.

    See Also
    --------
    kaplan_meier : one group from plain arrays.
    """
    conf = check_conf_type(conf_type)
    requested = _requested_times(times)
    horizon = _check_tau(tau)
    extra = tuple(c for c in (group_col, weights_col) if c)
    data = survival_data(frame, time_col, event_col, start=start_col, extra=extra)
    clean = data.frame
    if clean.empty:
        raise EmptyGroupError(f"no patients have both {time_col!r} and {event_col!r} recorded")
    time = clean["time"].to_numpy(dtype=np.float64)
    event = clean["event"].to_numpy(dtype=np.float64)
    entry = clean["start"].to_numpy(dtype=np.float64) if start_col else None
    weight = None
    if weights_col is not None:
        raw = frame.loc[clean.index, weights_col]
        weight = check_weights(pd.to_numeric(raw, errors="coerce"), len(clean), start_col is not None)
    options: dict[str, Any] = {"conf_type": conf, "requested": requested, "tau": horizon}
    if group_col is None:
        only, _ = _estimate(time, event, entry, label="all", weight=weight, **options)
        return KMResult(conf_type=conf, groups=(only,), n_excluded=data.n_excluded, followup=only.followup)
    values = clean[group_col] if group_col in clean.columns else frame.loc[clean.index, group_col]
    codes, labels = encode_groups(values, group_order)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(labels) + 1), side="left")
    groups = []
    for k, label in enumerate(labels):
        rows = order[bounds[k] : bounds[k + 1]]
        group, _ = _estimate(
            time[rows],
            event[rows],
            None if entry is None else entry[rows],
            label=label,
            weight=None if weight is None else weight[rows],
            **options,
        )
        groups.append(group)
    followup = groups[0].followup if len(groups) == 1 else _followup(_table(time, event, entry), conf)
    return KMResult(conf_type=conf, groups=tuple(groups), n_excluded=data.n_excluded, followup=followup)


def median_followup(
    time: Iterable[float], event: Iterable[float], *, entry: Iterable[float] | None = None, conf_type: str = "log-log"
) -> FollowUp:
    """Median follow-up by reverse Kaplan–Meier (censorings treated as the events), with its CI."""
    conf = check_conf_type(conf_type)
    time_array, event_array, entry_array = as_survival_arrays(time, event, entry)
    if len(time_array) == 0:
        raise EmptyGroupError("no patients")
    return _followup(_table(time_array, event_array, entry_array), conf)
