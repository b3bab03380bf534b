"""Shared state in a real redis-server: sessions across app processes, expiry, and Redis going away.

The fixture starts Debian's ``redis-server`` on a free loopback port with no
persistence (``--save '' --appendonly no``) and stops it afterwards. App
instances are separate gunicorn processes with the same ``REDIS_URL``; the
upload is written by a third instance (this test process's app) with
``datasets.set_session_cohort`` in a request that carries the browser's cookie.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from servers import BIN, DashClient, Process, start_app, start_redis
from sessionkit import in_session, plant_cohort

from analysis.cohort import ValidatedCohort
from app import datasets, sessions

pytestmark = pytest.mark.slow

SURVIVAL = {
    "surv-endpoint.value": "os",
    "surv-group.value": "first_line",
    "surv-test.value": "logrank",
    "surv-conf.value": "log-log",
    "surv-options.value": ["ci"],
}


@pytest.fixture()
def redis_url(tmp_path: Path) -> Iterator[tuple[Process, str]]:
    process, url = start_redis(tmp_path)
    try:
        yield process, url
    finally:
        process.stop()


@pytest.fixture()
def two_apps(tmp_path: Path, redis_url: tuple[Process, str]) -> Iterator[tuple[str, str]]:
    _, url = redis_url
    first, base_a = start_app(tmp_path, "a", {"REDIS_URL": url})
    try:
        second, base_b = start_app(tmp_path, "b", {"REDIS_URL": url})
    except BaseException:
        first.stop()
        raise
    try:
        yield base_a, base_b
    finally:
        first.stop()
        second.stop()


def _subset(n: int) -> ValidatedCohort:
    from analysis.cohort import validate_cohort
    from analysis.schema import INPUT_COLUMNS

    frame = datasets.bundled().frame.head(n)
    return validate_cohort(frame[[c for c in frame.columns if c in INPUT_COLUMNS]], source="upload.csv", name="upload")


def _upload(ppx_app: Any, monkeypatch: pytest.MonkeyPatch, url: str, cohort: ValidatedCohort, ttl: int | None) -> str:
    """This process's app instance stores ``cohort`` for a new browser session in Redis; returns its cookie."""
    monkeypatch.setenv("REDIS_URL", url)
    if ttl is not None:
        monkeypatch.setenv("PPX_SESSION_TTL", str(ttl))
    assert isinstance(sessions.store(), sessions.RedisStore)
    return plant_cohort(ppx_app, cohort)


def _session_key(ppx_app: Any, cookie: str) -> str:
    with in_session(ppx_app, cookie):
        return f"ppx:session:{sessions.owner()}"


def test_two_app_processes_share_one_uploaded_session(
    ppx_app: Any, monkeypatch: pytest.MonkeyPatch, redis_url: tuple[Process, str], two_apps: tuple[str, str]
) -> None:
    _, url = redis_url
    base_a, base_b = two_apps
    token = _upload(ppx_app, monkeypatch, url, _subset(300), ttl=None)
    for base in (base_a, base_b):
        browser = DashClient(base, cookie=token)
        assert "n = 300 of 300 patients" in browser.n_badge().text
        assert "(n = 300)" not in browser.callback("surv-figure.figure", {**SURVIVAL, "url.search": ""}).text
        assert "n = 513 of 513 patients" in DashClient(base).n_badge().text  # another browser: bundled cohort
    data = redis.Redis.from_url(sessions.with_db(url, 1))  # sessions: database 1
    key = _session_key(ppx_app, token)
    assert data.hexists(key, datasets.COHORT_KEY)
    assert 0 < int(data.ttl(key)) <= sessions.session_ttl()  # the session's expiry is the key's TTL
    assert token not in key  # keys name an HMAC of the session id, never the cookie
    cached = redis.Redis.from_url(sessions.with_db(url, 2))  # the cache: database 2
    assert any(k.startswith(b"ppx:cache:") for k in cached.scan_iter(count=1000))


