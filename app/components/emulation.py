"""The target-trial panel: post-progression therapy compared as an emulated trial (clone–censor–weight)."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from analysis.emulate import EXPLODING_WEIGHT, EmulationResult, Interval
from analysis.formatting import fmt_ci, fmt_num
from app.components.command import command_block
from app.components.km_figure import layout_curves, padded_range, small_figure, template, tick_times
from app.components.palette import FONT_FAMILY, group_colour
from app.components.reproduce import reproduce_menu
from app.components.tables import simple_table
from app.emulation_views import BOOTSTRAP_RESAMPLES, DEFAULT_GRACE, GRACE_CHOICES, TAU
from app.i18n import N_
from app.ids import Ids

FONT_PX = 13

EXPLANATION = N_(
    "The question “does starting therapy after progression prolong survival?” asked as a trial would: time zero is "
    "progression; every patient alive then is copied into both strategies, “start therapy within the grace period” "
    "and “do not start it within the grace period”; each copy is censored when the patient's real course departs "
    "from its strategy, and the copies that stay are weighted up to stand for those censored, using how fit patients "
    "were at progression. This removes immortal time and the confounding by fitness that the measurements at "
    "progression capture; it cannot remove confounding by anything not recorded."
)


def panel() -> html.Div:
    """Controls, the point estimate (rendered at once) and the bootstrap job's output."""
    return html.Div(
        [
            html.H3(N_("Target-trial emulation (clone–censor–weight)"), className="h6 mt-3"),
            html.P(EXPLANATION, className="small text-muted"),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.InputGroup(
                            [
                                dbc.InputGroupText(N_("Grace period")),
                                dbc.Select(
                                    id=Ids.EMU_GRACE,
                                    options=[{"label": f"{g:g} months", "value": f"{g:g}"} for g in GRACE_CHOICES],
                                    value=f"{DEFAULT_GRACE:g}",
                                ),
                            ],
                            size="sm",
                        ),
                        md=4,
                    ),
                    dbc.Col(
                        dbc.RadioItems(
                            id=Ids.EMU_THERAPY,
                            options=[
                                {"label": N_("any post-progression therapy"), "value": "any"},
                                {"label": N_("an immune checkpoint inhibitor"), "value": "ici"},
                            ],
                            value="any",
                            inline=True,
                            className="small",
                        ),
                        md=8,
                    ),
                ],
                className="g-2 align-items-center",
            ),
            dcc.Loading(html.Div(id=Ids.EMU_OUTPUT), delay_show=150),
            html.Div(
                [
                    dbc.Button(
                        f"Bootstrap CIs and bands ({BOOTSTRAP_RESAMPLES} resamples)",
                        id=Ids.EMU_RUN,
                        size="sm",
                        color="primary",
                        className="me-2",
                    ),
                    dbc.Button(N_("Cancel"), id=Ids.EMU_CANCEL, size="sm", color="secondary", disabled=True),
                    dbc.Progress(id=Ids.EMU_PROGRESS, value=0, className="mt-2", style={"height": "1.1rem"}),
                ],
                className="mt-2",
            ),
            html.Div(id=Ids.EMU_BOOT_OUTPUT),
            html.Div(reproduce_menu("emulation"), className="mt-2"),
        ],
        id=Ids.EMU_PANEL,
        className="mt-3",
    )


def _ci(value: Interval, digits: int = 2) -> str:
    if value.estimate is None:
        return N_("not estimable")
    lo, hi = value.ci
    if lo is None and hi is None:
        return f"{fmt_num(value.estimate, digits)} (CI: run the bootstrap)"
    if (lo is not None and lo < 0) or value.estimate < 0:  # a difference: "to", so a minus sign is not a dash
        return f"{fmt_num(value.estimate, digits)} ({fmt_num(lo, digits)} to {fmt_num(hi, digits)})"
    return f"{fmt_num(value.estimate, digits)} ({fmt_ci(lo, hi, digits)})"


def _model_ci(value: Interval) -> str:
    if value.estimate is None:
        return N_("not estimable")
    lo, hi = value.ci
    return f"{value.estimate:.2f} ({fmt_ci(lo, hi, 2)})"


def comparison_rows(result: EmulationResult) -> list[list[str]]:
    """The emulation beside the naive and time-varying analyses (the guard's landmark and Simon–Makuch are above)."""
    name = "therapy" if result.therapy == "any" else N_("ICI")
    return [
        [f"Naive (study-style): OS from first-line start, {name} ever received vs not", _model_ci(result.naive),
         N_("biased: immortal time and confounding")],
        [N_("Time-varying Cox from progression, unadjusted"), _model_ci(result.time_varying_unadjusted),
         N_("confounded by fitness")],
        [N_("Time-varying Cox from progression, adjusted for the model's covariates"), _model_ci(result.time_varying),
         "adjusted"],
        [f"Emulated trial: start {name} within {result.grace:g} months vs not (weighted Cox, bootstrap CI)",
         _ci(result.hr), N_("emulated trial")],
        [N_("Emulated trial, same HR with the robust (sandwich) CI by patient, weights taken as known"),
         _model_ci(result.hr_robust), N_("emulated trial")],
        [f"Emulated trial: RMST difference at {result.tau:g} months (months)", _ci(result.rmst_difference),
         N_("emulated trial")],
    ]  # fmt: skip


def flow_rows(result: EmulationResult) -> list[list[str]]:
    rows = [[N_("Patients in the cohort (after the filters)"), f"{result.n_total}"]]
    rows += [[f"Excluded: {e.reason}", f"{e.n}"] for e in result.exclusions]
    rows.append([N_("Eligible: progressed and alive after the day of progression (time zero)"), f"{result.n_eligible}"])
    rows.append([f"Started the therapy within {result.grace:g} months", f"{result.n_treated_within_grace}"])
    return rows


