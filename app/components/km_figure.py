"""The Kaplan–Meier figure with its risk table: one grammar for screen, presenter, print and slide.

Top to bottom, in pixel bands computed from the figure's own text (:func:`layout_km`):

- the title (only when the figure stands alone: exports; pages and slides title it in HTML or the slide);
- the legend, above the curves and never over them (one entry per line, or one line when the width is
  known and the entries fit), and the test's p-value on its own line;
- the curves; the x-axis ticks and title;
- the risk table (at risk, and optionally cumulative events and censored: KMunicate), a second row of the
  same figure sharing the x-axis, so its columns sit exactly on the ticks; every row is labelled and the
  labels stand off from the first column by the width of its widest number;
- the left margin is the longest row label's estimated width (:mod:`app.components.measure`), the right
  margin half the widest number of the last column, so nothing collides and nothing is cut.
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
from app.components.measure import text_width_px, wrap_to_width
from app.components.palette import FONT_FAMILY, INK, group_colour, level_label
from app.components.text import plain
from app.i18n import N_, Lang, normalise, t

TABLE_HEADING = "km-table-heading"
P_VALUE = "km-p-value"
TITLE = "km-title"
MODEBAR_PX = 28
"""Room kept at the top of an on-screen figure for plotly's modebar (it floats over the top right)."""


@dataclass(frozen=True)
class KMFigureOptions:
    """How to draw the figure; every field is a plain value so the options can be cached and put in a URL."""

    show_ci: bool = True
    show_censor: bool = True
    show_events_row: bool = False
    show_censored_row: bool = False
    title: str = ""
    x_title: str = N_("Months")
    y_title: str = N_("Survival probability")
    annotation: str | None = None
    font_size: int = 13
    line_width: float = 2.0
    height: int | None = None
    """Figure height in px; None: the curves get 340 px and the table its rows."""
    width: int | None = None
    """Figure width in px when it is known (exports, slides): the title wraps, the legend may go on one line."""
    on_screen: bool = True
    """Keep room for the modebar at the top."""
    lang: Lang = "en"
    """The language of every text the figure draws (legend, axes, risk table, heading)."""


def tick_times(max_time: float) -> tuple[float, ...]:
    """Tick positions in months: every 6 months (every 12 beyond 4 years), from 0 past the last time."""
    if max_time <= 0 or math.isnan(max_time):
        return (0.0,)
    step = 6.0 if max_time <= 48 else 12.0
    count = math.ceil(max_time / step)
    return tuple(step * i for i in range(count + 1))


def padded_range(start: float, end: float) -> list[float]:
    """An x-axis range 2% wider on each side: the first tick label ("0") stands clear of the y-axis's lowest
    ("0%") in the corner, and the last one is not cut."""
    span = (end - start) or 1.0
    return [start - 0.02 * span, end + 0.02 * span]


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


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
                t(
                    options.lang,
                    "<b>{group}</b><br>%{{x:.1f}} months<br>survival %{{y:.3f}} "
                    "(95% CI %{{customdata[0]:.3f}}–%{{customdata[1]:.3f}})<br>at risk %{{customdata[2]}}"
                    "<extra></extra>",
                    group=name,
                )
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
                "hovertemplate": t(options.lang, "{group}: censored at %{{x:.1f}} months<extra></extra>", group=name),
            }
        )
    return traces


def risk_rows(
    result: KMResult, grouping: str | None, ticks: Sequence[float], options: KMFigureOptions
) -> list[tuple[str, list[str]]]:
    """Rows of the risk table, top to bottom: (row key, one text per tick).

    At-risk counts follow R's ``summary(survfit, times=)``: the number with time >= t.
    Events and censored rows are cumulative up to and including t (KMunicate).
    A row key is the group's name for its at-risk row, ``"<name>: events"`` and ``"<name>: censored"``
    for the others (:func:`row_label` is what the figure prints).
    """
    rows: list[tuple[str, list[str]]] = []
    for group in result.groups:
        name = plain(level_label(grouping, group.group, options.lang))  # user text: inert in plotly
        by_time = {a.time: a for a in group.at}
        at = [by_time[tick] for tick in ticks]
        rows.append((name, [str(a.n_at_risk) for a in at]))
        if options.show_events_row:
            rows.append((f"{name}: events", [str(a.cum_events) for a in at]))
        if options.show_censored_row:
            rows.append((f"{name}: censored", [str(a.cum_censored) for a in at]))
    return rows