def test_expiry_removes_the_session(
    ppx_app: Any, monkeypatch: pytest.MonkeyPatch, redis_url: tuple[Process, str], tmp_path: Path
) -> None:
    _, url = redis_url
    short = {"REDIS_URL": url, "PPX_SESSION_TTL": "2"}  # idle expiry of 2 s (a read restarts the clock)
    first, base_a = start_app(tmp_path, "a", short)
    second, base_b = start_app(tmp_path, "b", short)
    try:
        token = _upload(ppx_app, monkeypatch, url, _subset(250), ttl=2)
        assert "n = 250 of 250" in DashClient(base_a, cookie=token).n_badge().text
        time.sleep(3)
        assert redis.Redis.from_url(sessions.with_db(url, 1)).exists(_session_key(ppx_app, token)) == 0
        told = DashClient(base_b, cookie=token).n_badge().text
        assert "no longer on the server; upload it again" in told and "n = 513" not in told
    finally:
        first.stop()
        second.stop()


def test_redis_going_away_gives_a_clear_error_and_does_not_hang(
    ppx_app: Any, monkeypatch: pytest.MonkeyPatch, redis_url: tuple[Process, str], two_apps: tuple[str, str]
) -> None:
    server, url = redis_url
    base_a, _ = two_apps
    token = _upload(ppx_app, monkeypatch, url, _subset(300), ttl=None)
    uploader = DashClient(base_a, cookie=token)
    visitor = DashClient(base_a)
    import requests

    server.stop()  # Redis is gone: connections are refused
    started = time.perf_counter()
    failed = uploader.n_badge(timeout=30)
    assert failed.status_code == 503 and "session store is unavailable" in failed.text
    assert failed.headers["Retry-After"] == "10"
    # a browser whose session stored no data never reads the store: it keeps the bundled cohort
    assert visitor.http.cookies.get(sessions.SESSION_COOKIE)
    assert "n = 513 of 513" in visitor.n_badge(timeout=30).text
    fine = visitor.callback("surv-figure.figure", {**SURVIVAL, "url.search": "?bclc=C"}, timeout=30)
    assert fine.status_code == 200 and "Sorafenib" in fine.text
    ready = requests.get(f"{base_a}/readyz", timeout=30)
    assert ready.status_code == 503 and ready.json()["store"]["ok"] is False
    assert ready.json()["cache"]["ok"] is False
    assert requests.get(f"{base_a}/healthz", timeout=5).status_code == 200
    assert time.perf_counter() - started < 20


def test_a_hung_redis_times_out(
    ppx_app: Any, monkeypatch: pytest.MonkeyPatch, redis_url: tuple[Process, str], two_apps: tuple[str, str]
) -> None:
    import requests

    server, url = redis_url
    base_a, _ = two_apps
    token = _upload(ppx_app, monkeypatch, url, _subset(300), ttl=None)
    uploader = DashClient(base_a, cookie=token)
    server.signal(signal.SIGSTOP)  # accepts connections, never answers
    try:
        started = time.perf_counter()
        failed = uploader.n_badge(timeout=60)
        waited = time.perf_counter() - started
        assert failed.status_code == 503 and "session store is unavailable" in failed.text
        assert waited < 15  # 2 s socket timeouts, one retry
        started = time.perf_counter()
        assert requests.get(f"{base_a}/readyz", timeout=60).status_code == 503
        assert time.perf_counter() - started < 20
    finally:
        server.signal(signal.SIGCONT)


def test_celery_worker_runs_background_jobs(redis_url: tuple[Process, str], tmp_path: Path) -> None:
    """With REDIS_URL, the Cox page's background job runs in a Celery worker (`celery -A app.celery_app worker`)."""
    _, url = redis_url
    env = {**os.environ, "REDIS_URL": url, "PPX_COX_BACKGROUND_N": "100"}
    env.pop("PPX_CACHE_TYPE", None)
    argv = [str(BIN / "celery"), "-A", "app.celery_app", "worker", "--concurrency", "1", "--loglevel", "INFO"]
    worker = Process(argv, env, tmp_path / "worker.log")
    app_process, base = start_app(tmp_path, "a", {"REDIS_URL": url, "PPX_COX_BACKGROUND_N": "100"})
    try:
        browser = DashClient(base, page="/cox")
        values = {"cox-endpoint.value": "os", "cox-covariates.value": ["fib4"], "url.search": ""}
        body = browser.deps.body("cox-compute.n_clicks", {**values, "cox-compute.n_clicks": 1})
        handles = browser.post(body).json()
        assert set(handles) >= {"cacheKey", "job"}
        blank = {**body, "inputs": [{**i, "value": None} for i in body["inputs"]]}
        blank["state"] = [{**s, "value": None} for s in body["state"]]
        deadline = time.monotonic() + 90
        text = ""
        while time.monotonic() < deadline and '"response"' not in text:
            time.sleep(0.5)
            text = browser.post(blank, cacheKey=handles["cacheKey"], job=handles["job"]).text
        assert "cox-model-table" in text and "n = 513" in text, worker.output()[-2000:]
        assert "background_callback_" in worker.output()  # the task was registered and run by the worker
    finally:
        app_process.stop()
        worker.stop()


