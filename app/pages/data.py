"""Data page: bring your own cohort (upload, encoding, column and value mapping, validation report, use it).

The received file is kept server-side for this browser session only
(:mod:`app.upload_flow`), never in the browser beyond the upload itself: the
gate clears the upload's contents as soon as the server has them. The request
that receives a file keeps it without its identifying columns (a workbook:
sealed until the read job); reading it (within the server's
bounds) and validating a mapping run as background jobs with progress and
Cancel (:func:`app.background.background_callback`), so no request runs long
and the page always says what is happening. A validation is kept under the
file's digest and the mapping, so "Use this cohort" and the excluded-rows
download do not validate again. "Back to the bundled cohort" and "Forget my
data" delete the cohort (and, for forget, the file) at once.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update
from dash.dcc.express import send_bytes
from dash.exceptions import PreventUpdate

from analysis.errors import DataError
from analysis.ingest import MappingSpec, RawTable, suggest_mapping, template_workbook
from analysis.messages import Message
from app import datasets, i18n, upload_flow
from app.background import background_callback, log_job
from app.components.upload import (
    NOT_MAPPED,
    encoding_options,
    file_report,
    how_matched,
    mapping_table,
    max_upload_bytes,
    megabytes,
    message,
    preview_table,
    progress_box,
    report_view,
    spec_from_controls,
    status_view,
    upload_box,
    value_table,
)
from app.i18n import N_
from app.i18n.ingest import error_text
from app.i18n.report import word
from app.ids import Ids

dash.register_page(__name__, path="/data", name=N_("Data"), title="Data · Post-Progression Explorer", order=7)

HIDDEN = {"display": "none"}


def _reader_controls(sheets: list[dict[str, str]], sheet: str | None) -> dbc.Row:
    return dbc.Row(
        [
            dbc.Col(
                [
                    dbc.Label(N_("Encoding"), className="small fw-semibold"),
                    dcc.Dropdown(id=Ids.DATA_ENCODING, options=encoding_options(), value="detect", clearable=False),
                ],
                md=4,
            ),
            dbc.Col(
                html.Div(
                    [
                        dbc.Label(N_("Sheet"), className="small fw-semibold"),
                        dcc.Dropdown(id=Ids.DATA_SHEET, options=sheets, value=sheet, clearable=False),
                    ],
                    id="data-sheet-box",
                ),
                md=4,
            ),
            dbc.Col(
                [
                    dbc.Label(N_("Dates like 03/04/2020"), className="small fw-semibold"),
                    dbc.RadioItems(
                        id=Ids.DATA_DATE_ORDER,
                        options=[
                            {"label": N_("infer"), "value": "auto"},
                            {"label": N_("day/month"), "value": "dmy"},
                            {"label": N_("month/day"), "value": "mdy"},
                        ],
                        value="auto",
                        inline=True,
                        className="small",
                    ),
                ],
                md=4,
            ),
        ],
        className="mb-2",
    )


def _buttons() -> html.Div:
    return html.Div(
        [
            dbc.Button(N_("Use this cohort"), id=Ids.DATA_USE, color="primary", disabled=True, className="me-2"),
            dbc.Button(N_("Back to the bundled cohort"), id=Ids.DATA_BUNDLED, color="secondary", outline=True,
                       className="me-2"),
            dbc.Button(N_("Forget my data"), id=Ids.DATA_FORGET, color="danger", outline=True, className="me-4"),
            dbc.Button(N_("Download the excluded rows"), id=Ids.DATA_EXCLUDED_SAVE, color="link", size="sm"),
            dbc.Button(N_("Save this mapping (JSON)"), id=Ids.DATA_MAPPING_SAVE, color="link", size="sm"),
            dcc.Download(id=Ids.DATA_EXCLUDED_DOWNLOAD),
            dcc.Download(id=Ids.DATA_MAPPING_DOWNLOAD),
            html.Div(id=Ids.DATA_USE_MESSAGE, className="mt-2"),
        ],
        className="my-3",
    )  # fmt: skip


def _pending_parts(upload: datasets.PendingUpload | None) -> tuple[Any, Any, Any, list[dict[str, str]], str | None]:
    """File report, mapping table, preview, sheet options and sheet for a session's received file."""
    if upload is None or upload.raw is None:
        return None, None, None, [], None
    return _file_parts(upload.raw, None, i18n.request_lang())


