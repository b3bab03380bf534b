"""Background jobs belong to the browser session that started them (issue 12, finding 1).

Two browsers (requests sessions with separate cookie jars) against a real
gunicorn app: A has an upload whose centres carry a marker, B the bundled
cohort. Both start the SAME background callback with the same inputs (Dash's
own key would be identical) and poll with their own signed handles. B must
never receive A's result, and A must receive its own. Run for the
background callbacks Survival bootstrap, Cox Compute, the Survival view's Reproduce zip and the slide deck under
DiskcacheManager, and for the bootstrap under CeleryManager with a real
redis-server and a real Celery worker.
"""

from __future__ import annotations

import base64
import io
import json
import os
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servers import BIN, DashClient, Process, start_app, start_redis
from sessionkit import plant_cohort

from analysis.cohort import ValidatedCohort, validate_cohort
from analysis.schema import INPUT_COLUMNS
from app import datasets

pytestmark = pytest.mark.slow

MARKER = "MARKERCENTREJOB"
MARKER_FILE = "MARKERFILEJOB.csv"


def marker_cohort(n: int = 60) -> ValidatedCohort:
    frame = datasets.bundled().frame.head(n).copy()
    frame["center"] = [f"{MARKER}-{k % 2}" for k in range(n)]
    frame["patient_id"] = [f"MK{k}" for k in range(n)]
    columns = [c for c in frame.columns if c in INPUT_COLUMNS]
    return validate_cohort(frame[columns], source=MARKER_FILE, name=MARKER_FILE, synthetic=False)


JOBS = {
    "bootstrap": (
        "/survival",
        "bootstrap-output.children",
        {
            "bootstrap-run.n_clicks": 1,
            "surv-endpoint.value": "os",
            "surv-group.value": "center",
            "url.search": "",
        },
    ),
    "cox": (
        "/cox",
        "cox-model.children",
        {
            "cox-compute.n_clicks": 1,
            "cox-endpoint.value": "os",
            "cox-covariates.value": ["fib4"],
            "url.search": "",
        },
    ),
    "reproduce": (  # the Reproduce zip of the Survival view: data.csv carries the centres
        "/survival",
        '{"type":"reproduce-download","view":"survival"}.data',
        {
            '{"type":"reproduce-button","view":"survival"}.n_clicks': 1,
            "surv-endpoint.value": "os",
            "surv-group.value": "center",
            "surv-test.value": "logrank",
            "surv-conf.value": "log-log",
            "surv-options.value": [],
            "url.search": "",
        },
    ),
    "deck": (
        "/present",
        "present-download.data",
        {"present-deck-button.n_clicks": 1, "url.search": "?deck=km.os.center", "present-mask.value": False},
    ),
}


def start(client: DashClient, output: str, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    body = client.deps.body(output, values)
    if output == "cox-model.children":  # the Compute callback's first output is the model block too
        body = client.deps.body("cox-compute.n_clicks", values)
    outputs = body["outputs"] if isinstance(body["outputs"], list) else [body["outputs"]]
    for item in (*outputs, *body["inputs"], *body["state"]):  # pattern ids go as objects, as the renderer sends them
        item["id"] = json.loads(item["id"]) if item["id"].startswith("{") else item["id"]
    response = client.post(body)
    assert response.status_code == 200, response.text[:500]
    handles = response.json()
    assert set(handles) >= {"cacheKey", "job"}, handles
    return body, handles


def poll(client: DashClient, body: dict[str, Any], handles: dict[str, str]) -> str:
    blank = {**body, "inputs": [{**i, "value": None} for i in body["inputs"]]}
    blank["state"] = [{**s, "value": None} for s in body["state"]]
    response = client.post(blank, timeout=60, cacheKey=handles["cacheKey"], job=handles["job"])
    assert response.status_code in (200, 204), response.text[:500]
    return response.text if response.status_code == 200 else ""


def readable(text: str) -> str:
    """The text of a callback response, with a downloaded zip's text members (a PPTX's slide XML) unpacked."""
    if '"base64": true' not in text.replace('"base64":true', '"base64": true'):
        return text
    for output in json.loads(text)["response"].values():
        data = output.get("data")
        if isinstance(data, dict) and data.get("base64"):
            archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(data["content"])))
            members = [n for n in archive.namelist() if n.endswith((".xml", ".csv", ".json", ".txt"))]
            text += "".join(archive.read(n).decode("utf-8", "replace") for n in members)
    return text


