"""The Reproduce menu's zip, built as a session-bound background job (:func:`app.background.background_callback`).

Every view registers its menu with :func:`register_download`: the page's controls
(``states``) go to ``build``, which returns the view's :class:`Reproduction`
(see :mod:`app.reproduce`). The job runs in the caller's session (its cohort,
nobody else's); its result, the zip as a ``dcc.Download`` payload, is readable
only by that session and deleted once read. The button is disabled while the
job runs, the progress bar says which step it is at, and Cancel stops it. A
refusal (e.g. a comparison with no patients) is said under the button.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from dash import Input, Output, State, no_update
from dash.dcc.express import send_bytes

from analysis.errors import PPXError
from analysis.reproduce.bundle import Reproduction
from app import i18n
from app.background import background_callback, log_job
from app.components.reproduce import (
    HIDDEN,
    PROGRESS_STYLE,
    button_id,
    cancel_id,
    download_id,
    message_id,
    progress_id,
    zip_name,
)
from app.i18n import N_, t
from app.ids import Ids

STEPS = (N_("Recomputing the view's numbers…"), N_("Writing the zip…"), N_("Done"))


def build_zip(
    view: str,
    build: Callable[..., Reproduction],
    set_progress: Callable[[tuple[int, str]], None],
    values: Sequence[Any],
    search: str | None,
) -> tuple[Any, str | None]:
    """The download payload and no message, or no download and the reason (in the page's language)."""
    started = time.perf_counter()
    lang = i18n.lang_of(search)
    set_progress((10, t(lang, STEPS[0])))
    try:
        bundle = build(*values, search)
    except PPXError as exc:
        log_job(f"reproduce-{view}", started, "refused")
        return no_update, t(lang, "No reproduction zip: {reason}", reason=str(exc))
    set_progress((80, t(lang, STEPS[1])))
    payload = send_bytes(bundle.to_zip(), zip_name(view))
    set_progress((100, t(lang, STEPS[2])))
    log_job(f"reproduce-{view}", started, "done")
    return payload, None


def register_download(view: str, states: Sequence[State], build: Callable[..., Reproduction]) -> Callable[..., Any]:
    """Register the background callback of ``view``'s Reproduce button; ``build(*state_values, search)``."""

    @background_callback(
        Output(download_id(view), "data"),
        Output(message_id(view), "children"),
        Input(button_id(view), "n_clicks"),
        *states,
        State(Ids.URL, "search"),
        running=[
            (Output(button_id(view), "disabled"), True, False),
            (Output(cancel_id(view), "disabled"), False, True),
            (Output(cancel_id(view), "style"), {}, HIDDEN),
            (Output(progress_id(view), "style"), PROGRESS_STYLE, {**PROGRESS_STYLE, **HIDDEN}),
        ],
        cancel=[Input(cancel_id(view), "n_clicks")],
        progress=[Output(progress_id(view), "value"), Output(progress_id(view), "label")],
        progress_default=[0, ""],
        prevent_initial_call=True,
    )
    def download(set_progress: Callable[[tuple[int, str]], None], _clicks: int | None, *values: Any) -> Any:
        return build_zip(view, build, set_progress, values[:-1], values[-1])

    registered: Callable[..., Any] = download
    return registered
