"""Survival page: Kaplan–Meier by group with risk table, medians, tests and the two-group HR."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, clientside_callback, dcc, html, no_update

from analysis.bootstrap import BootstrapResult, bootstrap_survival
from analysis.commands import km_command, landmark_command
from analysis.errors import DataError, PPXError
from analysis.filters import FilterSpec
from analysis.messages import Message
from analysis.reproduce.bundle import Reproduction
from analysis.schema import ENDPOINTS
from app import datasets, i18n, reproduce, urlstate
from app.background import background_callback, log_job
from app.cache import cache
from app.components import survival_tables
from app.components.adjusted import panel as adjusted_panel
from app.components.bootstrap_block import bootstrap_block
from app.components.command import command_block, data_argument
from app.components.emulation import panel as emulation_panel
from app.components.guard import guard_block
from app.components.km_figure import KMFigureOptions, km_figure_dict
from app.components.palette import GROUPINGS
from app.components.parametric_figures import EXPORT_PAGE as PARAMETRIC_EXPORT_PAGE
from app.components.parametric_figures import panel as parametric_panel
from app.components.presenter import export_bar, km_title
from app.components.reproduce import reproduce_menu
from app.components.tables import fmt_p_eq
from app.i18n import N_, refusals
from app.ids import Ids
from app.pages import adjusted_panel as _adjusted_callbacks  # noqa: F401  (registers the panel's callbacks)
from app.pages import emulation_panel as _emulation_callbacks  # noqa: F401  (registers the panel's callbacks)
from app.pages import parametric_panel as _parametric_callbacks  # noqa: F401  (registers the section's callbacks)
from app.reproduce_jobs import register_download
from app.survival_url import (
    CONF_TYPES,
    DEFAULT_VIEW,
    NO_GROUPING,
    SHOW,
    TESTS,
    guarded,
    parse_landmark,
    view_of,
    view_options,
)
from app.views import (
    FIXED_TIMES,
    GUARD_EXPOSURE,
    LANDMARKS,
    NO_DATA,
    NO_PPS_DATA,
    _prepare,
    filtered,
    group_order,
    guard_view,
    survival_view,
    worded_error,
)

dash.register_page(
    __name__, path="/survival", name=N_("Survival"), title="Survival · Post-Progression Explorer", order=1
)


def layout(**query: Any) -> html.Div:
    """The page for the URL's query (Dash Pages passes its parameters): controls, KM view and guard drawn here,
    server-side, so the first paint needs no callback round trip (the callbacks run on later URL changes)."""
    search = urlstate.encode({k: v for k, v in query.items() if isinstance(v, str)})
    endpoint, group, test, conf, shown, landmark_value = view_of(search)
    figure, figure_style, message, medians, tests, hr, notes = km_outputs(search)
    guard, guard_style = guard_outputs(search)
    controls = dbc.Row(
        [
            dbc.Col(
                [
                    dbc.Label(N_("Endpoint"), className="small fw-semibold"),
                    dbc.RadioItems(
                        id=Ids.SURV_ENDPOINT,
                        options=[{"label": key.upper(), "value": key} for key in ENDPOINTS],
                        value=endpoint,
                        inline=True,
                    ),
                ],
                md=6,
            ),
            dbc.Col(
                [
                    dbc.Label(N_("Group by"), className="small fw-semibold"),
                    dcc.Dropdown(
                        id=Ids.SURV_GROUP,
                        options=[{"label": N_("No grouping (all patients)"), "value": NO_GROUPING}]
                        + [{"label": label, "value": key} for key, label in GROUPINGS.items()],
                        value=group,
                        clearable=False,
                    ),
                ],
                md=6,
            ),
            dbc.Col(
                [
                    dbc.Label(N_("Test"), className="small fw-semibold"),
                    dcc.Dropdown(
                        id=Ids.SURV_TEST,
                        options=[{"label": v, "value": k} for k, v in TESTS.items()],
                        value=test,
                        clearable=False,
                    ),
                ],
                md=6,
            ),
            dbc.Col(
                [
                    dbc.Label(N_("95% CI type"), className="small fw-semibold"),
                    dcc.Dropdown(
                        id=Ids.SURV_CONF,
                        options=[{"label": v, "value": k} for k, v in CONF_TYPES.items()],
                        value=conf,
                        clearable=False,
                    ),
                ],
                md=6,
            ),
        ],
        className="mb-2 g-2",
    )
    return html.Div(
        [
            html.H2(N_("Survival"), className="h4"),
            export_bar("survival", extra=(reproduce_menu("survival", class_name=""),)),
            controls,
            dbc.Checklist(
                id=Ids.SURV_OPTIONS,
                options=[{"label": v, "value": k} for k, v in SHOW.items()],
                value=list(shown),
                inline=True,
                switch=True,
                className="mb-2 small",
            ),
            dcc.Store(id=Ids.SURV_DEFAULTS, data=DEFAULT_VIEW),
            html.Div(notes, id=Ids.SURV_NOTES),
            dcc.Loading(
                [
                    html.Div(message, id=Ids.SURV_MESSAGE),
                    dcc.Graph(
                        id=Ids.SURV_FIGURE,
                        figure=figure,
                        config={"displaylogo": False, "toImageButtonOptions": {"format": "svg"}},
                        style=figure_style,
                    ),
                    html.Div(medians, id=Ids.SURV_MEDIANS),
                    html.Div(tests, id=Ids.SURV_TESTS),
                    html.Div(hr, id=Ids.SURV_HR),
                ],
                delay_show=150,
            ),
            bootstrap_panel(group),
            html.Div(
                [
                    html.Div(  # the landmark and the guard's own Reproduce (its analyses), on one line
                        [
                            dbc.InputGroup(
                                [
                                    dbc.InputGroupText(N_("Landmark (months)")),
                                    dbc.Input(
                                        id=Ids.SURV_LANDMARK,
                                        type="number",
                                        min=0,
                                        step=0.5,
                                        value=landmark_value,
                                        debounce=True,
                                        list="landmark-choices",
                                    ),
                                ],
                                size="sm",
                                style={"maxWidth": "260px"},
                                className="mb-2",
                            ),
                            reproduce_menu("guard"),
                        ],
                        className="d-flex flex-wrap align-items-center gap-2 mt-2",
                    ),
                    html.Datalist(id="landmark-choices", children=[html.Option(value=f"{v:g}") for v in LANDMARKS]),
                    dcc.Loading(html.Div(guard, id=Ids.SURV_GUARD), delay_show=150),
                    emulation_panel(i18n.request_lang(), key=search if guard is not None else None),
                ],
                id=Ids.SURV_GUARD_PANEL,
                style=guard_style,
            ),
            adjusted_panel(),
            parametric_panel(export_bar(PARAMETRIC_EXPORT_PAGE)),
        ]
    )


_CONTROLS = (Ids.SURV_ENDPOINT, Ids.SURV_GROUP, Ids.SURV_TEST, Ids.SURV_CONF, Ids.SURV_OPTIONS)


clientside_callback(  # no server round trip: a pending callback that writes the URL holds back all that read it
    dash.ClientsideFunction(namespace="ppxUrl", function_name="survivalView"),
    Output(Ids.URL, "search", allow_duplicate=True),
    *[Input(c, "value") for c in _CONTROLS],
    Input(Ids.SURV_LANDMARK, "value"),
    State(Ids.URL, "search"),
    State(Ids.SURV_DEFAULTS, "data"),
    prevent_initial_call=True,
)
"""Keep the page's view options in the URL so a copied link reopens this exact view (app/assets/urlstate.js)."""


