"""Exports: figures (PNG/SVG/PDF), tables (CSV/XLSX) and slide decks (PPTX), each with a provenance footer.

Pure functions (no Dash callbacks), shared by the pages' download buttons and by ``ppx export``:

- figures go through plotly's static export (kaleido, Debian's Chromium). One export browser is
  kept warm per process (:func:`start_export_browser`): a cold start costs ~3 s per image, a warm
  render ~0.2 s. Calls are serialised, and each has a deadline (:mod:`app.export_browser`).
- a PNG is sized for a journal column (single 85 mm, double 174 mm) at 300 dpi; the layout is
  drawn at 96 CSS px per inch, so fonts keep their point size at print size.
- tables are :class:`ExportTable` values: typed cells (numbers stay numbers in XLSX); any text
  cell that a spreadsheet would run as a formula is neutralised with a leading apostrophe.
- small-cell masking (off by default): counts below a threshold are shown as ``"<5"``; values
  derived from a masked count are withheld (:data:`SUPPRESSED`). The table builders take ``mask``.
- :func:`build_deck` is a plain function returning PPTX bytes, so it can run in a background job.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal, cast

from analysis import __version__
from analysis.cohort import ValidatedCohort
from analysis.filters import FilterSpec
from analysis.ingest import neutralise_formula
from app import i18n
from app.components.linebreak import clip_to_length, has_japanese
from app.components.measure import (
    longest_word_px,
    monospace_columns,
    text_width_in,
    text_width_px,
    wrap_japanese,
    wrap_to_width,
)
from app.components.palette import FONT_FAMILY, PPTX_EAST_ASIAN_FONT, PPTX_LATIN_FONT
from app.components.text import plain
from app.export_browser import WarmBrowser
from app.i18n import N_, Lang, t, tr
from app.i18n.filters import describe as describe_filters

Cell = str | int | float | None
FigureFormat = Literal["png", "svg", "pdf"]
TableFormat = Literal["csv", "xlsx"]
FIGURE_FORMATS: tuple[str, ...] = ("png", "svg", "pdf")
TABLE_FORMATS: tuple[str, ...] = ("csv", "xlsx")
MEDIA_TYPES: dict[str, str] = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "pdf": "application/pdf",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}

MM_PER_INCH = 25.4
CSS_PX_PER_INCH = 96.0
COLUMN_WIDTHS_MM: dict[str, float] = {"single": 85.0, "double": 174.0}
"""Journal column widths (Elsevier/Wiley-like): single column 85 mm, double (full page) 174 mm."""
PRINT_DPI = 300
DEFAULT_MASK = 5
SUPPRESSED = N_("suppressed")
"""Shown instead of a value derived from a masked count (a percentage would give the count away)."""

_BROWSER = WarmBrowser()
"""This process's export browser (:mod:`app.export_browser`: a deadline on every figure)."""


# ----------------------------------------------------------------------------- text safety and masking


def _safe_cell(value: Cell) -> Cell:
    """Text a spreadsheet would run as a formula gets a leading apostrophe (numbers written as text stay)."""
    return cast(Cell, neutralise_formula(value))


def mask_count(count: int, mask: int | None) -> int | str:
    """``count``, or ``"<5"`` when masking is on (``mask`` = threshold) and the count is below it."""
    if mask is not None and count < mask:
        return f"<{mask}"
    return count


def masked(count: int, mask: int | None) -> bool:
    return mask is not None and count < mask


def mask_text_counts(text: str, mask: int | None) -> str:
    """Mask every ``n = 12`` in a label (legend entries, column headers)."""
    if mask is None:
        return text
    return re.sub(r"n = (\d+)", lambda m: f"n = {mask_count(int(m.group(1)), mask)}", text)


# ----------------------------------------------------------------------------- provenance


