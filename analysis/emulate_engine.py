"""The numerical core of the target-trial emulation: clones, censoring weights, weighted KM and Cox.

Everything here works on arrays prepared once (:class:`Trial`) and a vector of
case counts (1 for every patient in the real data; a bootstrap resample is a
vector of multinomial counts), so that the whole procedure re-runs in each
resample without rebuilding any table. :mod:`analysis.emulate` builds the
trial from a cohort and reports the results.

Conventions (also stated on the Methods page):

- time zero is progression; ``T`` is the time to death or censoring, ``A`` the
  time therapy started (``inf`` if never), both in months;
- arm "treat" (1): start therapy within the grace period ``G``. A clone not
  treated by ``G`` and still followed at ``G`` is censored at ``G``; a clone who
  dies or is censored within ``G`` before therapy is consistent with both
  strategies and keeps its outcome;
- arm "no treat" (0): no therapy within ``G``. A clone is censored when therapy
  starts within ``G``; therapy after ``G`` is allowed;
- censoring weights come from a pooled logistic model of therapy start over
  weekly intervals of the grace period: logit P(start in week k | alive and
  untreated at its start) = a0 + a1 (k/K) + a2 (k/K)^2 + b'x + c'z (k/K), where z
  are the measurements at progression (or, without them, the baseline
  covariates): they may change how soon, not only how often, therapy starts. In week k a
  "no treat" clone has weight 1 / prod_{j<k}(1 - h_j), and after ``G``
  1 / prod_{j<K}(1 - h_j); a "treat" clone has weight 1 during the grace
  period and 1 / (1 - prod_{j<K}(1 - h_j)) after it;
- weights above a stated percentile of the clones' final weights are set to
  that percentile (truncation);
- the Cox model on the clones has the arm as its only covariate, Efron ties,
  time-varying weights (counting-process rows), as R's
  ``coxph(Surv(start, stop, event) ~ arm, weights = w)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from analysis.errors import ConvergenceError
from analysis.km import r_median
from analysis.schema import DAYS_PER_MONTH

# Why a model of the emulated trial cannot be fitted, each a template (analysis.messages; the app words them).
NOBODY_STARTED = "the model of therapy start cannot be fitted: nobody, or everybody, started therapy"
COLLINEAR = "the model of therapy start cannot be fitted: a covariate is constant or collinear with others"
SEPARATES = (
    "the model of therapy start cannot be fitted: a covariate separates treated from untreated patients completely "
    "(weights would explode); remove it or choose fewer covariates"
)
NOT_CONVERGED = "the model of therapy start did not converge in 30 iterations"
NO_DEATHS = "one arm of the emulated trial has no deaths: its hazard ratio is not defined"
COX_NOT_CONVERGED = "the Cox model on the emulated trial did not converge (an arm has too few events)"
ENGINE_TEMPLATES: tuple[str, ...] = (NOBODY_STARTED, COLLINEAR, SEPARATES, NOT_CONVERGED, NO_DEATHS, COX_NOT_CONVERGED)
"""Every template of the engine's refusals."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_MAX_ITER = 30
_MIN_PROBABILITY = 1e-6


@dataclass(frozen=True)
class Trial:
    """Everything that does not change between bootstrap resamples."""

    n: int
    grace: float
    weeks: int
    time: FloatArray
    event: FloatArray
    start: FloatArray
    # pooled logistic person-period rows
    pp_patient: IntArray
    pp_week: IntArray
    pp_design: FloatArray
    pp_outcome: FloatArray
    week_design: FloatArray  # (weeks, 3): intercept, k/K, (k/K)^2
    covariates: FloatArray  # (n, p), standardised
    timing: FloatArray  # (n, q): the covariates whose effect may change over the grace period (x k/K terms)
    # clone rows (start, stop]
    row_patient: IntArray
    row_arm: IntArray
    row_start: FloatArray
    row_stop: FloatArray
    row_event: FloatArray
    row_week: IntArray  # week index whose weight applies (0..K; K after the grace period)
    row_last: BoolArray  # the clone's last row (its final weight)
    # event-time bookkeeping
    event_times: FloatArray
    row_event_index: IntArray  # index into event_times for event rows, -1 otherwise
    start_order: IntArray
    stop_order: IntArray
    start_cut: IntArray  # per event time: rows (in start order) with start < t
    stop_cut: IntArray  # per event time: rows (in stop order) with stop < t