def _file_parts(
    raw: RawTable, loaded: MappingSpec | None, lang: i18n.Lang = "en"
) -> tuple[Any, Any, Any, list[dict[str, str]], str | None]:
    suggestion = suggest_mapping(raw)
    columns = loaded.column_map() if loaded is not None else suggestion.spec.column_map()
    how = {c: "saved" for c in columns} if loaded is not None else how_matched(suggestion.columns)
    return (
        file_report(raw, suggestion.not_needed, lang),
        mapping_table(raw, columns, how),
        preview_table(raw, lang=lang),
        [{"label": s, "value": s} for s in raw.sheets],
        raw.sheet,
    )


def layout(**_: Any) -> html.Div:
    limit = max_upload_bytes()
    upload = datasets.pending_upload()
    info, mapping, preview, sheets, sheet = _pending_parts(upload)
    return html.Div(
        [
            dcc.Location(id=Ids.DATA_RELOAD, refresh=True),
            dcc.Store(id=Ids.DATA_LIMIT, data=limit),
            dcc.Store(id=Ids.DATA_GATE),
            dcc.Store(id=Ids.DATA_SPEC),
            dcc.Store(id=Ids.DATA_LOADED_SPEC),
            dcc.Store(id=Ids.DATA_READ_REQUEST),
            html.H2(N_("Bring your own cohort"), className="h4"),
            html.Div(
                status_view(datasets.active_cohort(), upload is not None, i18n.request_lang()), id=Ids.DATA_STATUS
            ),
            html.P(
                [
                    N_("Upload a cohort file, map its columns and values to the "),
                    html.A(N_("canonical schema"), href="/methods"),
                    N_(", read the validation report, then use it on every page. Your file stays on the server for "
                    "this browser session only; nobody else can see it. "),
                    dbc.Button(N_("Download the template (XLSX)"), id=Ids.DATA_TEMPLATE_SAVE, color="link", size="sm",
                               className="p-0 align-baseline"),
                    dcc.Download(id=Ids.DATA_TEMPLATE_DOWNLOAD),
                ],
                className="small",
            ),
            upload_box(limit, i18n.request_lang()),
            html.Div(id=Ids.DATA_UPLOAD_MESSAGE),
            progress_box(Ids.DATA_READ_BOX, Ids.DATA_READ_PROGRESS, Ids.DATA_READ_CANCEL, N_("Reading the file…")),
            dcc.Upload(
                id=Ids.DATA_MAPPING_LOAD,
                children=html.Span(N_("Load a saved mapping (JSON)"), className="small text-primary"),
                accept=".json,application/json",
                multiple=False,
                className="mb-2",
            ),
            _reader_controls(sheets, sheet),
            html.Div(info, id=Ids.DATA_FILE_INFO),
            progress_box(Ids.DATA_CHECK_BOX, Ids.DATA_CHECK_PROGRESS, Ids.DATA_CHECK_CANCEL, N_("Validating…")),
            html.Div(id=Ids.DATA_REPORT),
            _buttons(),
            html.Div(mapping, id=Ids.DATA_MAPPING_TABLE),
            html.Div(id=Ids.DATA_VALUES),
            html.Div(preview, id=Ids.DATA_PREVIEW),
        ]
    )  # fmt: skip


# The gate runs in the browser: a file over the limit is refused with a message before it is sent,
# and the upload component forgets the contents at once (the gate passes them on exactly once).
clientside_callback(
    """
    function(contents, filename, limit) {
        if (!contents) { return [window.dash_clientside.no_update, window.dash_clientside.no_update]; }
        const comma = contents.indexOf(",");
        const size = Math.floor((contents.length - comma - 1) * 3 / 4);
        if (size > limit) { return [{filename: filename, size: size, too_large: true}, null]; }
        return [{filename: filename, size: size, contents: contents}, null];
    }
    """,
    Output(Ids.DATA_GATE, "data"),
    Output(Ids.DATA_UPLOAD, "contents"),
    Input(Ids.DATA_UPLOAD, "contents"),
    State(Ids.DATA_UPLOAD, "filename"),
    State(Ids.DATA_LIMIT, "data"),
    prevent_initial_call=True,
)


SHOWN = {"display": "block"}
_CLEARED: tuple[Any, ...] = (None, None, None, None, True)  # file info, mapping, preview, report, Use disabled


