"""Per-browser-session state (uploaded cohorts): server-issued, signed, rotated session tokens.

The session model in one paragraph (the README's Privacy section repeats it):
the ``ppx_session`` cookie (HttpOnly, SameSite=Lax, Secure over HTTPS) carries
a random 256-bit session id and a has-data flag, signed with the server secret
(``PPX_SECRET_KEY``) by itsdangerous, so only the server can issue one; a
forged, tampered or foreign value is ignored and replaced by a fresh session.
The id is replaced (rotated) when data is first stored under it and on "Forget
my data", so a token planted in a browser by someone else never comes to hold
that browser's data. Data lives server-side under an *owner* key: an HMAC of
the session id (and of the signed-in user, when sign-in is on), so file names
and Redis keys never reveal a token. A request whose cookie has no data flag
never touches the store (a Redis outage leaves the bundled cohort working);
one whose flag is set but whose data is gone is told so (:class:`LostDataError`).

Stores (both expire a whole session when it has been idle for ``PPX_SESSION_TTL``
seconds; every read restarts the clock):

- default: :class:`FileStore`, ``<dir>/<owner>/<key>`` in a private (0700)
  directory, files 0600; the sweeper (:mod:`app.sweeper`) deletes expired sessions;
- with ``REDIS_URL``: :class:`RedisStore`, one Redis hash per session with the
  expiry as its TTL, in the sessions database (``PPX_SESSION_REDIS_URL``,
  default: database 1 of ``REDIS_URL``, which must run with ``noeviction``).

Values are bytes; :mod:`app.datasets` encodes them with :mod:`app.codec`
(JSON and Parquet, never pickles).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import shutil
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from flask import Flask, Response, g, has_request_context, request
from itsdangerous import BadSignature, URLSafeSerializer

from app.i18n import N_
from app.statedir import private_dir, state_dir, tree_size, write_private

SESSION_COOKIE = "ppx_session"
META_KEY = "meta"
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-.")


def session_ttl() -> int:
    """Idle expiry of a session's data in seconds (``PPX_SESSION_TTL``, default 2 hours)."""
    return int(os.environ.get("PPX_SESSION_TTL", str(2 * 3600)))


SESSION_TTL_SECONDS = session_ttl()
"""The idle expiry at import time (see :func:`session_ttl`)."""

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


class LostDataError(RuntimeError):
    """This browser stored data, but the server no longer has it (expired, or Redis lost it)."""


class QuotaError(RuntimeError):
    """Storing this value would exceed the per-session or the total storage quota."""


class SecretMissingError(RuntimeError):
    """Several workers or hosts must share a server secret, and none is configured."""


# ----------------------------------------------------------------------------- the server secret


