"""One export browser per host: a small process that keeps kaleido's Chromium warm for every web process.

Each gunicorn worker, and each background job it forks, used to start its own export Chromium (~255 MB and
~3 s each; a deck job in a fresh process always paid the cold start). Instead the first process that needs a
figure starts ``python -m app.export_service`` and every process on the host then reaches that one browser:

- **Where.** A Unix socket in a private state directory (``PPX_EXPORT_DIR``, else ``<state root>/export``;
  0700, :mod:`app.statedir`), named after this code's location so two installs never share a service.
- **Who may talk to it.** The directory's owner only, and each connection proves a 32-byte key kept 0600
  beside the socket (``multiprocessing.connection``'s HMAC handshake).
- **Nothing mixes.** One connection carries one figure and its image back; figures are drawn one at a time
  (kaleido's queue is one queue anyway). Only JSON and image bytes cross (``send_bytes``: nothing is
  unpickled), nothing is written to disk and nothing of a figure is logged.
- **Started once.** Starting is guarded by a file lock beside the socket: whoever takes it first starts the
  service; the others wait, then connect to it.
- **Crashes and hangs.** A browser that dies, or does not draw a figure in time, is replaced by the service
  (:mod:`app.export_browser`); a service that is gone is started again by the next client, which retries its
  figure once.
- **Ends.** After ``PPX_EXPORT_IDLE_S`` seconds without a figure (default 600), or once the leader of its process
  group (gunicorn's master, which it shares with the workers) is gone, the service stops its browser and exits.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import importlib.util
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.export_browser import WarmBrowser

CODE_KEY = hashlib.sha256(str(Path(__file__).resolve().parent).encode()).hexdigest()[:12]
"""Names this install's service: another checkout (another version of the code) gets its own."""
START_TIMEOUT_S = 60.0
REQUEST_TIMEOUT_S = 150.0
"""Longer than the service's two tries of a figure (app/export_browser.py, 60 s each by default)."""
DEFAULT_IDLE_S = 600.0
OK, FAILED = b"0", b"1"


class ExportServiceError(RuntimeError):
    """The export service could not draw a figure (the message says why; no figure data in it)."""


def service_dir() -> Path:
    from app.statedir import private_dir, state_dir  # here: the service itself runs without the app package

    configured = os.environ.get("PPX_EXPORT_DIR")
    path = Path(configured) if configured else state_dir("export")
    return private_dir(path, "the export directory (PPX_EXPORT_DIR)")


def _paths() -> tuple[Path, Path, Path]:
    base = service_dir() / f"export-{CODE_KEY}"
    return base.with_suffix(".sock"), base.with_suffix(".key"), base.with_suffix(".lock")


def _authkey(key_path: Path) -> bytes:
    from app.statedir import write_private

    if not key_path.exists():
        write_private(key_path, secrets.token_bytes(32))
    return key_path.read_bytes()


# ----------------------------------------------------------------------------- client (any web process)


def render(figure: dict[str, Any], options: dict[str, Any]) -> bytes:
    """The image of ``figure`` (kaleido options: format, width, height, scale) from the host's export browser."""
    from plotly.io.json import to_json_plotly

    payload = json.dumps({"figure": json.loads(to_json_plotly(figure)), "options": options}).encode("utf-8")
    for attempt in (1, 2):
        try:
            return _ask(payload)
        except (OSError, EOFError) as exc:  # no service yet, or it died meanwhile: (re)start it, retry once
            if attempt == 2:
                raise ExportServiceError(f"the export service did not answer: {type(exc).__name__}") from None
            ensure_running()
    raise AssertionError("unreachable")


def _ask(payload: bytes) -> bytes:
    socket_path, key_path, _ = _paths()
    with Client(str(socket_path), family="AF_UNIX", authkey=_authkey(key_path)) as connection:
        connection.send_bytes(payload)
        if not connection.poll(REQUEST_TIMEOUT_S):
            raise ExportServiceError(f"the export service took more than {REQUEST_TIMEOUT_S:.0f} s for a figure")
        reply = connection.recv_bytes()
    if reply[:1] == OK:
        return reply[1:]
    raise ExportServiceError(reply[1:].decode("utf-8", errors="replace"))


