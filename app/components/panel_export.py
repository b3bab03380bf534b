"""A panel's own export row (the adjusted comparison's, the target trial's): "Figure (PNG)" and "Tables (XLSX)",
their download, and the panel's Reproduce menu, on one line."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from app.components.reproduce import reproduce_menu
from app.i18n import N_


def export_controls(png: str, xlsx: str, download: str, view: str) -> html.Div:
    """The buttons with ids ``png`` and ``xlsx``, the ``download`` their callback fills, and the Reproduce menu of
    ``view`` (:func:`app.components.reproduce.reproduce_menu`)."""
    return html.Div(
        [
            dbc.Button(N_("Figure (PNG)"), id=png, size="sm", color="secondary", outline=True, className="me-2"),
            dbc.Button(N_("Tables (XLSX)"), id=xlsx, size="sm", color="secondary", outline=True, className="me-2"),
            dcc.Download(id=download),
            reproduce_menu(view, class_name=""),
        ],
        className="mt-2 d-flex flex-wrap align-items-center",
    )
