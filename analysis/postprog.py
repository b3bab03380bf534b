"""Post-progression analytics that are safe from immortal-time bias.

Receiving post-progression therapy (or an ICI) happens after baseline: a patient
must survive to progression, and stay well enough, to be treated. Grouping OS
from the first-line start by it credits that waiting time to the treated group
(immortal-time or guarantee-time bias). This module gives the study's naive
comparison and three honest ones side by side:

- **landmark analysis** (:func:`landmark_frame`, :func:`landmark_analysis`):
  only patients alive and still followed *after* the landmark count (time >
  landmark); each is grouped by the status reached *by* the landmark
  (therapy started on or before it), and time restarts at the landmark.
- **time-varying Cox** (:func:`counting_process`, :func:`time_varying_cox`):
  each exposure switches from 0 to 1 at ``pp_start``; data in counting-process
  form (start, stop], as R's ``coxph(Surv(start, stop, event) ~ ...)``.
- **Simon–Makuch curves** (:func:`simon_makuch`): Kaplan–Meier with delayed
  entry, in which a patient contributes to the untreated curve until therapy
  starts and to the treated curve afterwards (the Mantel–Byar comparison is the
  log-rank test on the same risk sets).

Times are months from the first-line start (days / 30.4375).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, cast

import numpy as np
import pandas as pd

from analysis.caveats import Caveat, time_varying_exposures
from analysis.compare import TestResult, compare_survival
from analysis.cox import CoxResult, CoxTerm, fit_cox
from analysis.errors import DataError, EmptyGroupError, PPXError
from analysis.km import KMResult, km_by_group
from analysis.messages import Message
from analysis.schema import DAYS_PER_MONTH

EXPOSURES: dict[str, str] = {
    "pp_received": "post-progression therapy",
    "pp_ici": "ICI after progression",
}
"""Post-baseline exposures that start at ``pp_start`` -> plain-words name."""

EXPOSURE_LEVELS: dict[str, tuple[str, str]] = {
    "pp_received": ("No therapy yet", "Post-progression therapy"),
    "pp_ici": ("No ICI yet", "ICI"),
}


def exposure_months(frame: pd.DataFrame) -> pd.Series:
    """Months from the first-line start to ``pp_start`` (missing when no therapy was started)."""
    start = pd.to_datetime(frame["first_line_start"])
    pp = pd.to_datetime(frame["pp_start"])
    months: pd.Series = (pp - start).dt.days.astype("float64") / DAYS_PER_MONTH
    return months


PP_GROUPS: tuple[str, ...] = ("ici", "other", "none")
"""Three-way post-progression grouping of the study's lenvatinib analysis: ICI, other therapy, none."""


def pp_sequence_group(frame: pd.DataFrame) -> pd.Series:
    """``ici`` if an ICI was given after progression, ``other`` for any other therapy, else ``none``."""
    group = np.where(frame["pp_ici"] == 1, "ici", np.where(frame["pp_received"] == 1, "other", "none"))
    return pd.Series(group, index=frame.index, dtype=object)


BAD_EXPOSURE = "exposure must be one of {choices}; got {exposure!r}"
BAD_LANDMARK = "the landmark must be a number of months >= 0; got {landmark}"
NOBODY_BEYOND = "no patient is alive and followed beyond the {landmark}-month landmark"


def _check_exposure(exposure: str) -> None:
    if exposure not in EXPOSURES:
        raise DataError.of(BAD_EXPOSURE, choices=", ".join(EXPOSURES), exposure=str(exposure))


def _exposed_by(frame: pd.DataFrame, exposure: str, time: float | pd.Series) -> pd.Series:
    """1 where the exposure has started on or before ``time``."""
    started = exposure_months(frame)
    flag: pd.Series = ((frame[exposure] == 1) & started.notna() & (started <= time)).astype("int64")
    return flag


# ----------------------------------------------------------------------------- landmark


@dataclass(frozen=True)
class LandmarkResult:
    """Survival after a landmark, by exposure status reached at the landmark."""

    landmark: float
    exposure: str
    n_total: int
    n_eligible: int
    n_excluded: int
    """Patients who died or were censored on or before the landmark."""
    km: KMResult
    test: TestResult | None
    test_note: str | None
    cox: CoxResult | None
    cox_note: str | None

    @property
    def hr(self) -> CoxTerm | None:
        return None if self.cox is None else self.cox.terms[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "landmark": self.landmark,
            "exposure": self.exposure,
            "n_total": self.n_total,
            "n_eligible": self.n_eligible,
            "n_excluded": self.n_excluded,
            "groups": [g.to_dict(include_curve=False) for g in self.km.groups],
            "test": None if self.test is None else self.test.to_dict(),
            "test_note": self.test_note,
            "hr": None if self.hr is None else self.hr.to_dict(),
            "cox_note": self.cox_note,
        }