@dataclass(frozen=True)
class Provenance:
    """Where an export comes from: printed as a footer on every figure, table, sheet and slide."""

    dataset: str
    short_fingerprint: str
    filters: str
    n: int
    day: str
    version: str
    synthetic: bool
    masking: int | None = None
    caveats: tuple[str, ...] = ()
    """Plain-language caveats of the exported view (:func:`analysis.caveats.footer_text`), printed first."""
    method: str | None = None
    """How the numbers were adjusted (e.g. propensity weighting), printed in the footer when set."""
    lang: Lang = "en"
    """The footer's language (``ppx export --lang ja``, or the page's)."""

    @classmethod
    def of(
        cls,
        cohort: ValidatedCohort,
        spec: FilterSpec,
        n: int,
        *,
        mask: int | None = None,
        today: date | None = None,
        caveats: tuple[str, ...] = (),
        method: str | None = None,
        lang: Lang = "en",
    ) -> Provenance:
        return cls(
            dataset=cohort.name,
            short_fingerprint=cohort.short_fingerprint,
            filters=describe_filters(spec, lang),
            n=n,
            day=(today or date.today()).isoformat(),
            version=__version__,
            synthetic=cohort.synthetic,
            masking=mask,
            caveats=caveats,
            method=method,
            lang=lang,
        )

    def parts(self) -> list[str]:
        """The footer's pieces, in reading order."""
        lang = self.lang
        out = [tr(lang, c) for c in self.caveats]
        out += [t(lang, "SYNTHETIC data (not real patients)")] if self.synthetic else []
        out += [
            t(
                lang,
                "Dataset: {name} (fingerprint {fingerprint})",
                name=tr(lang, self.dataset),
                fingerprint=self.short_fingerprint,
            ),
            t(lang, "Filters: {filters}", filters=self.filters),
            f"n = {self.n}",
            *([t(lang, "Method: {method}", method=tr(lang, self.method))] if self.method else []),
            t(lang, "Exported {day}", day=self.day if lang == "en" else i18n.date(lang, date.fromisoformat(self.day))),
            t(lang, "Post-Progression Explorer {version}", version=self.version),
        ]
        if self.masking is not None:
            out.append(t(lang, "counts below {mask} masked", mask=self.masking))
        return out

    def text(self) -> str:
        return " · ".join(self.parts())


# ----------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class ExportTable:
    """One table to export: typed cells, numbers unformatted (so XLSX holds the analysis values)."""

    key: str
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    notes: tuple[str, ...] = field(default=())

    def records(self) -> list[dict[str, Cell]]:
        return [dict(zip(self.header, row, strict=True)) for row in self.rows]


def _table_lines(table: ExportTable, provenance: Provenance) -> list[list[Cell]]:
    lines: list[list[Cell]] = [[table.title], list(table.header)]
    lines += [list(row) for row in table.rows]
    lines += [[note] for note in table.notes]
    lines.append([provenance.text()])
    return lines


def tables_to_csv(tables: Sequence[ExportTable], provenance: Provenance) -> bytes:
    """UTF-8 CSV (with BOM, so Excel reads the accents): each table titled, a blank line between tables.

    Every table ends with its provenance line. Formula-like text cells are neutralised.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for index, table in enumerate(tables):
        if index:
            writer.writerow([])
        for line in _table_lines(table, provenance):
            writer.writerow(["" if cell is None else _safe_cell(cell) for cell in line])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


SHEET_NAME_LIMIT = 31
"""Excel's longest sheet name."""


def _sheet_name(title: str, used: set[str], lang: Lang = "en") -> str:
    """A sheet name Excel accepts (at most 31 characters, none of []:*?/\\, not quoted), unique in the book (Excel
    compares names ignoring case): the title's first whole words (whole phrases in Japanese), then " 2", " 3"."""
    readable = re.sub(r"\s*:\s+", " - ", title)  # "Medians: OS" -> "Medians - OS" (no colon in a sheet name)
    base = re.sub(r"[\[\]:*?/\\]", " ", readable).strip().strip("'").strip() or t(lang, "Table")
    name, k = clip_to_length(base, SHEET_NAME_LIMIT).strip("'"), 2
    while name.casefold() in used:
        suffix = f" {k}"
        name, k = clip_to_length(base, SHEET_NAME_LIMIT - len(suffix)).strip("'") + suffix, k + 1
    used.add(name.casefold())
    return name


