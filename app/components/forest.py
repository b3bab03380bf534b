"""Forest plot of hazard ratios (log scale) from Cox model terms."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from analysis.cox import CoxTerm
from app.components.measure import text_width_px, wrap_to_width
from app.components.palette import FONT_FAMILY, NEUTRAL, OKABE_ITO
from app.components.tables import fmt_hr, fmt_p_eq
from app.components.text import plain
from app.i18n import N_

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
        title_text=N_("Hazard ratio (95% CI)"),
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


def layout_forest(
    figure: dict[str, Any], height_px: int, font_px: float, width_px: int | None = None
) -> dict[str, Any]:
    """Margins of a forest plot for its fonts as drawn (an export restyles them): the term labels on the left,
    the "HR (95% CI), p" texts on the right, each from its estimated width. When the width is known and the two
    would leave the plot under a third of it, each HR text goes under its label instead. The title wraps to the
    width. ``height_px`` <= 0 keeps the height."""
    layout = figure["layout"]
    yaxis = layout.get("yaxis", {})
    tick_font = float(yaxis.get("tickfont", {}).get("size") or layout["font"].get("size", font_px))
    labels = [str(t) for t in yaxis.get("ticktext", [])]
    notes = [a for a in layout.get("annotations", []) if a.get("xref") == "paper" and a.get("x") == 1.0]
    note_font = max((float(a.get("font", {}).get("size", font_px)) for a in notes), default=font_px)
    note_px = max((text_width_px(str(a["text"]), note_font) for a in notes), default=0.0)
    left = max((text_width_px(label, tick_font) for label in labels), default=40) + 18
    right = note_px + 22
    margin = dict(layout.get("margin", {}))
    if width_px is not None and notes and left + right > 0.66 * width_px:
        by_row = {a["y"]: str(a["text"]) for a in notes}
        yaxis["ticktext"] = [
            f"{label}<br><span style='font-size:{note_font:g}px'>{by_row.get(row, '')}</span>"
            for label, row in zip(labels, yaxis.get("tickvals", []), strict=False)
        ]
        layout["yaxis"] = yaxis
        layout["annotations"] = [a for a in layout.get("annotations", []) if a not in notes]
        left, right = max(left, note_px + 18), 16.0
    margin["l"], margin["r"] = round(left), round(right)
    layout["margin"] = margin
    title = layout.get("title")
    if width_px is not None and isinstance(title, dict) and title.get("text"):
        size = float(title.get("font", {}).get("size", font_px * 1.2))
        lines = wrap_to_width(str(title["text"]).replace("<br>", " "), width_px - 20, size)
        title["text"] = "<br>".join(lines)
        margin["t"] = max(int(margin.get("t", 0)), round(len(lines) * size * 1.3 + 12))
    if height_px > 0:
        layout["height"] = height_px
    return figure
