"""Cox page tables and notes, built from a CoxView."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from analysis.caveats import Caveat
from analysis.cox import CoxTerm
from analysis.sparse import MIN_EVENTS, MIN_PATIENTS, Merge, SparseLevel
from app.components.palette import level_name
from app.components.tables import estimable, fmt_hr, fmt_num, fmt_p, fmt_p_eq, simple_table
from app.i18n import N_, Lang, join_clauses, join_list, join_sentences, t, tn, tr
from app.i18n.caveats import known_when
from app.i18n.cox import screen_note
from app.i18n.cox import warnings as model_warnings
from app.i18n.cox import word as cox_word
from app.views import COX_CANDIDATES, CoxView, term_label

PH_ALPHA = 0.05
GLOBAL_TERM = N_("GLOBAL")
"""The name R's cox.zph gives its global test (a row of the check's table)."""


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


def covariate_name(covariate: str, lang: Lang = "en") -> str:
    """A covariate's label in ``lang`` ('fib4' -> 'FIB-4 index')."""
    return tr(lang, COX_CANDIDATES.get(covariate, covariate))


def _counts(lang: Lang, n: int, events: int) -> str:
    return join_list(lang, (tn(lang, "{n} patient", "{n} patients", n), tn(lang, "{n} event", "{n} events", events)))


def sparse_level_text(level: SparseLevel, lang: Lang = "en") -> str:
    """'ALBI grade 3: 1 patient, 1 event' in ``lang``."""
    return t(
        lang,
        "{covariate} {level}: {counts}",
        covariate=covariate_name(level.covariate, lang),
        level=level_name(level.covariate, level.level, lang),
        counts=_counts(lang, level.n, level.events),
    )


def merge_text(merge: Merge, lang: Lang = "en") -> str:
    """A sparse level merged into its neighbour, in ``lang``."""
    return t(
        lang,
        "{covariate}: {level} ({counts}) merged into {into} (now {merged})",
        covariate=covariate_name(merge.covariate, lang),
        level=merge.level,
        counts=_counts(lang, merge.n, merge.events),
        into=merge.into,
        merged=merge.merged,
    )


def _sparse_text(level: SparseLevel, lang: Lang = "en") -> str:
    return t(lang, "sparse level: {level}; the HR is unstable", level=sparse_level_text(level, lang))


def _no_wald(lang: Lang, p: float) -> str:
    return t(lang, "no Wald p; score (log-rank) test {p}", p=fmt_p_eq(p))


def model_rows(view: CoxView, lang: Lang = "en") -> list[list[str]]:
    if view.model is None:
        return []
    rows = []
    for term in view.model.terms:
        sparse = _sparse_of(view, term)
        label = term_label(term, lang)
        if sparse:
            label = t(lang, "{term} ({note})", term=label, note=_sparse_text(sparse, lang))
        rows.append([label, _hr(term), _wald_p(term)])
    return rows


def model_block(view: CoxView, lang: Lang = "en") -> Any:
    if view.model is None:
        note = cox_word(lang, view.model_wording) if view.model_wording is not None else view.model_note
        return dbc.Alert(note or N_("No model."), color="secondary", className="small")
    m = view.model
    caption = t(
        lang,
        "n = {n}, events = {events}, excluded for missing values = {excluded}. Likelihood-ratio test: chi-square "
        "{chi2} on {df} df, {p}; score (log-rank) test {score_p}. Concordance {concordance}. Efron ties; Wald 95% CIs.",
        n=m.n,
        events=m.events,
        excluded=m.n_excluded,
        chi2=fmt_num(m.lr_test.statistic, 2),
        df=m.lr_test.df,
        p=fmt_p_eq(m.lr_test.p),
        score_p=fmt_p_eq(m.score_test.p),
        concordance=fmt_num(m.concordance, 3),
    )
    if any(not estimable(term.hr, term.ci) for term in m.terms):
        note = t(lang, "A not-estimable HR has no Wald p: read the likelihood-ratio and score tests.")
        caption = join_sentences(lang, [caption, note])
    return simple_table(
        [N_("Term"), N_("HR (95% CI)"), "p"], model_rows(view, lang), id_="cox-model-table", caption=caption
    )


def screen_rows(view: CoxView, lang: Lang = "en") -> list[list[str]]:
    rows: list[list[str]] = []
    for row in view.screen:
        if row.result is None:
            rows.append([covariate_name(row.covariate, lang), "–", "–", "–", screen_note(row, lang)])
            continue
        result = row.result
        for term in result.terms:
            notes = [screen_note(row, lang)] if row.note else []
            sparse = _sparse_of(view, term)
            if sparse is not None:
                notes.append(_sparse_text(sparse, lang))
            if not estimable(term.hr, term.ci):
                notes.append(_no_wald(lang, result.score_test.p))
            note = join_clauses(lang, notes)
            rows.append([term_label(term, lang), _hr(term), _wald_p(term), str(result.events), note])
    return rows


