"""Cox page tables and notes, built from a CoxView."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from analysis.caveats import Caveat
from analysis.cox import CoxTerm
from analysis.sparse import MIN_EVENTS, MIN_PATIENTS, SparseLevel
from app.components.tables import estimable, fmt_hr, fmt_num, fmt_p, fmt_p_eq, simple_table
from app.i18n import N_
from app.views import COX_CANDIDATES, CoxView, term_label

PH_ALPHA = 0.05


def _hr(term: CoxTerm) -> str:
    return fmt_hr(term.hr, term.ci)


def _wald_p(term: CoxTerm) -> str:
    """The Wald p, or '–' when the HR is not estimable (its Wald p means nothing; the LR / score test does)."""
    return fmt_p(term.p) if estimable(term.hr, term.ci) else "–"


def _sparse_of(view: CoxView, term: CoxTerm) -> SparseLevel | None:
    for level in view.sparse:
        if level.covariate == term.covariate and term.level is not None and level.level in (term.level, term.reference):
            return level
    return None


def _sparse_text(level: SparseLevel) -> str:
    return f"sparse level: {level.describe(COX_CANDIDATES.get(level.covariate))}; the HR is unstable"


def model_rows(view: CoxView) -> list[list[str]]:
    if view.model is None:
        return []
    rows = []
    for t in view.model.terms:
        sparse = _sparse_of(view, t)
        label = term_label(t) + (f" ({_sparse_text(sparse)})" if sparse else "")
        rows.append([label, _hr(t), _wald_p(t)])
    return rows


def model_block(view: CoxView) -> Any:
    if view.model is None:
        return dbc.Alert(view.model_note or N_("No model."), color="secondary", className="small")
    m = view.model
    caption = (
        f"n = {m.n}, events = {m.events}, excluded for missing values = {m.n_excluded}. "
        f"Likelihood-ratio test: chi-square {fmt_num(m.lr_test.statistic, 2)} on {m.lr_test.df} df, "
        f"{fmt_p_eq(m.lr_test.p)}; score (log-rank) test {fmt_p_eq(m.score_test.p)}. "
        f"Concordance {fmt_num(m.concordance, 3)}. Efron ties; Wald 95% CIs."
    )
    if any(not estimable(t.hr, t.ci) for t in m.terms):
        caption += N_(" A not-estimable HR has no Wald p: read the likelihood-ratio and score tests.")
    return simple_table([N_("Term"), N_("HR (95% CI)"), "p"], model_rows(view), id_="cox-model-table", caption=caption)


def screen_rows(view: CoxView) -> list[list[str]]:
    rows: list[list[str]] = []
    for row in view.screen:
        if row.result is None:
            rows.append([COX_CANDIDATES.get(row.covariate, row.covariate), "–", "–", "–", row.note or ""])
            continue
        result = row.result
        for term in result.terms:
            notes = [row.note] if row.note else []
            sparse = _sparse_of(view, term)
            if sparse is not None:
                notes.append(_sparse_text(sparse))
            if not estimable(term.hr, term.ci):
                notes.append(f"no Wald p; score (log-rank) test {fmt_p_eq(result.score_test.p)}")
            rows.append([term_label(term), _hr(term), _wald_p(term), str(result.events), "; ".join(notes)])
    return rows


def screen_table(view: CoxView) -> Any:
    if view.screen_note:
        return dbc.Alert(view.screen_note, color="secondary", className="small")
    return simple_table(
        [N_("Covariate"), N_("HR (95% CI)"), "p", N_("Events"), N_("Note")],
        screen_rows(view),
        id_="cox-screen-table",
        caption="One Cox model per covariate (univariate), on patients with a value for it. A level with fewer "
        f"than {MIN_PATIENTS} patients or {MIN_EVENTS} events is flagged as sparse; 'Merge sparse levels' merges "
        "it into the adjacent level.",
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
        [N_("Term"), N_("Chi-square"), "df", "p"],
        rows,
        id_="cox-ph-table",
        caption="Proportional-hazards check: R's cox.zph with the Kaplan–Meier time transform.",
    )
    if failing or view.zph.global_test.p < PH_ALPHA:
        flag = dbc.Alert(
            N_("The hazard ratio may change over time for: ")
            + (", ".join(failing) if failing else N_("the model as a whole"))
            + f" (cox.zph p < {PH_ALPHA}). One HR then averages a changing effect; read the survival curves, "
            "landmark rates or RMST as well.",
            color="warning",
            className="small py-2",
        )
    else:
        flag = dbc.Alert(
            N_("No evidence against proportional hazards (all cox.zph p ≥ 0.05)."),
            color="light",
            className="small py-2",
        )
    return html.Div([flag, table])


def caveat_block(view: CoxView) -> Any:
    """The immortal-time caveat for covariates defined after time zero, with the time-varying model beside."""
    if not view.caveats:
        return None

    def name(c: Caveat) -> str:
        return COX_CANDIDATES.get(c.variable, c.variable)

    parts: list[Any] = [
        html.Strong(N_("Immortal-time bias. ")),
        N_(
            "These covariates are known only after this endpoint's time zero; as baseline covariates they credit the "
            "waiting time to the patients who have them, which flatters them:"
        ),
        html.Ul([html.Li(f"{name(c)}: known only when {c.known_at}.") for c in view.caveats], className="mb-1"),
    ]
    corrected = [name(c) for c in view.caveats if c.exposure is not None and c.endpoint == "os"]
    undated = [name(c) for c in view.caveats if c.exposure is None]
    if corrected:
        parts.append(
            html.Div(
                f"Corrected counterpart below: the same model with {', '.join(corrected)} switched on at the "
                "start date of the therapy (time-varying Cox; landmark and Simon–Makuch analyses on the "
                "Survival page)."
            )
        )
    if undated:
        parts.append(
            html.Div(
                f"{', '.join(undated)}: no date in the data, so no time-varying counterpart can be built; the "
                "usual correction is a landmark analysis at the time it becomes known."
            )
        )
    blocks: list[Any] = [dbc.Alert(parts, color="danger", className="small py-2", id="cox-immortal-time-warning")]
    if view.time_varying is not None:
        rows = [[term_label(t), _hr(t), _wald_p(t)] for t in view.time_varying.terms]
        blocks.append(
            simple_table(
                [N_("Term (time-varying model)"), N_("HR (95% CI)"), "p"],
                rows,
                id_="cox-time-varying-table",
                caption=f"Corrected counterpart: the same model with post-progression therapy and ICI switched on "
                f"at their start date (counting-process data, n = {view.time_varying.n} (start, stop] rows, "
                f"{view.time_varying.events} events).",
            )
        )
    elif view.time_varying_note:
        blocks.append(html.Small(view.time_varying_note, className="text-muted d-block mb-2"))
    return html.Div(blocks)


def sparse_block(view: CoxView) -> Any:
    lines = [html.Div(m.describe(COX_CANDIDATES.get(m.covariate))) for m in view.merges]
    in_model = [s for s in view.sparse if s.covariate in view.covariates]
    lines += [html.Div(_sparse_text(s)) for s in in_model]
    if not lines:
        return None
    color = "warning" if in_model else "info"
    return dbc.Alert(lines, color=color, className="small py-2", id="cox-sparse-levels")


def warnings_block(view: CoxView) -> Any:
    blocks = [caveat_block(view), sparse_block(view)]
    if view.model is not None and view.model.warnings:
        blocks.append(dbc.Alert([html.Div(w) for w in view.model.warnings], color="warning", className="small py-2"))
    shown = [b for b in blocks if b is not None]
    return html.Div(shown) if shown else None
