"""A confounding-adjusted two-group survival comparison by propensity-score weighting.

The naive (unweighted) and the weighted analyses side by side:

- **Curves**: Kaplan–Meier per group, unweighted and weighted (R's
  ``survfit(weights = w)``, see :mod:`analysis.km`).
- **Hazard ratio**: ``coxph(Surv ~ treated)`` unweighted, and weighted with the
  robust sandwich SE (``coxph(..., weights = w, robust = TRUE)``; CI and p from
  the robust z), through :func:`analysis.cox.fit_cox`.
- **RMST difference** (treated − reference) up to ``tau`` (default: the
  smaller of the two groups' last follow-up times, as ``survRM2::rmst2``).
- **Bootstrap** (``n_bootstrap`` > 0): patients are resampled with replacement
  within each treatment group, the propensity model is re-estimated in every
  resample (IRLS warm-started at the full-sample estimate, vectorised over a
  chunk of resamples), the weights recomputed (and re-trimmed), and the
  weighted curves, medians, survival at ``times`` and RMST recomputed. CIs are
  percentile intervals with the conventions of :mod:`analysis.bootstrap`
  (a median not reached is counted, never dropped). These are the intervals to
  read for the weighted curves, medians and RMST: they carry the uncertainty
  of the estimated weights, which the analytic SE of a weighted KM does not.
- **E-value** of the adjusted HR (:func:`analysis.weights.e_value`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.bootstrap import (
    BOOTSTRAP_TEMPLATES,
    RMST_DIFFERENCE,
    WHAT_MEDIAN,
    WHAT_RMST,
    WHAT_SURVIVAL,
    CurveStats,
    curve_statistics,
    not_reached_as_inf,
    summarise_samples,
)
from analysis.cox import CoxTerm, fit_cox
from analysis.errors import DataError, PPXError
from analysis.jsonsafe import record
from analysis.km import KMGroup, KMResult, check_conf_type, km_by_group
from analysis.messages import Message
from analysis.survdata import survival_data
from analysis.weights import (
    SEPARATION,
    WEIGHTS_TEMPLATES,
    EValue,
    Weighting,
    balancing_weights,
    check_estimand,
    check_trim,
    design,
    e_value,
    irls,
    weigh_design,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
Interval = tuple[float | None, float | None]

DEFAULT_TIMES: tuple[float, ...] = (6.0, 12.0)
BAND_POINTS = 120
_CELLS_PER_CHUNK = 2_000_000
"""Upper bound on resamples x patients held in memory at once."""


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class AdjustedAt:
    """Weighted survival at one time with its bootstrap CI (``None`` without the bootstrap)."""

    time: float
    survival: float | None
    ci: Interval

    def to_dict(self) -> dict[str, Any]:
        return record(self)


@dataclass(frozen=True)
class AdjustedGroup:
    """One group's weighted Kaplan–Meier summary; CIs are bootstrap percentile intervals."""

    group: str
    n: int
    events: int
    ess: float
    median: float | None
    median_ci: Interval
    at: tuple[AdjustedAt, ...]
    rmst: float | None
    rmst_ci: Interval

    def to_dict(self) -> dict[str, Any]:
        return record(self)


@dataclass(frozen=True)
class CurveBand:
    """Pointwise bootstrap percentile band of one group's weighted curve on a time grid (None: undefined)."""

    group: str
    times: tuple[float, ...]
    lower: tuple[float | None, ...]
    upper: tuple[float | None, ...]

    def to_dict(self) -> dict[str, Any]:
        return record(self)


@dataclass(frozen=True)
class HazardRatio:
    """Treated vs reference hazard ratio; ``se_robust`` (sandwich) is set for the weighted model and used for CI/p."""

    coef: float
    hr: float
    ci: tuple[float, float]
    p: float
    se: float
    se_robust: float | None

    def to_dict(self) -> dict[str, Any]:
        return record(self)


@dataclass(frozen=True)
class RMSTDifference:
    """Weighted RMST difference (treated − reference) to ``tau``, bootstrap CI; and the unweighted difference."""

    tau: float
    difference: float
    ci: Interval
    naive_difference: float

    def to_dict(self) -> dict[str, Any]:
        return record(self)