def _answers() -> bool:
    socket_path, key_path, _ = _paths()
    try:
        with Client(str(socket_path), family="AF_UNIX", authkey=_authkey(key_path)) as connection:
            connection.send_bytes(b"ping")
            return connection.poll(10) and connection.recv_bytes() == OK
    except (OSError, EOFError):
        return False


@contextmanager
def _start_lock(lock_path: Path) -> Iterator[None]:
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        os.close(descriptor)


def ensure_running() -> None:
    """Start the host's export service unless it answers; one process starts it, the others wait for it."""
    socket_path, key_path, lock_path = _paths()
    _authkey(key_path)
    with _start_lock(lock_path):
        if _answers():
            return
        socket_path.unlink(missing_ok=True)
        process = subprocess.Popen(  # by path, with -P: stdlib and kaleido only, not the app's heavy imports
            [sys.executable, "-P", str(Path(__file__).resolve()), "--socket", str(socket_path), "--key", str(key_path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _answers():
            if process.poll() is not None:
                raise ExportServiceError(f"the export service exited at start (code {process.returncode})")
            if time.monotonic() > deadline:
                raise ExportServiceError(f"the export service did not start within {START_TIMEOUT_S:.0f} s")
            time.sleep(0.05)


# ----------------------------------------------------------------------------- the service itself


def _export_browser() -> Any:
    """:mod:`app.export_browser`, loaded from beside this file: importing it as ``app.export_browser`` would run
    the app package's imports (Dash, Flask, pandas), which the service does without."""
    spec = importlib.util.spec_from_file_location("ppx_export_browser", Path(__file__).with_name("export_browser.py"))
    if spec is None or spec.loader is None:
        raise ExportServiceError("app/export_browser.py is missing")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _answer(connection: Connection, browser: WarmBrowser) -> None:
    if not connection.poll(30):  # a client that connects and sends nothing does not hold the others up
        return
    request = connection.recv_bytes()
    if request == b"ping":
        connection.send_bytes(OK)
        return
    try:
        body = json.loads(request)
        image = browser.draw(body["figure"], body["options"])
    except Exception as exc:  # the message names the failure, never the figure's data
        connection.send_bytes(FAILED + f"the figure could not be drawn ({type(exc).__name__})".encode())
        return
    connection.send_bytes(OK + image)


def serve(socket_path: Path, key_path: Path, idle_s: float) -> None:
    os.umask(0o077)
    browser = _export_browser().WarmBrowser()
    browser.start()
    listener = Listener(str(socket_path), family="AF_UNIX", authkey=key_path.read_bytes())
    last = [time.monotonic()]

    leader = os.getpgid(0)  # the server's process group (gunicorn's master): the service does not outlive it

    def leader_alive() -> bool:
        try:
            os.kill(leader, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def watchdog() -> None:
        while time.monotonic() - last[0] < idle_s and leader_alive():
            time.sleep(min(2.0, idle_s / 4))
        browser.stop()
        socket_path.unlink(missing_ok=True)
        os._exit(0)

    threading.Thread(target=watchdog, daemon=True).start()
    while True:
        try:
            connection = listener.accept()
        except Exception:  # a client that failed the key handshake: refused, the service goes on
            continue
        last[0] = time.monotonic()
        with connection, suppress(OSError, EOFError):
            _answer(connection, browser)
        last[0] = time.monotonic()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The host's export browser (started by the app on demand).")
    parser.add_argument("--socket", required=True, type=Path)
    parser.add_argument("--key", required=True, type=Path)
    args = parser.parse_args(argv)
    serve(args.socket, args.key, float(os.environ.get("PPX_EXPORT_IDLE_S") or DEFAULT_IDLE_S))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
