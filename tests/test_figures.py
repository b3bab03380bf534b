"""Presenter-grade figures and slides (issue 15) without a browser: the KM grammar's geometry, one colour per
group across figures, slides read back with python-pptx, Japanese text in PDF and PPTX exports, file names.

Geometry is checked on the layout's numbers (margins, bands, estimated text widths); the browser test
(tests/test_browser_figures.py) measures the drawn boxes.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import unicodedata
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from flask import Flask

from analysis.filters import FilterSpec
from analysis.km import km_by_group
from app import datasets, exporting, layout
from app.cache import cache
from app.components import presenter
from app.components.guard import guard_block
from app.components.km_figure import KMFigureOptions, km_figure_dict, layout_km, tick_times
from app.components.measure import text_width_in, text_width_px, wrap_to_width
from app.components.palette import FIXED_COLOURS, FONT_FAMILY, group_colour, grouping_phrase
from app.components.presenter import ViewRef
from app.components.sequences import time_axis_end
from app.views import guard_view, survival_view

ROOT = Path(__file__).resolve().parents[1]
TAGS = re.compile(r"<[^>]+>")


@pytest.fixture(scope="module")
def context() -> Iterator[str]:
    server = Flask("test-figures")
    cache.init_app(server, config={"CACHE_TYPE": "SimpleCache"})
    with server.app_context():
        yield datasets.active_cohort().fingerprint


def _japanese_km() -> tuple[Any, tuple[float, ...]]:
    frame = pd.DataFrame(
        {
            "t": [1.0, 2.5, 3.0, 4.0, 7.5, 8.0, 9.0, 13.0, 2.0, 5.0, 6.0, 11.0, 14.0, 26.0],
            "e": [1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0],
            "center": ["神戸大学病院"] * 8 + ["大阪市立総合医療センター"] * 6,
        }
    )
    ticks = tick_times(26.0)
    return km_by_group(
        frame, "t", "e", "center", times=ticks, group_order=("神戸大学病院", "大阪市立総合医療センター")
    ), ticks


# ----------------------------------------------------------------------------- text widths


def test_cjk_characters_count_about_double_and_wrapping_keeps_words() -> None:
    assert text_width_px("神戸大学", 10) >= 1.5 * text_width_px("Kobe", 10)
    assert text_width_px("<b>ICI</b>", 10) == text_width_px("ICI", 10)
    lines = wrap_to_width("Overall survival by post-progression therapy received", 200, 13)
    assert len(lines) > 1 and " ".join(lines) == "Overall survival by post-progression therapy received"
    assert all(text_width_px(line, 13) <= 200 for line in lines)


# ----------------------------------------------------------------------------- the KM grammar


def _bands(figure: dict[str, Any]) -> dict[str, float]:
    lay = figure["layout"]
    paper = lay["height"] - lay["margin"]["t"] - lay["margin"]["b"]
    return {
        "curves_top": lay["margin"]["t"],
        "legend_top": (1 - lay["legend"]["y"]) * lay["height"],
        "table_top_px": lay["margin"]["t"] + paper * (1 - lay["yaxis2"]["domain"][1]),
        "curves_bottom_px": lay["margin"]["t"] + paper * (1 - lay["yaxis"]["domain"][0]),
    }


@pytest.mark.parametrize("kmunicate", [False, True])
@pytest.mark.parametrize("width", [None, 321, 800])
def test_km_legend_sits_above_the_curves_and_every_risk_row_is_labelled(kmunicate: bool, width: int | None) -> None:
    """Issue 15 items 1, 4, 6: legend over the data, missing row labels, labels running into the counts, cut counts."""
    result, ticks = _japanese_km()
    options = KMFigureOptions(show_events_row=kmunicate, show_censored_row=kmunicate, title="OS by centre", width=width)
    figure = km_figure_dict(result, "center", ticks, options)
    lay = figure["layout"]
    bands = _bands(figure)
    legend_entries = [t for t in figure["data"] if t.get("showlegend", True) and t.get("name")]
    entry_px = max(13 * 1.5, 13 + 10)
    legend_rows = 1 if lay["legend"]["orientation"] == "h" else len(legend_entries)
    # the legend's band ends above the curves (legend in container coordinates, anchored at its top)
    assert bands["legend_top"] + legend_rows * entry_px <= bands["curves_top"]
    # every row of the risk table has its label: one tick text per row, the group name on its first row
    rows = lay["yaxis2"]["categoryarray"]
    assert lay["yaxis2"]["tickmode"] == "array" and len(lay["yaxis2"]["ticktext"]) == len(rows) == len(
        lay["yaxis2"]["tickvals"]
    )
    shown = [TAGS.sub("", t) for t in lay["yaxis2"]["ticktext"]]
    assert shown[0].startswith("神戸大学病院")
    if kmunicate:
        assert shown.count("events") == 2 and shown.count("censored") == 2
    # labels stand off from the first column by more than half its widest number
    table = [t for t in figure["data"] if t.get("mode") == "text"]
    first_px = max(text_width_px(t["text"][0], t["textfont"]["size"]) for t in table)
    assert lay["yaxis2"]["ticklabelstandoff"] > first_px / 2
    # the left margin holds the longest (wrapped) label plus that standoff; the right one half the last number
    font = table[0]["textfont"]["size"]
    lines = [TAGS.sub("", line) for t in lay["yaxis2"]["ticktext"] for line in t.split("<br>")]
    longest = max(text_width_px(line, font) for line in lines)
    assert lay["margin"]["l"] >= longest + lay["yaxis2"]["ticklabelstandoff"]
    last_px = max(text_width_px(t["text"][-1], font) for t in table)
    assert lay["margin"]["r"] >= last_px / 2 and all(t["cliponaxis"] is False for t in table)
    # the table is below the curves' x-axis, one text line or more per row
    assert bands["table_top_px"] > bands["curves_bottom_px"]
    paper = lay["height"] - lay["margin"]["t"] - lay["margin"]["b"]
    assert paper * lay["yaxis2"]["domain"][1] / len(rows) >= font * 1.2


def test_narrow_figures_thin_the_ticks_so_neighbouring_counts_do_not_touch(context: str) -> None:
    """Issue 15 item 1: counts ran into each other and were cut at the right edge."""
    view = survival_view(context, FilterSpec(), "os", "first_line", "logrank", "log-log", False)
    wide = km_figure_dict(view.km, "first_line", view.ticks, KMFigureOptions(width=1400))
    narrow = km_figure_dict(view.km, "first_line", view.ticks, KMFigureOptions(width=321))
    assert len(narrow["layout"]["xaxis"]["tickvals"]) < len(wide["layout"]["xaxis"]["tickvals"]) == len(view.ticks)
    kept = narrow["layout"]["xaxis"]["tickvals"]
    table = [t for t in narrow["data"] if t.get("mode") == "text"]
    assert all(t["x"] == kept for t in table)
    lay = narrow["layout"]
    column_px = (lay["width"] - lay["margin"]["l"] - lay["margin"]["r"]) / (kept[-1] * 1.04) * (kept[1] - kept[0])
    widest = max(text_width_px(n, t["textfont"]["size"]) for t in table for n in t["text"])
    assert column_px > widest + 4


def test_layout_is_idempotent(context: str) -> None:
    figure = presenter.view_figure(ViewRef(), context, FilterSpec(), presenter=True, size=(900, 500))
    assert figure is not None
    again = layout_km(figure, 500, presenter.PRESENTER_FONT, 900)
    assert again["layout"]["margin"] == figure["layout"]["margin"]
    assert [a["name"] for a in again["layout"]["annotations"]].count("km-table-heading") == 1


@pytest.mark.parametrize(("token", "size", "kmunicate"), [
    ("km.os.pp_group", (860, 520), False),  # three groups on a 1280x800 projector: at risk only
    ("km.os.first_line", (1040, 560), True),  # two groups with room: at risk, events and censored
])  # fmt: skip
def test_the_presenter_km_keeps_its_curves_tall(
    context: str, token: str, size: tuple[int, int], kmunicate: bool
) -> None:
    """Three groups' KMunicate table left the curves 65 px of a 1280x800 presenter; where the full table would
    leave them under the minimum share, the table keeps the numbers at risk only."""
    ref = ViewRef.from_token(token)
    assert ref is not None
    figure = presenter.view_figure(ref, context, FilterSpec(), presenter=True, size=size)
    rows = figure["layout"]["yaxis2"]["categoryarray"]
    assert any(str(r).endswith(": events") for r in rows) is kmunicate, rows
    low, high = figure["layout"]["yaxis"]["domain"]
    margin = figure["layout"]["margin"]
    curves = (high - low) * (size[1] - margin["t"] - margin["b"])
    assert curves >= presenter.MIN_CURVES_SHARE * size[1], (curves, size)


def test_the_guards_corrected_figures_use_the_naive_figures_colours(context: str) -> None:
    """Issue 15 item 5: the main KM drew therapy green and none grey, the corrected figures orange and blue."""
    assert group_colour("pp_received", "Post-progression therapy", 0) == FIXED_COLOURS["pp_received"]["1"]
    assert group_colour("pp_received", "No therapy yet", 1) == FIXED_COLOURS["pp_received"]["0"]
    assert group_colour("pp_ici", "ICI", 0) == FIXED_COLOURS["pp_ici"]["1"]
    block = guard_block(guard_view(context, FilterSpec(), "pp_received", 6.0))
    colours = set()

    def walk(node: Any) -> None:
        figure = getattr(node, "figure", None)
        if figure is not None:
            data = figure["data"] if isinstance(figure, dict) else figure.to_plotly_json()["data"]
            colours.update(t["line"]["color"] for t in data if t.get("mode") == "lines" and t.get("name"))
        children = getattr(node, "children", None)
        for child in children if isinstance(children, list | tuple) else [children]:
            if child is not None and not isinstance(child, str | int | float):
                walk(child)

    walk(block)
    assert colours == {FIXED_COLOURS["pp_received"]["0"], FIXED_COLOURS["pp_received"]["1"]}


def test_ici_stays_capitalised_in_titles() -> None:
    """Issue 15 item 8: 'ici' in lower case in titles, headers and the deck."""
    assert grouping_phrase("pp_ici") == "ICI after progression"
    assert grouping_phrase("first_line") == "first-line drug"
    assert grouping_phrase("child_pugh_class") == "Child-Pugh class"
    assert "by ICI after progression" in presenter.view_title(ViewRef("km", "os", "pp_ici"))


def test_sequences_time_axis_stops_after_the_last_change() -> None:
    """Issue 15 item 9: the axis ran to 80 months for a curve flat after 2."""
    times = [0.0, 0.5, 1.0, 2.0, 10.0, 40.0, 80.0]
    values = [0.0, 0.2, 0.4, 0.5, 0.5, 0.5, 0.5]
    assert time_axis_end(times, values) == 4.0
    assert time_axis_end([0.0, 5.0, 70.0], [0.0, 0.1, 0.3]) == 70.0


def test_nav_links_carry_the_filters_and_the_deck_but_not_the_pages_view_keys(ppx_app: Any) -> None:
    search = "?first_line=lenvatinib&endpoint=pfs&group=pp_class&deck=km.os.first_line&slide=2&present=1"
    assert layout.nav_search(search) == "?first_line=lenvatinib&deck=km.os.first_line"
    links = layout._nav_links(search, "/survival")
    active = [link.children.children for link in links if link.children.active]
    assert active == ["Survival"]
    assert [link.children.children for link in layout._nav_links("", "/") if link.children.active] == ["Survival"]


# ----------------------------------------------------------------------------- exports


@pytest.fixture(scope="module")
def browser(context: str) -> Iterator[str]:
    exporting.start_export_browser()
    yield context
    exporting.stop_export_browser()


def test_file_names_differ_per_format_and_column(browser: str) -> None:
    """Issue 15 item 9: single- and double-column PNGs had the same name."""
    names = {presenter.export_view(ViewRef(), FilterSpec(), "png", column=c)[0] for c in ("single", "double")}
    names.add(presenter.export_view(ViewRef(), FilterSpec(), "svg", column="single")[0])
    assert len(names) == 3 and all("-single." in n or "-double." in n for n in names)


def test_deck_read_back_titles_fit_pictures_are_native_tables_wrap_between_words(browser: str) -> None:
    """Issue 15 items 1, 2, 8: unreadable KM image, clipped forest labels, wrapping titles, broken words."""
    from pptx import Presentation
    from pptx.util import Emu

    refs = presenter.parse_deck("km.os.pp_group,km.os.pp_ici,response.pp_ici,cox.os.fib4-disease_control-pp_ici")
    _, data = presenter.export_view(refs[0], FilterSpec(), "pptx", deck=refs)
    deck = Presentation(io.BytesIO(data))
    assert round(deck.slide_width / deck.slide_height, 3) == round(16 / 9, 3)
    for slide in deck.slides:
        title = slide.shapes.title
        size = title.text_frame.paragraphs[0].runs[0].font.size.pt
        box_in = Emu(title.width).inches - exporting.CELL_INSET_IN
        assert text_width_in(title.text, size) * 1.08 <= box_in, title.text  # one line at its size
        assert Emu(title.height).inches >= size * 1.2 / 72
        assert "ici " not in title.text and " ici" not in title.text
        pictures = [s for s in slide.shapes if s.shape_type == 13]
        assert len(pictures) == 1
        picture = pictures[0]
        width_px, height_px = picture.image.size
        # native resolution: the PNG has exactly SLIDE_SCALE pixels per layout pixel of its box, not stretched
        box_w = Emu(picture.width).inches * exporting.SLIDE_PX_PER_IN * exporting.SLIDE_SCALE
        box_h = Emu(picture.height).inches * exporting.SLIDE_PX_PER_IN * exporting.SLIDE_SCALE
        assert abs(width_px - box_w) <= 2 and abs(height_px - box_h) <= 2
        assert Emu(picture.top + picture.height).inches <= exporting.SLIDE_H_IN - 0.55  # above the footer
        tables = [s for s in slide.shapes if s.has_table]
        assert len(tables) == 1
        grid = tables[0].table
        font = grid.cell(1, 0).text_frame.paragraphs[0].runs[0].font.size.pt
        for c, column in enumerate(grid.columns):
            room = Emu(column.width).inches - exporting.CELL_INSET_IN
            for row in grid.rows:
                for word in row.cells[c].text.split():
                    assert text_width_in(word, font) <= room, word  # a cell wraps between words only
        assert Emu(picture.left + picture.width) <= tables[0].left  # the table beside, not over, the figure
        footer = next(s for s in slide.shapes if s.has_text_frame and "SYNTHETIC" in s.text_frame.text)
        assert footer.top >= picture.top + picture.height and footer.top + footer.height <= deck.slide_height
        size = footer.text_frame.paragraphs[0].runs[0].font.size.pt
        width_pt = (Emu(footer.width).inches - exporting.CELL_INSET_IN) * 72
        lines = sum(len(wrap_to_width(p.text, width_pt, size)) for p in footer.text_frame.paragraphs)
        assert lines * size * 1.2 / 72 <= Emu(footer.height).inches  # the footer's text stays on the slide
    texts = "\n".join(exporting.slide_texts(data))
    assert "ICI" in texts and not re.search(r"\bici\b", texts)


def test_slide_figures_have_no_title_and_forest_labels_have_room(browser: str) -> None:
    """The slide's title says it once; the forest plot's margins hold its labels and its 'HR (CI), p' texts."""
    ref = ViewRef("cox", "os", covariates=("fib4", "disease_control", "pp_received", "pp_ici"))
    slide = presenter.view_slide(ref, browser, FilterSpec())
    assert slide.figure is not None
    lay = slide.figure["layout"]
    assert not (lay.get("title") or {}).get("text")
    font = lay["font"]["size"]
    labels = lay["yaxis"]["ticktext"]
    assert lay["margin"]["l"] >= max(text_width_px(t, font) for t in labels)
    notes = [a["text"] for a in lay["annotations"] if a.get("xref") == "paper" and a.get("x") == 1.0]
    assert notes and lay["margin"]["r"] >= max(text_width_px(t, font - 2) for t in notes) + 10
    km = presenter.view_slide(ViewRef(), browser, FilterSpec())
    assert km.figure is not None and not any(a.get("name") == "km-title" for a in km.figure["layout"]["annotations"])


def _pdf_text_and_glyphs(pdf: bytes, tmp_path: Path, name: str) -> tuple[str, str, bytes]:
    """(pdffonts listing, pdftotext text, the first page rasterised) of a PDF."""
    from PIL import Image

    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-singlefile", str(path), str(tmp_path / name)], check=True)
    return fonts, text, Image.open(tmp_path / f"{name}.png").convert("L").tobytes()


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils is installed by scripts/system-deps.sh")
def test_japanese_labels_embed_a_cjk_font_in_pdf_and_name_it_in_pptx(browser: str, tmp_path: Path) -> None:
    """Issue 15 item 7: a Japanese centre name exported as boxes (no CJK font in the export browser).

    The export browser embeds every font as an unnamed Type 3 font, so pdffonts shows that fonts are embedded
    with a Unicode map but cannot name them; the check is then that the Japanese text is in the PDF as text and
    that two different characters are drawn as two different glyphs (missing glyphs are all the same box).
    """
    result, ticks = _japanese_km()
    cohort = datasets.active_cohort()
    provenance = exporting.Provenance.of(cohort, FilterSpec(), 14)
    figure = km_figure_dict(result, "center", ticks, KMFigureOptions(title="施設別の全生存期間"))
    pdf = exporting.export_figure(figure, "pdf", provenance, column="single", arrange=layout_km)
    fonts, text, _ = _pdf_text_and_glyphs(pdf, tmp_path, "km")
    embedded = [line for line in fonts.splitlines()[2:] if line.split()[-5:-3] == ["yes", "no"] or " yes " in line]
    assert embedded and all(" yes " in line for line in embedded)
    text = unicodedata.normalize("NFKC", text)  # the font maps some glyphs to Kangxi radicals (⽣ for 生)
    assert "施設別の全生存期間" in text and "大阪市立総合医療センター" in text
    glyphs = []
    for char in ("施", "別"):
        single = {"data": [], "layout": {"title": {"text": char}, "font": {"family": FONT_FAMILY, "size": 60}}}
        glyphs.append(_pdf_text_and_glyphs(exporting.render_figure(single, "pdf", 200, 120), tmp_path, "g")[2])
    assert glyphs[0] != glyphs[1], "Japanese characters are drawn as identical boxes: no CJK font"
    slide = exporting.Slide(
        "施設別の全生存期間", "Grouping: Centre", None, exporting.SlideTable(("施設",), (("神戸",),))
    )
    xml = zipfile.ZipFile(io.BytesIO(exporting.build_deck([slide], provenance))).read("ppt/slides/slide1.xml")
    assert b'<a:ea typeface="Noto Sans CJK JP"/>' in xml


def test_the_cjk_font_is_installed_by_the_test_set_up_and_the_image() -> None:
    assert "fonts-noto-cjk" in (ROOT / "scripts" / "system-deps.sh").read_text()
    assert "fonts-noto-cjk" in (ROOT / "Dockerfile").read_text()
    assert "Noto Sans CJK JP" in FONT_FAMILY


@pytest.mark.screenshot
def test_gallery_of_exports_and_slides(browser: str, tmp_path: Path) -> None:
    """The exported figures and the deck, as a reviewer sees them (``make gallery`` refreshes docs/gallery).

    With ``make gallery`` the deck is also rendered through LibreOffice (``libreoffice-impress``, when installed),
    as a presenter would open it; a plain test run writes the exported figures only.
    """
    from PIL import Image
    from screenshots import screenshot_path

    folder = screenshot_path("gallery/x").parent
    folder.mkdir(parents=True, exist_ok=True)
    exports = {
        "export-km-pp_received-single.png": (ViewRef("km", "os", "pp_received"), "single"),
        "export-km-first_line-double.png": (ViewRef(), "double"),
        "export-forest-double.png": (ViewRef("cox", "os", covariates=("fib4", "disease_control", "pp_ici")), "double"),
    }
    for name, (ref, column) in exports.items():
        _, png = presenter.export_view(ref, FilterSpec(), "png", column=column)
        with Image.open(io.BytesIO(png)) as image:
            small = image.convert("RGB")
            small.thumbnail((900, 1200))
            small.quantize(colors=64).save(folder / name, optimize=True)
        assert (folder / name).stat().st_size > 5_000
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None or os.environ.get("PPX_REFRESH_DOCS") != "1":  # LibreOffice takes a minute: gallery only
        return
    refs = presenter.parse_deck("km.os.pp_group,response.first_line,cox.os.fib4-disease_control-pp_received-pp_ici")
    _, deck = presenter.export_view(refs[0], FilterSpec(), "pptx", deck=refs)
    (tmp_path / "deck.pptx").write_bytes(deck)
    convert = [office, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(tmp_path / "deck.pptx")]
    subprocess.run(convert, check=True, capture_output=True, timeout=180)
    subprocess.run(["pdftoppm", "-png", "-r", "72", str(tmp_path / "deck.pdf"), str(tmp_path / "slide")], check=True)
    for index, page in enumerate(sorted(tmp_path.glob("slide-*.png")), start=1):
        with Image.open(page) as image:
            image.convert("RGB").quantize(colors=64).save(folder / f"slide-{index}.png", optimize=True)
    assert (folder / "slide-1.png").exists()


@pytest.mark.parametrize("column", ["single", "double"])
def test_forest_labels_and_hr_texts_keep_their_room_at_print_size(context: str, column: str) -> None:
    """Issue 15 item 2: "…, p <0" and "0.41 (0.17–1.00), p 0.0" clipped (margins fixed for another font)."""
    from app.components.forest import forest_figure, layout_forest
    from app.views import cox_view, term_label

    model = cox_view(context, FilterSpec(), "os", ("fib4", "disease_control", "pp_received", "pp_ici")).model
    assert model is not None
    figure = forest_figure(model.terms, [term_label(t) for t in model.terms], title="Cox model").to_plotly_json()
    size = exporting.print_size(column)
    styled = layout_forest(exporting.publication_style(figure, size), 0, exporting.print_font_px(size), size.width_px)
    lay = styled["layout"]
    tick_font = lay["yaxis"]["tickfont"]["size"]
    lines = [TAGS.sub("", line) for t in lay["yaxis"]["ticktext"] for line in t.split("<br>")]
    assert lay["margin"]["l"] >= max(text_width_px(line, tick_font) for line in lines)
    notes = [a for a in lay["annotations"] if a.get("x") == 1.0 and a.get("xref") == "paper"]
    for note in notes:
        assert lay["margin"]["r"] >= text_width_px(note["text"], note["font"]["size"]) + 10
    if not notes:  # a single column: each HR text under its label, the plot keeps a third of the width
        assert all("p " in t or "p <" in t for t in lay["yaxis"]["ticktext"])
    assert size.width_px - lay["margin"]["l"] - lay["margin"]["r"] >= size.width_px / 3


def test_survival_ticks_thin_out_on_short_curves_so_their_labels_never_touch() -> None:
    from app.components.km_figure import survival_ticks

    assert survival_ticks(400, 14) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert survival_ticks(100, 14) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert survival_ticks(60, 14) == [0.0, 0.5, 1.0]
    for px in (20, 60, 90, 130, 200, 400):
        ticks = survival_ticks(px, 14)
        assert (ticks[1] - ticks[0]) * px >= 14 * 1.6 or ticks == [0.0, 1.0]