@callback(
    Output(Ids.SURV_GUARD, "children"),
    Output(Ids.SURV_GUARD_PANEL, "style"),
    Output(Ids.EMU_KEY, "data"),
    Input(Ids.URL, "search"),
    prevent_initial_call=True,  # the layout draws it for the URL it opens with
)
def render_guard(search: str | None) -> tuple[Any, Any, Any]:
    """The guard for the URL, and the target-trial panel's key while the guard shows the panel."""
    guard, style = guard_outputs(search)
    return guard, style, (search or "") if guard is not None else no_update


def guard_outputs(search: str | None) -> tuple[Any, Any]:
    """Landmark, time-varying Cox and Simon–Makuch beside the naive comparison (when the view needs them)."""
    endpoint, group, _, _, _, landmark = view_of(search)
    if not guarded(endpoint, group):
        return None, {"display": "none"}
    spec, _ = urlstate.filters_of(search)
    cohort = datasets.active_cohort()
    view = guard_view(cohort.fingerprint, spec, group, landmark)
    command = landmark_command(data_argument(cohort), spec, view.landmark, view.exposure)
    return guard_block(view, command, i18n.lang_of(search)), {"display": "block"}


@callback(
    Output(Ids.SURV_FIGURE, "figure"),
    Output(Ids.SURV_FIGURE, "style"),
    Output(Ids.SURV_MESSAGE, "children"),
    Output(Ids.SURV_MEDIANS, "children"),
    Output(Ids.SURV_TESTS, "children"),
    Output(Ids.SURV_HR, "children"),
    Output(Ids.SURV_NOTES, "children"),
    Input(Ids.URL, "search"),
    prevent_initial_call=True,  # the layout draws it for the URL it opens with
)
def render(search: str | None) -> tuple[Any, ...]:
    return km_outputs(search)


