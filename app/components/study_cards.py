"""The "Reproduce the study" page's cards: published value beside the value on the data in use."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from analysis.cox import CoxResult
from app.components.km_figure import KMFigureOptions, km_figure, small_figure
from app.components.palette import level_label
from app.components.tables import estimable, fmt_hr, fmt_num, fmt_p, fmt_p_eq, fmt_pct_ci, simple_table
from app.i18n import N_
from app.views import COX_CANDIDATES, StudyView, SurvivalView, term_label

PUBLISHED = {
    "response": N_("ORR 15% vs 30%; DCR 50% vs 75% (sorafenib vs lenvatinib); P < 0.001."),
    "pfs_os": N_("PFS and OS did not differ significantly by first-line drug (Kaplan–Meier, log-rank)."),
    "cox": N_(
        "FIB-4, disease control, post-progression therapy and ICI use were significantly associated with OS "
        "(multivariable Cox; HRs not published)."
    ),
    "pp": N_("Patients who received post-progression therapy had longer OS (log-rank P < 0.001)."),
    "lenvatinib": N_(
        "Among lenvatinib patients, OS was longer with an ICI than with other therapy or none (P = 0.004)."
    ),
}
CITATION = N_("Yano et al., Kobe Liver Conference, JGH Open 2022;6(6):427–433.")


def _card(number: int, title: str, published: str, ours: list[Any], corrected: Any = None) -> dbc.Card:
    body: list[Any] = [
        html.H3(f"{number}. {title}", className="h6"),
        html.Div([html.Strong(N_("Published: ")), published], className="small mb-1 text-muted"),
        html.Div([html.Strong(N_("This dataset: ")), *ours], className="small mb-1"),
    ]
    if corrected is not None:
        body.append(html.Div([html.Strong(N_("Bias-corrected: ")), corrected], className="small mb-1"))
    return dbc.Card(dbc.CardBody(body), className="mb-3", id=f"study-{number}")


def _test_text(view: SurvivalView) -> str:
    if view.test is None:
        return view.test_note or view.message or N_("no test")
    return f"log-rank chi-square {fmt_num(view.test.statistic, 2)} on {view.test.df} df, {fmt_p_eq(view.test.p, 'P')}"


def _medians(view: SurvivalView) -> str:
    if view.km is None:
        return ""
    parts = [f"{level_label(view.grouping, g.group)} {fmt_num(g.median)} mo (n = {g.n})" for g in view.km.groups]
    return "median " + "; ".join(parts) + ". "


def _km(view: SurvivalView, title: str, figure_id: str) -> Any:
    if view.km is None:
        return None
    options = KMFigureOptions(annotation=None if view.test is None else f"{fmt_p_eq(view.test.p, 'P')}")
    return small_figure(title, figure_id, km_figure(view.km, view.grouping, view.ticks, options))


def _cox_rows(result: CoxResult) -> list[list[str]]:
    return [[term_label(t), fmt_hr(t.hr, t.ci), fmt_p(t.p) if estimable(t.hr, t.ci) else "–"] for t in result.terms]


def _hr_of(result: CoxResult | None, covariate: str) -> str:
    if result is None:
        return "–"
    for t in result.terms:
        if t.covariate == covariate:
            if not estimable(t.hr, t.ci):  # no Wald p beside "not estimable"
                return f"HR {fmt_hr(t.hr, t.ci)}; score test {fmt_p_eq(result.score_test.p, 'P')}"
            return f"HR {fmt_hr(t.hr, t.ci)}, {fmt_p_eq(t.p, 'P')}"
    return "–"


def study_cards(view: StudyView) -> list[Any]:
    cards: list[Any] = []
    # 1. response
    result = view.response.result
    if result is not None:
        parts = [
            f"{g.group}: ORR {fmt_pct_ci(g.orr.estimate, *g.orr.ci)}, DCR {fmt_pct_ci(g.dcr.estimate, *g.dcr.ci)}"
            for g in result.groups
        ]
        tests = [
            f"{name} {t.name} {fmt_p_eq(t.p, 'P')}"
            for name, t in ((N_("ORR"), result.orr_test), (N_("DCR"), result.dcr_test))
            if t is not None
        ]
        ours: list[Any] = ["; ".join(parts) + ". " + "; ".join(tests) + "."]
    else:
        ours = [view.response.message or N_("not available")]
    cards.append(_card(1, N_("Response by first-line drug"), PUBLISHED["response"], ours))
    # 2. PFS and OS by drug
    cards.append(
        _card(
            2,
            N_("PFS and OS by first-line drug"),
            PUBLISHED["pfs_os"],
            [
                f"PFS: {_medians(view.pfs_by_drug)}{_test_text(view.pfs_by_drug)}. ",
                f"OS: {_medians(view.os_by_drug)}{_test_text(view.os_by_drug)}.",
                dbc.Row(
                    [
                        dbc.Col(_km(view.pfs_by_drug, N_("PFS by first-line drug"), "study-pfs-figure"), lg=6),
                        dbc.Col(_km(view.os_by_drug, N_("OS by first-line drug"), "study-os-figure"), lg=6),
                    ]
                ),
            ],
        )
    )
    # 3. multivariable Cox
    if view.cox is not None:
        table = simple_table([N_("Term"), N_("HR (95% CI)"), "P"], _cox_rows(view.cox), id_="study-cox-table")
        corrected = [
            "therapy and ICI as time-varying covariates (switched on at their start date), adjusted for FIB-4 and "
            f"disease control: post-progression therapy {_hr_of(view.cox_time_varying, 'pp_received')}; "
            f"ICI {_hr_of(view.cox_time_varying, 'pp_ici')}."
        ]
        ours = [f"n = {view.cox.n}, {view.cox.events} deaths. ", table]
    else:
        ours, corrected = [N_("the model could not be fitted. ") + " ".join(view.notes)], []
    labels = ", ".join(COX_CANDIDATES[c] for c in ("fib4", "disease_control", "pp_received", "pp_ici"))
    cards.append(_card(3, f"Multivariable Cox model for OS ({labels})", PUBLISHED["cox"], ours, corrected or None))
    # 4. OS by post-progression therapy
    guard = view.pp_guard
    corrected_pp = None
    if guard is not None and guard.comparison is not None:
        corrected_pp = guard.comparison.summary()
        lm = guard.comparison.landmark
        if lm is not None and lm.hr is not None:
            corrected_pp += f" Landmark at {guard.landmark:g} months: HR {fmt_hr(lm.hr.hr, lm.hr.ci)}."
    cards.append(
        _card(
            4,
            N_("OS by post-progression therapy"),
            PUBLISHED["pp"],
            [
                f"{_medians(view.os_by_pp)}{_test_text(view.os_by_pp)}.",
                _km(view.os_by_pp, N_("OS by post-progression therapy (naive)"), "study-pp-figure"),
            ],
            corrected_pp,
        )
    )
    # 5. lenvatinib: ICI vs other vs none
    cards.append(
        _card(
            5,
            N_("OS among lenvatinib patients: ICI, other therapy or none"),
            PUBLISHED["lenvatinib"],
            [
                f"{_medians(view.lenvatinib_by_pp)}{_test_text(view.lenvatinib_by_pp)}.",
                _km(view.lenvatinib_by_pp, N_("Lenvatinib: OS by post-progression therapy"), "study-lenvatinib-figure"),
            ],
            f"time-varying Cox among lenvatinib patients: ICI {_hr_of(view.lenvatinib_ici_time_varying, 'pp_ici')} "
            f"(on top of any therapy: {_hr_of(view.lenvatinib_ici_time_varying, 'pp_received')}).",
        )
    )
    return cards
