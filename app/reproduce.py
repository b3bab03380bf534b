"""The "Reproduce this view" bundle of each page, from the page's own settings (used by the pages and `ppx reproduce`).

Each builder takes the filtered analysis frame (:func:`app.views.filtered`, or
:func:`cli.common.cohort_frame` from the command line) and prepares it exactly as
the page does (:mod:`app.views`) before handing it to :mod:`analysis.reproduce`.
"""

from __future__ import annotations

import pandas as pd

from analysis.compare import named_test_weights
from analysis.errors import DataError
from analysis.filters import FilterSpec
from analysis.reproduce.adjusted import AdjustedSettings, adjusted_bundle
from analysis.reproduce.bundle import DATA_FILE, Reproduction, Source
from analysis.reproduce.cohort import cohort_bundle
from analysis.reproduce.cox import CoxSettings, cox_bundle
from analysis.reproduce.emulation import EmulationSettings, emulation_bundle
from analysis.reproduce.guard import guard_bundle
from analysis.reproduce.response import response_bundle
from analysis.reproduce.sequences import sequences_bundle
from analysis.reproduce.study import study_bundle
from analysis.reproduce.survival import SurvivalSettings, survival_bundle
from analysis.reproduce.time_varying import time_varying_bundle
from analysis.schema import ENDPOINTS
from analysis.sparse import merge_sparse_levels
from app.adjusted_views import TIMES as ADJUSTED_TIMES
from app.adjusted_views import AdjustedOptions, comparison_data, describe
from app.components.km_figure import tick_times
from app.emulation_views import TAU, EmulationOptions
from app.emulation_views import TIMES as EMULATION_TIMES
from app.views import (
    CATEGORICAL_COVARIATES,
    COX_CANDIDATES,
    FIXED_TIMES,
    GUARD_EXPOSURE,
    STUDY_COVARIATES,
    STUDY_LANDMARK,
    _as_text,
    _prepare,
    group_order,
)


def source_of(fingerprint: str, synthetic: bool, spec: FilterSpec) -> Source:
    return Source(fingerprint, synthetic, spec.to_query(), spec.describe())


def survival(
    frame: pd.DataFrame, source: Source, endpoint: str, grouping: str | None, test: str, conf: str, pairwise: bool
) -> Reproduction:
    """The Survival page's bundle for its endpoint, grouping, test, CI type and pairwise switch."""
    time_col, event_col, _ = ENDPOINTS[endpoint]
    data = _prepare(frame, endpoint, grouping)
    order = group_order(data, grouping) or ()
    fh_p, fh_q = named_test_weights(test)
    settings = SurvivalSettings(time_col, event_col, grouping, order, test, conf, pairwise, FIXED_TIMES, fh_p, fh_q)
    return survival_bundle(data, settings, source)


def cox(
    frame: pd.DataFrame, source: Source, endpoint: str, covariates: tuple[str, ...], merge_sparse: bool = False
) -> Reproduction:
    """The Cox page's bundle: its screen and model on the page's data (sparse levels merged, if asked)."""
    time_col, event_col, _ = ENDPOINTS[endpoint]
    data = frame[frame[time_col].notna()]
    categorical = [c for c in CATEGORICAL_COVARIATES if c in COX_CANDIDATES]
    if merge_sparse:
        data, _ = merge_sparse_levels(data, time_col, event_col, list(COX_CANDIDATES), categorical=categorical)
    settings = CoxSettings(time_col, event_col, tuple(COX_CANDIDATES), covariates, tuple(categorical))
    return cox_bundle(data, settings, source)


def response(frame: pd.DataFrame, source: Source, grouping: str | None) -> Reproduction:
    """The Response page's bundle: ORR and DCR by the page's grouping (group values as the page's text labels)."""
    data = frame if grouping is None else frame.assign(**{grouping: _as_text(frame[grouping])})
    return response_bundle(data, grouping, group_order(data, grouping) or (), source)


def cohort(frame: pd.DataFrame, source: Source, grouping: str) -> Reproduction:
    """The Cohort page's bundle: Table 1 by the page's grouping (group values as the page's text labels)."""
    data = frame.assign(**{grouping: _as_text(frame[grouping])})
    return cohort_bundle(data, grouping, group_order(data, grouping), source)


