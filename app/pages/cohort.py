"""Cohort page: Table 1 by a chosen grouping, and the patient flow through the filters."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, clientside_callback, dcc, html

from analysis.reproduce.bundle import Reproduction
from app import datasets, i18n, reproduce, urlstate
from app.adjusted_views import WEIGHTED_SMD_NOTE, refusal_text, weighted_smd_view
from app.components.cohort_tables import flow_table, table_one_table
from app.components.palette import GROUPINGS
from app.components.presenter import export_bar
from app.components.reproduce import reproduce_menu
from app.i18n import N_
from app.ids import Ids
from app.reproduce_jobs import register_download
from app.views import cohort_view, filtered

dash.register_page(__name__, path="/cohort", name=N_("Cohort"), title="Cohort · Post-Progression Explorer", order=0)

DEFAULT_GROUP = "first_line"


def layout(t1_group: str | None = None, **_: Any) -> html.Div:
    group = t1_group if t1_group in GROUPINGS else DEFAULT_GROUP
    return html.Div(
        [
            html.H2(N_("Cohort"), className="h4"),
            export_bar("cohort", figure=False, extra=(reproduce_menu("cohort", class_name=""),)),
            dbc.Row(
                dbc.Col(
                    [
                        dbc.Label(N_("Table 1 by"), className="small fw-semibold"),
                        dcc.Dropdown(
                            id=Ids.COHORT_GROUP,
                            options=[{"label": label, "value": key} for key, label in GROUPINGS.items()],
                            value=group,
                            clearable=False,
                        ),
                    ],
                    md=4,
                ),
                className="mb-2",
            ),
            dbc.Switch(
                id=Ids.COHORT_WEIGHTED,
                label=N_("Weighted SMD column (propensity weighting of first-line drug)"),
                value=False,
                className="small mb-2",
            ),
            dcc.Loading(
                [
                    html.Div(id=Ids.COHORT_TABLE1),
                    html.H3(N_("Patient flow"), className="h6 mt-3"),
                    html.Div(id=Ids.COHORT_FLOW),
                ],
                delay_show=150,
            ),
        ]
    )


clientside_callback(  # no server round trip (app/assets/urlstate.js): a pending callback that writes
    # the URL would hold back the page's render, which reads it
    dash.ClientsideFunction(namespace="ppxUrl", function_name="cohortView"),
    Output(Ids.URL, "search", allow_duplicate=True),
    Input(Ids.COHORT_GROUP, "value"),
    State(Ids.URL, "search"),
    prevent_initial_call=True,
)
"""Table 1's grouping in the URL."""


@callback(
    Output(Ids.COHORT_TABLE1, "children"),
    Output(Ids.COHORT_FLOW, "children"),
    Input(Ids.COHORT_GROUP, "value"),
    Input(Ids.COHORT_WEIGHTED, "value"),
    Input(Ids.URL, "search"),  # the filters: a filter change renders no page, it changes the URL
)
def render(group: str, weighted: bool | None, search: str | None) -> tuple[Any, Any]:
    spec, _ = urlstate.filters_of(search)
    cohort = datasets.active_cohort()
    view = cohort_view(cohort.fingerprint, spec, group if group in GROUPINGS else DEFAULT_GROUP)
    lang = i18n.request_lang()
    flow = flow_table(view.flow, view.n_total, lang)
    if view.table is None:
        return dbc.Alert(view.message, color="secondary"), flow
    if not weighted:
        return table_one_table(view.table, lang=lang), flow
    if view.table.grouping != "first_line":
        note = dbc.Alert(N_("The weighted SMD column is for Table 1 by first-line drug."), color="secondary")
        return [note, table_one_table(view.table, lang=lang)], flow
    smd = weighted_smd_view(cohort.fingerprint, spec)
    if not isinstance(smd, dict):
        return [dbc.Alert(refusal_text(smd, lang), color="warning"), table_one_table(view.table, lang=lang)], flow
    return table_one_table(view.table, smd, WEIGHTED_SMD_NOTE, lang), flow


def reproduction(group: str, search: str | None) -> Reproduction:
    """The zip of Table 1 (built in memory from the session's cohort; see app.reproduce)."""
    spec, _ = urlstate.filters_of(search)
    cohort = datasets.active_cohort()
    grouping = group if group in GROUPINGS else DEFAULT_GROUP
    source = reproduce.source_of(cohort.fingerprint, cohort.synthetic, spec)
    return reproduce.cohort(filtered(cohort.fingerprint, spec).frame, source, grouping)


register_download("cohort", [State(Ids.COHORT_GROUP, "value")], reproduction)