def week_edges(grace: float, week: float) -> FloatArray:
    """Edges 0 = e0 < e1 < ... < eK = grace of the weekly intervals of the grace period.

    Edges are whole days / 30.4375, computed as the times of the data are, so
    that a therapy started on day 14 falls exactly on an edge.
    """
    weeks = max(1, math.ceil(grace / week - 1e-9))
    days = np.arange(weeks + 1, dtype=np.float64) * round(week * DAYS_PER_MONTH)
    return np.minimum(days / DAYS_PER_MONTH, grace)


def build_trial(
    time: FloatArray,
    event: FloatArray,
    start: FloatArray,
    covariates: FloatArray,
    grace: float,
    week: float,
    timing: FloatArray | None = None,
) -> Trial:
    """Clone every patient into both arms, split the grace period into weeks, index the event times."""
    n = int(time.shape[0])
    edges = week_edges(grace, week)
    weeks = int(edges.shape[0] - 1)
    treated = start <= np.minimum(grace, time)
    treat_week = np.where(treated, np.minimum(np.floor(start / week), weeks - 1), weeks).astype(np.int64)
    # person-period rows: at risk of starting in week k if alive and untreated at its start
    k = np.arange(weeks)
    at_risk = (edges[:-1][None, :] < time[:, None]) & (k[None, :] <= treat_week[:, None])
    at_risk[:, 0] = True  # everyone eligible is alive and untreated at progression
    pp_patient, pp_week = np.nonzero(at_risk)
    outcome = (pp_week == treat_week[pp_patient]).astype(np.float64)
    fraction = k / weeks
    week_design = np.column_stack([np.ones(weeks), fraction, fraction**2])
    timing = covariates if timing is None else timing
    pp_design = np.column_stack(
        [week_design[pp_week], covariates[pp_patient], timing[pp_patient] * fraction[pp_week][:, None]]
    )

    patients, arms, starts, stops, events, row_weeks = [], [], [], [], [], []
    # treat arm: (0, min(T, G)] at weight 1; if treated within G and followed beyond G, (G, T] at 1 / P(treated)
    grace_end = np.minimum(time, grace)
    ends_in_grace = time <= grace
    patients.append(np.arange(n))
    arms.append(np.ones(n, dtype=np.int64))
    starts.append(np.zeros(n))
    stops.append(grace_end)
    events.append(np.where(ends_in_grace, event, 0.0))
    row_weeks.append(np.full(n, -1, dtype=np.int64))  # -1: weight 1
    beyond = treated & ~ends_in_grace
    patients.append(np.flatnonzero(beyond))
    arms.append(np.ones(int(beyond.sum()), dtype=np.int64))
    starts.append(np.full(int(beyond.sum()), grace))
    stops.append(time[beyond])
    events.append(event[beyond])
    row_weeks.append(np.full(int(beyond.sum()), weeks, dtype=np.int64))
    # no-treat arm: weekly rows up to min(T, A, G) (censored at A if treated within G), then (G, T]
    control_end = np.where(treated, start, time)
    for j in range(weeks):
        lo, hi = edges[j], edges[j + 1]
        inside = control_end > lo
        stop = np.minimum(control_end, hi)
        died = ~treated & (time <= hi) & (time > lo)
        patients.append(np.flatnonzero(inside))
        arms.append(np.zeros(int(inside.sum()), dtype=np.int64))
        starts.append(np.full(int(inside.sum()), lo))
        stops.append(stop[inside])
        events.append(np.where(died, event, 0.0)[inside])
        row_weeks.append(np.full(int(inside.sum()), j, dtype=np.int64))
    after = ~treated & (time > grace)
    patients.append(np.flatnonzero(after))
    arms.append(np.zeros(int(after.sum()), dtype=np.int64))
    starts.append(np.full(int(after.sum()), grace))
    stops.append(time[after])
    events.append(event[after])
    row_weeks.append(np.full(int(after.sum()), weeks, dtype=np.int64))

    row_patient = np.concatenate(patients).astype(np.int64)
    row_arm = np.concatenate(arms)
    row_start = np.concatenate(starts).astype(np.float64)
    row_stop = np.concatenate(stops).astype(np.float64)
    row_event = np.concatenate(events).astype(np.float64)
    row_week = np.concatenate(row_weeks)
    keep = row_stop - row_start > 1e-9
    row_patient, row_arm, row_start, row_stop = row_patient[keep], row_arm[keep], row_start[keep], row_stop[keep]
    row_event, row_week = row_event[keep], row_week[keep]
    clone = row_patient * 2 + row_arm
    order = np.lexsort((row_stop, clone))
    last = np.zeros(order.shape[0], dtype=bool)
    sorted_clone = clone[order]
    last[order[np.r_[sorted_clone[1:] != sorted_clone[:-1], True]]] = True

    event_times = np.unique(row_stop[row_event > 0])
    row_event_index = np.where(row_event > 0, np.searchsorted(event_times, row_stop), -1).astype(np.int64)
    start_order = np.argsort(row_start, kind="stable")
    stop_order = np.argsort(row_stop, kind="stable")
    start_cut = np.searchsorted(row_start[start_order], event_times, side="left").astype(np.int64)
    stop_cut = np.searchsorted(row_stop[stop_order], event_times, side="left").astype(np.int64)
    return Trial(
        n=n, grace=grace, weeks=weeks, time=time, event=event, start=start,
        pp_patient=pp_patient.astype(np.int64), pp_week=pp_week.astype(np.int64), pp_design=pp_design,
        pp_outcome=outcome,
        week_design=week_design, covariates=covariates, timing=timing,
        row_patient=row_patient, row_arm=row_arm, row_start=row_start, row_stop=row_stop, row_event=row_event,
        row_week=row_week, row_last=last, event_times=event_times, row_event_index=row_event_index,
        start_order=start_order.astype(np.int64), stop_order=stop_order.astype(np.int64),
        start_cut=start_cut, stop_cut=stop_cut,
    )  # fmt: skip


