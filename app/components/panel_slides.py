"""The panels' views as exports and slides: the adjusted comparison and the target trial (kinds ``adjusted`` and
``emulation``, here) and the Survival page's Parametric section (kind ``parametric``, in
:mod:`app.components.parametric_slides`).

:mod:`app.components.presenter` dispatches to these for a :class:`~app.components.presenter.ViewRef` of these
kinds: the panel's figure (drawn by the panel's own builder, in the KM grammar), its headline numbers as the
slide's table (the naive estimate always beside the adjusted one), the method for the footer
(:attr:`app.exporting.Provenance.method`) and the plain-language caveat of what adjustment cannot do.
The adjusted views are the panel's defaults (the clinical covariate set, ATE, no trimming); the target trial's
option names its therapy, grace period and whether its bootstrap has run (:func:`app.emulation_views.view_text`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from analysis.adjusted import AdjustedComparison
from analysis.emulate import EmulationResult
from analysis.filters import FilterSpec
from app.adjusted_views import adjusted_view, comparison_key, describe
from app.components import adjusted, emulation, parametric_slides
from app.components.km_figure import arrange_curves
from app.emulation_views import EmulationView, emulation_view, options_of, view_from_text
from app.exporting import ExportTable, SlideTable
from app.i18n import N_, Lang, t, tr
from app.i18n.filters import describe as describe_filters
from app.i18n.render import localized_figure

THERAPIES: dict[str, str] = {"any": N_("post-progression therapy"), "ici": N_("an immune checkpoint inhibitor")}
FOOTER_EXTRA_IN = 0.5
"""How much taller these slides' footers are (the caveat and the method paragraph): their figure is that much
shorter, so the x-axis title stays clear of the footer."""
EMULATION_CAVEAT = N_(
    "Caveat: the emulated trial removes immortal time and the confounding by fitness that the measurements at "
    "progression capture; it cannot remove confounding by anything not recorded. The naive comparison is shown "
    "only beside it."
)


@dataclass(frozen=True)
class PanelView:
    """One panel view as the presenter names it: the kind's option (the emulation's: :func:`app.emulation_views.
    view_text`), the endpoint and grouping, the data and filters, and the language. Titles and caveats need no
    data (the defaults)."""

    option: str
    endpoint: str = "os"
    fingerprint: str = ""
    spec: FilterSpec = field(default_factory=FilterSpec)
    grouping: str | None = None
    lang: Lang = "en"


def _arranged(
    drawn: dict[str, Any], size: tuple[int, int] | None, font_size: int | None, contrast: Any
) -> dict[str, Any]:
    """A panel's curves laid out in the KM grammar for a slide (``font_size`` given), through ``contrast`` first."""
    if font_size is None:
        return drawn
    if contrast is not None:
        drawn = contrast(drawn, font_size)
    width, height = size if size is not None else (0, 0)
    return arrange_curves(drawn, height, float(font_size), width or None)


class _Adjusted:
    """The adjusted comparison (propensity-score weighting): naive beside weighted."""

    @staticmethod
    def _result(view: PanelView) -> tuple[AdjustedComparison | None, str]:
        options = comparison_key(view.option, None, None, None, None, view.endpoint)
        grouping, _ = describe(options, view.lang)
        result = adjusted_view(view.fingerprint, view.spec, options)
        return (result if isinstance(result, AdjustedComparison) else None), grouping

    def title(self, view: PanelView) -> str:
        comparison = adjusted.COMPARISONS.get(view.option, adjusted.COMPARISONS["first_line"])
        return t(view.lang, "Adjusted comparison: {comparison}", comparison=tr(view.lang, comparison))

    def subtitle(self, view: PanelView) -> str:
        _, description = describe(comparison_key(view.option, None, None, None, None, view.endpoint), view.lang)
        return _with_filters(description.rstrip(".。"), view)

    def figure(
        self, view: PanelView, size: tuple[int, int] | None, font_size: int | None, contrast: Any
    ) -> dict[str, Any] | None:
        result, grouping = self._result(view)
        if result is None:
            return None
        drawn = localized_figure(view.lang, adjusted.curves_figure(result, grouping, title=False, lang=view.lang))
        return _arranged(drawn, size, font_size, contrast)

    def table(self, view: PanelView) -> SlideTable | None:
        result, grouping = self._result(view)
        if result is None:
            return None
        lang = view.lang
        rows = adjusted.summary_rows(result, grouping, lang)[:4]
        header = (t(lang, "Quantity"), t(lang, "Estimate (95% CI)"))
        return SlideTable(header, tuple((tr(lang, r[0]), tr(lang, r[1])) for r in rows))

    def method(self, view: PanelView) -> str | None:
        result, _ = self._result(view)
        return adjusted.method_text(result, view.lang) if result is not None else None

    def caveat(self, view: PanelView) -> str:
        return t(view.lang, "Caveat: {caveat}", caveat=t(view.lang, adjusted.CAVEAT))

    def export_tables(self, view: PanelView) -> list[ExportTable]:
        result, grouping = self._result(view)
        return adjusted.export_tables(result, grouping, view.lang) if result is not None else []


