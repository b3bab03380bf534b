"""The panels' views as exports and slides: the adjusted comparison and the target trial (kinds ``adjusted`` and
``emulation``, here) and the Survival page's Parametric section (kind ``parametric``, in
:mod:`app.components.parametric_slides`).

:mod:`app.components.presenter` dispatches to these for a :class:`~app.components.presenter.ViewRef` of these
kinds: the panel's figure (drawn by the panel's own builder, in the KM grammar), its headline numbers as the
slide's table (the naive estimate always beside the adjusted one), the method for the footer
(:attr:`app.exporting.Provenance.method`) and the plain-language caveat of what adjustment cannot do.
The views are the panels' defaults (the clinical covariate set, ATE, no trimming; a 3-month grace period).
"""

from __future__ import annotations

import re
from typing import Any

from analysis.adjusted import AdjustedComparison
from analysis.emulate import EmulationResult
from analysis.filters import FilterSpec
from app.adjusted_views import adjusted_view, comparison_key, describe
from app.components import adjusted, emulation, parametric_slides
from app.components.km_figure import arrange_curves
from app.emulation_views import emulation_view
from app.emulation_views import options_of as emulation_options
from app.exporting import ExportTable, SlideTable
from app.i18n import N_, Lang, t, tr
from app.i18n.filters import describe as describe_filters
from app.i18n.render import localized_figure

KINDS: tuple[str, ...] = ("adjusted", "emulation", "parametric")
THERAPIES: dict[str, str] = {"any": N_("post-progression therapy"), "ici": N_("an immune checkpoint inhibitor")}
FOOTER_EXTRA_IN = 0.5
"""How much taller these slides' footers are (the caveat and the method paragraph): their figure is that much
shorter, so the x-axis title stays clear of the footer."""
EMULATION_CAVEAT = N_(
    "Caveat: the emulated trial removes immortal time and the confounding by fitness that the measurements at "
    "progression capture; it cannot remove confounding by anything not recorded. The naive comparison is shown "
    "only beside it."
)


def _adjusted(
    fingerprint: str, spec: FilterSpec, comparison: str, endpoint: str, lang: Lang = "en"
) -> tuple[Any, str, str]:
    options = comparison_key(comparison, None, None, None, None, endpoint)
    grouping, description = describe(options, lang)
    return adjusted_view(fingerprint, spec, options), grouping, description


def _emulation(fingerprint: str, spec: FilterSpec, therapy: str) -> EmulationResult | str:
    return emulation_view(fingerprint, spec, emulation_options(None, therapy))


def title(kind: str, option: str, *, endpoint: str = "os", grouping: str | None = None, lang: Lang = "en") -> str:
    if kind == "parametric":
        return parametric_slides.title(endpoint, grouping, lang)
    if kind == "adjusted":
        comparison = adjusted.COMPARISONS.get(option, adjusted.COMPARISONS["first_line"])
        return t(lang, "Adjusted comparison: {comparison}", comparison=tr(lang, comparison))
    therapy = tr(lang, THERAPIES.get(option, THERAPIES["any"]))
    return t(lang, "Target-trial emulation: starting {therapy} after progression", therapy=therapy)


def subtitle(
    kind: str,
    option: str,
    endpoint: str,
    spec: FilterSpec,
    *,
    grouping: str | None = None,
    lang: Lang = "en",
) -> str:
    if kind == "parametric":
        return parametric_slides.subtitle(option, grouping, spec, lang)
    if kind == "adjusted":
        _, description = describe(comparison_key(option, None, None, None, None, endpoint), lang)
        head = description.rstrip(".。")
    else:
        head = t(lang, "Overall survival from progression (time zero), clone–censor–weight")
    return " · ".join((head, t(lang, "Filters: {filters}", filters=describe_filters(spec, lang))))


