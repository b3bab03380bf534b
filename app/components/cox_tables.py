"""Cox page tables and notes, built from a CoxView."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from analysis.cox import CoxTerm
from app.components.tables import fmt_hr, fmt_num, fmt_p, simple_table
from app.views import COX_CANDIDATES, CoxView, term_label

PH_ALPHA = 0.05


def _hr(term: CoxTerm) -> str:
    return fmt_hr(term.hr, term.ci)


def model_rows(view: CoxView) -> list[list[str]]:
    if view.model is None:
        return []
    return [[term_label(t), _hr(t), fmt_p(t.p)] for t in view.model.terms]


def model_block(view: CoxView) -> Any:
    if view.model is None:
        return dbc.Alert(view.model_note or "No model.", color="secondary", className="small")
    m = view.model
    caption = (
        f"n = {m.n}, events = {m.events}, excluded for missing values = {m.n_excluded}. "
        f"Likelihood-ratio test: chi-square {fmt_num(m.lr_test.statistic, 2)} on {m.lr_test.df} df, "
        f"p {fmt_p(m.lr_test.p)}. Concordance {fmt_num(m.concordance, 3)}. Efron ties; Wald 95% CIs."
    )
    return simple_table(["Term", "HR (95% CI)", "p"], model_rows(view), id_="cox-model-table", caption=caption)


def screen_rows(view: CoxView) -> list[list[str]]:
    rows: list[list[str]] = []
    for row in view.screen:
        if row.result is None:
            rows.append([COX_CANDIDATES.get(row.covariate, row.covariate), "–", "–", "–", row.note or ""])
            continue
        for term in row.result.terms:
            rows.append([term_label(term), _hr(term), fmt_p(term.p), str(row.result.events), row.note or ""])
    return rows


def screen_table(view: CoxView) -> html.Div:
    return simple_table(
        ["Covariate", "HR (95% CI)", "p", "Events", "Note"],
        screen_rows(view),
        id_="cox-screen-table",
        caption="One Cox model per covariate (univariate), on patients with a value for it.",
    )


def ph_block(view: CoxView) -> Any:
    if view.zph is None:
        return html.Small(view.zph_note, className="text-muted") if view.zph_note else None
    failing = [COX_CANDIDATES.get(t.term, t.term) for t in view.zph.terms if t.p < PH_ALPHA]
    rows = [
        [COX_CANDIDATES.get(t.term, t.term), fmt_num(t.chisq, 2), str(t.df), fmt_p(t.p)]
        for t in (*view.zph.terms, view.zph.global_test)
    ]
    table = simple_table(
        ["Term", "Chi-square", "df", "p"],
        rows,
        id_="cox-ph-table",
        caption="Proportional-hazards check: R's cox.zph with the Kaplan–Meier time transform.",
    )
    if failing or view.zph.global_test.p < PH_ALPHA:
        flag = dbc.Alert(
            "The hazard ratio may change over time for: "
            + (", ".join(failing) if failing else "the model as a whole")
            + f" (cox.zph p < {PH_ALPHA}). One HR then averages a changing effect; read the survival curves, "
            "landmark rates or RMST as well.",
            color="warning",
            className="small py-2",
        )
    else:
        flag = dbc.Alert(
            "No evidence against proportional hazards (all cox.zph p ≥ 0.05).", color="light", className="small py-2"
        )
    return html.Div([flag, table])


def warnings_block(view: CoxView) -> Any:
    if view.model is None or not view.model.warnings:
        return None
    return dbc.Alert([html.Div(w) for w in view.model.warnings], color="warning", className="small py-2")