def landmark_frame(
    frame: pd.DataFrame,
    landmark: float,
    exposure: str = "pp_received",
    *,
    time_col: str = "os_months",
    event_col: str = "os_event",
) -> pd.DataFrame:
    """The landmark cohort: patients with time > landmark, time restarted at the landmark.

    Adds ``lm_time`` (time - landmark), ``lm_event`` and ``lm_exposed`` (1 if the
    exposure started on or before the landmark). Patients who died or were
    censored on or before the landmark are not in the result.
    """
    _check_exposure(exposure)
    if not np.isfinite(landmark) or landmark < 0:
        raise DataError.of(BAD_LANDMARK, landmark=repr(landmark))
    time = frame[time_col].astype("float64")
    eligible = frame[time.notna() & (time > landmark)]
    return eligible.assign(
        lm_time=eligible[time_col].astype("float64") - landmark,
        lm_event=eligible[event_col].astype("int64"),
        lm_exposed=_exposed_by(eligible, exposure, landmark),
    )


def landmark_analysis(
    frame: pd.DataFrame,
    landmark: float,
    exposure: str = "pp_received",
    *,
    covariates: Sequence[str] = (),
    conf_type: str = "log-log",
    times: Sequence[float] = (),
) -> LandmarkResult:
    """KM, log-rank and Cox HR (exposed vs not at the landmark) in the landmark cohort."""
    data = landmark_frame(frame, landmark, exposure)
    if data.empty:
        raise EmptyGroupError.of(NOBODY_BEYOND, landmark=f"{landmark:g}")
    labels = EXPOSURE_LEVELS[exposure]
    data = data.assign(lm_group=np.where(data["lm_exposed"] == 1, labels[1], labels[0]))
    order = [label for label in labels if label in set(data["lm_group"])]
    km = km_by_group(data, "lm_time", "lm_event", "lm_group", conf_type=conf_type, times=times, group_order=order)
    test: TestResult | None = None
    test_note: str | None = None
    try:
        test = compare_survival(data["lm_time"], data["lm_event"], data["lm_group"], group_order=order)
    except PPXError as exc:
        test_note = str(exc)
    cox: CoxResult | None = None
    cox_note: str | None = None
    try:
        cox = fit_cox(data, "lm_time", "lm_event", ["lm_exposed", *covariates])
    except PPXError as exc:
        cox_note = str(exc)
    return LandmarkResult(
        landmark=float(landmark),
        exposure=exposure,
        n_total=len(frame),
        n_eligible=len(data),
        n_excluded=len(frame) - len(data),
        km=km,
        test=test,
        test_note=test_note,
        cox=cox,
        cox_note=cox_note,
    )


# ----------------------------------------------------------------------------- counting process


def counting_process(
    frame: pd.DataFrame,
    exposures: Sequence[str] = ("pp_received",),
    covariates: Sequence[str] = (),
    *,
    time_col: str = "os_months",
    event_col: str = "os_event",
) -> pd.DataFrame:
    """Split each patient's follow-up at ``pp_start`` into (start, stop] rows.

    Columns: ``patient_id``, ``start``, ``stop``, ``event`` (only on the last
    row), one 0/1 column per exposure (1 from ``pp_start`` on) and the
    covariates. A therapy started on or after the end of follow-up does not
    split the row (no time is spent exposed).
    """
    for exposure in exposures:
        _check_exposure(exposure)
    keep = frame[frame[time_col].notna() & frame[event_col].notna()]
    stop = keep[time_col].astype("float64").to_numpy()
    event = keep[event_col].astype("int64").to_numpy()
    switch = exposure_months(keep).to_numpy()
    any_exposure = np.zeros(len(keep), dtype=bool)
    for exposure in exposures:
        any_exposure |= keep[exposure].to_numpy() == 1
    split = any_exposure & np.isfinite(switch) & (switch > 0) & (switch < stop)
    base = keep[["patient_id", *covariates]].reset_index(drop=True)
    before = base.assign(start=0.0, stop=np.where(split, switch, stop), event=np.where(split, 0, event))
    for exposure in exposures:
        flag = keep[exposure].to_numpy() == 1
        # exposed from time 0 only when therapy started at time 0 or earlier (not possible in valid data)
        before[exposure] = (flag & np.isfinite(switch) & (switch <= 0)).astype("int64")
    after = base[split].assign(start=switch[split], stop=stop[split], event=event[split])
    for exposure in exposures:
        after[exposure] = (keep[exposure].to_numpy()[split] == 1).astype("int64")
    long = pd.concat([before, after], ignore_index=True)
    order = ["patient_id", "start", "stop", "event", *exposures, *covariates]
    return long.sort_values(["patient_id", "start"], kind="stable").reset_index(drop=True)[order]


