"""The "Adjusted comparison" panel: controls, and figures and tables built from an AdjustedComparison.

Figures are plain plotly dicts: the naive and weighted Kaplan–Meier curves
(with bootstrap bands once computed), the love plot of standardised mean
differences with the 0.1 threshold, and the propensity overlap histogram.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from analysis.adjusted import AdjustedComparison
from analysis.weights import BALANCE_THRESHOLD, ESTIMAND_LABELS
from app.components.covariate_labels import COVARIATES, ESTIMAND_CHOICES, term_label
from app.components.export_tables import table_rows
from app.components.km_figure import layout_curves, padded_range, template, tick_times
from app.components.palette import FONT_FAMILY, NEUTRAL, OKABE_ITO, group_colour, level_label
from app.components.panel_export import export_controls
from app.components.tables import fmt_estimate_ci, fmt_hr, fmt_num, fmt_p_eq, fmt_pct_ci, simple_table
from app.exporting import ExportTable
from app.i18n import N_, Lang, join_list, refusals, t, tr
from app.ids import Ids

COMPARISONS: dict[str, str] = {
    "first_line": N_("First-line drug: lenvatinib vs sorafenib"),
    "pp_landmark": N_("Post-progression therapy by the landmark vs not yet"),
    "ici_lenvatinib": N_("ICI after progression by the landmark vs not (lenvatinib patients)"),
}
DEFAULT_COVARIATES: tuple[str, ...] = (
    "age", "child_pugh_score", "albi_score", "bclc", "afp_high", "ecog", "mvi", "ehs", "etiology"
)  # fmt: skip
"""The clinical set of the KLC analyses."""
TRIM_CHOICES: dict[str, str] = {
    "none": N_("No trimming"),
    "0.99": N_("Trim at 99th pct"),
    "0.95": N_("Trim at 95th pct"),
}
CAVEAT = N_(
    "Weighting balances only the covariates in the propensity model. Anything not measured (for example the era: "
    "lenvatinib was available only from 2018, and later patients had more later-line options) can still explain "
    "a difference; the E-value says how strong such a confounder would have to be."
)
UNWEIGHTED_GREY = NEUTRAL
WEIGHTED_BLUE = OKABE_ITO[0]
FONT_PX = 13


ESTIMAND_NAMES: dict[str, str] = {
    "ate": N_("ATE (inverse probability of treatment weights)"),
    "att": N_("ATT (weights to the treated)"),
    "overlap": N_("overlap weights (ATO)"),
}
""":data:`analysis.weights.ESTIMAND_LABELS`, marked for extraction."""


def _warnings(result: AdjustedComparison, lang: Lang) -> list[str]:
    """The weighting's warnings in ``lang``, a group and a covariate by their labels."""
    return refusals.notes(lang, result.warnings, result.wording)


def _boot_notes(result: AdjustedComparison, grouping: str, lang: Lang) -> list[str]:
    """The bootstrap's notes in ``lang``, a group by its label (a level of ``grouping``)."""
    return refusals.notes(lang, result.notes, result.note_wording, grouping)


# ----------------------------------------------------------------------------- controls