@callback(
    Output(Ids.DATA_UPLOAD_MESSAGE, "children"),
    Output(Ids.DATA_FILE_INFO, "children"),
    Output(Ids.DATA_MAPPING_TABLE, "children"),
    Output(Ids.DATA_PREVIEW, "children"),
    Output(Ids.DATA_REPORT, "children"),
    Output(Ids.DATA_USE, "disabled"),
    Output(Ids.DATA_LOADED_SPEC, "data"),
    Output(Ids.DATA_ENCODING, "value"),
    Output(Ids.DATA_DATE_ORDER, "value"),
    Output(Ids.DATA_READ_REQUEST, "data"),
    Output(Ids.DATA_GATE, "data", allow_duplicate=True),
    Output(Ids.DATA_MAPPING_LOAD, "contents"),
    Input(Ids.DATA_GATE, "data"),
    Input(Ids.DATA_ENCODING, "value"),
    Input(Ids.DATA_SHEET, "value"),
    Input(Ids.DATA_MAPPING_LOAD, "contents"),
    prevent_initial_call=True,
)
def receive(
    gate: dict[str, Any] | None, encoding: str | None, sheet: str | None, mapping_file: str | None
) -> tuple[Any, ...]:
    """A new file, encoding, sheet or saved mapping: keep what arrived, clear the page, and start the read job.

    Nothing is read here: the request stores the file without its identifying columns (a text file's header is
    parsed for that) or sealed (a workbook), :func:`app.upload_flow.receive`.
    """
    trigger = ctx.triggered_id
    loaded: Any = no_update
    order: Any = no_update
    try:
        if trigger == Ids.DATA_GATE:
            if not gate:
                raise PreventUpdate
            filename, data, key = _received(gate)
            request: dict[str, Any] = {"encoding": None, "sheet": None, "key": key}
            loaded, encoding = None, "detect"
            note = i18n.t(i18n.request_lang(), "Received {filename} ({size}); reading it…", filename=repr(filename),
                          size=megabytes(len(data)))  # fmt: skip
        elif trigger == Ids.DATA_MAPPING_LOAD:
            if not mapping_file:
                raise PreventUpdate
            spec = MappingSpec.from_json(base64.b64decode(mapping_file.split(",", 1)[-1]))
            upload_flow.require_pending()
            loaded, encoding, order = spec.to_dict(), spec.encoding or "detect", spec.date_order
            request = {"encoding": spec.encoding, "sheet": spec.sheet}
            note = N_("Mapping loaded; reading the file again with its choices…")
        else:
            request = _reread_request(trigger, encoding, sheet)
            note = N_("Reading the file again…")
    except DataError as exc:
        text = error_text(i18n.request_lang(), exc)
        return (message(text), *_CLEARED, None, no_update, order, no_update, None, None)
    request["nonce"] = time.time_ns()  # the same choices again still start a read
    return (message(note, "secondary"), *_CLEARED, loaded, encoding or "detect", order, request, None, None)


def _received(gate: dict[str, Any]) -> tuple[str, bytes, str | None]:
    """The gate's file, kept for this session, and the key of its sealed bytes (a workbook, for the read job);
    a refused one also drops the previous file from the page."""
    try:
        filename, data = upload_flow.decode_upload(gate, max_upload_bytes())  # the server's limit, never the browser's
    except DataError:
        upload_flow.discard()
        raise
    return filename, data, upload_flow.receive(filename, data)


def _reread_request(trigger: Any, encoding: str | None, sheet: str | None) -> dict[str, Any]:
    raw = upload_flow.require_pending().raw
    if trigger == Ids.DATA_SHEET and raw is not None and (not sheet or sheet == raw.sheet):
        raise PreventUpdate  # the read job itself set the sheet it read
    chosen = None if encoding in (None, "detect") else encoding
    return {"encoding": chosen, "sheet": sheet if raw is not None and raw.sheets else None}


