"""Presenter mode and what every export is made of: a view reference, its figure, tables and slide.

- :class:`ViewRef` names one view (KM, response, Cox) in a few plain values. It round-trips through
  a short token (``km.os.first_line``, ``response.first_line``, ``cox.os.fib4-pp_received``) so a
  presenter's deck fits in the URL (``deck=km.os.first_line,response.first_line``).
- The presenter theme: large fonts, thick lines, high contrast (black on white, black axes),
  plain-words legends ("Lenvatinib, n = 204") and a KMunicate risk table (at risk, events,
  censored). Colours stay those of :mod:`app.components.palette`.
- :func:`view_figure`, :func:`view_tables`, :func:`view_slide` and :func:`export_view` build the
  artefacts for a view from the memoized seam (:mod:`app.views`); the pages' download buttons and
  ``ppx export`` both call :func:`export_view`, so the two give the same files.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from analysis.caveats import Caveat, caveats
from analysis.compare import TEST_LABELS
from analysis.filters import FilterSpec
from analysis.schema import ENDPOINTS
from app import exporting
from app.components import export_tables, panel_slides, parametric_slides
from app.components.adjusted import COMPARISONS
from app.components.forest import layout_forest
from app.components.km_figure import KMFigureOptions, arrange_curves, km_figure_dict, layout_km
from app.components.palette import GROUPINGS, INK, grouping_label, grouping_phrase, level_label
from app.components.tables import estimable, fmt_estimate_ci, fmt_hr, fmt_p, fmt_p_eq
from app.emulation_views import EmulationView, view_from_text, view_text
from app.exporting import ExportTable, Provenance, Slide, SlideTable, mask_count
from app.i18n import N_, Lang, join_list, t, tr
from app.i18n.caveats import footer as caveat_footer
from app.i18n.filters import describe as describe_filters
from app.i18n.render import localized_figure
from app.views import (
    COX_CANDIDATES,
    STUDY_COVARIATES,
    cohort_view,
    cox_view,
    filtered,
    response_view,
    survival_view,
    term_label,
)

KINDS: tuple[str, ...] = ("km", "response", "cox", "table1", *panel_slides.KINDS)
VIEW_OF_PAGE: dict[str, str] = {
    "survival": "km",
    "response": "response",
    "cox": "cox",
    "cohort": "table1",
    "parametric": "parametric",
}
"""``ppx export --view`` / page name -> view kind."""
NO_GROUPING = "none"
PRESENTER_FONT = 22
PRESENTER_LINE = 4.5
MAX_DECK = 20


@dataclass(frozen=True)
class ViewRef:
    """One view, in plain values: kind, endpoint, grouping (None = all patients), test, CI type, covariates."""

    kind: str = "km"
    endpoint: str = "os"
    grouping: str | None = "first_line"
    test: str = "logrank"
    conf: str = "log-log"
    covariates: tuple[str, ...] = STUDY_COVARIATES
    show: tuple[str, ...] = ("ci", "censor")
    option: str = ""
    """The adjusted comparison (``first_line``, ``pp_landmark``, ``ici_lenvatinib``), the emulated therapy and grace
    period and bootstrap (``any``, ``ici.grace2``, ``any.boot``: :func:`app.emulation_views.view_text`) or the
    parametric settings."""

    def token(self) -> str:
        """Short deck token: ``km.os.first_line``, ``response.none``, ``cox.os.fib4-pp_ici``, ``emulation.any``,
        ``emulation.ici.grace2`` (a non-default grace period), ``emulation.any.boot`` (with the bootstrap)."""
        group = self.grouping or NO_GROUPING
        if self.kind == "km":
            return f"km.{self.endpoint}.{group}"
        if self.kind == "cox":
            return f"cox.{self.endpoint}.{'-'.join(self.covariates)}"
        if self.kind == "adjusted":
            return f"adjusted.{self.endpoint}.{self.option or 'first_line'}"
        if self.kind == "emulation":
            return f"emulation.{self.option or 'any'}"
        if self.kind == "parametric":
            return f"parametric.{self.endpoint}.{group}" + (f".{self.option}" if self.option else "")
        return f"{self.kind}.{group}"

    @classmethod
    def from_token(cls, token: str) -> ViewRef | None:
        """The view a deck token names; None for anything unknown (a hand-edited URL never raises).

        Decks hold figures (KM, response, Cox); Table 1 is exported as a table, not a slide.
        """
        parts = token.strip().split(".")
        kind = parts[0]
        if kind == "km" and len(parts) == 3 and parts[1] in ENDPOINTS and _grouping_ok(parts[2]):
            return cls("km", parts[1], _grouping(parts[2]))
        if kind == "response" and len(parts) == 2 and _grouping_ok(parts[1]):
            return cls(kind, grouping=_grouping(parts[1]))
        if kind == "cox" and len(parts) == 3 and parts[1] in ENDPOINTS:
            covariates = tuple(c for c in parts[2].split("-") if c in COX_CANDIDATES)
            return cls("cox", parts[1], covariates=covariates or STUDY_COVARIATES) if covariates else None
        if kind == "adjusted" and len(parts) == 3 and parts[1] in ENDPOINTS and parts[2] in COMPARISONS:
            return cls("adjusted", parts[1], None, option=parts[2])
        if kind == "emulation" and len(parts) in (2, 3, 4):
            trial = view_from_text(".".join(parts[1:]))
            return emulation_ref(trial) if trial is not None else None
        if kind == "parametric" and len(parts) in (3, 4) and parts[1] in ENDPOINTS and _grouping_ok(parts[2]):
            option = parts[3] if len(parts) == 4 else ""
            if parametric_slides.settings_of(option) is None:
                return None
            return cls("parametric", parts[1], _grouping(parts[2]), option=option)
        return None


def emulation_ref(trial: EmulationView) -> ViewRef:
    """The target-trial panel's view (its export on the page; ``emulation.ici.grace2`` in a deck)."""
    return ViewRef("emulation", "os", None, option=view_text(trial))


