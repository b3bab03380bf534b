"""The Reproduce button in a real browser (headless Chromium): on Survival and Cox it builds the zip as a
background job, the browser downloads it, and the zip holds the view's files with expected.json carrying the
numbers shown on the page."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from dash.testing.wait import until

from app.components.reproduce import button_id, zip_name
from app.ids import Ids

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MEMBERS = ("README.txt", "data.csv", "expected.json", "reproduce.R", "reproduce.py")


def _dom_id(component_id: dict[str, str]) -> str:
    """How Dash writes a pattern-matching id into the DOM."""
    return json.dumps(component_id, sort_keys=True, separators=(",", ":"))


def _download(dash_duo: Any, view: str) -> dict[str, str]:
    """Click the view's Reproduce button and read the zip the browser saved (its members as text)."""
    target = Path(dash_duo.download_path) / zip_name(view)
    button = dash_duo.driver.execute_script("return document.getElementById(arguments[0]);", _dom_id(button_id(view)))
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", button)
    until(lambda: target.exists() and target.stat().st_size > 0, timeout=120)
    until(lambda: button.is_enabled(), timeout=30)  # the job has ended: the button is usable again
    archive = zipfile.ZipFile(io.BytesIO(target.read_bytes()))
    assert archive.namelist() == [f"ppx-{view}/{name}" for name in MEMBERS]
    return {name.split("/", 1)[1]: archive.read(name).decode("utf-8") for name in archive.namelist()}


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def test_reproduce_downloads_the_view_with_the_numbers_on_screen(dash_duo: Any, ppx_app: Any) -> None:
    dash_duo.start_server(ppx_app)

    dash_duo.wait_for_page(url=dash_duo.server_url + "/survival?bclc=B,C", timeout=30)
    dash_duo.wait_for_contains_text("#" + Ids.SURV_MEDIANS, "Lenvatinib", timeout=60)
    files = _download(dash_duo, "survival")
    medians = dash_duo.find_element("#" + Ids.SURV_MEDIANS).text.splitlines()
    expected = json.loads(files["expected.json"])
    assert "BCLC stage: B, C" in files["README.txt"]
    assert [g["group"] for g in expected["groups"]] == ["sorafenib", "lenvatinib"]
    for group in expected["groups"]:
        row = next(line for line in medians if line.lower().startswith(group["group"]))
        assert row.split()[1:3] == [str(group["n"]), str(group["events"])]
        assert f"{group['median']:.1f} ({group['median_lower']:.1f}–{group['median_upper']:.1f})" in row
        assert [_pct(a["survival"]) in row for a in group["at"]] == [True] * len(group["at"])
    hr = expected["hr"]
    shown = dash_duo.find_element("#" + Ids.SURV_HR).text
    assert f"{hr['hr']:.2f} ({hr['lower']:.2f}–{hr['upper']:.2f})" in shown

    dash_duo.wait_for_page(url=dash_duo.server_url + "/cox?bclc=B,C", timeout=30)
    dash_duo.wait_for_contains_text("#" + Ids.COX_MODEL, "FIB-4", timeout=60)
    files = _download(dash_duo, "cox")
    expected = json.loads(files["expected.json"])
    model = dash_duo.find_element("#" + Ids.COX_MODEL).text
    assert f"n = {expected['model']['n']}, events = {expected['model']['events']}" in model
    terms = expected["model"]["terms"]
    assert terms and all(f"{t['hr']:.2f} ({t['lower']:.2f}–{t['upper']:.2f})" in model for t in terms)
    assert files["data.csv"].splitlines()[0].startswith("os_months,os_event")
    severe = [e for e in dash_duo.get_logs() if e.get("level") == "SEVERE" and "favicon" not in e.get("message", "")]
    assert severe == []
