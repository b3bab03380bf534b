"""Browser test of the Survival page's Parametric section in headless Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dash.testing.wait import until
from pptx import Presentation
from screenshots import screenshot_path
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By

from app.ids import Ids

pytestmark = pytest.mark.browser


def _rows(dash_duo: Any, table: str) -> list[str]:
    try:
        return [r.text for r in dash_duo.driver.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr")]
    except StaleElementReferenceException:
        return []


def _screenshot(dash_duo: Any, element: str, name: str, width: int, height: int) -> None:
    dash_duo.driver.set_window_size(width, height)
    panel = dash_duo.find_element("#" + element)
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", panel)
    top = "return arguments[0].getBoundingClientRect().top;"
    seen: list[float] = []

    def settled() -> bool:
        seen.append(dash_duo.driver.execute_script(top, panel))
        return len(seen) > 2 and seen[-1] == seen[-2] == seen[-3]

    until(settled, timeout=5, poll=0.2)
    path = screenshot_path(name)
    dash_duo.driver.save_screenshot(str(path))
    assert path.stat().st_size > 20_000


def test_parametric_section_fits_marks_the_chosen_model_and_follows_the_bandwidth(dash_duo: Any, ppx_app: Any) -> None:
    dash_duo.start_server(ppx_app)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/survival?group=first_line", timeout=20)
    dash_duo.wait_for_element(f"#{Ids.SURV_MEDIANS} table", timeout=60)  # the page has rendered
    shown = f"return getComputedStyle(document.getElementById('{Ids.PAR_PANEL}')).display;"
    assert dash_duo.driver.execute_script(shown) == "none"  # off by default
    dash_duo.driver.execute_script(f"document.getElementById('{Ids.PAR_SWITCH}').click();")
    until(lambda: dash_duo.driver.execute_script(shown) == "block", timeout=30)
    dash_duo.wait_for_element(f"#{Ids.PAR_AIC}", timeout=120)
    rows = _rows(dash_duo, Ids.PAR_AIC)
    assert sum("chosen" in r for r in rows) == 2, rows  # one chosen model per first-line drug
    assert any(r.startswith("Sorafenib Weibull") for r in rows) and any(r.startswith("Lenvatinib") for r in rows)
    assert "an assumption" in dash_duo.find_element(f"#{Ids.PAR_OUTPUT}").text
    title = f"return document.querySelector('#{Ids.PAR_HAZARD} .js-plotly-plot').layout.title.text;"
    default = dash_duo.driver.execute_script(title)
    assert "bandwidth" in default
    _screenshot(dash_duo, Ids.PAR_PANEL, "parametric-1280.png", 1280, 800)
    _screenshot(dash_duo, Ids.PAR_PANEL, "parametric-1600.png", 1600, 1000)
    _screenshot(dash_duo, Ids.PAR_HAZARD, "parametric-hazard-1280.png", 1280, 800)
    box = dash_duo.find_element(f"#{Ids.PAR_BANDWIDTH}")
    box.send_keys("7\n")
    until(lambda: "bandwidth 7 months" in (dash_duo.driver.execute_script(title) or ""), timeout=120)
    # the section's export bar: its slide and "Add to deck" carry the bandwidth the page shows
    downloads = Path(dash_duo.download_path)
    _click(dash_duo, _pattern(Ids.EXPORT_BUTTON, fmt="pptx"))
    until(lambda: any(p.suffix == ".pptx" for p in downloads.iterdir()), timeout=120)
    deck = next(p for p in downloads.iterdir() if p.suffix == ".pptx")
    until(lambda: deck.stat().st_size > 10_000, timeout=10)
    text = " ".join(s.text_frame.text for s in next(iter(Presentation(str(deck)).slides)).shapes if s.has_text_frame)
    assert "Parametric survival models: Overall survival by first-line drug" in text
    assert "Hazard bandwidth: 7 months" in text and "Beyond the end of follow-up" in text
    _click(dash_duo, _pattern(Ids.DECK_ADD))
    until(lambda: "deck=parametric.os.first_line.b7" in dash_duo.driver.current_url, timeout=30)
    assert _severe(dash_duo.get_logs() or []) == []


def _pattern(kind: str, **extra: str) -> str:
    """CSS selector of the Parametric section's export-bar component of this pattern-matching type."""
    parts = {"type": kind, "page": "parametric", **extra}
    return "".join(f"""[id*='"{key}":"{value}"']""" for key, value in parts.items())


def _click(dash_duo: Any, selector: str) -> None:
    dash_duo.driver.execute_script("arguments[0].click();", dash_duo.find_element(selector))


def test_cox_page_aft_check_in_japanese(dash_duo: Any, ppx_app: Any) -> None:
    dash_duo.start_server(ppx_app)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/cox?lang=ja", timeout=20)
    dash_duo.wait_for_element(f"#{Ids.COX_AFT_TABLE}", timeout=120)
    until(lambda: len(_rows(dash_duo, Ids.COX_AFT_TABLE)) == 4, timeout=60)  # the study's four terms
    header = dash_duo.find_element(f"#{Ids.COX_AFT_TABLE} thead").text
    for model in ("ワイブル", "対数正規", "対数ロジスティック"):
        assert f"{model}：時間比" in header, header
    rows = _rows(dash_duo, Ids.COX_AFT_TABLE)
    assert all("Cox の HR" in r for r in rows), rows
    assert (
        "パラメトリック（AFT）モデルによる比例ハザードの確認" in dash_duo.find_element(f"#{Ids.COX_AFT_SECTION}").text
    )
    assert "AIC" in dash_duo.find_element(f"#{Ids.COX_AFT_MODELS}").text
    _screenshot(dash_duo, Ids.COX_AFT_SECTION, "cox-aft-ja-1280.png", 1280, 800)
    _screenshot(dash_duo, Ids.COX_AFT_SECTION, "cox-aft-ja-1600.png", 1600, 1000)
    assert _severe(dash_duo.get_logs() or []) == []


def _severe(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in logs if entry.get("level") == "SEVERE" and "favicon" not in entry.get("message", "")]
