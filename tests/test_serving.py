"""Serving under hostile clients, with raw sockets against real gunicorn (gthread workers, one process).

- two clients sending a byte a second do not hold up ``/healthz``;
- a declared body over the limit gets a 413 before any of it is sent;
- a chunked body over the limit gets a 413 at the limit (the server stops
  reading there; what the client sent on sat in socket buffers).
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from servers import Process, start_app

pytestmark = pytest.mark.slow

LIMIT_MB = 1


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Process, str]]:
    process, base = start_app(tmp_path_factory.mktemp("serving"), "serving", {"PPX_MAX_REQUEST_MB": str(LIMIT_MB)})
    try:
        yield process, base
    finally:
        process.stop()


def connect(base: str) -> socket.socket:
    url = urlsplit(base)
    sock = socket.create_connection((url.hostname, url.port), timeout=10)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
    return sock


def response_head(sock: socket.socket, timeout: float = 10) -> bytes:
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65_536)
        if not chunk:
            break
        data += chunk
    return data


def test_slow_clients_do_not_hold_up_healthz(server: tuple[Process, str]) -> None:
    _, base = server
    stop = threading.Event()

    def trickle() -> None:
        with connect(base) as sock:
            for byte in b"POST /_dash-update-component HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + b"x" * 99:
                if stop.wait(1.0):
                    return
                sock.sendall(bytes([byte]))

    slow = [threading.Thread(target=trickle, daemon=True) for _ in range(2)]
    for thread in slow:
        thread.start()
    try:
        time.sleep(2.5)  # both are in the middle of their headers
        for _ in range(3):
            started = time.perf_counter()
            assert requests.get(f"{base}/healthz", timeout=5).text == "ok"
            assert time.perf_counter() - started < 1.0
    finally:
        stop.set()
        for thread in slow:
            thread.join(timeout=5)


def test_a_declared_body_over_the_limit_is_413_before_it_is_sent(server: tuple[Process, str]) -> None:
    _, base = server
    with connect(base) as sock:
        size = 80 * 1024 * 1024
        sock.sendall(
            f"POST /_dash-update-component HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {size}\r\n\r\n".encode()
        )
        head = response_head(sock)
    assert head.startswith(b"HTTP/1.1 413"), head[:200]


def test_a_chunked_body_is_cut_off_with_413_at_the_limit(server: tuple[Process, str]) -> None:
    process, base = server
    pid_before = requests.get(f"{base}/healthz", timeout=5).status_code
    with connect(base) as sock:
        sock.sendall(
            b"POST /_dash-update-component HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        piece = b"x" * 65_536
        chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
        sent = 0
        answered = False
        while sent < 60 * 1024 * 1024:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                answered = True
                break
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                answered = True
                break
            sent += len(piece)
        assert answered, "the server read 60 MB of a chunked body without answering"
        head = response_head(sock)
    assert head.startswith(b"HTTP/1.1 413"), head[:200]
    # The limit is 1 MB; what was sent beyond it sat in socket buffers, never in the application.
    assert sent < (LIMIT_MB + 8) * 1024 * 1024, sent
    assert pid_before == 200 and requests.get(f"{base}/healthz", timeout=5).text == "ok"
    assert "WORKER TIMEOUT" not in process.output()


def test_gunicorn_config_uses_threaded_workers() -> None:
    config: dict[str, object] = {}
    exec((Path(__file__).resolve().parents[1] / "gunicorn.conf.py").read_text(), config)
    assert config["worker_class"] == "gthread" and int(str(config["threads"])) >= 4
