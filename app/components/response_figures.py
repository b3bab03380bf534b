"""Response page pieces: the ORR/DCR table, the tests, and the stacked bar of best response."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from dash import html

from analysis.response import AssociationTest, ResponseResult
from analysis.schema import RESPONSES
from app.components.measure import text_width_px
from app.components.palette import FONT_FAMILY, RESPONSE_COLOURS, level_label
from app.components.tables import fmt_p_eq, fmt_pct_ci, simple_table
from app.components.text import plain
from app.i18n import N_


def response_rows(result: ResponseResult) -> list[list[str]]:
    rows: list[list[str]] = []
    for g in result.groups:
        orr = f"{g.orr.count}/{g.orr.n} " + fmt_pct_ci(g.orr.estimate, *g.orr.ci)
        dcr = f"{g.dcr.count}/{g.dcr.n} " + fmt_pct_ci(g.dcr.estimate, *g.dcr.ci)
        rows.append([level_label(result.grouping, g.group), str(g.n), orr, dcr])
    return rows


def response_table(result: ResponseResult) -> html.Div:
    caption = N_(
        "ORR = CR + PR; DCR = CR + PR + SD; denominators include non-evaluable (NE) patients. "
        "95% CIs are exact (Clopper–Pearson)."
    )
    if result.n_excluded:
        caption += f" {result.n_excluded} patients without a recorded best response or group were excluded."
    return simple_table(
        [N_("Group"), "n", N_("ORR, % (95% CI)"), N_("DCR, % (95% CI)")],
        response_rows(result),
        id_="response-table",
        caption=caption,
    )


def _test_text(name: str, test: AssociationTest | None) -> str:
    if test is None:
        return f"{name}: no test (one group only)."
    return f"{name}: {test.name}, {fmt_p_eq(test.p)} ({test.reason})."


def tests_block(result: ResponseResult) -> Any:
    lines = [_test_text(N_("ORR"), result.orr_test), _test_text(N_("DCR"), result.dcr_test), *result.notes]
    return html.Div([html.Div(line, className="small") for line in lines], id="response-tests", className="mb-2")


def response_bar(result: ResponseResult, title: str = "", font_size: int = 13, height: int | None = None) -> go.Figure:
    """Stacked horizontal bars: share of each best response per group.

    The legend sits above the bars (never over the x-axis title), the left margin fits the longest group name.
    """
    names = [plain(level_label(result.grouping, g.group)) for g in result.groups]
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