# ----------------------------------------------------------------------------- censoring model


def fit_logistic(
    design: FloatArray, outcome: FloatArray, counts: FloatArray, start: FloatArray | None = None
) -> FloatArray:
    """Logistic regression with frequency weights by Newton–Raphson (as R's ``glm(family = binomial)``).

    ``start`` (e.g. the fit on the data, for a bootstrap resample) only speeds convergence.
    """
    mean = float(np.sum(counts * outcome) / max(np.sum(counts), 1e-12))
    if not 0.0 < mean < 1.0:
        raise ConvergenceError.of(NOBODY_STARTED)
    if start is None:
        beta = np.zeros(design.shape[1])
        beta[0] = math.log(mean / (1.0 - mean))
    else:
        beta = start.copy()
    previous = -math.inf
    for _ in range(_MAX_ITER):
        eta = np.clip(design @ beta, -35.0, 35.0)
        p = 1.0 / (1.0 + np.exp(-eta))
        loglik = float(np.sum(counts * (outcome * eta - np.log1p(np.exp(eta)))))
        if abs(loglik - previous) < 1e-10 * (abs(loglik) + 1.0):
            return beta  # converged (a hazard near 0 in some week may leave a large time coefficient: harmless)
        previous = loglik
        gradient = design.T @ (counts * (outcome - p))
        hessian = (design * (counts * p * (1.0 - p))[:, None]).T @ design
        try:
            step = (
                np.linalg.lstsq(hessian, gradient, rcond=None)[0]
                if _singular(hessian)
                else np.linalg.solve(hessian, gradient)
            )
        except np.linalg.LinAlgError as exc:
            raise ConvergenceError.of(COLLINEAR) from exc
        beta = beta + step
        if float(np.max(np.abs(step))) < 1e-7:
            return beta
        if not np.all(np.isfinite(beta)):
            raise ConvergenceError.of(SEPARATES)
    raise ConvergenceError.of(NOT_CONVERGED)


