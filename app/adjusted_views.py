"""The memoized seam of the "Adjusted comparison" panel: which two groups, which patients, which covariates.

Three comparisons of the study can be adjusted by propensity weighting:

- ``first_line``: lenvatinib vs sorafenib on the page's endpoint, from the
  first-line start;
- ``pp_landmark``: post-progression therapy started by a landmark vs not yet,
  among patients alive at the landmark who had progressed by then; overall
  survival from the landmark (so no immortal time);
- ``ici_lenvatinib``: an ICI started after progression by the landmark vs not,
  among lenvatinib patients alive and progressed at the landmark; OS from it.

Everything here takes only hashable, normalised arguments (fingerprint, spec,
plain strings and tuples) and returns an :class:`AdjustedComparison` (which
holds no per-patient value) or a message saying why there is none.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from analysis.adjusted import AdjustedComparison, adjusted_comparison
from analysis.errors import PPXError
from analysis.filters import FilterSpec
from analysis.messages import Message
from analysis.postprog import landmark_frame
from analysis.schema import ENDPOINTS
from analysis.table1 import BASELINE_VARIABLES
from analysis.weights import balance_for, weigh
from app.cache import cache
from app.components.adjusted import COMPARISONS, DEFAULT_COVARIATES, TRIM_CHOICES
from app.components.covariate_labels import COVARIATES, ESTIMAND_CHOICES
from app.i18n import N_, Lang, refusals, t
from app.views import filtered, worded_error

DEFAULT_LANDMARK = 6.0
BOOTSTRAP_RESAMPLES = 200
BOOTSTRAP_SEED = 2022
TIMES: tuple[float, ...] = (6.0, 12.0, 24.0)


@dataclass(frozen=True)
class ComparisonData:
    """The patients of one comparison and the columns the analysis reads."""

    frame: pd.DataFrame
    treatment: str
    reference: str
    time_col: str
    event_col: str


def _progressed_by(frame: pd.DataFrame, landmark: float) -> pd.Series:
    progressed: pd.Series = frame["progression_date"].notna() & (frame["pfs_months"].astype("float64") <= landmark)
    return progressed


def comparison_data(frame: pd.DataFrame, comparison: str, endpoint: str, landmark: float) -> ComparisonData:
    """The analysis frame of a comparison (plus a ``start_year`` column for the era)."""
    frame = frame.assign(start_year=pd.to_datetime(frame["first_line_start"]).dt.year.astype("float64"))
    if comparison == "first_line":
        time_col, event_col, _ = ENDPOINTS[endpoint]
        two = frame[frame["first_line"].isin(["sorafenib", "lenvatinib"])]
        return ComparisonData(two, "first_line", "sorafenib", time_col, event_col)
    exposure = "pp_received" if comparison == "pp_landmark" else "pp_ici"
    base = frame if comparison == "pp_landmark" else frame[frame["first_line"] == "lenvatinib"]
    cohort = landmark_frame(base, landmark, exposure)
    cohort = cohort[_progressed_by(cohort, landmark)]
    cohort = cohort.assign(**{exposure: cohort["lm_exposed"].astype("int64").astype(str)})
    return ComparisonData(cohort, exposure, "0", "lm_time", "lm_event")


@dataclass(frozen=True)
class AdjustedOptions:
    """The panel's normalised options (hashable: part of the cache key)."""

    comparison: str
    covariates: tuple[str, ...]
    estimand: str
    trim: float | None
    landmark: float
    endpoint: str


def comparison_key(
    comparison: str | None,
    covariates: Sequence[str] | None,
    estimand: str | None,
    trim: str | None,
    landmark: float | str | None,
    endpoint: str | None,
) -> AdjustedOptions:
    """Normalise the controls: unknown values fall back to the defaults; covariates in menu order."""
    try:
        months = float(landmark) if landmark is not None else DEFAULT_LANDMARK
    except ValueError:
        months = DEFAULT_LANDMARK
    if not 0 <= months < 1000:
        months = DEFAULT_LANDMARK
    chosen = set(covariates if covariates is not None else DEFAULT_COVARIATES)
    return AdjustedOptions(
        comparison=comparison if comparison in COMPARISONS else "first_line",
        covariates=tuple(c for c in COVARIATES if c in chosen),
        estimand=estimand if estimand in ESTIMAND_CHOICES else "ate",
        trim=float(trim) if trim in TRIM_CHOICES and trim != "none" else None,
        landmark=months,
        endpoint=endpoint if endpoint in ENDPOINTS else "os",
    )


