"""Presenter mode (``/present``): one figure at a time, full width, in the projector theme.

The deck is ``deck=`` in the URL (views added with each page's "Add to deck"); without one, the
deck is the views the URL currently describes (Survival, Response, Cox). ``slide=`` is the current
slide; the arrow keys (``assets/presenter.js``) press Previous/Next. ``present=1`` is the navbar
switch. This module also holds the export callbacks of every page's download menu.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, MATCH, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update
from dash.dcc.express import send_bytes
from dash.exceptions import PreventUpdate

from app import datasets, exporting, i18n, urlstate
from app.background import background_callback, log_job
from app.components import presenter
from app.components.tables import simple_table
from app.i18n import N_, t
from app.ids import Ids

dash.register_page(
    __name__, path="/present", name=N_("Present"), title="Presenter · Post-Progression Explorer", order=9, nav=False
)

PRESENT_PATH = "/present"
PAGES_LOCATION = "_pages_location"
"""The pages router's own dcc.Location (in ``dash.page_container``): a new path written there renders the page."""
MASK = exporting.DEFAULT_MASK


def deck_of(query: dict[str, str]) -> tuple[presenter.ViewRef, ...]:
    """The presenter's deck from the URL, else the views the URL describes."""
    return presenter.parse_deck(query.get("deck")) or presenter.refs_from_query(query)


def slide_index(text: str | None, count: int) -> int:
    """0-based index of ``slide=`` (1-based in the URL), clamped to the deck."""
    try:
        value = int(text or "1")
    except ValueError:
        value = 1
    return min(max(value, 1), max(count, 1)) - 1


def layout(**query: Any) -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    dbc.Button(N_("◀ Previous"), id=Ids.PRESENT_PREV, color="dark", outline=True, className="me-2"),
                    dbc.Button(N_("Next ▶"), id=Ids.PRESENT_NEXT, color="dark", outline=True, className="me-3"),
                    html.Span(id=Ids.PRESENT_COUNTER, className="fs-5 fw-semibold me-3"),
                    dbc.Button(
                        N_("Filters"), id=Ids.PRESENT_FILTERS, color="secondary", outline=True, className="me-2"
                    ),
                    dbc.Button(
                        N_("Download slide deck"), id=Ids.PRESENT_DECK_BUTTON, color="primary", className="me-2"
                    ),
                    dbc.Button(
                        N_("Cancel"),
                        id=Ids.PRESENT_DECK_CANCEL,
                        color="secondary",
                        outline=True,
                        disabled=True,
                        className="me-2",
                    ),
                    dbc.Progress(
                        id=Ids.PRESENT_DECK_PROGRESS, value=0, label="", style={"width": "140px"}, className="me-3"
                    ),
                    dbc.Checkbox(id=Ids.PRESENT_MASK, label=f"Mask counts below {MASK}", value=False, className="mb-0"),
                    dcc.Download(id=Ids.PRESENT_DOWNLOAD),
                ],
                className="d-flex align-items-center flex-wrap mb-1 ppx-present-toolbar",
            ),
            html.H1(id=Ids.PRESENT_TITLE, className="ppx-present-title"),
            html.Div(id=Ids.PRESENT_SUBTITLE, className="ppx-present-subtitle mb-2"),
            dcc.Store(id=Ids.PRESENT_VIEWPORT),
            html.Div(
                [
                    html.Div(
                        dcc.Loading(
                            dcc.Graph(
                                id=Ids.PRESENT_FIGURE,
                                config={"displaylogo": False, "displayModeBar": False},
                                style={"display": "none"},
                            ),
                            delay_show=150,
                        ),
                        id=Ids.PRESENT_SLOT,
                        className="ppx-present-slot",
                    ),
                    html.Div(id=Ids.PRESENT_TABLE, className="ppx-present-table"),
                ],
                id=Ids.PRESENT_BODY,
                className="ppx-present-body",
            ),
            html.Div(id=Ids.PRESENT_FOOTER, className="small text-muted mt-1 ppx-present-footer"),
        ],
        className="ppx-present-page",
    )


def _current(search: str | None, mask_on: bool | None) -> tuple[Any, ...]:
    query = urlstate.parse(search)
    spec, _ = urlstate.filters_of(search)
    deck = deck_of(query)
    index = slide_index(query.get("slide"), len(deck))
    return deck, index, deck[index], spec, MASK if mask_on else None, datasets.active_cohort().fingerprint