def race(a: DashClient, b: DashClient, output: str, values: dict[str, Any], timeout_s: float = 150) -> tuple[str, str]:
    """A starts the job, B starts the same job; both poll until each has its result."""
    body_a, handles_a = start(a, output, values)
    body_b, handles_b = start(b, output, values)
    assert handles_a["cacheKey"].split("~")[0] != handles_b["cacheKey"].split("~")[0]  # keys differ by session
    got_a = got_b = ""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not (got_a and got_b):
        if not got_b:  # B polls first, as in the report
            text = poll(b, body_b, handles_b)
            got_b = readable(text) if '"response"' in text else ""
            assert MARKER not in text, "B received A's job result"
        if not got_a:
            text = poll(a, body_a, handles_a)
            got_a = readable(text) if '"response"' in text else ""
        time.sleep(0.3)
    assert got_a and got_b, "a job did not finish"
    return got_a, got_b


def replayed(a: DashClient, b: DashClient, output: str, values: dict[str, Any], timeout_s: float = 120) -> str:
    """A starts the job; B polls with A's cacheKey and job until A has read its result; A's result."""
    body, handles = start(a, output, values)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        stolen = poll(b, body, handles)
        assert MARKER not in stolen and '"response"' not in stolen, "B read A's job with A's handles"
        mine = poll(a, body, handles)
        if '"response"' in mine:
            return readable(mine)
        time.sleep(0.3)
    raise AssertionError("A's job did not finish")


@pytest.fixture()
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    (tmp_path / "app").mkdir()
    values = {"PPX_COX_BACKGROUND_N": "10", "PPX_SESSION_DIR": str(tmp_path / "app" / "sessions")}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def test_two_sessions_never_share_a_background_result_diskcache(
    ppx_app: Any, env: dict[str, str], tmp_path: Path
) -> None:
    cookie = plant_cohort(ppx_app, marker_cohort())
    process, base = start_app(tmp_path, "app", env, workers=2)
    try:
        for name, (page, output, values) in JOBS.items():
            a = DashClient(base, cookie=cookie, page=page)
            b = DashClient(base, page=page)
            got_a, got_b = race(a, b, output, values)
            mine_a, mine_b = ("n = 60", "n = 513") if name == "cox" else (MARKER, "KLC-0")
            assert mine_a in got_a and mine_b not in got_a, f"{name}: A did not get its own result"
            assert mine_b in got_b and mine_a not in got_b, f"{name}: B did not get its own result"
            assert MARKER not in got_b, f"{name}: B got A's data"
            if name == "reproduce":  # B replays A's own signed handles: it still gets nothing of A's zip
                assert MARKER in replayed(a, b, output, values), "A did not get its zip"
        log = process.output()
        assert MARKER not in log and "Traceback" not in log
    finally:
        process.stop()


@pytest.fixture()
def redis_server(tmp_path: Path) -> Iterator[str]:
    server, url = start_redis(tmp_path)
    try:
        yield url
    finally:
        server.stop()


def test_two_sessions_never_share_a_background_result_celery(
    ppx_app: Any, env: dict[str, str], tmp_path: Path, redis_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_server)
    cookie = plant_cohort(ppx_app, marker_cohort())
    worker_env = {**os.environ, **env, "REDIS_URL": redis_server}
    worker_env.pop("PPX_CACHE_TYPE", None)
    argv = [str(BIN / "celery"), "-A", "app.celery_app", "worker", "--concurrency", "2", "--loglevel", "INFO"]
    worker = Process(argv, worker_env, tmp_path / "worker.log")
    process, base = start_app(tmp_path, "app", {**env, "REDIS_URL": redis_server}, workers=1)
    try:
        for name in ("bootstrap", "reproduce"):  # the Reproduce zip: one Celery task per view, named by its outputs
            page, output, values = JOBS[name]
            a = DashClient(base, cookie=cookie, page=page)
            b = DashClient(base, page=page)
            got_a, got_b = race(a, b, output, values)
            assert MARKER in got_a and MARKER not in got_b and "KLC-0" in got_b, name
        assert "background_callback_" in worker.output()  # the jobs ran in the Celery worker
    finally:
        process.stop()
        worker.stop()