@background_callback(
    Output(Ids.DATA_UPLOAD_MESSAGE, "children", allow_duplicate=True),
    Output(Ids.DATA_FILE_INFO, "children", allow_duplicate=True),
    Output(Ids.DATA_MAPPING_TABLE, "children", allow_duplicate=True),
    Output(Ids.DATA_PREVIEW, "children", allow_duplicate=True),
    Output(Ids.DATA_SHEET, "options"),
    Output(Ids.DATA_SHEET, "value"),
    Input(Ids.DATA_READ_REQUEST, "data"),
    State(Ids.DATA_LOADED_SPEC, "data"),
    State(Ids.URL, "search"),
    running=[(Output(Ids.DATA_READ_BOX, "style"), SHOWN, HIDDEN)],
    cancel=[Input(Ids.DATA_READ_CANCEL, "n_clicks")],
    progress=[Output(Ids.DATA_READ_PROGRESS, "value"), Output(Ids.DATA_READ_PROGRESS, "label")],
    progress_default=[0, ""],
    stores_data=True,
    prevent_initial_call=True,
)
def read_file(
    set_progress: Callable[[tuple[int, str]], None],
    request: dict[str, Any] | None,
    loaded: dict[str, Any] | None,
    search: str | None = None,
) -> tuple[Any, ...]:
    """The read job: parse this session's file within the server's bounds, then show the mapping."""
    if not request:
        raise PreventUpdate
    started = time.perf_counter()
    lang = i18n.lang_of(search)
    set_progress((0, N_("Starting…")))

    def progress(fraction: float, stage: Message) -> None:
        set_progress((round(100 * fraction), word(lang, stage)))

    try:
        raw = upload_flow.read(request.get("encoding"), request.get("sheet"), progress, request.get("key"))
    except DataError as exc:
        log_job("read_upload", started, "refused")
        return message(error_text(lang, exc)), None, None, None, [], None
    set_progress((95, N_("Suggesting the mapping…")))
    info, mapping, preview, sheets, sheet = _file_parts(raw, _spec_or_none(loaded), lang)
    log_job("read_upload", started, "done")
    return None, info, mapping, preview, sheets, sheet


def _saved_values(loaded: dict[str, Any] | None) -> dict[str, dict[str, str]]:
    if not loaded:
        return {}
    try:
        spec = MappingSpec.from_dict(loaded)
    except DataError:
        return {}
    return {column: dict(pairs) for column, pairs in spec.values}


@callback(
    Output(Ids.DATA_VALUES, "children"),
    Input({"type": Ids.DATA_COLUMN, "column": ALL}, "value"),
    State({"type": Ids.DATA_COLUMN, "column": ALL}, "id"),
    State(Ids.DATA_LOADED_SPEC, "data"),
)
def value_panel(sources: list[str | None], ids: list[dict[str, str]], loaded: dict[str, Any] | None) -> Any:
    upload = datasets.pending_upload()
    if upload is None or upload.raw is None or not ids:
        return None
    columns = {i["column"]: s for i, s in zip(ids, sources, strict=True) if s and s != NOT_MAPPED}
    return value_table(upload.raw, columns, _saved_values(loaded))


@background_callback(
    Output(Ids.DATA_REPORT, "children", allow_duplicate=True),
    Output(Ids.DATA_SPEC, "data"),
    Output(Ids.DATA_USE, "disabled", allow_duplicate=True),
    Input({"type": Ids.DATA_COLUMN, "column": ALL}, "value"),
    Input({"type": Ids.DATA_VALUE, "column": ALL, "value": ALL}, "value"),
    Input(Ids.DATA_DATE_ORDER, "value"),
    State({"type": Ids.DATA_COLUMN, "column": ALL}, "id"),
    State({"type": Ids.DATA_VALUE, "column": ALL, "value": ALL}, "id"),
    State(Ids.DATA_ENCODING, "value"),
    State(Ids.DATA_SHEET, "value"),
    State(Ids.URL, "search"),
    running=[(Output(Ids.DATA_CHECK_BOX, "style"), SHOWN, HIDDEN)],
    cancel=[Input(Ids.DATA_CHECK_CANCEL, "n_clicks")],
    progress=[Output(Ids.DATA_CHECK_PROGRESS, "value"), Output(Ids.DATA_CHECK_PROGRESS, "label")],
    progress_default=[0, ""],
    stores_data=True,
    prevent_initial_call=True,
)
def validate(
    set_progress: Callable[[tuple[int, str]], None],
    sources: list[str | None],
    values: list[str | None],
    date_order: str | None,
    column_ids: list[dict[str, str]],
    value_ids: list[dict[str, str]],
    encoding: str | None,
    sheet: str | None,
    search: str | None = None,
) -> tuple[Any, Any, bool]:
    """The validation job: map and validate this session's file (kept per file digest and mapping)."""
    if not column_ids:
        return None, None, True
    started = time.perf_counter()
    set_progress((10, N_("Mapping and validating every row…")))
    spec = spec_from_controls(column_ids, sources, value_ids, values, date_order, encoding, sheet)
    result = upload_flow.validate(spec)
    log_job("validate_upload", started, "done")
    if result is None:
        return None, None, True
    cohort, notes = result
    set_progress((100, N_("Done")))
    return report_view(cohort.report, notes, i18n.lang_of(search)), spec.to_dict(), not cohort.report.usable


READ_CANCELLED = N_(
    "Reading cancelled. Upload the file again (a file not yet read is not kept), or, for a file read before, "
    "choose another encoding or sheet to read it again."
)
CHECK_CANCELLED = N_("Validation cancelled. Change the mapping or the date order to validate again.")


