"""Browser test of the Survival page's "Adjusted comparison" panel (propensity weighting) in headless Chromium."""

from __future__ import annotations

from typing import Any

import pytest
from dash.testing.wait import until
from screenshots import screenshot_path
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By

from app.ids import Ids

pytestmark = pytest.mark.browser


def _rows(dash_duo: Any, table: str) -> list[str]:
    try:
        return [r.text for r in dash_duo.driver.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr")]
    except StaleElementReferenceException:  # the table is being replaced
        return []


def _severe(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in logs if entry.get("level") == "SEVERE" and "favicon" not in entry.get("message", "")]


def _screenshot(dash_duo: Any, element: str, name: str, width: int, height: int) -> None:
    """Window-size screenshot with ``element`` scrolled to the top (what a user of that screen sees)."""
    dash_duo.driver.set_window_size(width, height)
    panel = dash_duo.find_element("#" + element)
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", panel)
    top = "return arguments[0].getBoundingClientRect().top;"
    seen: list[float] = []

    def settled() -> bool:  # the scroll has stopped (an element near the page end cannot reach the top)
        seen.append(dash_duo.driver.execute_script(top, panel))
        return len(seen) > 2 and seen[-1] == seen[-2] == seen[-3]

    until(settled, timeout=5, poll=0.2)
    path = screenshot_path(name)
    dash_duo.driver.save_screenshot(str(path))
    assert path.stat().st_size > 20_000


def test_adjusted_panel_naive_vs_weighted_balance_and_bootstrap(dash_duo: Any, ppx_app: Any) -> None:
    dash_duo.start_server(ppx_app)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/survival?group=first_line", timeout=20)
    dash_duo.wait_for_element(f"#{Ids.ADJ_SUMMARY}", timeout=40)
    summary = _rows(dash_duo, Ids.ADJ_SUMMARY)
    assert any(r.startswith("HR Lenvatinib vs Sorafenib, unweighted") for r in summary), summary
    assert any(r.startswith("HR, weighted (ATE (IPTW); robust SE)") for r in summary), summary
    assert any(r.startswith("E-value of the weighted HR") for r in summary), summary
    love = dash_duo.driver.execute_script(
        f"const p = document.querySelector('#{Ids.ADJ_LOVE} .js-plotly-plot'); return p ? p.data.length : 0;"
    )
    assert love == 2  # unweighted and weighted markers
    assert dash_duo.find_element(f"#{Ids.ADJ_OVERLAP} .js-plotly-plot")
    _screenshot(dash_duo, Ids.ADJ_PANEL, "adjusted-panel-1280.png", 1280, 800)
    _screenshot(dash_duo, Ids.ADJ_LOVE, "adjusted-balance-1280.png", 1280, 800)

    overlap = dash_duo.find_element(f"#{Ids.ADJ_ESTIMAND} input[value='overlap']")
    dash_duo.driver.execute_script("arguments[0].click();", overlap)
    until(lambda: any("weighted (Overlap" in r for r in _rows(dash_duo, Ids.ADJ_SUMMARY)), timeout=30)

    button = dash_duo.find_element("#" + Ids.ADJ_BOOT_RUN)
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    until(lambda: button.is_enabled(), timeout=10)
    dash_duo.driver.execute_script("arguments[0].click();", button)
    until(lambda: len(_rows(dash_duo, Ids.ADJ_BOOT_TABLE)) == 11, timeout=120)
    rows = _rows(dash_duo, Ids.ADJ_BOOT_TABLE)
    assert any(r.startswith("Lenvatinib: median, months") and "(" in r for r in rows), rows
    assert rows[-1].startswith("RMST difference, months")
    bands = dash_duo.driver.execute_script(
        f"const p = document.querySelector('#{Ids.ADJ_BOOT_CURVES} .js-plotly-plot');"
        "return p ? p.data.filter(t => t.fill === 'tonexty').length : 0;"
    )
    assert bands == 2
    until(lambda: dash_duo.find_element("#" + Ids.ADJ_BOOT_RUN).is_enabled(), timeout=20)
    _screenshot(dash_duo, Ids.ADJ_PANEL, "adjusted-panel-1600.png", 1600, 1000)
    _screenshot(dash_duo, Ids.ADJ_BOOT_OUTPUT, "adjusted-bootstrap-1600.png", 1600, 1000)
    assert _severe(dash_duo.get_logs()) == []
