"""The memoized seam: what each page computes for one (dataset, filter, options) key.

Every function here is memoized by flask-caching and takes only hashable,
normalised arguments (the dataset fingerprint, a frozen FilterSpec, plain
strings and tuples). It calls the analysis layer and returns result objects
or JSON-ready payloads; callbacks only read inputs, call these and lay out.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from analysis.caveats import POST_BASELINE, Caveat, caveats
from analysis.compare import PairwiseResult, TestResult, compare_survival, named_test_weights, pairwise_tests
from analysis.cox import CoxResult, CoxTerm, ScreenRow, ZphResult, cox_zph, fit_cox, univariate_screen
from analysis.derived import with_derived_columns
from analysis.errors import PPXError
from analysis.filters import FilterResult, FilterSpec, FilterStep, apply_filters
from analysis.km import KMResult, km_by_group
from analysis.messages import Message
from analysis.parametric import AFTTerm
from analysis.postprog import (
    PP_GROUPS,
    ImmortalTimeComparison,
    SequenceFlows,
    TimeToTherapy,
    immortal_time_comparison,
    time_to_therapy,
    time_varying_counterpart,
    time_varying_cox,
    treatment_sequences,
)
from analysis.response import ResponseResult, response_rates
from analysis.schema import AFP_HIGH, COLUMN_BY_NAME, ENDPOINTS
from analysis.sparse import Merge, SparseLevel, merge_sparse_levels, sparse_levels
from analysis.table1 import Table1, table_one
from app import datasets
from app.cache import cache
from app.components.km_figure import tick_times
from app.components.palette import level_name
from app.i18n import N_, Lang, t, tr

FIXED_TIMES: tuple[float, ...] = (6.0, 12.0, 24.0)
SMALL_GROUP = 10


def filtered(fingerprint: str, spec: FilterSpec) -> FilterResult:
    """The filtered cohort with the page-level helper columns (not cached: a DataFrame; filtering is fast)."""
    result = apply_filters(datasets.cohort_by_fingerprint(fingerprint).frame, spec)
    return replace(result, frame=analysis_frame(result.frame))


def analysis_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Adds the AFP >= 400 flag and the three-way post-progression group (:mod:`analysis.derived`)."""
    return with_derived_columns(frame)


def group_order(frame: pd.DataFrame, grouping: str | None) -> tuple[str, ...] | None:
    """Display order of a grouping's levels: the schema's order where it has one."""
    if grouping is None:
        return None
    column = COLUMN_BY_NAME.get(grouping)
    present = {str(v) for v in frame[grouping].dropna().unique()} if grouping in frame else set()
    known = PP_GROUPS[::-1] if grouping == "pp_group" else (column.allowed if column is not None else None)
    if known is not None:
        ordered = tuple(v for v in known if v in present)
        return ordered + tuple(sorted(present - set(ordered)))
    return tuple(sorted(present, key=lambda v: (len(v), v)))


@dataclass(frozen=True)
class SurvivalView:
    """Everything the Survival page shows for one key."""

    endpoint: str
    grouping: str | None
    n: int
    km: KMResult | None
    ticks: tuple[float, ...]
    test: TestResult | None
    test_note: str | None
    pairwise: tuple[PairwiseResult, ...]
    cox: CoxResult | None
    cox_note: str | None
    small_groups: tuple[str, ...]
    message: str | None
    test_wording: Message | None = None
    """``test_note`` as a template and parameters (:data:`NO_P_VALUE`), for the page to word."""
    cox_wording: Message | None = None
    """``cox_note`` as a template and parameters (:data:`NO_HAZARD_RATIO`), for the page to word."""


NO_P_VALUE = N_("No p-value: {reason}")
NO_HAZARD_RATIO = N_("No hazard ratio: {reason}")
"""Why a survival comparison has no test: ``reason`` is the analysis' message (:data:`UNDEFINED_TEMPLATES`)."""


def _prepare(frame: pd.DataFrame, endpoint: str, grouping: str | None) -> pd.DataFrame:
    time_col, event_col, _ = ENDPOINTS[endpoint]
    columns = [time_col, event_col] + ([grouping] if grouping else [])
    data = frame[columns].dropna()
    if grouping:
        data = data.assign(**{grouping: _as_text(data[grouping])})
    return data


