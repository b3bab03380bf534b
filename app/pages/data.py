"""Data page: bring your own cohort (upload, encoding, column and value mapping, validation report, use it).

The received file is kept server-side for this browser session only
(:func:`app.datasets.set_pending_upload`), never in the browser beyond the
upload itself: the gate clears the upload's contents as soon as the server
has them. "Use this cohort" validates the mapped file with
:func:`analysis.cohort.validate_cohort` (through :func:`analysis.ingest.prepare_cohort`)
and makes it this session's dataset; "Back to the bundled cohort" and
"Forget my data" delete it at once.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update
from dash.dcc.express import send_bytes
from dash.exceptions import PreventUpdate

from analysis.errors import DataError
from analysis.ingest import (
    MappingSpec,
    PreparedUpload,
    RawTable,
    excluded_rows_table,
    prepare_cohort,
    read_upload,
    suggest_mapping,
    template_workbook,
)
from app import datasets
from app.components.upload import (
    NOT_MAPPED,
    encoding_options,
    file_report,
    how_matched,
    mapping_table,
    max_upload_bytes,
    max_upload_rows,
    megabytes,
    message,
    preview_table,
    report_view,
    spec_from_controls,
    status_view,
    upload_box,
    value_table,
)
from app.ids import Ids

dash.register_page(__name__, path="/data", name="Data", title="Data · Post-Progression Explorer", order=7)

HIDDEN = {"display": "none"}


def _reader_controls(sheets: list[dict[str, str]], sheet: str | None) -> dbc.Row:
    return dbc.Row(
        [
            dbc.Col(
                [
                    dbc.Label("Encoding", className="small fw-semibold"),
                    dcc.Dropdown(id=Ids.DATA_ENCODING, options=encoding_options(), value="detect", clearable=False),
                ],
                md=4,
            ),
            dbc.Col(
                html.Div(
                    [
                        dbc.Label("Sheet", className="small fw-semibold"),
                        dcc.Dropdown(id=Ids.DATA_SHEET, options=sheets, value=sheet, clearable=False),
                    ],
                    id="data-sheet-box",
                ),
                md=4,
            ),
            dbc.Col(
                [
                    dbc.Label("Dates like 03/04/2020", className="small fw-semibold"),
                    dbc.RadioItems(
                        id=Ids.DATA_DATE_ORDER,
                        options=[
                            {"label": "infer", "value": "auto"},
                            {"label": "day/month", "value": "dmy"},
                            {"label": "month/day", "value": "mdy"},
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
            dbc.Button("Use this cohort", id=Ids.DATA_USE, color="primary", disabled=True, className="me-2"),
            dbc.Button("Back to the bundled cohort", id=Ids.DATA_BUNDLED, color="secondary", outline=True,
                       className="me-2"),
            dbc.Button("Forget my data", id=Ids.DATA_FORGET, color="danger", outline=True, className="me-4"),
            dbc.Button("Download the excluded rows", id=Ids.DATA_EXCLUDED_SAVE, color="link", size="sm"),
            dbc.Button("Save this mapping (JSON)", id=Ids.DATA_MAPPING_SAVE, color="link", size="sm"),
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
    raw = upload.raw
    suggestion = suggest_mapping(raw)
    return (
        file_report(raw, suggestion.not_needed),
        mapping_table(raw, suggestion.spec.column_map(), how_matched(suggestion.columns)),
        preview_table(raw),
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
            html.H2("Bring your own cohort", className="h4"),
            html.Div(status_view(datasets.active_cohort(), upload is not None), id=Ids.DATA_STATUS),
            html.P(
                [
                    "Upload a cohort file, map its columns and values to the ",
                    html.A("canonical schema", href="/methods"),
                    ", read the validation report, then use it on every page. Your file stays on the server for "
                    "this browser session only; nobody else can see it. ",
                    dbc.Button("Download the template (XLSX)", id=Ids.DATA_TEMPLATE_SAVE, color="link", size="sm",
                               className="p-0 align-baseline"),
                    dcc.Download(id=Ids.DATA_TEMPLATE_DOWNLOAD),
                ],
                className="small",
            ),
            upload_box(limit),
            html.Div(id=Ids.DATA_UPLOAD_MESSAGE),
            dcc.Upload(
                id=Ids.DATA_MAPPING_LOAD,
                children=html.Span("Load a saved mapping (JSON)", className="small text-primary"),
                accept=".json,application/json",
                multiple=False,
                className="mb-2",
            ),
            _reader_controls(sheets, sheet),
            html.Div(info, id=Ids.DATA_FILE_INFO),
            dcc.Loading(html.Div(id=Ids.DATA_REPORT), delay_show=200),
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


def too_large_message(filename: str, size: int, limit: int) -> str:
    return (
        f"{filename!r} is {megabytes(size)}, over the upload limit of {megabytes(limit)}. Remove columns you do "
        "not need, split the file, or ask the administrator to raise PPX_MAX_UPLOAD_MB."
    )


def decode_upload(gate: dict[str, Any], limit: int) -> tuple[str, bytes]:
    """The file name and bytes the gate passed on; DataError for a refused, oversized or garbled upload."""
    filename = str(gate.get("filename") or "upload")
    if gate.get("too_large"):
        raise DataError(too_large_message(filename, int(gate.get("size") or 0), limit))
    contents = gate.get("contents")
    if not isinstance(contents, str) or "," not in contents:
        raise DataError(f"{filename!r} arrived empty or incomplete; upload it again")
    encoded = contents.split(",", 1)[1]
    if len(encoded) * 3 // 4 > limit + 3:
        raise DataError(too_large_message(filename, len(encoded) * 3 // 4, limit))
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DataError(f"{filename!r} arrived garbled; upload it again") from exc
    return filename, data


def read_pending(filename: str, data: bytes, encoding: str | None, sheet: str | None) -> datasets.PendingUpload:
    """Read the bytes and keep them for this session, readable or not (an encoding choice may fix them)."""
    try:
        raw: RawTable | None = read_upload(data, filename, encoding=encoding, sheet=sheet, max_rows=max_upload_rows())
        problem = None
    except DataError as exc:
        raw, problem = None, str(exc)
    upload = datasets.PendingUpload(filename, data, raw)
    datasets.set_pending_upload(upload)
    if problem is not None:
        raise DataError(problem)
    return upload


_EMPTY_OUTPUTS: tuple[Any, ...] = (None, None, None, [], None, None)


@callback(
    Output(Ids.DATA_UPLOAD_MESSAGE, "children"),
    Output(Ids.DATA_FILE_INFO, "children"),
    Output(Ids.DATA_MAPPING_TABLE, "children"),
    Output(Ids.DATA_PREVIEW, "children"),
    Output(Ids.DATA_SHEET, "options"),
    Output(Ids.DATA_SHEET, "value"),
    Output(Ids.DATA_LOADED_SPEC, "data"),
    Output(Ids.DATA_ENCODING, "value"),
    Output(Ids.DATA_DATE_ORDER, "value"),
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
    """A new file, a new encoding or sheet, or a saved mapping: read the file again and rebuild the mapping."""
    trigger = ctx.triggered_id
    chosen_encoding = None if encoding in (None, "detect") else encoding
    loaded: MappingSpec | None = None
    order: Any = no_update
    try:
        if trigger == Ids.DATA_GATE:
            if not gate:
                raise PreventUpdate
            filename, data = decode_upload(gate, max_upload_bytes())  # the server's limit, never the browser's
            upload = read_pending(filename, data, None, None)
            chosen_encoding, encoding = None, "detect"
        elif trigger == Ids.DATA_MAPPING_LOAD:
            if not mapping_file:
                raise PreventUpdate
            loaded = MappingSpec.from_json(base64.b64decode(mapping_file.split(",", 1)[-1]))
            previous = _require_pending()
            encoding = loaded.encoding or "detect"
            order = loaded.date_order
            upload = read_pending(previous.filename, previous.data, loaded.encoding, loaded.sheet)
        else:
            previous = _require_pending()
            upload = read_pending(previous.filename, previous.data, chosen_encoding, sheet)
    except DataError as exc:
        return (message(str(exc)), *_EMPTY_OUTPUTS, no_update, order, None, None)
    raw = upload.raw
    if raw is None:  # read_pending raises instead; kept for the type checker
        raise PreventUpdate
    suggestion = suggest_mapping(raw)
    columns = loaded.column_map() if loaded is not None else suggestion.spec.column_map()
    how = {c: "saved" for c in columns} if loaded is not None else how_matched(suggestion.columns)
    return (
        None,
        file_report(raw, suggestion.not_needed),
        mapping_table(raw, columns, how),
        preview_table(raw),
        [{"label": s, "value": s} for s in raw.sheets],
        raw.sheet,
        loaded.to_dict() if loaded is not None else None,
        encoding or "detect",
        order,
        None,
        None,
    )


def _require_pending() -> datasets.PendingUpload:
    upload = datasets.pending_upload()
    if upload is None:
        raise DataError("upload a data file first (an earlier upload has expired or was forgotten)")
    return upload


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


def current_upload(spec: MappingSpec) -> PreparedUpload | None:
    upload = datasets.pending_upload()
    if upload is None or upload.raw is None:
        return None
    return prepare_cohort(upload.raw, spec, name=upload.filename)


@callback(
    Output(Ids.DATA_REPORT, "children"),
    Output(Ids.DATA_SPEC, "data"),
    Output(Ids.DATA_USE, "disabled"),
    Input({"type": Ids.DATA_COLUMN, "column": ALL}, "value"),
    Input({"type": Ids.DATA_VALUE, "column": ALL, "value": ALL}, "value"),
    Input(Ids.DATA_DATE_ORDER, "value"),
    State({"type": Ids.DATA_COLUMN, "column": ALL}, "id"),
    State({"type": Ids.DATA_VALUE, "column": ALL, "value": ALL}, "id"),
    State(Ids.DATA_ENCODING, "value"),
    State(Ids.DATA_SHEET, "value"),
)
def validate(
    sources: list[str | None],
    values: list[str | None],
    date_order: str | None,
    column_ids: list[dict[str, str]],
    value_ids: list[dict[str, str]],
    encoding: str | None,
    sheet: str | None,
) -> tuple[Any, Any, bool]:
    if not column_ids:
        return None, None, True
    spec = spec_from_controls(column_ids, sources, value_ids, values, date_order, encoding, sheet)
    prepared = current_upload(spec)
    if prepared is None:
        return None, None, True
    return report_view(prepared), spec.to_dict(), not prepared.report.usable


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
    prepared = current_upload(spec) if spec is not None and clicks else None
    if prepared is None:
        return no_update, message("Upload a file and map it first.", "warning")
    if not prepared.report.usable:
        return no_update, message("This file cannot be used yet: see the validation report.", "warning")
    datasets.set_session_cohort(prepared.cohort)
    return "/", None


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
    return "/data"


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
    return "/data"


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
    prepared = current_upload(spec) if spec is not None and clicks else None
    if prepared is None:
        raise PreventUpdate
    table = excluded_rows_table(prepared)
    text = table.to_csv(index=False)
    stem = prepared.raw.source.rsplit(".", 1)[0] or "upload"
    return send_bytes(text.encode("utf-8-sig"), f"excluded-rows-{stem}.csv")
