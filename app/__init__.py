"""Dash front end. ``create_app()`` builds the multi-page app and binds the cache."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dash import Dash, set_props
from dash.exceptions import DependencyException
from flask import Flask, Response, jsonify, request

from analysis.errors import DataError
from app import datasets, exporting, sessions
from app.auth import init_auth
from app.background import backend_name, background_manager
from app.cache import cache_ready, init_cache
from app.components.banner import dataset_banners
from app.delivery import init_delivery, serialise_setup
from app.i18n.render import install as install_translation
from app.ids import Ids
from app.limits import BodyLimit
from app.logging_setup import init_request_logging
from app.sessions import StoreUnavailableError, init_sessions
from app.sweeper import start_sweeper

APP_DIR = Path(__file__).resolve().parent
MAX_REQUEST_MB = float(
    os.environ.get("PPX_MAX_REQUEST_MB") or float(os.environ.get("PPX_MAX_UPLOAD_MB", "50")) * 4 / 3 + 4
)
"""Largest request body accepted: an upload arrives base64-encoded (4/3 of the file) inside one callback
request, so the default is the upload limit (``PPX_MAX_UPLOAD_MB``, 50 MB) x 4/3 plus 4 MB of headroom."""

STORE_DOWN_MESSAGE = (
    "The server's session store is unavailable, so uploaded data cannot be reached. "
    "Try again shortly; the bundled cohort keeps working."
)


def _healthz() -> tuple[str, int, dict[str, str]]:
    return "ok", 200, {"Content-Type": "text/plain"}


def _readyz() -> tuple[Response, int]:
    """Ready when the cache and the session store both answer (each check is bounded by 2 s timeouts)."""
    cache_ok, cache_detail = cache_ready()
    store = sessions.store()
    store_ok = store.ping()
    body = {
        "status": "ready" if cache_ok and store_ok else "unavailable",
        "cache": {"ok": cache_ok, "backend": cache_detail},
        "store": {"ok": store_ok, "backend": type(store).__name__},
        "jobs": backend_name(),
    }
    return jsonify(body), 200 if cache_ok and store_ok else 503


def _store_unavailable(_: Exception) -> tuple[str, int, dict[str, str]]:
    return STORE_DOWN_MESSAGE, 503, {"Content-Type": "text/plain; charset=utf-8", "Retry-After": "10"}


def _data_error(exc: DataError) -> Any:
    """A DataError caused by the store being down is a 503; any other one is the app's own business."""
    if isinstance(exc.__cause__, StoreUnavailableError):
        return _store_unavailable(exc)
    raise exc


def _callback_error(exc: Exception) -> Any:
    """Dash's on_error for every callback: a lost upload is told to its owner on the page; anything else
    goes on to Flask's error handlers (a 503 for a store outage, else a logged 500 without data)."""
    if isinstance(exc, datasets.LostUploadError):
        set_props(Ids.SYNTHETIC_BANNER, {"children": dataset_banners(datasets.bundled(), True, sessions.LOST_MESSAGE)})
        return None
    raise exc


STATIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/_favicon.ico")


def content_security_policy(script_hashes: list[str]) -> str:
    """A CSP that Dash tolerates: scripts from this origin plus the hashes of Dash's inline scripts.

    Styles allow 'unsafe-inline' because React and Plotly set inline styles;
    images allow data:/blob: for Plotly's download-as-PNG.
    """
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'self'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def _security_headers(app: Dash) -> None:
    server: Flask = app.server
    policy: list[str] = []

    def add_headers(response: Response) -> Response:
        if not policy:  # Dash's inline scripts are all known once the first request is served
            policy.append(content_security_policy(list(app.csp_hashes())))
        response.headers.setdefault("Content-Security-Policy", policy[0])
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        if request.is_secure or os.environ.get("PPX_HSTS") == "1":
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if not request.path.startswith(STATIC_PREFIXES):  # pages, layouts, callbacks, downloads: session data
            response.headers["Cache-Control"] = "no-store"
            response.headers.setdefault("Pragma", "no-cache")
        return response

    server.after_request(add_headers)


def _component_suites_404(server: Flask) -> None:
    """A path under /_dash-component-suites/ that names no served file is a 404, not a logged 500."""
    for rule in server.url_map.iter_rules():
        if "_dash-component-suites" in rule.rule:
            view = server.view_functions[rule.endpoint]

            def serve(*args: Any, _view: Any = view, **kwargs: Any) -> Any:
                try:
                    return _view(*args, **kwargs)
                except (DependencyException, KeyError, OSError, ValueError, AttributeError):
                    return "not found", 404, {"Content-Type": "text/plain; charset=utf-8"}

            server.view_functions[rule.endpoint] = serve


def warm_compiled() -> bool:
    """Load the compiled concordance loop (numba: about 1.2 s and 100 MB, once) in a server's parent process, so that
    the processes it forks (gunicorn's workers, their background jobs, Celery's pool) count large cohorts' Cox
    concordance with it (:mod:`analysis.concordance_kernel`). ``PPX_COMPILED=0`` leaves numba unloaded (the numpy
    merge sort counts, below a million rows). Whether it was loaded."""
    if os.environ.get("PPX_COMPILED", "1") == "0":
        return False
    from analysis import concordance_kernel

    return concordance_kernel.warm() is not None


def create_app() -> Dash:
    """Build the multi-page app (Dash Pages) with its cache, session store, jobs backend and ops endpoints.

    Stylesheets are served from ``app/assets`` (no CDN: the app works offline). The process's umask becomes
    077, so every file the app or a library writes for it (sessions, cache, diskcache's job database) is 0600.
    """
    os.umask(0o077)
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder=str(APP_DIR / "pages"),
        assets_folder=str(APP_DIR / "assets"),
        suppress_callback_exceptions=True,
        title="Post-Progression Explorer",
        update_title=None,  # type: ignore[arg-type]  # Dash accepts None: no 'Updating...' title
        background_callback_manager=background_manager(),
        on_error=_callback_error,
    )
    server: Flask = app.server
    proxies = int(os.environ.get("PPX_TRUSTED_PROXIES") or "0")
    if proxies > 0:  # behind N reverse proxies: trust their X-Forwarded-For/-Proto/-Host (HTTPS, client address)
        from werkzeug.middleware.proxy_fix import ProxyFix

        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    server.config["MAX_CONTENT_LENGTH"] = int(MAX_REQUEST_MB * 1024 * 1024)
    init_auth(app)  # first: nothing else runs for a request that is not signed in
    server.wsgi_app = BodyLimit(server.wsgi_app, int(MAX_REQUEST_MB * 1024 * 1024))  # type: ignore[method-assign]
    init_request_logging(server)
    init_delivery(server)
    init_cache(server)
    init_sessions(server)
    start_sweeper(server)
    _security_headers(app)
    _component_suites_404(server)
    serialise_setup(app)
    # Figures for exports and decks: one export browser for the host (app/export_service.py), not one per worker
    # and per background job; PPX_EXPORT_SERVICE=0 keeps one per process.
    exporting.use_host_export_service(os.environ.get("PPX_EXPORT_SERVICE", "1") != "0")
    server.register_error_handler(StoreUnavailableError, _store_unavailable)
    server.register_error_handler(DataError, _data_error)
    server.add_url_rule("/healthz", "healthz", _healthz)
    server.add_url_rule("/readyz", "readyz", _readyz)
    from app.layout import shell  # after Dash() so pages are registered

    app.layout = shell
    install_translation(server)  # last registered, so it runs before compression
    return app
