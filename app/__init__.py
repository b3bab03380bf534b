"""Dash front end. ``create_app()`` builds the multi-page app and binds the cache."""

from __future__ import annotations

from pathlib import Path

from dash import Dash

from app.cache import init_cache
from app.sessions import init_sessions

APP_DIR = Path(__file__).resolve().parent


def _healthz() -> tuple[str, int, dict[str, str]]:
    return "ok", 200, {"Content-Type": "text/plain"}


def create_app() -> Dash:
    """Build the multi-page app (Dash Pages) with its cache bound.

    Stylesheets are served from ``app/assets`` (no CDN: the app works offline).
    """
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder=str(APP_DIR / "pages"),
        assets_folder=str(APP_DIR / "assets"),
        suppress_callback_exceptions=True,
        title="Post-Progression Explorer",
        update_title=None,  # type: ignore[arg-type]  # Dash accepts None: no 'Updating...' title
    )
    init_cache(app.server)
    init_sessions(app.server)
    app.server.add_url_rule("/healthz", "healthz", _healthz)
    from app.layout import shell  # after Dash() so pages are registered

    app.layout = shell
    return app