def _grouping_ok(text: str) -> bool:
    return text == NO_GROUPING or text in GROUPINGS


def _grouping(text: str | None) -> str | None:
    return None if text in (None, NO_GROUPING) or text not in GROUPINGS else text


def parse_deck(text: str | None) -> tuple[ViewRef, ...]:
    """``deck=`` from the URL: comma-separated tokens; unknown tokens are dropped, at most 20 slides."""
    refs = (ViewRef.from_token(t) for t in (text or "").split(",") if t.strip())
    return tuple(r for r in refs if r is not None)[:MAX_DECK]


def deck_text(refs: Sequence[ViewRef]) -> str:
    return ",".join(r.token() for r in refs)


def refs_from_query(query: dict[str, str]) -> tuple[ViewRef, ...]:
    """The views the URL currently describes (its view keys), as the default deck: KM, response, Cox."""
    endpoint = query.get("endpoint", "os")
    km = ViewRef("km", endpoint if endpoint in ENDPOINTS else "os", _grouping(query.get("group", "first_line")))
    response = ViewRef("response", grouping=_grouping(query.get("resp_group", "first_line")))
    covariates = tuple(c for c in query.get("covariates", "").split(",") if c in COX_CANDIDATES)
    cox = ViewRef("cox", covariates=covariates or STUDY_COVARIATES)
    return km, response, cox


# ----------------------------------------------------------------------------- presenter theme


def plain_legend(name: str) -> str:
    """'Lenvatinib (n = 204)' -> 'Lenvatinib, n = 204' (plain words for a projector)."""
    return re.sub(r"^(.*) \(n = ([^)]+)\)$", r"\1, n = \2", name)