def time_varying_cox(
    frame: pd.DataFrame,
    exposures: Sequence[str] = ("pp_received",),
    covariates: Sequence[str] = (),
    *,
    categorical: Sequence[str] = (),
) -> CoxResult:
    """Cox model with the exposures as time-varying covariates (switched on at ``pp_start``)."""
    long = counting_process(frame, exposures, covariates)
    return fit_cox(long, "stop", "event", [*exposures, *covariates], categorical=categorical, start_col="start")


def time_varying_counterpart(
    frame: pd.DataFrame | None,
    covariates: Sequence[str],
    found: Sequence[Caveat],
    *,
    categorical: Sequence[str] = (),
) -> tuple[CoxResult | None, str | None]:
    """The corrected counterpart of a naive OS model or comparison that the caveats call for.

    The post-progression exposures switch on at ``pp_start`` (:func:`time_varying_cox`); a grouping they stand
    for (``pp_group``, ``pp_class``) is replaced by them, and the other covariates stay as baseline covariates.
    ``frame`` is the canonical cohort (None when the data are not one). Returns (model, None), or (None, why not).
    """
    if not found:
        return None, None
    exposures = time_varying_exposures(found)
    if not exposures:
        return None, found[0].counterpart[0].upper() + found[0].counterpart[1:] + "."
    if frame is None:
        return None, (
            f"Run the time-varying counterpart on a canonical cohort file (ppx cox --time-varying "
            f"{','.join(exposures)}): the exposures then switch on at pp_start."
        )
    replaced = {c.variable for c in found if c.exposure is not None}
    baseline = [c for c in covariates if c not in exposures and c not in replaced]
    try:
        model = time_varying_cox(frame, exposures, baseline, categorical=[c for c in categorical if c in baseline])
    except PPXError as exc:
        return None, f"The time-varying model could not be fitted: {exc}"
    return model, None


# ----------------------------------------------------------------------------- Simon–Makuch


@dataclass(frozen=True)
class SimonMakuchResult:
    """KM curves with patients moving from the untreated to the treated group when therapy starts."""

    exposure: str
    km: KMResult
    test: TestResult | None
    test_note: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "exposure": self.exposure,
            "groups": [g.to_dict(include_curve=False) for g in self.km.groups],
            "test": None if self.test is None else self.test.to_dict(),
            "test_note": self.test_note,
        }


def simon_makuch(
    frame: pd.DataFrame, exposure: str = "pp_received", *, conf_type: str = "log-log", times: Sequence[float] = ()
) -> SimonMakuchResult:
    long = counting_process(frame, (exposure,))
    labels = EXPOSURE_LEVELS[exposure]
    long = long.assign(sm_group=np.where(long[exposure] == 1, labels[1], labels[0]))
    order = [label for label in labels if label in set(long["sm_group"])]
    km = km_by_group(
        long, "stop", "event", "sm_group", start_col="start", conf_type=conf_type, times=times, group_order=order
    )
    test: TestResult | None = None
    note: str | None = None
    try:
        test = compare_survival(long["stop"], long["event"], long["sm_group"], entry=long["start"], group_order=order)
    except PPXError as exc:
        note = str(exc)
    return SimonMakuchResult(exposure=exposure, km=km, test=test, test_note=note)


# ----------------------------------------------------------------------------- side by side


NAIVE_NOT_COMPUTED = "Naive Cox: {reason}"
VARYING_NOT_COMPUTED = "Time-varying Cox: {reason}"
LANDMARK_NOT_COMPUTED = "Landmark: {reason}"
SIMON_MAKUCH_NOT_COMPUTED = "Simon–Makuch: {reason}"
NOT_COMPUTED: tuple[str, ...] = (
    NAIVE_NOT_COMPUTED, VARYING_NOT_COMPUTED, LANDMARK_NOT_COMPUTED, SIMON_MAKUCH_NOT_COMPUTED,
)  # fmt: skip
"""Why one analysis of :func:`immortal_time_comparison` is missing, each a template (the analysis' refusal nested:
its own template where it has one, else its English text)."""
POSTPROG_TEMPLATES: tuple[str, ...] = (*NOT_COMPUTED, BAD_EXPOSURE, BAD_LANDMARK, NOBODY_BEYOND)
"""Every template of this module's refusals and notes."""


