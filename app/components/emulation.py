"""The target-trial panel: post-progression therapy compared as an emulated trial (clone–censor–weight)."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from analysis.emulate import EXPLODING_WEIGHT, THERAPY_LABELS, EmulationArm, EmulationResult, Interval
from analysis.formatting import fmt_ci, fmt_num
from analysis.schema import column_label
from app.components.command import command_block
from app.components.covariate_labels import covariate_text
from app.components.km_figure import layout_curves, padded_range, small_figure, template, tick_times
from app.components.palette import FONT_FAMILY, group_colour
from app.components.panel_export import export_controls
from app.components.tables import simple_table
from app.emulation_views import BOOTSTRAP_RESAMPLES, DEFAULT_GRACE, GRACE_CHOICES, TAU
from app.exporting import ExportTable
from app.i18n import N_, Lang, join_list, refusals, t, tr
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


def panel(lang: Lang = "en", key: str | None = None) -> html.Div:
    """Controls, the point estimate (rendered at once) and the bootstrap job's output. ``key``: the URL the
    estimate is for when the page opens (the Survival page: only while its guard shows the panel), else None."""
    return html.Div(
        [
            dcc.Store(id=Ids.EMU_KEY, data=key),
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
                                    options=[
                                        {"label": t(lang, "{n} months", n=f"{g:g}"), "value": f"{g:g}"}
                                        for g in GRACE_CHOICES
                                    ],
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
                        t(lang, "Bootstrap CIs and bands ({n} resamples)", n=BOOTSTRAP_RESAMPLES),
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
            export_controls(Ids.EMU_EXPORT_PNG, Ids.EMU_EXPORT_XLSX, Ids.EMU_DOWNLOAD, "emulation"),
        ],
        id=Ids.EMU_PANEL,
        className="mt-3",
    )


def _ci(value: Interval, digits: int = 2, lang: Lang = "en") -> str:
    if value.estimate is None:
        return t(lang, "not estimable")
    lo, hi = value.ci
    if lo is None and hi is None:
        return t(lang, "{estimate} (CI: run the bootstrap)", estimate=fmt_num(value.estimate, digits))
    if (lo is not None and lo < 0) or value.estimate < 0:  # a difference: "to", so a minus sign is not a dash
        return t(
            lang,
            "{estimate} ({low} to {high})",
            estimate=fmt_num(value.estimate, digits),
            low=fmt_num(lo, digits),
            high=fmt_num(hi, digits),
        )
    return f"{fmt_num(value.estimate, digits)} ({fmt_ci(lo, hi, digits)})"


def _months_ci(value: Interval, lang: Lang) -> str:
    """A difference in months with its CI, the unit after the number ("1.72 months (0.10 to 3.2)")."""
    if value.estimate is None:
        return t(lang, "not estimable")
    estimate, (lo, hi) = fmt_num(value.estimate, 2), value.ci
    if lo is None and hi is None:
        return t(lang, "{estimate} months (CI: run the bootstrap)", estimate=estimate)
    return t(lang, "{estimate} months ({low} to {high})", estimate=estimate, low=fmt_num(lo, 2), high=fmt_num(hi, 2))


def _model_ci(value: Interval) -> str:
    if value.estimate is None:
        return N_("not estimable")
    lo, hi = value.ci
    return f"{value.estimate:.2f} ({fmt_ci(lo, hi, 2)})"


EXCLUSION_REASONS: tuple[str, ...] = (
    N_("no progression recorded"),
    N_("died or last seen on the day of progression"),
    N_("therapy start date unknown"),
)
"""The fixed reasons of :func:`analysis.emulate` eligibility, marked for extraction ("missing X" is worded here)."""
WEIGHT_MODEL_TEXT = N_(
    "pooled logistic regression of therapy start over weekly intervals of the grace period: "
    "logit P(start in week k | alive and untreated at its start) = a0 + a1 k/K + a2 (k/K)^2 + b'x + c'z k/K, "
    "x all covariates, z the measurements at progression (the baseline covariates when there are none)"
)
""":data:`analysis.emulate.WEIGHT_MODEL`, marked for extraction (a test checks they are the same)."""


THERAPY_NAMES: tuple[str, ...] = (N_("any post-progression therapy"), N_("an immune checkpoint inhibitor"))
""":data:`analysis.emulate.THERAPY_LABELS`, marked for extraction."""


def _therapy(result: EmulationResult, lang: Lang) -> str:
    return t(lang, "therapy") if result.therapy == "any" else "ICI"


def summary_text(result: EmulationResult, lang: Lang = "en") -> str:
    """:meth:`EmulationResult.summary` in ``lang``."""
    if lang == "en":
        return result.summary()
    line = t(
        lang,
        "Emulated trial (grace {grace} months, {therapy}): HR {hr}; RMST difference at {tau} months {rmst}",
        grace=f"{result.grace:g}",
        therapy=t(lang, THERAPY_LABELS[result.therapy]),
        hr=_ci(result.hr, lang=lang),
        tau=f"{result.tau:g}",
        rmst=_months_ci(result.rmst_difference, lang),
    )
    return t(lang, "{line} (baseline covariates only)", line=line) if result.baseline_only else line


def arm_label(arm: EmulationArm, result: EmulationResult, lang: Lang = "en") -> str:
    """An arm's name in ``lang`` ("Therapy within 3 months")."""
    if lang == "en":
        return arm.label
    grace = f"{result.grace:g}"
    if result.therapy == "any":
        if arm.arm == "treat":
            return t(lang, "Therapy within {grace} months", grace=grace)
        return t(lang, "No therapy within {grace} months", grace=grace)
    if arm.arm == "treat":
        return t(lang, "ICI within {grace} months", grace=grace)
    return t(lang, "No ICI within {grace} months", grace=grace)