@cache.memoize()
def survival_view(
    fingerprint: str,
    spec: FilterSpec,
    endpoint: str,
    grouping: str | None,
    test: str,
    conf_type: str,
    pairwise: bool,
) -> SurvivalView:
    time_col, event_col, _ = ENDPOINTS[endpoint]
    subset = filtered(fingerprint, spec).frame
    data = _prepare(subset, endpoint, grouping)
    empty = SurvivalView(endpoint, grouping, len(data), None, (), None, None, (), None, None, (), None)
    if data.empty:
        return _replace_message(empty, NO_PPS_DATA if endpoint == "pps" else NO_DATA[endpoint])
    ticks = tick_times(float(data[time_col].max()))
    times = tuple(sorted(set(ticks) | set(FIXED_TIMES)))
    order = group_order(data, grouping)
    km = km_by_group(data, time_col, event_col, grouping, conf_type=conf_type, times=times, group_order=order)
    small = tuple(g.group for g in km.groups if g.n < SMALL_GROUP)
    test_result, test_wording, pairs = _tests(data, time_col, event_col, grouping, test, pairwise)
    test_note = None if test_wording is None else test_wording.text()
    cox, cox_wording = _two_group_cox(data, time_col, event_col, grouping, km)
    cox_note = None if cox_wording is None else cox_wording.text()
    return SurvivalView(
        endpoint, grouping, len(data), km, ticks, test_result, test_note, pairs, cox, cox_note, small, None,
        test_wording, cox_wording,
    )  # fmt: skip


NO_DATA: dict[str, str] = {
    "os": N_("No patients in this subgroup have overall survival data."),
    "pfs": N_("No patients in this subgroup have progression-free survival data."),
    "pps": N_("No patients in this subgroup have post-progression survival data."),
}
"""Why a page has nothing to show for an endpoint: one whole sentence per endpoint (the page translates it)."""
NO_PPS_DATA = N_(
    "No patients in this subgroup have post-progression survival data (only patients who progressed have PPS)."
)


def _replace_message(view: SurvivalView, message: str) -> SurvivalView:
    return replace(view, message=message)


def _tests(
    data: pd.DataFrame, time_col: str, event_col: str, grouping: str | None, test: str, pairwise: bool
) -> tuple[TestResult | None, Message | None, tuple[PairwiseResult, ...]]:
    if grouping is None:
        return None, None, ()
    try:
        fh_p, fh_q = named_test_weights(test)
        result = compare_survival(data[time_col], data[event_col], data[grouping], test=test, fh_p=fh_p, fh_q=fh_q)
    except PPXError as exc:
        return None, Message.of(NO_P_VALUE, reason=worded_error(exc)), ()
    pairs: tuple[PairwiseResult, ...] = ()
    if pairwise and data[grouping].nunique() > 2:
        pairs = pairwise_tests(
            data[time_col], data[event_col], data[grouping], test=test, fh_p=fh_p, fh_q=fh_q, adjust="holm"
        )
    return result, None, pairs


def _two_group_cox(
    data: pd.DataFrame, time_col: str, event_col: str, grouping: str | None, km: KMResult
) -> tuple[CoxResult | None, Message | None]:
    if grouping is None or len(km.groups) != 2:
        return None, None
    reference = km.groups[0].group
    try:
        return (
            fit_cox(data, time_col, event_col, [grouping], categorical=[grouping], reference={grouping: reference}),
            None,
        )
    except PPXError as exc:
        return None, Message.of(NO_HAZARD_RATIO, reason=worded_error(exc))


# ----------------------------------------------------------------------------- Cohort page


@dataclass(frozen=True)
class CohortView:
    """Table 1 by a grouping and the patient flow through the filters."""

    table: Table1 | None
    flow: tuple[FilterStep, ...]
    n: int
    n_total: int
    message: str | None


@cache.memoize()
def cohort_view(fingerprint: str, spec: FilterSpec, grouping: str) -> CohortView:
    result = filtered(fingerprint, spec)
    if result.n == 0:
        return CohortView(None, result.steps, 0, result.n_total, N_("No patients match these filters."))
    frame = result.frame.assign(**{grouping: _as_text(result.frame[grouping])})
    table = table_one(frame, grouping, group_order=group_order(frame, grouping))
    return CohortView(table, result.steps, result.n, result.n_total, None)


