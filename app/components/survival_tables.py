"""The Survival page's tables and notes, built from a SurvivalView."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import html

from analysis.caveats import caveat
from app import i18n
from app.components.palette import level_label
from app.components.tables import (
    UNDEFINED,
    estimable,
    fmt_estimate_ci,
    fmt_hr,
    fmt_p,
    fmt_p_eq,
    fmt_pct_ci,
    simple_table,
)
from app.i18n import N_, Lang, t, tr
from app.i18n import compare as compare_i18n
from app.i18n import cox as cox_i18n
from app.i18n.caveats import caveat_text, counterpart_text
from app.views import FIXED_TIMES, SMALL_GROUP, SurvivalView

CONF_NOTES: dict[str, str] = {
    "log-log": N_("log-log transform (as SAS, Stata and lifelines)"),
    "log": N_("log transform (R's survfit default)"),
    "plain": N_("plain (linear) Greenwood intervals"),
}


def medians_rows(view: SurvivalView) -> list[list[str]]:
    """One row per group: name, n, events, median (95% CI), survival at 6, 12, 24 months (95% CI)."""
    rows: list[list[str]] = []
    if view.km is None:
        return rows
    for group in view.km.groups:
        by_time = {a.time: a for a in group.at}
        fixed = []
        for month in FIXED_TIMES:
            at = by_time.get(month)
            fixed.append("–" if at is None or at.survival is None else fmt_pct_ci(at.survival, *at.ci))
        lower, upper = group.median_ci
        rows.append(
            [
                level_label(view.grouping, group.group),
                str(group.n),
                str(group.events),
                fmt_estimate_ci(group.median, lower, upper),
                *fixed,
            ]
        )
    return rows


def medians_table(view: SurvivalView, lang: Lang = "en") -> html.Div:
    header = [
        N_("Group"),
        "n",
        N_("Events"),
        N_("Median, months (95% CI)"),
        *(t(lang, "{months}-month survival", months=f"{month:g}") for month in FIXED_TIMES),
    ]
    conf = view.km.conf_type if view.km else "log-log"
    caption = t(
        lang,
        "95% CIs: {conf}. NR = not reached. Months = days / 30.4375. Number at risk at t counts patients with "
        "follow-up ≥ t (R's summary(survfit, times=)).",
        conf=tr(lang, CONF_NOTES.get(conf, conf)),
    )
    if view.km and view.km.n_excluded:
        excluded = i18n.tn(
            lang,
            "{n} patient without data for this endpoint was excluded.",
            "{n} patients without data for this endpoint were excluded.",
            view.km.n_excluded,
        )
        caption = i18n.join_sentences(lang, [caption, excluded])
    return simple_table(header, medians_rows(view), id_="medians-table", caption=caption)


def test_note(view: SurvivalView, lang: Lang = "en") -> str | None:
    """Why the comparison has no test (``None`` if it has one), in ``lang``."""
    if view.test_wording is not None:
        return compare_i18n.word(lang, view.test_wording, view.grouping)
    return tr(lang, view.test_note) if view.test_note else None


def tests_block(view: SurvivalView, test_label: str, lang: Lang = "en") -> Any:
    if view.grouping is None:
        return None
    if view.test is None:
        note = test_note(view, lang) or t(lang, "No test: fewer than two groups.")
        return dbc.Alert(note, color="light", className="small")
    parts: list[Any] = [
        html.P(
            [
                html.Strong(t(lang, "{test} test: ", test=tr(lang, test_label))),
                t(
                    lang,
                    "χ² = {chi2} on {df} df, {p}",
                    chi2=f"{view.test.statistic:.2f}",
                    df=view.test.df,
                    p=fmt_p_eq(view.test.p),
                ),
            ],
            className="mb-1",
            id="test-line",
        )
    ]
    if view.pairwise:
        rows = [
            [
                t(
                    lang,
                    "{a} vs {b}",
                    a=level_label(view.grouping, a, lang),
                    b=level_label(view.grouping, b, lang),
                ),
                UNDEFINED if p.statistic is None else f"{p.statistic:.2f}",
                UNDEFINED if p.p is None else fmt_p(p.p),
                UNDEFINED if p.p_adjusted is None else fmt_p(p.p_adjusted),
            ]
            for p in view.pairwise
            for a, b in [p.groups]
        ]
        parts.append(
            simple_table(
                [N_("Comparison"), "χ²", "p", N_("p (Holm)")],
                rows,
                caption=N_(
                    "A significant overall test with no significant pairwise test is possible: the overall test "
                    "pools evidence across all groups, and the Holm adjustment makes each pairwise test stricter. "
                    "An undefined comparison (no events or no variance) is left out of the adjustment, as R's "
                    "p.adjust leaves out NA."
                ),
            )
        )
    return html.Div(parts)


def hr_block(view: SurvivalView, lang: Lang = "en") -> Any:
    if view.cox is None:
        note = cox_i18n.word(lang, view.cox_wording) if view.cox_wording is not None else view.cox_note
        return html.Small(note, className="text-muted") if note else None
    term = view.cox.terms[0]
    names = {
        "level": level_label(view.grouping, term.level or "", lang),
        "reference": level_label(view.grouping, term.reference or "", lang),
        "hr": fmt_hr(term.hr, term.ci),
    }
    if estimable(term.hr, term.ci):
        line = t(lang, "{level} vs {reference}: HR (95% CI) {hr}, Wald {p}", p=fmt_p_eq(term.p), **names)
    else:  # a Wald p beside "not estimable" contradicts the figure's test: show the score (log-rank) test, named
        line = t(
            lang,
            "{level} vs {reference}: HR (95% CI) {hr}, no Wald p; score (log-rank) test {p}",
            p=fmt_p_eq(view.cox.score_test.p),
            **names,
        )
    return html.P([html.Strong(N_("Hazard ratio (Cox, Efron ties): ")), line], id="hr-line")


def notes(view: SurvivalView, lang: Lang = "en") -> list[Any]:
    out: list[Any] = []
    found = caveat(view.grouping, view.endpoint)
    if found is not None:
        out.append(
            dbc.Alert(
                [
                    html.Strong(t(lang, "Immortal-time bias. ")),
                    caveat_text(found, lang),
                    " ",
                    counterpart_text(found, lang, below=view.endpoint == "os" and found.exposure is not None),
                ],
                color="danger",
                className="small py-2",
                id="immortal-time-warning",
            )
        )
    if view.small_groups:
        names = i18n.join_list(lang, (level_label(view.grouping, g, lang) for g in view.small_groups))
        out.append(
            dbc.Alert(
                t(
                    lang,
                    "Small groups (fewer than {n} patients): {names}. Estimates are unstable.",
                    n=SMALL_GROUP,
                    names=names,
                ),
                color="warning",
                className="small py-2",
            )
        )
    return out