def panel(endpoint_note: str = "") -> html.Div:
    """The panel's controls and output placeholders."""
    controls = dbc.Row(
        [
            dbc.Col(
                [
                    dbc.Label(N_("Comparison"), className="small fw-semibold"),
                    dcc.Dropdown(
                        id=Ids.ADJ_COMPARISON,
                        options=[{"label": v, "value": k} for k, v in COMPARISONS.items()],
                        value="first_line",
                        clearable=False,
                    ),
                ],
                md=5,
            ),
            dbc.Col(
                [
                    dbc.Label(N_("Estimand"), className="small fw-semibold"),
                    dbc.RadioItems(
                        id=Ids.ADJ_ESTIMAND,
                        options=[{"label": v, "value": k} for k, v in ESTIMAND_CHOICES.items()],
                        value="ate",
                        inline=True,
                    ),
                ],
                md=3,
            ),
            dbc.Col(
                [
                    dbc.Label(N_("Weights"), className="small fw-semibold"),
                    dcc.Dropdown(
                        id=Ids.ADJ_TRIM,
                        options=[{"label": v, "value": k} for k, v in TRIM_CHOICES.items()],
                        value="none",
                        clearable=False,
                    ),
                ],
                md=2,
            ),
            dbc.Col(
                [
                    dbc.Label(N_("Landmark (months)"), className="small fw-semibold"),
                    dbc.Input(id=Ids.ADJ_LANDMARK, type="number", min=0, step=0.5, value=6, debounce=True, size="sm"),
                ],
                md=2,
            ),
        ],
        className="g-2 mb-2",
    )
    covariates = html.Div(
        [
            dbc.Label(N_("Propensity-model covariates"), className="small fw-semibold"),
            dcc.Dropdown(
                id=Ids.ADJ_COVARIATES,
                options=[{"label": v, "value": k} for k, v in COVARIATES.items()],
                value=list(DEFAULT_COVARIATES),
                multi=True,
            ),
        ],
        className="mb-2",
    )
    bootstrap = html.Div(
        [
            dbc.Button(
                N_("Bootstrap 95% CIs (200 resamples, propensity model re-fitted in each)"),
                id=Ids.ADJ_BOOT_RUN,
                color="primary",
                size="sm",
                outline=True,
                className="me-2",
            ),
            dbc.Button(N_("Cancel"), id=Ids.ADJ_BOOT_CANCEL, color="secondary", size="sm", outline=True, disabled=True),
            dbc.Progress(
                id=Ids.ADJ_BOOT_PROGRESS,
                value=0,
                striped=True,
                animated=True,
                className="mt-2",
                style={"height": "1rem"},
            ),
            html.Div(id=Ids.ADJ_BOOT_OUTPUT, className="mt-2"),
        ],
        className="mt-2",
    )
    return html.Div(
        [
            html.H3(N_("Adjusted comparison (propensity-score weighting)"), className="h6 mt-3"),
            html.P(
                N_("The naive comparison beside one weighted to balance the chosen baseline covariates. ")
                + endpoint_note,
                className="small text-muted mb-2",
            ),
            controls,
            covariates,
            dcc.Loading(html.Div(id=Ids.ADJ_OUTPUT), delay_show=150),
            bootstrap,
            export_controls(Ids.ADJ_EXPORT_PNG, Ids.ADJ_EXPORT_XLSX, Ids.ADJ_DOWNLOAD, "adjusted"),
        ],
        id=Ids.ADJ_PANEL,
        className="border rounded p-2 mb-3",
    )


# ----------------------------------------------------------------------------- figures


def _line(x: Sequence[float], y: Sequence[float | None], **style: Any) -> dict[str, Any]:
    return {"type": "scatter", "x": list(x), "y": list(y), "mode": "lines", **style}


