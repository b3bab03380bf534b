"""Japanese exports (``ppx export --lang ja``): the PDF embeds a CJK font and carries the Japanese labels; the
slides' text is Japanese. Through the CLI, as a user runs it. The pages' table downloads (CSV, XLSX) in Japanese,
through the real download callback over HTTP: Japanese headers and no English word outside the page sweep's
allow-list."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import subprocess
import unicodedata
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from test_browser_i18n_sweep import english_words  # the page sweep's checker and allow-list

from app import exporting
from app.ids import Ids
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


# ----------------------------------------------------------------------------- table downloads in Japanese

PAGE_TABLES: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    # page: (each table's title and the Japanese header cells it must have), in the file's order
    "survival": (
        (
            "生存期間中央値：一次治療薬別の全生存期間",
            ("群", "イベント数", "打ち切り", "中央値（月）", "中央値 95%信頼区間 下限"),
        ),
        ("各時点の生存率：一次治療薬別の全生存期間", ("時間（月）", "リスク集合の人数", "95%信頼区間 上限")),
    ),
    "cox": (("Cox モデル（多変量）", ("項", "HR", "係数", "標準誤差")), ("Cox 単変量スクリーニング", ("共変量", "注"))),
    "response": (("一次治療の治療効果", ("群", "CR", "奏効率", "病勢制御率")),),
    "cohort": (("一次治療薬別の表 1", ("項目", "水準", "全体（n = 513）", "レンバチニブ（n = 204）", "検定")),),
    "parametric": (
        ("パラメトリックモデル：当てはまりと選択", ("モデル", "当てはめ", "選択", "当てはめ不可の理由")),
        ("制限付き平均生存時間 RMST と外挿による平均生存期間", ("群", "平均生存期間（外挿）", "RMST 95%信頼区間 下限")),
    ),
}


@pytest.fixture(scope="module")
def download(ppx_app: Any) -> Iterator[Any]:
    """``download(page, fmt, search)``: the page's table export as its download button gives it (the renderer's
    request to the export callback, with the page's URL), as bytes."""
    client = ppx_app.server.test_client()
    client.get("/survival?lang=ja")  # a session, as a browser has
    deps = client.get("/_dash-dependencies").get_json()
    output = next(str(d["output"]) for d in deps if Ids.EXPORT_DOWNLOAD in str(d["output"]))

    def fetch(page: str, fmt: str, search: str = "?lang=ja", mask: bool = False) -> bytes:
        button = {"type": Ids.EXPORT_BUTTON, "page": page, "fmt": fmt}
        body = {
            "output": output,
            "outputs": [
                {"id": {"type": Ids.EXPORT_DOWNLOAD, "page": page}, "property": "data"},
                {"id": {"type": Ids.EXPORT_NOTE, "page": page}, "property": "children"},
            ],
            "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]],
            "changedPropIds": [json.dumps(button, sort_keys=True, separators=(",", ":")) + ".n_clicks"],
            "state": [
                {"id": {"type": Ids.EXPORT_MASK, "page": page}, "property": "value", "value": mask},
                {"id": {"type": Ids.EXPORT_OPTIONS, "page": page}, "property": "data", "value": {}},
                {"id": Ids.URL, "property": "search", "value": search},
            ],
        }
        response = client.post("/_dash-update-component", json=body)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        answer = response.get_json()["response"]
        data = next(v["data"] for k, v in answer.items() if Ids.EXPORT_DOWNLOAD in k)
        assert data["filename"].endswith("." + fmt)
        return base64.b64decode(data["content"])

    yield fetch


def _csv_tables(data: bytes) -> list[list[list[str]]]:
    """The CSV's tables (separated by a blank line), each as its rows."""
    assert data.startswith("\ufeff".encode())  # the BOM: Excel reads the file as UTF-8
    tables: list[list[list[str]]] = [[]]
    for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))):
        if row:
            tables[-1].append(row)
        else:
            tables.append([])
    return tables


def _xlsx_tables(data: bytes) -> tuple[list[str], list[list[list[str]]]]:
    """The workbook's sheet names and each sheet's rows as text (numbers included, as they read)."""
    book = load_workbook(io.BytesIO(data))
    sheets = [
        [["" if c is None else str(c) for c in row] for row in book[n].iter_rows(values_only=True)]
        for n in book.sheetnames
    ]
    return list(book.sheetnames), sheets


