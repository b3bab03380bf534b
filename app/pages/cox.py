"""Cox page: univariate screen, multivariable model with forest plot, PH check and EPV warning."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from analysis.schema import ENDPOINTS
from app import datasets, urlstate
from app.components.cox_tables import model_block, ph_block, screen_table, warnings_block
from app.components.forest import forest_figure
from app.ids import Ids
from app.views import COX_CANDIDATES, STUDY_COVARIATES, cox_view, term_label

dash.register_page(__name__, path="/cox", name="Cox", title="Cox model · Post-Progression Explorer", order=2)


def _covariates(text: str | None) -> list[str]:
    if text is None:
        return list(STUDY_COVARIATES)
    return [c for c in text.split(",") if c in COX_CANDIDATES]


def layout(endpoint: str | None = None, covariates: str | None = None, **_: Any) -> html.Div:
    endpoint = endpoint if endpoint in ENDPOINTS else "os"
    return html.Div(
        [
            html.H2("Cox proportional hazards", className="h4"),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label("Endpoint", className="small fw-semibold"),
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
                            dbc.Label("Multivariable model covariates", className="small fw-semibold"),
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
            dcc.Loading(
                [
                    html.Div(id=Ids.COX_WARNINGS),
                    html.H3("Multivariable model", className="h6"),
                    html.Div(id=Ids.COX_MODEL),
                    dcc.Graph(id=Ids.COX_FOREST, config={"displaylogo": False}, style={"display": "none"}),
                    html.Div(id=Ids.COX_PH),
                    html.H3("Univariate screen", className="h6 mt-3"),
                    html.Div(id=Ids.COX_SCREEN),
                ],
                delay_show=150,
            ),
        ]
    )


@callback(
    Output(Ids.URL, "search", allow_duplicate=True),
    Input(Ids.COX_ENDPOINT, "value"),
    Input(Ids.COX_COVARIATES, "value"),
    State(Ids.URL, "search"),
    prevent_initial_call=True,
)
def remember_view(endpoint: str, covariates: list[str] | None, search: str | None) -> str:
    return urlstate.view_change(search, {"endpoint": endpoint, "covariates": ",".join(covariates or []) or "none"})


@callback(
    Output(Ids.COX_MODEL, "children"),
    Output(Ids.COX_FOREST, "figure"),
    Output(Ids.COX_FOREST, "style"),
    Output(Ids.COX_PH, "children"),
    Output(Ids.COX_SCREEN, "children"),
    Output(Ids.COX_WARNINGS, "children"),
    Input(Ids.COX_ENDPOINT, "value"),
    Input(Ids.COX_COVARIATES, "value"),
    State(Ids.URL, "search"),
)
def render(endpoint: str, covariates: list[str] | None, search: str | None) -> tuple[Any, ...]:
    spec, _ = urlstate.filters_of(search)
    cohort = datasets.active_cohort()
    chosen = tuple(c for c in (covariates or []) if c in COX_CANDIDATES)
    view = cox_view(cohort.fingerprint, spec, endpoint if endpoint in ENDPOINTS else "os", chosen)
    hidden = {"display": "none"}
    if view.message:
        return dbc.Alert(view.message, color="secondary"), {}, hidden, None, None, None
    figure: Any = {}
    style = hidden
    if view.model is not None:
        figure = forest_figure(view.model.terms, [term_label(t) for t in view.model.terms])
        style = {"display": "block"}
    return (
        model_block(view),
        figure,
        style,
        ph_block(view),
        screen_table(view),
        warnings_block(view),
    )