def arm_rows(result: EmulationResult) -> list[list[str]]:
    rows = []
    for arm in result.arms:
        at = [f"{100 * p.survival:.1f}%" + (f" ({fmt_ci(_pct(p.ci[0]), _pct(p.ci[1]))})" if p.ci[0] is not None else "")
              for p in arm.survival]  # fmt: skip
        rows.append(
            [arm.label, f"{arm.n_clones}", f"{arm.n_deviated}", f"{arm.events}", f"{arm.ess:.0f}", _ci(arm.median, 1),
             *at]
        )  # fmt: skip
    return rows


def _pct(value: float | None) -> float | None:
    return None if value is None else 100 * value


def weight_rows(result: EmulationResult) -> list[list[str]]:
    w = result.weights
    return [
        [N_("Model of therapy start"), w.model],
        [N_("Covariates"), ", ".join(w.covariates) or "none"],
        [N_("Truncation"), _truncation(result)],
        [N_("Final weights"), f"mean {w.mean:.2f}, max {w.maximum:.2f}"],
        [N_("Effective sample size"), f"no treat {w.ess_no_treat:.0f}, treat {w.ess_treat:.0f} of {result.n_eligible}"],
    ]


def _truncation(result: EmulationResult) -> str:
    w = result.weights
    if w.truncation_percentile >= 100:
        return f"none: weights are truncated only if one exceeds {EXPLODING_WEIGHT:g}"
    return f"at the {w.truncation_percentile:g}th percentile ({w.n_truncated} clone weights truncated)"


def curves_figure(result: EmulationResult, *, title: str = "") -> dict[str, Any]:
    """Weighted KM per arm from progression, with the bootstrap 95% band when it has been computed.

    The KM figure's grammar (:func:`app.components.km_figure.layout_curves`): legend above the curves, the
    colours of the same groups in the naive figure (``pp_received``), margins from the measured labels.
    """
    traces: list[dict[str, Any]] = []
    for position, arm in enumerate(result.arms):
        colour = group_colour("pp_received", "1" if arm.arm == "treat" else "0", position)
        if all(v == v for v in arm.band_lower):  # bands exist (no NaN)
            traces.append(
                {
                    "type": "scatter",
                    "x": [*arm.curve_time, *arm.curve_time[::-1]],
                    "y": [*arm.band_upper, *arm.band_lower[::-1]],
                    "fill": "toself",
                    "fillcolor": colour,
                    "opacity": 0.18,
                    "line": {"width": 0},
                    "hoverinfo": "skip",
                    "showlegend": False,
                }
            )
        traces.append(
            {
                "type": "scatter",
                "x": list(arm.curve_time),
                "y": list(arm.curve_survival),
                "mode": "lines",
                "line": {"color": colour, "width": 2.5, "shape": "hv"},
                "name": arm.label,
            }
        )
    longest = max((t for arm in result.arms for t in arm.curve_time), default=1.0)
    ticks = tick_times(longest)
    figure = {
        "data": traces,
        "layout": {
            "template": template(),
            "font": {"family": FONT_FAMILY, "size": FONT_PX},
            "meta": {"plot_px": 300},
            "xaxis": {
                "title": {"text": N_("Months since progression (time zero)")},
                "tickvals": list(ticks),
                "range": padded_range(0.0, ticks[-1]),
            },
            "yaxis": {
                "title": {"text": N_("Survival (weighted)")},
                "range": [0, 1.02],
                "tickformat": ".0%",
                "tickvals": [0, 0.2, 0.4, 0.6, 0.8, 1.0],
            },
        },
    }
    return layout_curves(figure, FONT_PX, title=title, x_last=f"{ticks[-1]:g}")


def result_block(result: EmulationResult, command: str | None = None) -> html.Div:
    name = "therapy" if result.therapy == "any" else N_("ICI")
    columns = [f"{p.time:g}-month survival" for p in result.arms[0].survival]
    return html.Div(
        [
            html.P(result.summary(), className="small fw-semibold mt-2", id=Ids.EMU_SUMMARY),
            *[dbc.Alert(note, color="warning", className="small py-2 mb-2") for note in result.notes],
            simple_table(
                [N_("Analysis"), N_("HR (95% CI)"), ""],
                comparison_rows(result),
                id_=Ids.EMU_TABLE,
                caption=f"Hazard ratios for {name} vs none. Naive and time-varying CIs are model-based; the "
                "emulated trial's come from the bootstrap over patients (the whole procedure re-run each time).",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        small_figure(
                            f"Emulated trial: survival from progression by strategy (grace {result.grace:g} months)",
                            Ids.EMU_FIGURE,
                            curves_figure(result),
                        ),
                        lg=7,
                    ),
                    dbc.Col(
                        simple_table(
                            [N_("Eligibility"), "n"],
                            flow_rows(result),
                            id_=Ids.EMU_FLOW,
                            caption="Who enters the trial.",
                        ),
                        lg=5,
                    ),
                ]
            ),
            simple_table(
                [
                    N_("Arm"),
                    N_("Clones"),
                    N_("Censored on deviation"),
                    N_("Deaths"),
                    N_("ESS"),
                    N_("Median (months)"),
                    *columns,
                ],
                arm_rows(result),
                caption=f"Weighted Kaplan–Meier per arm; RMST horizon {TAU:g} months.",
            ),
            simple_table([N_("Weights"), ""], weight_rows(result), id_=Ids.EMU_WEIGHTS),
            command_block(command, "emulate-command-line") if command else None,
        ]
    )
