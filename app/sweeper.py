"""Delete what an expired or forgotten session leaves behind, even if its browser never comes back.

:func:`delete_derived` removes everything derived from a session's data (its
cache namespace and its background jobs); "Forget my data" calls it at once.
The sweeper (:func:`start_sweeper`, one daemon thread per app process, started
on the process's first request because gunicorn forks after preloading) runs
every ``PPX_SWEEP_S`` seconds (default 20); a file lock lets one process per
host sweep at a time. Each round it deletes expired sessions of the file store
with their derived data, cache namespaces whose session is gone, expired cache
entries and expired job entries. So a session is gone from disk within
``PPX_SWEEP_S`` seconds of its expiry. With Redis the sessions, cache entries
and job results expire by their TTLs (a session-derived cache entry never
outlives its session; see :mod:`app.cache`).
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from typing import Any

from flask import Flask

from app import cache as app_cache
from app import sessions
from app.background import SessionDiskcacheManager, background_manager, forget_jobs
from app.statedir import state_root

LOG = logging.getLogger("ppx.sweeper")


def sweep_interval() -> float:
    return float(os.environ.get("PPX_SWEEP_S", "20"))


def delete_derived(owner: str) -> None:
    """Delete this owner's cache namespace and background jobs."""
    app_cache.delete_namespace(owner)
    forget_jobs(owner)


def sweep_once() -> int:
    """One round (needs an app context); returns how many sessions or namespaces it removed."""
    removed = 0
    store = sessions.store()
    if isinstance(store, sessions.FileStore):
        for owner in store.expired_owners():
            delete_derived(owner)
            store.delete_all(owner)
            removed += 1
    backend = app_cache.cache.cache
    if isinstance(backend, app_cache.PrivateFileCache):
        for name in backend.namespaces():
            if name != app_cache.SHARED and not store.exists(name):
                backend.delete_namespace(name)
                removed += 1
        backend.remove_expired()
    manager = background_manager()
    if isinstance(manager, SessionDiskcacheManager):
        manager.handle.expire()  # drop expired job entries
    return removed


def _lock_path() -> str:
    store = sessions.store()
    root = store.root if isinstance(store, sessions.FileStore) else state_root()
    return os.path.join(root, ".sweep.lock")


def _loop(server: Flask, stop: threading.Event) -> None:
    try:
        _rounds(server, stop)
    except SystemExit:  # the process is shutting down (e.g. a library's exit handler): end quietly
        return


def _rounds(server: Flask, stop: threading.Event) -> None:
    while not stop.wait(sweep_interval()):
        try:
            fd = os.open(_lock_path(), os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # another process of this host sweeps this round
            os.close(fd)
            continue
        try:
            with server.app_context():
                sweep_once()
        except Exception as exc:  # a failed round is retried next time; never kills the thread
            LOG.warning("sweep failed", extra={"fields": {"event": "sweep", "exc_type": type(exc).__name__}})
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


class _Sweeper:
    """The process's sweeper thread (restarted in a forked child, whose parent's thread did not survive)."""

    def __init__(self) -> None:
        self.pid = 0
        self.stop = threading.Event()

    def ensure(self, server: Flask) -> None:
        if self.pid == os.getpid() or sweep_interval() <= 0:
            return
        self.pid = os.getpid()
        self.stop = threading.Event()
        thread = threading.Thread(target=_loop, args=(server, self.stop), name="ppx-sweeper", daemon=True)
        thread.start()


def start_sweeper(server: Flask) -> None:
    """Run the sweeper in every process that serves requests (started by its first request)."""
    sweeper = _Sweeper()

    def ensure(*_: Any) -> None:
        sweeper.ensure(server)

    server.before_request(ensure)
    server.extensions["ppx_sweeper"] = sweeper
