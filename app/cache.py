"""The cache and the memoized seam between callbacks and the analysis layer, partitioned by data owner.

Only normalised, hashable arguments reach a memoized function: the dataset
fingerprint, a frozen FilterSpec and plain option values. Never a DataFrame:
flask-caching keys on ``repr()``, and a truncated repr would collide.

Every entry lives in a *namespace*: ``shared`` for requests of sessions that
stored no data (they can only see the bundled synthetic cohort), else the
session's owner key (:func:`app.sessions.data_owner`). "Forget my data" and
session expiry delete a session's namespace (:func:`delete_namespace`), so no
result derived from an upload outlives it; an entry in a session's namespace
never lives longer than the session's idle expiry.

Entries are pickles of the app's own result objects, each signed with an HMAC
under the server secret and verified before it is unpickled: a value planted
by anyone who can write the cache directory or the Redis database but does not
know the secret is ignored, never unpickled. (Uploaded data itself is never
pickled: see :mod:`app.codec`.)

Backends:

- default: :class:`PrivateFileCache`, files ``<dir>/<namespace>/<sha256>``
  (0600) in a private directory (:func:`app.statedir.private_dir`);
- with ``REDIS_URL``: a RedisCache with keys ``ppx:cache:<namespace>:...`` in
  the cache database (``PPX_CACHE_REDIS_URL``, default database 2 of
  ``REDIS_URL``); short socket timeouts, so an outage makes memoized calls compute;
- ``PPX_CACHE_TYPE=SimpleCache``: a per-process cache, for tests and the CLI.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import pickle
import shutil
import struct
import time
from pathlib import Path
from typing import Any

from cachelib.base import BaseCache
from cachelib.serializers import RedisSerializer
from flask import Flask
from flask_caching import Cache

from app import sessions
from app.statedir import private_dir, state_dir, write_private

cache = Cache()
SHARED = "shared"
_MAC_BYTES = 32
_EXPIRY = struct.Struct(">d")


def namespace() -> str:
    """The cache namespace of the current request (see the module docstring)."""
    return sessions.data_owner() or SHARED


def _signed(payload: bytes) -> bytes:
    return hmac.new(sessions.server_secret(), payload, hashlib.sha256).digest() + payload


def _verified(blob: bytes) -> bytes | None:
    mac, payload = blob[:_MAC_BYTES], blob[_MAC_BYTES:]
    expected = hmac.new(sessions.server_secret(), payload, hashlib.sha256).digest()
    return payload if len(mac) == _MAC_BYTES and hmac.compare_digest(mac, expected) else None


def _timeout(timeout: int | dt.timedelta | None, default: int) -> int:
    chosen = (
        default if timeout is None else int(timeout.total_seconds() if isinstance(timeout, dt.timedelta) else timeout)
    )
    if namespace() != SHARED:  # nothing derived from an upload outlives the session's idle expiry
        chosen = min(chosen or sessions.session_ttl(), sessions.session_ttl())
    return chosen


class SignedRedisSerializer(RedisSerializer):
    """RedisCache values as HMAC-signed pickles; an unsigned or altered value reads as a miss."""

    def dumps(self, value: Any, protocol: int = pickle.HIGHEST_PROTOCOL) -> bytes:
        return b"!" + _signed(pickle.dumps(value, protocol))

    def loads(self, value: bytes | None) -> Any:
        if value is None or not value.startswith(b"!"):
            return None
        payload = _verified(value[1:])
        return None if payload is None else pickle.loads(payload)  # signed by this server: its own pickle


class PrivateFileCache(BaseCache):
    """A file cache in a private directory: one subdirectory per namespace, signed values, expiry in the file."""

    def __init__(self, root: Path, default_timeout: int = 300) -> None:
        super().__init__(default_timeout)
        self.root = private_dir(root, "the cache directory (PPX_CACHE_DIR)")

    def _path(self, key: str) -> Path:
        return self.root / namespace() / hashlib.sha256(key.encode("utf-8")).hexdigest()

    def get(self, key: str) -> Any:
        try:
            blob = self._path(key).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None
        if len(blob) < _EXPIRY.size:
            return None
        (expires,) = _EXPIRY.unpack_from(blob)
        payload = _verified(blob[_EXPIRY.size :])
        if payload is None or (expires and expires < time.time()):
            return None
        return pickle.loads(payload)  # signed by this server: its own pickle

    def set(self, key: str, value: Any, timeout: int | dt.timedelta | None = None) -> bool:
        seconds = _timeout(timeout, self.default_timeout)
        expires = time.time() + seconds if seconds else 0.0
        path = self._path(key)
        private_dir(path.parent, "a cache namespace directory")
        payload = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        write_private(path, _EXPIRY.pack(expires) + _signed(payload))
        return True

    def add(self, key: str, value: Any, timeout: int | dt.timedelta | None = None) -> bool:
        return False if self.has(key) else self.set(key, value, timeout)

    def has(self, key: str) -> bool:
        return self.get(key) is not None

    def delete(self, key: str) -> bool:
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def clear(self) -> bool:
        for entry in os.scandir(self.root):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
        return True

    def namespaces(self) -> list[str]:
        return [e.name for e in os.scandir(self.root) if e.is_dir(follow_symlinks=False)]

    def delete_namespace(self, name: str) -> None:
        if name and name != SHARED and "/" not in name and not name.startswith("."):
            shutil.rmtree(self.root / name, ignore_errors=True)

    def remove_expired(self) -> int:
        """Delete expired entries in every namespace (the sweeper calls this); returns how many."""
        removed = 0
        now = time.time()
        for directory in [self.root / n for n in self.namespaces()]:
            for entry in os.scandir(directory):
                try:
                    with open(entry.path, "rb") as handle:
                        head = handle.read(_EXPIRY.size)
                except (FileNotFoundError, IsADirectoryError):
                    continue
                (expires,) = _EXPIRY.unpack(head) if len(head) == _EXPIRY.size else (1.0,)
                if expires and expires < now:
                    Path(entry.path).unlink(missing_ok=True)
                    removed += 1
        return removed


def private_file_cache(app: Flask, config: dict[str, Any], args: list[Any], kwargs: dict[str, Any]) -> Any:
    """flask-caching factory (``CACHE_TYPE``) of :class:`PrivateFileCache`."""
    return PrivateFileCache(Path(config["CACHE_DIR"]), int(kwargs.get("default_timeout") or 300))


def private_redis_cache(app: Flask, config: dict[str, Any], args: list[Any], kwargs: dict[str, Any]) -> Any:
    """flask-caching factory (``CACHE_TYPE``): a RedisCache with the namespace in every key, signed values and
    session-bounded TTLs."""
    import redis
    from cachelib.redis import RedisCache

    class NamespacedRedisCache(RedisCache):
        serializer = SignedRedisSerializer()

        def set(self, key: str, value: Any, timeout: int | dt.timedelta | None = None) -> Any:
            return super().set(key, value, _timeout(timeout, self.default_timeout))

        def add(self, key: str, value: Any, timeout: int | dt.timedelta | None = None) -> Any:
            return super().add(key, value, _timeout(timeout, self.default_timeout))

    client = redis.Redis.from_url(config["CACHE_REDIS_URL"], **sessions.redis_client_options())
    return NamespacedRedisCache(
        host=client,
        default_timeout=int(kwargs.get("default_timeout") or 300),
        key_prefix=lambda: f"{REDIS_PREFIX}{namespace()}:",
    )


REDIS_PREFIX = "ppx:cache:"


def default_cache_dir() -> Path:
    return state_dir("cache")


def cache_redis_url() -> str | None:
    """The cache's Redis (``PPX_CACHE_REDIS_URL``, default database 2 of ``REDIS_URL``), if any."""
    redis_url = os.environ.get("REDIS_URL") or None
    if not redis_url:
        return None
    return os.environ.get("PPX_CACHE_REDIS_URL") or sessions.with_db(redis_url, 2)


