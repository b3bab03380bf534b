"""Forest plot of hazard ratios (log scale) from Cox model terms."""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go

from analysis.cox import CoxTerm
from app.components.tables import fmt_hr, fmt_p


def forest_figure(terms: Sequence[CoxTerm], labels: Sequence[str], title: str = "", font_size: int = 13) -> go.Figure:
    """One row per term, top to bottom in the given order: HR with its 95% CI on a log axis, reference line at 1."""
    rows = list(range(len(terms)))[::-1]
    estimable = [all(math.isfinite(v) and v > 0 for v in (t.hr, *t.ci)) for t in terms]
    hr = [t.hr if ok else None for t, ok in zip(terms, estimable, strict=True)]  # not estimable: no marker
    lower = [t.ci[0] if ok else 0.0 for t, ok in zip(terms, estimable, strict=True)]
    upper = [t.ci[1] if ok else 0.0 for t, ok in zip(terms, estimable, strict=True)]
    text = [f"{fmt_hr(t.hr, t.ci)}, p {fmt_p(t.p)}" for t in terms]
    fig = go.Figure(
        go.Scatter(
            x=hr,
            y=rows,
            mode="markers",
            marker={"symbol": "square", "size": 10, "color": "#0072B2"},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [0.0 if h is None else u - h for u, h in zip(upper, hr, strict=True)],
                "arrayminus": [0.0 if h is None else h - lo for h, lo in zip(hr, lower, strict=True)],
                "color": "#0072B2",
                "thickness": 2,
            },
            customdata=text,
            hovertemplate="%{customdata}<extra></extra>",
            showlegend=False,
        )
    )
    finite = [v for v in (*lower, *upper) if v and math.isfinite(v) and v > 0]
    low = min([*finite, 0.5]) * 0.8
    high = max([*finite, 2.0]) * 1.25
    fig.add_vline(x=1.0, line={"color": "#7F7F7F", "dash": "dash"})
    ticks = [v for v in (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0) if low <= v <= high]
    fig.update_xaxes(
        type="log",
        range=[math.log10(low), math.log10(high)],
        title_text="Hazard ratio (95% CI)",
        tickvals=ticks,
        ticktext=[f"{v:g}" for v in ticks],
    )
    fig.update_yaxes(tickvals=rows, ticktext=list(labels), showgrid=False)
    for row, label in zip(rows, text, strict=True):
        fig.add_annotation(
            x=1.0, xref="paper", y=row, text=label, showarrow=False, xanchor="left", font={"size": font_size - 2}
        )
    fig.update_layout(
        title={"text": title, "x": 0.01},
        template="plotly_white",
        font={"size": font_size},
        height=140 + 36 * len(terms),
        margin={"l": 220, "r": 230, "t": 50, "b": 50},
    )
    return fig
