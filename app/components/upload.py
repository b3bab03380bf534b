"""Builders for the Data page: upload box, file report, column and value mapping, preview, validation report.

Pure functions from :mod:`analysis.ingest` results to Dash components; the
page's callbacks only call these. Every cell value shown here is the
session's own upload, rendered for that session only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from analysis.cohort import ValidatedCohort, ValidationReport
from analysis.ingest import (
    ENCODINGS,
    MAPPABLE_VALUE_COLUMNS,
    ColumnSuggestion,
    MappingSpec,
    RawTable,
    ReadLimits,
    distinct_values,
    suggest_values,
)
from analysis.messages import Message
from analysis.schema import COLUMN_BY_NAME, COLUMNS
from app.components.tables import simple_table
from app.i18n import N_, Lang, t, tn, tr
from app.i18n.ingest import notes as worded_notes
from app.i18n.report import SEVERITY, column_name, describe, headers, issue_text, row_label, summary
from app.ids import Ids
from app.sessions import SESSION_TTL_SECONDS

NOT_MAPPED = "__none__"
"""Dropdown value meaning "this canonical column is not in the file" (or "keep the value as it is")."""
MAX_ISSUES_SHOWN = 300
PREVIEW_ROWS = 5
MAX_VALUES_PER_COLUMN = 60


def max_upload_bytes() -> int:
    """The upload limit: ``PPX_MAX_UPLOAD_MB`` megabytes (default 50)."""
    return int(float(os.environ.get("PPX_MAX_UPLOAD_MB", "50")) * 1024 * 1024)


def max_upload_rows() -> int:
    """The row limit of an upload: ``PPX_MAX_UPLOAD_ROWS`` (default 200,000)."""
    return int(os.environ.get("PPX_MAX_UPLOAD_ROWS", "200000"))


SERVER_LIMITS: tuple[tuple[str, str, str], ...] = (
    ("rows", "PPX_MAX_UPLOAD_ROWS", "max_rows"),
    ("columns", "PPX_MAX_UPLOAD_COLUMNS", "max_columns"),
    ("cell_chars", "PPX_MAX_CELL_CHARS", "max_cell_chars"),
    ("xlsx_mb", "PPX_MAX_XLSX_MB", "max_xlsx_mb"),
    ("xlsx_ratio", "PPX_MAX_XLSX_RATIO", "max_xlsx_ratio"),
    ("time_s", "PPX_READ_BUDGET_S", "time_budget_s"),
)
"""The reader's bounds on the server: (bound, environment variable, ReadLimits field)."""


SERVER_HINT = N_("if the file is right, ask the administrator to raise {variable} (ppx validate has options for it)")


def upload_limits() -> ReadLimits:
    """The reader's bounds for an upload, from the environment (defaults: :class:`ReadLimits`'s), with messages
    that say who can lift each one."""
    defaults = ReadLimits()
    values: dict[str, Any] = {}
    for _, variable, name in SERVER_LIMITS:
        text = os.environ.get(variable)
        kind = type(getattr(defaults, name))
        values[name] = kind(float(text)) if text else getattr(defaults, name)
    hints = tuple((bound, Message.of(SERVER_HINT, variable=variable)) for bound, variable, _ in SERVER_LIMITS)
    return ReadLimits(**values, hints=hints)


def progress_box(box_id: str, bar_id: str, cancel_id: str, what: str) -> html.Div:
    """A progress bar and a Cancel button for a background job, hidden until the job runs."""
    return html.Div(
        [
            html.Div(what, className="small text-muted mb-1"),
            dbc.Progress(id=bar_id, value=0, label="", striped=True, animated=True, className="mb-1",
                         style={"height": "1.25rem"}),
            dbc.Button(N_("Cancel"), id=cancel_id, color="secondary", outline=True, size="sm"),
        ],
        id=box_id,
        style={"display": "none"},
        className="my-2",
    )  # fmt: skip


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} kB"


