"""Callbacks of the Cox page's AFT check (registered by importing this module from the Cox page).

Thin: read the Cox page's controls, call the memoized seam :func:`app.parametric_views.aft_view`, lay out with
:mod:`app.components.aft_check`. Like the Cox models: on the page's inputs for a small cohort, and as a background
job for a cohort that runs the Cox models in the background: the Cox page's Compute job computes it after the Cox
models (:func:`aft_output`, one more output of that job; a second background job on the same button stalled the first).
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, callback

from analysis.schema import ENDPOINTS
from app import datasets, i18n, urlstate
from app.components.aft_check import result_block
from app.i18n import N_
from app.ids import Ids
from app.parametric_views import aft_view
from app.views import COX_CANDIDATES, cox_runs_in_background


def aft_output(endpoint: str | None, covariates: list[str] | None, merge: bool | None, search: str | None) -> Any:
    """The AFT check for the Cox page's settings (endpoint, covariates, merging, the URL's filters and language)."""
    spec, _ = urlstate.filters_of(search)
    chosen = tuple(c for c in (covariates or []) if c in COX_CANDIDATES)
    endpoint = endpoint if endpoint in ENDPOINTS else "os"
    view = aft_view(datasets.active_cohort().fingerprint, spec, endpoint, chosen, bool(merge))
    return result_block(view, i18n.lang_of(search))


@callback(
    Output(Ids.COX_AFT, "children"),
    Input(Ids.COX_ENDPOINT, "value"),
    Input(Ids.COX_COVARIATES, "value"),
    Input(Ids.COX_MERGE_SPARSE, "value"),
    Input(Ids.URL, "search"),  # the filters: a filter change renders no page, it changes the URL
)
def render_aft(endpoint: str | None, covariates: list[str] | None, merge: bool | None, search: str | None) -> Any:
    if cox_runs_in_background(len(datasets.active_cohort().frame)):
        return dbc.Alert(N_("Press Compute to fit the models for these settings."), color="info", className="small")
    return aft_output(endpoint, covariates, merge, search)


__all__ = ["aft_output", "render_aft"]
