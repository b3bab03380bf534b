"""The "Reproduce the study" page's cards: published value beside the value on the data in use."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from analysis.cox import CoxResult
from app.components.guard import summary_text
from app.components.km_figure import KMFigureOptions, km_figure, small_figure
from app.components.palette import level_label
from app.components.survival_tables import test_note
from app.components.tables import estimable, fmt_hr, fmt_num, fmt_p, fmt_p_eq, fmt_pct_ci, simple_table
from app.i18n import N_, Lang, join_list, join_sentences, t, tr
from app.i18n import cox as cox_i18n
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


def _card(
    number: int, title: str, published: str, ours: list[Any], corrected: Any = None, lang: Lang = "en"
) -> dbc.Card:
    body: list[Any] = [
        html.H3(t(lang, "{number}. {title}", number=number, title=tr(lang, title)), className="h6"),
        html.Div([html.Strong(N_("Published: ")), published], className="small mb-1 text-muted"),
        html.Div([html.Strong(N_("This dataset: ")), *ours], className="small mb-1"),
    ]
    if corrected is not None:
        body.append(html.Div([html.Strong(N_("Bias-corrected: ")), corrected], className="small mb-1"))
    return dbc.Card(dbc.CardBody(body), className="mb-3", id=f"study-{number}")


def _test_text(view: SurvivalView, lang: Lang) -> str:
    if view.test is None:
        return test_note(view, lang) or tr(lang, view.message or N_("no test"))
    return t(
        lang,
        "log-rank chi-square {chi2} on {df} df, {p}.",
        chi2=fmt_num(view.test.statistic, 2),
        df=view.test.df,
        p=fmt_p_eq(view.test.p, "P"),
    )


def _medians(view: SurvivalView, lang: Lang) -> str:
    if view.km is None:
        return ""
    parts = [
        t(lang, "{group} {median} mo (n = {n})", group=level_label(view.grouping, g.group, lang),
          median=fmt_num(g.median), n=g.n)
        for g in view.km.groups
    ]  # fmt: skip
    return t(lang, "median {groups}.", groups="; ".join(parts))


def _survival_line(view: SurvivalView, lang: Lang, endpoint: str | None = None) -> str:
    """Medians and the log-rank test of one card's comparison, with the endpoint's name in front when given."""
    line = join_sentences(lang, [_medians(view, lang), _test_text(view, lang)])
    return t(lang, "{endpoint}: {line}", endpoint=endpoint, line=line) if endpoint else line


def _km(view: SurvivalView, title: str, figure_id: str, lang: Lang) -> Any:
    if view.km is None:
        return None
    options = KMFigureOptions(annotation=None if view.test is None else f"{fmt_p_eq(view.test.p, 'P')}", lang=lang)
    return small_figure(tr(lang, title), figure_id, km_figure(view.km, view.grouping, view.ticks, options))


def _cox_rows(result: CoxResult, lang: Lang) -> list[list[str]]:
    return [
        [term_label(term, lang), fmt_hr(term.hr, term.ci), fmt_p(term.p) if estimable(term.hr, term.ci) else "–"]
        for term in result.terms
    ]


def _hr_of(result: CoxResult | None, covariate: str, lang: Lang) -> str:
    if result is None:
        return "–"
    for term in result.terms:
        if term.covariate == covariate:
            if not estimable(term.hr, term.ci):  # no Wald p beside "not estimable"
                return t(
                    lang, "HR {hr}; score test {p}", hr=fmt_hr(term.hr, term.ci), p=fmt_p_eq(result.score_test.p, "P")
                )
            return t(lang, "HR {hr}, {p}", hr=fmt_hr(term.hr, term.ci), p=fmt_p_eq(term.p, "P"))
    return "–"


def study_cards(view: StudyView, lang: Lang = "en") -> list[Any]:
    cards: list[Any] = []
    # 1. response
    result = view.response.result
    if result is not None:
        parts = [
            t(lang, "{group}: ORR {orr}, DCR {dcr}", group=level_label(result.grouping, g.group, lang),
              orr=fmt_pct_ci(g.orr.estimate, *g.orr.ci), dcr=fmt_pct_ci(g.dcr.estimate, *g.dcr.ci))
            for g in result.groups
        ]  # fmt: skip
        tests = [
            t(lang, "{name} {test} {p}", name=name, test=tr(lang, test.name), p=fmt_p_eq(test.p, "P"))
            for name, test in (("ORR", result.orr_test), ("DCR", result.dcr_test))
            if test is not None
        ]
        ours: list[Any] = [t(lang, "{groups}. {tests}.", groups="; ".join(parts), tests="; ".join(tests))]
    else:
        ours = [tr(lang, view.response.message or N_("not available"))]
    cards.append(_card(1, N_("Response by first-line drug"), PUBLISHED["response"], ours, lang=lang))
    # 2. PFS and OS by drug
    cards.append(
        _card(
            2,
            N_("PFS and OS by first-line drug"),
            PUBLISHED["pfs_os"],
            [
                html.Div(_survival_line(view.pfs_by_drug, lang, "PFS")),
                html.Div(_survival_line(view.os_by_drug, lang, "OS")),
                dbc.Row(
                    [
                        dbc.Col(_km(view.pfs_by_drug, N_("PFS by first-line drug"), "study-pfs-figure", lang), lg=6),
                        dbc.Col(_km(view.os_by_drug, N_("OS by first-line drug"), "study-os-figure", lang), lg=6),
                    ]
                ),
            ],
            lang=lang,
        )
    )
    # 3. multivariable Cox
    if view.cox is not None:
        table = simple_table([N_("Term"), N_("HR (95% CI)"), "P"], _cox_rows(view.cox, lang), id_="study-cox-table")
        corrected = [
            t(
                lang,
                "Post-progression therapy and ICI as time-varying covariates (switched on at their start date), "
                "adjusted for FIB-4 and disease control: post-progression therapy {pp}; ICI {ici}.",
                pp=_hr_of(view.cox_time_varying, "pp_received", lang),
                ici=_hr_of(view.cox_time_varying, "pp_ici", lang),
            )
        ]
        ours = [t(lang, "n = {n}, {events} deaths.", n=view.cox.n, events=view.cox.events), table]
    else:
        reasons = cox_i18n.warnings(lang, view.notes, view.wording)
        ours = [join_sentences(lang, [t(lang, "The model could not be fitted."), *reasons])]
        corrected = []
    labels = join_list(
        lang, (tr(lang, COX_CANDIDATES[c]) for c in ("fib4", "disease_control", "pp_received", "pp_ici"))
    )
    title = t(lang, "Multivariable Cox model for OS ({covariates})", covariates=labels)
    cards.append(_card(3, title, PUBLISHED["cox"], ours, corrected or None, lang))
    # 4. OS by post-progression therapy
    guard = view.pp_guard
    corrected_pp = None
    if guard is not None and guard.comparison is not None:
        corrected_pp = summary_text(guard.comparison, guard.exposure, lang)
        lm = guard.comparison.landmark
        if lm is not None and lm.hr is not None:
            landmark = t(
                lang, "Landmark at {landmark} months: HR {hr}.", landmark=f"{guard.landmark:g}",
                hr=fmt_hr(lm.hr.hr, lm.hr.ci),
            )  # fmt: skip
            corrected_pp = join_sentences(lang, [corrected_pp, landmark])
    cards.append(
        _card(
            4,
            N_("OS by post-progression therapy"),
            PUBLISHED["pp"],
            [
                _survival_line(view.os_by_pp, lang),
                _km(view.os_by_pp, N_("OS by post-progression therapy (naive)"), "study-pp-figure", lang),
            ],
            corrected_pp,
            lang,
        )
    )
    # 5. lenvatinib: ICI vs other vs none
    cards.append(
        _card(
            5,
            N_("OS among lenvatinib patients: ICI, other therapy or none"),
            PUBLISHED["lenvatinib"],
            [
                _survival_line(view.lenvatinib_by_pp, lang),
                _km(
                    view.lenvatinib_by_pp,
                    N_("Lenvatinib: OS by post-progression therapy"),
                    "study-lenvatinib-figure",
                    lang,
                ),
            ],
            t(
                lang,
                "Time-varying Cox among lenvatinib patients: ICI {ici} (on top of any therapy: {pp}).",
                ici=_hr_of(view.lenvatinib_ici_time_varying, "pp_ici", lang),
                pp=_hr_of(view.lenvatinib_ici_time_varying, "pp_received", lang),
            ),
            lang,
        )
    )
    return cards
