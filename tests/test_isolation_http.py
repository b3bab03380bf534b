"""Patient-data isolation against a second user and a hostile one, over HTTP to a real gunicorn app (issue 12).

Findings reproduced here: session fixation and tampered cookies (2), a hostile
pre-created state directory and file modes (3), Forget / expiry / rejected
files leaving data behind (4), hardening headers and component-suite paths
(7), the missing-secret startup error. Browsers are ``requests`` sessions
with their own cookie jars, posting the renderer's own callback bodies.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from dash_jobs import dependency_with_input, run_job
from servers import BIN, DashClient, Process, start_app
from test_upload_privacy import MARKER_CENTER, marker_csv

from analysis.ingest import read_upload, suggest_mapping
from app import sessions
from app.ids import Ids
from bench.dash_payloads import Dependencies

pytestmark = pytest.mark.slow

SPEC = suggest_mapping(read_upload(marker_csv(), "victim-hospital.csv")).spec.to_dict()
SURVIVAL_BY_CENTRE = {
    "surv-endpoint.value": "os",
    "surv-group.value": "center",
    "surv-test.value": "logrank",
    "surv-conf.value": "log-log",
    "surv-options.value": ["ci"],
    "url.search": "?group=center",  # the KM view reads its options from the URL
}


def upload(client: DashClient, data: bytes, filename: str = "victim-hospital.csv") -> str:
    """Send the file (the receiving request), then run the read job it starts; both answers as text."""
    encoded = base64.b64encode(data).decode("ascii")
    gate = {"filename": filename, "size": len(data), "contents": f"data:text/csv;base64,{encoded}"}
    values = {f"{Ids.DATA_GATE}.data": gate, f"{Ids.DATA_ENCODING}.value": "detect"}
    body = client.deps.body(f"{Ids.DATA_UPLOAD_MESSAGE}.children", values, [f"{Ids.DATA_GATE}.data"])
    response = client.post(body)
    assert response.status_code == 200, response.text[:300]
    request = response.json()["response"].get(Ids.DATA_READ_REQUEST, {}).get("data")
    if not request:
        return response.text
    dependency = dependency_with_input(client.deps.by_output.values(), f"{Ids.DATA_READ_REQUEST}.data")
    read = Dependencies([dependency]).body(f"{Ids.DATA_READ_REQUEST}.data", {f"{Ids.DATA_READ_REQUEST}.data": request})

    def post(payload: dict[str, Any], params: dict[str, str]) -> Any:
        answer = client.post(payload, **params)
        assert answer.status_code in (200, 204), answer.text[:300]
        return answer.json() if answer.status_code == 200 else None

    answer, _ = run_job(post, read)
    return response.text + json.dumps(answer)


def use(client: DashClient) -> str:
    values = {f"{Ids.DATA_USE}.n_clicks": 1, f"{Ids.DATA_SPEC}.data": SPEC}
    response = client.callback(f"{Ids.DATA_RELOAD}.href", values)
    assert response.status_code == 200, response.text[:300]
    return response.text


def forget(client: DashClient) -> None:
    body = client.deps.body(f"{Ids.DATA_FORGET}.n_clicks", {f"{Ids.DATA_FORGET}.n_clicks": 1})
    assert client.post(body).status_code == 200


def cookie_of(client: DashClient) -> str:
    return str(client.http.cookies.get(sessions.SESSION_COOKIE))


def traces(root: Path, needle: bytes) -> list[str]:
    """Files under ``root`` whose bytes contain ``needle``."""
    found = []
    for path in root.rglob("*"):
        if path.is_file() and needle in path.read_bytes():
            found.append(str(path.relative_to(root)))
    return found


@pytest.fixture()
def server(tmp_path: Path) -> Any:
    env = {"PPX_SESSION_TTL": "4", "PPX_SWEEP_S": "1", "PPX_STATE_DIR": str(tmp_path / "state")}
    process, base = start_app(tmp_path, "app", env, workers=2)
    try:
        yield process, base, tmp_path / "app"
    finally:
        process.stop()


def test_fixation_planted_and_tampered_cookies_never_reach_the_victims_data(server: Any) -> None:
    process, base, _ = server
    # 1. a made-up token is not a session: the server issues its own
    planted = DashClient(base, cookie="attackerChosenSessionToken_0123456789", page="/data")
    assert cookie_of(planted) != "attackerChosenSessionToken_0123456789"
    # 2. a real, server-issued token planted by an attacker: rotated when the victim first stores data
    attacker = DashClient(base, page="/data")
    issued = cookie_of(attacker)
    victim = DashClient(base, cookie=issued, page="/data")
    assert MARKER_CENTER in upload(victim, marker_csv())
    assert cookie_of(victim) != issued  # new id at the first store
    assert json.loads(use(victim))["response"]["data-reload"]["href"] == "/"
    assert "n = 4 of 4" in victim.n_badge().text
    attacker_again = DashClient(base, cookie=issued, page="/data")
    assert "n = 513 of 513" in attacker_again.n_badge().text
    layout = attacker_again.http.get(f"{base}/_dash-layout", timeout=30).text
    assert MARKER_CENTER not in layout and "victim-hospital" not in layout
    # 3. tampered cookies: a flipped flag or a re-signed payload is ignored, never trusted
    value = cookie_of(victim)
    payload, _, signature = value.rpartition(".")
    forgeries = {payload + "." + signature[::-1], value[:-2] + "xx", payload[:-1] + "A." + signature} - {value}
    for forged in forgeries:
        stranger = DashClient(base, cookie=forged, page="/survival")
        assert "n = 513 of 513" in stranger.n_badge().text
        assert MARKER_CENTER not in stranger.callback("surv-figure.figure", SURVIVAL_BY_CENTRE).text
    assert MARKER_CENTER in victim.callback("surv-figure.figure", SURVIVAL_BY_CENTRE).text
    assert "Traceback" not in process.output()


def test_state_is_private_and_forget_leaves_no_trace(server: Any) -> None:
    _, base, scratch = server
    victim = DashClient(base, page="/data")
    upload(victim, marker_csv())
    use(victim)
    assert MARKER_CENTER in victim.callback("surv-figure.figure", SURVIVAL_BY_CENTRE).text  # cached per session
    roots = [scratch / "sessions", scratch / "cache", scratch / "jobs"]
    for root in roots:
        for path in [root, *root.rglob("*")]:
            mode = stat.S_IMODE(path.lstat().st_mode)
            assert mode & 0o077 == 0, f"{path} is mode {oct(mode)}"
            assert path.lstat().st_uid == os.getuid()
    assert any(traces(root, MARKER_CENTER.encode()) for root in roots)  # the marker really is on disk
    for path in (scratch / "sessions").rglob("*"):  # the session store holds JSON and Parquet, never a pickle
        if path.is_file() and not path.name.startswith("."):
            assert path.read_bytes()[:5] in (b"PPXD1", b'{"cre'), path
    forget(victim)
    for root in roots:
        assert traces(root, MARKER_CENTER.encode()) == [], root
    assert "n = 513 of 513" in victim.n_badge().text


def test_expired_sessions_are_swept_even_if_the_browser_never_returns(server: Any) -> None:
    _, base, scratch = server
    victim = DashClient(base, page="/data")
    upload(victim, marker_csv())
    use(victim)
    assert MARKER_CENTER in victim.callback("surv-figure.figure", SURVIVAL_BY_CENTRE).text
    roots = [scratch / "sessions", scratch / "cache"]
    assert any(traces(root, MARKER_CENTER.encode()) for root in roots)
    deadline = time.monotonic() + 20  # TTL 4 s, a sweep every second
    while time.monotonic() < deadline and any(traces(root, MARKER_CENTER.encode()) for root in roots):
        time.sleep(0.5)
    assert [t for root in roots for t in traces(root, MARKER_CENTER.encode())] == []
    assert [p.name for p in (scratch / "sessions").iterdir() if p.is_dir()] == []


def test_rejected_files_are_not_stored_and_quotas_have_a_message(tmp_path: Path) -> None:
    env = {"PPX_SESSION_QUOTA_MB": "0.02", "PPX_STATE_DIR": str(tmp_path / "state")}
    process, base = start_app(tmp_path, "app", env, workers=1)
    try:
        client = DashClient(base, page="/data")
        assert "is a PNG image" in upload(client, b"\x89PNG\r\n\x1a\n" + b"\x00" * 5000, "photo.csv")
        assert "is empty" in upload(client, b"", "empty.csv")
        sessions_dir = tmp_path / "app" / "sessions"
        kept = [p for p in sessions_dir.rglob("*") if p.is_file() and not p.name.startswith(".")]
        assert [p.name for p in kept if p.name != sessions.META_KEY] == []  # only the session's creation time
        big = marker_csv() * 1  # 5 rows fit; a 60 kB file is over a 20 kB session quota
        padded = big + b"\n".join([b""] + [big.splitlines()[1]] * 600)
        message = upload(client, padded, "big.csv")
        assert "over the limit" in message and "PPX_SESSION_QUOTA_MB" in message
    finally:
        process.stop()


def test_hardening_headers_and_component_suite_paths(tmp_path: Path) -> None:
    env = {"PPX_TRUSTED_PROXIES": "1", "PPX_STATE_DIR": str(tmp_path / "state")}
    process, base = start_app(tmp_path, "app", env, workers=1)
    try:
        plain_http = requests.get(f"{base}/survival", timeout=30)
        cookie = plain_http.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "Secure" not in cookie  # plain HTTP on loopback: no Secure flag
        assert "Strict-Transport-Security" not in plain_http.headers
        assert plain_http.headers["Cache-Control"] == "no-store"
        https = requests.get(f"{base}/survival", headers={"X-Forwarded-Proto": "https"}, timeout=30)
        assert "Secure" in https.headers["Set-Cookie"]  # served over HTTPS (via the trusted proxy): Secure
        assert https.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        client = DashClient(base)
        badge = client.n_badge()
        assert badge.headers["Cache-Control"] == "no-store"
        assert client.http.get(f"{base}/_dash-layout", timeout=30).headers["Cache-Control"] == "no-store"
        for bad in ("dash/nope.js", "no_such_package/x.js", "dash/..%2F..%2Fetc%2Fpasswd", "plotly/%00.js"):
            response = requests.get(f"{base}/_dash-component-suites/{bad}", timeout=30)
            assert response.status_code == 404, bad
        time.sleep(0.5)
        log = process.output()
        assert "Traceback" not in log and '"level":"error"' not in log
    finally:
        process.stop()


def test_hostile_state_directories_are_refused_with_a_clear_message(tmp_path: Path) -> None:
    hostile = tmp_path / "state"
    hostile.mkdir()
    os.chmod(hostile, 0o777)  # created first by someone else, open to everyone
    (tmp_path / "app").mkdir()
    with pytest.raises(AssertionError) as refused:
        start_app(tmp_path, "app", {"PPX_STATE_DIR": str(hostile), "PPX_SESSION_DIR": "", "PPX_CACHE_DIR": ""})
    text = str(refused.value)
    assert "is open to other users (mode 0o777, must be 0o700)" in text and str(hostile) in text


def test_several_hosts_without_a_secret_is_a_startup_error(tmp_path: Path) -> None:
    env = {**os.environ, "PPX_SECRET_KEY": "", "REDIS_URL": "redis://127.0.0.1:1/0", "PPX_BIND": "127.0.0.1:0"}
    env.pop("PPX_CACHE_TYPE", None)
    argv = [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "app.wsgi:server"]
    process = Process(argv, env, tmp_path / "gunicorn.log")
    process.popen.wait(timeout=60)
    assert process.popen.returncode != 0
    assert "PPX_SECRET_KEY is not set, but several processes or hosts serve this app" in process.output()