def high_contrast(figure: dict[str, Any], font_size: int = PRESENTER_FONT) -> dict[str, Any]:
    """Black text and axes on white, light grid, large fonts: readable on a projector."""
    layout = dict(figure.get("layout", {}))
    layout.pop("template", None)
    layout["paper_bgcolor"] = "#FFFFFF"
    layout["plot_bgcolor"] = "#FFFFFF"
    layout["font"] = {**layout.get("font", {}), "size": font_size, "color": INK}
    title = layout.get("title")
    title_text = title.get("text", "") if isinstance(title, dict) else (title or "")
    layout["title"] = {"text": title_text, "x": 0.01, "font": {"size": font_size + 4, "color": INK}}
    for key in [k for k in layout if k.startswith(("xaxis", "yaxis"))]:
        axis = dict(layout[key])
        table_axis = key in ("xaxis2", "yaxis2")
        axis.update(
            showline=not table_axis,
            linecolor=INK,
            linewidth=2.5,
            ticks="" if table_axis else "outside",
            tickcolor=INK,
            gridcolor="#D9D9D9",
            zeroline=False,
            automargin=True,
            tickfont={"size": font_size - (2 if table_axis else 0), "color": INK},
        )
        layout[key] = axis
    layout["legend"] = {**layout.get("legend", {}), "font": {"size": font_size, "color": INK}}
    return {"data": figure.get("data", []), "layout": layout}


def presenter_km_figure(
    view: Any,
    test: str = "logrank",
    mask: int | None = None,
    font_size: int = PRESENTER_FONT,
    size: tuple[int, int] | None = None,
    lang: Lang = "en",
) -> dict[str, Any]:
    """The KM figure in presenter style: thick lines, KMunicate risk table, plain legends, p-value.

    No title: the presenter page and the slide title it. ``size`` (width, height in px) lays it out for
    a known box (a slide's picture, the presenter's viewport). When the KMunicate table (at risk, events,
    censored for each group) would leave the curves less than :data:`MIN_CURVES_SHARE` of the box (three groups
    on a 1280×800 projector left them 65 px), the table keeps the numbers at risk only.
    """
    figure = _presenter_km(view, test, mask, font_size, size, lang, kmunicate=True)
    if size is not None and _curves_share(figure) < MIN_CURVES_SHARE:
        figure = _presenter_km(view, test, mask, font_size, size, lang, kmunicate=False)
    return figure


MIN_CURVES_SHARE = 0.4
"""The least share of a presenter KM figure's height its curves keep before the risk table drops its events and
censored rows."""


def _curves_share(figure: dict[str, Any]) -> float:
    layout = figure["layout"]
    low, high = layout.get("yaxis", {}).get("domain", [0.0, 1.0])
    margin = layout.get("margin", {})
    height = float(layout.get("height") or 1)
    plot = height - float(margin.get("t", 0)) - float(margin.get("b", 0))
    return float(high - low) * plot / height


def _presenter_km(
    view: Any,
    test: str,
    mask: int | None,
    font_size: int,
    size: tuple[int, int] | None,
    lang: Lang,
    *,
    kmunicate: bool,
) -> dict[str, Any]:
    options = KMFigureOptions(
        show_ci=True,
        show_censor=True,
        show_events_row=kmunicate,
        show_censored_row=kmunicate,
        annotation=_p_annotation(view, test, lang),
        font_size=font_size,
        line_width=PRESENTER_LINE,
        on_screen=False,
        lang=lang,
    )
    figure = km_figure_dict(view.km, view.grouping, view.ticks, options)
    for trace in figure["data"]:
        if isinstance(trace.get("name"), str):
            trace["name"] = plain_legend(trace["name"])
        if trace.get("mode") == "text":  # KMunicate rows are many: the table a size below the axes
            trace["textfont"] = {**trace.get("textfont", {}), "size": round(font_size * 0.82)}
        if trace.get("mode") == "markers":
            trace["marker"] = {**trace["marker"], "size": 14, "line": {"width": 3}}
    figure = exporting.mask_km_figure(high_contrast(figure, font_size), mask)
    width, height = size if size is not None else (None, figure["layout"]["height"])
    return layout_km(figure, height, font_size, width)


