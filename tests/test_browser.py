"""Real browser tests: headless Debian Chromium through dash[testing].

One app for the whole session (Dash binds ``@callback`` registrations to the
first app that serves), one server started per test.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from dash.testing.wait import until
from screenshots import screenshot_path
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By

from app.ids import Ids

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
PAGES = {
    "/": "#" + Ids.SURV_FIGURE,
    "/survival": "#" + Ids.SURV_FIGURE,
    "/cohort": "#table-one",
    "/cox": "#cox-model-table",
    "/response": "#response-table",
    "/sequences": "#seq-sankey .js-plotly-plot",
    "/study": "#study-5",
    "/methods": "#methods-text",
}


def _severe(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in logs if entry.get("level") == "SEVERE" and "favicon" not in entry.get("message", "")]


def _count(dash_duo: Any) -> int:
    text = dash_duo.wait_for_element("#" + Ids.N_BADGE).text
    match = re.search(r"n = (\d+) of (\d+)", text)
    assert match, text
    return int(match.group(1))


def _wait_count(dash_duo: Any) -> int:
    dash_duo.wait_for_contains_text("#" + Ids.N_BADGE, "n = ", timeout=15)
    return _count(dash_duo)


def _curve_names(dash_duo: Any) -> list[str]:
    figure = dash_duo.driver.execute_script(
        f"const plot = document.querySelector('#{Ids.SURV_FIGURE} .js-plotly-plot');"
        "return plot && plot.data ? plot.data.filter(t => t.name && t.line && t.line.shape === 'hv')"
        ".map(t => t.name) : [];"
    )
    return list(figure)


def test_every_page_loads_without_console_errors(dash_duo: Any, ppx_app: Any) -> None:
    dash_duo.start_server(ppx_app)
    for path, selector in PAGES.items():
        dash_duo.wait_for_page(url=dash_duo.server_url + path, timeout=20)
        dash_duo.wait_for_element(selector, timeout=30)
        dash_duo.wait_for_contains_text("#" + Ids.SYNTHETIC_BANNER, "SYNTHETIC", timeout=10)
        assert _severe(dash_duo.get_logs()) == [], path


@pytest.mark.screenshot
def test_first_line_filter_changes_n_and_the_curves(dash_duo: Any, ppx_app: Any) -> None:
    dash_duo.start_server(ppx_app)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/survival", timeout=20)
    dash_duo.wait_for_element("#" + Ids.SURV_FIGURE + " .js-plotly-plot", timeout=30)
    assert _count(dash_duo) == 513
    assert sorted(_curve_names(dash_duo)) == ["Lenvatinib (n = 204)", "Sorafenib (n = 309)"]
    option = dash_duo.find_element(f"#{Ids.F_FIRST_LINE} input[value='lenvatinib']")
    dash_duo.driver.execute_script("arguments[0].click();", option)
    dash_duo.wait_for_contains_text("#" + Ids.N_BADGE, "n = 204 of 513", timeout=20)
    until(lambda: _curve_names(dash_duo) == ["Lenvatinib (n = 204)"], timeout=20)
    assert "first_line=lenvatinib" in dash_duo.driver.current_url
    assert _severe(dash_duo.get_logs()) == []
    dash_duo.wait_for_page(url=dash_duo.server_url + "/survival", timeout=20)
    until(lambda: len(_curve_names(dash_duo)) == 2, timeout=30)
    screenshot = screenshot_path("survival-page.png")  # the README's picture (`make screenshots` refreshes docs/)
    dash_duo.driver.save_screenshot(str(screenshot))
    assert screenshot.stat().st_size > 20_000


def test_a_url_with_filters_restores_them(dash_duo: Any, ppx_app: Any) -> None:
    dash_duo.start_server(ppx_app)
    url = dash_duo.server_url + "/survival?first_line=sorafenib&bclc=C&endpoint=pfs&group=pp_received"
    dash_duo.wait_for_page(url=url, timeout=20)
    dash_duo.wait_for_element("#" + Ids.SURV_FIGURE + " .js-plotly-plot", timeout=30)
    n = _wait_count(dash_duo)
    assert 0 < n < 309
    checked = dash_duo.driver.execute_script(
        f"return document.querySelector('#{Ids.F_FIRST_LINE} input:checked').value;"
    )
    assert checked == "sorafenib"
    assert "C" in dash_duo.find_element("#" + Ids.F_BCLC).text
    endpoint = dash_duo.driver.execute_script(
        f"return document.querySelector('#{Ids.SURV_ENDPOINT} input:checked').value;"
    )
    assert endpoint == "pfs"
    assert "Post-progression therapy" in " ".join(_curve_names(dash_duo))
    assert _severe(dash_duo.get_logs()) == []


def test_cox_page_shows_the_study_covariates(dash_duo: Any, ppx_app: Any) -> None:
    dash_duo.start_server(ppx_app)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/cox", timeout=20)
    labels = ("FIB-4 index", "Disease control (first line)", "Post-progression therapy", "ICI after progression")

    def model_rows() -> list[str]:
        try:
            rows = dash_duo.driver.find_elements(By.CSS_SELECTOR, "#cox-model-table tbody tr")
            return [row.text for row in rows]  # [] until the table is there
        except StaleElementReferenceException:  # re-rendered while being read
            return []

    until(lambda: len(model_rows()) == 4, timeout=40)
    rows = model_rows()
    for label, row in zip(labels, rows, strict=True):
        assert row.startswith(label)
    assert _severe(dash_duo.get_logs()) == []


def test_immortal_time_warning_and_landmark_view(dash_duo: Any, ppx_app: Any) -> None:
    dash_duo.start_server(ppx_app)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/survival?group=pp_received&landmark=6", timeout=20)
    dash_duo.wait_for_contains_text("#immortal-time-warning", "Immortal-time bias", timeout=30)
    dash_duo.wait_for_element("#landmark-figure .js-plotly-plot", timeout=60)
    dash_duo.wait_for_element("#simon-makuch-figure .js-plotly-plot", timeout=30)
    summary = dash_duo.find_element("#guard-summary").text
    assert "Naive HR" in summary and "time-dependent HR" in summary
    rows = dash_duo.find_elements("#guard-table tbody tr")
    assert any("Landmark at 6 months" in row.text for row in rows)
    # a non-post-baseline grouping hides the guard
    dash_duo.wait_for_page(url=dash_duo.server_url + "/survival?group=first_line", timeout=20)
    dash_duo.wait_for_element("#" + Ids.SURV_FIGURE + " .js-plotly-plot", timeout=30)
    until(lambda: not dash_duo.find_elements("#immortal-time-warning"), timeout=10)
    assert _severe(dash_duo.get_logs()) == []


def test_cox_models_run_as_a_background_job_on_a_large_cohort(
    dash_duo: Any, ppx_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app import views

    monkeypatch.setattr(views, "COX_BACKGROUND_N", 100)  # treat the 513-patient cohort as "large"
    dash_duo.start_server(ppx_app)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/cox", timeout=20)
    dash_duo.wait_for_contains_text("#" + Ids.COX_MODEL, "Press Compute", timeout=30)
    assert not dash_duo.driver.find_elements(By.CSS_SELECTOR, "#cox-model-table")
    dash_duo.find_element("#" + Ids.COX_COMPUTE).click()
    until(lambda: len(dash_duo.driver.find_elements(By.CSS_SELECTOR, "#cox-model-table tbody tr")) == 4, timeout=90)
    aft = f"#{Ids.COX_AFT_TABLE} tbody tr"  # the same job fits the AFT check after the Cox models
    until(lambda: len(dash_duo.driver.find_elements(By.CSS_SELECTOR, aft)) == 4, timeout=30)
    until(lambda: dash_duo.find_element("#" + Ids.COX_COMPUTE).is_enabled(), timeout=20)
    assert not dash_duo.find_element("#" + Ids.COX_CANCEL).is_enabled()
    assert _severe(dash_duo.get_logs()) == []


def test_bootstrap_cis_run_as_a_background_job_on_the_survival_page(dash_duo: Any, ppx_app: Any) -> None:
    dash_duo.start_server(ppx_app)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/survival?group=first_line", timeout=20)
    dash_duo.wait_for_element("#" + Ids.SURV_FIGURE + " .js-plotly-plot", timeout=30)
    assert dash_duo.find_element("#" + Ids.BOOT_PANEL).is_displayed()
    assert not dash_duo.driver.find_elements(By.CSS_SELECTOR, "#" + Ids.BOOT_TABLE)
    button = dash_duo.find_element("#" + Ids.BOOT_RUN)
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    until(lambda: button.is_enabled(), timeout=10)
    dash_duo.driver.execute_script("arguments[0].click();", button)  # a fixed footer may cover it

    def rows() -> list[str]:
        return [r.text for r in dash_duo.driver.find_elements(By.CSS_SELECTOR, f"#{Ids.BOOT_TABLE} tbody tr")]

    until(lambda: len(rows()) == 9, timeout=90)
    texts = rows()
    for label in ("median difference", "12-month survival difference", "RMST difference (τ = "):
        assert any(label in text and "Lenvatinib vs Sorafenib" in text for text in texts), (label, texts)
    assert any(text.startswith("Sorafenib (n = ") and "median" in text for text in texts)  # the groups' labels
    until(lambda: dash_duo.find_element("#" + Ids.BOOT_RUN).is_enabled(), timeout=20)
    assert not dash_duo.find_element("#" + Ids.BOOT_CANCEL).is_enabled()
    assert _severe(dash_duo.get_logs()) == []