@dataclass(frozen=True)
class ImmortalTimeComparison:
    """The naive OS comparison by a post-baseline exposure, and its honest counterparts."""

    exposure: str
    naive_cox: CoxResult | None
    time_varying: CoxResult | None
    landmark: LandmarkResult | None
    simon_makuch: SimonMakuchResult | None
    notes: tuple[str, ...]
    wording: tuple[Message, ...] = ()
    """``notes`` as templates and parameters (:data:`NOT_COMPUTED`, the refusal nested), for the app to word."""

    def summary(self) -> str:
        """One sentence comparing the naive HR with the time-dependent HR."""
        name = EXPOSURES[self.exposure]
        if self.naive_cox is None or self.time_varying is None:
            return f"The naive and time-dependent hazard ratios for {name} could not both be estimated."
        naive = self.naive_cox.terms[0]
        honest = self.time_varying.terms[0]
        verdict = (
            "the apparent benefit shrinks once waiting time is no longer credited to the treated group"
            if honest.hr > naive.hr
            else "the time-dependent estimate is no smaller than the naive one"
        )
        return (
            f"Naive HR for {name} (OS from first-line start): {_hr_text(naive)}; "
            f"time-dependent HR: {_hr_text(honest)} — {verdict}."
        )


def _hr_text(term: CoxTerm) -> str:
    return f"{term.hr:.2f} (95% CI {term.ci[0]:.2f}–{term.ci[1]:.2f})"


def immortal_time_comparison(
    frame: pd.DataFrame,
    exposure: str = "pp_received",
    *,
    landmark: float = 6.0,
    covariates: Sequence[str] = (),
    times: Sequence[float] = (),
) -> ImmortalTimeComparison:
    """Naive Cox, time-varying Cox, landmark analysis and Simon–Makuch for one exposure.

    ``times`` are passed to the landmark and Simon–Makuch Kaplan–Meier estimates (risk tables).
    """
    _check_exposure(exposure)
    notes: list[Message] = []

    def attempt(template: str, fn: Any) -> Any:
        try:
            return fn()
        except PPXError as exc:
            notes.append(Message.of(template, reason=exc.wording if exc.wording is not None else str(exc)))
            return None

    naive = attempt(NAIVE_NOT_COMPUTED, lambda: fit_cox(frame, "os_months", "os_event", [exposure, *covariates]))
    varying = attempt(VARYING_NOT_COMPUTED, lambda: time_varying_cox(frame, (exposure,), covariates))
    lm = attempt(
        LANDMARK_NOT_COMPUTED, lambda: landmark_analysis(frame, landmark, exposure, covariates=covariates, times=times)
    )
    sm = attempt(SIMON_MAKUCH_NOT_COMPUTED, lambda: simon_makuch(frame, exposure, times=times))
    return ImmortalTimeComparison(exposure, naive, varying, lm, sm, tuple(m.text() for m in notes), tuple(notes))


# ----------------------------------------------------------------------------- treatment sequences

SEQUENCE_STAGES: tuple[str, ...] = ("first_line", "best_response", "progressed", "pp_class", "status")


@dataclass(frozen=True)
class SequenceLink:
    """One flow between two nodes, with its patient count and the global filter it stands for."""

    source: int
    target: int
    count: int
    filters: tuple[tuple[str, str], ...]
    """FilterSpec fields (name, value) that select the patients of this flow, as far as filters can."""


@dataclass(frozen=True)
class SequenceFlows:
    """Nodes (stage, value) and links of the first line → response → progression → therapy → status diagram."""

    nodes: tuple[tuple[str, str], ...]
    links: tuple[SequenceLink, ...]
    n: int


_FILTER_OF_STAGE: dict[str, str] = {
    "first_line": "first_line",
    "best_response": "response",
    "progressed": "progressed",
    "pp_class": "pp",
}


def _stage_values(frame: pd.DataFrame) -> pd.DataFrame:
    progressed = frame["progression_date"].notna()
    return pd.DataFrame(
        {
            "first_line": frame["first_line"].astype(str),
            "best_response": frame["best_response"].astype(str),
            "progressed": np.where(progressed, "yes", "no"),
            "pp_class": np.where(progressed, frame["pp_class"].astype(str), ""),
            "status": np.where(frame["os_event"] == 1, "dead", "alive"),
        },
        index=frame.index,
    )