def fit_pooled_logistic(trial: Trial, counts: FloatArray, start: FloatArray | None = None) -> FloatArray:
    """:func:`fit_logistic` on the person-period rows of ``trial``, with ``counts`` per patient, computed per patient.

    The same Newton–Raphson, but the score and information are summed within each patient first (the covariates
    are constant within a patient; only the week terms change), so each iteration costs O(rows + n p^2)
    instead of O(rows p^2). Same estimates as :func:`fit_logistic` on ``trial.pp_design``.
    """
    patient, week, y = trial.pp_patient, trial.pp_week, trial.pp_outcome
    n, weeks = trial.n, trial.weeks
    x, z, w = trial.covariates, trial.timing, trial.week_design
    p, q = x.shape[1], z.shape[1]
    t = w[:, 1]
    c = counts[patient]
    mean = float(np.sum(c * y) / max(np.sum(c), 1e-12))
    if not 0.0 < mean < 1.0:
        raise ConvergenceError.of(NOBODY_STARTED)
    if start is None:
        beta = np.zeros(3 + p + q)
        beta[0] = math.log(mean / (1.0 - mean))
    else:
        beta = start.copy()
    tk = t[week]
    previous = -math.inf
    for _ in range(_MAX_ITER):
        eta = np.clip(
            (w @ beta[:3])[week] + (x @ beta[3 : 3 + p])[patient] + tk * (z @ beta[3 + p :])[patient], -35, 35
        )
        prob = 1.0 / (1.0 + np.exp(-eta))
        loglik = float(np.sum(c * (y * eta - np.log1p(np.exp(eta)))))
        if abs(loglik - previous) < 1e-10 * (abs(loglik) + 1.0):
            return beta
        previous = loglik
        g, a = c * (y - prob), c * prob * (1.0 - prob)
        by_week_g = np.bincount(week, weights=g, minlength=weeks)
        by_week_a = np.bincount(week, weights=a, minlength=weeks)
        g0, g1 = np.bincount(patient, weights=g, minlength=n), np.bincount(patient, weights=g * tk, minlength=n)
        s0 = np.bincount(patient, weights=a, minlength=n)
        s1 = np.bincount(patient, weights=a * tk, minlength=n)
        s2 = np.bincount(patient, weights=a * tk * tk, minlength=n)
        m0 = np.column_stack([np.bincount(patient, weights=a * w[week, j], minlength=n) for j in range(3)])
        m1 = np.column_stack([np.bincount(patient, weights=a * tk * w[week, j], minlength=n) for j in range(3)])
        gradient = np.concatenate([w.T @ by_week_g, x.T @ g0, z.T @ g1])
        hessian = np.empty((3 + p + q, 3 + p + q))
        hessian[:3, :3] = (w * by_week_a[:, None]).T @ w
        hessian[:3, 3 : 3 + p] = m0.T @ x
        hessian[:3, 3 + p :] = m1.T @ z
        hessian[3 : 3 + p, 3 : 3 + p] = (x * s0[:, None]).T @ x
        hessian[3 : 3 + p, 3 + p :] = (x * s1[:, None]).T @ z
        hessian[3 + p :, 3 + p :] = (z * s2[:, None]).T @ z
        lower = np.tril_indices(3 + p + q, -1)
        hessian[lower] = hessian.T[lower]
        step = _newton_step(hessian, gradient)
        beta = beta + step
        if float(np.max(np.abs(step))) < 1e-7:
            return beta
        if not np.all(np.isfinite(beta)):
            raise ConvergenceError.of(SEPARATES)
    raise ConvergenceError.of(NOT_CONVERGED)


def _newton_step(hessian: FloatArray, gradient: FloatArray) -> FloatArray:
    try:
        if _singular(hessian):
            return np.asarray(np.linalg.lstsq(hessian, gradient, rcond=None)[0], dtype=np.float64)
        return np.asarray(np.linalg.solve(hessian, gradient), dtype=np.float64)
    except np.linalg.LinAlgError as exc:
        raise ConvergenceError.of(COLLINEAR) from exc


def _singular(matrix: FloatArray) -> bool:
    return bool(np.linalg.cond(matrix) > 1e12)


