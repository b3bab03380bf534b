"""One export browser per host (app/export_service.py), against real gunicorn with two workers.

Decks from two sessions, started together and answered by both workers' background jobs, each come back with
their own filters; the host then runs one export service with one Chromium, whatever served the decks. A
browser killed under the service, or the service itself, is replaced by the next deck.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from dash_jobs import run_job
from servers import DashClient, Process, start_app, wait_until

from app import exporting

pytestmark = pytest.mark.slow


def _processes() -> dict[int, tuple[int, int, str]]:
    """pid -> (parent, process group, command line) of every process on the host."""
    found: dict[int, tuple[int, int, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        found[int(entry.name)] = (int(fields[1]), int(fields[2]), cmdline)
    return found


def _browsers_and_services(server: Process, export_dir: Path) -> tuple[list[int], list[int]]:
    """The main Chromium processes (not their helpers) that the gunicorn server's processes started (its
    workers, their jobs, the export service: its process group and their descendants), and its export services."""
    table = _processes()
    mine = {pid for pid, (_, group, _) in table.items() if group == server.popen.pid}
    while True:  # Chromium starts in a session of its own: follow parents too
        more = {pid for pid, (parent, _, _) in table.items() if parent in mine} - mine
        if not more:
            break
        mine |= more
    browsers = [p for p in mine if "chrom" in table[p][2].split(" ")[0] and "--type=" not in table[p][2]]
    services = [p for p in mine if "export_service" in table[p][2] and str(export_dir) in table[p][2]]
    return browsers, services


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Process, str, Path]]:
    tmp = tmp_path_factory.mktemp("export-service")
    process, base = start_app(tmp, "app", {}, workers=2)
    try:
        yield process, base, tmp / "app" / "export"
    finally:
        process.stop()


def _deck(base: str, search: str) -> list[str]:
    """A new session's deck for ``search`` through the background job, as its slides' text."""
    client = DashClient(base, page="/present")
    values = {"present-deck-button.n_clicks": 1, "url.search": search, "present-mask.value": False}

    def post(body: dict[str, object], params: dict[str, str]) -> object:
        response = client.post(body, timeout=120, **params)
        assert response.status_code in (200, 204), response.text[:300]
        return response.json() if response.status_code == 200 else None

    answer, _ = run_job(post, client.deps.body("present-download.data", values), timeout_s=180)
    data = answer["response"]["present-download"]["data"]
    return exporting.slide_texts(base64.b64decode(data["content"]))


def test_decks_of_two_workers_share_one_export_browser_and_keep_their_own_data(
    server: tuple[Process, str, Path],
) -> None:
    process, base, export_dir = server
    searches = [f"?deck=km.os.first_line,response.first_line&first_line={d}" for d in ("lenvatinib", "sorafenib")] * 2
    with ThreadPoolExecutor(len(searches)) as pool:
        decks = list(pool.map(lambda s: _deck(base, s), searches))
    for search, deck in zip(searches, decks, strict=True):
        drug, other = ("lenvatinib", "sorafenib") if "lenvatinib" in search else ("sorafenib", "lenvatinib")
        footer = json.dumps(deck, ensure_ascii=False)
        assert len(deck) == 2 and drug in footer, deck
        assert f"first-line drug: {other}" not in footer, "a deck carries another session's filter"
    browsers, services = _browsers_and_services(process, export_dir)
    assert len(services) == 1, f"export services under the server: {services}"
    assert len(browsers) == 1, f"export browsers under the server: {browsers}"


@pytest.mark.parametrize("victim", ["browser", "service"])
def test_a_killed_export_browser_or_service_is_replaced_by_the_next_deck(
    server: tuple[Process, str, Path], victim: str
) -> None:
    process, base, export_dir = server
    _deck(base, "?deck=km.os.first_line")
    browsers, services = _browsers_and_services(process, export_dir)
    os.kill((browsers if victim == "browser" else services)[0], signal.SIGKILL)
    if victim == "service":  # its browser goes with it, or is left as an orphan: neither may be counted
        wait_until(lambda: not _browsers_and_services(process, export_dir)[1], 10, "the service gone")
    assert len(_deck(base, "?deck=km.os.first_line")) == 1
    time.sleep(0.5)
    browsers, services = _browsers_and_services(process, export_dir)
    assert len(services) == 1 and len(browsers) == 1, (browsers, services)


def test_the_service_ends_with_the_server_that_started_it(tmp_path: Path) -> None:
    """A process group leader (gunicorn's master, here a small script) starts the service and exits: the
    service and its browser follow instead of lingering for the idle timeout."""
    export_dir = tmp_path / "export"
    script = "from app import export_service; export_service.ensure_running()"
    env = {**os.environ, "PPX_EXPORT_DIR": str(export_dir), "PPX_EXPORT_IDLE_S": "600"}
    leader = subprocess.run([sys.executable, "-c", script], env=env, start_new_session=True, timeout=120, check=False)
    assert leader.returncode == 0

    def gone() -> bool:
        return not any(str(export_dir) in cmdline for _, _, cmdline in _processes().values())

    wait_until(gone, 30, "the export service to exit after its server")