@callback(
    Output(Ids.DATA_UPLOAD_MESSAGE, "children", allow_duplicate=True),
    Input(Ids.DATA_READ_CANCEL, "n_clicks"),
    prevent_initial_call=True,
)
def read_cancelled(clicks: int | None) -> Any:
    """Cancel pressed while reading: the page says so (the job itself is stopped by Dash)."""
    if not clicks:
        raise PreventUpdate
    upload_flow.drop_unread()
    return message(READ_CANCELLED, "warning")


@callback(
    Output(Ids.DATA_REPORT, "children", allow_duplicate=True),
    Input(Ids.DATA_CHECK_CANCEL, "n_clicks"),
    prevent_initial_call=True,
)
def check_cancelled(clicks: int | None) -> Any:
    """Cancel pressed while validating: the page says so instead of showing an old report."""
    if not clicks:
        raise PreventUpdate
    return message(CHECK_CANCELLED, "warning")


def _spec_or_none(data: dict[str, Any] | None) -> MappingSpec | None:
    if not data:
        return None
    try:
        return MappingSpec.from_dict(data)
    except DataError:
        return None


@callback(
    Output(Ids.DATA_RELOAD, "href"),
    Output(Ids.DATA_USE_MESSAGE, "children"),
    Input(Ids.DATA_USE, "n_clicks"),
    State(Ids.DATA_SPEC, "data"),
    prevent_initial_call=True,
)
def use_cohort(clicks: int | None, data: dict[str, Any] | None) -> tuple[Any, Any]:
    spec = _spec_or_none(data)
    result = upload_flow.validate(spec) if spec is not None and clicks else None  # the job's result, kept
    if result is None:
        return no_update, message(N_("Upload a file and map it first."), "warning")
    cohort, _ = result
    if not cohort.report.usable:
        return no_update, message(N_("This file cannot be used yet: see the validation report."), "warning")
    datasets.set_session_cohort(cohort)
    return i18n.keep_lang("/"), None


@callback(
    Output(Ids.DATA_RELOAD, "href", allow_duplicate=True),
    Input(Ids.DATA_BUNDLED, "n_clicks"),
    prevent_initial_call=True,
)
def back_to_bundled(clicks: int | None) -> str:
    """The pages use the bundled cohort again; the uploaded cohort is deleted (the received file stays)."""
    if not clicks:
        raise PreventUpdate
    datasets.clear_session_cohort()
    return i18n.keep_lang("/data")


@callback(
    Output(Ids.DATA_RELOAD, "href", allow_duplicate=True),
    Input(Ids.DATA_FORGET, "n_clicks"),
    prevent_initial_call=True,
)
def forget(clicks: int | None) -> str:
    """Forget my data: this session's cohort and received file are deleted at once."""
    if not clicks:
        raise PreventUpdate
    datasets.forget_session_data()
    return i18n.keep_lang("/data")


@callback(
    Output(Ids.DATA_TEMPLATE_DOWNLOAD, "data"),
    Input(Ids.DATA_TEMPLATE_SAVE, "n_clicks"),
    prevent_initial_call=True,
)
def download_template(clicks: int | None) -> Any:
    if not clicks:
        raise PreventUpdate
    return send_bytes(template_workbook(), "ppx-cohort-template.xlsx")


@callback(
    Output(Ids.DATA_MAPPING_DOWNLOAD, "data"),
    Input(Ids.DATA_MAPPING_SAVE, "n_clicks"),
    State(Ids.DATA_SPEC, "data"),
    prevent_initial_call=True,
)
def download_mapping(clicks: int | None, data: dict[str, Any] | None) -> Any:
    spec = _spec_or_none(data)
    if not clicks or spec is None:
        raise PreventUpdate
    return {"content": spec.to_json(), "filename": "ppx-mapping.json", "type": "application/json"}


@callback(
    Output(Ids.DATA_EXCLUDED_DOWNLOAD, "data"),
    Input(Ids.DATA_EXCLUDED_SAVE, "n_clicks"),
    State(Ids.DATA_SPEC, "data"),
    prevent_initial_call=True,
)
def download_excluded(clicks: int | None, data: dict[str, Any] | None) -> Any:
    spec = _spec_or_none(data)
    result = upload_flow.excluded_csv(spec) if spec is not None and clicks else None
    if result is None:
        raise PreventUpdate
    content, filename = result
    return send_bytes(content, filename)