def tables_to_xlsx(tables: Sequence[ExportTable], provenance: Provenance) -> bytes:
    """One sheet per table (title, header, rows, notes, provenance), plus a Provenance sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    default = book.active
    used: set[str] = set()
    for table in tables:
        sheet = book.create_sheet(_sheet_name(table.title, used, provenance.lang))
        for line in _table_lines(table, provenance):
            sheet.append([_safe_cell(cell) for cell in line])
        sheet["A1"].font = Font(bold=True)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A3"
        for letter, width in zip("ABCDEFGHIJKLMNOP", _column_widths(table), strict=False):
            sheet.column_dimensions[letter].width = width
    info = book.create_sheet(_sheet_name(t(provenance.lang, "Provenance"), used, provenance.lang))
    for part in provenance.parts():
        info.append([_safe_cell(part)])
    if default is not None:
        book.remove(default)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _column_widths(table: ExportTable) -> list[float]:
    columns = list(zip(table.header, *table.rows, strict=True)) if table.rows else [(h,) for h in table.header]
    return [min(60.0, 2.0 + max(monospace_columns(str(c)) for c in column if c is not None)) for column in columns]


def export_tables(tables: Sequence[ExportTable], fmt: str, provenance: Provenance) -> bytes:
    if fmt == "csv":
        return tables_to_csv(tables, provenance)
    if fmt == "xlsx":
        return tables_to_xlsx(tables, provenance)
    raise ValueError(f"table format must be one of {', '.join(TABLE_FORMATS)}; got {fmt!r}")


# ----------------------------------------------------------------------------- export browser (kaleido)


def start_export_browser() -> None:
    """Start (once per process) the warm kaleido browser that renders every static figure."""
    _BROWSER.start()


def stop_export_browser() -> None:
    _BROWSER.stop()


_HOST_SERVICE: list[bool] = []
"""Set (by the web app, :func:`use_host_export_service`): figures go to the host's one export browser."""


def use_host_export_service(enabled: bool = True) -> None:
    """Draw figures through :mod:`app.export_service` (one Chromium per host) instead of one per process."""
    _HOST_SERVICE[:] = [True] if enabled else []


def render_figure(figure: dict[str, Any], fmt: str, width: int, height: int, scale: float = 1.0) -> bytes:
    """Static image bytes of a plotly figure dict through the warm export browser (started if needed): the
    host's export service in the web app, else this process's own browser (CLI, tests)."""
    if fmt not in FIGURE_FORMATS:
        raise ValueError(f"figure format must be one of {', '.join(FIGURE_FORMATS)}; got {fmt!r}")
    options = {"format": fmt, "width": width, "height": height, "scale": scale}
    if _HOST_SERVICE:
        from app import export_service

        try:
            return export_service.render(figure, options)
        except export_service.ExportServiceError as exc:  # e.g. a socket path too long: this process's own browser
            logging.getLogger("ppx.export").warning("export service unavailable, drawing in-process: %s", exc)
    return _BROWSER.draw(figure, options)


# ----------------------------------------------------------------------------- publication figures


@dataclass(frozen=True)
class PrintSize:
    """A figure's print size. ``width_px``/``height_px`` are CSS px (96 per inch) for the plotly layout."""

    width_mm: float
    height_mm: float
    dpi: int = PRINT_DPI

    @property
    def width_px(self) -> int:
        return round(self.width_mm / MM_PER_INCH * CSS_PX_PER_INCH)

    @property
    def height_px(self) -> int:
        return round(self.height_mm / MM_PER_INCH * CSS_PX_PER_INCH)

    @property
    def pixel_size(self) -> tuple[int, int]:
        """The PNG's size in pixels: the width at exactly ``dpi``; the height follows the layout's px."""
        return self._target_width, int(self.height_px * self.scale)

    @property
    def _target_width(self) -> int:
        return round(self.width_mm / MM_PER_INCH * self.dpi)

    @property
    def scale(self) -> float:
        return self._target_width / self.width_px