@callback(
    Output(Ids.PRESENT_TITLE, "children"),
    Output(Ids.PRESENT_SUBTITLE, "children"),
    Output(Ids.PRESENT_TABLE, "children"),
    Output(Ids.PRESENT_COUNTER, "children"),
    Output(Ids.PRESENT_FOOTER, "children"),
    Input(Ids.URL, "search"),
    Input(Ids.PRESENT_MASK, "value"),
    State(Ids.URL, "pathname"),
)
def render(search: str | None, mask_on: bool | None, pathname: str | None) -> tuple[Any, ...]:
    """The current slide's words and numbers. Once they are on the page the browser measures the room left
    for the figure (``presentRoom``), and :func:`render_figure` draws it for exactly that room."""
    if pathname != PRESENT_PATH:
        raise PreventUpdate
    deck, index, ref, spec, mask, fingerprint = _current(search, mask_on)
    lang = i18n.lang_of(search)
    slide = presenter.view_slide(ref, fingerprint, spec, mask, with_figure=False, lang=lang)
    table = None
    if slide.table is not None:
        table = simple_table(slide.table.header, slide.table.rows, id_="present-slide-table")
    footer = " · ".join(filter(None, [slide.note, presenter.provenance(spec, mask, lang=lang).text()]))
    counter = f"{index + 1} / {len(deck)}"
    return slide.title, slide.subtitle, table, counter, footer


@callback(
    Output(Ids.PRESENT_FIGURE, "figure"),
    Output(Ids.PRESENT_FIGURE, "style"),
    Input(Ids.PRESENT_VIEWPORT, "data"),
    Input(Ids.PRESENT_MASK, "value"),
    State(Ids.URL, "search"),
    State(Ids.URL, "pathname"),
)
def render_figure(viewport: Any, mask_on: bool | None, search: str | None, pathname: str | None) -> tuple[Any, Any]:
    """The current slide's figure, laid out for the measured room (the viewport, no scrolling)."""
    if pathname != PRESENT_PATH or not viewport:
        raise PreventUpdate
    _deck, _index, ref, spec, mask, fingerprint = _current(search, mask_on)
    size, font = figure_box(viewport)
    figure = presenter.view_figure(
        ref, fingerprint, spec, presenter=True, mask=mask, size=size, font_size=font, lang=i18n.lang_of(search)
    )
    return figure or {}, {"display": "block"} if figure else {"display": "none"}


def figure_box(viewport: Any) -> tuple[tuple[int, int], int]:
    """(width, height) in px for the slide's figure and its font, from the measured room ``[width, height]``.

    The font follows the height (a 1280×800 projector gets smaller text than a 1920×1080 one), within 15–22 px.
    """
    try:
        width, height = (int(v) for v in list(viewport)[:2])
    except (TypeError, ValueError):
        width, height = DEFAULT_BOX
    width, height = max(360, min(width, 4000)), max(260, min(height, 3000))
    font = max(15, min(presenter.PRESENTER_FONT, round(height / 28)))
    return (width, height), font


DEFAULT_BOX = (1100, 560)


clientside_callback(
    dash.ClientsideFunction(namespace="ppx", function_name="presentRoom"),
    Output(Ids.PRESENT_VIEWPORT, "data"),
    Input(Ids.PRESENT_TITLE, "children"),
    Input(Ids.PRESENT_TABLE, "children"),
    Input(Ids.PRESENT_FOOTER, "children"),
    State(Ids.PRESENT_VIEWPORT, "data"),
)


@callback(
    Output(Ids.URL, "search", allow_duplicate=True),
    Input(Ids.PRESENT_PREV, "n_clicks"),
    Input(Ids.PRESENT_NEXT, "n_clicks"),
    State(Ids.URL, "search"),
    prevent_initial_call=True,
)
def move(prev_clicks: int | None, next_clicks: int | None, search: str | None) -> str:
    """Previous/Next (and the arrow keys, which press them): the slide number in the URL.

    A re-rendered page brings new buttons (no clicks) that fire this too: those are ignored.
    """
    clicks = next_clicks if ctx.triggered_id == Ids.PRESENT_NEXT else prev_clicks
    if not clicks:
        raise PreventUpdate
    query = urlstate.parse(search)
    count = len(deck_of(query))
    index = slide_index(query.get("slide"), count)
    step = 1 if ctx.triggered_id == Ids.PRESENT_NEXT else -1
    new_index = min(max(index + step, 0), count - 1)
    return urlstate.view_change(search, {"slide": str(new_index + 1)})


@background_callback(
    Output(Ids.PRESENT_DOWNLOAD, "data"),
    Input(Ids.PRESENT_DECK_BUTTON, "n_clicks"),
    State(Ids.URL, "search"),
    State(Ids.PRESENT_MASK, "value"),
    running=[
        (Output(Ids.PRESENT_DECK_BUTTON, "disabled"), True, False),
        (Output(Ids.PRESENT_DECK_CANCEL, "disabled"), False, True),
    ],
    cancel=[Input(Ids.PRESENT_DECK_CANCEL, "n_clicks")],
    progress=[Output(Ids.PRESENT_DECK_PROGRESS, "value"), Output(Ids.PRESENT_DECK_PROGRESS, "label")],
    progress_default=[0, ""],
    interval=250,  # poll the job four times a second (Dash's default, 1 s, adds up to a second to the deck)
    prevent_initial_call=True,
)
def download_deck(
    set_progress: Callable[[tuple[int, str]], None], clicks: int | None, search: str | None, mask_on: bool | None
) -> Any:
    """The whole deck as a background job (a cold export browser and many figures take seconds), with progress."""
    if not clicks:
        raise PreventUpdate
    started = time.perf_counter()
    set_progress((10, N_("Building…")))
    query = urlstate.parse(search)  # the caller's session, its upload, nobody else's (background_callback)
    spec, _dropped = urlstate.filters_of(search)
    data = presenter.build_view_deck(deck_of(query), spec, MASK if mask_on else None, i18n.lang_of(search))
    name = f"ppx-deck-{datasets.active_cohort().short_fingerprint}.pptx"
    set_progress((100, N_("Done")))
    log_job("deck-export", started, "done")
    return send_bytes(data, name)