def _as_text(values: pd.Series) -> pd.Series:
    """Group values as text labels ('1' not '1.0'), missing kept missing."""
    text: pd.Series = values.astype("string").str.replace(r"\.0$", "", regex=True).astype(object)
    text[values.isna()] = None
    return text


# ----------------------------------------------------------------------------- Cox page

COX_CANDIDATES: dict[str, str] = {
    "age": N_("Age (years)"),
    "sex": N_("Sex"),
    "etiology": N_("Etiology"),
    "bclc": N_("BCLC stage"),
    "child_pugh_class": N_("Child-Pugh class"),
    "albi_grade": N_("ALBI grade"),
    "fib4": N_("FIB-4 index"),
    "afp_high": f"AFP ≥ {AFP_HIGH:g} ng/mL",
    "ecog": N_("ECOG PS"),
    "mvi": N_("Macrovascular invasion"),
    "ehs": N_("Extrahepatic spread"),
    "first_line": N_("First-line drug"),
    "disease_control": N_("Disease control (first line)"),
    "pp_received": N_("Post-progression therapy"),
    "pp_ici": N_("ICI after progression"),
}
"""Candidate covariates of the Cox page, in screen order, with their display labels."""

STUDY_COVARIATES: tuple[str, ...] = ("fib4", "disease_control", "pp_received", "pp_ici")
"""The KLC study's multivariable model for OS: FIB-4, disease control, post-progression therapy, ICI use."""

CATEGORICAL_COVARIATES: tuple[str, ...] = ("ecog",)
"""Numeric-coded columns treated as categories in Cox models."""


def term_label(term: CoxTerm | AFTTerm, lang: Lang = "en") -> str:
    """Display label of a model term in ``lang``: 'FIB-4 index', 'ECOG PS: 2 vs 0' / 'ECOG PS：2 対 0'."""
    return term_label_of(term.covariate, term.level, term.reference, lang)


def term_label_of(covariate: str, level: str | None, reference: str | None, lang: Lang = "en") -> str:
    """:func:`term_label` of a term given by its covariate, level and reference level (no level: a number)."""
    label = tr(lang, COX_CANDIDATES.get(covariate, covariate))
    if not level:
        return label
    return t(
        lang,
        "{covariate}: {level} vs {reference}",
        covariate=label,
        level=level_name(covariate, level, lang),
        reference=level_name(covariate, reference or "", lang),
    )


@dataclass(frozen=True)
class CoxView:
    endpoint: str
    covariates: tuple[str, ...]
    screen: tuple[ScreenRow, ...]
    model: CoxResult | None
    model_note: str | None
    zph: ZphResult | None
    zph_note: Message | None
    """Why there is no proportional-hazards check (:data:`NO_PH_CHECK`, the refusal nested)."""
    message: str | None
    screen_note: Message | None = None
    """Why the univariate screen could not be computed (:data:`SCREEN_NOT_COMPUTED`, the refusal nested)."""
    sparse: tuple[SparseLevel, ...] = ()
    """Levels with fewer than 5 patients or 2 events (after merging, if asked)."""
    merges: tuple[Merge, ...] = ()
    caveats: tuple[Caveat, ...] = ()
    """Model covariates defined after time zero (:mod:`analysis.caveats`)."""
    time_varying: CoxResult | None = None
    """The corrected counterpart: post-progression exposures as time-varying covariates."""
    time_varying_note: str | None = None
    model_wording: Message | None = None
    """``model_note`` as a template and parameters (:data:`MODEL_NOT_FITTED`, the refusal nested), for the page."""


MODEL_NOT_FITTED = N_("The multivariable model could not be fitted: {reason}")
SCREEN_NOT_COMPUTED = N_("The univariate screen could not be computed: {reason}")
NO_PH_CHECK = N_("No proportional-hazards check: {reason}")


def worded_error(exc: PPXError) -> Message:
    """``exc`` as a message: its template where it has one, else its English text."""
    return exc.wording if exc.wording is not None else Message.of("{text}", text=str(exc))


