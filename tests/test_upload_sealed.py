"""A name never reaches the server's storage in the clear, not even between receiving a file and reading it.

Real redis-server (sessions, and Celery's broker and results), gunicorn and a
Celery worker. While a CSV and a workbook with a marker in a name column go
through the Data page's receiving request and read job, a scanner reads every
file under the app's state directories and every value in Redis (sessions, jobs, cache), over and
over: the marker must never be seen. A text file is stored without the column
from the receiving request on; a workbook is stored sealed (Fernet) until the
job has read it. The scanner does see what is stored (the file name, and a
kept column's marker), so it would see the name if it were there.
"""

from __future__ import annotations

import io
import os
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import redis
from servers import BIN, DashClient, Process, start_app, start_redis
from test_redis import _values
from test_upload_hostile import upload
from test_upload_kept import NAME, csv_bytes, marked_frame, workbook_bytes

from app import sessions

pytestmark = pytest.mark.slow

KEPT = "KEPTCENTERMARK"


class Scanner(threading.Thread):
    """Reads the state directory's files and Redis databases 0-2 until stopped; what it found."""

    def __init__(self, root: Path, url: str) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.clients = [redis.Redis.from_url(sessions.with_db(url, db)) for db in (0, 1, 2)]
        self.stop = threading.Event()
        self.seen: dict[bytes, int] = {}
        self.rounds = 0

    def look(self, markers: tuple[bytes, ...]) -> None:
        blobs: list[bytes] = []
        for path in self.root.rglob("*"):
            try:
                blobs.append(path.read_bytes() if path.is_file() else b"")
            except OSError:
                continue  # removed while listed
        for client in self.clients:
            blobs.extend(_values(client))
        for marker in markers:
            if any(marker in blob for blob in blobs):
                self.seen[marker] = self.seen.get(marker, 0) + 1
        self.rounds += 1

    def run(self) -> None:
        while not self.stop.is_set():
            self.look(self.markers)

    markers: tuple[bytes, ...] = (NAME.encode(), KEPT.encode(), b"sealed-marked.xlsx", b"sealed-marked.csv")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    tmp = tmp_path_factory.mktemp("sealed")
    redis_process, url = start_redis(tmp)
    env = {**os.environ, "REDIS_URL": url, "PPX_JOBS_DIR": str(tmp / "app" / "jobs")}
    env.pop("PPX_CACHE_TYPE", None)
    argv = [str(BIN / "celery"), "-A", "app.celery_app", "worker", "--concurrency", "1", "--loglevel", "INFO"]
    worker = Process(argv, env, tmp / "worker.log")
    app_process, base = start_app(tmp, "app", {"REDIS_URL": url})
    try:
        yield base, url, tmp
    finally:
        app_process.stop()
        worker.stop()
        redis_process.stop()


def stored_workbook() -> bytes:
    """The marked workbook re-zipped without compression, so its bytes hold the name as plain text."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook_bytes())) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zip_:
        for item in source.infolist():
            zip_.writestr(item.filename, source.read(item.filename))
    return out.getvalue()


def big_marked() -> pd.DataFrame:
    """The marked frame repeated, so the read job takes a while to poll during."""
    frame = pd.concat([marked_frame()] * 40, ignore_index=True)
    frame["patient_id"] = [f"P{k:06d}" for k in range(len(frame))]
    frame["center"] = KEPT
    return frame


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_name_is_never_stored_in_the_clear_at_any_moment(served: tuple[str, str, Path], kind: str) -> None:
    base, url, tmp = served
    data = csv_bytes(big_marked()) if kind == "csv" else stored_workbook()
    assert NAME.encode() in data
    scanner = Scanner(tmp, url)
    scanner.start()
    try:
        text, _ = upload(DashClient(base, page="/data"), data, f"sealed-marked.{kind}")
        scanner.look(scanner.markers)  # once more after the job
    finally:
        scanner.stop.set()
        scanner.join(timeout=30)
    assert NAME.encode() not in scanner.seen, f"the name was seen in {scanner.seen[NAME.encode()]} scans"
    assert "data row" in text and NAME not in text, text[:2000]  # the job read the file; the page shows no name
    assert scanner.rounds >= 3
    assert f"sealed-marked.{kind}".encode() in scanner.seen  # the scanner reads what is stored
    if kind == "csv":
        assert KEPT.encode() in scanner.seen  # a kept column's values are stored as text and seen
