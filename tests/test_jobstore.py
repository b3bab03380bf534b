"""The jobs' database survives Dash's fork of a threaded worker (app/jobstore.py).

The reported defect: four concurrent deck jobs on gunicorn's threaded workers, and one never answered. Its job
process, forked while another thread of the worker was inside a diskcache write, inherited that write's lock;
its first progress write waited SQLite's busy timeout and its result never came (py-spy: the job stuck in
``Cache._transact`` and ``Cache.close``). Here the same fork happens on purpose, mid-transaction.
"""

from __future__ import annotations

import json
import multiprocessing
import threading
import time
import zlib
from pathlib import Path

import diskcache
import pytest

from app.jobstore import ForkSafeCache, JobStore

FORK = multiprocessing.get_context("fork")


def _child_writes(cache: diskcache.Cache) -> None:
    try:
        cache.set("from-the-child", "written")
    except diskcache.Timeout:
        raise SystemExit(3) from None
    raise SystemExit(0)


def _fork_during_a_write(cache: diskcache.Cache) -> int:
    """Fork (as Dash starts a job) while another thread holds a write transaction; the child's exit code."""
    inside, leave = threading.Event(), threading.Event()

    def writer() -> None:
        with cache.transact():
            cache.set("from-another-thread", 1)
            inside.set()
            leave.wait(0.5)  # a long write: the fork comes in the middle of it

    thread = threading.Thread(target=writer)
    thread.start()
    assert inside.wait(10)
    child = FORK.Process(target=_child_writes, args=(cache,))
    child.start()
    leave.set()
    thread.join()
    child.join(30)
    code = child.exitcode
    if code is None:
        child.kill()
        child.join()
    return -1 if code is None else code


def test_a_plain_diskcache_child_forked_mid_write_cannot_write(tmp_path: Path) -> None:
    """The hazard itself (why the fork lock exists): this is what a job process met."""
    cache = diskcache.Cache(str(tmp_path / "plain"), timeout=1)
    assert _fork_during_a_write(cache) != 0


def test_a_fork_waits_for_the_write_and_the_child_then_writes(tmp_path: Path) -> None:
    cache = ForkSafeCache(str(tmp_path / "safe"), timeout=1)
    started = time.monotonic()
    assert _fork_during_a_write(cache) == 0
    assert cache.get("from-the-child") == "written" and cache.get("from-another-thread") == 1
    assert time.monotonic() - started < 10


def test_many_forks_among_busy_threads_all_write(tmp_path: Path) -> None:
    """Threads keep reading and writing (polls, the sweeper) while jobs are forked, as on a busy worker."""
    store = JobStore(str(tmp_path / "jobs"), expire_s=60)
    store.close()
    store = JobStore(str(tmp_path / "jobs"), expire_s=60)
    stop = threading.Event()

    def busy(n: int) -> None:
        while not stop.is_set():
            store.set(f"poll-{n}", {"progress": time.time()})
            store.get(f"poll-{n}")
            store.expire()

    threads = [threading.Thread(target=busy, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    try:
        children = [FORK.Process(target=_child_writes, args=(store,)) for _ in range(12)]
        for child in children:
            child.start()
        for child in children:
            child.join(10)
        codes = [child.exitcode for child in children]
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert codes == [0] * 12, codes


def test_every_entry_expires(tmp_path: Path) -> None:
    store = JobStore(str(tmp_path / "jobs"), expire_s=60)
    store.set("result", {"a": 1})
    value, expire_time = store.get("result", expire_time=True)
    assert value == {"a": 1} and expire_time is not None and 50 < expire_time - time.time() <= 60


@pytest.mark.parametrize("value", [{"x": [1, 2]}, "text", 3])
def test_values_are_json_not_pickles(tmp_path: Path, value: object) -> None:
    store = JobStore(str(tmp_path / "jobs"), expire_s=60)
    store.set("k", value)
    assert store.get("k") == value
    rows = store._sql("SELECT value FROM Cache").fetchall()  # what is on disk
    assert len(rows) == 1 and json.loads(zlib.decompress(bytes(rows[0][0]))) == value
