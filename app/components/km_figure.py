"""The Kaplan–Meier figure with its number-at-risk table, built from a KMResult.

The risk table is the second row of one figure sharing the x-axis, and its
columns sit exactly on the x-axis ticks, so a saved figure keeps its table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import plotly.graph_objects as go
import plotly.io as pio

from analysis.km import KMGroup, KMResult
from app.components.palette import group_colour, level_label


@dataclass(frozen=True)
class KMFigureOptions:
    """How to draw the figure; every field is a plain value so the options can be cached and put in a URL."""

    show_ci: bool = True
    show_censor: bool = True
    show_events_row: bool = False
    show_censored_row: bool = False
    title: str = ""
    x_title: str = "Months"
    y_title: str = "Survival probability"
    annotation: str | None = None
    font_size: int = 13
    line_width: float = 2.0


def tick_times(max_time: float) -> tuple[float, ...]:
    """Tick positions in months: every 6 months (every 12 beyond 4 years), from 0 past the last time."""
    if max_time <= 0 or math.isnan(max_time):
        return (0.0,)
    step = 6.0 if max_time <= 48 else 12.0
    count = math.ceil(max_time / step)
    return tuple(step * i for i in range(count + 1))


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _none_to_nan(values: Sequence[float | None]) -> list[float]:
    return [math.nan if v is None else float(v) for v in values]


def _rounded(values: Sequence[float | None], digits: int) -> list[float | None]:
    """Values rounded for the figure payload (survival to 5 decimals is far below a pixel)."""
    return [None if v is None else round(v, digits) for v in values]


def _curve_traces(group: KMGroup, name: str, colour: str, options: KMFigureOptions) -> list[dict[str, Any]]:
    """Plain trace dicts (no plotly validation: a figure is rebuilt on every filter change).

    Points sit only at event times (and the origin and last follow-up); values are rounded,
    so the payload stays small for large cohorts.
    """
    curve = group.curve
    times = _rounded(curve.times, 4)
    lower = _rounded(curve.ci_lower, 5)
    upper = _rounded(curve.ci_upper, 5)
    traces: list[dict[str, Any]] = []
    if options.show_ci:
        band = {"type": "scatter", "x": times, "mode": "lines", "hoverinfo": "skip", "showlegend": False}
        traces.append({**band, "y": upper, "line": {"width": 0, "shape": "hv"}, "legendgroup": name})
        traces.append(
            {
                **band,
                "y": lower,
                "line": {"width": 0, "shape": "hv"},
                "fill": "tonexty",
                "fillcolor": _rgba(colour, 0.15),
                "legendgroup": name,
            }
        )
    traces.append(
        {
            "type": "scatter",
            "x": times,
            "y": _rounded(curve.survival, 5),
            "mode": "lines",
            "name": name,
            "legendgroup": name,
            "line": {"color": colour, "width": options.line_width, "shape": "hv"},
            "customdata": [list(row) for row in zip(lower, upper, curve.n_at_risk, strict=True)],
            "hovertemplate": (
                f"<b>{name}</b><br>%{{x:.1f}} months<br>survival %{{y:.3f}} "
                "(95% CI %{customdata[0]:.3f}–%{customdata[1]:.3f})<br>at risk %{customdata[2]}<extra></extra>"
            ),
        }
    )
    if options.show_censor and curve.censor_times:
        traces.append(
            {
                "type": "scatter",
                "x": _rounded(curve.censor_times, 4),
                "y": _rounded(curve.censor_survival, 5),
                "mode": "markers",
                "marker": {"symbol": "line-ns-open", "size": 8, "color": colour, "line": {"width": 1.5}},
                "name": f"{name} censored",
                "legendgroup": name,
                "showlegend": False,
                "hovertemplate": f"{name}: censored at %{{x:.1f}} months<extra></extra>",
            }
        )
    return traces


def risk_rows(
    result: KMResult, grouping: str | None, ticks: Sequence[float], options: KMFigureOptions
) -> list[tuple[str, list[str]]]:
    """Rows of the risk table, top to bottom: (row label, one text per tick).

    At-risk counts follow R's ``summary(survfit, times=)``: the number with time >= t.
    Events and censored rows are cumulative up to and including t (KMunicate).
    """
    rows: list[tuple[str, list[str]]] = []
    for group in result.groups:
        name = level_label(grouping, group.group)
        by_time = {a.time: a for a in group.at}
        at = [by_time[t] for t in ticks]
        rows.append((name, [str(a.n_at_risk) for a in at]))
        if options.show_events_row:
            rows.append((f"{name}: events", [str(a.cum_events) for a in at]))
        if options.show_censored_row:
            rows.append((f"{name}: censored", [str(a.cum_censored) for a in at]))
    return rows


@lru_cache(maxsize=4)
def template(name: str = "plotly_white") -> dict[str, Any]:
    """A plotly template as a plain dict (computed once; plotly.js needs the object, not its name)."""
    return cast(dict[str, Any], pio.templates[name].to_plotly_json())


def km_figure_dict(
    result: KMResult, grouping: str | None, ticks: Sequence[float], options: KMFigureOptions = KMFigureOptions()
) -> dict[str, Any]:
    """KM curves (top) and the risk table (bottom) on one shared x-axis, as a plain plotly figure dict.

    ``result`` must have been computed with every tick among its ``times``
    (see :func:`tick_times`), so the risk table's columns sit on the ticks.
    """
    rows = risk_rows(result, grouping, ticks, options)
    table_height = 0.08 + 0.045 * len(rows)
    gap = 0.13
    traces: list[dict[str, Any]] = []
    for position, group in enumerate(result.groups):
        colour = group_colour(grouping, group.group, position)
        name = f"{level_label(grouping, group.group)} (n = {group.n})"
        traces.extend(_curve_traces(group, name, colour, options))
    labels = [label for label, _ in rows]
    for label, texts in rows:
        traces.append(
            {
                "type": "scatter",
                "x": list(ticks),
                "y": [label] * len(ticks),
                "text": texts,
                "mode": "text",
                "showlegend": False,
                "hoverinfo": "skip",
                "textfont": {"size": options.font_size - 1},
                "xaxis": "x2",
                "yaxis": "y2",
            }
        )
    x_end = ticks[-1] if ticks else 1.0
    x_range = [-0.02 * x_end, x_end * 1.02]
    layout: dict[str, Any] = {
        "template": template(),
        "title": {"text": options.title, "x": 0.01},
        "font": {"size": options.font_size},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0},
        "margin": {"l": 60, "r": 20, "t": 70, "b": 50},
        "height": 520 + 22 * len(rows),
        "hovermode": "closest",
        "xaxis": {
            "anchor": "y",
            "domain": [0, 1],
            "matches": "x2",
            "tickvals": list(ticks),
            "range": x_range,
            "title": {"text": options.x_title, "standoff": 4},
        },
        "yaxis": {
            "anchor": "x",
            "domain": [table_height + gap, 1],
            "range": [0, 1.02],
            "title": {"text": options.y_title},
            "tickformat": ".0%",
        },
        "xaxis2": {
            "anchor": "y2",
            "domain": [0, 1],
            "tickvals": list(ticks),
            "range": x_range,
            "showticklabels": False,
            "showgrid": False,
            "zeroline": False,
        },
        "yaxis2": {
            "anchor": "x2",
            "domain": [0, table_height],
            "type": "category",
            "categoryorder": "array",
            "categoryarray": list(reversed(labels)),
            "range": [-0.6, len(labels) - 0.4],  # keep the top and bottom rows' text inside the panel
            "showgrid": False,
            "title": {"text": "At risk"},
            "tickfont": {"size": options.font_size - 2},
        },
        "annotations": [],
    }
    if options.annotation:
        layout["annotations"].append(
            {
                "text": options.annotation,
                "xref": "x domain",
                "yref": "y domain",
                "x": 0.98,
                "y": 0.98,
                "showarrow": False,
                "xanchor": "right",
                "yanchor": "top",
                "font": {"size": options.font_size},
                "bgcolor": "rgba(255,255,255,0.7)",
            }
        )
    return {"data": traces, "layout": layout}


def km_figure(
    result: KMResult, grouping: str | None, ticks: Sequence[float], options: KMFigureOptions = KMFigureOptions()
) -> go.Figure:
    """The same figure as :func:`km_figure_dict`, validated by plotly (for exports and tests)."""
    return go.Figure(km_figure_dict(result, grouping, ticks, options))
