"""Browser test of the target-trial panel (clone–censor–weight) on the Survival page's guard, in headless Chromium."""

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


def _text(dash_duo: Any, element: str) -> str:
    try:
        found = dash_duo.driver.find_elements(By.CSS_SELECTOR, f"#{element}")
        return str(found[0].text) if found else ""
    except StaleElementReferenceException:
        return ""


def _severe(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in logs if entry.get("level") == "SEVERE" and "favicon" not in entry.get("message", "")]


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


@pytest.mark.slow
def test_target_trial_panel_point_estimate_pickers_and_bootstrap_job(dash_duo: Any, ppx_app: Any) -> None:
    dash_duo.start_server(ppx_app)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/survival?group=pp_received", timeout=20)
    dash_duo.wait_for_contains_text("#" + Ids.EMU_SUMMARY, "Emulated trial (grace 3 months", timeout=60)
    rows = _rows(dash_duo, Ids.EMU_TABLE)
    assert rows[0].startswith("Naive (study-style)") and "biased" in rows[0], rows
    assert any(r.startswith("Emulated trial: start therapy within 3 months") for r in rows), rows
    flow = _rows(dash_duo, Ids.EMU_FLOW)
    assert any(r.startswith("Excluded: no progression recorded") for r in flow), flow
    assert any(r.startswith("Eligible:") for r in flow), flow
    assert dash_duo.find_element(f"#{Ids.EMU_FIGURE} .js-plotly-plot")
    _screenshot(dash_duo, Ids.EMU_PANEL, "emulation-panel-1280.png", 1280, 800)

    # grace-period and therapy pickers recompute the trial
    grace = dash_duo.find_element("#" + Ids.EMU_GRACE)
    dash_duo.driver.execute_script(
        "const s = arguments[0]; const setter = Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value')"
        ".set; setter.call(s, '2'); s.dispatchEvent(new Event('change', {bubbles: true}));",
        grace,
    )
    until(lambda: "grace 2 months" in _text(dash_duo, Ids.EMU_SUMMARY), timeout=60)
    ici = dash_duo.find_element(f"#{Ids.EMU_THERAPY} input[value='ici']")
    dash_duo.driver.execute_script("arguments[0].click();", ici)
    until(lambda: "an immune checkpoint inhibitor" in _text(dash_duo, Ids.EMU_SUMMARY), timeout=60)
    any_therapy = dash_duo.find_element(f"#{Ids.EMU_THERAPY} input[value='any']")
    dash_duo.driver.execute_script("arguments[0].click();", any_therapy)
    until(lambda: "any post-progression therapy" in _text(dash_duo, Ids.EMU_SUMMARY), timeout=60)

    button = dash_duo.find_element("#" + Ids.EMU_RUN)
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    until(lambda: button.is_enabled(), timeout=10)
    dash_duo.driver.execute_script("arguments[0].click();", button)
    until(lambda: "Bootstrap done" in _text(dash_duo, Ids.EMU_BOOT_OUTPUT), timeout=180)
    rows = _rows(dash_duo, Ids.EMU_TABLE)
    emulated = next(r for r in rows if r.startswith("Emulated trial: start therapy"))
    assert "run the bootstrap" not in emulated and "–" in emulated, emulated
    bands = dash_duo.driver.execute_script(
        f"const p = document.querySelector('#{Ids.EMU_FIGURE} .js-plotly-plot');"
        "return p ? p.data.filter(t => t.fill === 'toself').length : 0;"
    )
    assert bands == 2
    until(lambda: dash_duo.find_element("#" + Ids.EMU_RUN).is_enabled(), timeout=20)
    assert not dash_duo.find_element("#" + Ids.EMU_CANCEL).is_enabled()
    _screenshot(dash_duo, Ids.EMU_PANEL, "emulation-panel-bootstrap-1600.png", 1600, 1000)
    assert _severe(dash_duo.get_logs()) == []
