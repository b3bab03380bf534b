"""Render-time translation of Dash's JSON: the shell, every page and every callback output, in one place.

Components are built with English message ids (marked for extraction with ``N_`` or built by ``t`` with
parameters); :func:`install` registers a Flask ``after_request`` hook that, for a request whose language
(:func:`app.i18n.request_lang`) is not English, rewrites the JSON of ``/_dash-layout`` and
``/_dash-update-component`` responses: every text property (children, label, placeholder, title, header,
option labels, table column names, figure titles, axis titles, trace names, annotations, tick texts) that is a
message id is replaced by its translation. Values, ids and class names are never touched, and a string that is
not a message id is left as it is (data, numbers, user text). Exports do not pass through here: their builders
take the language as an argument.
"""

from __future__ import annotations

import json
from typing import Any, Final, cast

from flask import Flask, Response, request

from app.i18n import DEFAULT_LANG, N_, Lang, request_lang, tr

TEXT_PROPS: Final[frozenset[str]] = frozenset(
    {"children", "label", "placeholder", "title", "header", "label_off", "tooltip", "alt"}
)
FIGURE_TEXT_KEYS: Final[frozenset[str]] = frozenset({"text", "name", "title", "ticktext", "legendgrouptitle"})
DASH_JSON_PATHS: Final[tuple[str, ...]] = ("/_dash-layout", "/_dash-update-component")
DROPDOWN_LABELS: Final[dict[str, str]] = {
    "select_all": N_("Select All"),
    "deselect_all": N_("Deselect All"),
    "selected_count": N_("{num_selected} selected"),
    "search": N_("Search"),
    "clear_search": N_("Clear search"),
    "clear_selection": N_("Clear selection"),
    "no_options_found": N_("No options found"),
}
"""dcc.Dropdown's own texts (its ``labels`` default, Dash 4): a Dropdown without ``labels`` gets them translated."""


def _text(lang: Lang, value: Any) -> Any:
    if isinstance(value, str):
        return tr(lang, value)
    if isinstance(value, list):
        return [_text(lang, v) if isinstance(v, str) else localize(lang, v) for v in value]
    return localize(lang, value)


def localize_figure(lang: Lang, value: Any) -> Any:
    """A plotly figure's JSON with its display texts translated (data arrays and keys untouched)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key in FIGURE_TEXT_KEYS and isinstance(item, str):
                out[key] = tr(lang, item)
            elif key in FIGURE_TEXT_KEYS and isinstance(item, list) and all(isinstance(v, str) for v in item):
                out[key] = [tr(lang, v) for v in item]
            else:
                out[key] = localize_figure(lang, item)
        return out
    if isinstance(value, list):
        return [localize_figure(lang, v) for v in value]
    return value


def localized_figure(lang: Lang, figure: dict[str, Any]) -> dict[str, Any]:
    """:func:`localize_figure` of a whole figure dict (exports and slides: they do not pass through the hook)."""
    return cast(dict[str, Any], localize_figure(lang, figure))


def localize_prop(lang: Lang, prop: str, value: Any) -> Any:
    """One component property's value in ``lang``."""
    if prop in TEXT_PROPS:
        return _text(lang, value)
    if prop == "options" and isinstance(value, list):
        return [{**o, "label": _text(lang, o["label"])} if isinstance(o, dict) and "label" in o else o for o in value]
    if prop == "columns" and isinstance(value, list):
        return [{**c, "name": _text(lang, c["name"])} if isinstance(c, dict) and "name" in c else c for c in value]
    if prop == "figure":
        return localize_figure(lang, value)
    return localize(lang, value)


def localize(lang: Lang, value: Any) -> Any:
    """Any Dash JSON value (component tree, list, prop value) with its display texts in ``lang``."""
    if isinstance(value, list):
        return [localize(lang, v) for v in value]
    if not isinstance(value, dict):
        return value
    if "namespace" in value and "type" in value and isinstance(value.get("props"), dict):
        props = {k: localize_prop(lang, k, v) for k, v in value["props"].items()}
        if value["namespace"] == "dash_core_components" and value["type"] == "Dropdown":
            own = props.get("labels")
            props["labels"] = {
                **{k: tr(lang, v) for k, v in DROPDOWN_LABELS.items()},
                **(own if isinstance(own, dict) else {}),
            }
        return {**value, "props": props}
    return {k: localize(lang, v) if isinstance(v, (dict, list)) else v for k, v in value.items()}


def localize_response(lang: Lang, payload: Any) -> Any:
    """A ``/_dash-update-component`` payload ({"response": {id: {prop: value}}}) or a layout, in ``lang``."""
    if isinstance(payload, dict) and isinstance(payload.get("response"), dict):
        response = {
            cid: {prop: localize_prop(lang, prop, v) for prop, v in props.items()} if isinstance(props, dict) else props
            for cid, props in payload["response"].items()
        }
        return {**payload, "response": response}
    return localize(lang, payload)


def install(server: Flask) -> None:
    """Register the hook; call it after the other ``after_request`` hooks (compression) so it runs before them."""

    def translate(response: Response) -> Response:
        if request.path not in DASH_JSON_PATHS or response.status_code != 200 or response.direct_passthrough:
            return response
        if response.mimetype != "application/json" or response.headers.get("Content-Encoding"):
            return response
        lang = request_lang()
        if lang == DEFAULT_LANG:
            return response
        payload = json.loads(response.get_data())
        response.set_data(json.dumps(localize_response(lang, payload), ensure_ascii=False))
        return response

    server.after_request(translate)