def upload_box(limit: int, lang: Lang = "en") -> dcc.Upload:
    return dcc.Upload(
        id=Ids.DATA_UPLOAD,
        children=html.Div(
            [
                html.Strong(N_("Drag and drop a cohort file here, or click to choose one. ")),
                html.Span(t(lang, "CSV, TSV or XLSX, up to {size}.", size=megabytes(limit)), className="text-muted"),
            ]
        ),
        multiple=False,
        accept=".csv,.tsv,.txt,.tab,.xlsx,.xlsm,text/csv,text/tab-separated-values,"
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        className="border border-2 border-secondary-subtle rounded p-4 text-center mb-2",
        style={"borderStyle": "dashed", "cursor": "pointer"},
    )


def encoding_options() -> list[dict[str, str]]:
    return [{"label": N_("Detect automatically"), "value": "detect"}] + [
        {"label": label, "value": key} for key, label in ENCODINGS.items()
    ]


def message(text: str, color: str = "danger") -> dbc.Alert:
    return dbc.Alert(text, color=color, className="small py-2 mb-2")


NOT_NEEDED = N_("Column {name}: {reason}.")
NOT_NEEDED_DROPPED = N_("Column {name}: {reason}; it was dropped when the file was read.")


def file_report(raw: RawTable, not_needed: Sequence[tuple[str, str]] = (), lang: Lang = "en") -> html.Div:
    """How the file was read: kind, encoding (detected or chosen), delimiter, sheet, rows, and the reader's notes."""
    items: list[Any] = [html.Li(describe(raw, lang))]
    items.extend(html.Li(note) for note in worded_notes(lang, raw.messages))
    dropped = {name for name, _ in raw.dropped}
    items.extend(
        html.Li(t(lang, NOT_NEEDED_DROPPED if name in dropped else NOT_NEEDED, name=repr(name), reason=tr(lang, why)))
        for name, why in not_needed
    )
    return html.Div([html.H3(N_("File"), className="h6 mt-2"), html.Ul(items, className="small mb-2")])


def _sample(raw: RawTable, source: str | None) -> str:
    if source is None or source not in raw.frame.columns:
        return ""
    values = raw.frame[source].dropna().head(3).astype(str).tolist()
    return ", ".join(v[:24] for v in values)


def mapping_table(raw: RawTable, columns: Mapping[str, str], how: Mapping[str, str] | None = None) -> html.Div:
    """One row per canonical column: its meaning, a dropdown of the file's columns, how it was matched, examples."""
    options = [{"label": N_("— not in the file —"), "value": NOT_MAPPED}] + [
        {"label": str(c), "value": str(c)} for c in raw.frame.columns
    ]
    how = how or {}
    rows = []
    for column in COLUMNS:
        source = columns.get(column.name)
        optional = N_("may be empty") if column.nullable else N_("required")
        need = N_("derived, optional") if column.derived else optional
        rows.append(
            html.Tr(
                [
                    html.Td([html.Code(column.name), html.Div(need, className="text-muted small")]),
                    html.Td(
                        dcc.Dropdown(
                            id={"type": Ids.DATA_COLUMN, "column": column.name},
                            options=options,
                            value=source if source in raw.frame.columns else NOT_MAPPED,
                            clearable=False,
                            className="small",
                        ),
                        style={"minWidth": "14rem"},
                    ),
                    html.Td(_how_badge(how.get(column.name)), className="small"),
                    html.Td(_sample(raw, source), className="small text-muted"),
                ]
            )
        )
    header = html.Thead(
        html.Tr([html.Th(N_("Column")), html.Th(N_("From the file's column")), html.Th(""), html.Th(N_("e.g."))])
    )
    return html.Div(
        [
            html.H3(N_("Column mapping"), className="h6 mt-3"),
            html.P(
                N_(
                    "Suggestions come from the column names and English and Japanese synonyms. Columns of the file "
                    "that "
                    "are not mapped are not kept."
                ),
                className="small text-muted mb-1",
            ),
            dbc.Table([header, html.Tbody(rows)], size="sm", hover=True, className="align-middle"),
        ]
    )