def row_label(key: str, kmunicate: bool, lang: Lang = "en") -> str:
    """What a risk-table row says: the group's name on its first row ("Lenvatinib", "Lenvatinib: at risk"
    when events or censored rows follow), then "events" and "censored", right-aligned under it."""
    if ": " in key and key.rsplit(": ", 1)[1] in ("events", "censored"):
        kind = key.rsplit(": ", 1)[1]
        return t(lang, "events") if kind == "events" else t(lang, "censored")
    return t(lang, "{group}: at risk", group=key) if kmunicate else key


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
    kmunicate = options.show_events_row or options.show_censored_row
    traces: list[dict[str, Any]] = []
    colours: dict[str, str] = {}
    for position, group in enumerate(result.groups):
        colour = group_colour(grouping, group.group, position)
        label = plain(level_label(grouping, group.group, options.lang))
        colours[label] = colour
        legend = t(options.lang, "{group} (n = {n})", group=label, n=group.n)
        traces.extend(_curve_traces(group, legend, colour, options))
    for key, texts in rows:
        group_name = key.rsplit(": ", 1)[0] if key not in colours else key
        traces.append(
            {
                "type": "scatter",
                "x": list(ticks),
                "y": [key] * len(ticks),
                "text": texts,
                "mode": "text",
                "showlegend": False,
                "hoverinfo": "skip",
                "cliponaxis": False,
                "textfont": {"size": options.font_size - 1},
                "xaxis": "x2",
                "yaxis": "y2",
                "meta": {
                    "label": row_label(key, kmunicate, options.lang),
                    "first": key in colours,
                    "colour": colours.get(group_name, INK),
                },
            }
        )
    x_end = ticks[-1] if ticks else 1.0
    x_range = padded_range(0.0, x_end)
    keys = [key for key, _ in rows]
    layout: dict[str, Any] = {
        "template": template(),
        "title": {"text": ""},
        "font": {"size": options.font_size, "family": FONT_FAMILY},
        "hovermode": "closest",
        "showlegend": True,
        "xaxis": {
            "anchor": "y",
            "domain": [0, 1],
            "matches": "x2",
            "tickvals": list(ticks),
            "range": x_range,
            "title": {"text": t(options.lang, options.x_title), "standoff": 4},
        },
        "yaxis": {
            "anchor": "x",
            "range": [0, 1.02],
            "title": {"text": t(options.lang, options.y_title), "standoff": 6},
            "tickformat": ".0%",
            "tickvals": [0, 0.2, 0.4, 0.6, 0.8, 1.0],
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
            "type": "category",
            "categoryorder": "array",
            "categoryarray": list(reversed(keys)),
            "showgrid": False,
            "zeroline": False,
            "title": {"text": ""},
        },
        "annotations": [],
        "meta": {
            "km": True,
            "on_screen": options.on_screen,
            "p_value": options.annotation or "",
            "title": t(options.lang, options.title) if options.title else "",
            "lang": options.lang,
        },
    }
    figure = {"data": traces, "layout": layout}
    height = options.height or default_height(len(rows), options.font_size, len(result.groups), bool(options.title))
    return layout_km(figure, height, float(options.font_size), options.width)


def default_height(rows: int, font_px: float, groups: int, titled: bool) -> int:
    """Height of a figure whose curves get 340 px: the header, the x-axis and the table added."""
    header = (1.8 * font_px if titled else 0) + groups * _legend_row_px(font_px) + font_px * 1.45 + MODEBAR_PX
    return round(340 + header + font_px * 5.4 + rows * font_px * 1.75 + 12)


