"""kaleido's warm export browser in this process, with a deadline on every figure.

kaleido draws each figure in a tab of a Chromium it keeps open. Its render has a timeout, but getting a tab and
reloading it afterwards do not: a Chromium that stops answering
(seen under heavy load, in CI) leaves ``kaleido.calc_fig_sync`` waiting for ever, and with it the export, the
deck job or the test that asked, and kaleido's own sync server (a singleton whose thread would stay stuck) cannot
be replaced. Here a :class:`kaleido.Kaleido` runs on an event loop in a thread of ours, and every figure has a
deadline (``PPX_RENDER_TIMEOUT_S``, default 60 s):

- past it, this process's export Chromium is killed (only the one kaleido started: choreographer's wrapper
  and what it launched, never another browser of the process such as a test's), its event loop is stopped,
  a fresh browser is started and the figure is drawn once more;
- a second miss raises :class:`ExportBrowserError` (its message names the timeout, never the figure);
- starting a browser has its own allowance (:data:`START_TIMEOUT_S`): a cold start on a loaded machine takes
  seconds, and a short figure deadline must not fail it.

A browser that crashes (kaleido raises) is restarted and the figure drawn again, once. Used by
:mod:`app.exporting` (CLI, tests, a web process without the host service) and by :mod:`app.export_service`
(the host's one browser). This module imports only the standard library, kaleido and psutil.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import threading
from collections.abc import Coroutine
from typing import Any

DEFAULT_TIMEOUT_S = 60.0
START_TIMEOUT_S = 90.0
"""How long a new export Chromium may take to start (a cold start on a loaded machine takes several seconds);
separate from the figure's deadline, which can be set much shorter."""
STOP_TIMEOUT_S = 10.0
WRAPPER_MARK = "choreographer"
"""What the command line of kaleido's browser wrapper contains (choreographer launches Chromium through it)."""


class ExportBrowserError(RuntimeError):
    """The export browser did not draw a figure (the message says why; no figure data in it)."""


def render_timeout_s() -> float:
    try:
        value = float(os.environ.get("PPX_RENDER_TIMEOUT_S") or DEFAULT_TIMEOUT_S)
    except ValueError:
        return DEFAULT_TIMEOUT_S
    return value if value > 0 else DEFAULT_TIMEOUT_S


def kill_own_browsers() -> int:
    """Kill the export Chromium this process started through kaleido (and its helpers); how many processes."""
    import psutil

    killed = 0
    for child in psutil.Process().children():  # its direct children: a server's or a service's browser is not
        try:
            if not any(WRAPPER_MARK in part for part in child.cmdline()):
                continue
            family = [*child.children(recursive=True), child]
        except psutil.Error:
            continue
        for process in family:
            try:
                process.kill()
                killed += 1
            except psutil.Error:
                continue
    return killed


class _Server:
    """One kaleido (one Chromium, one tab) driven by an event loop in a thread of its own."""

    def __init__(self, start_timeout_s: float) -> None:
        from kaleido import Kaleido

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="ppx-export-browser", daemon=True)
        self.thread.start()
        self.kaleido = Kaleido(mathjax=False)
        self.pid = os.getpid()
        try:
            self.call(self.kaleido.__aenter__(), start_timeout_s)
        except BaseException:
            self.abandon()
            raise

    def call(self, coroutine: Coroutine[Any, Any, Any], timeout_s: float) -> Any:
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result(timeout_s)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    def abandon(self) -> None:
        """Kill its browser and stop its loop, without waiting for anything it awaits."""
        kill_own_browsers()
        self.loop.call_soon_threadsafe(self.loop.stop)

    def close(self) -> None:
        try:
            self.call(self.kaleido.__aexit__(None, None, None), STOP_TIMEOUT_S)
        except Exception:  # a browser that does not close in time (or is gone already) is killed
            kill_own_browsers()
        self.loop.call_soon_threadsafe(self.loop.stop)


class WarmBrowser:
    """This process's export browser: started on first use, restarted after a fork, a crash or a hang."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._server: _Server | None = None

    def start(self) -> None:
        with self._lock:
            self._ensure()

    def _ensure(self) -> _Server:
        if self._server is not None and self._server.pid == os.getpid() and self._server.thread.is_alive():
            return self._server
        self._server = None  # inherited by fork (the parent's loop thread is not in this process), or stopped
        try:
            self._server = _Server(START_TIMEOUT_S)
        except concurrent.futures.TimeoutError:
            raise ExportBrowserError(f"the export browser did not start within {START_TIMEOUT_S:.0f} s") from None
        return self._server

    def draw(self, figure: dict[str, Any], options: dict[str, Any]) -> bytes:
        """The image bytes of ``figure`` (kaleido options: format, width, height, scale)."""
        timeout = render_timeout_s()
        with self._lock:
            for attempt in (1, 2):
                server = self._ensure()
                try:
                    data = server.call(server.kaleido.calc_fig(figure, opts=options), timeout)
                except concurrent.futures.TimeoutError:
                    failure: Exception = ExportBrowserError(
                        f"the export browser did not draw the figure within {timeout:.0f} s (twice)"
                    )
                except Exception as exc:  # a crashed browser
                    failure = exc
                else:
                    return data if isinstance(data, bytes) else str(data).encode("utf-8")
                server.abandon()  # a hung or crashed browser: a new one draws the figure again
                self._server = None
                if attempt == 2:
                    raise failure
        raise AssertionError("unreachable")

    def stop(self) -> None:
        with self._lock:
            server, self._server = self._server, None
            if server is not None and server.pid == os.getpid():
                server.close()
