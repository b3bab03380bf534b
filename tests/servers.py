"""Real servers for the ops tests: gunicorn app processes, redis-server, and a Dash HTTP client.

Every server listens on a free 127.0.0.1 port and is stopped by the test that started it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # bench/ is a directory of the repo, not an installed package
from bench.dash_payloads import CALLBACK_PATH, Dependencies  # noqa: E402

BIN = Path(sys.executable).parent
REDIS_SERVER = "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(probe: Any, timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            result = probe()
        except (OSError, requests.RequestException):
            result = None
        if result:
            return result
        time.sleep(0.2)
    raise TimeoutError(f"{what} not reached within {timeout_s} s")


class Process:
    """A child process in its own session, with its output in a file; ``stop()`` ends only it."""

    def __init__(self, argv: list[str], env: Mapping[str, str], log: Path) -> None:
        self.log = log
        with log.open("wb") as handle:
            self.popen = subprocess.Popen(
                argv, cwd=ROOT, env=dict(env), stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
            )

    def signal(self, signum: int) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signum)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.signal(signal.SIGCONT)
            self.signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.popen.wait()

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start_redis(tmp: Path, port: int | None = None, extra: tuple[str, ...] = ()) -> tuple[Process, str]:
    """redis-server on ``port`` (a free one by default; the same one to restart it), with ``extra`` arguments."""
    port = port or free_port()
    argv = [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    argv += ["--dir", str(tmp), "--protected-mode", "yes", *extra]
    process = Process(argv, os.environ, tmp / "redis.log")
    url = f"redis://127.0.0.1:{port}/0"

    def ping() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")

    wait_until(ping, 20, "redis-server")
    return process, url


def start_app(
    tmp: Path, name: str, env: Mapping[str, str], workers: int = 1, untouched: bool = False
) -> tuple[Process, str]:
    """``gunicorn -c gunicorn.conf.py app.wsgi:server`` on a free loopback port; returns (process, base url).

    ``untouched``: wait for the port to accept connections only, so the app has served no request yet."""
    port = free_port()
    scratch = tmp / name
    scratch.mkdir(exist_ok=True)
    full_env = {
        **os.environ,
        "PPX_BIND": f"127.0.0.1:{port}",
        "PPX_WORKERS": str(workers),
        "PPX_CACHE_DIR": str(scratch / "cache"),
        "PPX_JOBS_DIR": str(scratch / "jobs"),
        "PPX_SESSION_DIR": str(scratch / "sessions"),
        "PPX_EXPORT_DIR": str(scratch / "export"),  # this server's own export service (app/export_service.py)
        **env,
    }
    full_env.pop("PPX_CACHE_TYPE", None)
    argv = [str(BIN / "gunicorn"), "--config", "gunicorn.conf.py", "app.wsgi:server"]
    process = Process(argv, full_env, scratch / "gunicorn.log")
    base = f"http://127.0.0.1:{port}"

    def listening() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True

    try:
        if untouched:
            wait_until(listening, 60, f"app {name} listening")
        else:
            wait_until(lambda: requests.get(f"{base}/healthz", timeout=2).status_code == 200, 60, f"app {name}")
    except TimeoutError:
        process.stop()
        raise AssertionError(f"app {name} did not start:\n{process.output()[-3000:]}") from None
    return process, base


class DashClient:
    """One browser: a cookie jar, the page's signed end_id, and the renderer's request bodies."""

    def __init__(
        self, base: str, cookie: str | None = None, page: str = "/survival", auth: tuple[str, str] | None = None
    ) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.auth = auth
        if cookie is not None:
            self.http.cookies.set("ppx_session", cookie, domain="127.0.0.1", path="/")
        index = self.http.get(f"{base}{page}", timeout=30).text
        match = re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>', index, re.S)
        self.end_id = json.loads(match.group(1))["end_id"] if match else None
        self.deps = Dependencies(self.http.get(f"{base}/_dash-dependencies", timeout=30).json())

    def post(self, body: Mapping[str, Any], timeout: float = 60, **args: str) -> requests.Response:
        params = {"endId": self.end_id, **args} if self.end_id else args
        return self.http.post(f"{self.base}{CALLBACK_PATH}", params=params, json=body, timeout=timeout)

    def callback(self, first_output: str, values: Mapping[str, Any], timeout: float = 60) -> requests.Response:
        return self.post(self.deps.body(first_output, values), timeout=timeout)

    def n_badge(self, search: str = "", timeout: float = 60) -> requests.Response:
        return self.callback("n-badge.children", {"url.search": search}, timeout=timeout)
