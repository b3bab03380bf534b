"""Operations: /healthz, /readyz, security headers, size limit, JSON request logs, and no patient data in logs.

Requests go through the session app's Flask test client with the exact bodies
the Dash renderer posts (built from ``/_dash-dependencies``).
"""

from __future__ import annotations

import inspect
import io
import itertools
import json
import logging
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sessionkit import plant_cohort

from analysis.cohort import ValidatedCohort, validate_cohort
from analysis.schema import INPUT_COLUMNS
from app import datasets, sessions
from app.cache import cache
from app.logging_setup import APP_LOGGER, THIRD_PARTY_LOGGERS, callback_name, configure_logging

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ is a directory of the repo, not installed
from bench.dash_payloads import CALLBACK_PATH, FILTER_CHOICES, Dependencies, filter_change

MARKERS = ("MARKER-PATIENT-XYZ", "MARKER-CENTER-QQQ", "MARKER-NAME-ABC")


@pytest.fixture()
def client(ppx_app: Any) -> Any:
    return ppx_app.server.test_client()


@pytest.fixture()
def captured_logs() -> Iterator[io.StringIO]:
    """Every record of the app's and the libraries' loggers, and the root logger, as text."""
    buffer = io.StringIO()
    handler = configure_logging(stream=buffer)
    root_handler = logging.StreamHandler(buffer)
    logging.getLogger().addHandler(root_handler)
    try:
        yield buffer
    finally:
        logging.getLogger().removeHandler(root_handler)
        for name in (APP_LOGGER, *THIRD_PARTY_LOGGERS):
            logging.getLogger(name).removeHandler(handler)


