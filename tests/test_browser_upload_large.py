"""The Data page in a real browser with a 200,000-row XLSX: the read and validation jobs show progress and finish.

The workbook is generated at test time (bench/xlsx_stream.py, a few seconds).
Slow: the browser sends ~13 MB of base64, and reading and validating 200,000
rows take their time on a shared 2-core machine.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from dash.testing.wait import until
from screenshots import screenshot_path

from app.ids import Ids

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ is a directory of the repo, not installed
from bench.xlsx_stream import large_cohort, xlsx_bytes

pytestmark = [pytest.mark.browser, pytest.mark.slow]

N = 200_000


def _shown(dash_duo: Any, element_id: str) -> bool:
    return bool(dash_duo.find_element("#" + element_id).is_displayed())


def test_a_200000_row_workbook_is_read_and_validated_with_progress(dash_duo: Any, ppx_app: Any, tmp_path: Path) -> None:
    path = tmp_path / "registry_200k.xlsx"
    path.write_bytes(xlsx_bytes(large_cohort(N)))
    dash_duo.start_server(ppx_app)
    dash_duo.driver.set_window_size(1280, 800)
    dash_duo.wait_for_page(url=dash_duo.server_url + "/data", timeout=20)
    dash_duo.find_element(f"#{Ids.DATA_UPLOAD} input[type=file]").send_keys(str(path))

    until(lambda: _shown(dash_duo, Ids.DATA_READ_BOX), timeout=60)  # the read job runs: its progress is shown
    dash_duo.driver.save_screenshot(str(screenshot_path("data-page-reading-200k.png")))
    assert "Received 'registry_200k.xlsx'" in dash_duo.find_element("#" + Ids.DATA_UPLOAD_MESSAGE).text
    dash_duo.wait_for_contains_text("#" + Ids.DATA_FILE_INFO, f"{N} data rows", timeout=180)
    dash_duo.wait_for_contains_text("#data-summary", f"{N} rows read, {N} used, 0 excluded", timeout=240)
    assert not _shown(dash_duo, Ids.DATA_READ_BOX) and not _shown(dash_duo, Ids.DATA_CHECK_BOX)
    until(lambda: dash_duo.find_element("#" + Ids.DATA_USE).is_enabled(), timeout=20)
    dash_duo.driver.save_screenshot(str(screenshot_path("data-page-read-200k.png")))