def curves_figure(
    result: AdjustedComparison, grouping: str, *, bands: bool = False, title: bool = True, lang: Lang = "en"
) -> dict[str, Any]:
    """Weighted KM curves (solid) over the naive ones (dotted), with bootstrap bands when ``bands``.

    ``title=False`` for exports: the legend then sits alone above the curves.
    """
    traces: list[dict[str, Any]] = []
    band_of = {b.group: b for b in result.bands} if bands else {}
    estimand = {"ate": "ATE", "att": "ATT", "overlap": "overlap"}.get(result.estimand, result.estimand)
    for position, (naive, weighted) in enumerate(zip(result.naive.groups, result.weighted.groups, strict=True)):
        colour = group_colour(grouping, weighted.group, position)
        label = level_label(grouping, weighted.group, lang)
        band = band_of.get(weighted.group)
        if band is not None:
            fill = {"line": {"width": 0, "shape": "hv"}, "hoverinfo": "skip", "showlegend": False}
            traces.append(_line(band.times, band.upper, **fill))
            rgba = f"rgba({int(colour[1:3], 16)},{int(colour[3:5], 16)},{int(colour[5:7], 16)},0.18)"
            traces.append(_line(band.times, band.lower, fill="tonexty", fillcolor=rgba, **fill))
        traces.append(
            _line(
                naive.curve.times,
                naive.curve.survival,
                name=t(lang, "{group}, unweighted (n = {n})", group=label, n=naive.n),
                line={"color": colour, "dash": "dot", "width": 1.5, "shape": "hv"},
                opacity=0.8,
            )
        )
        traces.append(
            _line(
                weighted.curve.times,
                weighted.curve.survival,
                name=t(lang, "{group}, weighted ({estimand})", group=label, estimand=tr(lang, estimand)),
                line={"color": colour, "width": 2.5, "shape": "hv"},
            )
        )
    longest = max((t for g in result.weighted.groups for t in g.curve.times), default=1.0)
    ticks = tick_times(longest)
    figure = {
        "data": traces,
        "layout": {
            "template": template(),
            "font": {"size": FONT_PX, "family": FONT_FAMILY},
            "modebar": {"orientation": "v"},
            "height": 460,
            "meta": {"plot_px": 340},
            "xaxis": {"title": {"text": N_("Months")}, "tickvals": list(ticks), "range": padded_range(0.0, ticks[-1])},
            "yaxis": {
                "title": {"text": N_("Survival probability")},
                "tickformat": ".0%",
                "tickvals": [0, 0.2, 0.4, 0.6, 0.8, 1.0],
                "range": [0, 1.02],
            },
        },
    }
    title_text = N_("Unweighted (dotted) and weighted (solid)") if title else ""
    return layout_curves(figure, FONT_PX, title=title_text, x_last=f"{ticks[-1]:g}")


def love_plot(result: AdjustedComparison, lang: Lang = "en") -> dict[str, Any]:
    """Absolute standardised mean differences before (open) and after (filled) weighting; 0.1 marked."""
    rows = list(reversed(result.weighting.balance))
    labels = [term_label(b.covariate, lang) for b in rows]
    marker = {"size": 9}
    traces = [
        {
            "type": "scatter",
            "x": [abs(b.smd_unweighted) for b in rows],
            "y": labels,
            "mode": "markers",
            "name": N_("Unweighted"),
            "marker": {**marker, "symbol": "circle-open", "color": UNWEIGHTED_GREY, "line": {"width": 2}},
        },
        {
            "type": "scatter",
            "x": [abs(b.smd_weighted) for b in rows],
            "y": labels,
            "mode": "markers",
            "name": N_("Weighted"),
            "marker": {**marker, "color": WEIGHTED_BLUE},
        },
    ]
    largest = max([BALANCE_THRESHOLD * 2, *(abs(b.smd_unweighted) for b in rows), *(abs(b.smd_weighted) for b in rows)])
    figure = {
        "data": traces,
        "layout": {
            "template": template(),
            "font": {"size": FONT_PX, "family": FONT_FAMILY},
            "meta": {"plot_px": max(200, 24 * len(rows))},
            "xaxis": {
                "title": {"text": N_("|Standardised mean difference|")},
                "range": padded_range(0.0, largest * 1.06),
            },
            "yaxis": {"type": "category"},
            "shapes": [
                {
                    "type": "line",
                    "xref": "x",
                    "yref": "paper",
                    "x0": BALANCE_THRESHOLD,
                    "x1": BALANCE_THRESHOLD,
                    "y0": 0,
                    "y1": 1,
                    "line": {"color": OKABE_ITO[1], "dash": "dash", "width": 1.5},
                }
            ],
            "annotations": [
                {
                    "text": f"{BALANCE_THRESHOLD:g}",
                    "x": BALANCE_THRESHOLD,
                    "xref": "x",
                    "y": 0,
                    "yref": "paper",
                    "showarrow": False,
                    "yanchor": "bottom",
                    "xanchor": "left",
                    "xshift": 3,
                    "font": {"color": OKABE_ITO[1]},
                }
            ],
        },
    }
    return layout_curves(figure, FONT_PX, title=N_("Balance (love plot)"), y_labels=labels, x_last=f"{largest:.1f}")