def km_outputs(search: str | None) -> tuple[Any, ...]:
    """Every output of the KM view from the URL alone (filters, options, language): one round trip per change."""
    endpoint, group, test, conf, shown, _ = view_of(search)
    spec, _ = urlstate.filters_of(search)
    cohort = datasets.active_cohort()
    grouping = None if group == NO_GROUPING else group
    shown_key = tuple(sorted(set(shown)))
    lang = i18n.lang_of(search)
    outputs = survival_outputs(cohort.fingerprint, spec, endpoint, grouping, test, conf, shown_key, lang)
    command = km_command(
        data_argument(cohort), spec, endpoint, grouping, test=test, conf_type=conf, times=FIXED_TIMES,
        pairwise="pairwise" in shown_key,
    )  # fmt: skip
    results = html.Div([outputs[5], command_block(command, "survival-command-line")]) if outputs[3] else outputs[5]
    return (*outputs[:5], results, outputs[6])


def reproduction(
    endpoint: str, group: str, test: str, conf: str, shown: list[str] | None, search: str | None
) -> Reproduction:
    """The zip of this view (built in memory from the session's cohort; see app.reproduce)."""
    spec, _ = urlstate.filters_of(search)
    cohort = datasets.active_cohort()
    grouping = None if group == NO_GROUPING else group
    source = reproduce.source_of(cohort.fingerprint, cohort.synthetic, spec)
    frame = filtered(cohort.fingerprint, spec).frame
    return reproduce.survival(frame, source, endpoint, grouping, test, conf, "pairwise" in (shown or []))


register_download("survival", [State(c, "value") for c in _CONTROLS], reproduction)


def guard_reproduction(group: str, landmark: float | None, search: str | None) -> Reproduction:
    """The zip of the immortal-time guard (naive, time-varying, landmark, Simon–Makuch; see app.reproduce)."""
    if group not in GUARD_EXPOSURE:
        raise DataError(f"the immortal-time guard is for OS by {', '.join(GUARD_EXPOSURE)}")
    spec, _ = urlstate.filters_of(search)
    cohort = datasets.active_cohort()
    source = reproduce.source_of(cohort.fingerprint, cohort.synthetic, spec)
    frame = filtered(cohort.fingerprint, spec).frame
    return reproduce.guard(frame, source, group, parse_landmark(landmark))


register_download("guard", [State(Ids.SURV_GROUP, "value"), State(Ids.SURV_LANDMARK, "value")], guard_reproduction)


@cache.memoize()
def survival_outputs(
    fingerprint: str,
    spec: FilterSpec,
    endpoint: str,
    grouping: str | None,
    test: str,
    conf: str,
    shown: tuple[str, ...],
    lang: i18n.Lang = "en",
) -> tuple[Any, ...]:
    """Every output of the page for one normalised key and language (memoized: a repeated view costs a cache read)."""
    view = survival_view(fingerprint, spec, endpoint, grouping, test, conf, "pairwise" in shown)
    notes = survival_tables.notes(view, lang)
    hidden = {"display": "none"}
    if view.km is None:
        message = dbc.Alert(view.message, color="secondary", className="my-3")
        return {}, hidden, message, None, None, None, notes
    options = KMFigureOptions(
        show_ci="ci" in shown,
        show_censor="censor" in shown,
        show_events_row="events" in shown,
        show_censored_row="censored" in shown,
        title=km_title(endpoint, grouping, lang),
        annotation=None if view.test is None else f"{i18n.tr(lang, TESTS[test])} {fmt_p_eq(view.test.p)}",
        lang=lang,
    )
    figure = km_figure_dict(view.km, grouping, view.ticks, options)
    return (
        figure,
        {"display": "block"},
        None,
        survival_tables.medians_table(view, lang),
        survival_tables.tests_block(view, TESTS[test], lang),
        survival_tables.hr_block(view, lang),
        notes,
    )


# ----------------------------------------------------------------------------- bootstrap CIs (background job)

BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 2022