def _legend_row_px(font_px: float) -> float:
    """Height of one legend entry as plotly draws it (the line symbol keeps a small font's entry ~20 px)."""
    return max(font_px * 1.5, font_px + 10)


def _thin_ticks(figure: dict[str, Any], plot_px: float, number_px: float) -> None:
    """Keep every k-th tick (and risk-table column) so the widest numbers of neighbouring columns stand apart."""
    layout = figure["layout"]
    ticks = list(layout["xaxis"].get("tickvals") or [])
    if len(ticks) < 3:
        return
    spacing = plot_px / (len(ticks) - 1)
    step = max(1, math.ceil((number_px + 8) / max(spacing, 1.0)))
    if step == 1:
        return
    kept = ticks[::step]
    for key in ("xaxis", "xaxis2"):
        layout[key] = {**layout[key], "tickvals": kept}
    for trace in figure["data"]:
        if trace.get("mode") == "text" and trace.get("xaxis") == "x2":
            pairs = [(x, t) for x, t in zip(trace["x"], trace["text"], strict=True) if x in kept]
            trace["x"], trace["text"] = [x for x, _ in pairs], [t for _, t in pairs]
            trace["y"] = trace["y"][: len(pairs)]


def survival_ticks(curves_px: float, tick_font: float) -> list[float]:
    """The survival axis' ticks: every 20% when the curves are tall enough for their labels, else fewer."""
    for step in (0.2, 0.25, 0.5):
        if curves_px * step >= tick_font * 1.6:
            return [round(i * step, 2) for i in range(round(1 / step) + 1)]
    return [0.0, 1.0]