@dataclass(frozen=True)
class AdjustedComparison:
    """Naive and propensity-weighted comparison of two groups; see the module docstring.

    It holds no per-patient value (``weighting`` keeps the model, diagnostics and
    balance, not each patient's weight), so it can be cached and sent anywhere.
    """

    treatment: str
    reference: str
    treated: str
    estimand: str
    n: int
    n_excluded: int
    excluded_rows: tuple[str, ...]
    weighting: Weighting
    naive: KMResult
    weighted: KMResult
    groups: tuple[AdjustedGroup, ...]
    bands: tuple[CurveBand, ...]
    cox_naive: HazardRatio
    cox: HazardRatio
    rmst: RMSTDifference
    e_value: EValue
    n_bootstrap: int
    seed: int
    notes: tuple[str, ...]
    note_wording: tuple[Message, ...] = ()
    """``notes`` as templates and parameters (the bootstrap's, :data:`BOOT_SEPARATED`), for the app to word."""

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.weighting.warnings

    @property
    def wording(self) -> tuple[Message, ...]:
        """:attr:`warnings` as templates and parameters (the app words them)."""
        return self.weighting.wording

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON of ``ppx adjust --json`` (keys may be added, never renamed)."""
        w = self.weighting
        return {
            "treatment": self.treatment,
            "reference": self.reference,
            "treated": self.treated,
            "estimand": self.estimand,
            "n": self.n,
            "n_excluded": self.n_excluded,
            "propensity": {
                "terms": [{"term": t.term, "coef": t.coef, "se": t.se} for t in w.propensity.terms],
                "auc": w.propensity.auc,
                "categorical_reference": dict(w.propensity.references),
            },
            "weights": {
                "min": w.summary.min,
                "max": w.summary.max,
                "ess": dict(w.summary.ess),
                "trimmed": w.summary.trimmed,
                "trim": w.summary.trim,
                "n_extreme": dict(w.summary.n_extreme),
            },
            "balance": [
                {"covariate": b.covariate, "smd_unweighted": b.smd_unweighted, "smd_weighted": b.smd_weighted}
                for b in w.balance
            ],
            "groups": [g.to_dict() for g in self.groups],
            "cox": {
                "coef": self.cox.coef,
                "hr": self.cox.hr,
                "ci": list(self.cox.ci),
                "p": self.cox.p,
                "se_robust": self.cox.se_robust,
            },
            "cox_naive": self.cox_naive.to_dict(),
            "rmst": self.rmst.to_dict(),
            "e_value": self.e_value.to_dict(),
            "bootstrap": {"n_resamples": self.n_bootstrap, "seed": self.seed},
            "warnings": list(self.warnings),
            "notes": list(self.notes),
        }


# ----------------------------------------------------------------------------- helpers


NO_EVENTS = "there are no events in {column!r} among the {n} patients analysed"
"""Why there is no comparison when the analysed patients have no event (the app words it)."""
BAD_RESAMPLES = "the bootstrap needs 0 (none) or at least 2 resamples; got {n}"
BAD_LEVEL = "the confidence level must be between 0 and 1; got {level}"
BAD_TIMES = "requested times must be numbers >= 0; got {times}"
BAD_TAU = "the RMST horizon tau must be a positive number; got {tau}"
CANCELLED = "bootstrap cancelled"
BOOT_SEPARATED = (
    "In {n} of {total} resamples the propensity model separated the groups (propensities clipped to [{clip}, 1 - "
    "{clip}])."
)
ADJUSTED_TEMPLATES: tuple[str, ...] = (
    *WEIGHTS_TEMPLATES, NO_EVENTS, BAD_RESAMPLES, BAD_LEVEL, BAD_TIMES, BAD_TAU, CANCELLED, BOOT_SEPARATED,
    *BOOTSTRAP_TEMPLATES,
)  # fmt: skip
"""Every template of an adjusted comparison's refusals (the weights' and its own)."""


def _hazard_ratio(term: CoxTerm) -> HazardRatio:
    return HazardRatio(coef=term.coef, hr=term.hr, ci=term.ci, p=term.p, se=term.se, se_robust=term.se_robust)


def _cox(frame: pd.DataFrame, column: str, weighted: bool) -> HazardRatio:
    options: dict[str, Any] = {"weights": "_weight", "robust": True} if weighted else {}
    result = fit_cox(frame, "_time", "_event", [column], **options)
    return _hazard_ratio(result.terms[0])


def _check(n_bootstrap: int, level: float) -> None:
    if n_bootstrap < 0 or n_bootstrap == 1:
        raise DataError.of(BAD_RESAMPLES, n=str(n_bootstrap))
    if not 0 < level < 1:
        raise DataError.of(BAD_LEVEL, level=str(level))


def _times(times: Iterable[float]) -> FloatArray:
    requested = np.asarray(list(times), dtype=np.float64)
    if np.any(~np.isfinite(requested)) or np.any(requested < 0):
        raise DataError.of(BAD_TIMES, times=str(requested.tolist()))
    return requested


def _number(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _interval(estimate: Any) -> Interval:
    low, high = estimate.ci
    return (low, high)


# ----------------------------------------------------------------------------- bootstrap


@dataclass(frozen=True)
class _Arm:
    """One treatment group: its patients' positions, distinct times and the slot of each patient."""

    label: str
    positions: IntArray
    distinct: FloatArray
    slot: IntArray
    event: FloatArray


