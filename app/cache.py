"""The cache and the memoized seam between callbacks and the analysis layer.

Only normalised, hashable arguments reach a memoized function: the dataset
fingerprint, a frozen FilterSpec and plain option values. Never a DataFrame:
flask-caching keys on ``repr()``, and a truncated repr would collide.

Default backend: a FileSystemCache in a private temporary directory, shared by
every gunicorn worker on the host. With ``REDIS_URL`` set: a RedisCache, shared
by every worker on every host (short socket timeouts, so a Redis outage makes
memoized calls compute instead of hang). ``PPX_CACHE_TYPE`` overrides the
choice (``SimpleCache`` gives a per-process cache, for tests).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from flask import Flask
from flask_caching import Cache

from app.sessions import redis_client_options

cache = Cache()


def default_cache_dir() -> Path:
    path = Path(tempfile.gettempdir()) / f"ppx-cache-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def cache_config() -> dict[str, Any]:
    redis_url = os.environ.get("REDIS_URL") or None
    cache_type = os.environ.get("PPX_CACHE_TYPE") or ("RedisCache" if redis_url else "FileSystemCache")
    config: dict[str, Any] = {
        "CACHE_TYPE": cache_type,
        "CACHE_DEFAULT_TIMEOUT": int(os.environ.get("PPX_CACHE_TIMEOUT", "3600")),
    }
    if cache_type == "FileSystemCache":
        config["CACHE_DIR"] = os.environ.get("PPX_CACHE_DIR") or str(default_cache_dir())
        config["CACHE_THRESHOLD"] = 5000
    elif cache_type == "RedisCache":
        if not redis_url:
            raise RuntimeError("PPX_CACHE_TYPE=RedisCache needs REDIS_URL")
        config["CACHE_REDIS_URL"] = redis_url
        config["CACHE_KEY_PREFIX"] = "ppx:cache:"
        config["CACHE_OPTIONS"] = redis_client_options()
    return config


def init_cache(server: Flask) -> None:
    cache.init_app(server, config=cache_config())


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
