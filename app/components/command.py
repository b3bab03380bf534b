"""The one ``ppx`` command that reproduces a page's results, shown under them."""

from __future__ import annotations

from typing import Any

from dash import html

from analysis.cohort import ValidatedCohort
from analysis.commands import BUNDLED_DATA, UPLOADED_DATA
from app.i18n import N_


def data_argument(cohort: ValidatedCohort) -> str:
    """``--data`` for the dataset in use: the bundled file, or a placeholder for an upload (never its name)."""
    return BUNDLED_DATA if cohort.synthetic else UPLOADED_DATA


def command_block(command: str, id_: str, note: str | None = None) -> Any:
    """'Reproduce with the command line:' and the command, selectable as one line."""
    parts: list[Any] = [
        html.Small(N_("Reproduce with the command line: "), className="text-muted"),
        html.Code(command, className="user-select-all", id=f"{id_}-text"),
    ]
    if note:
        parts.append(html.Small([" ", note], className="text-muted"))
    return html.Div(parts, className="small mt-2 mb-3", id=id_)