def publication_km_figure(
    view: Any, test: str = "logrank", show: Sequence[str] = ("ci", "censor"), lang: Lang = "en"
) -> dict[str, Any]:
    """The KM figure as on the Survival page (its options), with its risk table and p-value annotation."""
    options = KMFigureOptions(
        show_ci="ci" in show,
        show_censor="censor" in show,
        show_events_row="events" in show,
        show_censored_row="censored" in show,
        title=km_title(view.endpoint, view.grouping, lang),
        annotation=_p_annotation(view, test, lang),
        lang=lang,
    )
    return km_figure_dict(view.km, view.grouping, view.ticks, options)


def km_title(endpoint: str, grouping: str | None, lang: Lang = "en") -> str:
    """ "Overall survival by first-line drug": one sentence, its parts in ``lang``."""
    label = t(lang, ENDPOINTS[endpoint][2])
    if not grouping:
        return label
    return t(lang, "{endpoint} by {grouping}", endpoint=label, grouping=grouping_phrase(grouping, lang))


def _p_annotation(view: Any, test: str, lang: Lang = "en") -> str | None:
    """The test's name and its p ("Log-rank p = 0.744"; the test named in ``lang``)."""
    return None if view.test is None else f"{tr(lang, TEST_LABELS.get(test, test))} {fmt_p_eq(view.test.p)}"


# ----------------------------------------------------------------------------- a view's artefacts


def _panel(
    ref: ViewRef, fingerprint: str = "", spec: FilterSpec | None = None, lang: Lang = "en"
) -> tuple[panel_slides.PanelBuilder, panel_slides.PanelView]:
    """The builder of a panel kind's ref and the one view its methods are asked for (titles need no data)."""
    view = panel_slides.PanelView(ref.option, ref.endpoint, fingerprint, spec or FilterSpec(), ref.grouping, lang)
    return panel_slides.builder(ref.kind), view


def _survival(fingerprint: str, spec: FilterSpec, ref: ViewRef) -> Any:
    return survival_view(fingerprint, spec, ref.endpoint, ref.grouping, ref.test, ref.conf, False)


def view_figure(
    ref: ViewRef,
    fingerprint: str,
    spec: FilterSpec,
    *,
    presenter: bool = False,
    mask: int | None = None,
    size: tuple[int, int] | None = None,
    font_size: int = PRESENTER_FONT,
    lang: Lang = "en",
) -> dict[str, Any] | None:
    """The view's figure as a plotly dict (None for a table-only view or an empty subgroup).

    In presenter style the figure has no title (the page's heading or the slide's title says it) and is
    laid out for ``size`` (width, height in px) when given.
    """
    height = None if size is None else size[1]
    if ref.kind in panel_slides.KINDS:
        builder, panel = _panel(ref, fingerprint, spec, lang)
        if not presenter:
            return builder.figure(panel, None, None, None)
        return builder.figure(panel, size, font_size, high_contrast)
    if ref.kind == "km":
        view = _survival(fingerprint, spec, ref)
        if view.km is None:
            return None
        if presenter:
            return presenter_km_figure(view, ref.test, mask, font_size, size, lang)
        return exporting.mask_km_figure(publication_km_figure(view, ref.test, ref.show, lang), mask)
    if ref.kind == "response":
        from app.components.response_figures import response_bar

        result = response_view(fingerprint, spec, ref.grouping).result
        if result is None:
            return None
        if not presenter:
            figure = response_bar(result, title=_response_title(ref, lang), lang=lang).to_plotly_json()
            return localized_figure(lang, dict(figure))
        figure = response_bar(result, font_size=font_size, height=height, lang=lang).to_plotly_json()
        return localized_figure(lang, high_contrast(figure, font_size))
    if ref.kind == "cox":
        from app.components.forest import forest_figure

        model = cox_view(fingerprint, spec, ref.endpoint, ref.covariates).model
        if model is None:
            return None
        labels = [term_label(term, lang) for term in model.terms]
        if not presenter:
            return localized_figure(
                lang, dict(forest_figure(model.terms, labels, title=_cox_title(ref, lang)).to_plotly_json())
            )
        figure = forest_figure(model.terms, labels, font_size=font_size, height=height).to_plotly_json()
        return localized_figure(lang, high_contrast(figure, font_size))
    return None


