"""Two real browsers (headless Chromium) on one server: A's upload and A's job result never reach B (issue 12).

Browser A has an upload whose centres are a marker and a hostile HTML name;
browser B has the bundled cohort. Both press "Bootstrap 95% CIs" on the same
view (the same inputs: Dash's own job key would be identical). A gets its own
table, B gets the bundled cohort's, and A's KM legend shows the HTML name as
text (no link in the figure).
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import pytest_setup_options
from dash.testing.wait import until
from screenshots import screenshot_path
from selenium import webdriver
from selenium.webdriver.common.by import By
from sessionkit import plant_cohort

from analysis.cohort import ValidatedCohort, validate_cohort
from analysis.schema import INPUT_COLUMNS
from app import datasets, sessions
from app.ids import Ids

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MARKER = "MARKERBROWSER"
HOSTILE = '<a href="https://x.example">x</a>'


def cohort_a() -> ValidatedCohort:
    frame = datasets.bundled().frame.head(60).copy()
    frame["center"] = [MARKER if k % 2 else HOSTILE for k in range(len(frame))]
    columns = [c for c in frame.columns if c in INPUT_COLUMNS]
    return validate_cohort(frame[columns], source="a.csv", name="a.csv", synthetic=False)


def _open(driver: Any, url: str) -> None:
    driver.get(url)
    until(lambda: driver.find_elements(By.CSS_SELECTOR, f"#{Ids.SURV_FIGURE} .js-plotly-plot"), timeout=40)


def _click_bootstrap(driver: Any) -> None:
    button = driver.find_element(By.ID, Ids.BOOT_RUN)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    until(lambda: button.is_enabled(), timeout=20)
    driver.execute_script("arguments[0].click();", button)


def _rows(driver: Any) -> list[str]:
    return [r.text for r in driver.find_elements(By.CSS_SELECTOR, f"#{Ids.BOOT_TABLE} tbody tr")]


def test_two_browsers_get_their_own_bootstrap_and_html_names_stay_text(dash_duo: Any, ppx_app: Any) -> None:
    dash_duo.start_server(ppx_app)
    url = dash_duo.server_url + "/survival?group=center"
    a = dash_duo.driver
    a.get(dash_duo.server_url + "/healthz")
    a.add_cookie({"name": sessions.SESSION_COOKIE, "value": plant_cohort(ppx_app, cohort_a()), "path": "/"})
    _open(a, url)
    b = webdriver.Chrome(options=pytest_setup_options())
    try:
        b.set_window_size(1280, 800)
        _open(b, url)
        # A's legend: the HTML centre name is text, and there is no link anywhere in the figure
        legend = [e.get_attribute("textContent") for e in a.find_elements(By.CSS_SELECTOR, "g.legend text.legendtext")]
        assert any(HOSTILE in text for text in legend), legend
        assert a.find_elements(By.CSS_SELECTOR, f"#{Ids.SURV_FIGURE} svg a") == []
        a.save_screenshot(str(screenshot_path("isolation-hostile-legend.png")))

        _click_bootstrap(a)
        _click_bootstrap(b)  # the same view, the same inputs, while A's job runs
        until(lambda: _rows(a) and _rows(b), timeout=120)
        rows_a, rows_b = " ".join(_rows(a)), " ".join(_rows(b))
        assert MARKER in rows_a and HOSTILE in rows_a and "KLC-" not in rows_a
        assert MARKER not in rows_b and HOSTILE not in rows_b and "KLC-" in rows_b
        page_b = b.find_element(By.TAG_NAME, "body").text
        assert MARKER not in page_b and "n = 513 of 513" in page_b
        b.save_screenshot(str(screenshot_path("isolation-browser-b.png")))
    finally:
        b.quit()
