"""Callbacks of the "Adjusted comparison" panel (registered by importing this module from the Survival page).

Thin: read the controls, call the memoized seam :mod:`app.adjusted_views`,
lay out with :mod:`app.components.adjusted`. The bootstrap is a background job
with progress and Cancel, bound to the caller's session (:func:`app.background.background_callback`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx
from dash.dcc.express import send_bytes
from dash.exceptions import PreventUpdate

from analysis.adjusted import AdjustedComparison
from analysis.errors import DataError
from analysis.filters import FilterSpec
from analysis.messages import Message
from analysis.reproduce.bundle import Reproduction
from app import datasets, exporting, i18n, reproduce, urlstate
from app.adjusted_views import (
    BOOTSTRAP_RESAMPLES,
    DEFAULT_LANDMARK,
    AdjustedOptions,
    adjusted_view,
    comparison_key,
    describe,
    refusal_text,
)
from app.background import background_callback, log_job
from app.components import panel_slides
from app.components.adjusted import bootstrap_block, curves_figure, export_tables, method_text, result_block
from app.i18n import N_, Lang
from app.i18n.render import localized_figure
from app.ids import Ids
from app.reproduce_jobs import register_download
from app.survival_url import view_of
from app.views import filtered

_INPUTS = (Ids.ADJ_COMPARISON, Ids.ADJ_COVARIATES, Ids.ADJ_ESTIMAND, Ids.ADJ_TRIM, Ids.ADJ_LANDMARK)
_STATES = [*[State(i, "value") for i in _INPUTS], State(Ids.SURV_ENDPOINT, "value")]
"""The panel's controls and the page's endpoint, as the bootstrap, export and Reproduce callbacks read them
(in :class:`Controls` order)."""


class Controls(NamedTuple):
    """The panel's control values and the page's endpoint, as the browser sends them."""

    comparison: str | None
    covariates: list[str] | None
    estimand: str | None
    trim: str | None
    landmark: float | str | None
    endpoint: str | None


def _controls(values: tuple[Any, ...]) -> tuple[Controls, str | None]:
    """The controls and the URL's query from a callback's arguments (``_STATES`` then the URL)."""
    return Controls(*values[: len(Controls._fields)]), values[len(Controls._fields)]


def options_of(controls: Controls) -> AdjustedOptions:
    """Normalised panel options (unknown values fall back to the defaults)."""
    return comparison_key(*controls)


@dataclass(frozen=True)
class _Panel:
    """One reading of the panel: its normalised options, the page's filters and the comparison (or why none)."""

    options: AdjustedOptions
    spec: FilterSpec
    cohort: Any
    result: AdjustedComparison | Message
    grouping: str
    description: str


def _panel(
    controls: Controls,
    search: str | None,
    lang: Lang = "en",
    **bootstrap: Any,
) -> _Panel:
    """The output block every callback of the panel starts from (options, filters, cohort, comparison)."""
    options = options_of(controls)
    spec, _ = urlstate.filters_of(search)  # a job runs in the caller's session: its data, nobody else's
    cohort = datasets.active_cohort()
    result = adjusted_view(cohort.fingerprint, spec, options, **bootstrap)
    grouping, description = describe(options, lang)
    return _Panel(options, spec, cohort, result, grouping, description)


@callback(
    Output(Ids.ADJ_OUTPUT, "children"),
    Output(Ids.ADJ_BOOT_OUTPUT, "children", allow_duplicate=True),
    *[Input(i, "value") for i in _INPUTS],
    Input(Ids.URL, "search"),
    prevent_initial_call="initial_duplicate",
)
def render_adjusted(
    comparison: str | None,
    covariates: list[str] | None,
    estimand: str | None,
    trim: str | None,
    landmark: float | None,
    search: str | None,
) -> tuple[Any, Any]:
    """The naive vs weighted comparison for the panel's options and the page's filters; clears a stale bootstrap.

    The endpoint is read from the URL (the page writes its control there): an endpoint change runs this once."""
    lang = i18n.lang_of(search)
    endpoint = view_of(search)[0]
    panel = _panel(Controls(comparison, covariates, estimand, trim, landmark, endpoint), search, lang)
    result = refusal_text(panel.result, lang) if isinstance(panel.result, Message) else panel.result
    return result_block(result, panel.grouping, panel.description, lang), None