class _Emulation:
    """The target-trial emulation of starting a therapy after progression (clone–censor–weight)."""

    @staticmethod
    def _trial(view: PanelView) -> EmulationView:
        return view_from_text(view.option) or EmulationView(options_of(None, None))

    def _result(self, view: PanelView) -> EmulationResult | None:
        trial = self._trial(view)
        result = emulation_view(view.fingerprint, view.spec, trial.options, n_bootstrap=trial.n_bootstrap)
        return result if isinstance(result, EmulationResult) else None

    def title(self, view: PanelView) -> str:
        therapy = tr(view.lang, THERAPIES[self._trial(view).options.therapy])
        return t(view.lang, "Target-trial emulation: starting {therapy} after progression", therapy=therapy)

    def subtitle(self, view: PanelView) -> str:
        return _with_filters(t(view.lang, "Overall survival from progression (time zero), clone–censor–weight"), view)

    def figure(
        self, view: PanelView, size: tuple[int, int] | None, font_size: int | None, contrast: Any
    ) -> dict[str, Any] | None:
        trial = self._result(view)
        if trial is None:
            return None
        drawn = localized_figure(view.lang, emulation.curves_figure(trial, lang=view.lang))
        return _arranged(drawn, size, font_size, contrast)

    def table(self, view: PanelView) -> SlideTable | None:
        trial = self._result(view)
        if trial is None:
            return None
        lang = view.lang
        rows = emulation.comparison_rows(trial, lang)
        cells = tuple(tuple(tr(lang, c) for c in r[:3]) for r in (rows[0], *rows[2:4]))
        return SlideTable((t(lang, "Analysis"), t(lang, "HR (95% CI)"), ""), cells)

    def method(self, view: PanelView) -> str | None:
        trial = self._result(view)
        if trial is None:
            return None
        grace, model = f"{trial.grace:g}", re.split("[:：]", tr(view.lang, trial.weights.model))[0]
        if trial.n_bootstrap:
            return t(
                view.lang,
                "target-trial emulation (clone–censor–weight) from progression, grace period {grace} months; "
                "inverse-probability-of-censoring weights from {model}; weighted Kaplan–Meier and Cox, CIs and bands "
                "from {n} bootstrap resamples (seed {seed}), the whole procedure re-run in each",
                grace=grace,
                model=model,
                n=trial.n_bootstrap,
                seed=trial.seed,
            )
        return t(
            view.lang,
            "target-trial emulation (clone–censor–weight) from progression, grace period {grace} months; "
            "inverse-probability-of-censoring weights from {model}; weighted Kaplan–Meier and Cox (bootstrap CIs "
            "when run)",
            grace=grace,
            model=model,
        )

    def caveat(self, view: PanelView) -> str:
        return t(view.lang, EMULATION_CAVEAT)

    def export_tables(self, view: PanelView) -> list[ExportTable]:
        trial = self._result(view)
        return emulation.export_tables(trial, view.lang) if trial is not None else []


class _Parametric:
    """The Survival page's Parametric section (:mod:`app.components.parametric_slides`)."""

    def title(self, view: PanelView) -> str:
        return parametric_slides.title(view.endpoint, view.grouping, view.lang)

    def subtitle(self, view: PanelView) -> str:
        return parametric_slides.subtitle(view.option, view.grouping, view.spec, view.lang)

    def figure(
        self, view: PanelView, size: tuple[int, int] | None, font_size: int | None, contrast: Any
    ) -> dict[str, Any] | None:
        return parametric_slides.figure(
            view.option,
            view.endpoint,
            view.grouping,
            view.fingerprint,
            view.spec,
            view.lang,
            size=size,
            font_size=font_size,
            contrast=contrast,
        )

    def table(self, view: PanelView) -> SlideTable | None:
        v = view
        return parametric_slides.table(v.option, v.endpoint, v.grouping, v.fingerprint, v.spec, v.lang)

    def method(self, view: PanelView) -> str | None:
        v = view
        return parametric_slides.method(v.option, v.endpoint, v.grouping, v.fingerprint, v.spec, v.lang)

    def caveat(self, view: PanelView) -> str:
        return parametric_slides.caveat(view.lang)

    def export_tables(self, view: PanelView) -> list[ExportTable]:
        v = view
        return parametric_slides.export_tables(v.option, v.endpoint, v.grouping, v.fingerprint, v.spec, v.lang)


class PanelBuilder(Protocol):
    """What the presenter asks of a panel kind, each for one :class:`PanelView`: the slide's title, subtitle,
    figure (None when there is no result; laid out for ``size`` at ``font_size`` when given, through ``contrast``,
    the presenter theme, first), its table of headline numbers, the footer's method line, the plain-language caveat
    (the slide's note and the export's lead) and the export tables (empty when there is no result; the export's
    footer carries the caveat and the method)."""

    def title(self, view: PanelView) -> str: ...
    def subtitle(self, view: PanelView) -> str: ...
    def figure(
        self, view: PanelView, size: tuple[int, int] | None, font_size: int | None, contrast: Any
    ) -> dict[str, Any] | None: ...
    def table(self, view: PanelView) -> SlideTable | None: ...
    def method(self, view: PanelView) -> str | None: ...
    def caveat(self, view: PanelView) -> str: ...
    def export_tables(self, view: PanelView) -> list[ExportTable]: ...


_BUILDERS: dict[str, PanelBuilder] = {
    "adjusted": _Adjusted(),
    "emulation": _Emulation(),
    "parametric": _Parametric(),
}
"""One builder per kind (:func:`builder`)."""
KINDS: tuple[str, ...] = tuple(_BUILDERS)


def builder(kind: str) -> PanelBuilder:
    """The builder of a panel kind (one of :data:`KINDS`)."""
    return _BUILDERS[kind]


def _with_filters(head: str, view: PanelView) -> str:
    return " · ".join((head, t(view.lang, "Filters: {filters}", filters=describe_filters(view.spec, view.lang))))
