"""The Cox page's AFT check: Weibull, log-normal and log-logistic accelerated-failure-time models (lifelines) on
the Cox model's covariates, reference levels and filters, as a check of the proportional-hazards story.

Per term: the Cox HR beside each AFT model's time ratio (95% CI) and a one-line reading (a time ratio above 1 is
longer survival; consistent with the Cox HR's direction or not). Below: each model's AIC and scale, the models
that could not be fitted with the reason, and the immortal-time caveat of post-baseline covariates.
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from analysis.formatting import fmt_hr
from analysis.messages import Message
from analysis.parametric import AFT_MODELS, LIBRARY_FAILURE, LIBRARY_WARNING, MODEL_LABELS, AFTModel, AFTReading
from app.i18n import N_, Lang, t, tr
from app.i18n.caveats import footer as caveat_footer
from app.i18n.cox import word as cox_word
from app.ids import Ids
from app.parametric_views import AFTView
from app.views import term_label

TITLE = N_("Parametric (AFT) check of the proportional-hazards story")
INTRO = N_(
    "Weibull, log-normal and log-logistic accelerated-failure-time models on the same covariates, reference levels "
    "and filters as the Cox model. A time ratio above 1 means longer survival (the opposite direction to a hazard "
    "ratio). If the three models point the same way as the Cox hazard ratio, the proportional-hazards story holds "
    "up; a disagreement is worth a look at the proportional-hazards check above."
)
READINGS: dict[tuple[str, str], str] = {
    ("longer", "consistent"): N_(
        "Longer survival in every fitted AFT model (time ratios {low}–{high}), consistent with the Cox HR {hr}."
    ),
    ("shorter", "consistent"): N_(
        "Shorter survival in every fitted AFT model (time ratios {low}–{high}), consistent with the Cox HR {hr}."
    ),
    ("longer", "opposite"): N_(
        "Longer survival in every fitted AFT model (time ratios {low}–{high}), but the Cox HR {hr} points "
        "the other way: check proportional hazards."
    ),
    ("shorter", "opposite"): N_(
        "Shorter survival in every fitted AFT model (time ratios {low}–{high}), but the Cox HR {hr} points "
        "the other way: check proportional hazards."
    ),
    ("longer", "no_cox"): N_(
        "Longer survival in every fitted AFT model (time ratios {low}–{high}); no Cox HR to compare."
    ),
    ("shorter", "no_cox"): N_(
        "Shorter survival in every fitted AFT model (time ratios {low}–{high}); no Cox HR to compare."
    ),
    ("mixed", "mixed"): N_("The AFT models disagree on the direction (time ratios {low}–{high}): no clear reading."),
    ("none", "no_cox"): N_("No AFT model could be fitted."),
}


REASONS: tuple[str, ...] = (
    N_("all {events} events are at one time ({time}), so the shape cannot be estimated"),
    N_("did not converge"),
    N_("did not converge (log-likelihood not finite)"),
    N_("did not converge (the standard errors are not finite: a coefficient runs off to infinity)"),
    N_(
        "did not converge (the coefficient of {term} runs off to infinity: its time ratio's CI reaches 0 or infinity, "
        "as when a covariate's level has no events)"
    ),
    N_("fitted at lifelines' default tolerance (the tight one stopped short: precision loss)"),
)
"""The templates of :data:`analysis.parametric.AFT_TEMPLATES` worded with their own parameters."""
LIBRARY_WORDING: dict[str, str] = {
    LIBRARY_FAILURE: N_("did not converge (the fitting library stopped with {kind})"),
    LIBRARY_WARNING: N_("the fitting library warned ({kind})"),
}
"""A library's exception or warning in a translation: its class only (the library's own text is English)."""


def _worded(model: AFTModel, message: Message, lang: Lang) -> str:
    """One reason or note of ``model`` in ``lang`` (English: the analysis text): the term named by its label."""
    if lang == "en":
        return message.text()
    params = dict(message.mapping)
    template = LIBRARY_WORDING.get(message.template, message.template)
    if "term" in params:
        found = next((x for x in model.terms if x.term == params["term"]), None)
        params["term"] = term_label(found, lang) if found is not None else params["term"]
    return t(lang, template, **params)


def section() -> html.Div:
    """The section's place on the Cox page (filled by :mod:`app.pages.aft_panel`)."""
    return html.Div(
        [
            html.H3(TITLE, className="h6 mt-3"),
            html.P(INTRO, className="small text-muted mb-1"),
            dcc.Loading(html.Div(id=Ids.COX_AFT), delay_show=150),
        ],
        id=Ids.COX_AFT_SECTION,
    )


def _ratio(value: float, ci: tuple[float, float]) -> str:
    return fmt_hr(value, ci)


