"""Hostile uploads through the HTTP upload path of real gunicorn: a message within 30 s, the worker survives.

For each file (generated small here): the Data page's receiving request, then
its read job (a background callback, polled as the renderer does), must give
the user a message naming the bound within 30 s; the single worker keeps its
PID (no restart, no WORKER TIMEOUT); ``/healthz`` answers within a second right
after; and the session store grows by no more than a small multiple of the
file's size.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from dash_jobs import dependency_with_input, run_job
from servers import DashClient, Process, start_app
from test_cohort import valid_frame
from test_ingest_bounds import bomb_workbook, wide_csv

from app.ids import Ids
from bench.dash_payloads import Dependencies  # bench/ is on the path through servers

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Process, str, Path]]:
    tmp = tmp_path_factory.mktemp("hostile")
    process, base = start_app(tmp, "hostile", {})
    try:
        yield process, base, tmp / "hostile" / "sessions"
    finally:
        process.stop()


def store_bytes(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file()) if directory.exists() else 0


def workers(process: Process) -> list[str]:
    return re.findall(r"Booting worker with pid: (\d+)", process.output())


def upload(client: DashClient, data: bytes, filename: str) -> tuple[str, list[Any]]:
    """The receiving request, then the read job; all the text the page would show, and the job's progress."""
    encoded = base64.b64encode(data).decode("ascii")
    gate = {"filename": filename, "size": len(data), "contents": f"data:application/octet-stream;base64,{encoded}"}
    values = {f"{Ids.DATA_GATE}.data": gate, f"{Ids.DATA_ENCODING}.value": "detect"}
    body = client.deps.body(f"{Ids.DATA_UPLOAD_MESSAGE}.children", values, [f"{Ids.DATA_GATE}.data"])
    received = client.post(body, timeout=30)
    assert received.status_code == 200, received.text[:300]
    request = received.json()["response"][Ids.DATA_READ_REQUEST]["data"]
    dependency = dependency_with_input(list(client.deps.by_output.values()), f"{Ids.DATA_READ_REQUEST}.data")
    job = Dependencies([dependency]).body(f"{Ids.DATA_READ_REQUEST}.data", {f"{Ids.DATA_READ_REQUEST}.data": request})

    def post(payload: dict[str, Any], params: dict[str, str]) -> Any:
        response = client.post(payload, timeout=30, **params)
        assert response.status_code in (200, 204), response.text[:300]
        return response.json() if response.status_code == 200 else None

    answer, progress = run_job(post, job, timeout_s=30)
    return str(answer), progress


def nul_csv() -> bytes:
    data = valid_frame().to_csv(index=False).encode()
    return data[:40] + b"\x00" + data[40:]


HOSTILE: tuple[tuple[str, Any, str], ...] = (
    ("wide.csv", lambda: wide_csv(100_000), "has 100,000 columns, more than the limit of 1,000"),
    ("wider.csv", lambda: b"a," * 999_999 + b"a\n" + b"1," * 999_999 + b"1\n", "1,000,000 columns"),
    ("bomb.xlsx", lambda: bomb_workbook(300), "more than the limit of 100 times"),
    ("rows.csv", lambda: b"patient_id,age\n" + b"P,70\n" * 250_000, "more than 200,000 data rows"),
    ("nul.csv", nul_csv, "has a NUL byte (0x00) at byte offset 40 (line 1)"),
)


@pytest.mark.parametrize(("filename", "make", "expected"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_upload_gets_its_message_and_the_worker_survives(
    server: tuple[Process, str, Path], filename: str, make: Any, expected: str
) -> None:
    process, base, store = server
    data = make()
    client = DashClient(base, page="/data")
    before_workers, before_store = workers(process), store_bytes(store)
    started = time.perf_counter()
    text, _ = upload(client, data, filename)
    assert time.perf_counter() - started < 30
    assert expected in text
    assert "PPX_" in text or "NUL" in text  # says how to lift the bound (or where the problem is)
    t0 = time.perf_counter()
    assert requests.get(f"{base}/healthz", timeout=5).text == "ok" and time.perf_counter() - t0 < 1.0
    assert workers(process) == before_workers and "WORKER TIMEOUT" not in process.output()
    assert store_bytes(store) - before_store <= 3 * len(data) + 256 * 1024