def figure(
    kind: str,
    option: str,
    endpoint: str,
    fingerprint: str,
    spec: FilterSpec,
    *,
    size: tuple[int, int] | None = None,
    font_size: int | None = None,
    contrast: Any = None,
    grouping: str | None = None,
    lang: Lang = "en",
) -> dict[str, Any] | None:
    """The view's curves (None when there is no result); laid out for ``size`` at ``font_size`` when given,
    through ``contrast`` (the presenter theme) first."""
    if kind == "parametric":
        return parametric_slides.figure(
            option, endpoint, grouping, fingerprint, spec, lang, size=size, font_size=font_size, contrast=contrast
        )
    if kind == "adjusted":
        result, grouping, _ = _adjusted(fingerprint, spec, option, endpoint)
        if not isinstance(result, AdjustedComparison):
            return None
        drawn = localized_figure(lang, adjusted.curves_figure(result, grouping, title=False, lang=lang))
    else:
        trial = _emulation(fingerprint, spec, option)
        if not isinstance(trial, EmulationResult):
            return None
        drawn = localized_figure(lang, emulation.curves_figure(trial, lang=lang))
    if font_size is None:
        return drawn
    if contrast is not None:
        drawn = contrast(drawn, font_size)
    width, height = size if size is not None else (0, 0)
    return arrange_curves(drawn, height, float(font_size), width or None)


def table(
    kind: str,
    option: str,
    endpoint: str,
    fingerprint: str,
    spec: FilterSpec,
    *,
    grouping: str | None = None,
    lang: Lang = "en",
) -> SlideTable | None:
    """The headline numbers: unweighted and weighted HR, RMST difference, E-value; or the emulation's HRs; or
    each group's chosen parametric model."""
    if kind == "parametric":
        return parametric_slides.table(option, endpoint, grouping, fingerprint, spec, lang)
    if kind == "adjusted":
        result, grouping, _ = _adjusted(fingerprint, spec, option, endpoint)
        if not isinstance(result, AdjustedComparison):
            return None
        rows = adjusted.summary_rows(result, grouping, lang)[:4]
        header = (t(lang, "Quantity"), t(lang, "Estimate (95% CI)"))
        return SlideTable(header, tuple((tr(lang, r[0]), tr(lang, r[1])) for r in rows))
    trial = _emulation(fingerprint, spec, option)
    if not isinstance(trial, EmulationResult):
        return None
    rows = emulation.comparison_rows(trial, lang)
    cells = tuple(tuple(tr(lang, c) for c in r[:3]) for r in (rows[0], *rows[2:4]))
    return SlideTable((t(lang, "Analysis"), t(lang, "HR (95% CI)"), ""), cells)


def method(
    kind: str,
    option: str,
    endpoint: str,
    fingerprint: str,
    spec: FilterSpec,
    *,
    grouping: str | None = None,
    lang: Lang = "en",
) -> str | None:
    """The footer's method line (None when there is no result)."""
    if kind == "parametric":
        return parametric_slides.method(option, endpoint, grouping, fingerprint, spec, lang)
    if kind == "adjusted":
        result, _, _ = _adjusted(fingerprint, spec, option, endpoint)
        return adjusted.method_text(result, lang) if isinstance(result, AdjustedComparison) else None
    trial = _emulation(fingerprint, spec, option)
    if not isinstance(trial, EmulationResult):
        return None
    return t(
        lang,
        "target-trial emulation (clone–censor–weight) from progression, grace period {grace} months; "
        "inverse-probability-of-censoring weights from {model}; weighted Kaplan–Meier and Cox (bootstrap CIs when "
        "run)",
        grace=f"{trial.grace:g}",
        model=re.split("[:：]", tr(lang, trial.weights.model))[0],
    )


def caveat(kind: str, endpoint: str, *, lang: Lang = "en") -> str:
    """What the adjustment cannot remove, or that extrapolation is an assumption, in plain words (the slide's note
    and the export's lead)."""
    if kind == "parametric":
        return parametric_slides.caveat(lang)
    if kind == "adjusted":
        return t(lang, "Caveat: {caveat}", caveat=t(lang, adjusted.CAVEAT))
    return t(lang, EMULATION_CAVEAT)


def export_tables(
    kind: str,
    option: str,
    endpoint: str,
    fingerprint: str,
    spec: FilterSpec,
    *,
    grouping: str | None = None,
    lang: Lang = "en",
) -> list[ExportTable]:
    """The panel's own export tables (empty when there is no result), in ``lang``."""
    if kind == "parametric":
        return parametric_slides.export_tables(option, endpoint, grouping, fingerprint, spec, lang)
    if kind == "adjusted":
        result, grouping, _ = _adjusted(fingerprint, spec, option, endpoint)
        return adjusted.export_tables(result, grouping, lang) if isinstance(result, AdjustedComparison) else []
    return []