def _response_title(ref: ViewRef, lang: Lang = "en") -> str:
    if not ref.grouping:
        return t(lang, "Best response to first-line therapy")
    return t(lang, "Best response to first-line therapy by {grouping}", grouping=grouping_phrase(ref.grouping, lang))


def _cox_title(ref: ViewRef, lang: Lang = "en") -> str:
    endpoint = ENDPOINTS[ref.endpoint][2]
    return t(lang, "Cox model for {endpoint}: hazard ratios (95% CI)", endpoint=t(lang, endpoint).lower())


def view_title(ref: ViewRef, lang: Lang = "en") -> str:
    if ref.kind == "km":
        return km_title(ref.endpoint, ref.grouping, lang)
    if ref.kind == "response":
        return _response_title(ref, lang)
    if ref.kind == "cox":
        return _cox_title(ref, lang)
    if ref.kind in panel_slides.KINDS:
        builder, panel = _panel(ref, lang=lang)
        return builder.title(panel)
    if ref.grouping:
        return t(lang, "Table 1 by {grouping}", grouping=grouping_phrase(ref.grouping, lang))
    return t(lang, "Table 1 by group")


def view_subtitle(ref: ViewRef, spec: FilterSpec, lang: Lang = "en") -> str:
    """Endpoint, grouping and filters in plain words."""
    if ref.kind in panel_slides.KINDS:
        builder, panel = _panel(ref, spec=spec, lang=lang)
        return builder.subtitle(panel)
    parts: list[str] = []
    if ref.kind in ("km", "cox"):
        parts.append(t(lang, "Endpoint: {endpoint}", endpoint=t(lang, ENDPOINTS[ref.endpoint][2])))
    if ref.kind == "cox":
        names = join_list(lang, (tr(lang, COX_CANDIDATES.get(c, c)) for c in ref.covariates))
        parts.append(t(lang, "Covariates: {names}", names=names))
    else:
        grouping = grouping_label(ref.grouping, lang) if ref.grouping else t(lang, "all patients")
        parts.append(t(lang, "Grouping: {grouping}", grouping=grouping))
    parts.append(t(lang, "Filters: {filters}", filters=describe_filters(spec, lang)))
    return " · ".join(parts)


def view_tables(
    ref: ViewRef, fingerprint: str, spec: FilterSpec, mask: int | None = None, lang: Lang = "en"
) -> list[ExportTable]:
    """The view's numbers as export tables (medians and landmark rates; Cox model and screen; ...) in ``lang``."""
    if ref.kind == "km":
        view = _survival(fingerprint, spec, ref)
        return [
            export_tables.medians_export(view, mask, lang),
            export_tables.landmark_export(view, mask=mask, lang=lang),
        ]
    if ref.kind == "response":
        return [export_tables.response_export(response_view(fingerprint, spec, ref.grouping), mask, lang)]
    if ref.kind == "cox":
        view = cox_view(fingerprint, spec, ref.endpoint, ref.covariates)
        return [export_tables.cox_export(view, mask, lang), export_tables.cox_screen_export(view, mask, lang)]
    if ref.kind in panel_slides.KINDS:
        builder, panel = _panel(ref, fingerprint, spec, lang)
        return builder.export_tables(panel)
    grouping = ref.grouping if ref.grouping in GROUPINGS else "first_line"
    return [export_tables.table_one_export(cohort_view(fingerprint, spec, grouping), mask, lang)]


def slide_table(
    ref: ViewRef, fingerprint: str, spec: FilterSpec, mask: int | None = None, lang: Lang = "en"
) -> SlideTable | None:
    """The compact numbers beside a slide's figure (masked like the exported tables), headers in ``lang``."""
    if ref.kind in panel_slides.KINDS:
        builder, panel = _panel(ref, fingerprint, spec, lang)
        return builder.table(panel)
    table = _slide_table(ref, fingerprint, spec, mask, lang)
    if table is None:
        return None
    return SlideTable(tuple(tr(lang, h) for h in table.header), table.rows)