def overlap_figure(result: AdjustedComparison, grouping: str, lang: Lang = "en") -> dict[str, Any]:
    """Propensity-score distributions of the two groups (share of each group per 0.05 bin)."""
    overlap = result.weighting.overlap
    centres = [(a + b) / 2 for a, b in zip(overlap.edges[:-1], overlap.edges[1:], strict=True)]
    traces = []
    for position, (level, shares) in enumerate(overlap.shares):
        traces.append(
            {
                "type": "bar",
                "x": centres,
                "y": list(shares),
                "name": level_label(grouping, level),
                "marker": {"color": group_colour(grouping, level, position)},
                "opacity": 0.55,
                "width": 0.05,
            }
        )
    largest = max((v for _, shares in overlap.shares for v in shares), default=0.0)
    figure = {
        "data": traces,
        "layout": {
            "template": template(),
            "font": {"size": FONT_PX, "family": FONT_FAMILY},
            "barmode": "overlay",
            "meta": {"plot_px": 200},
            "xaxis": {"title": {"text": N_("Propensity score")}, "range": padded_range(0.0, 1.0)},
            "yaxis": {"title": {"text": N_("Share of group")}, "tickformat": ".0%", "rangemode": "tozero"},
        },
    }
    title = t(lang, "Propensity of {group}: overlap", group=level_label(grouping, result.treated, lang))
    return layout_curves(figure, FONT_PX, title=title, y_labels=(f"{100 * largest:.0f}%",), x_last="1")


# ----------------------------------------------------------------------------- tables


def _e_value_text(result: AdjustedComparison, lang: Lang = "en") -> str:
    e = result.e_value
    return t(lang, "{point} (CI limit: {limit})", point=f"{e.point:.2f}", limit=f"{e.ci_limit:.2f}")


def summary_rows(result: AdjustedComparison, grouping: str, lang: Lang = "en") -> list[list[str]]:
    """The naive vs adjusted rows: HR, RMST difference, E-value, ESS, weights."""
    treated, reference = level_label(grouping, result.treated, lang), level_label(grouping, result.reference, lang)
    naive, cox = result.cox_naive, result.cox
    ess = "; ".join(
        t(lang, "{group} {ess} of {n}", group=level_label(grouping, k, lang), ess=f"{v:.0f}", n=n)
        for (k, v), (_, n) in zip(result.weighting.summary.ess, result.weighting.summary.n, strict=True)
    )
    summary = result.weighting.summary
    rmst = result.rmst
    estimand = tr(lang, ESTIMAND_CHOICES[result.estimand])
    rows = [
        [
            t(lang, "HR {treated} vs {reference}, unweighted", treated=treated, reference=reference),
            fmt_hr(naive.hr, naive.ci),
            fmt_p_eq(naive.p),
        ],
        [t(lang, "HR, weighted ({estimand}; robust SE)", estimand=estimand), fmt_hr(cox.hr, cox.ci), fmt_p_eq(cox.p)],
        [
            t(lang, "RMST difference to {tau} months, weighted", tau=f"{rmst.tau:.1f}"),
            fmt_estimate_ci(rmst.difference, *rmst.ci)
            if rmst.ci[0] is not None
            else t(lang, "{estimate} (CI: bootstrap below)", estimate=fmt_num(rmst.difference)),
            t(lang, "unweighted {estimate}", estimate=fmt_num(rmst.naive_difference)),
        ],
        [
            N_("E-value of the weighted HR"),
            _e_value_text(result, lang),
            N_("common outcome") if result.e_value.common_outcome else N_("rare outcome"),
        ],
        [N_("Effective sample size"), ess, f"n = {result.n}"],
        [
            N_("Weights"),
            t(lang, "{low} to {high}", low=f"{summary.min:.2f}", high=f"{summary.max:.2f}"),
            t(lang, "{n} trimmed", n=summary.trimmed) if summary.trim else N_("not trimmed"),
        ],
        [
            N_("Propensity model"),
            f"AUC {result.weighting.propensity.auc:.2f}",
            t(lang, "{n} excluded (missing)", n=result.n_excluded),
        ],
    ]
    return rows