def layout_km(figure: dict[str, Any], height_px: int, font_px: float, width_px: int | None = None) -> dict[str, Any]:
    """Lay a KM figure out for a height (and, when known, a width) and a font size: the bands of the module
    docstring, margins from the labels. Idempotent: exports and the presenter call it again at their size.
    ``height_px`` <= 0: as tall as the bands need with the curves half as tall as they are wide.
    """
    layout = figure["layout"]
    meta = layout.get("meta", {})
    on_screen = bool(meta.get("on_screen", True)) and width_px is None
    table = [t for t in figure["data"] if t.get("mode") == "text" and t.get("xaxis") == "x2"]
    keys = list(reversed(layout["yaxis2"].get("categoryarray", [])))
    labels = {t["y"][0]: {"label": t["y"][0], **t.get("meta", {})} for t in table}
    table_font = float(table[0].get("textfont", {}).get("size", font_px - 1)) if table else font_px - 1
    tick_font = float(layout["xaxis"].get("tickfont", {}).get("size", font_px))
    legend_font = float(layout.get("legend", {}).get("font", {}).get("size", font_px))
    legend_entries = [str(t["name"]) for t in figure["data"] if t.get("showlegend", True) and t.get("name")]

    # left: the row labels (wrapped when the width is known and they would take over a third of it)
    max_label_px = 0.38 * width_px if width_px else math.inf
    wrapped: dict[str, list[str]] = {}
    for k in keys:
        bold = 1.1 if labels[k].get("first") else 1.0
        wrapped[k] = wrap_to_width(str(labels[k]["label"]), max_label_px / bold, table_font)
    label_px = max(
        (
            max(text_width_px(line, table_font) for line in wrapped[k]) * (1.1 if labels[k].get("first") else 1.0)
            for k in keys
        ),
        default=0.0,
    )
    row_lines = max((len(v) for v in wrapped.values()), default=1)
    numbers = [list(map(str, t.get("text", []))) for t in table]
    number_px = max((text_width_px(n, table_font) for row in numbers for n in row), default=0.0)
    first_px = max((text_width_px(n[0], table_font) for n in numbers if n), default=0.0)
    standoff = round(first_px / 2 + table_font * 0.6)
    y_axis_px = text_width_px("100%", tick_font) + font_px * 1.3 + 14
    left = round(max(label_px + standoff + 8, y_axis_px))
    last_px = max((text_width_px(n[-1], table_font) for n in numbers if n), default=0.0)
    right = round(max(last_px / 2 + 8, text_width_px("96", tick_font) / 2 + 6))
    if width_px is not None:
        _thin_ticks(figure, width_px - left - right, max(number_px, text_width_px("96", tick_font)))

    # top: title lines, legend rows, the p-value line
    title_text = str(meta.get("title", ""))
    title_px = round(font_px * 1.2, 1)
    title_lines = wrap_to_width(title_text, (width_px or 10_000) - 16, title_px * 1.05) if title_text else []
    entry_px = [text_width_px(e, legend_font) + 2.6 * legend_font + 12 for e in legend_entries]
    horizontal = width_px is not None and sum(entry_px) <= width_px - 24
    legend_px = (1 if horizontal else len(legend_entries)) * _legend_row_px(legend_font) + 4
    p_px = font_px * 1.5 if meta.get("p_value") else 0.0
    last_entry_px = entry_px[-1] if entry_px else 0.0
    if p_px and width_px is not None and last_entry_px + text_width_px(str(meta["p_value"]), font_px) < width_px - 40:
        p_px = 0.0  # the p-value shares the legend's last line (right-aligned above the curves)
    title_band = len(title_lines) * title_px * 1.3 + (6 if title_lines else 0)
    lead = MODEBAR_PX if on_screen else 6
    top = round(lead + title_band + legend_px + p_px)

    bottom = int(meta.get("footer") or 0) + 8
    row_px = table_font * (1.25 * row_lines + 0.3)
    table_px = max(1, len(keys)) * row_px
    gap_px = tick_font * 1.3 + font_px * 1.35 + table_font * 1.5 + 18  # tick labels, x title, table heading
    if height_px <= 0:  # auto: the curves as tall as half their width
        curves_px = max(160.0, 0.5 * ((width_px or 800) - left - right))
        height_px = round(top + bottom + table_px + gap_px + curves_px)
    paper = max(120.0, height_px - top - bottom)
    table_top = min(0.5, table_px / paper)
    curves_bottom = min(0.75, (table_px + gap_px) / paper)

    layout["height"] = height_px
    if width_px is not None:
        layout["width"] = width_px
    layout["margin"] = {**layout.get("margin", {}), "l": left, "r": right, "t": top, "b": bottom}
    layout["title"] = {"text": ""}
    y_title = layout["yaxis"].get("title", {})
    y_text = str(meta.setdefault("y_title", y_title.get("text", "") if isinstance(y_title, dict) else ""))
    if text_width_px(y_text, font_px) > paper * (1 - curves_bottom):  # a long title on short curves: one word
        y_text = y_text.split(" ", 1)[0]
    layout["yaxis"] = {
        **layout["yaxis"],
        "domain": [curves_bottom, 1],
        "automargin": False,
        "title": {**(y_title if isinstance(y_title, dict) else {}), "text": y_text},
        "tickvals": survival_ticks(paper * (1 - curves_bottom), tick_font),
    }
    layout["yaxis2"] = {
        **layout["yaxis2"],
        "domain": [0, table_top],
        "range": [-0.5, len(keys) - 0.5],
        "autorange": False,
        "tickmode": "array",
        "tickvals": keys,
        "ticktext": [_row_tick(labels[k], "<br>".join(wrapped[k])) for k in keys],
        "ticks": "",
        "ticklabelstandoff": standoff,
        "tickfont": {**layout["yaxis2"].get("tickfont", {}), "size": table_font},
        "automargin": False,
        "showline": False,
    }
    for key in ("xaxis", "xaxis2"):
        layout[key] = {**layout[key], "automargin": False}
    layout["legend"] = {
        "orientation": "h" if horizontal else "v",
        "xref": "paper",
        "x": 0 if width_px is None else -(left - 8) / max(1.0, width_px - left - right),
        "xanchor": "left",
        "yref": "container",
        "y": 1 - (lead + title_band) / height_px,
        "yanchor": "top",
        "traceorder": "normal",
        "itemwidth": 30,
        "tracegroupgap": 0,
        "bgcolor": "rgba(0,0,0,0)",
        "font": {"size": legend_font, **layout.get("legend", {}).get("font", {})},
    }
    notes = [a for a in layout.get("annotations", []) if a.get("name") not in (TABLE_HEADING, P_VALUE, TITLE)]
    if title_lines:
        notes.append(
            {
                "name": TITLE,
                "text": "<br>".join(title_lines),
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "xshift": -left + 8,
                "xanchor": "left",
                "y": 1,
                "yanchor": "bottom",
                "yshift": round(legend_px + p_px),
                "align": "left",
                "showarrow": False,
                "font": {"size": title_px},
            }
        )
    if meta.get("p_value"):
        notes.append(
            {
                "name": P_VALUE,
                "text": meta["p_value"],
                "xref": "paper",
                "yref": "paper",
                "x": 1,
                "y": 1,
                "xanchor": "right",
                "yanchor": "bottom",
                "yshift": 2 if p_px else 4,
                "showarrow": False,
                "font": {"size": font_px},
            }
        )
    heading = N_("At risk, events (cumulative), censored") if any(": " in k for k in keys) else N_("Number at risk")
    heading = t(normalise(figure["layout"].get("meta", {}).get("lang")), heading)
    notes.append(
        {
            "name": TABLE_HEADING,
            "text": f"<b>{heading}</b>",
            "xref": "paper",
            "yref": "paper",
            "x": 0,
            "xshift": -left + 4,
            "xanchor": "left",
            "y": table_top,
            "yanchor": "bottom",
            "yshift": 4,
            "showarrow": False,
            "font": {"size": round(table_font, 1)},
        }
    )
    layout["annotations"] = notes
    return figure


