"""Response page pieces: the ORR/DCR table, the tests, and the stacked bar of best response."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from dash import html

from analysis.response import FISHER_SEED, MIN_EXPECTED, AssociationTest, ResponseResult
from analysis.schema import RESPONSES
from app.components.measure import text_width_px
from app.components.palette import FONT_FAMILY, RESPONSE_COLOURS, level_label
from app.components.tables import fmt_p_eq, fmt_pct_ci, simple_table
from app.components.text import plain
from app.i18n import N_, Lang, join_sentences, t, tn, tr
from app.i18n.notes import notes as analysis_notes

RESPONSE_NOTES: tuple[str, ...] = (
    N_("ORR and DCR denominators include patients whose best response is NE (not evaluable)."),
    N_("95% confidence intervals are exact (Clopper–Pearson)."),
)
""":func:`analysis.response.response_rates`' fixed notes, marked for extraction."""


def response_rows(result: ResponseResult) -> list[list[str]]:
    rows: list[list[str]] = []
    for g in result.groups:
        orr = f"{g.orr.count}/{g.orr.n} " + fmt_pct_ci(g.orr.estimate, *g.orr.ci)
        dcr = f"{g.dcr.count}/{g.dcr.n} " + fmt_pct_ci(g.dcr.estimate, *g.dcr.ci)
        rows.append([level_label(result.grouping, g.group), str(g.n), orr, dcr])
    return rows


def response_table(result: ResponseResult, lang: Lang = "en") -> html.Div:
    caption = t(
        lang,
        "ORR = CR + PR; DCR = CR + PR + SD; denominators include non-evaluable (NE) patients. "
        "95% CIs are exact (Clopper–Pearson).",
    )
    if result.n_excluded:
        excluded = tn(
            lang,
            "{n} patient without a recorded best response or group was excluded.",
            "{n} patients without a recorded best response or group were excluded.",
            result.n_excluded,
        )
        caption = join_sentences(lang, [caption, excluded])
    return simple_table(
        [N_("Group"), "n", N_("ORR, % (95% CI)"), N_("DCR, % (95% CI)")],
        response_rows(result),
        id_="response-table",
        caption=caption,
    )


def test_reason(test: AssociationTest, lang: Lang = "en") -> str:
    """Why the test was chosen (:attr:`AssociationTest.reason`) in ``lang``, from the test's name and numbers."""
    if lang == "en" or test.smallest_expected is None:
        return test.reason
    numbers = {"minimum": f"{MIN_EXPECTED:g}", "smallest": f"{test.smallest_expected:.1f}"}
    if test.name == "chi-square (Yates)":
        return t(
            lang,
            "all expected counts >= {minimum} (smallest {smallest}); Pearson's chi-square with Yates' continuity "
            "correction",
            **numbers,
        )
    if test.name.startswith("chi-square"):
        return t(
            lang,
            "all expected counts >= {minimum} (smallest {smallest}); Pearson's chi-square without continuity "
            "correction",
            **numbers,
        )
    if test.replicates is not None:
        return t(
            lang,
            "an expected count < {minimum} ({smallest}); Fisher's test, two-sided, with the p-value simulated from "
            "{replicates} random tables with the same margins (seed {seed}), because the exact enumeration of this "
            "table takes too long",
            replicates=f"{test.replicates:,}",
            seed=FISHER_SEED,
            **numbers,
        )
    return t(lang, "an expected count < {minimum} ({smallest}); Fisher's exact test, two-sided", **numbers)


def _test_text(name: str, test: AssociationTest | None, lang: Lang) -> str:
    if test is None:
        return t(lang, "{name}: no test (one group only).", name=name)
    return t(
        lang,
        "{name}: {test}, {p} ({reason}).",
        name=name,
        test=tr(lang, test.name),
        p=fmt_p_eq(test.p),
        reason=test_reason(test, lang),
    )


def tests_block(result: ResponseResult, lang: Lang = "en") -> Any:
    lines = [
        _test_text("ORR", result.orr_test, lang),
        _test_text("DCR", result.dcr_test, lang),
        *analysis_notes(lang, result.notes, result.messages),
    ]
    return html.Div([html.Div(line, className="small") for line in lines], id="response-tests", className="mb-2")


def response_bar(
    result: ResponseResult, title: str = "", font_size: int = 13, height: int | None = None, lang: Lang = "en"
) -> go.Figure:
    """Stacked horizontal bars: share of each best response per group.

    The legend sits above the bars (never over the x-axis title), the left margin fits the longest group name.
    """
    names = [plain(level_label(result.grouping, g.group, lang)) for g in result.groups]
    fig = go.Figure()
    for code in RESPONSES:
        counts = [dict(g.counts).get(code, 0) for g in result.groups]
        shares = [100.0 * c / g.n if g.n else 0.0 for c, g in zip(counts, result.groups, strict=True)]
        fig.add_bar(
            name=code,
            y=names,
            x=shares,
            orientation="h",
            marker_color=RESPONSE_COLOURS[code],
            customdata=counts,
            hovertemplate=f"{code}: %{{customdata}} patients (%{{x:.1f}}%)<extra>%{{y}}</extra>",
        )
    title_px = font_size * 2.2 if title else 0.0
    legend_px = font_size * 2.2
    top = round(title_px + legend_px + 10)
    fig.update_layout(
        barmode="stack",
        template="plotly_white",
        font={"size": font_size, "family": FONT_FAMILY},
        title={"text": title, "x": 0, "xref": "container", "xanchor": "left", "pad": {"l": 8}},
        xaxis={"title": {"text": N_("Patients (%)"), "standoff": 6}, "range": [0, 100]},
        yaxis={"autorange": "reversed"},
        legend={
            "orientation": "h",
            "xref": "paper",
            "x": 0,
            "xanchor": "left",
            "yref": "paper",
            "y": 1,
            "yanchor": "bottom",
            "title": {"text": N_("Best response")},
            "traceorder": "normal",
            "font": {"size": font_size},
        },
        height=height or round(top + font_size * 4.2 + 50 * len(names)),
        margin={
            "l": round(max((text_width_px(n, font_size) for n in names), default=40) + 16),
            "r": round(font_size * 1.5),
            "t": top,
            "b": round(font_size * 4.2),
        },
    )
    return fig