clientside_callback(  # no server round trip: it reads and writes the URL only (app/assets/urlstate.js)
    dash.ClientsideFunction(namespace="ppxUrl", function_name="presenterSwitch"),
    Output(PAGES_LOCATION, "pathname", allow_duplicate=True),
    Output(PAGES_LOCATION, "search", allow_duplicate=True),
    Output(Ids.URL, "search", allow_duplicate=True),
    Output(Ids.PRESENT_SWITCH, "value"),
    Input(Ids.PRESENT_SWITCH, "value"),
    Input(Ids.URL, "search"),
    State(Ids.URL, "pathname"),
    prevent_initial_call="initial_duplicate",
)
"""The navbar switch and ``present=1`` in the URL follow each other; switching moves to or from /present."""


clientside_callback(
    dash.ClientsideFunction(namespace="ppx", function_name="shareLink"),
    Output(Ids.SHARE_LINK, "children"),
    Input(Ids.URL, "pathname"),
    Input(Ids.URL, "search"),
)


# ----------------------------------------------------------------------------- every page's export menu


@callback(
    Output({"type": Ids.EXPORT_DOWNLOAD, "page": MATCH}, "data"),
    Output({"type": Ids.EXPORT_NOTE, "page": MATCH}, "children"),
    Input({"type": Ids.EXPORT_BUTTON, "page": MATCH, "fmt": ALL}, "n_clicks"),
    State({"type": Ids.EXPORT_MASK, "page": MATCH}, "value"),
    State({"type": Ids.EXPORT_OPTIONS, "page": MATCH}, "data"),
    State(Ids.URL, "search"),
    prevent_initial_call=True,
)
def download_view(
    clicks: list[int | None], mask_on: bool | None, options: dict[str, Any] | None, search: str | None
) -> tuple[Any, Any]:
    """One export of the page's current view, with the same builders as ``ppx export``."""
    trigger = ctx.triggered_id
    if not any(clicks) or not isinstance(trigger, dict):
        raise PreventUpdate
    fmt, _, column = str(trigger["fmt"]).partition("-")
    ref = presenter.ref_for_page(str(trigger["page"]), urlstate.parse(search), options)
    spec, _ = urlstate.filters_of(search)
    try:
        name, data = presenter.export_view(
            ref, spec, fmt, mask=MASK if mask_on else None, column=column or "double", lang=i18n.lang_of(search)
        )
    except ValueError as exc:
        return no_update, str(exc)
    return send_bytes(data, name), ""


@callback(
    Output(Ids.URL, "search", allow_duplicate=True),
    Output(Ids.DECK_TOAST, "children"),
    Output(Ids.DECK_TOAST, "is_open"),
    Input({"type": Ids.DECK_ADD, "page": ALL}, "n_clicks"),
    State({"type": Ids.EXPORT_OPTIONS, "page": ALL}, "data"),
    State({"type": Ids.EXPORT_OPTIONS, "page": ALL}, "id"),
    State(Ids.URL, "search"),
    prevent_initial_call=True,
)
def add_to_deck(
    clicks: list[int | None], options: list[Any], option_ids: list[dict[str, str]], search: str | None
) -> tuple[Any, str, bool]:
    """Append the page's current view to the presenter's deck in the URL, and say so in a toast."""
    trigger = ctx.triggered_id
    if not any(clicks) or not isinstance(trigger, dict):
        raise PreventUpdate
    query = urlstate.parse(search)
    lang = i18n.lang_of(search)
    deck = list(presenter.parse_deck(query.get("deck")))
    page = str(trigger["page"])
    settings = next((o for o, i in zip(options, option_ids, strict=False) if i.get("page") == page), None)
    ref = presenter.ref_for_page(page, query, settings)
    if len(deck) >= presenter.MAX_DECK:
        return no_update, t(lang, "The deck is full ({n} slides).", n=presenter.MAX_DECK), True
    deck.append(ref)
    note = t(
        lang,
        "Added as slide {n} of {n}: {title}. Switch Presenter on to show it.",
        n=len(deck),
        title=presenter.view_title(ref, lang),
    )
    return urlstate.with_view(search, {"deck": presenter.deck_text(deck)}), note, True
