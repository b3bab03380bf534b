"""The app shell: navbar, dataset banner, global filter panel, patient count, page container."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, ctx, dcc, html, no_update

from analysis.filters import FilterSpec, apply_filters, filter_options
from analysis.schema import FIRST_LINE_DRUGS
from app import datasets, i18n, urlstate
from app.components.banner import dataset_badge, dataset_banners
from app.components.filter_panel import FILTER_CONTROLS, controls_from_spec, filter_panel, spec_from_controls
from app.i18n import Lang, t
from app.ids import Ids

HOME_ALIASES: dict[str, str] = {"/": "/survival"}
"""Paths that show another page (the home page is the Survival page)."""


def nav_search(search: str | None) -> str:
    """What a navbar link carries from the current URL: the global filters and the presenter's deck, never the
    current page's own view keys (they mean nothing on another page)."""
    spec, _ = urlstate.filters_of(search)
    kept = urlstate.parse(search)
    return urlstate.with_view(urlstate.with_filters("", spec), {"deck": kept.get("deck"), "lang": kept.get("lang")})


def _nav_links(search: str, pathname: str | None = None, lang: Lang = "en") -> list[Any]:
    current = HOME_ALIASES.get(pathname or "", pathname or "")
    carried = nav_search(search)
    return [
        dbc.NavItem(
            dbc.NavLink(
                t(lang, page["name"]),
                href=page["relative_path"] + carried,
                active=HOME_ALIASES.get(page["relative_path"], page["relative_path"]) == current,
            )
        )
        for page in dash.page_registry.values()
        if page.get("nav", True)
    ]


def language_href(search: str | None, pathname: str | None, lang: Lang) -> str:
    """The current view (path, filters, options) in another language: the switch's link."""
    return (pathname or "/") + urlstate.with_view(search, {"lang": lang})


def language_links(search: str | None, pathname: str | None, current: Lang) -> list[Any]:
    """English | 日本語 (each named in itself); a full reload so that the whole shell is rebuilt in that language."""
    links: list[Any] = []
    for code in i18n.LANGS:
        if links:
            links.append(html.Span("|", className="text-secondary mx-1"))
        links.append(
            html.Span(i18n.LANG_NAMES[code], className="text-light fw-semibold")
            if code == current
            else html.A(
                i18n.LANG_NAMES[code],
                href=language_href(search, pathname, code),
                className="text-light text-decoration-underline",
                lang=code,
            )
        )
    return links


def _presenter_controls(lang: Lang) -> html.Div:
    """Presenter switch (present=1 in the URL), "Copy link" (the URL that reopens this exact view), language."""
    return html.Div(
        [
            dbc.Switch(
                id=Ids.PRESENT_SWITCH, label=t(lang, "Presenter"), value=False, className="text-light mb-0 me-3"
            ),
            html.Span(id=Ids.SHARE_LINK, className="ppx-share-link"),
            html.Span(
                [
                    dcc.Clipboard(target_id=Ids.SHARE_LINK, id=Ids.COPY_LINK, className="d-inline"),
                    " ",
                    t(lang, "Copy link"),
                ],
                className="text-light small me-3",
                title=t(lang, "Copy the link that reopens this exact view (filters, options, presenter mode and deck)"),
            ),
            html.Span(
                language_links("", "/", lang), id=Ids.LANG_SWITCH, className="small ppx-lang-switch", title="Language"
            ),
        ],
        className="d-flex align-items-center ms-auto",
    )


