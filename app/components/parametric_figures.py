"""The Survival page's Parametric section: controls, the fitted curves over the KM, the log-cumulative-hazard
check, the hazard over time, the AIC/BIC table and the RMST/mean table with the extrapolation statement.

Figures are plain plotly dicts. Each group keeps its colour from :mod:`app.components.palette` (the KM in
steps, the chosen model solid, the other models thin and dashed); group labels go through
:func:`app.components.text.plain` before they reach Plotly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from analysis.km import KMResult
from analysis.messages import Message
from analysis.parametric import MODEL_LABELS, Estimate, GroupFits, ModelFit, ParametricResult
from app.components.aft_check import LIBRARY_WORDING
from app.components.km_figure import template, tick_times
from app.components.palette import group_colour, level_label
from app.components.tables import simple_table
from app.components.text import plain
from app.i18n import N_, Lang, t, tr
from app.ids import Ids

DASHES: dict[str, str] = {
    "exponential": "dot",
    "weibull": "dash",
    "gompertz": "dashdot",
    "lognormal": "longdash",
    "loglogistic": "longdashdot",
    "gengamma": "5px,2px,1px,2px",
}
INTRO = N_(
    "Parametric models describe the whole curve with a few parameters, so they can estimate how the risk of death "
    "changes over time and the mean survival beyond follow-up. The model with the lowest AIC is marked; check it "
    "against the Kaplan–Meier (steps) before trusting its tail."
)
EXPORT_PAGE = "parametric"
"""The export bar's page key (:func:`app.components.presenter.export_bar`): exports and slides of the section."""


def panel(export: Any, switched_on: bool = False) -> html.Div:
    """The switch and, while it is on, the controls, the export bar (``export``: the presenter's
    ``export_bar(EXPORT_PAGE)``, passed in because the presenter dispatches to this module's views) and the output."""
    return html.Div(
        [
            dcc.Store(id=Ids.PAR_KEY),  # the URL while the switch is on (app/pages/parametric_panel.py)
            dbc.Switch(
                id=Ids.PAR_SWITCH,
                label=N_("Parametric models (fitted curves, hazard over time, mean survival)"),
                value=switched_on,
                className="mt-3 small fw-semibold",
            ),
            html.Div(
                [
                    html.P(INTRO, className="small text-muted mb-1"),
                    export,
                    dbc.Row(
                        [
                            dbc.Col(
                                dbc.InputGroup(
                                    [
                                        dbc.InputGroupText(N_("Hazard bandwidth (months)")),
                                        dbc.Input(
                                            id=Ids.PAR_BANDWIDTH,
                                            type="number",
                                            min=0.1,
                                            step="any",
                                            debounce=True,
                                            placeholder=N_("default"),
                                        ),
                                    ],
                                    size="sm",
                                ),
                                md=6,
                            ),
                            dbc.Col(
                                dbc.InputGroup(
                                    [
                                        dbc.InputGroupText(N_("RMST horizon (months)")),
                                        dbc.Input(
                                            id=Ids.PAR_HORIZON,
                                            type="number",
                                            min=1,
                                            step=1,
                                            debounce=True,
                                            placeholder=N_("default"),
                                        ),
                                    ],
                                    size="sm",
                                ),
                                md=6,
                            ),
                        ],
                        className="g-2 mb-2",
                        style={"maxWidth": "760px"},
                    ),
                    dcc.Loading(html.Div(id=Ids.PAR_OUTPUT), delay_show=150),
                ],
                id=Ids.PAR_PANEL,
                style={"display": "block" if switched_on else "none"},
            ),
        ]
    )


def _name(grouping: str | None, group: str, lang: Lang = "en") -> str:
    return plain(level_label(grouping, group, lang))


def model_label(model: str, lang: Lang = "en") -> str:
    """A model's name in ``lang`` (the names are in :mod:`app.i18n.vocabulary`)."""
    return t(lang, MODEL_LABELS[model])


def _layout(title: str, x_title: str, y_title: str, **extra: Any) -> dict[str, Any]:
    return {
        "template": template(),
        "title": {"text": title, "x": 0.01, "font": {"size": 14}},
        "font": {"size": 12},
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.16, "x": 0, "font": {"size": 11}},
        "margin": {"l": 60, "r": 40, "t": 40, "b": 60},
        "modebar": {"orientation": "v"},
        "height": 430,
        "xaxis": {"title": {"text": x_title}},
        "yaxis": {"title": {"text": y_title}},
        **extra,
    }