@background_callback(
    Output(Ids.ADJ_BOOT_OUTPUT, "children"),
    Input(Ids.ADJ_BOOT_RUN, "n_clicks"),
    *_STATES,
    State(Ids.URL, "search"),
    running=[
        (Output(Ids.ADJ_BOOT_RUN, "disabled"), True, False),
        (Output(Ids.ADJ_BOOT_CANCEL, "disabled"), False, True),
    ],
    cancel=[Input(Ids.ADJ_BOOT_CANCEL, "n_clicks")],
    progress=[Output(Ids.ADJ_BOOT_PROGRESS, "value"), Output(Ids.ADJ_BOOT_PROGRESS, "label")],
    progress_default=[0, ""],
    prevent_initial_call=True,
)
def run_adjusted_bootstrap(set_progress: Callable[[tuple[int, str]], None], _clicks: int | None, *values: Any) -> Any:
    """Bootstrap CIs of the weighted curves, medians, survival and RMST (propensity model re-fitted per resample)."""
    started = time.perf_counter()
    controls, search = _controls(values)
    lang = i18n.lang_of(search)
    set_progress((0, N_("Resampling…")))

    def progress(done: int, total: int) -> None:
        set_progress((round(100 * done / total), f"{done:,} / {total:,}"))

    panel = _panel(controls, search, lang, n_bootstrap=BOOTSTRAP_RESAMPLES, progress=progress)
    set_progress((100, N_("Done")))
    log_job("adjusted-bootstrap", started, "done")
    if isinstance(panel.result, Message):
        return dbc.Alert(refusal_text(panel.result, lang), color="secondary")
    return bootstrap_block(panel.result, panel.grouping, lang)


@callback(
    Output(Ids.ADJ_DOWNLOAD, "data"),
    Input(Ids.ADJ_EXPORT_PNG, "n_clicks"),
    Input(Ids.ADJ_EXPORT_XLSX, "n_clicks"),
    *_STATES,
    State(Ids.URL, "search"),
    prevent_initial_call=True,
)
def export_adjusted(_png: int | None, _xlsx: int | None, *values: Any) -> Any:
    """The weighted curves (PNG) or the tables (XLSX), the caveat and the method in the provenance footer."""
    controls, search = _controls(values)
    lang = i18n.lang_of(search)
    panel = _panel(controls, search, lang)
    options, spec, cohort, result, grouping = panel.options, panel.spec, panel.cohort, panel.result, panel.grouping
    if isinstance(result, Message):
        raise PreventUpdate
    provenance = exporting.Provenance.of(
        cohort,
        spec,
        result.n,
        caveats=(panel_slides.builder("adjusted").caveat(panel_slides.PanelView("", options.endpoint, lang=lang)),),
        method=method_text(result, lang),
        lang=lang,
    )
    stem = f"ppx-adjusted-{options.comparison}-{options.estimand}-{cohort.short_fingerprint}"
    if ctx.triggered_id == Ids.ADJ_EXPORT_PNG:
        figure = localized_figure(lang, curves_figure(result, grouping, title=False, lang=lang))
        data = exporting.export_figure(figure, "png", provenance)
        return send_bytes(data, f"{stem}.png")
    data = exporting.export_tables(export_tables(result, grouping, lang), "xlsx", provenance)
    return send_bytes(data, f"{stem}.xlsx")


def reproduction(*values: Any) -> Reproduction:
    """The panel's "Reproduce" zip (deterministic numbers; the README says why the bootstrap is not in it)."""
    controls, search = _controls(values)
    options = options_of(controls)
    if not options.covariates:
        raise DataError("choose at least one covariate for the propensity model")
    spec, _ = urlstate.filters_of(search)
    cohort = datasets.active_cohort()
    source = reproduce.source_of(cohort.fingerprint, cohort.synthetic, spec)
    return reproduce.adjusted(filtered(cohort.fingerprint, spec).frame, source, options)


register_download("adjusted", _STATES, reproduction)

__all__ = [
    "DEFAULT_LANDMARK", "Controls", "export_adjusted", "options_of", "render_adjusted", "reproduction",
    "run_adjusted_bootstrap",
]  # fmt: skip