HOW_MATCHED: dict[str, str] = {
    "name": N_("name"),
    "synonym": N_("synonym"),
    "similar": N_("similar"),
    "saved": N_("saved"),
}
"""How a column was matched (:attr:`analysis.ingest.ColumnSuggestion.how`), as its badge says."""


def _how_badge(how: str | None) -> Any:
    if how is None:
        return ""
    color = {"name": "success", "synonym": "info", "similar": "warning", "saved": "secondary"}.get(how, "secondary")
    return dbc.Badge(HOW_MATCHED.get(how, how), color=color, className="fw-normal")


def how_matched(suggestions: Sequence[ColumnSuggestion]) -> dict[str, str]:
    return {s.canonical: s.how for s in suggestions}


def preview_table(raw: RawTable, rows: int = PREVIEW_ROWS, lang: Lang = "en") -> html.Div:
    """The first rows of the file as read (text cells), with their spreadsheet row numbers."""
    head = raw.frame.head(rows)
    header = [t(lang, "row"), *[str(c) for c in head.columns]]
    body = [
        [str(label + 2), *["" if v is None else str(v)[:30] for v in record]]
        for label, record in zip(head.index, head.itertuples(index=False, name=None), strict=True)
    ]
    title = tn(lang, "Preview: the first {n} row", "Preview: the first {n} rows", len(head))
    return html.Div(
        [
            html.H3(title, className="h6 mt-3"),
            html.Div(simple_table(header, body), style={"overflowX": "auto"}),
        ]
    )


def value_options(column: str) -> list[dict[str, str]]:
    definition = COLUMN_BY_NAME[column]
    allowed = definition.allowed or ("1", "0")
    return [{"label": N_("— keep as it is —"), "value": NOT_MAPPED}] + [{"label": v, "value": v} for v in allowed]


def value_table(raw: RawTable, columns: Mapping[str, str], saved: Mapping[str, Mapping[str, str]]) -> html.Div:
    """For each mapped category or yes/no column: every file value that is not canonical, with a suggestion."""
    sections: list[Any] = []
    for column in MAPPABLE_VALUE_COLUMNS:
        source = columns.get(column)
        if source is None or source not in raw.frame.columns:
            continue
        definition = COLUMN_BY_NAME[column]
        accepted = set(definition.allowed or ("0", "1"))
        values = [v for v in distinct_values(raw, source, MAX_VALUES_PER_COLUMN) if v not in accepted]
        if definition.kind == "bool":
            values = [v for v in values if v.lower() not in {"true", "false", "yes", "no", "t", "f", "y", "n", "1.0"}]
        if not values:
            continue
        suggested = {**suggest_values(column, values), **saved.get(column, {})}
        rows = [
            html.Tr(
                [
                    html.Td(html.Code(value[:40])),
                    html.Td(
                        dcc.Dropdown(
                            id={"type": Ids.DATA_VALUE, "column": column, "value": value},
                            options=value_options(column),
                            value=suggested.get(value, NOT_MAPPED),
                            clearable=False,
                            className="small",
                        ),
                        style={"minWidth": "14rem"},
                    ),
                ]
            )
            for value in values
        ]
        title = html.Strong(html.Code(column), className="small")
        sections.append(html.Div([title, dbc.Table(html.Tbody(rows), size="sm")]))
    if not sections:
        return html.Div(
            [
                html.H3(N_("Value mapping"), className="h6 mt-3"),
                html.P(N_("Every value is canonical."), className="small"),
            ]
        )
    return html.Div(
        [
            html.H3(N_("Value mapping"), className="h6 mt-3"),
            html.P(
                N_(
                    "File values that are not canonical; the suggestions come from English and Japanese synonyms. "
                    "A value kept as it is will be reported by the validation if it is not allowed."
                ),
                className="small text-muted mb-1",
            ),
            *sections,
        ]
    )


