"""Response page pieces: the ORR/DCR table, the tests, and the stacked bar of best response."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from dash import html

from analysis.response import AssociationTest, ResponseResult
from analysis.schema import RESPONSES
from app.components.palette import level_label
from app.components.tables import fmt_p_eq, fmt_pct_ci, simple_table

RESPONSE_COLOURS: dict[str, str] = {
    "CR": "#009E73",
    "PR": "#56B4E9",
    "SD": "#E69F00",
    "PD": "#D55E00",
    "NE": "#BBBBBB",
}
"""Best-response colours (Okabe–Ito), the same in every figure and export."""


def response_rows(result: ResponseResult) -> list[list[str]]:
    rows: list[list[str]] = []
    for g in result.groups:
        orr = f"{g.orr.count}/{g.orr.n} " + fmt_pct_ci(g.orr.estimate, *g.orr.ci)
        dcr = f"{g.dcr.count}/{g.dcr.n} " + fmt_pct_ci(g.dcr.estimate, *g.dcr.ci)
        rows.append([level_label(result.grouping, g.group), str(g.n), orr, dcr])
    return rows


def response_table(result: ResponseResult) -> html.Div:
    caption = (
        "ORR = CR + PR; DCR = CR + PR + SD; denominators include non-evaluable (NE) patients. "
        "95% CIs are exact (Clopper–Pearson)."
    )
    if result.n_excluded:
        caption += f" {result.n_excluded} patients without a recorded best response or group were excluded."
    return simple_table(
        ["Group", "n", "ORR, % (95% CI)", "DCR, % (95% CI)"],
        response_rows(result),
        id_="response-table",
        caption=caption,
    )


def _test_text(name: str, test: AssociationTest | None) -> str:
    if test is None:
        return f"{name}: no test (one group only)."
    return f"{name}: {test.name}, {fmt_p_eq(test.p)} ({test.reason})."


def tests_block(result: ResponseResult) -> Any:
    lines = [_test_text("ORR", result.orr_test), _test_text("DCR", result.dcr_test), *result.notes]
    return html.Div([html.Div(line, className="small") for line in lines], id="response-tests", className="mb-2")


def response_bar(result: ResponseResult) -> go.Figure:
    """Stacked horizontal bars: share of each best response per group."""
    names = [level_label(result.grouping, g.group) for g in result.groups]
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
    fig.update_layout(
        barmode="stack",
        template="plotly_white",
        xaxis={"title": "Patients (%)", "range": [0, 100]},
        yaxis={"autorange": "reversed"},
        legend={"orientation": "h", "y": -0.25, "title": {"text": "Best response"}},
        height=140 + 50 * len(names),
        margin={"l": 200, "r": 20, "t": 20, "b": 60},
    )
    return fig