def treatment_sequences(frame: pd.DataFrame) -> SequenceFlows:
    """Counts of every flow between consecutive stages; non-progressors skip the therapy stage."""
    stages = _stage_values(frame)
    nodes: list[tuple[str, str]] = []
    index: dict[tuple[str, str], int] = {}

    def node(stage: str, value: str) -> int:
        key = (stage, value)
        if key not in index:
            index[key] = len(nodes)
            nodes.append(key)
        return index[key]

    links: list[SequenceLink] = []
    pairs = [*pairwise(SEQUENCE_STAGES), ("progressed", "status")]  # non-progressors skip the therapy stage
    for left, right in pairs:
        subset = stages
        if left == "pp_class" or (left, right) == ("progressed", "pp_class"):
            subset = stages[stages["progressed"] == "yes"]
        elif (left, right) == ("progressed", "status"):
            subset = stages[stages["progressed"] == "no"]
        counts = subset.groupby([left, right], sort=True).size()
        for key, count in counts.items():
            a, b = cast(tuple[object, object], key)
            filters = [(_FILTER_OF_STAGE[left], str(a))]
            if right in _FILTER_OF_STAGE:
                filters.append((_FILTER_OF_STAGE[right], str(b)))
            links.append(SequenceLink(node(left, str(a)), node(right, str(b)), int(count), tuple(filters)))
    return SequenceFlows(nodes=tuple(nodes), links=tuple(links), n=len(frame))


# ----------------------------------------------------------------------------- time to post-progression therapy


@dataclass(frozen=True)
class TimeToTherapy:
    """How soon, and how often, progressors start post-progression therapy.

    ``cumulative_incidence`` is the Aalen–Johansen estimate of the share treated
    by each time since progression, with death before therapy as a competing
    risk (1 − Kaplan–Meier would overstate it by treating deaths as censored).
    """

    n_progressed: int
    n_treated: int
    median_months_treated: float | None
    """Median time from progression to therapy among the treated."""
    times: tuple[float, ...]
    cumulative_incidence: tuple[float, ...]

    @property
    def share_treated(self) -> float | None:
        return None if self.n_progressed == 0 else self.n_treated / self.n_progressed

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_progressed": self.n_progressed,
            "n_treated": self.n_treated,
            "share_treated": self.share_treated,
            "median_months_treated": self.median_months_treated,
            "times": list(self.times),
            "cumulative_incidence": list(self.cumulative_incidence),
        }


def aalen_johansen(time: np.ndarray, cause: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative incidence of cause 1 with competing cause 2 (0 = censored), at each distinct event time."""
    order = np.argsort(time, kind="stable")
    t, c = time[order], cause[order]
    unique = np.unique(t[c > 0])
    n = len(t)
    at_risk = n - np.searchsorted(t, unique, side="left")
    d1 = np.array([np.sum((t == u) & (c == 1)) for u in unique], dtype=np.float64)
    d_all = np.array([np.sum((t == u) & (c > 0)) for u in unique], dtype=np.float64)
    surv_before = np.concatenate([[1.0], np.cumprod(1 - d_all / at_risk)[:-1]])
    return unique, np.cumsum(surv_before * d1 / at_risk)


def time_to_therapy(frame: pd.DataFrame) -> TimeToTherapy:
    """Time from progression to post-progression therapy among patients who progressed."""
    progressed = frame[frame["progression_date"].notna() & frame["pps_months"].notna()]
    prog = pd.to_datetime(progressed["progression_date"])
    wait = (pd.to_datetime(progressed["pp_start"]) - prog).dt.days.astype("float64") / DAYS_PER_MONTH
    treated = (progressed["pp_received"] == 1) & wait.notna()
    time = np.where(treated, wait, progressed["pps_months"].astype("float64"))
    cause = np.where(treated, 1, np.where(progressed["pps_event"] == 1, 2, 0))
    times, incidence = aalen_johansen(time.astype(np.float64), cause.astype(np.int64))
    median = float(np.median(wait[treated])) if treated.any() else None
    return TimeToTherapy(
        n_progressed=len(progressed),
        n_treated=int(treated.sum()),
        median_months_treated=median,
        times=tuple(float(v) for v in times),
        cumulative_incidence=tuple(float(v) for v in incidence),
    )
