"""Target-trial emulation of post-progression therapy (clone–censor–weight).

The question: does starting a therapy (any, or an immune checkpoint inhibitor)
within ``grace`` months of first-line progression prolong survival, compared
with not starting it within ``grace`` months? The emulated trial:

- **eligibility and time zero**: patients who progressed and were alive and
  followed on the day after progression; time zero is the progression date. A
  flow says who is excluded and why;
- **strategies**: "treat" starts the therapy within the grace period; "no
  treat" does not. Each eligible patient is cloned into both arms and each
  clone is censored when it deviates from its arm (see
  :mod:`analysis.emulate_engine` for the exact rules);
- **weights**: inverse probability of censoring weights from a pooled logistic
  model of therapy start over weekly intervals, given the measurements at
  progression (``*_pd`` columns) and baseline covariates; truncated at a stated
  percentile; effective sample size per arm;
- **estimates**: weighted Kaplan–Meier per arm from progression, the weighted
  Cox hazard ratio on the clones and the RMST difference at ``tau``. CIs come
  from a bootstrap over patients that re-runs the whole procedure (model,
  weights, truncation, curves, Cox) in each resample.

Beside it, for comparison: the naive Cox HR from first-line start (as the
study), and a time-varying Cox from progression, adjusted for the same
covariates and unadjusted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from analysis import emulate_engine as engine
from analysis.cox import CoxResult, fit_cox
from analysis.errors import ConvergenceError, DataError, PPXError
from analysis.jsonsafe import record
from analysis.messages import Message
from analysis.schema import COLUMN_BY_NAME, DAYS_PER_MONTH, PROGRESSION_COLUMNS

Therapy = Literal["any", "ici"]
THERAPIES: tuple[str, ...] = ("any", "ici")
THERAPY_LABELS: dict[str, str] = {"any": "any post-progression therapy", "ici": "an immune checkpoint inhibitor"}
DEFAULT_BASELINE: tuple[str, ...] = ("age", "child_pugh_score", "albi_score", "ecog", "afp", "disease_control")
LOG_COLUMNS: frozenset[str] = frozenset({"afp", "afp_pd"})
"""Columns entered into the models as log10(1 + value)."""
FITNESS_CUTS: dict[str, float] = {"child_pugh_score": 7, "child_pugh_score_pd": 7, "ecog": 2, "ecog_pd": 2}
"""Scores entered both as numbers and as an indicator of the cut-off for second-line fitness
(Child-Pugh B or worse, ECOG 2 or worse), since fitness decides who is treated."""
WEEK_MONTHS = 7.0 / DAYS_PER_MONTH
DEFAULT_TRUNCATION = 100.0
"""No truncation unless the weights explode (see :data:`EXPLODING_WEIGHT`): truncation biases the estimate."""
EXPLODING_WEIGHT = 30.0
AUTO_TRUNCATION = 99.0
"""When the largest clone weight exceeds EXPLODING_WEIGHT and no percentile was asked for, weights are
truncated at the AUTO_TRUNCATION percentile (and the notes say so)."""
MIN_PER_ARM = 10
MAX_GRACE = 24.0

# Why there is no emulated trial, each a template (analysis.messages; the app words them, a column or covariate by
# its label, the therapy by its label): the English text is exactly what ``ppx emulate`` prints.
BAD_GRACE = "the grace period must be more than 0 and at most {most} months; got {grace}"
BAD_THERAPY = "therapy must be one of {choices}; got {therapy!r}"
BAD_TAU = "tau (the RMST horizon) must be longer than the grace period ({grace} months); got {tau}"
BAD_RESAMPLES = "the number of bootstrap resamples must be from 0 to 10,000; got {n}"
BAD_TRUNCATION = "the weight truncation percentile must be from 50 to 100; got {percentile}"
NOT_IN_COHORT = "covariate column {covariate!r} is not in the cohort"
PD_EMPTY = "the progression-time covariate(s) {columns} are empty for every patient who progressed"
SAME_VALUE = "covariate {terms} has the same value for every eligible patient"
FEW_STARTED = (
    "only {few} of {n} eligible patients started {therapy} within {grace} months of progression; the emulation "
    "needs at least {minimum} in each arm (try another grace period or therapy)"
)
FEW_NOT_STARTED = (
    "only {few} of {n} eligible patients did not start {therapy} within {grace} months of progression; the "
    "emulation needs at least {minimum} in each arm (try another grace period or therapy)"
)
BAD_TIMES = "survival times must be non-negative numbers of months"
CANCELLED = "emulation cancelled"
# A result's notes, each a template too (EmulationResult.wording).
EXPLODED = (
    "Some weights exceeded {limit} (weights explode when few patients like them were treated, or left untreated): "
    "they were truncated at the {percentile}th percentile, which trades bias for precision."
)
BASELINE_ONLY = (
    "This file has no measurements at progression ({columns}): the emulation adjusts for baseline covariates only, "
    "so confounding by fitness at progression (who is well enough to be treated) is not removed and the treatment "
    "effect is probably overstated."
)
EXTREME_NO_TREAT = (
    "The weights are extreme in the no-treat arm: effective sample size {ess} of {clones} clones; the estimate rests "
    "on few patients (try fewer covariates, a longer grace period or a lower truncation percentile)."
)
EXTREME_TREAT = (
    "The weights are extreme in the treat arm: effective sample size {ess} of {clones} clones; the estimate rests "
    "on few patients (try fewer covariates, a longer grace period or a lower truncation percentile)."
)
TRUNCATED = "{n} clone weights above {value} were truncated to it."
FAILED_RESAMPLES = "{failed} of {n} bootstrap resamples could not be fitted and were left out."
NO_ICI_ARM = "The 'no ICI' arm includes patients given another therapy (only the main therapy is recorded)."
NOTE_TEMPLATES: tuple[str, ...] = (
    EXPLODED, BASELINE_ONLY, EXTREME_NO_TREAT, EXTREME_TREAT, TRUNCATED, FAILED_RESAMPLES, NO_ICI_ARM,
)  # fmt: skip
"""Every template of an emulation's notes."""
EMULATION_TEMPLATES: tuple[str, ...] = (
    BAD_GRACE, BAD_THERAPY, BAD_TAU, BAD_RESAMPLES, BAD_TRUNCATION, NOT_IN_COHORT, PD_EMPTY, SAME_VALUE,
    FEW_STARTED, FEW_NOT_STARTED, BAD_TIMES, CANCELLED, *engine.ENGINE_TEMPLATES, *NOTE_TEMPLATES,
)  # fmt: skip
"""Every template of the emulation's refusals (its own and its engine's) and notes."""
WEIGHT_MODEL = (
    "pooled logistic regression of therapy start over weekly intervals of the grace period: "
    "logit P(start in week k | alive and untreated at its start) = a0 + a1 k/K + a2 (k/K)^2 + b'x + c'z k/K, "
    "x all covariates, z the measurements at progression (the baseline covariates when there are none)"
)


