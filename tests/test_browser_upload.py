"""The Data page in a real browser: upload a Shift_JIS export, read the report, use it, and forget it.

Uses the session-wide ``ppx_app`` (Dash binds callbacks to the first app).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from dash.testing.wait import until
from test_i18n_ingest import prose
from test_i18n_report import bad_rows, english_words
from test_ingest import csv_bytes, japanese_frame

from app.ids import Ids

pytestmark = pytest.mark.browser


def _severe(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in logs if entry.get("level") == "SEVERE" and "favicon" not in entry.get("message", "")]


def _count(dash_duo: Any) -> str:
    dash_duo.wait_for_contains_text("#" + Ids.N_BADGE, "n = ", timeout=20)
    return str(dash_duo.find_element("#" + Ids.N_BADGE).text)


def _click(dash_duo: Any, selector: str) -> None:
    dash_duo.driver.execute_script("arguments[0].click();", dash_duo.find_element(selector))


def test_upload_map_use_and_forget_a_japanese_export(dash_duo: Any, ppx_app: Any, tmp_path: Path) -> None:
    frame = japanese_frame().head(60)
    frame.loc[frame.index[3], "年齢"] = "250"  # one row out of range: excluded and reported
    path = tmp_path / "kobe_export.csv"
    path.write_bytes(csv_bytes(frame, encoding="cp932"))

    dash_duo.start_server(ppx_app)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/data", timeout=20)
    dash_duo.wait_for_contains_text("#" + Ids.DATA_STATUS, "bundled SYNTHETIC cohort", timeout=20)
    dash_duo.find_element(f"#{Ids.DATA_UPLOAD} input[type=file]").send_keys(str(path))

    dash_duo.wait_for_contains_text("#" + Ids.DATA_FILE_INFO, "Shift_JIS (CP932) (detected)", timeout=30)
    dash_duo.wait_for_contains_text("#data-summary", "60 rows read, 59 used, 1 excluded, because: age out of range", 30)
    assert "一次治療開始日" in dash_duo.find_element("#" + Ids.DATA_MAPPING_TABLE).text
    assert "ソラフェニブ" in dash_duo.find_element("#" + Ids.DATA_PREVIEW).text
    issues = dash_duo.find_element("#data-issues").text
    assert re.search(r"row 5\s+SYN-0004\s+age\s+error", issues), issues
    until(lambda: dash_duo.find_element("#" + Ids.DATA_USE).is_enabled(), timeout=10)

    _click(dash_duo, "#" + Ids.DATA_USE)
    until(lambda: dash_duo.driver.current_url.rstrip("/") == dash_duo.server_url.rstrip("/"), timeout=20)
    until(lambda: _count(dash_duo).startswith("n = 59 of 59"), timeout=30)
    assert "Your upload: kobe_export.csv" in dash_duo.find_element("#" + Ids.DATASET_BADGE).text
    assert dash_duo.find_element("#" + Ids.SYNTHETIC_BANNER).text == ""
    dash_duo.wait_for_element(f"#{Ids.SURV_FIGURE} .js-plotly-plot", timeout=30)

    # another browser (no cookie) sees only the bundled cohort
    dash_duo.driver.delete_all_cookies()
    dash_duo.wait_for_page(url=dash_duo.server_url + "/survival", timeout=20)
    until(lambda: _count(dash_duo).startswith("n = 513 of 513"), timeout=30)
    assert "SYNTHETIC" in dash_duo.find_element("#" + Ids.SYNTHETIC_BANNER).text
    assert _severe(dash_duo.get_logs()) == []


def test_template_download_and_forget_button(dash_duo: Any, ppx_app: Any) -> None:
    dash_duo.start_server(ppx_app)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/data", timeout=20)
    dash_duo.wait_for_element("#" + Ids.DATA_TEMPLATE_SAVE, timeout=20)
    _click(dash_duo, "#" + Ids.DATA_FORGET)
    dash_duo.wait_for_contains_text("#" + Ids.DATA_STATUS, "bundled SYNTHETIC cohort", timeout=20)
    assert _severe(dash_duo.get_logs()) == []


def test_the_report_of_a_shift_jis_file_with_bad_rows_is_japanese(dash_duo: Any, ppx_app: Any, tmp_path: Path) -> None:
    """lang=ja: a refused file's message, the reader's notes, the summary and every issue line are worded in
    Japanese (values and column names as in the file)."""
    refused = tmp_path / "scan.csv"
    refused.write_bytes(b"%PDF-1.4 not a table")
    path = tmp_path / "病院データ.csv"  # two blank lines above a semicolon-separated header: two reader's notes
    path.write_bytes(b"\n\n" + csv_bytes(bad_rows(), encoding="cp932", sep=";"))
    dash_duo.start_server(ppx_app)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/data?lang=ja", timeout=20)
    upload = dash_duo.wait_for_element(f"#{Ids.DATA_UPLOAD} input[type=file]", timeout=30)
    upload.send_keys(str(refused))
    dash_duo.wait_for_contains_text("#" + Ids.DATA_UPLOAD_MESSAGE, "はPDF 文書で、表ではありません", timeout=60)
    refusal = dash_duo.find_element("#" + Ids.DATA_UPLOAD_MESSAGE).text
    assert "'scan.csv'" in refusal and prose(refusal) == [], refusal
    dash_duo.find_element(f"#{Ids.DATA_UPLOAD} input[type=file]").send_keys(str(path))
    dash_duo.wait_for_contains_text("#data-summary", "40 行を読み込み、34 行を使用、6 行を除外しました", timeout=60)
    summary = dash_duo.find_element("#data-summary").text
    issues = dash_duo.find_element("#data-issues").text
    assert english_words(summary) == [] and english_words(issues) == [], (summary, issues)
    assert "は数値ではありません" in issues and "エラー" in issues and "行目" in issues
    info = dash_duo.find_element("#" + Ids.DATA_FILE_INFO).text
    assert "（自動判定）、セミコロン区切り、データ 40 行" in info, info
    assert "セミコロン区切りとして読みました" in info and "見出し行は 3 行目です" in info, info
    notes = dash_duo.find_element(f"#{Ids.DATA_REPORT} ul").text
    assert "日付を" in notes and prose(info) == [] and prose(notes) == [], (info, notes)
    assert _severe(dash_duo.get_logs()) == []