@pytest.mark.parametrize(
    "page", [pytest.param(p, marks=pytest.mark.slow) if p == "parametric" else p for p in PAGE_TABLES]
)  # the parametric fits take ~5 s
def test_a_pages_csv_and_xlsx_tables_in_japanese_have_japanese_headers_and_no_english(download: Any, page: str) -> None:
    expected = PAGE_TABLES[page]
    tables = _csv_tables(download(page, "csv"))
    names, sheets = _xlsx_tables(download(page, "xlsx"))
    assert len(tables) == len(expected) and len(sheets) == len(expected) + 1  # and the provenance sheet
    for rows, sheet, (title, headers) in zip(tables, sheets, expected, strict=False):
        assert rows[0] == [title] and sheet[0][0] == title
        assert set(headers) <= set(rows[1]) and sheet[1] == rows[1], (headers, rows[1])
        assert "合成データ（実在の患者ではありません）" in rows[-1][0] and "に出力" in rows[-1][0]  # the footer
    assert names[-1] == "出典情報" and all(len(n) <= 31 and not re.search(r"[\[\]:*?/\\]", n) for n in names)
    text = "\n".join([*names, *(c for t in tables for r in t for c in r), *(c for s in sheets for r in s for c in r)])
    assert english_words(text) == [], [line for line in text.splitlines() if english_words(line)][:20]


def test_masked_japanese_tables_word_the_withheld_values(download: Any) -> None:
    search = "?lang=ja&bclc=A&resp_group=first_line"  # sorafenib: 22 patients, 3 responses
    rows = [r for t in _csv_tables(download("response", "csv", search, mask=True)) for r in t]
    cells = [c for r in rows for c in r]
    assert "<5" in cells and "秘匿" in cells and "suppressed" not in cells
    assert "5 未満の数は伏せ字" in rows[-1][0]


@pytest.mark.slow
def test_ppx_export_lang_ja_csv_is_the_pages_japanese_download(download: Any, tmp_path: Path) -> None:
    out = tmp_path / "cohort-ja.csv"
    args = ["export", "--view", "cohort", "--format", "csv", "--lang", "ja", "--out", str(out)]
    assert ppx(args) == 0
    assert out.read_bytes() == download("cohort", "csv")
    assert _csv_tables(out.read_bytes())[0][:2] == [
        ["一次治療薬別の表 1"],
        ["項目", "水準", "全体（n = 513）", "ソラフェニブ（n = 309）", "レンバチニブ（n = 204）", "p", "検定", "SMD"],
    ]
    english = tmp_path / "cohort-en.csv"
    assert ppx(["export", "--view", "cohort", "--format", "csv", "--out", str(english)]) == 0
    assert english.read_bytes() == download("cohort", "csv", "")  # English: the page without lang= (no Accept-Language)
    assert _csv_tables(english.read_bytes())[0][0] == ["Table 1 by first_line"]


def test_translated_cells_are_still_neutralised_and_japanese_sheet_names_are_valid() -> None:
    from app.components.palette import level_label
    from app.i18n import t

    # user text (a centre, a group) inside Japanese labels and as cells of its own
    cells = (level_label(None, "=1+1", "ja"), t("ja", "{group} (n = {n})", group="@cmd", n=3), "-2+3", 1.5)
    title = "生存期間中央値：[一次治療薬]別の/全生存期間*とても長い表題のつづき"
    table = exporting.ExportTable("t", title, ("群", "注", "検定", "値"), (cells,))
    provenance = exporting.Provenance("=cmd", "f", "全患者", 1, "2025-01-02", "0.1.0", True, lang="ja")
    rows = list(csv.reader(io.StringIO(exporting.tables_to_csv([table], provenance).decode("utf-8-sig"))))
    assert rows[2] == ["'=1+1", "'@cmd（n = 3）", "'-2+3", "1.5"]
    book = load_workbook(io.BytesIO(exporting.tables_to_xlsx([table, table], provenance)))
    assert all(c.data_type != "f" for name in book.sheetnames for row in book[name].iter_rows() for c in row)
    first, second, info = book.sheetnames
    assert info == "出典情報" and first != second
    assert all(len(n) <= 31 and not re.search(r"[\[\]:*?/\\]", n) for n in book.sheetnames), book.sheetnames
    assert book[first].cell(row=3, column=1).value == "'=1+1"
    # a column is as wide as its widest cell as a spreadsheet draws it: a full-width character takes two columns
    assert book[first].column_dimensions["B"].width == 2 + len("@cmd（n = 3）") + 2