@dataclass(frozen=True)
class Exclusion:
    reason: str
    n: int

    def to_dict(self) -> dict[str, Any]:
        return record(self)


@dataclass(frozen=True)
class Interval:
    """An estimate with its 95% CI (bounds None when not reached or not estimable)."""

    estimate: float | None
    ci: tuple[float | None, float | None]

    def to_dict(self) -> dict[str, Any]:
        return record(self)


@dataclass(frozen=True)
class ArmPoint:
    time: float
    survival: float
    ci: tuple[float | None, float | None]

    def to_dict(self) -> dict[str, Any]:
        return record(self)


@dataclass(frozen=True)
class EmulationArm:
    arm: str  # "treat" or "no_treat"
    label: str
    n_clones: int
    n_deviated: int
    """Clones censored because they deviated from the strategy."""
    events: int
    ess: float
    survival: tuple[ArmPoint, ...]
    median: Interval
    curve_time: tuple[float, ...]
    curve_survival: tuple[float, ...]
    band_lower: tuple[float, ...]
    band_upper: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "arm": self.arm,
            "label": self.label,
            "n_clones": self.n_clones,
            "n_deviated": self.n_deviated,
            "events": self.events,
            "ess": self.ess,
            "survival": [p.to_dict() for p in self.survival],
            "median": self.median.estimate,
            "median_ci": list(self.median.ci),
        }


@dataclass(frozen=True)
class WeightDiagnostics:
    model: str
    covariates: tuple[str, ...]
    truncation_percentile: float
    truncation_value: float
    n_truncated: int
    mean: float
    maximum: float
    ess_no_treat: float
    ess_treat: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "covariates": list(self.covariates),
            "truncation_percentile": self.truncation_percentile,
            "truncation_value": self.truncation_value,
            "n_truncated": self.n_truncated,
            "mean": self.mean,
            "max": self.maximum,
            "ess": {"no_treat": self.ess_no_treat, "treat": self.ess_treat},
        }


