"""The immortal-time guard on the Survival page: naive vs corrected analyses side by side."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from analysis.compare import TestResult
from analysis.cox import CoxResult
from analysis.postprog import EXPOSURES
from app.components.command import command_block
from app.components.km_figure import KMFigureOptions, km_figure, small_figure
from app.components.tables import estimable, fmt_hr, fmt_p, fmt_p_eq, simple_table
from app.i18n import N_, Lang, t, tr
from app.i18n import cox as cox_i18n
from app.views import GuardView

EXPOSURE_NAMES: tuple[str, ...] = (N_("post-progression therapy"), N_("ICI after progression"))
""":data:`analysis.postprog.EXPOSURES`, marked for extraction."""


def summary_text(comparison: Any, exposure: str, lang: Lang = "en") -> str:
    """:meth:`ImmortalTimeComparison.summary` in ``lang`` (naive vs time-dependent HR, one sentence)."""
    if lang == "en":
        return str(comparison.summary())
    name = tr(lang, EXPOSURES[exposure])
    if comparison.naive_cox is None or comparison.time_varying is None:
        return t(lang, "The naive and time-dependent hazard ratios for {name} could not both be estimated.", name=name)
    naive, honest = comparison.naive_cox.terms[0], comparison.time_varying.terms[0]
    numbers = {"name": name, "naive": fmt_hr(naive.hr, naive.ci), "honest": fmt_hr(honest.hr, honest.ci)}
    if honest.hr > naive.hr:
        return t(
            lang,
            "Naive HR for {name} (OS from first-line start): {naive}; time-dependent HR: {honest} — the apparent "
            "benefit shrinks once waiting time is no longer credited to the treated group.",
            **numbers,
        )
    return t(
        lang,
        "Naive HR for {name} (OS from first-line start): {naive}; time-dependent HR: {honest} — the time-dependent "
        "estimate is no smaller than the naive one.",
        **numbers,
    )


def _hr(result: CoxResult | None, test: TestResult | None = None, lang: Lang = "en") -> tuple[str, str]:
    """HR (95% CI) and its Wald p; a not-estimable HR shows the log-rank (score) test instead, named."""
    if result is None:
        return "–", "–"
    term = result.terms[0]
    if estimable(term.hr, term.ci):
        return fmt_hr(term.hr, term.ci), fmt_p(term.p)
    p = test.p if test is not None else result.score_test.p
    return fmt_hr(term.hr, term.ci), t(lang, "log-rank {p}", p=fmt_p_eq(p))


def guard_rows(view: GuardView, lang: Lang = "en") -> list[list[str]]:
    c = view.comparison
    if c is None:
        return []
    lm = c.landmark
    sm = c.simon_makuch
    rows = [
        [N_("Naive (study-style): OS from first-line start by therapy ever received"), *_hr(c.naive_cox), N_("biased")],
        [N_("Cox model, therapy as a time-varying covariate"), *_hr(c.time_varying), N_("corrected")],
    ]
    if lm is not None:
        hr, p = _hr(lm.cox, lm.test, lang)
        rows.append(
            [
                t(
                    lang,
                    "Landmark at {landmark} months ({n} alive and followed; {excluded} excluded)",
                    landmark=f"{view.landmark:g}",
                    n=lm.n_eligible,
                    excluded=lm.n_excluded,
                ),
                hr,
                p,
                N_("corrected"),
            ]
        )
    if sm is not None:
        rows.append(
            [
                N_("Simon–Makuch curves (Mantel–Byar log-rank)"),
                "–",
                fmt_p(sm.test.p if sm.test else None),
                N_("corrected"),
            ]
        )
    return rows


def guard_block(view: GuardView, command: str | None = None, lang: Lang = "en") -> Any:
    if view.comparison is None:
        return dbc.Alert(view.message, color="secondary", className="small")
    c = view.comparison
    name = tr(lang, EXPOSURES[view.exposure])
    table = simple_table(
        [N_("Analysis"), N_("HR (95% CI)"), "p", ""],
        guard_rows(view, lang),
        id_="guard-table",
        caption=t(
            lang,
            "Hazard ratios for {name} vs none. The time-varying model switches therapy on at its start date.",
            name=name,
        ),
    )
    figures = []
    if c.landmark is not None:
        ticks = tuple(t for t in view.ticks if t <= max(view.ticks[-1] - view.landmark, 0) + 6)
        options = KMFigureOptions(
            x_title=t(lang, "Months after the landmark"),
            annotation=None if c.landmark.test is None else t(lang, "Log-rank {p}", p=fmt_p_eq(c.landmark.test.p)),
            lang=lang,
        )
        figure = km_figure(c.landmark.km, view.exposure, ticks, options)
        title = t(lang, "Landmark at {landmark} months: OS after the landmark", landmark=f"{view.landmark:g}")
        figures.append(dbc.Col(small_figure(title, "landmark-figure", figure), lg=6))
    if c.simon_makuch is not None:
        sm = c.simon_makuch
        options = KMFigureOptions(
            annotation=None if sm.test is None else t(lang, "Mantel–Byar {p}", p=fmt_p_eq(sm.test.p)), lang=lang
        )
        figure = km_figure(sm.km, view.exposure, view.ticks, options)
        title = N_("Simon–Makuch: patients move to the treated curve when therapy starts")
        figures.append(dbc.Col(small_figure(title, "simon-makuch-figure", figure), lg=6))
    notes = [html.Div(n, className="small text-muted") for n in cox_i18n.warnings(lang, c.notes, c.wording)]
    if c.simon_makuch is not None:
        notes.append(
            html.Div(
                N_(
                    "Simon–Makuch risk table: patients under observation at each time (entered the curve before it and "
                    "still followed), so the treated curve starts with 0 at month 0. R's summary(survfit(Surv(start, "
                    "stop, event)), times = t) reports the risk set at the next observed time instead, which counts "
                    "patients who start therapy later."
                ),
                className="small text-muted",
                id="simon-makuch-risk-note",
            )
        )
    return html.Div(
        [
            html.H3(N_("Corrected for immortal time"), className="h6 mt-3"),
            html.P(summary_text(c, view.exposure, lang), className="small fw-semibold", id="guard-summary"),
            table,
            dbc.Row(figures),
            *notes,
            command_block(command, "landmark-command-line", N_("(the landmark row)")) if command else None,
        ]
    )