def _values(client: redis.Redis) -> list[bytes]:
    """Every value in this Redis database (strings, hashes, lists, sets), for a search."""
    out: list[bytes] = []
    for key in client.scan_iter(count=1000):
        kind = client.type(key)
        if kind == b"string":
            out.append(client.get(key) or b"")
        elif kind == b"hash":
            out.extend(client.hgetall(key).values())
        elif kind == b"list":
            out.extend(client.lrange(key, 0, -1))
        elif kind == b"set":
            out.extend(client.smembers(key))
        out.append(key)
    return out


def test_a_restarted_redis_tells_the_owner_and_forget_leaves_no_trace(
    ppx_app: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    server, url = start_redis(tmp_path)
    port = int(url.rsplit(":", 1)[1].split("/")[0])
    app_process, base = start_app(tmp_path, "a", {"REDIS_URL": url})
    try:
        cohort = _subset(120)
        cohort.frame["center"] = "MARKER-REDIS-CENTRE"
        token = _upload(ppx_app, monkeypatch, url, cohort, ttl=None)
        owner = DashClient(base, cookie=token)
        assert "n = 120 of 120" in owner.n_badge().text
        figure = owner.callback("surv-figure.figure", {**SURVIVAL, "url.search": "?group=center"})
        assert "MARKER-REDIS-CENTRE" in figure.text
        databases = [redis.Redis.from_url(sessions.with_db(url, db)) for db in (0, 1, 2)]
        assert any(b"MARKER-REDIS-CENTRE" in v for db in databases for v in _values(db))
        # Forget my data: nothing of the upload is left in any database
        body = owner.deps.body("data-reload.href", {"data-forget.n_clicks": 1})
        body = owner.deps.body("data-forget.n_clicks", {"data-forget.n_clicks": 1})
        assert owner.post(body).status_code == 200
        assert [v for db in databases for v in _values(db) if b"MARKER-REDIS-CENTRE" in v] == []
        assert "n = 513 of 513" in owner.n_badge().text

        # a second upload, then Redis restarts empty: its owner is told, not silently given the bundled cohort
        token = _upload(ppx_app, monkeypatch, url, _subset(20), ttl=None)
        owner = DashClient(base, cookie=token)
        assert "n = 20 of 20" in owner.n_badge().text
        server.stop()
        server, _ = start_redis(tmp_path, port=port)
        told = owner.n_badge(timeout=30)
        assert told.status_code == 200 and "no longer on the server; upload it again" in told.text
        assert "n = 513" not in told.text
        page = owner.http.get(f"{base}/_dash-layout", timeout=30).text  # the notice stays on every page
        assert "no longer on the server" in page
    finally:
        app_process.stop()
        server.stop()


def test_a_full_session_store_refuses_new_data_and_evicts_nobody(
    ppx_app: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from analysis.errors import DataError

    server, url = start_redis(tmp_path, extra=("--maxmemory", "3mb", "--maxmemory-policy", "noeviction"))
    try:
        kept: list[str] = []
        refused = ""
        for _ in range(100):  # ~63 kB per cohort
            try:
                kept.append(_upload(ppx_app, monkeypatch, url, _subset(513), ttl=None))
            except DataError as exc:
                refused = str(exc)
                break
        assert kept and refused, "the store never filled up"
        assert "storage for uploads is full" in refused and "nobody's stored data was removed" in refused
        for cookie in kept:  # every session stored before the store was full is still there
            with in_session(ppx_app, cookie):
                assert len(datasets.active_cohort().frame) == 513
    finally:
        server.stop()