def _model_traces(
    g: GroupFits,
    colour: str,
    name: str,
    values: str,
    *,
    x_log: bool = False,
    chosen_only: bool = False,
    lang: Lang = "en",
) -> list[dict[str, Any]]:
    """One line per fitted model (the chosen one solid and shown, the others a legend click away)."""
    traces = []
    for fit in g.fits:
        if not fit.fitted or (chosen_only and not fit.chosen):
            continue
        label = model_label(fit.model, lang)
        entry = t(lang, "{group}: {model} (chosen)", group=name, model=label) if fit.chosen else f"{name}: {label}"
        y: Sequence[float] = getattr(fit, values)
        x: Sequence[float] = g.grid
        if x_log:
            pairs = [(math.log(t), math.log(h)) for t, h in zip(x, y, strict=True) if t > 0 and h > 0]
            x, y = [p[0] for p in pairs], [p[1] for p in pairs]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": list(x),
                "y": list(y),
                "name": entry,
                "legendgroup": name,
                "line": {
                    "color": colour,
                    "width": 2.5 if fit.chosen else 1.2,
                    "dash": "solid" if fit.chosen else DASHES[fit.model],
                },
                "opacity": 1.0 if fit.chosen else 0.75,
                "visible": True if fit.chosen else "legendonly",
            }
        )
    return traces


def _visible(traces: list[dict[str, Any]], static: bool) -> list[dict[str, Any]]:
    """On a page every model is a legend click away; a static export or slide keeps only what is shown."""
    return [tr_ for tr_ in traces if tr_.get("visible", True) is True] if static else traces


def overlay_figure(
    result: ParametricResult, km: KMResult, grouping: str | None, lang: Lang = "en", *, static: bool = False
) -> dict[str, Any]:
    """KM steps with the fitted survival curves; beyond the last follow-up (grey) the curves are extrapolation.

    ``static`` (exports, slides): only the KM and each group's chosen model, and no "click a legend entry" hint.
    """
    traces: list[dict[str, Any]] = []
    follow_up = max(g.max_time for g in result.groups)
    for position, (g, k) in enumerate(zip(result.groups, km.groups, strict=True)):
        colour, name = group_colour(grouping, g.group, position), _name(grouping, g.group, lang)
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": list(k.curve.times),
                "y": list(k.curve.survival),
                "name": t(lang, "{group}: Kaplan–Meier", group=name),
                "legendgroup": name,
                "line": {"color": colour, "shape": "hv", "width": 1.5},
                "opacity": 0.6,
            }
        )
        traces += _model_traces(g, colour, name, "survival", lang=lang)
    end = max(result.groups[0].grid)
    ticks = tick_times(end)
    months = t(lang, "Months")
    title = (
        t(lang, "Fitted survival over the Kaplan–Meier")
        if static
        else t(lang, "Fitted survival over the Kaplan–Meier (click a legend entry to show another model)")
    )
    inside = {  # an image has room below the axis only for the footer: the legend goes where the curves are low
        "legend": {
            "orientation": "v",
            "x": 0.98,
            "xanchor": "right",
            "y": 0.86,
            "yanchor": "top",
            "bgcolor": "rgba(255,255,255,0.85)",
            "font": {"size": 11},
        }
    }
    return {
        "data": _visible(traces, static),
        "layout": _layout(
            title,
            months,
            t(lang, "Survival probability"),
            shapes=[
                {
                    "type": "rect",
                    "xref": "x",
                    "yref": "paper",
                    "x0": follow_up,
                    "x1": end,
                    "y0": 0,
                    "y1": 1,
                    "fillcolor": "rgba(127,127,127,0.10)",
                    "line": {"width": 0},
                    "layer": "below",
                }
            ],
            annotations=[
                {
                    "x": (follow_up + end) / 2,
                    "y": 0.98,
                    "xref": "x",
                    "yref": "paper",
                    "yanchor": "top",
                    "showarrow": False,
                    "text": t(lang, "beyond follow-up:<br>an assumption"),
                    "font": {"size": 11, "color": "#555"},
                }
            ],
        )
        | {
            "xaxis": {"title": {"text": months}, "tickvals": list(ticks), "range": [0, end]},
            "yaxis": {"title": {"text": t(lang, "Survival probability")}, "tickformat": ".0%", "range": [0, 1.02]},
        }
        | (inside if static else {}),
    }