def _configured_secret() -> str | None:
    value = os.environ.get("PPX_SECRET_KEY")
    if value:
        return value
    path = os.environ.get("PPX_SECRET_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip() or None
    return None


def needs_shared_secret() -> bool:
    """Whether processes that do not share memory must agree on the secret (Redis: several hosts and a Celery
    worker; several gunicorn workers without preload)."""
    workers = int(os.environ.get("PPX_WORKERS") or "1")
    preloaded = os.environ.get("PPX_PRELOAD", "1") != "0"
    return bool(os.environ.get("REDIS_URL")) or (workers > 1 and not preloaded)


@lru_cache(maxsize=4)
def _secret_for(configured: str | None, shared: bool) -> bytes:
    if configured:
        if len(configured) < 32:
            raise SecretMissingError("PPX_SECRET_KEY must be at least 32 characters (e.g. `openssl rand -hex 32`)")
        return configured.encode("utf-8")
    if shared:
        raise SecretMissingError(
            "PPX_SECRET_KEY is not set, but several processes or hosts serve this app (REDIS_URL is set, or "
            "PPX_WORKERS > 1 with PPX_PRELOAD=0), so they cannot agree on who issued a session cookie. "
            "Set PPX_SECRET_KEY (or PPX_SECRET_FILE) to the same random value of at least 32 characters "
            "on every app and worker process, e.g. `openssl rand -hex 32`."
        )
    return secrets.token_bytes(32)  # one process (or a preloaded gunicorn master): shared by its forks


def server_secret() -> bytes:
    """The secret that signs session cookies, cache entries and Dash's job handles (SecretMissingError if
    several processes need a configured one and there is none)."""
    return _secret_for(_configured_secret(), needs_shared_secret())


def _mac(purpose: str, value: str) -> str:
    return hmac.new(server_secret(), f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()


# ----------------------------------------------------------------------------- the session of a request


@dataclass(frozen=True)
class Session:
    """A browser session: its id (from the signed cookie) and whether it has stored data."""

    sid: str
    has_data: bool
    user: str | None = None
    lost: bool = False
    """The browser's earlier upload was found missing on the server (the pages say so until a new upload)."""

    @property
    def owner(self) -> str:
        """Where this session's data lives: an HMAC of the id (and the signed-in user), never the id itself."""
        return _mac("owner", f"{self.user or ''}\x00{self.sid}")[:40]


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(server_secret(), salt="ppx-session-v2")


def _mint(has_data: bool, lost: bool = False) -> Session:
    return Session(secrets.token_urlsafe(32), has_data, current_user(), lost)


def current_user() -> str | None:
    """The signed-in user of this request (set by :mod:`app.auth`), if sign-in is on."""
    user = g.get("ppx_user") if has_request_context() else None
    return user if isinstance(user, str) else None


def _from_cookie(value: str | None) -> Session | None:
    if not value:
        return None
    try:
        payload = _serializer().loads(value)
    except BadSignature:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("s"), str) or len(payload["s"]) < 32:
        return None
    user = current_user()
    if payload.get("u") != _user_tag(user):  # another user's cookie in this browser: not this user's session
        return None
    return Session(payload["s"], payload.get("d") == 1, user, payload.get("l") == 1)


def _user_tag(user: str | None) -> str | None:
    return None if user is None else _mac("user", user)[:16]


def current() -> Session:
    """This request's session: the one its valid cookie names, else a new one (sent back with the response)."""
    session = g.get("ppx_session")
    if isinstance(session, Session):
        return session
    session = _from_cookie(request.cookies.get(SESSION_COOKIE))
    if session is None:
        session = _mint(False)
        g.ppx_session_new = True
    g.ppx_session = session
    return session


def _replace(session: Session) -> Session:
    if g.get("ppx_in_job"):
        raise RuntimeError(
            "a background job cannot give its browser a new session; start it with "
            "background_callback(..., stores_data=True) so the session is claimed in the request"
        )
    g.ppx_session = session
    g.ppx_session_new = True
    return session


def cookie_value() -> str:
    """The signed cookie value of this request's (possibly new) session."""
    session = current()
    payload: dict[str, Any] = {"s": session.sid, "d": 1 if session.has_data else 0}
    if session.lost:
        payload["l"] = 1
    if session.user is not None:
        payload["u"] = _user_tag(session.user)
    return str(_serializer().dumps(payload))


def session_id() -> str | None:
    """This request's verified session id (None outside a request)."""
    return current().sid if has_request_context() else None


def owner() -> str:
    """The owner key of this request's session (see :attr:`Session.owner`)."""
    return current().owner


def data_owner() -> str | None:
    """The owner key if this session has stored data, else None (its requests see only the bundled cohort)."""
    if not has_request_context():
        return None
    session = current()
    return session.owner if session.has_data else None


def claim() -> Session:
    """Make this session one that holds data: a session without any gets a NEW id first (fixation defence)."""
    session = current()
    if session.has_data and store().exists(session.owner):
        return session
    if session.has_data and g.get("ppx_in_job"):  # Forget (or expiry) came while the job ran: keep nothing
        raise LostDataError(FORGOTTEN_IN_JOB_MESSAGE)
    session = _replace(_mint(True))
    store().put(session.owner, META_KEY, json.dumps({"created": time.time()}).encode(), session_ttl())
    return session


def put(key: str, value: bytes) -> None:
    """Store ``value`` for this session (claiming it first); QuotaError over a quota."""
    session = claim()
    check_quota(session.owner, key, len(value))
    store().put(session.owner, key, value, session_ttl())


def get(key: str) -> bytes | None:
    """This session's value under ``key``; LostDataError if the session stored data the server no longer has."""
    session = current()
    if not session.has_data:
        return None
    target = store()
    value = target.get(session.owner, key)
    if value is None and not target.exists(session.owner):
        if not g.get("ppx_in_job"):
            _replace(_mint(False, lost=True))  # from now on the bundled cohort, with the notice on every page
        raise LostDataError(LOST_MESSAGE)
    return value


LOST_MESSAGE = N_("Your uploaded cohort is no longer on the server; upload it again.")
FORGOTTEN_IN_JOB_MESSAGE = N_(
    "Your data was deleted (Forget my data, or the session expired) while this step was running, so its result "
    "was not kept; upload the file again to continue."
)


def delete(key: str) -> None:
    session = current()
    if session.has_data:
        store().delete(session.owner, key)


def forget() -> str | None:
    """Delete everything this session stored and give it a new id; returns the old owner key (None: no data)."""
    session = current()
    _replace(_mint(False))
    if not session.has_data:
        return None
    store().delete_all(session.owner)
    return session.owner


FULL_MESSAGE = (
    "The server's storage for uploads is full, so this file cannot be kept; nobody's stored data was removed "
    "to make room. Try again later, or ask the administrator"
)


def max_session_bytes() -> int:
    return int(float(os.environ.get("PPX_SESSION_QUOTA_MB", "200")) * 1024 * 1024)


def max_total_bytes() -> int:
    return int(float(os.environ.get("PPX_STORE_QUOTA_MB", "4096")) * 1024 * 1024)


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:,.1f} MB"