@dataclass(frozen=True)
class EmulationResult:
    grace: float
    therapy: str
    tau: float
    n_total: int
    n_progressed: int
    n_eligible: int
    n_excluded: int
    exclusions: tuple[Exclusion, ...]
    n_treated_within_grace: int
    covariates_pd: tuple[str, ...]
    covariates: tuple[str, ...]
    baseline_only: bool
    arms: tuple[EmulationArm, EmulationArm]  # no treat, treat
    hr: Interval
    log_hr_se_model: float
    """Model-based SE of the log HR (weights taken as known, clones as independent): for checks, not for CIs."""
    hr_robust: Interval
    """The same HR with the robust sandwich CI clustered by patient (``fit_cox(weights=, robust=True,
    cluster=)``, as R's ``coxph``): treats the weights as known, so the bootstrap CI is the one to read."""
    rmst_difference: Interval
    naive: Interval
    time_varying: Interval
    time_varying_unadjusted: Interval
    weights: WeightDiagnostics
    n_bootstrap: int
    n_bootstrap_failed: int
    seed: int
    notes: tuple[str, ...]
    wording: tuple[Message, ...] = ()
    """``notes`` as templates and parameters (:data:`NOTE_TEMPLATES`), for the app to word."""

    def summary(self) -> str:
        """One line: HR and RMST difference with CIs."""
        return (
            f"Emulated trial (grace {self.grace:g} months, {THERAPY_LABELS[self.therapy]}): "
            f"HR {_fmt_interval(self.hr)}; RMST difference at {self.tau:g} months "
            f"{_fmt_interval(self.rmst_difference, 2, ' months')}"
            + (" (baseline covariates only)" if self.baseline_only else "")
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "grace": self.grace,
            "therapy": self.therapy,
            "n_total": self.n_total,
            "n_progressed": self.n_progressed,
            "n_eligible": self.n_eligible,
            "n_excluded": self.n_excluded,
            "exclusions": [e.to_dict() for e in self.exclusions],
            "n_treated_within_grace": self.n_treated_within_grace,
            "covariates_pd": list(self.covariates_pd),
            "covariates": list(self.covariates),
            "baseline_only": self.baseline_only,
            "arms": [a.to_dict() for a in self.arms],
            "hr": {"estimate": self.hr.estimate, "ci": list(self.hr.ci)},
            "hr_robust": {"estimate": self.hr_robust.estimate, "ci": list(self.hr_robust.ci)},
            "rmst_difference": {
                "tau": self.tau,
                "estimate": self.rmst_difference.estimate,
                "ci": list(self.rmst_difference.ci),
            },
            "naive": {"hr": self.naive.estimate, "ci": list(self.naive.ci)},
            "time_varying": {"hr": self.time_varying.estimate, "ci": list(self.time_varying.ci)},
            "time_varying_unadjusted": {
                "hr": self.time_varying_unadjusted.estimate,
                "ci": list(self.time_varying_unadjusted.ci),
            },
            "weights": self.weights.to_dict(),
            "n_bootstrap": self.n_bootstrap,
            "n_bootstrap_failed": self.n_bootstrap_failed,
            "seed": self.seed,
            "notes": list(self.notes),
        }


def _fmt_interval(value: Interval, digits: int = 2, unit: str = "") -> str:
    def fmt(x: float | None) -> str:
        return "NR" if x is None else f"{x:.{digits}f}"

    if value.estimate is None:
        return "not estimable"
    lo, hi = value.ci
    if lo is None and hi is None:
        return f"{fmt(value.estimate)}{unit}"
    return f"{fmt(value.estimate)}{unit} (95% CI {fmt(lo)} to {fmt(hi)})"


# ----------------------------------------------------------------------------- eligibility and covariates


@dataclass(frozen=True)
class _Cohort:
    frame: pd.DataFrame  # eligible patients
    time: np.ndarray[Any, np.dtype[np.float64]]
    event: np.ndarray[Any, np.dtype[np.float64]]
    start: np.ndarray[Any, np.dtype[np.float64]]
    covariates: np.ndarray[Any, np.dtype[np.float64]]
    names: tuple[str, ...]
    exclusions: tuple[Exclusion, ...]
    n_progressed: int


