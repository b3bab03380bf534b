"""The background jobs' database (diskcache on SQLite), safe to fork from a threaded web worker.

Dash's ``DiskcacheManager`` starts every job by forking the gunicorn worker that received the click. The worker
is threaded (gthread): while one thread forks, another may be inside SQLite (a poll reading a job's progress, the
sweeper expiring old jobs). The child then inherits SQLite's process-wide state as that other thread left it:
a write transaction that nobody in the child will ever end, or a mutex held by a thread that does not exist
there. The child's first write waits for SQLite's 60 s busy timeout (and its error result waits again), or
blocks for good, and the browser polls a job that never answers (diskcache issue #300, fix proposed in its
pull request #299 and not released).

:class:`ForkSafeCache` closes that window the way that pull request does: every use of the database in this
process holds one lock, and :func:`os.register_at_fork` takes the same lock around each fork, so a fork only
happens when no thread is inside SQLite. The child then opens its own connection (diskcache reconnects when
the process id changes).

Values are stored as compressed JSON (Plotly's encoder, for components), never as pickles, and every entry
expires (Dash writes its results without an expiry).
"""

from __future__ import annotations

import json
import os
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import diskcache
from plotly.utils import PlotlyJSONEncoder

_IN_SQLITE = threading.RLock()
"""Held by any thread of this process while it uses the jobs' database, and by a thread that forks."""


def _release_after_fork() -> None:
    _IN_SQLITE.release()


os.register_at_fork(before=_IN_SQLITE.acquire, after_in_parent=_release_after_fork, after_in_child=_release_after_fork)


class PlotlyJSONDisk(diskcache.JSONDisk):  # type: ignore[misc]
    """Values as zlib-compressed JSON with Plotly's encoder (figures and components), never pickles."""

    def store(self, value: Any, read: bool, key: Any = diskcache.core.UNKNOWN) -> Any:
        if not read:
            value = zlib.compress(json.dumps(value, cls=PlotlyJSONEncoder).encode("utf-8"), self.compress_level)
        return diskcache.Disk.store(self, value, read, key=key)


class ForkSafeCache(diskcache.Cache):  # type: ignore[misc]
    """A diskcache whose every database use holds the fork lock (see the module docstring)."""

    def get(self, *args: Any, **kwargs: Any) -> Any:
        with _IN_SQLITE:
            return super().get(*args, **kwargs)

    def set(self, *args: Any, **kwargs: Any) -> Any:
        with _IN_SQLITE:
            return super().set(*args, **kwargs)

    def add(self, *args: Any, **kwargs: Any) -> Any:
        with _IN_SQLITE:
            return super().add(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        with _IN_SQLITE:
            return super().delete(*args, **kwargs)

    def touch(self, *args: Any, **kwargs: Any) -> Any:
        with _IN_SQLITE:
            return super().touch(*args, **kwargs)

    def expire(self, *args: Any, **kwargs: Any) -> Any:
        with _IN_SQLITE:
            return super().expire(*args, **kwargs)

    def __contains__(self, key: Any) -> bool:
        with _IN_SQLITE:
            return bool(super().__contains__(key))

    def close(self) -> None:
        with _IN_SQLITE:
            super().close()

    @contextmanager
    def transact(self, retry: bool = False) -> Iterator[None]:
        with _IN_SQLITE, super().transact(retry=retry):
            yield


class JobStore(ForkSafeCache):
    """The jobs' database: fork-safe, JSON values, and an expiry on every entry."""

    def __init__(self, directory: str, expire_s: float) -> None:
        with _IN_SQLITE:
            super().__init__(directory, disk=PlotlyJSONDisk, eviction_policy="none")
        self.expire_s = expire_s

    def set(self, key: Any, value: Any, expire: float | None = None, read: bool = False, **kw: Any) -> Any:
        return super().set(key, value, expire=self.expire_s if expire is None else expire, read=read, **kw)
