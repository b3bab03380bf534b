"""Callbacks of the target-trial panel (registered by importing this module from the Survival and Study pages).

Thin: read the controls, call the memoized seam :mod:`app.emulation_views`, lay
out with :mod:`app.components.emulation`; the export buttons give the files of the view's token
(:func:`app.components.presenter.export_view`). The point estimate renders at once;
the bootstrap (200 resamples, the whole procedure re-run in each) is a
background job with progress and Cancel, bound to the caller's session
(:func:`app.background.background_callback`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, clientside_callback, ctx, no_update
from dash.dcc.express import send_bytes
from dash.exceptions import PreventUpdate

from analysis.commands import emulate_command
from analysis.messages import Message
from analysis.reproduce.bundle import Reproduction
from app import datasets, i18n, reproduce, urlstate
from app.background import background_callback, log_job
from app.components import presenter
from app.components.command import data_argument
from app.components.emulation import result_block
from app.emulation_views import BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, EmulationView, emulation_view, options_of
from app.i18n import N_, refusals, t
from app.ids import Ids
from app.reproduce_jobs import register_download
from app.survival_url import guard_shown
from app.views import filtered

clientside_callback(  # the Study page's key follows its URL (app/assets/urlstate.js)
    dash.ClientsideFunction(namespace="ppxUrl", function_name="emulationKey"),
    Output(Ids.EMU_KEY, "data", allow_duplicate=True),
    Input(Ids.URL, "search"),
    State(Ids.URL, "pathname"),
    prevent_initial_call="initial_duplicate",
)


@callback(
    Output(Ids.EMU_OUTPUT, "children"),
    Output(Ids.EMU_BOOT_OUTPUT, "children", allow_duplicate=True),
    Input(Ids.EMU_GRACE, "value"),
    Input(Ids.EMU_THERAPY, "value"),
    Input(Ids.EMU_KEY, "data"),
    State(Ids.URL, "search"),
    State(Ids.URL, "pathname"),
    prevent_initial_call="initial_duplicate",
)
def render_emulation(
    grace: str | None, therapy: str | None, key: str | None, search: str | None, pathname: str | None = None
) -> tuple[Any, Any]:
    """The emulated trial's point estimate for the panel's options and the page's filters; clears a stale bootstrap.

    It runs when the panel's key changes (:func:`app.components.emulation.panel`): on the Survival page the panel
    sits in the immortal-time guard, whose callback sets the key only while the guard is shown, so a filter click
    on OS by drug sends no request for a trial nobody sees."""
    if key is None or ((pathname or "").rstrip("/").endswith("/survival") and not guard_shown(search)):
        raise PreventUpdate
    options = options_of(grace, therapy)
    spec, _ = urlstate.filters_of(search)
    cohort = datasets.active_cohort()
    result = emulation_view(cohort.fingerprint, spec, options)
    lang = i18n.lang_of(search)
    if isinstance(result, Message):
        return dbc.Alert(refusals.word(lang, result), color="secondary", className="small mt-2"), None
    return result_block(result, lang=lang), None


@background_callback(
    Output(Ids.EMU_BOOT_OUTPUT, "children"),
    Output(Ids.EMU_OUTPUT, "children", allow_duplicate=True),
    Input(Ids.EMU_RUN, "n_clicks"),
    State(Ids.EMU_GRACE, "value"),
    State(Ids.EMU_THERAPY, "value"),
    State(Ids.URL, "search"),
    running=[
        (Output(Ids.EMU_RUN, "disabled"), True, False),
        (Output(Ids.EMU_CANCEL, "disabled"), False, True),
    ],
    cancel=[Input(Ids.EMU_CANCEL, "n_clicks")],
    progress=[Output(Ids.EMU_PROGRESS, "value"), Output(Ids.EMU_PROGRESS, "label")],
    progress_default=[0, ""],
    prevent_initial_call=True,
)
def run_emulation_bootstrap(
    set_progress: Callable[[tuple[int, str]], None],
    _clicks: int | None,
    grace: str | None,
    therapy: str | None,
    search: str | None,
) -> Any:
    """The emulated trial with bootstrap CIs and bands (censoring model, weights and Cox re-fitted per resample)."""
    started = time.perf_counter()
    options = options_of(grace, therapy)
    set_progress((0, N_("Resampling…")))

    def progress(done: int, total: int) -> None:
        if done == total or done % 10 == 0:
            set_progress((round(100 * done / total), f"{done:,} / {total:,}"))

    spec, _ = urlstate.filters_of(search)  # the job runs in the caller's session: its data, nobody else's
    cohort = datasets.active_cohort()
    result = emulation_view(cohort.fingerprint, spec, options, n_bootstrap=BOOTSTRAP_RESAMPLES, progress=progress)
    set_progress((100, N_("Done")))
    log_job("emulation-bootstrap", started, "done")
    if isinstance(result, Message):
        return dbc.Alert(refusals.word(i18n.lang_of(search), result), color="secondary", className="small"), no_update
    command = emulate_command(
        data_argument(cohort), spec, options.grace, options.therapy, BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED
    )
    lang = i18n.lang_of(search)
    done = t(
        lang,
        "Bootstrap done: {n} resamples (seed {seed}); CIs and bands are shown above.",
        n=result.n_bootstrap,
        seed=BOOTSTRAP_SEED,
    )
    return dbc.Alert(done, color="info", className="small py-1 mt-2"), result_block(result, command, lang)


@callback(
    Output(Ids.EMU_DOWNLOAD, "data"),
    Input(Ids.EMU_EXPORT_PNG, "n_clicks"),
    Input(Ids.EMU_EXPORT_XLSX, "n_clicks"),
    State(Ids.EMU_GRACE, "value"),
    State(Ids.EMU_THERAPY, "value"),
    State(Ids.EMU_BOOT_OUTPUT, "children"),
    State(Ids.URL, "search"),
    prevent_initial_call=True,
)
def export_emulation(
    _png: int | None, _xlsx: int | None, grace: str | None, therapy: str | None, boot: Any, search: str | None
) -> Any:
    """The emulated trial's curves (PNG) or its tables (XLSX), the file ``ppx export --view`` and a deck give for
    the view's token, which carries the panel's therapy and grace period, and the bootstrap when its message is on
    screen (the point estimate's render clears it; the job's result is in the cache): the caveat leads every footer,
    the method follows. Nothing when there is no trial (the panel says why)."""
    trial = EmulationView(options_of(grace, therapy), bootstrap=boot is not None)
    spec, _ = urlstate.filters_of(search)
    result = emulation_view(datasets.active_cohort().fingerprint, spec, trial.options, n_bootstrap=trial.n_bootstrap)
    if isinstance(result, Message):
        raise PreventUpdate
    fmt = "png" if ctx.triggered_id == Ids.EMU_EXPORT_PNG else "xlsx"
    name, data = presenter.export_view(presenter.emulation_ref(trial), spec, fmt, lang=i18n.lang_of(search))
    return send_bytes(data, name)


def reproduction(grace: str | None, therapy: str | None, search: str | None) -> Reproduction:
    """The panel's "Reproduce" zip (deterministic numbers; the README says why the bootstrap is not in it)."""
    options = options_of(grace, therapy)
    spec, _ = urlstate.filters_of(search)
    cohort = datasets.active_cohort()
    source = reproduce.source_of(cohort.fingerprint, cohort.synthetic, spec)
    return reproduce.emulation(filtered(cohort.fingerprint, spec).frame, source, options)


register_download("emulation", [State(Ids.EMU_GRACE, "value"), State(Ids.EMU_THERAPY, "value")], reproduction)

__all__ = ["export_emulation", "render_emulation", "reproduction", "run_emulation_bootstrap"]