def legend_entries(figure: dict[str, Any]) -> list[str]:
    """The names the legend shows (traces with a name and not ``showlegend: False``)."""
    return [str(t["name"]) for t in figure["data"] if t.get("showlegend", True) and t.get("name")]


def layout_curves(
    figure: dict[str, Any],
    font_px: float,
    *,
    title: str = "",
    width_px: int | None = None,
    on_screen: bool = True,
    y_labels: Sequence[str] = ("100%",),
    x_last: str = "96",
) -> dict[str, Any]:
    """The KM figure's grammar for a figure without a risk table (weighted curves, histograms, love plots).

    Top to bottom: the title (wrapped when the width is known), the legend above the plot area and never over
    it (one entry per line, or one line when the width is known and the entries fit), the plot. The left margin
    is the widest y tick label (``y_labels``) plus the y title, the right margin half the last x tick label
    (``x_last``), all measured (:mod:`app.components.measure`); the x-axis range is padded
    (:func:`padded_range`) so the corner tick labels never touch. ``layout["height"]`` is the plot area's
    height plus the bands. Idempotent, like :func:`layout_km`.
    """
    layout = figure["layout"]
    meta = layout.setdefault("meta", {})
    plot_px = float(meta.setdefault("plot_px", layout.get("height", 360) - 120))
    meta.setdefault("title", title)
    title_text = str(meta["title"])
    tick_font = float(layout.get("yaxis", {}).get("tickfont", {}).get("size", font_px))
    legend_font = float(layout.get("legend", {}).get("font", {}).get("size", font_px))
    entries = legend_entries(figure)
    y_title = layout.get("yaxis", {}).get("title", {})
    y_text = str(y_title.get("text", "") if isinstance(y_title, dict) else y_title or "")
    left = round(
        max(text_width_px(label, tick_font) for label in (*y_labels, "0")) + 14 + (font_px * 1.3 if y_text else 0)
    )
    right = round(text_width_px(x_last, tick_font) / 2 + 10)
    title_px = round(font_px * 1.2, 1)
    room = (width_px or 10_000) - 16
    title_lines = wrap_to_width(title_text, room, title_px * 1.05) if title_text else []
    entry_px = [text_width_px(e, legend_font) + 2.6 * legend_font + 12 for e in entries]
    horizontal = width_px is not None and sum(entry_px) <= width_px - 24
    legend_px = ((1 if horizontal else len(entries)) * _legend_row_px(legend_font) + 4) if entries else 0
    lead = MODEBAR_PX if on_screen and width_px is None else 6
    title_band = len(title_lines) * title_px * 1.3 + (6 if title_lines else 0)
    top = round(lead + title_band + legend_px + 4)
    x_title = layout.get("xaxis", {}).get("title", {})
    bottom = round(tick_font * 1.3 + (font_px * 1.6 if x_title else 0) + 14) + int(meta.get("footer") or 0)
    height = round(top + plot_px + bottom)
    layout["height"] = height
    if width_px is not None:
        layout["width"] = width_px
    layout["margin"] = {**layout.get("margin", {}), "l": left, "r": right, "t": top, "b": bottom}
    layout["title"] = {
        "text": "<br>".join(title_lines),
        "x": 0,
        "xref": "container",
        "xanchor": "left",
        "pad": {"l": 8},
        "y": 1 - lead / height,
        "yref": "container",
        "yanchor": "top",
        "font": {"size": title_px},
    }
    for key in ("xaxis", "yaxis"):
        layout[key] = {**layout.get(key, {}), "automargin": False}
    layout["legend"] = {
        **{k: v for k, v in layout.get("legend", {}).items() if k in ("entrywidth", "entrywidthmode")},
        "orientation": "h" if horizontal else "v",
        "xref": "paper",  # (a container-placed legend would push the left margin out by its width)
        "x": 0 if width_px is None else -(left - 8) / max(1.0, width_px - left - right),
        "xanchor": "left",
        "yref": "container",
        "y": 1 - (lead + title_band) / height,
        "yanchor": "top",
        "traceorder": "normal",
        "itemwidth": 30,
        "tracegroupgap": 0,
        "bgcolor": "rgba(0,0,0,0)",
        "font": {"size": legend_font, **layout.get("legend", {}).get("font", {})},
    }
    if not horizontal:
        layout["legend"].pop("entrywidth", None)
        layout["legend"].pop("entrywidthmode", None)
    return figure


