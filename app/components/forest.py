"""Forest plot of hazard ratios (log scale) from Cox model terms."""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go

from analysis.cox import CoxTerm
from app.components.measure import text_width_px
from app.components.palette import FONT_FAMILY, NEUTRAL, OKABE_ITO
from app.components.tables import fmt_hr, fmt_p_eq
from app.components.text import plain

ESTIMATE_COLOUR = OKABE_ITO[0]


def forest_figure(
    terms: Sequence[CoxTerm],
    labels: Sequence[str],
    title: str = "",
    font_size: int = 13,
    height: int | None = None,
) -> go.Figure:
    """One row per term, top to bottom in the given order: HR with its 95% CI on a log axis, reference line at 1.

    The term labels (left) and the "HR (95% CI), p" texts (right) get margins from their estimated widths,
    so neither is clipped whatever the font size.
    """
    rows = list(range(len(terms)))[::-1]
    estimable = [all(math.isfinite(v) and v > 0 for v in (t.hr, *t.ci)) for t in terms]
    hr = [t.hr if ok else None for t, ok in zip(terms, estimable, strict=True)]  # not estimable: no marker
    lower = [t.ci[0] if ok else 0.0 for t, ok in zip(terms, estimable, strict=True)]
    upper = [t.ci[1] if ok else 0.0 for t, ok in zip(terms, estimable, strict=True)]
    text = [f"{fmt_hr(t.hr, t.ci)}, {fmt_p_eq(t.p)}" for t in terms]
    fig = go.Figure(
        go.Scatter(
            x=hr,
            y=rows,
            mode="markers",
            marker={"symbol": "square", "size": 10, "color": ESTIMATE_COLOUR},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [0.0 if h is None else u - h for u, h in zip(upper, hr, strict=True)],
                "arrayminus": [0.0 if h is None else h - lo for h, lo in zip(hr, lower, strict=True)],
                "color": ESTIMATE_COLOUR,
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
    fig.add_vline(x=1.0, line={"color": NEUTRAL, "dash": "dash"})
    ticks = [v for v in (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0) if low <= v <= high]
    fig.update_xaxes(
        type="log",
        range=[math.log10(low), math.log10(high)],
        title_text="Hazard ratio (95% CI)",
        tickvals=ticks,
        ticktext=[f"{v:g}" for v in ticks],
    )
    fig.update_yaxes(tickvals=rows, ticktext=[plain(label) for label in labels], showgrid=False)
    note_px = font_size - 2
    for row, label in zip(rows, text, strict=True):
        fig.add_annotation(
            x=1.0,
            xref="paper",
            xshift=10,
            y=row,
            text=label,
            showarrow=False,
            xanchor="left",
            font={"size": note_px},
        )
    left = round(max((text_width_px(label, font_size) for label in labels), default=40) + 18)
    right = round(max((text_width_px(label, note_px) for label in text), default=40) + 22)
    title_px = round(font_size * 2.4) if title else round(font_size * 0.8)
    fig.update_layout(
        title={"text": title, "x": 0, "xref": "container", "xanchor": "left", "pad": {"l": 8}},
        template="plotly_white",
        font={"size": font_size, "family": FONT_FAMILY},
        height=height or round(title_px + font_size * 4 + font_size * 2.6 * len(terms)),
        margin={"l": left, "r": right, "t": title_px, "b": round(font_size * 3.6)},
    )
    return fig