def describe(options: AdjustedOptions, lang: Lang = "en") -> tuple[str, str]:
    """The palette grouping of the two levels and a one-line description of who is compared on what (in ``lang``)."""
    if options.comparison == "first_line":
        return "first_line", t(
            lang,
            "{endpoint} from the first-line start, lenvatinib vs sorafenib.",
            endpoint=t(lang, ENDPOINTS[options.endpoint][2]),
        )
    landmark = f"{options.landmark:g}"
    if options.comparison == "pp_landmark":
        return "pp_received", t(
            lang,
            "Overall survival from a {landmark}-month landmark, among patients alive at the landmark who had "
            "progressed by then: post-progression therapy started by the landmark vs not yet.",
            landmark=landmark,
        )
    return "pp_ici", t(
        lang,
        "Overall survival from a {landmark}-month landmark, among lenvatinib patients alive at the landmark who had "
        "progressed by then: an ICI started by the landmark vs not yet.",
        landmark=landmark,
    )


@cache.memoize(args_to_ignore=["progress"])
def adjusted_view(
    fingerprint: str,
    spec: FilterSpec,
    options: AdjustedOptions,
    n_bootstrap: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> AdjustedComparison | Message:
    """The comparison for one key (memoized), or a message why there is none (:func:`refusal_text` words it)."""
    if not options.covariates:
        return Message(N_("Choose at least one covariate for the propensity model."))
    frame = filtered(fingerprint, spec).frame
    data = comparison_data(frame, options.comparison, options.endpoint, options.landmark)
    if data.frame.empty:
        return Message(N_("No patients in this comparison with these filters."))
    try:
        return adjusted_comparison(
            data.frame,
            data.treatment,
            list(options.covariates),
            data.time_col,
            data.event_col,
            estimand=options.estimand,
            reference=data.reference,
            times=TIMES,
            trim=options.trim,
            n_bootstrap=n_bootstrap,
            seed=BOOTSTRAP_SEED,
            progress=progress,
        )
    except PPXError as exc:
        return Message.of(NO_COMPARISON, reason=worded_error(exc))


NO_COMPARISON = N_("No adjusted comparison: {reason}")
NO_WEIGHTED_SMD = N_("No weighted SMD: {reason}")


def refusal_text(message: Message, lang: Lang) -> str:
    """Why there is no comparison, in ``lang``: the analysis' refusal nested (:func:`app.i18n.refusals.word`)."""
    return refusals.word(lang, message)


WEIGHTED_SMD_NOTE = N_(
    "Weighted SMD: after propensity-score weighting (ATE) of lenvatinib vs sorafenib on the clinical covariates "
    "(age, Child-Pugh score, ALBI score, BCLC, AFP ≥ 400, ECOG, MVI, EHS, etiology); per level for a category."
)


@cache.memoize()
def weighted_smd_view(fingerprint: str, spec: FilterSpec) -> dict[str, float] | Message:
    """|SMD| after ATE weighting of first-line drug, for every baseline column of Table 1 (name or COLUMN=LEVEL)."""
    data = comparison_data(filtered(fingerprint, spec).frame, "first_line", "os", DEFAULT_LANDMARK)
    if data.frame.empty:
        return Message(N_("No sorafenib or lenvatinib patients with these filters."))
    columns = [c for c in BASELINE_VARIABLES if c in data.frame.columns]
    try:
        weighting = weigh(data.frame, "first_line", list(DEFAULT_COVARIATES), reference="sorafenib")
        rows = balance_for(data.frame, weighting, columns, categorical=("ecog",))
    except PPXError as exc:
        return Message.of(NO_WEIGHTED_SMD, reason=worded_error(exc))
    return {row.covariate: abs(row.smd_weighted) for row in rows}
