"""The "Reproduce" menu of an analysis view: download a zip with the view's data and R and Python scripts.

The zip is built by a background job (:mod:`app.reproduce_jobs`): the button is disabled while it runs,
a progress bar says where it is, Cancel stops it, and a refusal (e.g. no patients) is said in words.
"""

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


HIDDEN: dict[str, str] = {"display": "none"}
"""Cancel and the progress bar are shown only while the zip is being built."""
PROGRESS_STYLE: dict[str, str] = {"width": "8rem"}


def _id(kind: str, view: str) -> dict[str, str]:
    return {"type": kind, "view": view}


def button_id(view: str) -> dict[str, str]:
    return _id(Ids.REPRODUCE_BUTTON, view)


def download_id(view: str) -> dict[str, str]:
    return _id(Ids.REPRODUCE_DOWNLOAD, view)


def cancel_id(view: str) -> dict[str, str]:
    return _id(Ids.REPRODUCE_CANCEL, view)


def progress_id(view: str) -> dict[str, str]:
    return _id(Ids.REPRODUCE_PROGRESS, view)


def message_id(view: str) -> dict[str, str]:
    return _id(Ids.REPRODUCE_MESSAGE, view)


def zip_name(view: str) -> str:
    return f"ppx-{view}-reproduce.zip"


def reproduce_menu(view: str, class_name: str = "me-2 mb-2") -> Any:
    """'Reproduce (R + Python)', its Cancel, progress and message, and the download the job fills."""
    return html.Div(
        [
            dbc.Button(
                N_("Reproduce (R + Python)"), id=button_id(view), size="sm", color="secondary", outline=True, title=HELP
            ),
            dbc.Button(N_("Cancel"), id=cancel_id(view), size="sm", color="link", disabled=True, style=HIDDEN),
            dbc.Progress(id=progress_id(view), value=0, style={**PROGRESS_STYLE, **HIDDEN}),
            html.Span(id=message_id(view), className="small ms-1"),
            dcc.Download(id=download_id(view)),
        ],
        className=f"d-inline-flex align-items-center gap-1 {class_name}",
    )
