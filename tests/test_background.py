"""Background callbacks: the Cox page's models on a large cohort run as a job; other users are served meanwhile.

One gunicorn app process with ONE sync worker and the default DiskcacheManager:
if the job ran inside the request, the second user would wait for it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from servers import DashClient, start_app
from sessionkit import plant_cohort

from analysis.cohort import validate_cohort
from analysis.schema import INPUT_COLUMNS
from app import datasets

pytestmark = pytest.mark.slow

COPIES = 200  # 513 x 200 = 102,600 patients: the Cox page's models take a few seconds


def _large_session(ppx_app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    frame = pd.concat([datasets.bundled().frame] * COPIES, ignore_index=True)
    frame["patient_id"] = [f"P{i}" for i in range(len(frame))]
    cohort = validate_cohort(frame[[c for c in frame.columns if c in INPUT_COLUMNS]], source="large.csv", name="large")
    monkeypatch.setenv("PPX_SESSION_DIR", str(tmp_path / "app" / "sessions"))  # the app's session directory
    return plant_cohort(ppx_app, cohort)


def _poll(client: DashClient, body: dict[str, Any], handles: dict[str, str]) -> dict[str, Any]:
    blank = {**body, "inputs": [{**i, "value": None} for i in body["inputs"]]}
    blank["state"] = [{**s, "value": None} for s in body["state"]]
    response = client.post(blank, cacheKey=handles["cacheKey"], job=handles["job"])
    assert response.status_code == 200, response.text[:500]
    return dict(response.json())


def test_second_user_is_served_while_a_cox_job_runs(
    ppx_app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "app").mkdir()
    token = _large_session(ppx_app, tmp_path, monkeypatch)
    process, base = start_app(tmp_path, "app", {"PPX_COX_BACKGROUND_N": "20000"}, workers=1)
    try:
        analyst = DashClient(base, cookie=token, page="/cox")
        other = DashClient(base, page="/survival")
        assert "n = 513 of 513" in other.n_badge().text  # warm: the other user works on the bundled cohort
        # the synchronous Cox callback does not fit anything on a large cohort: it asks for Compute
        values = {"cox-endpoint.value": "os", "cox-covariates.value": ["fib4", "pp_received"], "url.search": ""}
        prompt = analyst.callback("cox-model.children", values)
        assert prompt.status_code == 200 and "Press Compute" in prompt.text

        body = analyst.deps.body("cox-compute.n_clicks", {**values, "cox-compute.n_clicks": 1})
        started = time.perf_counter()
        start = analyst.post(body)
        assert start.status_code == 200 and time.perf_counter() - started < 5
        handles = start.json()
        assert set(handles) >= {"cacheKey", "job"}

        # the job is running; the only worker answers another user at once
        assert "response" not in _poll(analyst, body, handles)
        t0 = time.perf_counter()
        answer = other.n_badge("?first_line=lenvatinib")
        served_in = time.perf_counter() - t0
        figure = other.callback(
            "surv-figure.figure",
            {
                "surv-endpoint.value": "os",
                "surv-group.value": "first_line",
                "surv-test.value": "logrank",
                "surv-conf.value": "log-log",
                "surv-options.value": ["ci"],
                "url.search": "",
            },
        )
        still_running = "response" not in _poll(analyst, body, handles)
        assert answer.status_code == 200 and "n = 204 of 513" in answer.text
        assert figure.status_code == 200 and "Lenvatinib" in figure.text
        assert still_running, "the job finished before the second user was served: make it longer"
        assert served_in < 2.0

        deadline = time.monotonic() + 180
        result: dict[str, Any] = {}
        while time.monotonic() < deadline:
            result = _poll(analyst, body, handles)
            if "response" in result:
                break
            time.sleep(0.5)
        assert "response" in result, "the job did not finish"
        model = result["response"]["cox-model"]["children"]
        assert "cox-model-table" in str(model) and f"n = {513 * COPIES}" in str(model)
        log = process.output()
        assert '"event":"job"' in log and '"callback":"cox-compute"' in log
    finally:
        process.stop()