def print_size(column: str = "double", height_mm: float | None = None, aspect: float = 0.8) -> PrintSize:
    """Print size for a journal column (``single``/``double``, or a width in mm as text)."""
    width = COLUMN_WIDTHS_MM.get(column)
    if width is None:
        try:
            width = float(column)
        except ValueError as exc:
            raise ValueError(f"column must be single, double or a width in mm; got {column!r}") from exc
    if not 20 <= width <= 400:
        raise ValueError(f"figure width must be 20-400 mm; got {width:g}")
    return PrintSize(width, height_mm if height_mm is not None else round(width * aspect, 1))


def _pt_to_px(points: float) -> float:
    return points * CSS_PX_PER_INCH / 72.0


def publication_style(figure: dict[str, Any], size: PrintSize) -> dict[str, Any]:
    """Journal look at print size: 8 pt text in a single column, 9 pt in a double one; thin lines.

    Left and right margins keep their proportion to the font (room for long row labels).
    """
    font_px = print_font_px(size)
    ratio = font_px / float(figure.get("layout", {}).get("font", {}).get("size", 13))
    layout = dict(figure.get("layout", {}))
    layout["font"] = {**layout.get("font", {}), "size": round(font_px, 1), "family": FONT_FAMILY}
    layout["title"] = {**_as_dict(layout.get("title")), "font": {"size": round(font_px * 1.15, 1)}}
    for key in [k for k in layout if k.startswith(("xaxis", "yaxis"))]:
        axis = dict(layout[key])
        axis["automargin"] = False
        axis["tickfont"] = {**axis.get("tickfont", {}), "size": round(font_px * 0.9, 1)}
        layout[key] = axis
    margin = layout.get("margin", {})
    layout["margin"] = {
        "l": max(12, round(margin.get("l", 60) * ratio)),
        "r": max(8, round(margin.get("r", 10) * ratio)),
        "t": round(font_px * 3.2),
        "b": round(font_px * 3.5),
    }
    layout["legend"] = {**layout.get("legend", {}), "font": {"size": round(font_px * 0.95, 1)}}
    layout["annotations"] = [
        {**a, "font": {**a.get("font", {}), "size": round(font_px * 0.95, 1)}} for a in layout.get("annotations", [])
    ]
    traces = [_thin_lines(trace, font_px) for trace in figure.get("data", [])]
    return {"data": traces, "layout": layout}


def print_font_px(size: PrintSize) -> float:
    return _pt_to_px(8.0 if size.width_mm < 120 else 9.0)


def _as_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return dict(value)
    return {"text": value} if isinstance(value, str) else {}


def _thin_lines(trace: dict[str, Any], font_px: float) -> dict[str, Any]:
    trace = dict(trace)
    line = trace.get("line")
    if isinstance(line, dict) and line.get("width"):
        trace["line"] = {**line, "width": 1.5}
    if trace.get("mode") == "text":
        trace["textfont"] = {**trace.get("textfont", {}), "size": round(font_px * 0.9, 1)}
    if trace.get("mode") == "markers" and isinstance(trace.get("marker"), dict):
        trace["marker"] = {**trace["marker"], "size": max(4, round(font_px * 0.6))}
    return trace


FOOTER = "provenance"


def with_footer(figure: dict[str, Any], provenance: Provenance, width_px: int, font_px: float) -> dict[str, Any]:
    """The figure with the provenance footer under everything (bottom margin grown to hold it).

    The footer starts at the figure's left edge whatever the left margin (see :func:`place_footer`).
    """
    lines = wrap_to_width(provenance.text(), width_px - 12, font_px)
    layout = dict(figure.get("layout", {}))
    margin = dict(layout.get("margin", {}))
    line_px = font_px * 1.25
    footer_px = line_px * len(lines) + 6
    layout["meta"] = {**layout.get("meta", {}), "footer": round(footer_px + 8)}
    margin["b"] = int(margin.get("b", 10) + footer_px)
    layout["margin"] = margin
    footer = {
        "text": "<br>".join(plain(line) for line in lines),
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "y": 0,
        "xanchor": "left",
        "yanchor": "bottom",
        "yshift": -margin["b"] + 2,
        "align": "left",
        "showarrow": False,
        "font": {"size": round(font_px, 1), "color": "#333333"},
        "name": FOOTER,
    }
    layout["annotations"] = [*layout.get("annotations", []), footer]
    return place_footer({"data": figure.get("data", []), "layout": layout})