def balance_rows(result: AdjustedComparison, lang: Lang = "en") -> list[list[str]]:
    rows = []
    for b in result.weighting.balance:
        scale = 100 if b.binary else 1
        unit = "%" if b.binary else ""
        rows.append(
            [
                term_label(b.covariate, lang),
                t(
                    lang,
                    "{treated} vs {reference}",
                    treated=f"{b.mean_treated * scale:.1f}{unit}",
                    reference=f"{b.mean_reference * scale:.1f}{unit}",
                ),
                f"{b.smd_unweighted:+.3f}",
                f"{b.smd_weighted:+.3f}" + (" ⚠" if abs(b.smd_weighted) > BALANCE_THRESHOLD else ""),
            ]
        )
    return rows


def result_block(result: AdjustedComparison | str, grouping: str, description: str, lang: Lang = "en") -> Any:
    """Everything the panel shows before the bootstrap (``result`` a string: why there is none, in ``lang``)."""
    if isinstance(result, str):
        return dbc.Alert(result, color="secondary", className="my-2")
    alerts = [
        dbc.Alert(message, color="warning", className="py-1 px-2 mb-1 small") for message in _warnings(result, lang)
    ]
    caveat = html.P(CAVEAT, className="small text-muted mb-2")
    figure_config: Any = {"displaylogo": False, "toImageButtonOptions": {"format": "svg"}}
    static: Any = {"displayModeBar": False}
    header = ("", N_("Estimate (95% CI)"), "")
    return html.Div(
        [
            html.P(
                t(
                    lang,
                    "{description} Estimand: {estimand}.",
                    description=description,
                    estimand=tr(lang, ESTIMAND_LABELS[result.estimand]),
                ),
                className="small mb-1",
            ),
            *alerts,
            caveat,
            dbc.Row(
                [
                    dbc.Col(
                        dcc.Graph(
                            id=Ids.ADJ_CURVES, figure=curves_figure(result, grouping, lang=lang), config=figure_config
                        ),
                        xxl=7,
                    ),
                    dbc.Col(simple_table(header, summary_rows(result, grouping, lang), id_=Ids.ADJ_SUMMARY), xxl=5),
                ],
                className="g-2",
            ),
            dbc.Row(
                [
                    dbc.Col(dcc.Graph(id=Ids.ADJ_LOVE, figure=love_plot(result, lang), config=static), lg=6),
                    dbc.Col(
                        dcc.Graph(id=Ids.ADJ_OVERLAP, figure=overlap_figure(result, grouping, lang), config=static),
                        lg=6,
                    ),
                ],
                className="g-2",
            ),
            html.Details(
                [
                    html.Summary(N_("Balance table (standardised mean differences)"), className="small fw-semibold"),
                    simple_table(
                        (N_("Covariate"), N_("Mean, treated vs reference"), N_("SMD before"), N_("SMD after")),
                        balance_rows(result, lang),
                        id_=Ids.ADJ_BALANCE,
                        caption=t(
                            lang,
                            "SMD: difference in means over the unweighted pooled SD (cobalt's convention); "
                            "|SMD| > {threshold} marked ⚠.",
                            threshold=f"{BALANCE_THRESHOLD:g}",
                        ),
                    ),
                ]
            ),
        ]
    )


def _pct(value: float | None, ci: Any) -> str:
    return fmt_pct_ci(value, *ci) if value is not None else "–"


def bootstrap_rows(result: AdjustedComparison, grouping: str, lang: Lang = "en") -> list[list[str]]:
    rows = []
    for g in result.groups:
        label = level_label(grouping, g.group, lang)
        rows.append([t(lang, "{group}: median, months", group=label), fmt_estimate_ci(g.median, *g.median_ci)])
        rows += [
            [t(lang, "{group}: {months}-month survival", group=label, months=f"{a.time:g}"), _pct(a.survival, a.ci)]
            for a in g.at
        ]
        rows.append(
            [
                t(lang, "{group}: RMST to {tau} months", group=label, tau=f"{result.rmst.tau:.1f}"),
                fmt_estimate_ci(g.rmst, *g.rmst_ci),
            ]
        )
    rmst = result.rmst
    rows.append([N_("RMST difference, months"), fmt_estimate_ci(rmst.difference, *rmst.ci)])
    return rows