def log_cumulative_hazard_figure(result: ParametricResult, grouping: str | None, lang: Lang = "en") -> dict[str, Any]:
    """log H(t) against log t: Weibull fits are straight lines; parallel groups mean proportional hazards."""
    traces: list[dict[str, Any]] = []
    for position, g in enumerate(result.groups):
        colour, name = group_colour(grouping, g.group, position), _name(grouping, g.group, lang)
        pairs = [
            (math.log(x), math.log(h))
            for x, h in zip(g.observed_times, g.observed_cumulative_hazard, strict=True)
            if x > 0 and h > 0
        ]
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": [p[0] for p in pairs],
                "y": [p[1] for p in pairs],
                "name": t(lang, "{group}: Nelson–Aalen", group=name),
                "legendgroup": name,
                "marker": {"color": colour, "size": 4},
            }
        )
        traces += _model_traces(g, colour, name, "cumulative_hazard", x_log=True, chosen_only=True, lang=lang)
    return {
        "data": traces,
        "layout": _layout(
            t(lang, "Log cumulative hazard against log time"),
            t(lang, "log(months)"),
            t(lang, "log(cumulative hazard)"),
        ),
    }


def hazard_figure(result: ParametricResult, grouping: str | None, lang: Lang = "en") -> dict[str, Any]:
    """The kernel-smoothed Nelson–Aalen hazard (thick, light) and the fitted hazards, per month."""
    traces: list[dict[str, Any]] = []
    follow_up = max(g.max_time for g in result.groups)
    for position, g in enumerate(result.groups):
        colour, name = group_colour(grouping, g.group, position), _name(grouping, g.group, lang)
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": list(g.smoothed_times),
                "y": list(g.smoothed_hazard),
                "name": t(lang, "{group}: smoothed (observed)", group=name),
                "legendgroup": name,
                "line": {"color": colour, "width": 5},
                "opacity": 0.35,
            }
        )
        for trace in _model_traces(g, colour, name, "hazard", chosen_only=True, lang=lang):  # within follow-up
            kept = [i for i, x in enumerate(trace["x"]) if x <= follow_up]
            traces.append(trace | {"x": [trace["x"][i] for i in kept], "y": [trace["y"][i] for i in kept]})
    return {
        "data": traces,
        "layout": _layout(
            t(lang, "Hazard over time (bandwidth {bandwidth} months)", bandwidth=f"{result.bandwidth:g}"),
            t(lang, "Months"),
            t(lang, "Deaths per patient-month"),
        ),
    }


REASONS: tuple[str, ...] = (
    N_("no events in this group, so the likelihood has no maximum"),
    N_("the fit did not converge to finite parameters (log-likelihood not finite)"),
    N_("the variance matrix is not finite or not positive: CIs are not shown"),
    N_("fewer than two distinct event times: no smoothed hazard"),
    N_("the horizon {horizon} is beyond this group's follow-up ({follow_up}): the RMST is partly extrapolated"),
    N_("infinite under this model (its survival levels off or its tail is too heavy)"),
    N_("not estimable under this model"),
    N_("the fit's variance matrix is not available"),
    N_("the delta-method variance is not finite"),
)
"""The templates of :data:`analysis.parametric.PARAMETRIC_TEMPLATES` beyond the AFT panel's (``aft_check.REASONS``,
``LIBRARY_WORDING``), marked for extraction."""


def worded(message: Message, lang: Lang) -> str:
    """A fit's reason or note in ``lang`` (English: the analysis text), as the AFT panel words them: a library's
    exception or warning by its class only."""
    if lang == "en":
        return message.text()
    return t(lang, LIBRARY_WORDING.get(message.template, message.template), **dict(message.mapping))


def reason_text(fit: ModelFit, lang: Lang = "en") -> str:
    """Why ``fit`` was not fitted, in ``lang`` ("" if it was)."""
    if fit.why is not None:
        return worded(fit.why, lang)
    return tr(lang, fit.reason or "")


def estimate_text(e: Estimate | None, lang: Lang = "en") -> str:
    if e is None:
        return "–"
    if e.value is None:
        return tr(lang, e.reason or "not estimable under this model")
    low, high = e.ci
    return f"{e.value:.1f} ({low:.1f}–{high:.1f})" if low is not None and high is not None else f"{e.value:.1f}"


def aic_header(lang: Lang = "en") -> tuple[str, ...]:
    return (t(lang, "Group"), t(lang, "Model"), "log L", "AIC", "BIC", t(lang, "Median"))


