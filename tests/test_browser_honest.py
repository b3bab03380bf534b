"""Browser tests for issue 14 (headless Chromium, dash[testing]): the caveat and the time-varying model on the Cox
page, sparse levels and their merge switch, the reproducing command, Table 1 as read, and the guard's landmark row
without a contradicting Wald p. Screenshots at 1280x800 and 1600x1000 go to build/screenshots/."""

from __future__ import annotations

from typing import Any

import pytest
from dash.testing.wait import until
from screenshots import screenshot_path
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By

from app.ids import Ids

pytestmark = pytest.mark.browser

SIZES = ((1280, 800), (1600, 1000))


def _rows(dash_duo: Any, selector: str) -> list[str]:
    try:
        return [row.text for row in dash_duo.driver.find_elements(By.CSS_SELECTOR, f"{selector} tbody tr")]
    except StaleElementReferenceException:
        return []


def _shots(dash_duo: Any, name: str) -> None:
    for width, height in SIZES:
        dash_duo.driver.set_window_size(width, height)
        dash_duo.driver.save_screenshot(str(screenshot_path(f"{name}-{width}x{height}.png")))


def _severe(dash_duo: Any) -> list[dict[str, Any]]:
    return [e for e in dash_duo.get_logs() if e.get("level") == "SEVERE" and "favicon" not in e.get("message", "")]


def test_cox_page_caveat_time_varying_model_and_command(dash_duo: Any, ppx_app: Any) -> None:
    dash_duo.start_server(ppx_app)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/cox", timeout=20)
    dash_duo.wait_for_contains_text("#cox-immortal-time-warning", "Immortal-time bias", timeout=40)
    until(lambda: len(_rows(dash_duo, "#cox-time-varying-table")) >= 4, timeout=30)
    varying = _rows(dash_duo, "#cox-time-varying-table")
    assert varying[0].startswith("Post-progression therapy") and varying[1].startswith("ICI after progression")
    command = dash_duo.wait_for_element("#cox-command-line-text", timeout=20).text
    assert command.startswith("ppx cox --data data/synthetic_klc.csv --time os_months --event os_event")
    assert "--covariates fib4,disease_control,pp_received,pp_ici" in command
    dash_duo.driver.execute_script("document.querySelector('#cox-immortal-time-warning').scrollIntoView()")
    _shots(dash_duo, "cox-caveat")
    assert _severe(dash_duo) == []


def test_sparse_level_is_flagged_and_merged_by_the_switch(dash_duo: Any, ppx_app: Any) -> None:
    dash_duo.start_server(ppx_app)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/cox?first_line=lenvatinib&covariates=albi_grade", timeout=20)
    until(lambda: any(r.startswith("ALBI grade: 3 vs 1") for r in _rows(dash_duo, "#cox-screen-table")), timeout=40)
    albi = next(r for r in _rows(dash_duo, "#cox-screen-table") if r.startswith("ALBI grade: 3 vs 1"))
    assert "sparse level" in albi and "1 patient, 1 event" in albi
    dash_duo.wait_for_contains_text("#cox-sparse-levels", "sparse level", timeout=20)
    dash_duo.find_element("#" + Ids.COX_MERGE_SPARSE).click()
    dash_duo.wait_for_contains_text("#cox-sparse-levels", "merged into 2b (now 2b+3)", timeout=30)
    until(lambda: any("2b+3 vs 1" in r for r in _rows(dash_duo, "#cox-model-table")), timeout=30)
    until(lambda: "merge=1" in dash_duo.driver.current_url, timeout=10)
    assert "--merge-sparse" in dash_duo.find_element("#cox-command-line-text").text
    _shots(dash_duo, "cox-sparse-merged")
    assert _severe(dash_duo) == []


def test_cohort_table_one_is_labelled_and_indented(dash_duo: Any, ppx_app: Any) -> None:
    dash_duo.start_server(ppx_app)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/cohort", timeout=20)
    until(lambda: len(_rows(dash_duo, "#table-one")) > 20, timeout=40)
    names = [r.split("\n")[0] for r in _rows(dash_duo, "#table-one")]
    texts = _rows(dash_duo, "#table-one")
    assert not any(t.startswith("yes ") for t in texts)
    assert any(t.startswith("Macrovascular invasion, n (%)") for t in texts)
    assert any(t.startswith("Child-Pugh score (points)") for t in texts)
    assert not any(t.startswith(("child_pugh_score", "albi_score", "fib4 ", "ecog ")) for t in texts)
    level = dash_duo.driver.find_element(By.CSS_SELECTOR, "#table-one tr.t1-level td")
    header = dash_duo.driver.find_element(By.CSS_SELECTOR, "#table-one tr.t1-var td")
    assert level.location["x"] == header.location["x"]
    assert float(level.value_of_css_property("padding-left").removesuffix("px")) > 20
    assert names
    _shots(dash_duo, "cohort-table-one")
    assert _severe(dash_duo) == []


def test_guard_landmark_row_has_no_wald_p_when_not_estimable(dash_duo: Any, ppx_app: Any) -> None:
    dash_duo.start_server(ppx_app)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/survival?group=pp_ici&landmark=3", timeout=20)
    until(lambda: any(r.startswith("Landmark at 3 months") for r in _rows(dash_duo, "#guard-table")), timeout=60)
    row = next(r for r in _rows(dash_duo, "#guard-table") if r.startswith("Landmark at 3 months"))
    assert "not estimable" in row and "log-rank p" in row
    dash_duo.wait_for_contains_text("#immortal-time-warning", "ICI after progression is known only", timeout=20)
    command = dash_duo.wait_for_element("#survival-command-line-text", timeout=20).text
    assert command.startswith("ppx km --data data/synthetic_klc.csv --time os_months --event os_event --by pp_ici")
    assert dash_duo.wait_for_element("#landmark-command-line-text", timeout=20).text.startswith(
        "ppx landmark --data data/synthetic_klc.csv --landmark 3 --group pp_ici"
    )
    dash_duo.driver.execute_script("document.querySelector('#guard-table').scrollIntoView()")
    _shots(dash_duo, "survival-guard")
    assert _severe(dash_duo) == []
