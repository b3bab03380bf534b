"""Dash front end. ``create_app()`` builds the multi-page app and binds the cache."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Dash, dcc, html


def create_app() -> Dash:
    app = Dash(
        __name__,
        use_pages=True,
        pages_folder="pages",
        external_stylesheets=[dbc.themes.BOOTSTRAP],
        suppress_callback_exceptions=True,
        title="Post-Progression Explorer",
    )
    app.layout = html.Div(
        [
            dcc.Location(id="url"),
            html.H1("Post-Progression Explorer"),
            dash.page_container,
        ]
    )
    return app
