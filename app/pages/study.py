"""Reproduce the study: the KLC study's analyses in its own order, with bias-corrected counterparts."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from analysis.reproduce.bundle import Reproduction
from app import datasets, i18n, reproduce, urlstate
from app.components.emulation import panel as emulation_panel
from app.components.reproduce import reproduce_menu
from app.components.study_cards import CITATION, study_cards
from app.i18n import N_
from app.ids import Ids
from app.pages import emulation_panel as _emulation_callbacks  # noqa: F401  (registers the panel's callbacks)
from app.reproduce_jobs import register_download
from app.views import filtered, study_view

dash.register_page(
    __name__,
    path="/study",
    name=N_("Reproduce the study"),
    title="Reproduce the study · Post-Progression Explorer",
    order=4,
)


def layout(**_: Any) -> html.Div:
    return html.Div(
        [
            html.H2(N_("Reproduce the study"), className="h4"),
            html.P(
                [
                    N_("The analyses of "),
                    html.Em(CITATION),
                    N_(
                        " in the paper's order, recomputed on the data in use with the global filters applied. "
                        "Published values are quoted beside ours; where the study's comparison is exposed to "
                        "immortal-time bias, the corrected analysis is shown with it."
                    ),
                ],
                className="small",
            ),
            reproduce_menu("study"),
            dcc.Loading(html.Div(id=Ids.STUDY_CARDS), delay_show=150),
            html.H3(N_("Analyses 4 and 5 as an emulated trial"), className="h5 mt-4"),
            html.P(
                N_(
                    "Post-progression therapy (analysis 4) and an ICI (analysis 5: filter first line = lenvatinib) "
                    "compared as a target trial from progression, adjusted for fitness at progression."
                ),
                className="small",
            ),
            emulation_panel(i18n.request_lang()),
        ]
    )


@callback(Output(Ids.STUDY_CARDS, "children"), Input(Ids.URL, "search"))
def render(search: str | None) -> Any:
    spec, _ = urlstate.filters_of(search)
    cohort = datasets.active_cohort()
    view = study_view(cohort.fingerprint, spec)
    if view.n == 0:
        return dbc.Alert(N_("No patients match these filters."), color="secondary")
    return study_cards(view, i18n.request_lang())


def reproduction(search: str | None) -> Reproduction:
    """The zip of every card's analysis (built in memory from the session's cohort; see app.reproduce)."""
    spec, _ = urlstate.filters_of(search)
    cohort = datasets.active_cohort()
    lenvatinib = replace(spec, first_line=("lenvatinib",))  # card 5's curves, as study_view
    return reproduce.study(
        filtered(cohort.fingerprint, spec).frame,
        filtered(cohort.fingerprint, lenvatinib).frame,
        reproduce.source_of(cohort.fingerprint, cohort.synthetic, spec),
        reproduce.source_of(cohort.fingerprint, cohort.synthetic, lenvatinib),
    )


register_download("study", [], reproduction)
