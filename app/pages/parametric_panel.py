"""Callbacks of the Survival page's Parametric section (registered by importing this module from the page).

Thin: read the controls, call the memoized seam :mod:`app.parametric_views`, lay out with
:mod:`app.components.parametric_figures`. The fits take about a second per group, so no background job.
"""

from __future__ import annotations

import math
from typing import Any

import dash
from dash import Input, Output, State, callback, clientside_callback
from dash.exceptions import PreventUpdate

from app import datasets, i18n, urlstate
from app.components.parametric_figures import EXPORT_PAGE, result_block
from app.components.parametric_slides import option_of
from app.ids import Ids
from app.parametric_views import parametric_view
from app.survival_url import view_of

NO_GROUPING = "none"


def _positive(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


@callback(Output(Ids.PAR_PANEL, "style"), Input(Ids.PAR_SWITCH, "value"))
def show_panel(on: bool | None) -> dict[str, str]:
    return {"display": "block" if on else "none"}


clientside_callback(  # a filter click while the section is off sends no request (app/assets/urlstate.js)
    dash.ClientsideFunction(namespace="ppxUrl", function_name="gate"),
    Output(Ids.PAR_KEY, "data"),
    Input(Ids.URL, "search"),
    State(Ids.PAR_SWITCH, "value"),
)


@callback(
    Output(Ids.PAR_OUTPUT, "children"),
    Output({"type": Ids.EXPORT_OPTIONS, "page": EXPORT_PAGE}, "data"),
    Input(Ids.PAR_SWITCH, "value"),
    Input(Ids.PAR_BANDWIDTH, "value"),
    Input(Ids.PAR_HORIZON, "value"),
    Input(Ids.PAR_KEY, "data"),
    State(Ids.URL, "search"),
)
def render_parametric(
    on: bool | None, bandwidth: Any, horizon: Any, _key: str | None, search: str | None
) -> tuple[Any, dict[str, str]]:
    """The section for the page's endpoint, grouping and filters; its settings go to the export bar's store, so
    the exports and the deck's slide show what the page shows.

    The endpoint and grouping are read from the URL (the page writes its controls there, and the key follows
    the URL): a change of either runs this once, not once for the control and again for the URL."""
    if not on:
        raise PreventUpdate
    endpoint, group = view_of(search)[:2]
    grouping = None if not group or group == NO_GROUPING else group
    spec, _ = urlstate.filters_of(search)
    bw, tau = _positive(bandwidth), _positive(horizon)
    view = parametric_view(datasets.active_cohort().fingerprint, spec, endpoint, grouping, bw, tau)
    block = result_block(view.result, view.km, grouping, view.message, i18n.lang_of(search))
    return block, {"option": option_of(tau, bw)}
