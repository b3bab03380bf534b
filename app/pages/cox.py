"""Cox page: univariate screen, multivariable model with forest plot, PH check and EPV warning.

On a large cohort (``PPX_COX_BACKGROUND_N`` patients or more, default 20,000)
the models run as a Dash background job started by a Compute button, with a
progress bar and a Cancel button; other users' requests are served meanwhile.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, clientside_callback, dcc, html

from analysis.commands import cox_command
from analysis.reproduce.bundle import Reproduction
from analysis.schema import ENDPOINTS
from analysis.sparse import MIN_EVENTS, MIN_PATIENTS
from app import datasets, i18n, reproduce, urlstate
from app.background import background_callback, log_job
from app.components.aft_check import section as aft_section
from app.components.command import command_block, data_argument
from app.components.cox_tables import model_block, ph_block, screen_table, warnings_block
from app.components.forest import forest_figure
from app.components.presenter import export_bar
from app.components.reproduce import reproduce_menu
from app.i18n import N_
from app.ids import Ids
from app.pages import aft_panel as _aft_callbacks  # registers the AFT check; its output ends the Compute job
from app.reproduce_jobs import register_download
from app.views import (
    CATEGORICAL_COVARIATES,
    COX_CANDIDATES,
    STUDY_COVARIATES,
    cox_runs_in_background,
    cox_view,
    filtered,
    term_label,
)

dash.register_page(__name__, path="/cox", name=N_("Cox"), title="Cox model · Post-Progression Explorer", order=2)


def _job_panel(n_patients: int) -> html.Div:
    """Compute / Cancel buttons and a progress bar; shown only for cohorts that run as a background job."""
    return html.Div(
        [
            html.Div(
                f"This cohort has {n_patients:,} patients: the Cox models run as a background job.",
                id=Ids.COX_JOB_NOTE,
                className="small text-muted mb-1",
            ),
            dbc.Button(N_("Compute"), id=Ids.COX_COMPUTE, color="primary", size="sm", className="me-2"),
            dbc.Button(N_("Cancel"), id=Ids.COX_CANCEL, color="secondary", size="sm", outline=True, disabled=True),
            dbc.Progress(
                id=Ids.COX_PROGRESS, value=0, striped=True, animated=True, className="mt-2", style={"height": "1.2rem"}
            ),
        ],
        id=Ids.COX_JOB_PANEL,
        className="mb-3",
        style={} if cox_runs_in_background(n_patients) else {"display": "none"},
    )


def _covariates(text: str | None) -> list[str]:
    if text is None:
        return list(STUDY_COVARIATES)
    return [c for c in text.split(",") if c in COX_CANDIDATES]


def layout(endpoint: str | None = None, covariates: str | None = None, merge: str | None = None, **_: Any) -> html.Div:
    endpoint = endpoint if endpoint in ENDPOINTS else "os"
    return html.Div(
        [
            html.H2(N_("Cox proportional hazards"), className="h4"),
            export_bar("cox", extra=(reproduce_menu("cox", class_name=""),)),
            _job_panel(len(datasets.active_cohort().frame)),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label(N_("Endpoint"), className="small fw-semibold"),
                            dbc.RadioItems(
                                id=Ids.COX_ENDPOINT,
                                options=[{"label": key.upper(), "value": key} for key in ENDPOINTS],
                                value=endpoint,
                                inline=True,
                            ),
                        ],
                        md=3,
                    ),
                    dbc.Col(
                        [
                            dbc.Label(N_("Multivariable model covariates"), className="small fw-semibold"),
                            dcc.Dropdown(
                                id=Ids.COX_COVARIATES,
                                options=[{"label": label, "value": key} for key, label in COX_CANDIDATES.items()],
                                value=_covariates(covariates),
                                multi=True,
                            ),
                        ],
                        md=9,
                    ),
                ],
                className="mb-2 g-2",
            ),
            dbc.Switch(
                id=Ids.COX_MERGE_SPARSE,
                label=i18n.t(
                    i18n.request_lang(),
                    "Merge sparse levels (fewer than {patients} patients or {events} events) into the adjacent level",
                    patients=MIN_PATIENTS,
                    events=MIN_EVENTS,
                ),
                value=merge == "1",
                className="small mb-2",
            ),
            dcc.Loading(
                [
                    html.Div(id=Ids.COX_WARNINGS),
                    html.H3(N_("Multivariable model"), className="h6"),
                    html.Div(id=Ids.COX_MODEL),
                    dcc.Graph(id=Ids.COX_FOREST, config={"displaylogo": False}, style={"display": "none"}),
                    html.Div(id=Ids.COX_PH),
                    html.H3(N_("Univariate screen"), className="h6 mt-3"),
                    html.Div(id=Ids.COX_SCREEN),
                    html.Div(id=Ids.COX_COMMAND),
                ],
                delay_show=150,
            ),
            aft_section(),
        ]
    )


clientside_callback(  # no server round trip (app/assets/urlstate.js): a pending callback that writes
    # the URL would hold back the page's render, which reads it
    dash.ClientsideFunction(namespace="ppxUrl", function_name="coxView"),
    Output(Ids.URL, "search", allow_duplicate=True),
    Input(Ids.COX_ENDPOINT, "value"),
    Input(Ids.COX_COVARIATES, "value"),
    Input(Ids.COX_MERGE_SPARSE, "value"),
    State(Ids.URL, "search"),
    prevent_initial_call=True,
)
"""The Cox page's endpoint, covariates and sparse-level merge in the URL."""