def aic_rows(result: ParametricResult, grouping: str | None, lang: Lang = "en") -> list[list[str]]:
    rows = []
    for g in result.groups:
        for f in g.fits:
            name = level_label(grouping, g.group, lang)
            label = model_label(f.model, lang)
            if not f.fitted:
                reason = t(lang, "not fitted: {reason}", reason=reason_text(f, lang) or "–")
                rows.append([name, label, "–", "–", "–", reason])
            else:
                rows.append(
                    [
                        name,
                        t(lang, "{model} ✓ chosen", model=label) if f.chosen else label,
                        f"{f.log_likelihood:.2f}",
                        f"{f.aic:.1f}",
                        f"{f.bic:.1f}",
                        f"{f.median:.1f}" if f.median is not None else t(lang, "NR"),
                    ]
                )
    return rows


def rmst_header(result: ParametricResult, lang: Lang = "en") -> tuple[str, ...]:
    return (
        t(lang, "Group"),
        t(lang, "Model"),
        t(lang, "RMST to {horizon} months (95% CI)", horizon=f"{result.horizon:.3g}"),
        t(lang, "Mean survival, extrapolated (95% CI)"),
    )


def rmst_rows(result: ParametricResult, grouping: str | None, lang: Lang = "en") -> list[list[str]]:
    return [
        [
            level_label(grouping, g.group, lang),
            model_label(f.model, lang) + (" ✓" if f.chosen else ""),
            estimate_text(f.rmst, lang),
            estimate_text(f.mean, lang),
        ]
        for g in result.groups
        for f in g.fits
        if f.fitted
    ]


def notes(result: ParametricResult, grouping: str | None, lang: Lang = "en") -> list[str]:
    """Each group's notes and each fit's caught warnings, labelled (English: they are the analysis' words)."""
    out = [f"{level_label(grouping, g.group, lang)}: {n}" for g in result.groups for n in _notes(g, lang)]
    out += [
        f"{level_label(grouping, g.group, lang)}, {model_label(f.model, lang)}: {n}"
        for g in result.groups
        for f in g.fits
        for n in _notes(f, lang)
    ]
    return out


def _notes(fits: GroupFits | ModelFit, lang: Lang) -> list[str]:
    if fits.wording:
        return [worded(m, lang) for m in fits.wording]
    return [tr(lang, n) for n in fits.notes]


def result_block(
    result: ParametricResult | None,
    km: KMResult | None,
    grouping: str | None,
    message: str | None,
    lang: Lang = "en",
) -> Any:
    if result is None or km is None:
        return dbc.Alert(tr(lang, message or "Nothing to fit."), color="secondary", className="my-2")
    config: Any = {"displaylogo": False, "toImageButtonOptions": {"format": "svg"}}
    figure = {"config": config}
    return html.Div(
        [
            dbc.Row(
                [
                    dbc.Col(
                        dcc.Graph(id=Ids.PAR_OVERLAY, figure=overlay_figure(result, km, grouping, lang), **figure),
                        xxl=7,
                    ),
                    dbc.Col(
                        simple_table(
                            aic_header(lang),
                            aic_rows(result, grouping, lang),
                            id_=Ids.PAR_AIC,
                            caption=tr(lang, result.selection_rule),
                        ),
                        xxl=5,
                    ),
                ],
                className="g-2",
            ),
            dbc.Row(
                [
                    dbc.Col(dcc.Graph(id=Ids.PAR_HAZARD, figure=hazard_figure(result, grouping, lang), **figure), lg=6),
                    dbc.Col(
                        dcc.Graph(
                            id=Ids.PAR_LOGCUMHAZ, figure=log_cumulative_hazard_figure(result, grouping, lang), **figure
                        ),
                        lg=6,
                    ),
                ],
                className="g-2",
            ),
            html.P(
                t(
                    lang,
                    "Both plots: the observed (thick line, dots) and each group's chosen model. Log cumulative hazard: "
                    "straight lines fit a Weibull model; parallel lines between groups mean proportional hazards. "
                    "Smoothed hazard: Epanechnikov kernel over the Nelson–Aalen increments, bandwidth {bandwidth} "
                    "months (default: {rule}); it is biased near 0 and the end of follow-up.",
                    bandwidth=f"{result.bandwidth:g}",
                    rule=tr(lang, result.bandwidth_rule),
                ),
                className="small text-muted mb-1",
            ),
            simple_table(
                rmst_header(result, lang),
                rmst_rows(result, grouping, lang),
                id_=Ids.PAR_RMST,
                caption=t(lang, "CIs: {method}.", method=tr(lang, result.ci_method)),
            ),
            dbc.Alert(tr(lang, result.extrapolation), color="warning", className="py-1 px-2 small mt-1"),
            *[html.P(n, className="small text-muted mb-0") for n in notes(result, grouping, lang)],
        ]
    )