def place_footer(figure: dict[str, Any]) -> dict[str, Any]:
    """Shift the footer left by the left margin and down by the bottom one, so it sits at the figure's corner."""
    margin = figure["layout"].get("margin", {})
    for annotation in figure["layout"].get("annotations", []):
        if annotation.get("name") == FOOTER:
            annotation["xshift"] = -margin.get("l", 0) + 3
            annotation["yshift"] = -margin.get("b", 0) + 2
    return figure


Arrange = Callable[[dict[str, Any], int, float, int], dict[str, Any]]
"""A figure-specific layout step at print size: (figure, height_px, font_px, width_px) -> figure."""


def export_figure(
    figure: dict[str, Any],
    fmt: str,
    provenance: Provenance,
    *,
    column: str = "double",
    height_mm: float | None = None,
    aspect: float = 0.8,
    arrange: Arrange | None = None,
) -> bytes:
    """A figure as PNG (300 dpi at the column width), SVG or PDF, with publication style and provenance.

    With ``arrange`` and no ``height_mm``, the arranged figure decides its height (a KM figure: its bands).
    """
    size = print_size(column, height_mm, aspect)
    font_px = print_font_px(size)
    final = with_footer(publication_style(figure, size), provenance, size.width_px, _pt_to_px(6.5))
    if arrange is not None:
        final = place_footer(arrange(final, 0 if height_mm is None else size.height_px, font_px, size.width_px))
        size = PrintSize(size.width_mm, round(final["layout"]["height"] / CSS_PX_PER_INCH * MM_PER_INCH, 2))
    final["layout"]["height"] = size.height_px
    final["layout"]["width"] = size.width_px
    scale = size.scale if fmt == "png" else 1.0
    return render_figure(final, fmt, size.width_px, size.height_px, scale)


def mask_km_figure(figure: dict[str, Any], mask: int | None) -> dict[str, Any]:
    """Mask the risk-table counts and the legend's ``n =`` below the threshold (a no-op when off)."""
    if mask is None:
        return figure
    traces = []
    for trace in figure.get("data", []):
        trace = dict(trace)
        if trace.get("mode") == "text" and trace.get("xaxis") == "x2":
            trace["text"] = [_mask_number_text(t, mask) for t in trace.get("text", [])]
        if isinstance(trace.get("name"), str):
            trace["name"] = mask_text_counts(trace["name"], mask)
        traces.append(trace)
    return {"data": traces, "layout": figure.get("layout", {})}


def _mask_number_text(text: Any, mask: int) -> Any:
    return str(mask_count(int(text), mask)) if isinstance(text, str) and text.isdigit() else text


# ----------------------------------------------------------------------------- slide decks