@callback(
    Output(Ids.COX_MODEL, "children"),
    Output(Ids.COX_FOREST, "figure"),
    Output(Ids.COX_FOREST, "style"),
    Output(Ids.COX_PH, "children"),
    Output(Ids.COX_SCREEN, "children"),
    Output(Ids.COX_WARNINGS, "children"),
    Output(Ids.COX_COMMAND, "children"),
    Input(Ids.COX_ENDPOINT, "value"),
    Input(Ids.COX_COVARIATES, "value"),
    Input(Ids.COX_MERGE_SPARSE, "value"),
    Input(Ids.URL, "search"),  # the filters: a filter change renders no page, it changes the URL
)
def render(endpoint: str, covariates: list[str] | None, merge: bool | None, search: str | None) -> tuple[Any, ...]:
    cohort = datasets.active_cohort()
    if cox_runs_in_background(len(cohort.frame)):
        prompt = N_("Press Compute to fit the models for these settings.")
        return dbc.Alert(prompt, color="info", className="small"), {}, {"display": "none"}, None, None, None, None
    return cox_outputs(endpoint, covariates, search, bool(merge))


def reproduction(endpoint: str, covariates: list[str] | None, merge: bool | None, search: str | None) -> Reproduction:
    """The zip of this view (built in memory from the session's cohort; see app.reproduce)."""
    spec, _ = urlstate.filters_of(search)
    cohort = datasets.active_cohort()
    source = reproduce.source_of(cohort.fingerprint, cohort.synthetic, spec)
    frame = filtered(cohort.fingerprint, spec).frame
    return reproduce.cox(frame, source, endpoint, tuple(_covariates(",".join(covariates or []))), bool(merge))


register_download(
    "cox",
    [State(Ids.COX_ENDPOINT, "value"), State(Ids.COX_COVARIATES, "value"), State(Ids.COX_MERGE_SPARSE, "value")],
    reproduction,
)


@background_callback(
    Output(Ids.COX_MODEL, "children", allow_duplicate=True),
    Output(Ids.COX_FOREST, "figure", allow_duplicate=True),
    Output(Ids.COX_FOREST, "style", allow_duplicate=True),
    Output(Ids.COX_PH, "children", allow_duplicate=True),
    Output(Ids.COX_SCREEN, "children", allow_duplicate=True),
    Output(Ids.COX_WARNINGS, "children", allow_duplicate=True),
    Output(Ids.COX_COMMAND, "children", allow_duplicate=True),
    Output(Ids.COX_AFT, "children", allow_duplicate=True),
    Input(Ids.COX_COMPUTE, "n_clicks"),
    State(Ids.COX_ENDPOINT, "value"),
    State(Ids.COX_COVARIATES, "value"),
    State(Ids.COX_MERGE_SPARSE, "value"),
    State(Ids.URL, "search"),
    running=[
        (Output(Ids.COX_COMPUTE, "disabled"), True, False),
        (Output(Ids.COX_CANCEL, "disabled"), False, True),
    ],
    cancel=[Input(Ids.COX_CANCEL, "n_clicks")],
    progress=[Output(Ids.COX_PROGRESS, "value"), Output(Ids.COX_PROGRESS, "label")],
    progress_default=[0, ""],
    prevent_initial_call=True,
)
def compute(
    set_progress: Callable[[tuple[int, str]], None],
    _clicks: int | None,
    endpoint: str,
    covariates: list[str] | None,
    merge: bool | None,
    search: str | None,
) -> tuple[Any, ...]:
    """The Cox page's models and then their AFT check as a background job (large cohorts), with progress."""
    started = time.perf_counter()
    set_progress((10, N_("Fitting the models…")))
    outputs = cox_outputs(endpoint, covariates, search, bool(merge))  # the caller's session (background_callback)
    set_progress((70, N_("Fitting the models…")))
    aft = _aft_callbacks.aft_output(endpoint, covariates, merge, search)
    set_progress((100, N_("Done")))
    log_job("cox-compute", started, "done")
    return (*outputs, aft)


def cox_outputs(
    endpoint: str, covariates: list[str] | None, search: str | None, merge: bool = False
) -> tuple[Any, ...]:
    """The seven outputs of the Cox page for these settings (from the memoized ``cox_view``)."""
    spec, _ = urlstate.filters_of(search)
    cohort = datasets.active_cohort()
    chosen = tuple(c for c in (covariates or []) if c in COX_CANDIDATES)
    endpoint = endpoint if endpoint in ENDPOINTS else "os"
    view = cox_view(cohort.fingerprint, spec, endpoint, chosen, merge)
    lang = i18n.lang_of(search)
    hidden = {"display": "none"}
    if view.message:
        return dbc.Alert(view.message, color="secondary"), {}, hidden, None, None, None, None
    figure: Any = {}
    style = hidden
    if view.model is not None:
        figure = forest_figure(view.model.terms, [term_label(term, lang) for term in view.model.terms])
        style = {"display": "block"}
    command = None
    if chosen:
        text = cox_command(
            data_argument(cohort), spec, endpoint, chosen, categorical=CATEGORICAL_COVARIATES, merge_sparse=merge
        )
        command = command_block(text, "cox-command-line", N_("(the multivariable model; --json for every number)"))
    return (
        model_block(view, lang),
        figure,
        style,
        ph_block(view, lang),
        screen_table(view, lang),
        warnings_block(view, lang),
        command,
    )
