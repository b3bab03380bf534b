"""The "Reproduce" menu of an analysis view: download a zip with the view's data and R and Python scripts."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from app.i18n import N_
from app.ids import Ids

HELP = (
    "A zip with this view's data (only the columns it uses, no patient identifiers), a README with the "
    "expected results, and R (survival) and Python (lifelines) scripts that recompute every number."
)


def button_id(view: str) -> dict[str, str]:
    return {"type": Ids.REPRODUCE_BUTTON, "view": view}


def download_id(view: str) -> dict[str, str]:
    return {"type": Ids.REPRODUCE_DOWNLOAD, "view": view}


def zip_name(view: str) -> str:
    return f"ppx-{view}-reproduce.zip"


def reproduce_menu(view: str) -> Any:
    """'Reproduce (R + Python)' with its download; the page's callback builds the zip (:mod:`app.reproduce`)."""
    return html.Div(
        [
            dbc.Button(
                N_("Reproduce (R + Python)"), id=button_id(view), size="sm", color="secondary", outline=True, title=HELP
            ),
            dcc.Download(id=download_id(view)),
        ],
        className="d-inline-block me-2 mb-2",
    )