def adjusted(frame: pd.DataFrame, source: Source, options: AdjustedOptions) -> Reproduction:
    """The adjusted panel's bundle: the comparison's patients as the panel selects them (app.adjusted_views)."""
    data = comparison_data(frame, options.comparison, options.endpoint, options.landmark)
    if data.frame.empty:
        raise DataError("no patients in this comparison with these filters")
    _, description = describe(options)
    settings = AdjustedSettings(
        title=f"Adjusted comparison ({description.rstrip('.')})",
        treatment=data.treatment,
        reference=data.reference,
        time_col=data.time_col,
        event_col=data.event_col,
        covariates=options.covariates,
        estimand=options.estimand,
        trim=options.trim,
        times=ADJUSTED_TIMES,
        notes=()
        if options.comparison == "first_line"
        else (
            f"{DATA_FILE} holds the landmark cohort as the panel selects it: patients alive at the "
            f"{options.landmark:g}-month landmark who had progressed by then; {data.time_col} and {data.event_col} "
            f"are overall survival from the landmark; {data.treatment} is 1 if the therapy started by the landmark.",
        ),
    )
    return adjusted_bundle(data.frame, settings, source)


def emulation(frame: pd.DataFrame, source: Source, options: EmulationOptions) -> Reproduction:
    """The target-trial panel's bundle for its grace period and therapy (the panel's times and RMST horizon)."""
    if frame.empty:
        raise DataError("no patients match these filters")
    settings = EmulationSettings(options.grace, options.therapy, EMULATION_TIMES, TAU)
    return emulation_bundle(frame, settings, source)


def guard(frame: pd.DataFrame, source: Source, grouping: str, landmark: float) -> Reproduction:
    """The Survival page's immortal-time guard for OS by ``grouping`` (a post-progression variable), as
    :func:`app.views.guard_view` computes it: the grouping's exposure, the landmark, the page's time ticks."""
    data = frame[frame["os_months"].notna()]
    ticks = tick_times(float(data["os_months"].max())) if not data.empty else ()
    return guard_bundle(data, GUARD_EXPOSURE[grouping], landmark, ticks, source)


def sequences(frame: pd.DataFrame, source: Source) -> Reproduction:
    """The Sequences page's time to therapy (:func:`app.views.sequences_view`) on the filtered frame."""
    if frame.empty:
        raise DataError("no patients match these filters")
    return sequences_bundle(frame, source)


def study(frame: pd.DataFrame, lenvatinib: pd.DataFrame, source: Source, lenvatinib_source: Source) -> Reproduction:
    """The Study page's cards as :func:`app.views.study_view` computes them, one folder per analysis.

    ``lenvatinib`` is the filtered frame with the first-line filter set to lenvatinib (card 5's curves); the
    card's time-varying model is on ``frame``'s lenvatinib patients, as on the page.
    """
    if frame.empty:
        raise DataError("no patients match these filters")
    os_data = frame[frame["os_months"].notna()]
    cox_settings = CoxSettings("os_months", "os_event", (), STUDY_COVARIATES, ())
    exposures, baseline = ("pp_received", "pp_ici"), ("fib4", "disease_control")
    in_lenvatinib = os_data[os_data["first_line"] == "lenvatinib"]

    def os_by(data: pd.DataFrame, grouping: str, at: Source = source) -> Reproduction:
        return survival(data, at, "os", grouping, "logrank", "log-log", False)

    parts = [
        ("1-response", "ORR and DCR by first-line drug (card 1)", response(frame, source, "first_line")),
        (
            "2-pfs",
            "PFS by first-line drug (card 2)",
            survival(frame, source, "pfs", "first_line", "logrank", "log-log", False),
        ),
        ("2-os", "OS by first-line drug (card 2)", os_by(frame, "first_line")),
        ("3-cox", "the multivariable Cox model for OS (card 3)", cox_bundle(os_data, cox_settings, source)),
        (
            "3-time-varying",
            "its corrected counterpart, therapy and ICI as time-varying covariates (card 3)",
            time_varying_bundle(os_data, exposures, baseline, "Time-varying Cox for OS (card 3)", source),
        ),
        ("4-os-by-therapy", "OS by post-progression therapy, naive (card 4)", os_by(frame, "pp_received")),
        (
            "4-guard",
            f"its corrected counterparts, landmark at {STUDY_LANDMARK:g} months (card 4)",
            guard(frame, source, "pp_received", STUDY_LANDMARK),
        ),
        (
            "5-lenvatinib",
            "OS among lenvatinib patients by ICI, other therapy or none (card 5)",
            os_by(lenvatinib, "pp_group", lenvatinib_source),
        ),
        (
            "5-time-varying",
            "its corrected counterpart, time-varying Cox among lenvatinib patients (card 5)",
            time_varying_bundle(in_lenvatinib, exposures, (), "Time-varying Cox among lenvatinib (card 5)", source),
        ),
    ]
    return study_bundle(parts, source)
