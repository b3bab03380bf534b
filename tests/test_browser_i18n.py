"""The main flows in Japanese, in a real browser (``lang=ja``): filter/survival, upload, Cox and the presenter.

Every page swept for English: ``test_browser_i18n_sweep.py``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dash.testing.wait import until

from app.ids import Ids

pytestmark = pytest.mark.browser


def _curve_names(dash_duo: Any) -> list[str]:
    return list(
        dash_duo.driver.execute_script(
            f"const plot = document.querySelector('#{Ids.SURV_FIGURE} .js-plotly-plot');"
            "return plot && plot.data ? plot.data.filter(t => t.name && t.line && t.line.shape === 'hv')"
            ".map(t => t.name) : [];"
        )
    )


def test_filter_and_survival_in_japanese_keep_the_language(dash_duo: Any, ppx_app: Any) -> None:
    dash_duo.start_server(ppx_app)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/survival?lang=ja", timeout=30)
    dash_duo.wait_for_element("#" + Ids.SURV_FIGURE + " .js-plotly-plot", timeout=60)
    dash_duo.wait_for_contains_text("#" + Ids.N_BADGE, "n = 513（全 513 例中）", timeout=30)
    until(lambda: sorted(_curve_names(dash_duo)) == ["ソラフェニブ（n = 309）", "レンバチニブ（n = 204）"], timeout=30)
    option = dash_duo.find_element(f"#{Ids.F_FIRST_LINE} input[value='lenvatinib']")
    dash_duo.driver.execute_script("arguments[0].click();", option)
    dash_duo.wait_for_contains_text("#" + Ids.N_BADGE, "n = 204（全 513 例中）", timeout=30)
    until(lambda: _curve_names(dash_duo) == ["レンバチニブ（n = 204）"], timeout=30)
    url = dash_duo.driver.current_url
    assert "first_line=lenvatinib" in url and "lang=ja" in url
    y_title = dash_duo.driver.execute_script(
        f"return document.querySelector('#{Ids.SURV_FIGURE} .js-plotly-plot').layout.yaxis.title.text;"
    )
    assert y_title == "生存確率"
    nav = dash_duo.driver.execute_script(
        f"return Array.from(document.querySelectorAll('#{Ids.NAV} a')).map(a => [a.innerText, a.href]);"
    )
    assert [n for n, _ in nav if n in ("コホート", "Cox 回帰", "方法")] == ["コホート", "Cox 回帰", "方法"]
    assert all("lang=ja" in href and "first_line=lenvatinib" in href for _, href in nav)
    english = dash_duo.driver.execute_script(
        f"return Array.from(document.querySelectorAll('#{Ids.LANG_SWITCH} a')).map(a => a.href);"
    )
    assert len(english) == 1 and "/survival?" in english[0] and "lang=en" in english[0]
    assert "first_line=lenvatinib" in english[0]


def test_upload_of_a_shift_jis_export_in_japanese(dash_duo: Any, ppx_app: Any, tmp_path: Path) -> None:
    from test_ingest import csv_bytes, japanese_frame

    path = tmp_path / "kobe_export.csv"
    path.write_bytes(csv_bytes(japanese_frame().head(40), encoding="cp932"))
    dash_duo.start_server(ppx_app)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/data?lang=ja", timeout=30)
    dash_duo.wait_for_contains_text("#" + Ids.N_BADGE, "例中", timeout=30)
    dash_duo.find_element(f"#{Ids.DATA_UPLOAD} input[type=file]").send_keys(str(path))
    dash_duo.wait_for_contains_text("#" + Ids.DATA_FILE_INFO, "Shift_JIS (CP932)", timeout=60)
    assert "一次治療開始日" in dash_duo.find_element("#" + Ids.DATA_MAPPING_TABLE).text
    page = dash_duo.find_element(".ppx-page-column").text
    assert "列の対応付け" in page and "検証レポート" in page, page[:400]
    until(lambda: dash_duo.find_element("#" + Ids.DATA_USE).is_enabled(), timeout=30)
    dash_duo.driver.execute_script("arguments[0].click();", dash_duo.find_element("#" + Ids.DATA_USE))
    until(lambda: "lang=ja" in dash_duo.driver.current_url and "/data" not in dash_duo.driver.current_url, 30)
    dash_duo.wait_for_contains_text("#" + Ids.N_BADGE, "n = 40（全 40 例中）", timeout=30)
    badge = dash_duo.find_element("#" + Ids.DATASET_BADGE).text
    assert "アップロードしたデータ：kobe_export.csv" in badge, badge


def test_cox_and_presenter_in_japanese(dash_duo: Any, ppx_app: Any) -> None:
    dash_duo.start_server(ppx_app)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/cox?lang=ja", timeout=30)
    dash_duo.wait_for_contains_text("#cox-model-table", "HR（95%信頼区間）", timeout=60)
    table = dash_duo.find_element("#cox-model-table").text
    assert "病勢制御" in table and "後治療" in table and "Disease control" not in table, table
    path = "/present?lang=ja&present=1&deck=km.os.first_line,response.first_line"
    dash_duo.wait_for_page(url=dash_duo.server_url + path, timeout=30)
    dash_duo.wait_for_contains_text("#" + Ids.PRESENT_TITLE, "一次治療薬別の全生存期間", timeout=60)
    dash_duo.wait_for_contains_text("#" + Ids.PRESENT_FOOTER, "合成データ（実在の患者ではありません）", timeout=30)
    until(
        lambda: (
            "ソラフェニブ（n = 309）"
            in dash_duo.driver.execute_script(
                f"const p = document.querySelector('#{Ids.PRESENT_FIGURE} .js-plotly-plot');"
                "return p && p.data ? p.data.map(t => t.name || '').join('|') : '';"
            )
        ),
        timeout=60,
    )