def _arm(label: str, positions: IntArray, time: FloatArray, event: FloatArray) -> _Arm:
    distinct, slot = np.unique(time[positions], return_inverse=True)
    return _Arm(label, positions, distinct.astype(np.float64), slot.astype(np.intp).ravel(), event[positions])


@dataclass(frozen=True)
class _Problem:
    x: FloatArray
    treated: FloatArray
    beta: FloatArray
    estimand: str
    trim: float | None
    arms: tuple[_Arm, _Arm]
    times: FloatArray
    tau: float


def _resample_weights(problem: _Problem, freq: FloatArray) -> tuple[FloatArray, int]:
    """Weights (B, n) of each resample (frequencies ``freq``) from its own propensity model; resamples separated."""
    _, _, score, _ = irls(problem.x, problem.treated, freq=freq, start=problem.beta)
    separated = int(((score < SEPARATION) | (score > 1 - SEPARATION)).any(axis=1).sum())
    score = np.clip(score, SEPARATION, 1 - SEPARATION)
    weights = balancing_weights(score, problem.treated[None, :], check_estimand(problem.estimand))
    if problem.trim is not None:
        eligible = (problem.treated == 0) if problem.estimand == "att" else np.ones(len(problem.treated), dtype=bool)
        masked = np.where((freq > 0) & eligible[None, :], weights, np.nan)
        # the quantile of the resample's weights: each patient counted as often as drawn
        limits = np.array(
            [
                np.quantile(np.repeat(row[~np.isnan(row)], f[~np.isnan(row)].astype(np.intp)), problem.trim)
                for row, f in zip(masked, freq, strict=True)
            ]
        )
        weights = np.where(eligible[None, :] & (weights > limits[:, None]), limits[:, None], weights)
    return weights, separated


