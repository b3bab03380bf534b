"""Per-browser-session state (uploaded cohorts), isolated by an HttpOnly session cookie.

A random 256-bit token in the ``ppx_session`` cookie names the session. Every
request reads the token from the cookie, never from a callback argument, so a
page cannot ask for another session's data. Values are stored server-side:

- default: a file-backed store in a private (0700) temporary directory, shared
  by every gunicorn worker on the host, with the session's expiry checked on read;
- with ``REDIS_URL`` set: Redis, with the expiry as the key's TTL, so any worker
  on any host serves any request.

Values are pickles written by this process for itself; the store is private
server state and never holds anything a client sent without validation.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
import time
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from flask import Flask, Response, request

SESSION_COOKIE = "ppx_session"
SESSION_TTL_SECONDS = int(os.environ.get("PPX_SESSION_TTL", str(2 * 3600)))
"""Idle expiry of session data (default 2 hours): every read of a value restarts its clock."""
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


REDIS_TIMEOUT_S = 2.0
"""Connect and read timeout of every Redis client of the app: an outage fails fast, never hangs."""


def redis_client_options() -> dict[str, Any]:
    """Options for every Redis client the app makes: 2 s timeouts and one retry (worst case ~4 s per call)."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return {
        "socket_timeout": REDIS_TIMEOUT_S,
        "socket_connect_timeout": REDIS_TIMEOUT_S,
        "retry": Retry(NoBackoff(), 1),
        "health_check_interval": 30,
    }


class StoreUnavailableError(RuntimeError):
    """The session store (Redis) cannot be reached."""


class SessionStore(Protocol):
    def put(self, session_id: str, key: str, value: bytes, ttl: int = SESSION_TTL_SECONDS) -> None: ...

    def get(self, session_id: str, key: str) -> bytes | None: ...

    def delete(self, session_id: str, key: str) -> None: ...

    def ping(self) -> bool: ...


class FileStore:
    """Files under ``root/<session>/<key>``; a value older than its TTL is gone."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _path(self, session_id: str, key: str) -> Path:
        if not _TOKEN.match(session_id) or not re.match(r"^[a-z0-9_-]+$", key):
            raise ValueError("invalid session id or key")
        return self.root / session_id / key

    def put(self, session_id: str, key: str, value: bytes, ttl: int = SESSION_TTL_SECONDS) -> None:
        path = self._path(session_id, key)
        path.parent.mkdir(mode=0o700, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(value)
        os.chmod(tmp, 0o600)
        expires = time.time() + ttl
        os.utime(tmp, (expires, expires))  # mtime holds the expiry time
        tmp.replace(path)

    def get(self, session_id: str, key: str) -> bytes | None:
        path = self._path(session_id, key)
        try:
            if path.stat().st_mtime < time.time():
                path.unlink(missing_ok=True)
                return None
            value = path.read_bytes()
            expires = time.time() + SESSION_TTL_SECONDS
            os.utime(path, (expires, expires))  # idle expiry: a read restarts the clock
            return value
        except FileNotFoundError:
            return None

    def delete(self, session_id: str, key: str) -> None:
        self._path(session_id, key).unlink(missing_ok=True)

    def ping(self) -> bool:
        return self.root.is_dir() and os.access(self.root, os.W_OK)


class RedisStore:
    """Keys ``ppx:session:<session>:<key>`` with the session's expiry as their TTL."""

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, **redis_client_options())

    @staticmethod
    def _key(session_id: str, key: str) -> str:
        if not _TOKEN.match(session_id):
            raise ValueError("invalid session id")
        return f"ppx:session:{session_id}:{key}"

    def put(self, session_id: str, key: str, value: bytes, ttl: int = SESSION_TTL_SECONDS) -> None:
        import redis

        try:
            self.client.setex(self._key(session_id, key), ttl, value)
        except redis.RedisError as exc:
            raise StoreUnavailableError(f"the session store is unavailable: {exc}") from exc

    def get(self, session_id: str, key: str) -> bytes | None:
        import redis

        try:
            value = self.client.getex(self._key(session_id, key), ex=SESSION_TTL_SECONDS)  # idle expiry
        except redis.RedisError as exc:
            raise StoreUnavailableError(f"the session store is unavailable: {exc}") from exc
        return value if isinstance(value, bytes) else None

    def delete(self, session_id: str, key: str) -> None:
        import redis

        try:
            self.client.delete(self._key(session_id, key))
        except redis.RedisError as exc:
            raise StoreUnavailableError(f"the session store is unavailable: {exc}") from exc

    def ping(self) -> bool:
        import redis

        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False


def default_store_dir() -> Path:
    return Path(os.environ.get("PPX_SESSION_DIR") or Path(tempfile.gettempdir()) / f"ppx-sessions-{os.getuid()}")


@lru_cache(maxsize=4)
def _store_for(redis_url: str | None, directory: str) -> SessionStore:
    if redis_url:
        return RedisStore(redis_url)
    return FileStore(Path(directory))


def store() -> SessionStore:
    """The configured store (Redis when ``REDIS_URL`` is set, else files)."""
    return _store_for(os.environ.get("REDIS_URL") or None, str(default_store_dir()))


def session_id() -> str | None:
    """The current request's session token, if it has a valid one."""
    token = request.cookies.get(SESSION_COOKIE)
    return token if token and _TOKEN.match(token) else None


def _set_cookie(response: Response) -> Response:
    if session_id() is None:
        response.set_cookie(
            SESSION_COOKIE,
            secrets.token_urlsafe(32),
            # no max_age: a browser-session cookie; the data behind it expires server-side when idle
            httponly=True,
            samesite="Lax",
            secure=os.environ.get("PPX_SECURE_COOKIES") == "1",
        )
    return response


def init_sessions(server: Flask) -> None:
    """Give every browser a session cookie on its first response."""
    server.after_request(_set_cookie)