def bootstrap_panel(group: str | None) -> html.Div:
    """Run / Cancel buttons, a progress bar and the result; shown when a grouping is chosen."""
    return html.Div(
        [
            html.H3(N_("Bootstrap CIs"), className="h6 mt-3"),
            dbc.Button(
                i18n.t(i18n.request_lang(), "Bootstrap 95% CIs ({n} resamples)", n=f"{BOOTSTRAP_RESAMPLES:,}"),
                id=Ids.BOOT_RUN,
                color="primary",
                size="sm",
                outline=True,
                className="me-2",
            ),
            dbc.Button(N_("Cancel"), id=Ids.BOOT_CANCEL, color="secondary", size="sm", outline=True, disabled=True),
            dbc.Progress(
                id=Ids.BOOT_PROGRESS, value=0, striped=True, animated=True, className="mt-2", style={"height": "1.2rem"}
            ),
            html.Div(id=Ids.BOOT_OUTPUT, className="mt-2"),
        ],
        id=Ids.BOOT_PANEL,
        className="mb-3",
        style={"display": "block" if group not in (None, NO_GROUPING) else "none"},
    )


clientside_callback(  # a new endpoint, grouping or filter makes an earlier bootstrap result stale: clear it
    dash.ClientsideFunction(namespace="ppxUrl", function_name="resetBootstrap"),
    Output(Ids.BOOT_PANEL, "style"),
    Output(Ids.BOOT_OUTPUT, "children", allow_duplicate=True),
    Input(Ids.URL, "search"),
    prevent_initial_call=True,
)


@cache.memoize(args_to_ignore=["progress"])
def bootstrap_result(
    fingerprint: str,
    spec: FilterSpec,
    endpoint: str,
    grouping: str,
    progress: Callable[[int, int], None] | None = None,
) -> BootstrapResult | Message:
    """The bootstrap for one key (memoized: a repeated request is a cache read), or a message why there is none
    (worded in the page's language by :func:`app.i18n.refusals.word`)."""
    time_col, event_col, _ = ENDPOINTS[endpoint]
    data = _prepare(filtered(fingerprint, spec).frame, endpoint, grouping)
    if data.empty:
        return Message.of(NO_PPS_DATA if endpoint == "pps" else NO_DATA[endpoint])
    try:
        return bootstrap_survival(
            data,
            time_col,
            event_col,
            grouping,
            n_resamples=BOOTSTRAP_RESAMPLES,
            seed=BOOTSTRAP_SEED,
            group_order=group_order(data, grouping),
            progress=progress,
        )
    except PPXError as exc:
        return Message.of(NO_BOOTSTRAP, reason=worded_error(exc))


NO_BOOTSTRAP = N_("No bootstrap: {reason}")


@background_callback(
    Output(Ids.BOOT_OUTPUT, "children"),
    Input(Ids.BOOT_RUN, "n_clicks"),
    State(Ids.SURV_ENDPOINT, "value"),
    State(Ids.SURV_GROUP, "value"),
    State(Ids.URL, "search"),
    running=[
        (Output(Ids.BOOT_RUN, "disabled"), True, False),
        (Output(Ids.BOOT_CANCEL, "disabled"), False, True),
    ],
    cancel=[Input(Ids.BOOT_CANCEL, "n_clicks")],
    progress=[Output(Ids.BOOT_PROGRESS, "value"), Output(Ids.BOOT_PROGRESS, "label")],
    progress_default=[0, ""],
    prevent_initial_call=True,
)
def run_bootstrap(
    set_progress: Callable[[tuple[int, str]], None],
    _clicks: int | None,
    endpoint: str,
    group: str,
    search: str | None,
) -> Any:
    """Stratified bootstrap CIs for the current endpoint, grouping and filters, as a background job."""
    started = time.perf_counter()
    endpoint, group, _, _, _ = view_options(endpoint, group, None, None, None)
    if group == NO_GROUPING:
        return dbc.Alert(N_("Choose a grouping to bootstrap the differences between groups."), color="secondary")
    set_progress((0, N_("Resampling…")))

    def progress(done: int, total: int) -> None:
        set_progress((round(100 * done / total), f"{done:,} / {total:,}"))

    spec, _ = urlstate.filters_of(search)  # the caller's session, its upload, nobody else's (background_callback)
    result = bootstrap_result(datasets.active_cohort().fingerprint, spec, endpoint, group, progress)
    set_progress((100, N_("Done")))
    log_job("bootstrap", started, "done")
    lang = i18n.lang_of(search)
    if isinstance(result, Message):
        return dbc.Alert(refusals.word(lang, result, group), color="secondary")
    return bootstrap_block(result, group, lang)
