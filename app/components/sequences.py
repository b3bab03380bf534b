"""Treatment-sequence Sankey diagram and the time-to-therapy curve."""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go

from analysis.postprog import SequenceFlows, TimeToTherapy
from app.components.palette import NEUTRAL, group_colour, level_label
from app.components.text import plain
from app.i18n import N_, Lang, t, tr

STAGE_TITLES: dict[str, str] = {
    "first_line": N_("First line"),
    "best_response": N_("Best response"),
    "progressed": N_("Progressed"),
    "pp_class": N_("Post-progression therapy"),
    "status": N_("Status at last contact"),
}
_NODE_LABELS: dict[tuple[str, str], str] = {
    ("progressed", "yes"): N_("Progressed"),
    ("progressed", "no"): N_("No progression"),
    ("status", "dead"): N_("Dead"),
    ("status", "alive"): N_("Alive"),
}
_STAGE_X: dict[str, float] = {
    "first_line": 0.01,
    "best_response": 0.25,
    "progressed": 0.5,
    "pp_class": 0.75,
    "status": 0.99,
}


def node_label(stage: str, value: str, lang: Lang = "en") -> str:
    if (stage, value) in _NODE_LABELS:
        return t(lang, _NODE_LABELS[(stage, value)])
    if stage == "pp_class":
        return t(lang, "No therapy") if value == "none" else level_label("pp_class", value, lang)
    if stage == "first_line":
        return level_label("first_line", value, lang)
    return tr(lang, value)


def sankey_figure(flows: SequenceFlows, lang: Lang = "en") -> go.Figure:
    """Each link carries its count; ``customdata`` holds the filter query a click applies."""
    inflow = [0] * len(flows.nodes)
    outflow = [0] * len(flows.nodes)
    for link in flows.links:
        outflow[link.source] += link.count
        inflow[link.target] += link.count
    labels = [
        t(lang, "{label} ({n})", label=plain(node_label(stage, value, lang)), n=max(inflow[i], outflow[i]))
        for i, (stage, value) in enumerate(flows.nodes)
    ]
    colours = [
        group_colour(stage, value, i) if stage in ("first_line", "pp_class") else NEUTRAL
        for i, (stage, value) in enumerate(flows.nodes)
    ]
    queries = ["&".join(f"{k}={v}" for k, v in link.filters) for link in flows.links]
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={
                "label": labels,
                "color": colours,
                "pad": 14,
                "thickness": 16,
                "x": [_STAGE_X[stage] for stage, _ in flows.nodes],
                "hovertemplate": N_("%{customdata}: %{value} patients<extra></extra>"),
                "customdata": [node_label(stage, value, lang) for stage, value in flows.nodes],
            },
            link={
                "source": [link.source for link in flows.links],
                "target": [link.target for link in flows.links],
                "value": [link.count for link in flows.links],
                "label": [str(link.count) for link in flows.links],
                "customdata": queries,
                "color": "rgba(127,127,127,0.25)",
                "hovertemplate": N_(
                    "%{source.label} → %{target.label}: %{value} patients<br>click to filter<extra></extra>"
                ),
            },
        )
    )
    for stage, x in _STAGE_X.items():
        fig.add_annotation(
            x=x, y=1.06, xref="paper", yref="paper", text=STAGE_TITLES[stage], showarrow=False, font={"size": 12}
        )
    fig.update_layout(height=520, margin={"l": 10, "r": 10, "t": 50, "b": 10}, template="plotly_white")
    return fig


def time_axis_end(times: Sequence[float], values: Sequence[float]) -> float:
    """Where the time axis stops: a little past the curve's last change, not at the longest follow-up
    (a curve flat after 2 months is not drawn out to 80)."""
    last_change = 0.0
    previous = 0.0
    for time, v in zip(times, values, strict=True):
        if v != previous:
            last_change, previous = time, v
    longest = max(times, default=1.0)
    return float(min(longest, max(3.0, math.ceil(last_change * 1.25 + 1.0))))


def time_to_therapy_figure(result: TimeToTherapy) -> go.Figure:
    x = [0.0, *result.times]
    y = [0.0, *result.cumulative_incidence]
    x_end = time_axis_end(x, y)
    fig = go.Figure(
        go.Scatter(
            x=x,
            y=y,
            mode="lines",
            line={"shape": "hv", "color": group_colour("pp_received", "1", 0), "width": 2},
            name=N_("Treated"),
            hovertemplate="%{x:.1f} months after progression: %{y:.1%} treated<extra></extra>",
        )
    )
    fig.update_layout(
        title={"text": N_("Time from progression to post-progression therapy (death as a competing risk)"), "x": 0.01},
        xaxis={"title": {"text": N_("Months since progression")}, "range": [0, x_end]},
        yaxis={"title": N_("Cumulative share treated"), "tickformat": ".0%", "range": [0, 1], "ticklabelstandoff": 6},
        template="plotly_white",
        height=380,
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
    )
    return fig