def _slide_table(ref: ViewRef, fingerprint: str, spec: FilterSpec, mask: int | None, lang: Lang) -> SlideTable | None:
    if ref.kind == "km":
        view = _survival(fingerprint, spec, ref)
        rows = [
            (
                level_label(view.grouping, g.group, lang),
                str(mask_count(g.n, mask)),
                str(mask_count(g.events, mask)),
                fmt_estimate_ci(g.median, *g.median_ci),
            )
            for g in (view.km.groups if view.km else ())
        ]
        return SlideTable((N_("Group"), "n", N_("Events"), N_("Median, months (95% CI)")), tuple(rows))
    if ref.kind == "response":
        result = response_view(fingerprint, spec, ref.grouping).result
        if result is None:
            return None
        rows = [
            (
                level_label(result.grouping, g.group, lang),
                str(mask_count(g.n, mask)),
                _rate(g.orr, mask),
                _rate(g.dcr, mask),
            )
            for g in result.groups
        ]
        return SlideTable((N_("Group"), "n", N_("ORR"), N_("DCR")), tuple(rows))
    if ref.kind == "cox":
        model = cox_view(fingerprint, spec, ref.endpoint, ref.covariates).model
        if model is None:
            return None
        terms = [
            (
                term_label(term, lang),
                fmt_hr(term.hr, term.ci),
                fmt_p(term.p) if estimable(term.hr, term.ci) else "–",
            )
            for term in model.terms
        ]
        return SlideTable((N_("Term"), N_("HR (95% CI)"), "p"), tuple(terms))
    return None


def _rate(p: Any, mask: int | None) -> str:
    if exporting.masked(p.count, mask) or exporting.masked(p.n, mask):
        return f"{mask_count(p.count, mask)}/{mask_count(p.n, mask)}"
    return f"{p.count}/{p.n} ({100 * (p.estimate or 0):.0f}%)"


def view_slide(
    ref: ViewRef,
    fingerprint: str,
    spec: FilterSpec,
    mask: int | None = None,
    size: tuple[int, int] | None = None,
    font_size: int = exporting.SLIDE_FONT_PX,
    *,
    with_figure: bool = True,
    lang: Lang = "en",
) -> Slide:
    """One slide of a view. Its figure is laid out for ``size`` (px), by default the deck's picture box;
    ``with_figure=False`` gives the words and numbers only (the presenter page draws the figure for its room)."""
    if ref.kind in panel_slides.KINDS:
        return _panel_slide(ref, fingerprint, spec, size, font_size, with_figure, lang)
    table = slide_table(ref, fingerprint, spec, mask, lang)
    box = size or exporting.slide_picture_px(table is not None)
    figure = None
    if with_figure:
        figure = view_figure(
            ref, fingerprint, spec, presenter=True, mask=mask, size=box, font_size=font_size, lang=lang
        )
    empty = ref.kind != "table1" and (figure is None if with_figure else table is None)
    note = N_("No figure: no patients in this subgroup.") if empty else ""
    caveat_line = caveat_footer(view_caveats(ref), lang)
    if caveat_line:
        note = caveat_line
    return Slide(view_title(ref, lang), view_subtitle(ref, spec, lang), figure, table, tr(lang, note), "")


def _panel_slide(
    ref: ViewRef,
    fingerprint: str,
    spec: FilterSpec,
    size: tuple[int, int] | None,
    font_size: int,
    with_figure: bool,
    lang: Lang,
) -> Slide:
    """A panel's slide (:func:`view_slide`): its caveat is the note and its method the footer's paragraph."""
    builder, panel = _panel(ref, fingerprint, spec, lang)
    table = builder.table(panel)
    box = size or exporting.slide_picture_px(table is not None)
    if size is None:  # the footer adds a caveat and a method paragraph
        box = (box[0], box[1] - round(panel_slides.FOOTER_EXTRA_IN * exporting.SLIDE_PX_PER_IN))
    figure = builder.figure(panel, box, font_size, high_contrast) if with_figure else None
    empty = figure is None if with_figure else table is None
    note = builder.caveat(panel) if not empty else N_("No figure: no patients in this subgroup.")
    method = builder.method(panel) or ""
    return Slide(builder.title(panel), builder.subtitle(panel), figure, table, tr(lang, note), method)