def cox_data(
    fingerprint: str, spec: FilterSpec, endpoint: str, merge_sparse: bool = False
) -> tuple[pd.DataFrame, list[str], tuple[Merge, ...]]:
    """The Cox page's data for its filters and endpoint (sparse levels merged when asked), its categorical
    covariates and the merges made; the Cox models and the AFT check on that page both fit this."""
    time_col, event_col, _ = ENDPOINTS[endpoint]
    subset = filtered(fingerprint, spec).frame
    data = subset[subset[time_col].notna()]
    categorical = [c for c in CATEGORICAL_COVARIATES if c in COX_CANDIDATES]
    merges: tuple[Merge, ...] = ()
    if merge_sparse and not data.empty:
        data, merges = merge_sparse_levels(data, time_col, event_col, list(COX_CANDIDATES), categorical=categorical)
    return data, categorical, merges


COX_BACKGROUND_N = int(os.environ.get("PPX_COX_BACKGROUND_N", "20000"))
"""From this cohort size on, the Cox page's models (and its AFT check) run as a background job (Compute button)."""


def cox_runs_in_background(n_patients: int) -> bool:
    return n_patients >= COX_BACKGROUND_N


@cache.memoize()
def cox_view(
    fingerprint: str, spec: FilterSpec, endpoint: str, covariates: tuple[str, ...], merge_sparse: bool = False
) -> CoxView:
    time_col, event_col, _ = ENDPOINTS[endpoint]
    data, categorical, merges = cox_data(fingerprint, spec, endpoint, merge_sparse)
    empty = CoxView(endpoint, covariates, (), None, None, None, None, None)
    if data.empty:
        return replace(empty, message=NO_DATA[endpoint])
    options: dict[str, Any] = {"categorical": categorical}
    sparse = sparse_levels(data, time_col, event_col, list(COX_CANDIDATES), categorical=categorical)
    screen: tuple[ScreenRow, ...] = ()
    screen_note: Message | None = None
    try:
        screen = univariate_screen(data, time_col, event_col, list(COX_CANDIDATES), **options)
    except PPXError as exc:
        screen_note = Message.of(SCREEN_NOT_COMPUTED, reason=worded_error(exc))
    model: CoxResult | None = None
    model_note: str | None = None
    model_wording: Message | None = None
    zph: ZphResult | None = None
    zph_note: Message | None = None
    if not covariates:
        model_note = N_("Pick at least one covariate for the multivariable model.")
    else:
        try:
            model = fit_cox(data, time_col, event_col, list(covariates), **options)
        except PPXError as exc:
            model_wording = Message.of(MODEL_NOT_FITTED, reason=worded_error(exc))
            model_note = model_wording.text()
        if model is not None:
            try:
                zph = cox_zph(data, time_col, event_col, list(covariates), **options)
            except PPXError as exc:
                zph_note = Message.of(NO_PH_CHECK, reason=worded_error(exc))
    found = caveats(covariates, endpoint)
    varying, varying_note = time_varying_counterpart(data, covariates, found, categorical=categorical)
    return CoxView(
        endpoint, covariates, screen, model, model_note, zph, zph_note, None,
        screen_note, sparse, merges, found, varying, varying_note, model_wording,
    )  # fmt: skip


# ----------------------------------------------------------------------------- Response page


@dataclass(frozen=True)
class ResponseView:
    grouping: str | None
    result: ResponseResult | None
    message: str | None


@cache.memoize()
def response_view(fingerprint: str, spec: FilterSpec, grouping: str | None) -> ResponseView:
    subset = filtered(fingerprint, spec).frame
    if subset.empty:
        return ResponseView(grouping, None, N_("No patients match these filters."))
    frame = subset if grouping is None else subset.assign(**{grouping: _as_text(subset[grouping])})
    try:
        result = response_rates(frame, "best_response", grouping, group_order=group_order(frame, grouping))
    except PPXError as exc:
        return ResponseView(grouping, None, str(exc))
    return ResponseView(grouping, result, None)


# ----------------------------------------------------------------------------- immortal-time guard

GUARD_EXPOSURE: dict[str, str] = {
    name: entry.exposure
    for name, entry in POST_BASELINE.items()
    if entry.exposure is not None and "os" in entry.endpoints
}
"""Survival-page grouping -> the time-varying exposure its corrected analyses use (from :mod:`analysis.caveats`)."""

LANDMARKS: tuple[float, ...] = (3.0, 6.0, 12.0)


@dataclass(frozen=True)
class GuardView:
    """The naive comparison's corrected counterparts, for OS grouped by a post-baseline variable."""

    exposure: str
    landmark: float
    comparison: ImmortalTimeComparison | None
    ticks: tuple[float, ...]
    message: str | None