def screen_table(view: CoxView, lang: Lang = "en") -> Any:
    if view.screen_note:
        return dbc.Alert(cox_word(lang, view.screen_note), color="secondary", className="small")
    return simple_table(
        [N_("Covariate"), N_("HR (95% CI)"), "p", N_("Events"), N_("Note")],
        screen_rows(view, lang),
        id_="cox-screen-table",
        caption=t(
            lang,
            "One Cox model per covariate (univariate), on patients with a value for it. A level with fewer than "
            "{patients} patients or {events} events is flagged as sparse; 'Merge sparse levels' merges it into the "
            "adjacent level.",
            patients=MIN_PATIENTS,
            events=MIN_EVENTS,
        ),
    )


def ph_block(view: CoxView, lang: Lang = "en") -> Any:
    if view.zph is None:
        return html.Small(cox_word(lang, view.zph_note), className="text-muted") if view.zph_note else None
    failing = [covariate_name(term.term, lang) for term in view.zph.terms if term.p < PH_ALPHA]
    rows = [
        [covariate_name(term.term, lang), fmt_num(term.chisq, 2), str(term.df), fmt_p(term.p)]
        for term in (*view.zph.terms, view.zph.global_test)
    ]
    table = simple_table(
        [N_("Term"), N_("Chi-square"), N_("df"), "p"],
        rows,
        id_="cox-ph-table",
        caption=N_("Proportional-hazards check: R's cox.zph with the Kaplan–Meier time transform."),
    )
    if failing or view.zph.global_test.p < PH_ALPHA:
        flag = dbc.Alert(
            t(
                lang,
                "The hazard ratio may change over time for: {terms} (cox.zph p < {alpha}). One HR then averages a "
                "changing effect; read the survival curves, landmark rates or RMST as well.",
                terms=join_list(lang, failing) if failing else t(lang, "the model as a whole"),
                alpha=PH_ALPHA,
            ),
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


def caveat_block(view: CoxView, lang: Lang = "en") -> Any:
    """The immortal-time caveat for covariates defined after time zero, with the time-varying model beside."""
    if not view.caveats:
        return None

    def name(c: Caveat) -> str:
        return covariate_name(c.variable, lang)

    parts: list[Any] = [
        html.Strong(t(lang, "Immortal-time bias. ")),
        t(
            lang,
            "These covariates are known only after this endpoint's time zero; as baseline covariates they credit the "
            "waiting time to the patients who have them, which flatters them:",
        ),
        html.Ul([html.Li(known_when(c, lang, name(c))) for c in view.caveats], className="mb-1"),
    ]
    corrected = [name(c) for c in view.caveats if c.kind == "time_varying"]
    undated = [name(c) for c in view.caveats if c.kind == "undated"]
    if corrected:
        parts.append(
            html.Div(
                t(
                    lang,
                    "Corrected counterpart below: the same model with {names} switched on at the start date of the "
                    "therapy (time-varying Cox; landmark and Simon–Makuch analyses on the Survival page).",
                    names=join_list(lang, corrected),
                )
            )
        )
    if undated:
        parts.append(
            html.Div(
                t(
                    lang,
                    "{names}: no date in the data, so no time-varying counterpart can be built; the usual correction "
                    "is a landmark analysis at the time it becomes known.",
                    names=join_list(lang, undated),
                )
            )
        )
    blocks: list[Any] = [dbc.Alert(parts, color="danger", className="small py-2", id="cox-immortal-time-warning")]
    if view.time_varying is not None:
        rows = [[term_label(term, lang), _hr(term), _wald_p(term)] for term in view.time_varying.terms]
        blocks.append(
            simple_table(
                [N_("Term (time-varying model)"), N_("HR (95% CI)"), "p"],
                rows,
                id_="cox-time-varying-table",
                caption=t(
                    lang,
                    "Corrected counterpart: the same model with post-progression therapy and ICI switched on at "
                    "their start date (counting-process data, n = {rows} (start, stop] rows, {events} events).",
                    rows=view.time_varying.n,
                    events=view.time_varying.events,
                ),
            )
        )
    elif view.time_varying_note:
        blocks.append(html.Small(view.time_varying_note, className="text-muted d-block mb-2"))
    return html.Div(blocks)


def sparse_block(view: CoxView, lang: Lang = "en") -> Any:
    lines = [html.Div(merge_text(m, lang)) for m in view.merges]
    in_model = [s for s in view.sparse if s.covariate in view.covariates]
    lines += [html.Div(_sparse_text(s, lang)) for s in in_model]
    if not lines:
        return None
    color = "warning" if in_model else "info"
    return dbc.Alert(lines, color=color, className="small py-2", id="cox-sparse-levels")


def warnings_block(view: CoxView, lang: Lang = "en") -> Any:
    blocks = [caveat_block(view, lang), sparse_block(view, lang)]
    if view.model is not None and view.model.warnings:
        blocks.append(
            dbc.Alert(
                [html.Div(w) for w in model_warnings(lang, view.model.warnings, view.model.wording)],
                color="warning",
                className="small py-2",
            )
        )
    shown = [b for b in blocks if b is not None]
    return html.Div(shown) if shown else None