def _deps(client: Any) -> Dependencies:
    client.get("/")
    return Dependencies(client.get("/_dash-dependencies").get_json())


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_healthz_is_plain_ok(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok"


def test_readyz_reports_cache_and_store(client: Any) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ready"
    assert body["cache"]["ok"] and body["store"] == {"ok": True, "backend": "FileStore"}
    assert body["jobs"] == "diskcache"


def test_readyz_is_503_when_the_store_is_unreachable(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{_closed_port()}/0")
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["store"] == {"ok": False, "backend": "RedisStore"}


def test_readyz_is_503_when_the_cache_fails(client: Any, ppx_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: Any, **__: Any) -> Any:
        raise ConnectionError("cache backend down")

    with ppx_app.server.app_context():  # this app's backend (other tests may have built other apps)
        monkeypatch.setattr(cache.cache, "set", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["cache"]["ok"] is False and "ConnectionError" in body["cache"]["backend"]
    assert body["store"]["ok"] is True


def test_security_headers_on_pages_and_callbacks(client: Any) -> None:
    deps = _deps(client)
    page = client.get("/survival")
    step = filter_change(deps, "/survival", FILTER_CHOICES[0], FILTER_CHOICES[1])[2]
    callback = client.post(CALLBACK_PATH, json=step.body)
    for response in (page, callback):
        assert response.status_code == 200
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "object-src 'none'" in policy
        assert "'unsafe-eval'" not in policy and "script-src 'self' 'sha256-" in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_request_body_over_the_limit_is_413(client: Any, ppx_app: Any) -> None:
    limit = ppx_app.server.config["MAX_CONTENT_LENGTH"]
    assert limit == int((50 * 4 / 3 + 4) * 1024 * 1024)  # room for a 50 MB upload, base64-encoded
    response = client.post(CALLBACK_PATH, data=b"x" * (limit + 1), content_type="application/json")
    assert response.status_code == 413


def test_one_json_log_line_per_request_with_callback_and_duration(client: Any, captured_logs: io.StringIO) -> None:
    deps = _deps(client)
    steps = filter_change(deps, "/survival", FILTER_CHOICES[0], FILTER_CHOICES[2])
    captured_logs.seek(0)
    captured_logs.truncate()
    for step in steps:
        assert client.post(CALLBACK_PATH, json=step.body).status_code == 200
    client.get("/healthz")
    lines = [json.loads(line) for line in captured_logs.getvalue().splitlines() if line.startswith("{")]
    requests = [line for line in lines if line.get("event") == "request"]
    assert len(requests) == len(steps) + 1
    names = [r["callback"] for r in requests]
    assert names[-1] is None and requests[-1]["path"] == "/healthz"
    assert "n-badge.children+filter-warnings.children+nav.children+lang-switch.children" in names
    assert any(name and name.startswith("surv-figure.figure+surv-figure.style") for name in names)
    for entry in requests:
        assert entry["status"] == 200 and isinstance(entry["duration_ms"], float) and entry["duration_ms"] >= 0
        assert set(entry) >= {"ts", "level", "method", "path", "callback", "status", "duration_ms", "pid"}
    # the input values (the URL query carries the filters) are not logged
    assert "lenvatinib" not in captured_logs.getvalue()


def test_callback_name_keeps_ids_only() -> None:
    assert callback_name("surv-figure.figure") == "surv-figure.figure"
    assert callback_name("..a.children...b.figure..") == "a.children+b.figure"
    assert callback_name('{"index":"MARKER-PATIENT-XYZ-1","type":"row"}.children') == "{row}.children"
    assert callback_name('{"index":"MARKER-PATIENT-XYZ-1"}.children') == "{pattern}.children"
    assert callback_name(None) is None and callback_name(["x"]) is None


def _marker_cohort() -> ValidatedCohort:
    frame = datasets.bundled().frame.copy()
    frame["patient_id"] = [f"{MARKERS[0]}-{i}" for i in range(len(frame))]
    frame.loc[frame.index[: len(frame) // 2], "center"] = MARKERS[1]
    columns = [c for c in frame.columns if c in INPUT_COLUMNS]
    return validate_cohort(frame[columns], source=f"{MARKERS[2]}.csv", name=MARKERS[2], synthetic=False)


def test_no_patient_data_in_logs(
    ppx_app: Any, client: Any, captured_logs: io.StringIO, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    cohort = _marker_cohort()
    token = plant_cohort(ppx_app, cohort)
    client.set_cookie(sessions.SESSION_COOKIE, token)
    deps = _deps(client)
    # the upload is what this browser sees: its centres are in the shell's filter options
    assert MARKERS[1] in client.get("/_dash-layout").get_data(as_text=True)
    served: list[str] = []
    for page in ("/survival", "/cox"):
        for old, new in itertools.pairwise(FILTER_CHOICES[:4]):
            for step in filter_change(deps, page, old, new):
                response = client.post(CALLBACK_PATH, json=step.body)
                assert response.status_code == 200, step.name
                served.append(response.get_data(as_text=True))
    table_one = deps.body("cohort-table1.children", {"cohort-group.value": "center", "url.search": ""})
    served.append(client.post(CALLBACK_PATH, json=table_one).get_data(as_text=True))

    # a failing analysis whose exception quotes a patient: logged as type and frames only
    def quoting_failure(*_: Any) -> Any:
        raise ValueError(f"cannot fit: patient {MARKERS[0]}-7 has no follow-up")

    # Dash Pages re-executes page modules, so patch the globals of the callback the app really runs
    key = next(k for k in ppx_app.callback_map if k.startswith("..cox-model.children...") and "@" not in k)
    registered = inspect.unwrap(ppx_app.callback_map[key]["callback"])
    monkeypatch.setitem(registered.__globals__, "cox_view", quoting_failure)
    step = filter_change(deps, "/cox", FILTER_CHOICES[0], FILTER_CHOICES[5])[-1]
    assert client.post(CALLBACK_PATH, json=step.body).status_code == 500
    with ppx_app.server.test_request_context(headers={"Cookie": f"{sessions.SESSION_COOKIE}={token}"}):
        datasets.clear_session_cohort()

    logs = captured_logs.getvalue()
    out, err = capsys.readouterr()
    for marker in MARKERS:
        assert marker not in logs, marker
        assert marker not in out and marker not in err, marker
    assert '"event":"request"' in logs and '"exc_type":"ValueError"' in logs
    assert any(MARKERS[1] in body for body in served)  # the marker data really went through the callbacks