def reading_text(reading: AFTReading, lang: Lang = "en") -> str:
    template = READINGS.get((reading.direction, reading.agreement), READINGS[("none", "no_cox")])
    return t(
        lang,
        template,
        low=f"{reading.low:.2f}" if reading.low is not None else "–",
        high=f"{reading.high:.2f}" if reading.high is not None else "–",
        hr=f"{reading.hazard_ratio:.2f}" if reading.hazard_ratio is not None else "–",
    )


def header(lang: Lang = "en") -> list[str]:
    return [
        t(lang, "Term"),
        t(lang, "Cox HR (95% CI)"),
        *(t(lang, "{model}: time ratio (95% CI)", model=t(lang, MODEL_LABELS[m])) for m in AFT_MODELS),
        t(lang, "Reading"),
    ]


def rows(view: AFTView, lang: Lang = "en") -> list[list[str]]:
    """One row per term: label, Cox HR, each AFT model's time ratio ("not fitted" where it was not), reading."""
    if view.result is None:
        return []
    models = {m.model: m for m in view.result.models}
    cox = {term: (hr, (low, high)) for term, hr, low, high in view.hazard_ratios}
    readings = {r.term: r for r in view.readings}
    first = next((m for m in view.result.models if m.terms), None)
    out = []
    for term in first.terms if first else ():
        cells = [term_label(term, lang), fmt_hr(*cox[term.term]) if term.term in cox else "–"]
        for model in AFT_MODELS:
            fit = models.get(model)
            found = next((x for x in fit.terms if x.term == term.term), None) if fit and fit.fitted else None
            cells.append(_ratio(found.time_ratio, found.ci) if found else t(lang, "not fitted"))
        cells.append(reading_text(readings[term.term], lang) if term.term in readings else "")
        out.append(cells)
    return out


def model_lines(view: AFTView, lang: Lang = "en") -> list[str]:
    """Each model's AIC and scale, or why it was not fitted."""
    if view.result is None:
        return []
    lines = []
    for m in view.result.models:
        label = t(lang, MODEL_LABELS[m.model])
        if m.fitted and m.aic is not None and m.scale is not None:
            lines.append(
                t(lang, "{model}: AIC {aic}, scale {scale}.", model=label, aic=f"{m.aic:.1f}", scale=f"{m.scale:.3f}")
            )
        else:
            reason = _worded(m, m.why, lang) if m.why is not None else tr(lang, m.reason or "–")
            lines.append(t(lang, "{model}: not fitted: {reason}.", model=label, reason=reason))
    return lines


def result_block(view: AFTView, lang: Lang = "en") -> Any:
    if view.result is None:
        note = cox_word(lang, view.wording) if view.wording is not None else tr(lang, view.message or "Nothing to fit.")
        return dbc.Alert(note, color="secondary", className="small")
    r = view.result
    fitted = [m for m in r.models if m.fitted and m.aic is not None]
    best = min(fitted, key=lambda m: float(m.aic or 0.0)).model if fitted else None
    table = dbc.Table(
        [
            html.Thead(html.Tr([html.Th(h) for h in header(lang)])),
            html.Tbody([html.Tr([html.Td(c) for c in row]) for row in rows(view, lang)]),
        ],
        striped=True,
        hover=True,
        size="sm",
        className="mb-1",
        id=Ids.COX_AFT_TABLE,
    )
    caption = t(
        lang,
        "n = {n}, events = {events}, excluded for missing values = {excluded}. Wald 95% CIs. Lowest AIC: {best}.",
        n=r.n,
        events=r.n_events,
        excluded=r.n_excluded,
        best=t(lang, MODEL_LABELS[best]) if best else "–",
    )
    parts: list[Any] = [
        html.Div(table, className="table-responsive"),
        html.Small(caption, className="text-muted d-block"),
        html.Ul([html.Li(line) for line in model_lines(view, lang)], className="small mb-1", id=Ids.COX_AFT_MODELS),
    ]
    caveat = caveat_footer(view.caveats, lang)
    if caveat:
        parts.append(
            dbc.Alert(
                t(
                    lang,
                    "{caveat} The time ratios of these covariates carry the same bias as their hazard ratios; the "
                    "time-varying Cox model above is their corrected counterpart.",
                    caveat=caveat,
                ),
                color="danger",
                className="small py-2",
            )
        )
    notes = [
        t(lang, "{model}: {note}", model=t(lang, MODEL_LABELS[m.model]), note=note)
        for m in r.models
        for note in ([_worded(m, n, lang) for n in m.wording] if m.wording else [tr(lang, n) for n in m.notes])
    ]
    parts += [html.P(n, className="small text-muted mb-0") for n in notes[:6]]
    return html.Div(parts)


__all__ = ["READINGS", "header", "model_lines", "reading_text", "result_block", "rows", "section"]