def spec_from_controls(
    column_ids: Sequence[Mapping[str, str]],
    column_values: Sequence[str | None],
    value_ids: Sequence[Mapping[str, str]],
    value_values: Sequence[str | None],
    date_order: str | None,
    encoding: str | None,
    sheet: str | None,
) -> MappingSpec:
    """The mapping the controls describe (a dropdown set to NOT_MAPPED is left out)."""
    columns = {i["column"]: v for i, v in zip(column_ids, column_values, strict=True) if v and v != NOT_MAPPED}
    values: dict[str, dict[str, str | None]] = {}
    for ident, value in zip(value_ids, value_values, strict=True):
        if value and value != NOT_MAPPED and ident["column"] in columns:
            values.setdefault(ident["column"], {})[ident["value"]] = value
    order = date_order if date_order in ("auto", "dmy", "mdy") else "auto"
    return MappingSpec.build(
        columns,
        values,
        date_order=order,
        encoding=None if encoding in (None, "detect") else encoding,
        sheet=sheet or None,
    )


def _summary_color(report: ValidationReport) -> str:
    if not report.usable:
        return "danger"
    return "warning" if report.n_excluded or report.warnings() else "success"


def report_view(report: ValidationReport, notes: Sequence[Message], lang: Lang = "en") -> html.Div:
    """The validation report: "n rows read, n used, n excluded, because …", the notes, and every issue, in
    ``lang`` (:mod:`app.i18n.report`)."""
    rows = [
        [row_label(i, lang), i.patient_id or "", column_name(i.column, lang),
         t(lang, SEVERITY.get(i.severity, i.severity)), issue_text(i, lang)]
        for i in report.issues[:MAX_ISSUES_SHOWN]
    ]  # fmt: skip
    more = len(report.issues) - MAX_ISSUES_SHOWN
    caption = (
        t(lang, "{more} more issues are not shown; the excluded-rows download lists every excluded row.", more=more)
        if more > 0
        else None
    )
    parts: list[Any] = [
        html.H3(N_("Validation report"), className="h6 mt-3"),
        dbc.Alert(summary(report, lang), color=_summary_color(report), className="small py-2", id="data-summary"),
    ]
    if notes:
        parts.append(html.Ul([html.Li(n) for n in worded_notes(lang, notes)], className="small"))
    if rows:
        parts.append(
            html.Div(
                simple_table(headers(lang), rows, caption=caption),
                style={"maxHeight": "28rem", "overflowY": "auto"},
                id="data-issues",
            )
        )
    return html.Div(parts)


def status_view(cohort: ValidatedCohort, has_upload: bool, lang: Lang = "en") -> dbc.Alert:
    """Which dataset the pages use now, and the one-click ways back."""
    if cohort.synthetic:
        text = t(lang, "The pages use the bundled SYNTHETIC cohort (n = {n}, fingerprint {fingerprint}).",
                 n=len(cohort.frame), fingerprint=cohort.short_fingerprint)  # fmt: skip
        if has_upload:
            text += t(lang, " A file you uploaded is kept for this browser session until you use it or forget it.")
        color = "secondary"
    else:
        text = t(
            lang,
            "The pages use your upload {name} (n = {n}, fingerprint {fingerprint}). It is visible to this browser "
            "session only and is deleted after {hours} hours without use, or at once with Forget my data.",
            name=repr(cohort.name), n=len(cohort.frame), fingerprint=cohort.short_fingerprint,
            hours=f"{SESSION_TTL_SECONDS / 3600:g}",
        )  # fmt: skip
        color = "info"
    return dbc.Alert(text, color=color, className="small py-2 mb-2")