def _check_options(grace: float, therapy: str, tau: float, n_bootstrap: int, truncation: float) -> None:
    if not (isinstance(grace, (int, float)) and math.isfinite(grace) and 0 < grace <= MAX_GRACE):
        raise DataError.of(BAD_GRACE, most=f"{MAX_GRACE:g}", grace=str(grace))
    if therapy not in THERAPIES:
        raise DataError.of(BAD_THERAPY, choices=", ".join(THERAPIES), therapy=str(therapy))
    if not (math.isfinite(tau) and tau > grace):
        raise DataError.of(BAD_TAU, grace=f"{grace:g}", tau=str(tau))
    if n_bootstrap < 0 or n_bootstrap > 10_000:
        raise DataError.of(BAD_RESAMPLES, n=str(n_bootstrap))
    if not 50.0 <= truncation <= 100.0:
        raise DataError.of(BAD_TRUNCATION, percentile=f"{truncation:g}")


def _resolve_covariates(
    frame: pd.DataFrame, progressed: pd.DataFrame, covariates_pd: Sequence[str] | None, covariates: Sequence[str]
) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    for name in [*(covariates_pd or ()), *covariates]:
        if name not in frame.columns:
            raise DataError.of(NOT_IN_COHORT, covariate=name)
    if covariates_pd is None:
        chosen_pd = tuple(c for c in PROGRESSION_COLUMNS if c in frame.columns and progressed[c].notna().any())
    else:
        chosen_pd = tuple(covariates_pd)
        empty = [c for c in chosen_pd if not progressed[c].notna().any()]
        if empty:
            raise DataError.of(PD_EMPTY, columns=", ".join(empty))
    return chosen_pd, tuple(c for c in covariates if c not in chosen_pd), not chosen_pd