def view_caveats(ref: ViewRef) -> tuple[Caveat, ...]:
    """The immortal-time caveats of a view (the one rule, :mod:`analysis.caveats`): its grouping or covariates."""
    if ref.kind == "km":
        return caveats([ref.grouping], ref.endpoint)
    if ref.kind == "cox":
        return caveats(ref.covariates, ref.endpoint)
    return ()


def provenance(
    spec: FilterSpec, mask: int | None = None, refs: Sequence[ViewRef] = (), lang: Lang = "en"
) -> Provenance:
    """The export footer; with ``refs``, the caveats of those views lead it."""
    from app import datasets

    cohort = datasets.active_cohort()
    found = tuple(c for ref in refs for c in view_caveats(ref))
    line = caveat_footer(tuple({c.variable: c for c in found}.values()), lang)
    lines = (line,) if line else ()
    method = None
    if len(refs) == 1 and refs[0].kind in panel_slides.KINDS:  # one panel view's export: its caveat and method
        builder, panel = _panel(refs[0], cohort.fingerprint, spec, lang)
        lines = (*lines, builder.caveat(panel))
        method = builder.method(panel)
    n = filtered(cohort.fingerprint, spec).n
    return Provenance.of(cohort, spec, n, mask=mask, caveats=lines, method=method, lang=lang)


def build_view_deck(refs: Sequence[ViewRef], spec: FilterSpec, mask: int | None = None, lang: Lang = "en") -> bytes:
    """The PPTX of a deck of views on the active dataset (a plain function: can run as a background job)."""
    from app import datasets

    fingerprint = datasets.active_cohort().fingerprint
    slides = [view_slide(ref, fingerprint, spec, mask, lang=lang) for ref in refs]
    return exporting.build_deck(slides, provenance(spec, mask, lang=lang))  # each slide carries its own caveat note


def export_view(
    ref: ViewRef,
    spec: FilterSpec,
    fmt: str,
    *,
    mask: int | None = None,
    column: str = "double",
    deck: Sequence[ViewRef] = (),
    lang: Lang = "en",
) -> tuple[str, bytes]:
    """(file name, bytes) of one export of a view on the active dataset: png/svg/pdf, csv/xlsx or pptx."""
    from app import datasets

    cohort = datasets.active_cohort()
    stem = f"ppx-{ref.token().replace('.', '-')}-{cohort.short_fingerprint}"
    if fmt == "pptx":
        return f"{stem}.pptx", build_view_deck(tuple(deck) or (ref,), spec, mask, lang)
    if fmt in exporting.TABLE_FORMATS:
        tables = view_tables(ref, cohort.fingerprint, spec, mask, lang)
        return f"{stem}.{fmt}", exporting.export_tables(tables, fmt, provenance(spec, mask, (ref,), lang))
    if fmt not in exporting.FIGURE_FORMATS:
        raise ValueError(f"format must be png, svg, pdf, csv, xlsx or pptx; got {fmt!r}")
    figure = view_figure(ref, cohort.fingerprint, spec, mask=mask, lang=lang)
    if figure is None:
        raise ValueError("this view has no figure for these filters (no patients, or a table-only view)")
    width = exporting.print_size(column).width_mm
    height = None if ref.kind in ("km", *panel_slides.KINDS) else _print_height(figure, width)
    arrange = {"km": layout_km, "cox": layout_forest, "adjusted": arrange_curves, "emulation": arrange_curves}.get(
        ref.kind
    )
    data = exporting.export_figure(
        figure, fmt, provenance(spec, mask, (ref,), lang), column=column, height_mm=height, arrange=arrange
    )
    return f"{stem}-{column}.{fmt}", data


def _print_height(figure: dict[str, Any], width_mm: float) -> float:
    bars = len(figure["data"][0].get("y", [])) if figure["data"] else 1
    return round(min(width_mm, 40.0 + 9.0 * bars + 12.0), 1)


