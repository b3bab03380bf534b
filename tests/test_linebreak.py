"""Export text breaks where a reader expects: English between words (as it always did), Japanese between phrases.

The footers are the real ones of the views (their caveats and method in Japanese), wrapped at the widths of a single-
and a double-column PNG, a slide and a sweep of others; the same checks on the figure's footer annotation and on a
Japanese slide's footer, table cells and subtitle (line breaks set by us, so a renderer cannot break "6 / か月").
XLSX sheet names are the title's whole words or phrases.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from openpyxl import load_workbook
from pptx import Presentation

from analysis.filters import FilterSpec
from app import datasets, exporting
from app.cache import cache
from app.components import presenter
from app.components.measure import text_width_px, wrap_to_width
from app.components.presenter import ViewRef

TOKENS = ("emulation.ici", "emulation.any.grace6", "km.os.pp_received", "cox.os.pp_ici", "adjusted.os.first_line")
NO_START = set("、。，．）」』】・ー：%％っゃゅょァィゥェォッャュョ")  # JIS X 4051: may not begin a line
NO_END = set("（「『【")  # may not end one
UNIT_START = re.compile(r"(か|ヶ|カ)?月|例|件|人|日|回")
NUMBER_UNIT = re.compile(r"\d+(?:\.\d+)? ?(?:か月|例|件|人)")
WIDTHS = (*range(180, 1500, 37), 303, 646, 1304)  # a sweep, and the footer of a single/double-column PNG (8.7 px)
FONT = 8.67


@pytest.fixture(scope="module")
def context() -> Iterator[None]:
    server = Flask("test-linebreak")
    cache.init_app(server, config={"CACHE_TYPE": "SimpleCache"})
    with server.app_context():
        yield


@pytest.fixture(scope="module")
def footers(context: None) -> dict[str, list[str]]:
    """Each language's footers of the views (one token's caveat, method and provenance each)."""
    out: dict[str, list[str]] = {}
    for lang in ("en", "ja"):
        out[lang] = [presenter.provenance(FilterSpec(), None, (_ref(token),), lang).text() for token in TOKENS]
    return out


def _ref(token: str) -> ViewRef:
    if token == "table1.first_line":
        return ViewRef("table1")
    ref = ViewRef.from_token(token)
    assert ref is not None, token
    return ref


def assert_breaks_between_phrases(text: str, lines: list[str]) -> None:
    """No line starts with closing punctuation or a unit, none ends with opening punctuation, no number is split
    (from its digits or its unit), "KLC 類似" stays whole, and nothing is lost."""
    assert re.sub(r"\s", "", "".join(lines)) == re.sub(r"\s", "", text), (text, lines)
    for before, after in itertools.pairwise(lines):
        pair = f"{before!r} / {after!r}"
        assert before and after, pair
        assert after[0] not in NO_START and before[-1] not in NO_END, pair
        assert not UNIT_START.match(after), pair
        assert not (before[-1].isdigit() and after[0].isdigit()), pair
        assert not (before[-1].isascii() and before[-1].isalnum() and after[0].isascii() and after[0].isalnum()), pair
    joined = "\n".join(lines)
    for phrase in [*NUMBER_UNIT.findall(text), *(["KLC 類似"] if "KLC 類似" in text else [])]:
        assert phrase in joined.replace("\n", "\0"), (phrase, lines)


def test_japanese_footers_break_between_phrases_at_every_width(footers: dict[str, list[str]]) -> None:
    assert all("KLC 類似" in text for text in footers["ja"]) and sum(" か月" in text for text in footers["ja"]) >= 2
    for text in footers["ja"]:
        for width in WIDTHS:
            lines = wrap_to_width(text, width, FONT)
            assert_breaks_between_phrases(text, lines)
            assert all(text_width_px(line, FONT) <= width for line in lines if " " in line or len(line) > 20), width


def test_japanese_wrapping_packs_its_lines() -> None:
    """Phrases, not a line per phrase: at a wide width the footer is a few long lines; a phrase longer than the
    line is cut rather than overflowing."""
    text = "合成データ（実在の患者ではありません） · データセット：KLC 類似の合成コホート · n = 513 · 猶予期間 3 か月"
    assert wrap_to_width(text, 10_000, FONT) == [text]
    width = text_width_px(text, FONT) * 0.6
    lines = wrap_to_width(text, width, FONT)
    assert 2 <= len(lines) <= 3 and all(text_width_px(line, FONT) <= width for line in lines), lines
    assert all(text_width_px(a + b, FONT) > width for a, b in itertools.pairwise(lines)), lines
    narrow = wrap_to_width("免疫チェックポイント阻害薬", 40, FONT)
    assert len(narrow) > 1 and "".join(narrow) == "免疫チェックポイント阻害薬"


def _greedy(text: str, width: float, font: float) -> list[str]:
    """The English wrap as it was: greedy between words, a word longer than the line kept whole."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width_px(f"{lines[-1]} {word}", font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def test_english_footers_wrap_between_words_exactly_as_before(footers: dict[str, list[str]]) -> None:
    for text in footers["en"]:
        assert not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text)
        for width in WIDTHS:
            assert wrap_to_width(text, width, FONT) == _greedy(text, width, FONT), width


