"""Japanese exports (``ppx export --lang ja``): the PDF embeds a CJK font and carries the Japanese labels; the
slides' text is Japanese. Through the CLI, as a user runs it."""

from __future__ import annotations

import re
import subprocess
import unicodedata
import zipfile
from pathlib import Path

import pytest

from app import exporting
from cli import main as ppx

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.fixture(scope="module", autouse=True)
def export_browser() -> object:
    exporting.start_export_browser()
    yield None
    exporting.stop_export_browser()


def test_japanese_pdf_embeds_a_cjk_font_and_has_the_japanese_labels(tmp_path: Path) -> None:
    out = tmp_path / "km-ja.pdf"
    assert ppx(["export", "--view", "survival", "--format", "pdf", "--lang", "ja", "--out", str(out)]) == 0
    # The export browser embeds every font as an unnamed Type 3 font: pdffonts shows them embedded but cannot name
    # them (tests/test_figures.py checks that two Japanese characters are drawn as two different glyphs).
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout
    embedded = fonts.splitlines()[2:]
    assert embedded and all(" yes " in line for line in embedded), fonts  # the emb column
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    text = unicodedata.normalize("NFKC", text)  # the font maps some glyphs to Kangxi radicals (⽣ for 生)
    # (the y-axis title is rotated, so pdftotext reads it backwards: the figure-dict tests check it)
    for label in ("一次治療薬別の全生存期間", "リスク集合の人数", "ソラフェニブ", "レンバチニブ", "ログランク検定 p"):
        assert label in text, (label, text[:500])
    assert "合成データ" in text and "に出力" in text  # the footer in Japanese, its date as Japanese writes it
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", text), text[-400:]


def test_japanese_slides_are_in_japanese(tmp_path: Path) -> None:
    out = tmp_path / "deck-ja.pptx"
    deck = "km.os.first_line,response.first_line"
    args = ["export", "--format", "pptx", "--deck", deck, "--lang", "ja", "--out", str(out)]
    assert ppx(args) == 0
    slides = exporting.slide_texts(out.read_bytes())
    xml = zipfile.ZipFile(out).read("ppt/slides/slide1.xml")
    assert b'<a:ea typeface="Noto Sans CJK JP"/>' in xml
    assert len(slides) == 2
    assert "一次治療薬別の全生存期間" in slides[0]
    assert "一次治療薬別の一次治療の最良総合効果" in slides[1]
    assert "中央値、月（95%信頼区間）" in slides[0] and "レンバチニブ" in slides[0]
    assert "奏効率" in slides[1] and "病勢制御率" in slides[1]
    by_therapy = [
        "export",
        "--group",
        "pp_received",
        "--format",
        "pptx",
        "--lang",
        "ja",
        "--out",
        str(tmp_path / "pp.pptx"),
    ]
    assert ppx(by_therapy) == 0  # a view exposed to immortal-time bias: its caveat in Japanese on the slide
    caveat = exporting.slide_texts((tmp_path / "pp.pptx").read_bytes())[0]
    assert "注意：後治療は起点より後に定まる変数です（不死時間バイアス）" in caveat, caveat
    for text in slides:
        assert "合成データ（実在の患者ではありません）" in text
        assert "Overall survival" not in text and "Median, months" not in text
        assert JAPANESE.search(text)