def _notes(result: EmulationResult, lang: Lang) -> list[str]:
    """The emulation's notes in ``lang`` (a column by its label)."""
    return refusals.notes(lang, result.notes, result.wording)


def comparison_rows(result: EmulationResult, lang: Lang = "en") -> list[list[str]]:
    """The emulation beside the naive and time-varying analyses (the guard's landmark and Simon–Makuch are above)."""
    name = _therapy(result, lang)
    grace, tau = f"{result.grace:g}", f"{result.tau:g}"
    return [
        [t(lang, "Naive (study-style): OS from first-line start, {name} ever received vs not", name=name),
         _model_ci(result.naive), N_("biased: immortal time and confounding")],
        [N_("Time-varying Cox from progression, unadjusted"), _model_ci(result.time_varying_unadjusted),
         N_("confounded by fitness")],
        [N_("Time-varying Cox from progression, adjusted for the model's covariates"), _model_ci(result.time_varying),
         N_("adjusted")],
        [t(lang, "Emulated trial: start {name} within {grace} months vs not (weighted Cox, bootstrap CI)", name=name,
           grace=grace), _ci(result.hr, lang=lang), N_("emulated trial")],
        [N_("Emulated trial, same HR with the robust (sandwich) CI by patient, weights taken as known"),
         _model_ci(result.hr_robust), N_("emulated trial")],
        [t(lang, "Emulated trial: RMST difference at {tau} months (months)", tau=tau),
         _ci(result.rmst_difference, lang=lang), N_("emulated trial")],
    ]  # fmt: skip


def _comparison_caption(result: EmulationResult, lang: Lang) -> str:
    return t(
        lang,
        "Hazard ratios for {name} vs none. Naive and time-varying CIs are model-based; the emulated "
        "trial's come from the bootstrap over patients (the whole procedure re-run each time).",
        name=_therapy(result, lang),
    )


def export_tables(result: EmulationResult, lang: Lang = "en") -> list[ExportTable]:
    """The page's two tables as export tables in ``lang``: the emulated trial beside the naive and time-varying
    analyses, and who enters the trial (the export's footer carries the caveat and the method)."""
    comparison = ExportTable(
        "emulation-comparison",
        summary_text(result, lang),
        (t(lang, "Analysis"), t(lang, "HR (95% CI)"), t(lang, "Reading")),
        tuple(tuple(tr(lang, cell) for cell in row) for row in comparison_rows(result, lang)),
        notes=(_comparison_caption(result, lang), *_notes(result, lang)),
    )
    flow = ExportTable(
        "emulation-flow",
        t(lang, "Who enters the trial."),
        (t(lang, "Eligibility"), "n"),
        tuple((tr(lang, label), int(n)) for label, n in flow_rows(result, lang)),
    )
    return [comparison, flow]


def _reason(reason: str, lang: Lang) -> str:
    if reason.startswith("missing ") and reason not in EXCLUSION_REASONS:
        return t(lang, "missing {name}", name=tr(lang, column_label(reason.removeprefix("missing "))))
    return tr(lang, reason)