def cache_config() -> dict[str, Any]:
    redis_url = cache_redis_url()
    cache_type = os.environ.get("PPX_CACHE_TYPE") or ("RedisCache" if redis_url else "FileSystemCache")
    config: dict[str, Any] = {
        "CACHE_TYPE": cache_type,
        "CACHE_DEFAULT_TIMEOUT": int(os.environ.get("PPX_CACHE_TIMEOUT", "3600")),
    }
    if cache_type == "FileSystemCache":
        config["CACHE_TYPE"] = "app.cache.private_file_cache"
        config["CACHE_DIR"] = os.environ.get("PPX_CACHE_DIR") or str(default_cache_dir())
    elif cache_type == "RedisCache":
        if not redis_url:
            raise RuntimeError("PPX_CACHE_TYPE=RedisCache needs REDIS_URL")
        config["CACHE_TYPE"] = "app.cache.private_redis_cache"
        config["CACHE_REDIS_URL"] = redis_url
    return config


def init_cache(server: Flask) -> None:
    cache.init_app(server, config=cache_config())


def delete_namespace(name: str) -> None:
    """Delete every cache entry of a namespace (a session's owner key): Forget and expiry call this."""
    backend = cache.cache
    if isinstance(backend, PrivateFileCache):
        backend.delete_namespace(name)
        return
    client = getattr(backend, "_write_client", None)
    if client is not None and name != SHARED:
        keys = list(client.scan_iter(match=f"{REDIS_PREFIX}{name}:*", count=1000))
        if keys:
            client.delete(*keys)


def cache_ready() -> tuple[bool, str]:
    """Whether the cache backend answers a write and a read (for ``/readyz``); never raises."""
    backend = cache.cache
    name = type(backend).__name__
    probe = f"ppx:readyz:{os.getpid()}"
    try:
        written = backend.set(probe, "1", timeout=30)
        read = backend.get(probe)
    except Exception as exc:  # any backend failure means "not ready"
        return False, f"{name}: {type(exc).__name__}"
    if written is False or read != "1":
        return False, f"{name}: a value written could not be read back"
    return True, name
