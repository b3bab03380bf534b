"""The Survival page's Parametric section as exports and slides (view kind ``parametric``).

:mod:`app.components.panel_slides` dispatches to these for a ``parametric`` :class:`~app.components.presenter.ViewRef`,
as it does for the adjusted and emulation panels: the fitted curves over the KM (only each group's chosen model: an
image has no legend to click), the chosen models' numbers as the slide's table, the method for the footer and the
extrapolation statement as the slide's note and the export footer's caveat. The view's RMST horizon and hazard
bandwidth travel in :attr:`ViewRef.option <app.components.presenter.ViewRef.option>` (:func:`option_of`), so a
deck token (``parametric.os.first_line.h24-b3p5``) redraws the section as it was on the page.
"""

from __future__ import annotations

import math
import re
from typing import Any

from analysis.filters import FilterSpec
from analysis.parametric import ParametricResult
from analysis.schema import ENDPOINTS
from app.components import parametric_figures as figures
from app.components.palette import grouping_label, grouping_phrase, level_label
from app.exporting import Cell, ExportTable, SlideTable
from app.i18n import N_, Lang, t, tr
from app.i18n.filters import describe as describe_filters
from app.parametric_views import ParametricView, parametric_view

_OPTION = re.compile(r"^(?:h(?P<h>\d+(?:p\d+)?))?-?(?:b(?P<b>\d+(?:p\d+)?))?$")


def _number(value: float) -> str:
    return f"{value:g}".replace(".", "p")


def option_of(horizon: float | None, bandwidth: float | None) -> str:
    """The section's settings as a token part: ``h24-b3p5`` (horizon 24, bandwidth 3.5); '' for the defaults."""
    parts = []
    if horizon is not None and math.isfinite(horizon) and horizon > 0:
        parts.append(f"h{_number(horizon)}")
    if bandwidth is not None and math.isfinite(bandwidth) and bandwidth > 0:
        parts.append(f"b{_number(bandwidth)}")
    return "-".join(parts)


def settings_of(option: str) -> tuple[float | None, float | None] | None:
    """(horizon, bandwidth) of an option (None each for the default); None for a malformed option."""
    found = _OPTION.match(option or "")
    if found is None:
        return None

    def value(text: str | None) -> float | None:
        number = float(text.replace("p", ".")) if text else None
        return number if number is not None and number > 0 else None

    return value(found.group("h")), value(found.group("b"))


def _view(option: str, endpoint: str, grouping: str | None, fingerprint: str, spec: FilterSpec) -> ParametricView:
    horizon, bandwidth = settings_of(option) or (None, None)
    return parametric_view(fingerprint, spec, endpoint, grouping, bandwidth, horizon)


def title(endpoint: str, grouping: str | None, lang: Lang = "en") -> str:
    label = t(lang, ENDPOINTS[endpoint][2])
    if not grouping:
        return t(lang, "Parametric survival models: {endpoint}", endpoint=label)
    return t(
        lang,
        "Parametric survival models: {endpoint} by {grouping}",
        endpoint=label,
        grouping=grouping_phrase(grouping, lang),
    )


def subtitle(option: str, grouping: str | None, spec: FilterSpec, lang: Lang = "en") -> str:
    """Grouping, the section's settings when they are not the defaults, and the filters."""
    grouping_text = grouping_label(grouping, lang) if grouping else t(lang, "all patients")
    parts = [t(lang, "Grouping: {grouping}", grouping=grouping_text)]
    horizon, bandwidth = settings_of(option) or (None, None)
    if horizon is not None:
        parts.append(t(lang, "RMST horizon: {horizon} months", horizon=f"{horizon:g}"))
    if bandwidth is not None:
        parts.append(t(lang, "Hazard bandwidth: {bandwidth} months", bandwidth=f"{bandwidth:g}"))
    parts.append(t(lang, "Filters: {filters}", filters=describe_filters(spec, lang)))
    return " · ".join(parts)


def figure(
    option: str,
    endpoint: str,
    grouping: str | None,
    fingerprint: str,
    spec: FilterSpec,
    lang: Lang = "en",
    *,
    size: tuple[int, int] | None = None,
    font_size: int | None = None,
    contrast: Any = None,
) -> dict[str, Any] | None:
    """The fitted curves over the KM (None when nothing was fitted); for a slide, through ``contrast`` at
    ``font_size`` and sized to ``size``."""
    view = _view(option, endpoint, grouping, fingerprint, spec)
    if view.result is None or view.km is None:
        return None
    drawn = figures.overlay_figure(view.result, view.km, grouping, lang, static=True)
    if font_size is None:
        return drawn
    drawn["layout"]["title"] = {"text": ""}  # the slide's title says it
    drawn["layout"]["annotations"][0]["font"] = {"size": round(font_size * 0.8), "color": "#555"}
    if contrast is not None:
        drawn = contrast(drawn, font_size)
    if size is not None:
        width, height = size
        drawn["layout"] |= {"width": width, "height": height, "margin": {"l": 110, "r": 30, "t": 20, "b": 90}}
    return drawn