def check_quota(owner_key: str, key: str, size: int) -> None:
    target = store()
    mine = target.usage(owner_key) - target.size_of(owner_key, key) + size
    if mine > max_session_bytes():
        raise QuotaError(
            f"This would keep {_mb(mine)} for your browser session, over the limit of {_mb(max_session_bytes())} "
            "per session (PPX_SESSION_QUOTA_MB). Forget your data or upload a smaller file."
        )
    total = target.total_usage() + size
    if total > max_total_bytes():
        raise QuotaError(f"{FULL_MESSAGE} (PPX_STORE_QUOTA_MB: {_mb(max_total_bytes())})")


# ----------------------------------------------------------------------------- stores


class SessionStore(Protocol):
    def put(self, owner: str, key: str, value: bytes, ttl: int) -> None: ...

    def get(self, owner: str, key: str) -> bytes | None: ...

    def delete(self, owner: str, key: str) -> None: ...

    def delete_all(self, owner: str) -> None: ...

    def exists(self, owner: str) -> bool: ...

    def usage(self, owner: str) -> int: ...

    def size_of(self, owner: str, key: str) -> int: ...

    def total_usage(self) -> int: ...

    def ping(self) -> bool: ...


def _check_names(owner: str, key: str | None = None) -> None:
    if not owner or any(c not in "0123456789abcdef" for c in owner):
        raise ValueError("invalid session owner")
    if key is not None and (not key or not set(key) <= _KEY_CHARS or key.startswith(".")):
        raise ValueError("invalid session key")


class FileStore:
    """Files ``root/<owner>/<key>`` (0600 in 0700 directories); ``meta``'s mtime holds the session's expiry."""

    def __init__(self, root: Path) -> None:
        self.root = private_dir(root, "the session directory (PPX_SESSION_DIR)")

    def _dir(self, owner: str) -> Path:
        _check_names(owner)
        return self.root / owner

    def _expired(self, directory: Path) -> bool:
        try:
            return (directory / META_KEY).stat().st_mtime < time.time()
        except FileNotFoundError:
            return True

    def put(self, owner: str, key: str, value: bytes, ttl: int) -> None:
        _check_names(owner, key)
        directory = private_dir(self._dir(owner), "a session directory")
        write_private(directory / key, value)
        expires = time.time() + ttl
        if key == META_KEY or (directory / META_KEY).exists():
            os.utime(directory / META_KEY, (expires, expires))

    def get(self, owner: str, key: str) -> bytes | None:
        _check_names(owner, key)
        directory = self._dir(owner)
        if self._expired(directory):
            self.delete_all(owner)
            return None
        try:
            value = (directory / key).read_bytes()
        except FileNotFoundError:
            return None
        expires = time.time() + session_ttl()
        try:
            os.utime(directory / META_KEY, (expires, expires))  # idle expiry: a read restarts the clock
        except FileNotFoundError:
            return None
        return value

    def delete(self, owner: str, key: str) -> None:
        _check_names(owner, key)
        (self._dir(owner) / key).unlink(missing_ok=True)

    def delete_all(self, owner: str) -> None:
        shutil.rmtree(self._dir(owner), ignore_errors=True)

    def exists(self, owner: str) -> bool:
        return not self._expired(self._dir(owner))

    def usage(self, owner: str) -> int:
        return tree_size(self._dir(owner))

    def size_of(self, owner: str, key: str) -> int:
        _check_names(owner, key)
        try:
            return (self._dir(owner) / key).stat().st_size
        except FileNotFoundError:
            return 0

    def total_usage(self) -> int:
        return tree_size(self.root)

    def expired_owners(self) -> list[str]:
        """Owners whose session has expired (or never got its meta record): what the sweeper deletes."""
        out = []
        for entry in os.scandir(self.root):
            if entry.is_dir(follow_symlinks=False) and self._expired(Path(entry.path)):
                out.append(entry.name)
        return out

    def live_owners(self) -> set[str]:
        return {
            e.name for e in os.scandir(self.root) if e.is_dir(follow_symlinks=False) and not self._expired(Path(e.path))
        }

    def ping(self) -> bool:
        return self.root.is_dir() and os.access(self.root, os.W_OK)