def arrange_curves(
    figure: dict[str, Any], height_px: int, font_px: float, width_px: int | None = None
) -> dict[str, Any]:
    """:func:`layout_curves` as an export's or a slide's ``arrange`` (the signature of :func:`layout_km`):
    ``height_px`` <= 0 gives plot area half as tall as the figure is wide."""
    layout = figure["layout"]
    meta = layout.setdefault("meta", {})
    if height_px > 0:
        bands = float(layout.get("height", height_px)) - float(meta.get("plot_px", 0.0))
        meta["plot_px"] = max(120.0, height_px - max(bands, 0.0))
    else:
        meta["plot_px"] = max(160.0, 0.45 * (width_px or 800))
    figure = layout_curves(figure, font_px, width_px=width_px, on_screen=False)
    if height_px > 0:
        figure["layout"]["height"] = height_px
    return figure


def _row_tick(meta: dict[str, Any], label: str) -> str:
    if meta.get("first"):
        return f"<b><span style='color:{meta.get('colour', INK)}'>{label}</span></b>"
    return label


def small_figure(title: str, figure_id: str, figure: go.Figure | dict[str, Any]) -> Any:
    """A figure on a page with its title as a heading above it (the heading wraps; a figure title would be cut)."""
    from dash import dcc, html

    return html.Figure(
        [
            html.Figcaption(title, className="h6 mb-1 ppx-figure-title"),
            dcc.Graph(id=figure_id, figure=figure, config={"displaylogo": False}),
        ],
        className="mb-3",
    )


def km_figure(
    result: KMResult, grouping: str | None, ticks: Sequence[float], options: KMFigureOptions = KMFigureOptions()
) -> go.Figure:
    """The same figure as :func:`km_figure_dict`, validated by plotly (for exports and tests)."""
    return go.Figure(km_figure_dict(result, grouping, ticks, options))