def bootstrap_block(result: AdjustedComparison | str, grouping: str, lang: Lang = "en") -> Any:
    """Weighted curves with their bootstrap bands and the table of bootstrap CIs."""
    if isinstance(result, str):
        return dbc.Alert(result, color="secondary")
    notes = [html.Li(n) for n in _boot_notes(result, grouping, lang)]
    return html.Div(
        [
            dcc.Graph(
                id=Ids.ADJ_BOOT_CURVES,
                figure=curves_figure(result, grouping, bands=True, lang=lang),
                config={"displaylogo": False, "toImageButtonOptions": {"format": "svg"}},
            ),
            html.Div(
                simple_table(
                    (N_("Weighted (95% bootstrap CI)"), N_("Estimate")),
                    bootstrap_rows(result, grouping, lang),
                    id_=Ids.ADJ_BOOT_TABLE,
                    caption=t(
                        lang,
                        "{n} resamples within each group (seed {seed}); the propensity model is re-fitted in each, "
                        "so the intervals include the uncertainty of the weights.",
                        n=result.n_bootstrap,
                        seed=result.seed,
                    ),
                ),
                style={"maxWidth": "760px"},
            ),
            html.Ul(notes, className="small text-muted") if notes else None,
        ]
    )


# ----------------------------------------------------------------------------- exports


def method_text(result: AdjustedComparison, lang: Lang = "en") -> str:
    """The method line of an export's footer (in ``lang``)."""
    names = dict.fromkeys(term_label(b.covariate, lang).split(" = ")[0] for b in result.weighting.balance)
    trim = result.weighting.summary.trim
    line = t(
        lang,
        "propensity-score weighting, {estimand}, from a logistic model of {covariates}; weighted Kaplan–Meier and "
        "Cox (robust SE)",
        estimand=tr(lang, ESTIMAND_LABELS[result.estimand]),
        covariates=join_list(lang, names),
    )
    if trim:
        line = t(lang, "{method}; weights trimmed at the {quantile} quantile", method=line, quantile=f"{trim:g}")
    if result.n_bootstrap:
        line = t(
            lang,
            "{method}; {n} bootstrap resamples re-fitting the propensity model",
            method=line,
            n=result.n_bootstrap,
        )
    return line


def _localized(rows: Sequence[Sequence[str]], lang: Lang) -> list[list[str]]:
    """Rows whose cells may be message ids (``N_`` labels) in ``lang``."""
    return [[tr(lang, cell) for cell in row] for row in rows]


def export_tables(result: AdjustedComparison, grouping: str, lang: Lang = "en") -> list[ExportTable]:
    """The summary (naive vs adjusted), the balance table and, after the bootstrap, its CIs, as export tables in
    ``lang``."""
    summary = ExportTable(
        "adjusted-summary",
        t(lang, "Adjusted comparison: unweighted vs weighted"),
        (t(lang, "Quantity"), t(lang, "Estimate"), t(lang, "Detail")),
        table_rows(_localized(summary_rows(result, grouping, lang), lang)),
        notes=tuple(_warnings(result, lang)),  # the export's footer leads with the caveat
    )
    balance = ExportTable(
        "adjusted-balance",
        t(lang, "Covariate balance (standardised mean differences)"),
        tuple(
            tr(lang, h)
            for h in (N_("Covariate"), N_("Mean treated"), N_("Mean reference"), N_("SMD before"), N_("SMD after"))
        ),
        table_rows(
            (term_label(b.covariate, lang), b.mean_treated, b.mean_reference, b.smd_unweighted, b.smd_weighted)
            for b in result.weighting.balance
        ),
        notes=(
            t(lang, "Unweighted pooled SD as denominator; threshold {threshold}.", threshold=f"{BALANCE_THRESHOLD:g}"),
        ),
    )
    tables = [summary, balance]
    if result.n_bootstrap:
        tables.append(
            ExportTable(
                "adjusted-bootstrap",
                t(lang, "Weighted estimates with 95% bootstrap CIs"),
                (t(lang, "Quantity"), t(lang, "Estimate (95% CI)")),
                table_rows(_localized(bootstrap_rows(result, grouping, lang), lang)),
                notes=tuple(_boot_notes(result, grouping, lang)),
            )
        )
    return tables