class RedisStore:
    """One hash ``ppx:session:<owner>`` per session (field per key) with the session's expiry as its TTL."""

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, **redis_client_options())

    @staticmethod
    def _key(owner: str) -> str:
        _check_names(owner)
        return f"ppx:session:{owner}"

    def _call(self, fn: Any, *args: Any) -> Any:
        import redis

        try:
            return fn(*args)
        except redis.exceptions.OutOfMemoryError as exc:  # noeviction and full: refuse the new data, evict nobody
            raise QuotaError(FULL_MESSAGE) from exc
        except redis.RedisError as exc:
            raise StoreUnavailableError(f"the session store is unavailable: {type(exc).__name__}") from exc

    def put(self, owner: str, key: str, value: bytes, ttl: int) -> None:
        _check_names(owner, key)
        pipe = self.client.pipeline()
        pipe.hset(self._key(owner), key, value)
        pipe.expire(self._key(owner), ttl)
        self._call(pipe.execute)

    def get(self, owner: str, key: str) -> bytes | None:
        _check_names(owner, key)
        pipe = self.client.pipeline()
        pipe.hget(self._key(owner), key)
        pipe.expire(self._key(owner), session_ttl())  # idle expiry: a read restarts the clock
        value, _ = self._call(pipe.execute)
        return value if isinstance(value, bytes) else None

    def delete(self, owner: str, key: str) -> None:
        self._call(self.client.hdel, self._key(owner), key)

    def delete_all(self, owner: str) -> None:
        self._call(self.client.delete, self._key(owner))

    def exists(self, owner: str) -> bool:
        return bool(self._call(self.client.hexists, self._key(owner), META_KEY))

    def usage(self, owner: str) -> int:
        fields = self._call(self.client.hkeys, self._key(owner))
        return sum(self.size_of(owner, f.decode()) for f in fields)

    def size_of(self, owner: str, key: str) -> int:
        return int(self._call(self.client.hstrlen, self._key(owner), key))

    def total_usage(self) -> int:
        info = self._call(self.client.info, "memory")
        return int(info.get("used_memory", 0))

    def ping(self) -> bool:
        import redis

        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False


def default_store_dir() -> Path:
    configured = os.environ.get("PPX_SESSION_DIR")
    return Path(configured) if configured else state_dir("sessions")


def with_db(url: str, db: int) -> str:
    """``url`` pointing at Redis database ``db`` (``redis://host:6379/0`` -> ``redis://host:6379/<db>``)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


def session_redis_url() -> str | None:
    """The sessions' Redis (``PPX_SESSION_REDIS_URL``, default database 1 of ``REDIS_URL``), if any."""
    redis_url = os.environ.get("REDIS_URL") or None
    if not redis_url:
        return None
    return os.environ.get("PPX_SESSION_REDIS_URL") or with_db(redis_url, 1)


@lru_cache(maxsize=4)
def _store_for(redis_url: str | None, directory: str) -> SessionStore:
    if redis_url:
        return RedisStore(redis_url)
    return FileStore(Path(directory))


def store() -> SessionStore:
    """The configured store (Redis when ``REDIS_URL`` is set, else files)."""
    redis_url = session_redis_url()
    return _store_for(redis_url, "" if redis_url else str(default_store_dir()))


# ----------------------------------------------------------------------------- the cookie on responses


def secure_cookies() -> bool | None:
    """``PPX_SECURE_COOKIES``: 1 always Secure, 0 never; unset: Secure whenever the request came over HTTPS."""
    value = os.environ.get("PPX_SECURE_COOKIES")
    return None if value in (None, "") else value == "1"


def _set_cookie(response: Response) -> Response:
    if not has_request_context() or request.path.startswith(("/assets/", "/_dash-component-suites/")):
        return response
    current()
    if g.get("ppx_session_new") and not g.get("ppx_in_job"):
        forced = secure_cookies()
        response.set_cookie(
            SESSION_COOKIE,
            cookie_value(),
            # no max_age: a browser-session cookie; the data behind it expires server-side when idle
            httponly=True,
            samesite="Lax",
            secure=request.is_secure if forced is None else forced,
        )
    return response


def init_sessions(server: Flask) -> None:
    """Check the secret now (a clear startup error, not a failing first request) and issue cookies."""
    server.secret_key = server_secret()  # Dash signs its background-job handles with it too
    server.after_request(_set_cookie)