def _design_columns(frame: pd.DataFrame, names: Sequence[str]) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Numeric model columns: log10(1 + AFP), categories as 0/1 dummies (first level the reference)."""
    columns: dict[str, pd.Series] = {}
    for name in names:
        values = frame[name]
        kind = COLUMN_BY_NAME[name].kind if name in COLUMN_BY_NAME else None
        if kind == "category" or values.dtype == object:
            levels = sorted(values.dropna().astype(str).unique())
            for level in levels[1:]:
                columns[f"{name}={level}"] = (values.astype(str) == level).astype("float64").where(values.notna())
        elif name in LOG_COLUMNS:
            columns[f"log10(1+{name})"] = pd.Series(np.log10(1.0 + values.astype("float64")), index=frame.index)
        else:
            columns[name] = values.astype("float64")
            if name in FITNESS_CUTS:  # the clinical cut-off for second-line fitness, as a term of its own
                cut = FITNESS_CUTS[name]
                columns[f"{name}>={cut:g}"] = (values.astype("float64") >= cut).astype("float64").where(values.notna())
    design = pd.DataFrame(columns, index=frame.index)
    return design, tuple(design.columns)


def _eligible(
    frame: pd.DataFrame, therapy: str, names: Sequence[str]
) -> tuple[pd.DataFrame, tuple[Exclusion, ...], int]:
    exclusions: list[Exclusion] = []
    progressed = frame["progression_date"].notna()
    exclusions.append(Exclusion("no progression recorded", int((~progressed).sum())))
    rows = frame[progressed]
    n_progressed = len(rows)
    alive = rows["pps_months"].astype("float64") > 0
    exclusions.append(Exclusion("died or last seen on the day of progression", int((~alive).sum())))
    rows = rows[alive]
    flag = "pp_received" if therapy == "any" else "pp_ici"
    unknown = (rows[flag] == 1) & rows["pp_start"].isna()
    exclusions.append(Exclusion("therapy start date unknown", int(unknown.sum())))
    rows = rows[~unknown]
    for name in names:
        missing = rows[name].isna()
        exclusions.append(Exclusion(f"missing {name}", int(missing.sum())))
        rows = rows[~missing]
    return rows, tuple(e for e in exclusions if e.n > 0), n_progressed


def _prepare(frame: pd.DataFrame, therapy: str, names: Sequence[str]) -> _Cohort:
    rows, exclusions, n_progressed = _eligible(frame, therapy, names)
    flag = "pp_received" if therapy == "any" else "pp_ici"
    started = (rows["pp_start"] - rows["progression_date"]).dt.days.astype("float64") / DAYS_PER_MONTH
    start = np.where((rows[flag] == 1).to_numpy(), started.to_numpy(), np.inf)
    design, _ = _design_columns(rows, names)
    x = design.to_numpy(dtype=np.float64)
    if x.shape[1]:
        spread = x.std(axis=0)
        constant = [str(c) for c, s in zip(design.columns, spread, strict=True) if s == 0]
        if constant:
            raise DataError.of(SAME_VALUE, terms=", ".join(constant))
        x = (x - x.mean(axis=0)) / spread
    return _Cohort(
        frame=rows,
        time=rows["pps_months"].to_numpy(dtype=np.float64),
        event=rows["pps_event"].to_numpy(dtype=np.float64),
        start=np.asarray(start, dtype=np.float64),
        covariates=np.asarray(x, dtype=np.float64),
        names=tuple(design.columns),
        exclusions=exclusions,
        n_progressed=n_progressed,
    )


# ----------------------------------------------------------------------------- one run of the procedure


@dataclass(frozen=True)
class _Run:
    log_hr: float
    log_hr_se: float
    rmst: tuple[float, float]
    at_times: np.ndarray[Any, np.dtype[np.float64]]  # (2, len(times))
    on_grid: np.ndarray[Any, np.dtype[np.float64]]  # (2, len(grid))
    median: tuple[float | None, float | None]
    weights: engine.Weights
    beta: np.ndarray[Any, np.dtype[np.float64]]


def _run(
    trial: engine.Trial,
    counts: np.ndarray[Any, np.dtype[np.float64]],
    truncation: float,
    times: np.ndarray[Any, np.dtype[np.float64]],
    grid: np.ndarray[Any, np.dtype[np.float64]],
    tau: float,
    start: np.ndarray[Any, np.dtype[np.float64]] | None = None,
) -> _Run:
    beta = engine.fit_pooled_logistic(trial, counts, start)
    weights = engine.censoring_weights(trial, beta, counts, truncation)
    row_count = counts[trial.row_patient]
    sums = engine.risk_sums(trial, weights.row * row_count, row_count)
    survival = engine.km_arms(sums)
    log_hr, se = engine.cox_arm(sums)
    rmst = engine.rmst_arms(trial.event_times, survival, tau)
    return _Run(
        log_hr=log_hr,
        log_hr_se=se,
        rmst=(float(rmst[0]), float(rmst[1])),
        at_times=engine.survival_on(times, trial.event_times, survival),
        on_grid=engine.survival_on(grid, trial.event_times, survival),
        median=engine.medians(trial.event_times, survival),
        weights=weights,
        beta=beta,
    )


def _percentile_ci(values: np.ndarray[Any, np.dtype[np.float64]]) -> tuple[float | None, float | None]:
    finite = values[np.isfinite(values)]
    if finite.shape[0] < 2:
        return (None, None)
    lo, hi = np.percentile(finite, [2.5, 97.5])
    return (float(lo), float(hi))


def _median_ci(values: list[float | None]) -> tuple[float | None, float | None]:
    """Percentile CI of a median; a bound is None (not reached) when that share of resamples has no median."""
    if len(values) < 2:
        return (None, None)
    numbers = np.array([np.inf if v is None else v for v in values], dtype=np.float64)
    reached = int(np.isfinite(numbers).sum())

    def bound(q: float) -> float | None:
        # The linear percentile interpolates the order statistics either side of q (n-1)/100 (the unreached
        # medians, +inf, sort last): a bound leaning on one is not reached, and interpolating it would be inf - inf.
        if math.ceil(q / 100 * (len(values) - 1)) >= reached:
            return None
        return float(np.percentile(numbers, q))

    return (bound(2.5), bound(97.5))


# ----------------------------------------------------------------------------- comparators


def _cox_interval(result: CoxResult) -> Interval:
    term = result.terms[0]
    return Interval(term.hr, (term.ci[0], term.ci[1]))


def _naive(frame: pd.DataFrame, therapy: str) -> Interval:
    flag = "pp_received" if therapy == "any" else "pp_ici"
    try:
        return _cox_interval(fit_cox(frame, "os_months", "os_event", [flag]))
    except PPXError:
        return Interval(None, (None, None))


def _time_varying(cohort: _Cohort, adjusted: bool) -> Interval:
    """Cox from progression with the therapy switched on when it starts; optionally adjusted."""
    time, event, start = cohort.time, cohort.event, cohort.start
    split = np.isfinite(start) & (start > 0) & (start < time)
    from_zero = np.isfinite(start) & (start <= 0)
    x = cohort.covariates if adjusted else np.zeros((time.shape[0], 0))
    before = np.column_stack(
        [np.zeros_like(time), np.where(split, start, time), np.where(split, 0.0, event), from_zero.astype(float), x]
    )
    after = np.column_stack([start[split], time[split], event[split], np.ones(int(split.sum())), x[split]])
    names = [f"x{j}" for j in range(x.shape[1])]
    long = pd.DataFrame(np.vstack([before, after]), columns=["start", "stop", "event", "treated", *names])
    try:
        return _cox_interval(fit_cox(long, "stop", "event", ["treated", *names], start_col="start"))
    except PPXError:
        return Interval(None, (None, None))


# ----------------------------------------------------------------------------- public entry point


def _setup(
    frame: pd.DataFrame, grace: float, therapy: str, covariates_pd: Sequence[str] | None, covariates: Sequence[str]
) -> tuple[_Cohort, engine.Trial, tuple[str, ...], tuple[str, ...], bool]:
    """Eligible patients, covariates and the cloned trial; DataError when an arm would be too small."""
    progressed = frame[frame["progression_date"].notna()]
    chosen_pd, baseline, baseline_only = _resolve_covariates(frame, progressed, covariates_pd, covariates)
    cohort = _prepare(frame, therapy, (*chosen_pd, *baseline))
    n = int(cohort.time.shape[0])
    treated = int(np.sum(cohort.start <= np.minimum(grace, cohort.time)))
    untreated = n - treated
    if treated < MIN_PER_ARM or untreated < MIN_PER_ARM:
        few, template = (treated, FEW_STARTED) if treated < MIN_PER_ARM else (untreated, FEW_NOT_STARTED)
        raise DataError.of(
            template, few=few, n=n, therapy=THERAPY_LABELS[therapy], grace=f"{grace:g}", minimum=MIN_PER_ARM
        )
    timing_names = set(_design_columns(cohort.frame, chosen_pd or baseline)[1])
    timing = cohort.covariates[:, [j for j, name in enumerate(cohort.names) if name in timing_names]]
    trial = engine.build_trial(
        cohort.time, cohort.event, cohort.start, cohort.covariates, grace, WEEK_MONTHS, timing=timing
    )
    return cohort, trial, chosen_pd, baseline, baseline_only


def _point(
    trial: engine.Trial,
    truncation: float | None,
    requested: np.ndarray[Any, np.dtype[np.float64]],
    grid: np.ndarray[Any, np.dtype[np.float64]],
    tau: float,
) -> tuple[_Run, float, bool]:
    """The estimate on the data; with ``truncation`` None, weights are truncated only if they explode."""
    ones = np.ones(trial.n)
    if truncation is not None:
        return _run(trial, ones, truncation, requested, grid, tau), truncation, False
    point = _run(trial, ones, DEFAULT_TRUNCATION, requested, grid, tau)
    if point.weights.truncation_value <= EXPLODING_WEIGHT:
        return point, DEFAULT_TRUNCATION, False
    return _run(trial, ones, AUTO_TRUNCATION, requested, grid, tau), AUTO_TRUNCATION, True


def emulation_rows(
    frame: pd.DataFrame,
    *,
    grace: float = 3.0,
    therapy: str = "any",
    covariates_pd: Sequence[str] | None = None,
    covariates: Sequence[str] = DEFAULT_BASELINE,
    truncation: float | None = None,
) -> pd.DataFrame:
    """The weighted clone rows of the emulated trial, to reproduce its Cox model and curves elsewhere.

    One row per (start, stop] interval of a clone: ``patient_id``, ``arm`` (1
    treat, 0 no treat), ``start``, ``stop`` (months from progression),
    ``event`` and ``weight``. In R: ``coxph(Surv(start, stop, event) ~ arm,
    data = rows, weights = weight, cluster = patient_id)`` gives the HR, and
    ``survfit(Surv(start, stop, event) ~ arm, data = rows, weights = weight)``
    the curves.
    """
    _check_options(grace, therapy, grace + 1.0, 0, DEFAULT_TRUNCATION if truncation is None else truncation)
    cohort, trial, *_ = _setup(frame, grace, therapy, covariates_pd, covariates)
    point, _, _ = _point(trial, truncation, np.zeros(0), np.zeros(1), grace + 1.0)
    return pd.DataFrame(
        {
            "patient_id": cohort.frame["patient_id"].to_numpy()[trial.row_patient],
            "arm": trial.row_arm,
            "start": trial.row_start,
            "stop": trial.row_stop,
            "event": trial.row_event.astype(np.int64),
            "weight": point.weights.row,
        }
    )


def emulate_trial(
    frame: pd.DataFrame,
    *,
    grace: float = 3.0,
    therapy: str = "any",
    covariates_pd: Sequence[str] | None = None,
    covariates: Sequence[str] = DEFAULT_BASELINE,
    times: Sequence[float] = (6.0, 12.0),
    tau: float = 12.0,
    n_bootstrap: int = 200,
    seed: int = 2022,
    truncation: float | None = None,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> EmulationResult:
    """Emulate the target trial "start ``therapy`` within ``grace`` months of progression vs not".

    ``frame`` is a validated canonical cohort. ``covariates_pd`` defaults to the
    measurements at progression the file has; without any, the emulation
    adjusts for the baseline ``covariates`` only and says so in ``notes``.
    ``progress(done, total)`` is called during the bootstrap; when
    ``should_stop()`` returns True it raises ``PPXError("emulation cancelled")``.

    Raises DataError for bad options or columns, too few patients starting (or
    not starting) therapy within the grace period; ConvergenceError when the
    censoring model or the Cox model cannot be fitted.
    """
    _check_options(grace, therapy, tau, n_bootstrap, DEFAULT_TRUNCATION if truncation is None else truncation)
    requested = np.array(sorted({float(t) for t in times}), dtype=np.float64)
    if requested.shape[0] and (not np.all(np.isfinite(requested)) or requested[0] < 0):
        raise DataError.of(BAD_TIMES)
    setup = _setup(frame, grace, therapy, covariates_pd, covariates)
    cohort, trial, chosen_pd, baseline, baseline_only = setup
    short = "therapy" if therapy == "any" else "ICI"
    n = int(cohort.time.shape[0])
    treated = int(np.sum(cohort.start <= np.minimum(grace, cohort.time)))
    horizon = float(min(max(np.max(cohort.time), tau), 60.0))
    grid = np.linspace(0.0, horizon, 121)
    point, truncation, exploded = _point(trial, truncation, requested, grid, tau)

    rng = np.random.default_rng(seed)
    boot_hr, boot_rmst, boot_at, boot_grid = [], [], [], []
    boot_median: list[list[float | None]] = [[], []]
    failed = 0
    for done in range(1, n_bootstrap + 1):
        if should_stop is not None and should_stop():
            raise PPXError.of(CANCELLED)
        counts = np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64)
        try:
            run = _run(trial, counts, truncation, requested, grid, tau, point.beta)
        except ConvergenceError:
            failed += 1
        else:
            boot_hr.append(run.log_hr)
            boot_rmst.append(run.rmst[1] - run.rmst[0])
            boot_at.append(run.at_times)
            boot_grid.append(run.on_grid)
            boot_median[0].append(run.median[0])
            boot_median[1].append(run.median[1])
        if progress is not None:
            progress(done, n_bootstrap)
    hr_ci = _percentile_ci(np.exp(np.array(boot_hr)))
    rmst_ci = _percentile_ci(np.array(boot_rmst))
    at = np.array(boot_at) if boot_at else np.full((0, 2, requested.shape[0]), np.nan)
    on_grid = np.array(boot_grid) if boot_grid else np.full((0, 2, grid.shape[0]), np.nan)

    weights = point.weights
    deviated = _deviations(trial)
    events = _events(trial)
    arms: list[EmulationArm] = []
    for arm, (key, arm_label) in enumerate(
        (
            ("no_treat", f"No {short} within {grace:g} months"),
            ("treat", f"{short[0].upper()}{short[1:]} within {grace:g} months"),
        )
    ):
        lower, upper = (np.percentile(on_grid[:, arm, :], [2.5, 97.5], axis=0) if len(boot_grid) >= 2 else (
            np.full(grid.shape[0], np.nan), np.full(grid.shape[0], np.nan)))  # fmt: skip
        points = tuple(
            ArmPoint(float(t), float(point.at_times[arm, j]), _percentile_ci(at[:, arm, j]))
            for j, t in enumerate(requested)
        )
        arms.append(
            EmulationArm(
                arm=key,
                label=arm_label,
                n_clones=n,
                n_deviated=deviated[arm],
                events=events[arm],
                ess=weights.ess[arm],
                survival=points,
                median=Interval(point.median[arm], _median_ci(boot_median[arm])),
                curve_time=tuple(float(t) for t in grid),
                curve_survival=tuple(float(s) for s in point.on_grid[arm]),
                band_lower=tuple(float(v) for v in lower),
                band_upper=tuple(float(v) for v in upper),
            )
        )
    final = np.minimum(weights.final, weights.truncation_value)
    diagnostics = WeightDiagnostics(
        model=WEIGHT_MODEL,
        covariates=cohort.names,
        truncation_percentile=truncation,
        truncation_value=weights.truncation_value,
        n_truncated=weights.n_truncated,
        mean=float(np.mean(final)),
        maximum=float(np.max(final)),
        ess_no_treat=weights.ess[0],
        ess_treat=weights.ess[1],
    )
    wording = _notes(baseline_only, weights, n, failed, n_bootstrap, therapy)
    if exploded:
        wording = (Message.of(EXPLODED, limit=f"{EXPLODING_WEIGHT:g}", percentile=f"{AUTO_TRUNCATION:g}"), *wording)
    return EmulationResult(
        grace=float(grace),
        therapy=therapy,
        tau=float(tau),
        n_total=len(frame),
        n_progressed=cohort.n_progressed,
        n_eligible=n,
        n_excluded=len(frame) - n,
        exclusions=cohort.exclusions,
        n_treated_within_grace=treated,
        covariates_pd=chosen_pd,
        covariates=baseline,
        baseline_only=baseline_only,
        arms=(arms[0], arms[1]),
        hr=Interval(math.exp(point.log_hr), hr_ci),
        log_hr_se_model=point.log_hr_se,
        hr_robust=_robust(trial, point.weights.row),
        rmst_difference=Interval(point.rmst[1] - point.rmst[0], rmst_ci),
        naive=_naive(frame, therapy),
        time_varying=_time_varying(cohort, adjusted=True),
        time_varying_unadjusted=_time_varying(cohort, adjusted=False),
        weights=diagnostics,
        n_bootstrap=n_bootstrap - failed,
        n_bootstrap_failed=failed,
        seed=seed,
        notes=tuple(m.text() for m in wording),
        wording=wording,
    )


def _robust(trial: engine.Trial, row_weight: np.ndarray[Any, np.dtype[np.float64]]) -> Interval:
    """Weighted Cox of the arms on the clone rows with the robust variance clustered by patient."""
    rows = pd.DataFrame(
        {
            "patient": trial.row_patient,
            "arm": trial.row_arm,
            "start": trial.row_start,
            "stop": trial.row_stop,
            "event": trial.row_event,
            "weight": row_weight,
        }
    )
    try:
        fit = fit_cox(
            rows, "stop", "event", ["arm"], start_col="start", weights="weight", robust=True, cluster="patient"
        )
    except PPXError:
        return Interval(None, (None, None))
    return _cox_interval(fit)


def _deviations(trial: engine.Trial) -> tuple[int, int]:
    """Clones censored for deviating: treated within G (no treat arm); untreated and followed at G (treat arm)."""
    treated = trial.start <= np.minimum(trial.grace, trial.time)
    return int(np.sum(treated)), int(np.sum(~treated & (trial.time > trial.grace)))


def _events(trial: engine.Trial) -> tuple[int, int]:
    events = trial.row_event > 0
    return int(np.sum(events & (trial.row_arm == 0))), int(np.sum(events & (trial.row_arm == 1)))


def _notes(
    baseline_only: bool, weights: engine.Weights, n: int, failed: int, n_bootstrap: int, therapy: str
) -> tuple[Message, ...]:
    notes: list[Message] = []
    if baseline_only:
        notes.append(Message.of(BASELINE_ONLY, columns=", ".join(PROGRESSION_COLUMNS)))
    for arm, template in ((0, EXTREME_NO_TREAT), (1, EXTREME_TREAT)):
        ess, clones = weights.ess[arm], weights.n_clones[arm]
        if ess < 0.25 * clones:
            notes.append(Message.of(template, ess=f"{ess:.0f}", clones=int(clones)))
    if weights.n_truncated and weights.truncation_value < float(np.max(weights.final)):
        notes.append(Message.of(TRUNCATED, n=int(weights.n_truncated), value=f"{weights.truncation_value:.2f}"))
    if failed:
        notes.append(Message.of(FAILED_RESAMPLES, failed=failed, n=n_bootstrap))
    if therapy == "ici":
        notes.append(Message.of(NO_ICI_ARM))
    return tuple(notes)