def flow_rows(result: EmulationResult, lang: Lang = "en") -> list[list[str]]:
    rows = [[N_("Patients in the cohort (after the filters)"), f"{result.n_total}"]]
    rows += [[t(lang, "Excluded: {reason}", reason=_reason(e.reason, lang)), f"{e.n}"] for e in result.exclusions]
    rows.append([N_("Eligible: progressed and alive after the day of progression (time zero)"), f"{result.n_eligible}"])
    rows.append(
        [
            t(lang, "Started the therapy within {grace} months", grace=f"{result.grace:g}"),
            f"{result.n_treated_within_grace}",
        ]
    )
    return rows


def arm_rows(result: EmulationResult, lang: Lang = "en") -> list[list[str]]:
    rows = []
    for arm in result.arms:
        at = [f"{100 * p.survival:.1f}%" + (f" ({fmt_ci(_pct(p.ci[0]), _pct(p.ci[1]))})" if p.ci[0] is not None else "")
              for p in arm.survival]  # fmt: skip
        rows.append(
            [arm_label(arm, result, lang), f"{arm.n_clones}", f"{arm.n_deviated}", f"{arm.events}", f"{arm.ess:.0f}",
             _ci(arm.median, 1, lang),
             *at]
        )  # fmt: skip
    return rows


def _pct(value: float | None) -> float | None:
    return None if value is None else 100 * value


def weight_rows(result: EmulationResult, lang: Lang = "en") -> list[list[str]]:
    w = result.weights
    covariates = join_list(lang, (covariate_text(c, lang) for c in w.covariates)) or t(lang, "none")
    return [
        [N_("Model of therapy start"), tr(lang, w.model)],
        [N_("Covariates"), covariates],
        [N_("Truncation"), _truncation(result, lang)],
        [N_("Final weights"), t(lang, "mean {mean}, max {max}", mean=f"{w.mean:.2f}", max=f"{w.maximum:.2f}")],
        [
            N_("Effective sample size"),
            t(
                lang,
                "no treat {no_treat}, treat {treat} of {n}",
                no_treat=f"{w.ess_no_treat:.0f}",
                treat=f"{w.ess_treat:.0f}",
                n=result.n_eligible,
            ),
        ],
    ]


def _truncation(result: EmulationResult, lang: Lang = "en") -> str:
    w = result.weights
    if w.truncation_percentile >= 100:
        return t(lang, "none: weights are truncated only if one exceeds {limit}", limit=f"{EXPLODING_WEIGHT:g}")
    return t(
        lang,
        "at the {percentile}th percentile ({n} clone weights truncated)",
        percentile=f"{w.truncation_percentile:g}",
        n=w.n_truncated,
    )


def curves_figure(result: EmulationResult, *, title: str = "", lang: Lang = "en") -> dict[str, Any]:
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
                "name": arm_label(arm, result, lang),
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


def result_block(result: EmulationResult, command: str | None = None, lang: Lang = "en") -> html.Div:
    columns = [t(lang, "{months}-month survival", months=f"{p.time:g}") for p in result.arms[0].survival]
    return html.Div(
        [
            html.P(summary_text(result, lang), className="small fw-semibold mt-2", id=Ids.EMU_SUMMARY),
            *[dbc.Alert(note, color="warning", className="small py-2 mb-2") for note in _notes(result, lang)],
            simple_table(
                [N_("Analysis"), N_("HR (95% CI)"), ""],
                comparison_rows(result, lang),
                id_=Ids.EMU_TABLE,
                caption=_comparison_caption(result, lang),
            ),
            dbc.Row(
                [
                    dbc.Col(
                        small_figure(
                            t(
                                lang,
                                "Emulated trial: survival from progression by strategy (grace {grace} months)",
                                grace=f"{result.grace:g}",
                            ),
                            Ids.EMU_FIGURE,
                            curves_figure(result, lang=lang),
                        ),
                        lg=7,
                    ),
                    dbc.Col(
                        simple_table(
                            [N_("Eligibility"), "n"],
                            flow_rows(result, lang),
                            id_=Ids.EMU_FLOW,
                            caption=N_("Who enters the trial."),
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
                arm_rows(result, lang),
                caption=t(lang, "Weighted Kaplan–Meier per arm; RMST horizon {tau} months.", tau=f"{TAU:g}"),
            ),
            simple_table([N_("Weights"), ""], weight_rows(result, lang), id_=Ids.EMU_WEIGHTS),
            command_block(command, "emulate-command-line") if command else None,
        ]
    )