def shell() -> html.Div:
    lang = i18n.request_lang()
    cohort, upload_lost = datasets.cohort_and_notice()
    options = filter_options(cohort.frame)
    first_lines = tuple(d for d in FIRST_LINE_DRUGS if d in options.get("first_line", FIRST_LINE_DRUGS))
    return html.Div(
        [
            # The URL is the view's state: writing its query (a filter, a view option, the slide) renders no page; the
            # callbacks that read it redraw their part. A new path goes through the pages router's own location.
            dcc.Location(id=Ids.URL, refresh=False),
            dbc.Toast(  # in the shell: a page re-rendered by the new deck= in the URL keeps it on screen
                id=Ids.DECK_TOAST,
                header=t(lang, "Presenter deck"),
                is_open=False,
                dismissable=True,
                duration=8000,
                className="ppx-deck-toast",
            ),
            dbc.Navbar(
                dbc.Container(
                    [
                        dbc.NavbarBrand(t(lang, "Post-Progression Explorer"), href="/"),
                        dbc.Nav(_nav_links("", lang=lang), id=Ids.NAV, pills=True),
                        _presenter_controls(lang),
                    ],
                    fluid=True,
                ),
                color="dark",
                dark=True,
                className="mb-2",
            ),
            dbc.Container(
                [
                    html.Div(
                        dataset_banners(cohort, upload_lost, datasets.LOST_MESSAGE, lang),
                        id=Ids.SYNTHETIC_BANNER,
                        className="ppx-synthetic-banner",
                    ),
                    dbc.Row(
                        [
                            dbc.Col(
                                [
                                    html.Div(
                                        [
                                            html.Div(id=Ids.N_BADGE, className="fs-5 fw-semibold"),
                                            html.Div(dataset_badge(cohort, lang), id=Ids.DATASET_BADGE),
                                        ],
                                        className="mb-2",
                                    ),
                                    html.Div(id=Ids.FILTER_WARNINGS),
                                    filter_panel(first_lines, tuple(options.get("center", ())), lang),
                                ],
                                md=3,
                                className="border-end ppx-filter-column",
                            ),
                            dbc.Col(dash.page_container, md=9, className="ppx-page-column"),
                        ]
                    ),
                ],
                fluid=True,
            ),
        ]
    )


@callback(
    Output(Ids.URL, "search"),
    *[Output(c, "value") for c in FILTER_CONTROLS],
    Input(Ids.URL, "search"),
    *[Input(c, "value") for c in FILTER_CONTROLS],
    Input(Ids.RESET, "n_clicks"),
)
def sync_filters(search: str | None, *values: Any) -> tuple[Any, ...]:
    """Two-way sync of the filter controls and the URL.

    A URL change (first load, pasted link, back/forward) sets the controls;
    a control change or reset rewrites the URL's filter part.
    """
    controls = values[: len(FILTER_CONTROLS)]
    trigger = ctx.triggered_id
    if trigger is None or trigger == Ids.URL:
        spec, _ = urlstate.filters_of(search)
        return (no_update, *controls_from_spec(spec))
    spec = FilterSpec() if trigger == Ids.RESET else spec_from_controls(controls)
    new_search = urlstate.with_filters(search, spec)
    if new_search == (search or ""):
        return (no_update,) * (1 + len(FILTER_CONTROLS))
    shown = controls_from_spec(spec)  # rewrite only a control whose value the spec words differently
    return (new_search, *(no_update if new == old else new for new, old in zip(shown, controls, strict=True)))


@callback(
    Output(Ids.N_BADGE, "children"),
    Output(Ids.FILTER_WARNINGS, "children"),
    Output(Ids.NAV, "children"),
    Output(Ids.LANG_SWITCH, "children"),
    Input(Ids.URL, "search"),
    Input(Ids.URL, "pathname"),
)
def show_count(search: str | None, pathname: str | None = None) -> tuple[Any, Any, Any, Any]:
    lang = i18n.lang_of_search(search) or i18n.request_lang()
    cohort = datasets.active_cohort()
    spec, dropped = urlstate.filters_of(search)
    result = apply_filters(cohort.frame, spec)
    count = t(lang, "n = {n} of {total} patients", n=result.n, total=result.n_total)
    warnings = (
        dbc.Alert(
            t(lang, "Ignored in the link: {items}", items="; ".join(dropped)), color="info", className="small py-1"
        )
        if dropped
        else None
    )
    return count, warnings, _nav_links(search or "", pathname, lang), language_links(search, pathname, lang)
