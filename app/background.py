"""Dash background callbacks: the manager, and what a job needs to see its user's data.

Slow analyses (a Cox model on a large cohort) run as Dash background callbacks,
so a worker answers other users while a job runs, and the page shows progress
and a cancel button. The backend is Dash's own:

- default: ``DiskcacheManager``; each job is a separate process, results in a
  diskcache in a private (0700) temporary directory shared by every gunicorn
  worker on the host;
- with ``REDIS_URL`` set: ``CeleryManager`` with Redis as broker and result
  backend; run a worker with ``celery -A app.celery_app worker`` (any host).

A job runs outside the HTTP request that started it, so it has no Flask request.
:func:`job_request_context` rebuilds one that carries only the caller's session
cookie (which Dash copies into the job's callback context), so
``datasets.active_cohort()`` inside a job sees that browser session's upload and
no other.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import dash
from flask import has_request_context

from app import sessions

JOB_EXPIRE_S = 3600
"""Results and progress of a finished job are kept this long at most."""


def default_jobs_dir() -> Path:
    path = Path(os.environ.get("PPX_JOBS_DIR") or Path(tempfile.gettempdir()) / f"ppx-jobs-{os.getuid()}")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


@lru_cache(maxsize=2)
def celery_app_for(redis_url: str) -> Any:
    """The Celery application (Redis broker and result backend) for ``redis_url``."""
    from celery import Celery

    app = Celery("ppx", broker=redis_url, backend=redis_url)
    app.conf.update(
        result_expires=JOB_EXPIRE_S,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"socket_timeout": sessions.REDIS_TIMEOUT_S},
        redis_socket_timeout=sessions.REDIS_TIMEOUT_S,
        redis_socket_connect_timeout=sessions.REDIS_TIMEOUT_S,
        worker_hijack_root_logger=False,
    )
    return app


@lru_cache(maxsize=2)
def _manager_for(redis_url: str | None, jobs_dir: str) -> Any:
    if redis_url:
        from dash import CeleryManager

        return CeleryManager(celery_app_for(redis_url), expire=JOB_EXPIRE_S)
    import diskcache
    from dash import DiskcacheManager

    return DiskcacheManager(diskcache.Cache(jobs_dir), expire=JOB_EXPIRE_S)


def background_manager() -> Any:
    """The process's background-callback manager (Celery with ``REDIS_URL``, else diskcache)."""
    redis_url = os.environ.get("REDIS_URL") or None
    return _manager_for(redis_url, "" if redis_url else str(default_jobs_dir()))


def backend_name() -> str:
    return "celery" if os.environ.get("REDIS_URL") else "diskcache"


@contextmanager
def job_request_context() -> Iterator[None]:
    """Inside a background job: a request context carrying only the caller's session cookie.

    In the request itself (a normal callback, or a unit test with a request
    context) this does nothing.
    """
    if has_request_context():
        yield
        return
    token = dash.callback_context.cookies.get(sessions.SESSION_COOKIE)
    headers = {"Cookie": f"{sessions.SESSION_COOKIE}={token}"} if isinstance(token, str) else {}
    with dash.get_app().server.test_request_context("/_background-job", headers=headers):
        yield


def log_job(callback: str, started: float, outcome: str) -> None:
    """One JSON line for a finished job: its callback, outcome and duration (no inputs, no data)."""
    fields = {
        "event": "job",
        "callback": callback,
        "outcome": outcome,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        "backend": backend_name(),
        "pid": os.getpid(),
    }
    logging.getLogger("ppx.job").info("job", extra={"fields": fields})