def with_ref(ref: ViewRef, **changes: Any) -> ViewRef:
    return replace(ref, **changes)


# ----------------------------------------------------------------------------- page pieces (Dash components)

FIGURE_DOWNLOADS: tuple[tuple[str, str], ...] = (
    ("png-single", N_("PNG, 300 dpi, single column (85 mm)")),
    ("png-double", N_("PNG, 300 dpi, double column (174 mm)")),
    ("svg", N_("SVG (vector)")),
    ("pdf", N_("PDF (vector)")),
)
TABLE_DOWNLOADS: tuple[tuple[str, str], ...] = (("csv", N_("Tables as CSV")), ("xlsx", N_("Tables as XLSX")))
DECK_DOWNLOAD: tuple[str, str] = ("pptx", N_("Slide (PPTX)"))


def export_bar(page: str, *, figure: bool = True, extra: Sequence[Any] = ()) -> Any:
    """Download menu (figure, tables, slide), small-cell masking switch and "Add to deck", for one page; ``extra``
    (the page's Reproduce menu) on the same line."""
    import dash_bootstrap_components as dbc
    from dash import dcc, html

    from app.ids import Ids

    choices = (*(FIGURE_DOWNLOADS if figure else ()), *TABLE_DOWNLOADS, *((DECK_DOWNLOAD,) if figure else ()))
    items = [
        dbc.DropdownMenuItem(label, id={"type": Ids.EXPORT_BUTTON, "page": page, "fmt": fmt}) for fmt, label in choices
    ]
    parts: list[Any] = [
        dbc.DropdownMenu(items, label=N_("Download"), size="sm", color="secondary", className="me-2"),
        dbc.Checkbox(
            id={"type": Ids.EXPORT_MASK, "page": page},
            label=N_("Mask counts below 5"),
            value=False,
            className="small me-3 mb-0",
        ),
    ]
    if figure:
        parts.append(
            dbc.Button(
                N_("Add to deck"), id={"type": Ids.DECK_ADD, "page": page}, size="sm", color="secondary", outline=True
            )
        )
    parts += [html.Div(part, className="ms-2") for part in extra]
    parts += [
        html.Span(id={"type": Ids.EXPORT_NOTE, "page": page}, className="small text-muted ms-2"),
        dcc.Download(id={"type": Ids.EXPORT_DOWNLOAD, "page": page}),
        dcc.Store(id={"type": Ids.EXPORT_OPTIONS, "page": page}, data={}),
    ]
    return html.Div(parts, className="d-flex align-items-center flex-wrap mb-2 ppx-export-bar")


def ref_for_page(page: str, query: dict[str, str], options: dict[str, Any] | None = None) -> ViewRef:
    """The view a page shows for the URL's view keys (the same defaults as the pages); ``options`` are what its
    export bar's store holds (a panel's settings that are not in the URL, e.g. the Parametric section's)."""
    endpoint = query.get("endpoint", "os")
    endpoint = endpoint if endpoint in ENDPOINTS else "os"
    if page == "parametric":
        option = str((options or {}).get("option", ""))
        option = option if parametric_slides.settings_of(option) is not None else ""
        return ViewRef("parametric", endpoint, _grouping(query.get("group", "first_line")), option=option)
    if page == "survival":
        show = tuple(s for s in query.get("show", "ci,censor").split(",") if s)
        test = query.get("test", "logrank")
        conf = query.get("conf", "log-log")
        return ViewRef(
            "km",
            endpoint,
            _grouping(query.get("group", "first_line")),
            test if test in TEST_LABELS else "logrank",
            conf if conf in ("log-log", "log", "plain") else "log-log",
            show=show,
        )
    if page == "response":
        return ViewRef("response", grouping=_grouping(query.get("resp_group", "first_line")))
    if page == "cox":
        covariates = tuple(c for c in query.get("covariates", "").split(",") if c in COX_CANDIDATES)
        return ViewRef("cox", endpoint, covariates=covariates or STUDY_COVARIATES)
    group = query.get("t1_group", "first_line")
    return ViewRef("table1", grouping=group if group in GROUPINGS else "first_line")