def _arm_stats(arm: _Arm, effective: FloatArray, times: FloatArray, tau: float) -> CurveStats:
    """Weighted KM statistics of one arm for rows of effective weights (frequency x weight), shape (B, n_arm)."""
    n_rows, m = effective.shape[0], len(arm.distinct)
    flat = (arm.slot[None, :] + (np.arange(n_rows, dtype=np.intp) * m)[:, None]).ravel()
    totals = np.bincount(flat, weights=effective.ravel(), minlength=n_rows * m).reshape(n_rows, m)
    events = np.bincount(flat, weights=(effective * arm.event[None, :]).ravel(), minlength=n_rows * m)
    events = events.reshape(n_rows, m)
    n_risk = np.cumsum(totals[:, ::-1], axis=1)[:, ::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(events > 0, events / n_risk, 0.0)
    survival: FloatArray = np.cumprod(1.0 - hazard, axis=1, dtype=np.float64)
    return curve_statistics(arm.distinct, survival, totals > 0, times, tau)


def _bootstrap(
    problem: _Problem,
    n_resamples: int,
    seed: int,
    progress: Callable[[int, int], None] | None,
    should_stop: Callable[[], bool] | None,
) -> tuple[list[CurveStats], int]:
    n = len(problem.treated)
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2)]
    chunk = max(1, min(math.ceil(n_resamples / 20), _CELLS_PER_CHUNK // max(n, 1)))
    parts: list[list[CurveStats]] = [[], []]
    separated = 0
    done = 0
    while done < n_resamples:
        if should_stop is not None and should_stop():
            raise PPXError.of(CANCELLED)
        size = min(chunk, n_resamples - done)
        offsets = (np.arange(size, dtype=np.intp) * n)[:, None]
        freq = np.zeros(size * n)
        for arm, rng in zip(problem.arms, rngs, strict=True):
            drawn = arm.positions[rng.integers(0, len(arm.positions), size=(size, len(arm.positions)))]
            freq += np.bincount((drawn + offsets).ravel(), minlength=size * n)
        frequencies = freq.reshape(size, n)
        weights, bad = _resample_weights(problem, frequencies)
        separated += bad
        effective = frequencies * weights
        for k, arm in enumerate(problem.arms):
            parts[k].append(_arm_stats(arm, effective[:, arm.positions], problem.times, problem.tau))
        done += size
        if progress is not None:
            progress(done, n_resamples)
    stats = [
        CurveStats(
            median=np.concatenate([p.median for p in part]),
            survival=np.concatenate([p.survival for p in part], axis=0),
            rmst=np.concatenate([p.rmst for p in part]),
        )
        for part in parts
    ]
    return stats, separated


# ----------------------------------------------------------------------------- entry point


def _point_stats(group: KMGroup, requested: FloatArray) -> tuple[float | None, list[float | None]]:
    values = {a.time: a.survival for a in group.at}
    return group.median, [values.get(float(t)) for t in requested]


def _band(label: str, grid: FloatArray, samples: FloatArray, alpha: float) -> CurveBand:
    undefined = np.isnan(samples).mean(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns beyond follow-up: dropped below
        low = np.nanquantile(samples, alpha / 2, axis=0, method="inverted_cdf")
        high = np.nanquantile(samples, 1 - alpha / 2, axis=0, method="inverted_cdf")
    ok = undefined <= alpha / 2
    return CurveBand(
        group=label,
        times=tuple(grid.tolist()),
        lower=tuple(float(v) if k else None for v, k in zip(low, ok, strict=True)),
        upper=tuple(float(v) if k else None for v, k in zip(high, ok, strict=True)),
    )


def adjusted_comparison(
    frame: pd.DataFrame,
    treatment: str,
    covariates: Sequence[str],
    time_col: str,
    event_col: str,
    *,
    estimand: str = "ate",
    categorical: Iterable[str] = (),
    reference: str | None = None,
    times: Iterable[float] = DEFAULT_TIMES,
    tau: float | None = None,
    trim: float | None = None,
    n_bootstrap: int = 0,
    seed: int = 2022,
    level: float = 0.95,
    conf_type: str = "log-log",
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> AdjustedComparison:
    """Naive and propensity-weighted survival comparison of the two levels of ``treatment``.

    Rows missing the time, event, treatment or a covariate are excluded and
    counted (``n_excluded``). ``progress(done, total)`` is called after each
    chunk of resamples; ``should_stop()`` before each, raising
    ``PPXError("bootstrap cancelled")`` when true. Deterministic for a ``seed``.
    """
    chosen = check_estimand(estimand)
    quantile = check_trim(trim)
    conf = check_conf_type(conf_type)
    _check(n_bootstrap, level)
    requested = _times(times)
    covariates = list(dict.fromkeys(covariates))
    extra = [c for c in dict.fromkeys([treatment, *covariates]) if c not in (time_col, event_col)]
    data = survival_data(frame, time_col, event_col, extra=extra)
    work = frame.loc[data.frame.index].assign(_time=data.frame["time"], _event=data.frame["event"])
    categories = list(categorical)
    d = design(work, treatment, covariates, categorical=categories, reference=reference)
    weighting = weigh_design(d, treatment, chosen, quantile)
    kept = work.loc[list(weighting.rows)]
    weights = np.asarray(weighting.weights, dtype=np.float64)
    treated = np.asarray(weighting.is_treated, dtype=np.float64)
    labels = np.where(treated == 1, weighting.treated, weighting.reference)
    time = kept["_time"].to_numpy(dtype=np.float64)
    event = kept["_event"].to_numpy(dtype=np.float64)
    if event.sum() == 0:
        raise DataError.of(NO_EVENTS, column=event_col, n=len(kept))
    order = (weighting.reference, weighting.treated)
    horizon = float(tau) if tau is not None else min(float(time[treated == k].max()) for k in (0.0, 1.0))
    if not math.isfinite(horizon) or horizon <= 0:
        raise DataError.of(BAD_TAU, tau=str(horizon))
    term = f"{treatment}={weighting.treated}"
    analysis = pd.DataFrame(
        {"_time": time, "_event": event, "_group": labels, "_weight": weights, term: treated}, index=kept.index
    )
    km_options: dict[str, Any] = {"conf_type": conf, "times": requested, "tau": horizon, "group_order": order}
    naive = km_by_group(analysis, "_time", "_event", "_group", **km_options)
    weighted = km_by_group(analysis, "_time", "_event", "_group", weights_col="_weight", **km_options)
    cox_naive = _cox(analysis, term, weighted=False)
    cox = _cox(analysis, term, weighted=True)
    grid = np.linspace(0.0, float(time.max()), BAND_POINTS)
    positions = np.arange(len(time), dtype=np.intp)
    arms = (
        _arm(weighting.reference, positions[treated == 0], time, event),
        _arm(weighting.treated, positions[treated == 1], time, event),
    )
    notes: list[Message] = []
    alpha = 1 - level
    ess = dict(weighting.summary.ess)
    samples: list[CurveStats] | None = None
    if n_bootstrap:
        beta = np.array([t.coef for t in weighting.propensity.terms])
        problem = _Problem(d.x, d.treated, beta, chosen, quantile, arms, np.r_[requested, grid], horizon)
        samples, separated = _bootstrap(problem, n_bootstrap, seed, progress, should_stop)
        if separated:
            notes.append(Message.of(BOOT_SEPARATED, n=separated, total=n_bootstrap, clip=f"{SEPARATION:g}"))
    groups: list[AdjustedGroup] = []
    bands: list[CurveBand] = []
    for k, group in enumerate(weighted.groups):
        median, at_values = _point_stats(group, requested)
        rmst_point = None if group.rmst is None else group.rmst.estimate
        median_ci: Interval = (None, None)
        rmst_ci: Interval = (None, None)
        at_ci: list[Interval] = [(None, None)] * len(requested)
        if samples is not None:
            stats = samples[k]
            name = group.group
            median_ci = _interval(
                summarise_samples(
                    math.nan if median is None else median,
                    not_reached_as_inf(stats.median),
                    alpha,
                    Message.of(WHAT_MEDIAN, group=name),
                    notes,
                )
            )
            at_ci = [
                _interval(
                    summarise_samples(
                        _number(at_values[i]),
                        stats.survival[:, i],
                        alpha,
                        Message.of(WHAT_SURVIVAL, group=name, time=f"{t:g}"),
                        notes,
                    )
                )
                for i, t in enumerate(requested)
            ]
            what = Message.of(WHAT_RMST, group=name)
            rmst_ci = _interval(summarise_samples(rmst_point or math.nan, stats.rmst, alpha, what, notes))
            bands.append(_band(name, grid, stats.survival[:, len(requested) :], alpha))
        groups.append(
            AdjustedGroup(
                group=group.group,
                n=group.n,
                events=group.events,
                ess=ess[group.group],
                median=median,
                median_ci=median_ci,
                at=tuple(AdjustedAt(float(t), at_values[i], at_ci[i]) for i, t in enumerate(requested)),
                rmst=rmst_point,
                rmst_ci=rmst_ci,
            )
        )
    rmst_of = {g.group: (g.rmst.estimate if g.rmst is not None else math.nan) for g in weighted.groups}
    naive_rmst = {g.group: (g.rmst.estimate if g.rmst is not None else math.nan) for g in naive.groups}
    difference = rmst_of[weighting.treated] - rmst_of[weighting.reference]
    difference_ci: Interval = (None, None)
    if samples is not None:
        difference_ci = _interval(
            summarise_samples(difference, samples[1].rmst - samples[0].rmst, alpha, Message(RMST_DIFFERENCE), notes)
        )
    rmst = RMSTDifference(
        tau=horizon,
        difference=difference,
        ci=difference_ci,
        naive_difference=naive_rmst[weighting.treated] - naive_rmst[weighting.reference],
    )
    return AdjustedComparison(
        treatment=treatment,
        reference=weighting.reference,
        treated=weighting.treated,
        estimand=chosen,
        n=weighting.n,
        n_excluded=data.n_excluded + weighting.n_excluded,
        excluded_rows=data.excluded_rows + weighting.excluded_rows,
        weighting=replace(weighting, rows=(), weights=(), is_treated=()),
        naive=naive,
        weighted=weighted,
        groups=tuple(groups),
        bands=tuple(bands),
        cox_naive=cox_naive,
        cox=cox,
        rmst=rmst,
        e_value=e_value(cox.hr, cox.ci, float(event.mean())),
        n_bootstrap=n_bootstrap,
        seed=seed,
        notes=tuple(m.text() for m in notes),
        note_wording=tuple(notes),
    )