@cache.memoize()
def guard_view(fingerprint: str, spec: FilterSpec, grouping: str, landmark: float) -> GuardView:
    exposure = GUARD_EXPOSURE[grouping]
    subset = filtered(fingerprint, spec).frame
    data = subset[subset["os_months"].notna()]
    if data.empty:
        return GuardView(exposure, landmark, None, (), N_("No patients in this subgroup."))
    ticks = tick_times(float(data["os_months"].max()))
    comparison = immortal_time_comparison(data, exposure, landmark=landmark, times=ticks)
    return GuardView(exposure, landmark, comparison, ticks, None)


# ----------------------------------------------------------------------------- Sequences page


@dataclass(frozen=True)
class SequencesView:
    flows: SequenceFlows | None
    time_to_therapy: TimeToTherapy | None
    message: str | None


@cache.memoize()
def sequences_view(fingerprint: str, spec: FilterSpec) -> SequencesView:
    frame = filtered(fingerprint, spec).frame
    if frame.empty:
        return SequencesView(None, None, N_("No patients match these filters."))
    return SequencesView(treatment_sequences(frame), time_to_therapy(frame), None)


# ----------------------------------------------------------------------------- Reproduce the study


@dataclass(frozen=True)
class StudyView:
    """The study's analyses in its own order, recomputed on the data in use (after the global filters)."""

    n: int
    response: ResponseView
    pfs_by_drug: SurvivalView
    os_by_drug: SurvivalView
    cox: CoxResult | None
    cox_time_varying: CoxResult | None
    os_by_pp: SurvivalView
    pp_guard: GuardView | None
    lenvatinib_by_pp: SurvivalView
    lenvatinib_ici_time_varying: CoxResult | None
    notes: tuple[str, ...]
    wording: tuple[Message, ...] = ()
    """``notes`` as templates and parameters (:data:`STUDY_COX_NOT_FITTED`, ...), for the page to word."""


STUDY_LANDMARK = 6.0
STUDY_COX_NOT_FITTED = N_("Cox model for OS: {reason}")
STUDY_LENVATINIB_NOT_FITTED = N_("Time-varying Cox among lenvatinib patients: {reason}")


@cache.memoize()
def study_view(fingerprint: str, spec: FilterSpec) -> StudyView:
    notes: list[Message] = []
    frame = filtered(fingerprint, spec).frame
    response = response_view(fingerprint, spec, "first_line")
    pfs = survival_view(fingerprint, spec, "pfs", "first_line", "logrank", "log-log", False)
    os_drug = survival_view(fingerprint, spec, "os", "first_line", "logrank", "log-log", False)
    cox: CoxResult | None = None
    varying: CoxResult | None = None
    os_data = frame[frame["os_months"].notna()]
    if os_data.empty:  # nothing to fit: say so (the survival-data check would name its internal column)
        notes.append(Message(NO_DATA["os"]))
    try:
        if not os_data.empty:
            cox = fit_cox(os_data, "os_months", "os_event", list(STUDY_COVARIATES))
            varying = time_varying_cox(os_data, ("pp_received", "pp_ici"), ("fib4", "disease_control"))
    except PPXError as exc:
        notes.append(Message.of(STUDY_COX_NOT_FITTED, reason=worded_error(exc)))
    os_pp = survival_view(fingerprint, spec, "os", "pp_received", "logrank", "log-log", False)
    guard = guard_view(fingerprint, spec, "pp_received", STUDY_LANDMARK) if not os_data.empty else None
    lenvatinib = replace(spec, first_line=("lenvatinib",))
    len_pp = survival_view(fingerprint, lenvatinib, "os", "pp_group", "logrank", "log-log", False)
    len_varying: CoxResult | None = None
    len_data = os_data[os_data["first_line"] == "lenvatinib"]
    try:
        if not len_data.empty:
            len_varying = time_varying_cox(len_data, ("pp_received", "pp_ici"))
    except PPXError as exc:
        notes.append(Message.of(STUDY_LENVATINIB_NOT_FITTED, reason=worded_error(exc)))
    texts = tuple(m.text() for m in notes)
    return StudyView(
        len(frame), response, pfs, os_drug, cox, varying, os_pp, guard, len_pp, len_varying, texts, tuple(notes)
    )