def _chosen_rows(result: ParametricResult, grouping: str | None, lang: Lang) -> tuple[tuple[str, ...], ...]:
    rows = []
    for g in result.groups:
        fit = g.fit(g.chosen) if g.chosen else None
        name = level_label(grouping, g.group, lang)
        if fit is None:
            rows.append((name, t(lang, "not fitted"), "–", "–"))
            continue
        rows.append(
            (
                name,
                figures.model_label(fit.model, lang),
                figures.estimate_text(fit.rmst, lang),
                figures.estimate_text(fit.mean, lang),
            )
        )
    return tuple(rows)


def table(
    option: str, endpoint: str, grouping: str | None, fingerprint: str, spec: FilterSpec, lang: Lang = "en"
) -> SlideTable | None:
    """Per group: the chosen model, its RMST and extrapolated mean (95% CI); the medians are in the exported tables."""
    result = _view(option, endpoint, grouping, fingerprint, spec).result
    if result is None:
        return None
    header = (
        t(lang, "Group"),
        t(lang, "Model (lowest AIC)"),
        t(lang, "RMST, {horizon} months (95% CI)", horizon=f"{result.horizon:.3g}"),
        t(lang, "Mean, extrapolated (95% CI)"),
    )
    return SlideTable(header, _chosen_rows(result, grouping, lang))


def method(
    option: str, endpoint: str, grouping: str | None, fingerprint: str, spec: FilterSpec, lang: Lang = "en"
) -> str | None:
    result = _view(option, endpoint, grouping, fingerprint, spec).result
    if result is None:
        return None
    return t(
        lang,
        "parametric survival models fitted by maximum likelihood (lifelines), the lowest AIC chosen per group; RMST "
        "to {horizon} months and the extrapolated mean with delta-method 95% CIs",
        horizon=f"{result.horizon:.3g}",
    )


def caveat(lang: Lang = "en") -> str:
    """The extrapolation statement (:data:`analysis.parametric.EXTRAPOLATION_STATEMENT`) in ``lang``."""
    from analysis.parametric import EXTRAPOLATION_STATEMENT

    return tr(lang, EXTRAPOLATION_STATEMENT)


YES_NO: tuple[str, str] = (N_("yes"), N_("no"))
"""The fits table's Fitted / Chosen cells."""


def export_tables(
    option: str, endpoint: str, grouping: str | None, fingerprint: str, spec: FilterSpec, lang: Lang = "en"
) -> list[ExportTable]:
    """Every model of every group: fit (log L, AIC, BIC, median, chosen or why not fitted), RMST and mean, in
    ``lang``."""
    result = _view(option, endpoint, grouping, fingerprint, spec).result
    if result is None:
        return []
    yes, no = (t(lang, word) for word in YES_NO)
    fits: list[tuple[Cell, ...]] = []
    means: list[tuple[Cell, ...]] = []
    for g in result.groups:
        name = level_label(grouping, g.group, lang)
        for f in g.fits:
            label = figures.model_label(f.model, lang)
            fits.append(
                (name, label, yes if f.fitted else no, yes if f.chosen else "", f.log_likelihood, f.aic,
                 f.bic, f.median, figures.reason_text(f, lang))
            )  # fmt: skip
            if f.fitted:
                rmst, mean = f.rmst, f.mean
                means.append((name, label, *_estimate_cells(rmst, lang), *_estimate_cells(mean, lang)))
    fit_header = (N_("Group"), N_("Model"), N_("Fitted"), N_("Chosen"), "log L", "AIC", "BIC", N_("Median"))
    mean_header = (
        N_("Group"),
        N_("Model"),
        t(lang, "RMST to {horizon}", horizon=f"{result.horizon:.3g}"),
        N_("RMST lower 95%"),
        N_("RMST upper 95%"),
        N_("Mean (extrapolated)"),
        N_("Mean lower 95%"),
        N_("Mean upper 95%"),
    )
    return [
        ExportTable(
            "parametric_fits",
            t(lang, "Parametric models: fit and choice"),
            tuple(tr(lang, h) for h in (*fit_header, N_("Not fitted because"))),
            tuple(fits),
            (tr(lang, result.selection_rule),),
        ),
        ExportTable(
            "parametric_means",
            t(lang, "Restricted mean and extrapolated mean survival"),
            tuple(tr(lang, h) for h in mean_header),
            tuple(means),
            (t(lang, "CIs: {method}.", method=tr(lang, result.ci_method)), tr(lang, result.extrapolation)),
        ),
    ]


def _estimate_cells(e: Any, lang: Lang) -> tuple[Cell, Cell, Cell]:
    if e is None:
        return (None, None, None)
    if e.value is None:
        return (tr(lang, e.reason) if e.reason else e.reason, None, None)
    return (e.value, e.ci[0], e.ci[1])