@dataclass(frozen=True)
class SlideTable:
    """A slide's native table: header and text cells (already formatted and masked)."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Slide:
    """One slide: a title, a subtitle (endpoint, grouping, filters), at most one figure, and its numbers."""

    title: str
    subtitle: str
    figure: dict[str, Any] | None = None
    table: SlideTable | None = None
    note: str = ""
    method: str = ""
    """How this slide's numbers were adjusted: its footer's ``Method:`` (the deck's provenance otherwise)."""


SLIDE_W_IN = 13.333
SLIDE_H_IN = 7.5
SLIDE_MARGIN_IN = 0.4
SLIDE_CONTENT_TOP_IN = 1.5
SLIDE_CONTENT_BOTTOM_IN = 6.86
SLIDE_TABLE_W_IN = 3.9
SLIDE_GAP_IN = 0.25
SLIDE_PX_PER_IN = 96
SLIDE_SCALE = 2.0
"""A slide's picture is laid out at 96 px per inch of its box and rendered at twice that (192 dpi)."""
SLIDE_FONT_PX = 16
TITLE_PT = (32, 30, 28, 26, 24, 22, 20)
SUBTITLE_PT = (15, 14, 13, 12, 11, 10)
CELL_INSET_IN = 0.2
"""python-pptx's default cell margins: 0.1 in left and right."""


def slide_picture_box(has_table: bool) -> tuple[float, float, float, float]:
    """(left, top, width, height) in inches of a slide's figure: beside the table, or the full width."""
    width = SLIDE_W_IN - 2 * SLIDE_MARGIN_IN - ((SLIDE_TABLE_W_IN + SLIDE_GAP_IN) if has_table else 0.0)
    return SLIDE_MARGIN_IN, SLIDE_CONTENT_TOP_IN, width, SLIDE_CONTENT_BOTTOM_IN - SLIDE_CONTENT_TOP_IN


def slide_picture_px(has_table: bool) -> tuple[int, int]:
    """The layout size (px) of a slide's figure, so it is drawn for its box and placed at native resolution."""
    _, _, width, height = slide_picture_box(has_table)
    return round(width * SLIDE_PX_PER_IN), round(height * SLIDE_PX_PER_IN)


def title_font_pt(text: str, width_in: float) -> int:
    """The largest title size (32 pt down to 20 pt) at which ``text`` fits one line of a box ``width_in`` wide."""
    for size in TITLE_PT:
        if text_width_in(text, size) * BOLD_WIDTH <= width_in - CELL_INSET_IN:
            return size
    return TITLE_PT[-1]


def build_deck(
    slides: Sequence[Slide],
    provenance: Provenance,
    *,
    render: Callable[[dict[str, Any], str, int, int, float], bytes] | None = None,
) -> bytes:
    """A 16:9 PPTX: one figure per slide with title, subtitle, a native table and the provenance footer.

    ``render`` (default :func:`render_figure`) turns a figure dict into PNG bytes. The figure is rendered
    at its own layout size times :data:`SLIDE_SCALE` and placed in a box of exactly that size, so nothing
    is stretched; its layout should be that of :func:`slide_picture_px`.
    """
    from pptx import Presentation
    from pptx.util import Inches

    draw = render or render_figure
    deck = Presentation()
    deck.slide_width = Inches(SLIDE_W_IN)
    deck.slide_height = Inches(SLIDE_H_IN)
    layout = deck.slide_layouts[5]  # "Title Only"
    for spec in slides:
        slide = deck.slides.add_slide(layout)
        _slide_title(slide, spec)
        left, top, box_w, _box_h = slide_picture_box(spec.table is not None)
        if spec.figure is not None:
            default_w, default_h = slide_picture_px(spec.table is not None)
            width_px = int(spec.figure.get("layout", {}).get("width") or default_w)
            height_px = int(spec.figure.get("layout", {}).get("height") or default_h)
            png = draw(spec.figure, "png", width_px, height_px, SLIDE_SCALE)
            slide.shapes.add_picture(
                io.BytesIO(png),
                Inches(left),
                Inches(top),
                width=Inches(width_px / SLIDE_PX_PER_IN),
                height=Inches(height_px / SLIDE_PX_PER_IN),
            )
        if spec.table is not None:
            table_left = SLIDE_MARGIN_IN if spec.figure is None else left + box_w + SLIDE_GAP_IN
            width = SLIDE_W_IN - SLIDE_MARGIN_IN - table_left
            _slide_table(slide, spec.table, table_left, top, width)
        _slide_footer(slide, replace(provenance, method=spec.method) if spec.method else provenance, spec.note)
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def _font(run: Any, size_pt: float, *, bold: bool | None = None) -> None:
    """Size, weight and the font family of every export: Latin and East Asian (Japanese) typefaces."""
    from pptx.oxml.ns import qn
    from pptx.util import Pt

    run.font.size = Pt(size_pt)
    run.font.name = PPTX_LATIN_FONT
    if bold is not None:
        run.font.bold = bold
    properties = run._r.get_or_add_rPr()
    for tag in ("a:ea", "a:cs"):
        element = properties.find(qn(tag))
        if element is None:
            element = properties.makeelement(qn(tag), {})
            properties.append(element)
        element.set("typeface", PPTX_EAST_ASIAN_FONT)


BOLD_WIDTH = 1.08
"""Bold text is about 8% wider than regular (as :func:`title_font_pt` allows)."""


def slide_line_count(text: str, width_in: float, size_pt: float, *, bold: bool = False) -> int:
    """How many lines ``text`` takes in a slide box ``width_in`` wide: Japanese as :func:`slide_lines` breaks it
    (bold counted wider), other text between words as the renderer wraps it."""
    if has_japanese(text):
        return slide_lines(text, width_in, size_pt, bold=bold).count("\v") + text.count("\n") + 1
    return len(wrap_to_width(text, (width_in - CELL_INSET_IN) * 72, size_pt))


def slide_lines(text: str, width_in: float, size_pt: float, *, bold: bool = False) -> str:
    """Japanese slide text with its line breaks (``\\v``, a line break in the paragraph) where :func:`wrap_to_width`
    puts them, for a box ``width_in`` wide: a renderer would break Japanese at any character or space ("6 / か月").
    A line keeps the space it broke at (invisible at a line's end), so the paragraph's text without its breaks is
    the text (:func:`slide_texts`). Other text as it is, wrapped between words by the renderer."""
    if not has_japanese(text):
        return text
    width_pt, font_pt = (width_in - CELL_INSET_IN) * 72, size_pt * (BOLD_WIDTH if bold else 1.0)
    return "\n".join("\v".join(wrap_japanese(part, width_pt, font_pt)) for part in text.split("\n"))


def _slide_title(slide: Any, spec: Slide) -> None:
    from pptx.enum.text import MSO_ANCHOR
    from pptx.util import Inches

    width = SLIDE_W_IN - 2 * SLIDE_MARGIN_IN
    title = slide.shapes.title
    size = title_font_pt(spec.title, width)
    title.text = slide_lines(spec.title, width, size, bold=True)
    title.left, title.top, title.width, title.height = Inches(SLIDE_MARGIN_IN), Inches(0.22), Inches(width), Inches(0.8)
    frame = title.text_frame
    frame.word_wrap = True
    frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    for paragraph in frame.paragraphs:
        for run in paragraph.runs:
            _font(run, size, bold=True)
    subtitle_pt = next((pt for pt in SUBTITLE_PT if text_width_in(spec.subtitle, pt) <= width - CELL_INSET_IN), 10)
    box = slide.shapes.add_textbox(Inches(SLIDE_MARGIN_IN), Inches(1.0), Inches(width), Inches(0.42))
    box.text_frame.word_wrap = True
    box.text_frame.text = slide_lines(spec.subtitle, width, subtitle_pt)
    for run in box.text_frame.paragraphs[0].runs:
        _font(run, subtitle_pt)


def _word_floors(table: SlideTable, font_pt: float) -> list[float]:
    """Each column's narrowest width (inches): its longest word, bold-safe, plus the cell insets."""
    columns = list(zip(table.header, *table.rows, strict=True))
    return [max(longest_word_px(str(c), font_pt) * 1.15 for c in col) / 72 + CELL_INSET_IN + 0.06 for col in columns]


def table_font_pt(table: SlideTable, width_in: float) -> int:
    """The largest table size (13 pt down to 9 pt) at which every column holds its longest word."""
    return next((pt for pt in (13, 12, 11, 10, 9) if sum(_word_floors(table, pt)) <= width_in), 9)


def table_column_widths(table: SlideTable, width_in: float, font_pt: float = 12) -> list[float]:
    """Column widths (inches) summing to ``width_in``: each at least its longest word (so a cell wraps
    between words, never inside one), the rest shared in proportion to the columns' full text."""
    columns = list(zip(table.header, *table.rows, strict=True))
    floor = _word_floors(table, font_pt)
    full = [max(text_width_px(str(c), font_pt) * 1.15 for c in col) / 72 + CELL_INSET_IN + 0.06 for col in columns]
    spare = width_in - sum(floor)
    if spare <= 0:
        return [width_in * f / sum(floor) for f in floor]
    wants = [max(0.0, f - m) for f, m in zip(full, floor, strict=True)]
    total_want = sum(wants) or 1.0
    share = min(1.0, spare / total_want)
    widths = [m + w * share for m, w in zip(floor, wants, strict=True)]
    extra = (width_in - sum(widths)) / len(widths)
    return [w + extra for w in widths]


def _slide_table(slide: Any, table: SlideTable, left: float, top: float, width: float) -> None:
    from pptx.util import Inches

    n_rows = len(table.rows) + 1
    size = table_font_pt(table, width)
    widths = table_column_widths(table, width, size)
    row_h = 0.36
    shape = slide.shapes.add_table(
        n_rows, len(table.header), Inches(left), Inches(top), Inches(width), Inches(row_h * n_rows)
    )
    grid = shape.table
    for c, column_width in enumerate(widths):
        grid.columns[c].width = Inches(column_width)
    for r, cells in enumerate((table.header, *table.rows)):
        grid.rows[r].height = Inches(table_row_height_in(cells, widths, size, row_h, bold=r == 0))
    for c, text in enumerate(table.header):
        _cell_text(grid.cell(0, c), slide_lines(text, widths[c], size, bold=True), size, bold=True)
    for r, row in enumerate(table.rows, start=1):
        for c, text in enumerate(row):
            _cell_text(grid.cell(r, c), slide_lines(text, widths[c], size), size, bold=False)


def table_row_height_in(
    cells: Sequence[str], widths: Sequence[float], size: float, least: float = 0.36, *, bold: bool = False
) -> float:
    """A slide-table row's height (inches): its most wrapped cell's lines, at least ``least``. Set explicitly, as a
    renderer may not grow a row for text drawn in the East Asian fallback font (LibreOffice cut Japanese cells)."""
    lines = max(slide_line_count(str(text), width, size, bold=bold) for text, width in zip(cells, widths, strict=True))
    return max(least, lines * size * 1.3 / 72 + CELL_INSET_IN)


def _cell_text(cell: Any, text: str, size: float, *, bold: bool) -> None:
    cell.text = text
    cell.text_frame.word_wrap = True
    for paragraph in cell.text_frame.paragraphs:
        for run in paragraph.runs:
            _font(run, size, bold=bold)


def footer_font_pt(paragraphs: Sequence[str], width_in: float) -> tuple[float, int]:
    """(size, lines) of a slide's footer: 10 pt, smaller (down to 7 pt) while its lines would climb over the
    figure (more than the room under the content)."""
    room_in = SLIDE_H_IN - SLIDE_CONTENT_BOTTOM_IN - 0.1
    for size in (10.0, 9.0, 8.0, 7.0):
        lines = sum(slide_line_count(p, width_in, size) for p in paragraphs)
        if lines * size * 1.2 / 72 + 0.1 <= room_in:
            return size, lines
    return 7.0, lines


def _slide_footer(slide: Any, provenance: Provenance, note: str) -> None:
    from pptx.dml.color import RGBColor
    from pptx.util import Inches

    width = SLIDE_W_IN - 2 * SLIDE_MARGIN_IN
    paragraphs = [*([note] if note else []), provenance.text()]
    size, lines = footer_font_pt(paragraphs, width)
    height = lines * size * 1.2 / 72 + 0.1
    box = slide.shapes.add_textbox(
        Inches(SLIDE_MARGIN_IN), Inches(SLIDE_H_IN - 0.06 - height), Inches(width), Inches(height)
    )
    frame = box.text_frame
    frame.word_wrap = True
    frame.margin_top = frame.margin_bottom = Inches(0.02)
    frame.text = "\n".join(slide_lines(p, width, size) for p in paragraphs)
    for paragraph in frame.paragraphs:
        for run in paragraph.runs:
            _font(run, size)
            run.font.color.rgb = RGBColor(0x33, 0x33, 0x33)


def slide_texts(pptx_bytes: bytes) -> list[str]:
    """All text of each slide (titles, text boxes, table cells), for tests and checks; a paragraph's line breaks
    (:func:`slide_lines`) are layout, not text, and read as nothing."""
    from pptx import Presentation

    deck = Presentation(io.BytesIO(pptx_bytes))
    out: list[str] = []
    for slide in deck.slides:
        parts: list[str] = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if getattr(shape, "has_table", False) and shape.has_table:
                parts += [cell.text for row in shape.table.rows for cell in row.cells]
        out.append("\n".join(parts).replace("\v", ""))  # the line breaks set for Japanese (slide_lines)
    return out


# ----------------------------------------------------------------------------- helpers for builders


def finite_or_none(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else value
