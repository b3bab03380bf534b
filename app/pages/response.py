"""Response page: ORR and DCR by group with exact CIs and the test used, and a stacked bar of best response."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, clientside_callback, dcc, html

from analysis.reproduce.bundle import Reproduction
from app import datasets, i18n, reproduce, urlstate
from app.components.palette import GROUPINGS
from app.components.presenter import export_bar
from app.components.reproduce import reproduce_menu
from app.components.response_figures import response_bar, response_table, tests_block
from app.i18n import N_
from app.ids import Ids
from app.reproduce_jobs import register_download
from app.views import filtered, response_view

dash.register_page(
    __name__, path="/response", name=N_("Response"), title="Response · Post-Progression Explorer", order=3
)

NO_GROUPING = "none"
DEFAULT_GROUP = "first_line"


def layout(resp_group: str | None = None, **_: Any) -> html.Div:
    group = resp_group if resp_group in (*GROUPINGS, NO_GROUPING) else DEFAULT_GROUP
    return html.Div(
        [
            html.H2(N_("Response to first-line therapy"), className="h4"),
            export_bar("response", extra=(reproduce_menu("response", class_name=""),)),
            dbc.Row(
                dbc.Col(
                    [
                        dbc.Label(N_("Group by"), className="small fw-semibold"),
                        dcc.Dropdown(
                            id=Ids.RESP_GROUP,
                            options=[{"label": N_("No grouping (all patients)"), "value": NO_GROUPING}]
                            + [{"label": label, "value": key} for key, label in GROUPINGS.items()],
                            value=group,
                            clearable=False,
                        ),
                    ],
                    md=4,
                ),
                className="mb-2",
            ),
            dcc.Loading(
                [
                    html.Div(id=Ids.RESP_TABLE),
                    html.Div(id=Ids.RESP_TESTS),
                    dcc.Graph(id=Ids.RESP_BAR, config={"displaylogo": False}, style={"display": "none"}),
                ],
                delay_show=150,
            ),
        ]
    )


clientside_callback(  # no server round trip (app/assets/urlstate.js): a pending callback that writes
    # the URL would hold back the page's render, which reads it
    dash.ClientsideFunction(namespace="ppxUrl", function_name="responseView"),
    Output(Ids.URL, "search", allow_duplicate=True),
    Input(Ids.RESP_GROUP, "value"),
    State(Ids.URL, "search"),
    prevent_initial_call=True,
)
"""The response grouping in the URL."""


@callback(
    Output(Ids.RESP_TABLE, "children"),
    Output(Ids.RESP_TESTS, "children"),
    Output(Ids.RESP_BAR, "figure"),
    Output(Ids.RESP_BAR, "style"),
    Input(Ids.RESP_GROUP, "value"),
    Input(Ids.URL, "search"),  # the filters: a filter change renders no page, it changes the URL
)
def render(group: str, search: str | None) -> tuple[Any, ...]:
    spec, _ = urlstate.filters_of(search)
    cohort = datasets.active_cohort()
    grouping = None if group in (None, NO_GROUPING) or group not in GROUPINGS else group
    view = response_view(cohort.fingerprint, spec, grouping)
    if view.result is None:
        return dbc.Alert(view.message, color="secondary"), None, {}, {"display": "none"}
    lang = i18n.request_lang()
    return (
        response_table(view.result, lang),
        tests_block(view.result, lang),
        response_bar(view.result, lang=lang),
        {"display": "block"},
    )


def reproduction(group: str, search: str | None) -> Reproduction:
    """The zip of this view (built in memory from the session's cohort; see app.reproduce)."""
    spec, _ = urlstate.filters_of(search)
    cohort = datasets.active_cohort()
    grouping = None if group in (None, NO_GROUPING) or group not in GROUPINGS else group
    source = reproduce.source_of(cohort.fingerprint, cohort.synthetic, spec)
    return reproduce.response(filtered(cohort.fingerprint, spec).frame, source, grouping)


register_download("response", [State(Ids.RESP_GROUP, "value")], reproduction)
