"""Dash background callbacks bound to the browser session that started them.

Every background callback of the app goes through :func:`background_callback`
(a test fails for one that does not)::

    from app.background import background_callback

    @background_callback(
        Output(Ids.BOOT_OUTPUT, "children"),
        Input(Ids.BOOT_RUN, "n_clicks"),
        State(Ids.URL, "search"),
        running=[(Output(Ids.BOOT_RUN, "disabled"), True, False)],
        cancel=[Input(Ids.BOOT_CANCEL, "n_clicks")],
        progress=[Output(Ids.BOOT_PROGRESS, "value")],
        prevent_initial_call=True,
    )
    def run_bootstrap(set_progress, clicks, search):
        cohort = datasets.active_cohort()  # the caller's session: its upload, nobody else's
        ...

It takes exactly what ``dash.callback(..., background=True, ...)`` takes (and
sets ``background=True`` itself). The function runs inside a request context
that carries only the caller's session cookie, so ``app.datasets`` sees that
session's data; it needs no ``with`` block of its own. Pass
``stores_data=True`` if the job stores data in the session (e.g. reads an
upload): the session is then claimed (given a new id if it had no data) in the
request that starts the job, because a job has no response to send a cookie with.

What makes a job private to its session (Dash's code, read for this: a job's
result is stored under a *cache key* that Dash computes from the callback's
source and inputs; its signed handle is only bound to the page load):

- the manager's ``cache_by`` adds the session's owner key to every job's cache
  key, so two sessions with the same inputs get different keys and jobs;
- the owner is recorded next to the job; progress, result and side updates are
  read only by a request of the same owner (anyone else reads "nothing yet"),
  and the result is deleted once read (Dash would keep it when ``cache_by`` is set);
- "Forget my data" and session expiry delete a session's jobs (:func:`forget_jobs`).

Backends (Dash's own managers, subclassed for the above):

- default: ``DiskcacheManager``; each job is a separate process forked from the
  worker, results in a diskcache in a private (0700) directory shared by every
  gunicorn worker on the host, stored as JSON (no pickles), and safe to fork
  from a threaded worker (:mod:`app.jobstore`);
- with ``REDIS_URL`` set: ``CeleryManager`` with Redis as broker and result
  backend (JSON); run a worker with ``celery -A app.celery_app worker`` (any host).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import dash
from dash import CeleryManager, DiskcacheManager
from flask import g, has_request_context

from app import sessions
from app.statedir import private_dir, state_dir

JOB_EXPIRE_S = 3600
"""Results and progress of a job are kept this long at most (less than a session's idle expiry)."""

BACKGROUND_MARK = "_ppx_session_bound"
"""Attribute set on every function registered through :func:`background_callback`."""
STORES_MARK = "_ppx_stores_data"


def default_jobs_dir() -> Path:
    configured = os.environ.get("PPX_JOBS_DIR")
    return private_dir(Path(configured) if configured else state_dir("jobs"), "the jobs directory (PPX_JOBS_DIR)")


def _owner_scope() -> str:
    """``cache_by``: the caller's owner key (Dash calls it in the request that starts a job)."""
    return sessions.owner()


def _requester() -> str | None:
    return sessions.owner() if has_request_context() else None


class _SessionBound:
    """What both managers add: owner-scoped keys, owner-checked reads, read-once results, per-owner job lists."""

    def _kv_get(self, key: str) -> str | None:
        raise NotImplementedError

    def _kv_set(self, key: str, value: str) -> None:
        raise NotImplementedError

    def _kv_delete(self, key: str) -> None:
        raise NotImplementedError

    def _owned(self, key: str) -> bool:
        owner = self._kv_get(f"{key}-owner")
        return owner is not None and owner == _requester()

    def build_cache_key(self, fn: Any, args: Any, cache_args_to_ignore: Any, triggered: Any) -> str:
        if getattr(fn, STORES_MARK, False):  # claim the session now: the job has no response for a new cookie
            sessions.claim()
            from dash._callback_context import context_value

            context_value.get()["cookies"][sessions.SESSION_COOKIE] = sessions.cookie_value()  # the job's copy
        return str(super().build_cache_key(fn, args, cache_args_to_ignore, triggered))  # type: ignore[misc]

    def call_job_fn(self, key: str, job_fn: Any, args: Any, context: Any) -> Any:
        owner = sessions.owner()
        self._kv_set(f"{key}-owner", owner)
        job = super().call_job_fn(key, job_fn, args, context)  # type: ignore[misc]
        jobs_key = f"ppx-jobs-of-{owner}"
        known = json.loads(self._kv_get(jobs_key) or "[]")
        self._kv_set(jobs_key, json.dumps([*known[-50:], [key, str(job)]]))
        return job

    def get_progress(self, key: str) -> Any:
        return super().get_progress(key) if self._owned(key) else None  # type: ignore[misc]

    def get_result(self, key: str, job: Any) -> Any:
        if not self._owned(key):
            return self.UNDEFINED  # type: ignore[attr-defined]
        result = super().get_result(key, job)  # type: ignore[misc]
        if result is not self.UNDEFINED:  # type: ignore[attr-defined]
            self.clear_cache_entry(key)  # type: ignore[attr-defined]  # read once, then gone
        return result

    def get_updated_props(self, key: str) -> Any:
        return super().get_updated_props(key) if self._owned(key) else {}  # type: ignore[misc]

    def forget_owner(self, owner: str) -> None:
        """Stop and delete every job of this owner (results, progress, side updates)."""
        jobs_key = f"ppx-jobs-of-{owner}"
        for key, job in json.loads(self._kv_get(jobs_key) or "[]"):
            try:
                self.terminate_job(job)  # type: ignore[attr-defined]
            except Exception:  # a job that already ended
                logging.getLogger("ppx.job").debug("terminate failed", exc_info=True)
            for suffix in ("", "-progress", "-set_props", "-owner"):
                self._kv_delete(f"{key}{suffix}")
        self._kv_delete(jobs_key)


class SessionDiskcacheManager(_SessionBound, DiskcacheManager):
    def _kv_get(self, key: str) -> str | None:
        value = self.handle.get(key)
        return value if isinstance(value, str) else None

    def _kv_set(self, key: str, value: str) -> None:
        self.handle.set(key, value, expire=JOB_EXPIRE_S)

    def _kv_delete(self, key: str) -> None:
        self.handle.delete(key)


class SessionCeleryManager(_SessionBound, CeleryManager):
    def _kv_get(self, key: str) -> str | None:
        value = self.handle.backend.get(key)
        return value.decode() if isinstance(value, bytes) else value if isinstance(value, str) else None

    def _kv_set(self, key: str, value: str) -> None:
        self.handle.backend.set(key, value)

    def _kv_delete(self, key: str) -> None:
        self.handle.backend.delete(key)


@lru_cache(maxsize=2)
def celery_app_for(redis_url: str) -> Any:
    """The Celery application (Redis broker and result backend, JSON only) for ``redis_url``."""
    from celery import Celery

    app = Celery("ppx", broker=redis_url, backend=redis_url)
    app.conf.update(
        result_expires=JOB_EXPIRE_S,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
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
        return SessionCeleryManager(celery_app_for(redis_url), cache_by=[_owner_scope], expire=JOB_EXPIRE_S)
    from app.jobstore import JobStore  # here: Celery deployments never open the jobs database

    handle = JobStore(jobs_dir, expire_s=JOB_EXPIRE_S)
    return SessionDiskcacheManager(handle, cache_by=[_owner_scope], expire=JOB_EXPIRE_S)


def background_manager() -> Any:
    """The process's session-bound background-callback manager (Celery with ``REDIS_URL``, else diskcache)."""
    redis_url = os.environ.get("REDIS_URL") or None
    return _manager_for(redis_url, "" if redis_url else str(default_jobs_dir()))


def backend_name() -> str:
    return "celery" if os.environ.get("REDIS_URL") else "diskcache"


def forget_jobs(owner: str) -> None:
    """Stop and delete this owner's background jobs (Forget my data, session expiry)."""
    background_manager().forget_owner(owner)


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
        g.ppx_in_job = True
        yield


def background_callback(*dependencies: Any, stores_data: bool = False, **kwargs: Any) -> Callable[[Any], Any]:
    """``dash.callback(*dependencies, background=True, **kwargs)``, bound to the caller's browser session.

    See the module docstring. ``manager`` may not be passed: every job uses the
    session-bound manager. ``stores_data=True``: the job may store data in the session.
    """
    if "manager" in kwargs or "background" in kwargs:
        raise TypeError("background_callback sets background=True and the session-bound manager itself")

    def register(fn: Callable[..., Any]) -> Any:
        @functools.wraps(fn)
        def in_session(*args: Any, **kw: Any) -> Any:
            with job_request_context():
                return fn(*args, **kw)

        setattr(in_session, BACKGROUND_MARK, True)
        setattr(in_session, STORES_MARK, stores_data)
        return dash.callback(*dependencies, background=True, manager=background_manager(), **kwargs)(in_session)

    return register


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