def uncensored_probability(trial: Trial, beta: FloatArray) -> FloatArray:
    """(n, K + 1): probability of not having started therapy by the start of week k (k = K: by the end of G)."""
    p = trial.covariates.shape[1]
    fraction = trial.week_design[:, 1]
    main, slope = trial.covariates @ beta[3 : 3 + p], trial.timing @ beta[3 + p :]
    eta = (trial.week_design @ beta[:3])[None, :] + main[:, None] + slope[:, None] * fraction[None, :]
    # eta below -700 (a resample's large time coefficient) would overflow exp: its hazard is 1e-304 or less either
    # way, and 1 - hazard is exactly 1.0, so clipping changes no result and raises no warning
    hazard = 1.0 / (1.0 + np.exp(-np.maximum(eta, -700.0)))
    survival = np.cumprod(1.0 - hazard, axis=1)
    return np.column_stack([np.ones(trial.n), survival])


@dataclass(frozen=True)
class Weights:
    row: FloatArray  # inverse-probability weight of each clone row (truncated), without the case counts
    truncation_value: float
    n_truncated: int
    final: FloatArray  # each clone's final weight (before truncation), per row_last
    ess: tuple[float, float]  # effective sample size per arm (no treat, treat)
    n_clones: tuple[int, int]


def censoring_weights(trial: Trial, beta: FloatArray, counts: FloatArray, percentile: float) -> Weights:
    """Row weights of the clones from the fitted model, truncated at ``percentile`` of the clones' final weights."""
    untreated = uncensored_probability(trial, beta)
    treated_by_grace = np.maximum(1.0 - untreated[:, -1], _MIN_PROBABILITY)
    patient, week = trial.row_patient, trial.row_week
    control = 1.0 / np.maximum(untreated[patient, np.maximum(week, 0)], _MIN_PROBABILITY)
    treat = np.where(week == trial.weeks, 1.0 / treated_by_grace[patient], 1.0)
    raw = np.where(trial.row_arm == 1, treat, control)
    last = trial.row_last
    final = raw[last]
    clone_counts = counts[patient[last]]
    present = clone_counts > 0
    value = float(_weighted_percentile(final[present], clone_counts[present], percentile))
    truncated = np.minimum(raw, value)
    n_truncated = int(np.sum(clone_counts[final > value]))
    ess: list[float] = []
    n_clones: list[int] = []
    for arm in (0, 1):
        members = trial.row_arm[last] == arm
        w, c = np.minimum(final[members], value), clone_counts[members]
        total = float(np.sum(c * w))
        ess.append(total**2 / max(float(np.sum(c * w * w)), 1e-300))
        n_clones.append(int(np.sum(c)))
    return Weights(truncated, value, n_truncated, final, (ess[0], ess[1]), (n_clones[0], n_clones[1]))


def _weighted_percentile(values: FloatArray, weights: FloatArray, percentile: float) -> float:
    if percentile >= 100.0 or values.shape[0] == 0:
        return float(np.max(values)) if values.shape[0] else 1.0
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    position = int(np.searchsorted(cumulative, percentile / 100.0 * cumulative[-1], side="left"))
    return float(values[order][min(position, order.shape[0] - 1)])


# ----------------------------------------------------------------------------- weighted KM and Cox


@dataclass(frozen=True)
class RiskSums:
    """Weighted numbers at risk and of deaths per arm at each event time; count of death rows."""

    at_risk: FloatArray  # (2, m)
    deaths: FloatArray  # (2, m)
    n_deaths: FloatArray  # (m,)


def risk_sums(trial: Trial, row_weight: FloatArray, row_count: FloatArray) -> RiskSums:
    """Y_arm(t) = sum of weights with start < t <= stop; dN_arm(t) = weighted deaths at t."""
    m = int(trial.event_times.shape[0])
    at_risk = np.empty((2, m))
    deaths = np.empty((2, m))
    events = trial.row_event_index >= 0
    for arm in (0, 1):
        w = np.where(trial.row_arm == arm, row_weight, 0.0)
        entered = np.r_[0.0, np.cumsum(w[trial.start_order])][trial.start_cut]
        left = np.r_[0.0, np.cumsum(w[trial.stop_order])][trial.stop_cut]
        at_risk[arm] = entered - left
        deaths[arm] = np.bincount(trial.row_event_index[events], weights=w[events], minlength=m)
    n_deaths = np.bincount(trial.row_event_index[events], weights=row_count[events], minlength=m).astype(np.float64)
    return RiskSums(at_risk, deaths, n_deaths)


