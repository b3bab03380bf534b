"""The cache and the memoized seam between callbacks and the analysis layer.

Only normalised, hashable arguments reach a memoized function: the dataset
fingerprint, a frozen FilterSpec and plain option values. Never a DataFrame:
flask-caching keys on ``repr()``, and a truncated repr would collide.

Default backend: a FileSystemCache in a private temporary directory, shared by
every gunicorn worker on the host. ``PPX_CACHE_TYPE=SimpleCache`` gives a
per-process cache (tests).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from flask import Flask
from flask_caching import Cache

cache = Cache()


def default_cache_dir() -> Path:
    path = Path(tempfile.gettempdir()) / f"ppx-cache-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def cache_config() -> dict[str, Any]:
    cache_type = os.environ.get("PPX_CACHE_TYPE", "FileSystemCache")
    config: dict[str, Any] = {
        "CACHE_TYPE": cache_type,
        "CACHE_DEFAULT_TIMEOUT": int(os.environ.get("PPX_CACHE_TIMEOUT", "3600")),
    }
    if cache_type == "FileSystemCache":
        config["CACHE_DIR"] = os.environ.get("PPX_CACHE_DIR") or str(default_cache_dir())
        config["CACHE_THRESHOLD"] = 5000
    return config


def init_cache(server: Flask) -> None:
    cache.init_app(server, config=cache_config())
