"""Sequences page: first line → response → progression → post-progression therapy → status, and time to therapy."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from analysis.reproduce.bundle import Reproduction
from app import datasets, i18n, reproduce, urlstate
from app.components.reproduce import reproduce_menu
from app.components.sequences import sankey_figure, time_to_therapy_figure
from app.components.tables import fmt_num
from app.i18n import N_, t
from app.ids import Ids
from app.reproduce_jobs import register_download
from app.views import filtered, sequences_view

dash.register_page(
    __name__, path="/sequences", name=N_("Sequences"), title="Treatment sequences · Post-Progression Explorer", order=4
)


def layout(**_: Any) -> html.Div:
    return html.Div(
        [
            html.H2(N_("Treatment sequences"), className="h4"),
            html.P(
                N_(
                    "Each flow shows its number of patients. Click a flow to apply it as the global filter "
                    "(status at last contact is an outcome, so it is never used as a filter)."
                ),
                className="small text-muted",
            ),
            dcc.Loading(
                [
                    dcc.Graph(id=Ids.SEQ_SANKEY, config={"displaylogo": False}),
                    html.Div(id=Ids.SEQ_SUMMARY, className="small mb-2"),
                    dcc.Graph(id=Ids.SEQ_TTT, config={"displaylogo": False}),
                ],
                delay_show=150,
            ),
            reproduce_menu("sequences"),
        ]
    )


@callback(
    Output(Ids.SEQ_SANKEY, "figure"),
    Output(Ids.SEQ_TTT, "figure"),
    Output(Ids.SEQ_SUMMARY, "children"),
    Input(Ids.URL, "search"),
)
def render(search: str | None) -> tuple[Any, Any, Any]:
    spec, _ = urlstate.filters_of(search)
    cohort = datasets.active_cohort()
    view = sequences_view(cohort.fingerprint, spec)
    if view.flows is None or view.time_to_therapy is None:
        return {}, {}, dbc.Alert(view.message, color="secondary")
    ttt = view.time_to_therapy
    share = ttt.share_treated
    lang = i18n.request_lang()
    numbers = {"n": ttt.n_treated, "total": ttt.n_progressed, "share": "" if share is None else f"{100 * share:.0f}"}
    if ttt.median_months_treated is None:
        summary = t(
            lang, "{n} of {total} patients who progressed received post-progression therapy ({share}%).", **numbers
        )
    else:
        summary = t(
            lang,
            "{n} of {total} patients who progressed received post-progression therapy ({share}%); median {median} "
            "months from progression to its start.",
            median=fmt_num(ttt.median_months_treated),
            **numbers,
        )
    return sankey_figure(view.flows, lang), time_to_therapy_figure(ttt), summary


@callback(
    Output(Ids.URL, "search", allow_duplicate=True),
    Input(Ids.SEQ_SANKEY, "clickData"),
    State(Ids.URL, "search"),
    prevent_initial_call=True,
)
def apply_flow(click: dict[str, Any] | None, search: str | None) -> str:
    """A click on a flow narrows the global filter to that flow's patients."""
    points = (click or {}).get("points") or []
    query = points[0].get("customdata") if points else None
    if not isinstance(query, str) or not query:
        raise PreventUpdate
    current, _ = urlstate.filters_of(search)
    spec = urlstate.narrow_filters(current, query)
    new_search = urlstate.with_filters(search, spec)
    if new_search == (search or ""):
        raise PreventUpdate
    return new_search


def reproduction(search: str | None) -> Reproduction:
    """The zip of the time to therapy (built in memory from the session's cohort; see app.reproduce)."""
    spec, _ = urlstate.filters_of(search)
    cohort = datasets.active_cohort()
    source = reproduce.source_of(cohort.fingerprint, cohort.synthetic, spec)
    return reproduce.sequences(filtered(cohort.fingerprint, spec).frame, source)


register_download("sequences", [], reproduction)