def km_arms(sums: RiskSums) -> FloatArray:
    """(2, m) weighted Kaplan–Meier survival just after each event time, per arm."""
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(sums.at_risk > 0, 1.0 - sums.deaths / sums.at_risk, 1.0)
    return np.asarray(np.cumprod(step, axis=1), dtype=np.float64)


def survival_on(times: FloatArray, event_times: FloatArray, survival: FloatArray) -> FloatArray:
    """Step functions (rows of ``survival``) evaluated at ``times``."""
    index = np.searchsorted(event_times, times, side="right") - 1
    padded = np.column_stack([np.ones(survival.shape[0]), survival])
    return np.asarray(padded[:, index + 1], dtype=np.float64)


def rmst_arms(event_times: FloatArray, survival: FloatArray, tau: float) -> FloatArray:
    """Area under each arm's curve on [0, tau]."""
    keep = event_times <= tau
    grid = np.r_[0.0, event_times[keep], tau]
    heights = np.column_stack([np.ones(survival.shape[0]), survival[:, keep]])
    return np.asarray(heights @ np.diff(grid), dtype=np.float64)


def medians(event_times: FloatArray, survival: FloatArray) -> tuple[float | None, float | None]:
    return r_median(event_times, survival[0]), r_median(event_times, survival[1])


def cox_arm(sums: RiskSums) -> tuple[float, float]:
    """log HR (treat vs no treat) and its model-based SE: weighted Efron partial likelihood, one binary covariate."""
    y0, y1 = sums.at_risk
    d0, d1 = sums.deaths
    keep = (sums.n_deaths > 0) & (d0 + d1 > 0)
    y0, y1, d0, d1, nd = y0[keep], y1[keep], d0[keep], d1[keep], sums.n_deaths[keep]
    whole = np.maximum(np.rint(nd), 1).astype(np.int64)
    time_of = np.repeat(np.arange(whole.shape[0]), whole)
    offsets = np.r_[0, np.cumsum(whole)[:-1]]
    fraction = (np.arange(time_of.shape[0]) - offsets[time_of]) / whole[time_of]
    mean_weight = ((d0 + d1) / whole)[time_of]
    y0k, y1k, d0k, d1k = y0[time_of], y1[time_of], d0[time_of], d1[time_of]
    total_d1 = float(np.sum(d1))

    def evaluate(beta: float) -> tuple[float, float, float]:
        r = math.exp(beta)
        denominator = y0k + y1k * r - fraction * (d0k + d1k * r)
        numerator = y1k * r - fraction * d1k * r
        mean = numerator / denominator
        loglik = beta * total_d1 - float(np.sum(mean_weight * np.log(denominator)))
        score = total_d1 - float(np.sum(mean_weight * mean))
        information = float(np.sum(mean_weight * (mean - mean * mean)))
        return loglik, score, information

    if total_d1 <= 0 or float(np.sum(d0)) <= 0:
        raise ConvergenceError.of(NO_DEATHS)
    beta = 0.0
    loglik, score, information = evaluate(beta)
    for _ in range(_MAX_ITER):
        if information <= 0:
            break
        step = score / information
        new = beta + step
        new_loglik, new_score, new_information = evaluate(new)
        halvings = 0
        while new_loglik < loglik - 1e-12 and halvings < 20:
            step /= 2
            new = beta + step
            new_loglik, new_score, new_information = evaluate(new)
            halvings += 1
        beta, loglik, score, information = new, new_loglik, new_score, new_information
        if abs(step) < 1e-10:
            break
    if not math.isfinite(beta) or abs(beta) > 20 or information <= 0:
        raise ConvergenceError.of(COX_NOT_CONVERGED)
    return beta, 1.0 / math.sqrt(information)