def test_the_figure_footer_is_wrapped_by_phrase(context: None) -> None:
    provenance = presenter.provenance(FilterSpec(), None, (_ref("emulation.ici"),), "ja")
    for column in ("single", "double"):
        size = exporting.print_size(column)
        figure = exporting.with_footer({"data": [], "layout": {}}, provenance, size.width_px, exporting._pt_to_px(6.5))
        (footer,) = [a for a in figure["layout"]["annotations"] if a.get("name") == exporting.FOOTER]
        lines = footer["text"].split("<br>")
        assert len(lines) > 1
        assert_breaks_between_phrases(provenance.text(), [re.sub("&amp;", "&", line) for line in lines])


def _slide_paragraph_lines(pptx: bytes) -> list[list[str]]:
    """Each text paragraph of the deck's first slide (text boxes and table cells), cut at its line breaks."""
    slide = Presentation(io.BytesIO(pptx)).slides[0]
    frames = [s.text_frame for s in slide.shapes if s.has_text_frame]
    frames += [c.text_frame for s in slide.shapes if s.has_table for row in s.table.rows for c in row.cells]
    return [[line.rstrip() for line in p.text.split("\v")] for frame in frames for p in frame.paragraphs if p.text]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_a_japanese_slide_sets_its_line_breaks_and_an_english_one_leaves_them_to_the_renderer(
    context: None, lang: str
) -> None:
    fingerprint = datasets.active_cohort().fingerprint
    slide = presenter.view_slide(_ref("emulation.ici"), fingerprint, FilterSpec(), with_figure=False, lang=lang)  # type: ignore[arg-type]
    deck = exporting.build_deck([slide], presenter.provenance(FilterSpec(), lang=lang))  # type: ignore[arg-type]
    paragraphs = _slide_paragraph_lines(deck)
    if lang == "en":
        assert all(len(lines) == 1 for lines in paragraphs)
        return
    broken = [lines for lines in paragraphs if len(lines) > 1]
    assert broken, paragraphs  # the footer at least
    for lines in broken:
        assert_breaks_between_phrases("".join(lines), lines)


def _sheet_names(tables: list[exporting.ExportTable], lang: str) -> list[str]:
    provenance = exporting.Provenance("d", "f", "-", 1, "2025-01-02", "0.1.0", True, lang=lang)  # type: ignore[arg-type]
    return list(load_workbook(io.BytesIO(exporting.tables_to_xlsx(tables, provenance))).sheetnames)


def _whole(name: str, title: str) -> bool:
    """``name`` is ``title`` or its start up to a word or phrase boundary (an unclosed bracket's tail dropped)."""
    clean = " ".join(re.sub(r"[\[\]:*?/\\]", " ", re.sub(r"\s*:\s+", " - ", title)).split())
    if not clean.startswith(name):
        return False
    rest = clean[len(name) :]
    if not rest.strip(" .。"):
        return True
    if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", title):
        last, first = name[-1], rest.lstrip()[0]
        kanji = re.compile(r"[\u4e00-\u9fff]")
        return not (
            first in NO_START
            or UNIT_START.match(rest.lstrip())
            or (last.isdigit() and first.isdigit())
            or (kanji.match(last) and kanji.match(first))
            or (last in "かカヶ" and first == "月")
        )
    return rest[0] in " (,"


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_sheet_names_are_whole_words_unique_and_valid_for_every_view(context: None, lang: str) -> None:
    fingerprint = datasets.active_cohort().fingerprint
    for token in (*TOKENS, "response.first_line", "table1.first_line", "emulation.ici.grace2"):
        tables = list(presenter.view_tables(_ref(token), fingerprint, FilterSpec(), None, lang))  # type: ignore[arg-type]
        names = _sheet_names([*tables, *tables], lang)  # twice: the same titles must still get unique names
        assert len({n.casefold() for n in names}) == len(names), names
        for name in names:
            assert 0 < len(name) <= 31 and not re.search(r"[\[\]:*?/\\]", name), name
            assert name == name.strip() and not name.startswith("'") and not name.endswith("'"), name
        for table, name in zip([*tables, *tables], names, strict=False):
            base = re.sub(r" \d+$", "", name) if name not in (table.title,) else name
            assert _whole(base, table.title), (name, table.title)


def test_a_long_english_title_is_cut_between_words() -> None:
    title = "Emulated trial (grace 3 months, ICI): survival from progression by strategy"
    table = exporting.ExportTable("t", title, ("a",), ((1,),))
    first, second, _ = _sheet_names([table, table], "en")
    assert (first, second) == ("Emulated trial", "Emulated trial 2")
