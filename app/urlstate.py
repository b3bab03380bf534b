"""The URL query string holds the whole view: global filters plus each page's view options.

Filters are encoded by :class:`analysis.filters.FilterSpec`; page view options
(endpoint, grouping, ...) use the keys in :data:`VIEW_KEYS`. The two never
share a key, so each side rewrites its own part and keeps the other's.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl, urlencode

from dash.exceptions import PreventUpdate

from analysis.filters import FilterSpec

VIEW_KEYS: frozenset[str] = frozenset(
    {
        "endpoint",
        "group",
        "test",
        "conf",
        "show",
        "covariates",
        "pairwise",
        "resp_group",
        "t1_group",
        "landmark",
        "merge",
    }
) | frozenset({"present", "deck", "slide"})  # presenter/export: presenter mode, its deck and the current slide
VIEW_KEYS |= frozenset({"lang"})  # the interface language (app.i18n); every link and rewrite keeps it


def parse(search: str | None) -> dict[str, str]:
    """Query string (with or without '?') to an ordered dict."""
    return dict(parse_qsl((search or "").lstrip("?"), keep_blank_values=False))


def encode(pairs: Mapping[str, str]) -> str:
    """Ordered pairs to a query string with '?' (empty for none), as app/assets/urlstate.js writes it too."""
    text = urlencode(list(pairs.items()), safe=",-")
    return f"?{text}" if text else ""


def with_filters(search: str | None, spec: FilterSpec) -> str:
    """Replace the filter part of ``search`` by ``spec``, keeping the view options."""
    view = {k: v for k, v in parse(search).items() if k in VIEW_KEYS}
    merged = {**parse(spec.to_query()), **view}
    return encode(merged)


def with_view(search: str | None, updates: Mapping[str, str | None]) -> str:
    """Set (or, with None, remove) view options in ``search``, keeping the filters."""
    pairs = parse(search)
    for key, value in updates.items():
        if key not in VIEW_KEYS:
            raise KeyError(f"{key!r} is not a view key")
        if value is None or value == "":
            pairs.pop(key, None)
        else:
            pairs[key] = value
    return encode(pairs)


def view_change(search: str | None, updates: Mapping[str, str | None]) -> str:
    """The new query string for a page's view change; ``PreventUpdate`` when nothing changes.

    Every page's "remember the view in the URL" callback is this one call.
    """
    new_search = with_view(search, updates)
    if new_search == (search or ""):
        raise PreventUpdate
    return new_search


def filters_of(search: str | None) -> tuple[FilterSpec, tuple[str, ...]]:
    """The filter spec in ``search``, and what was dropped as invalid."""
    return FilterSpec.parse_query((search or "").lstrip("?"))


def narrow_filters(current: FilterSpec, query: str) -> FilterSpec:
    """``current`` narrowed by a filter query such as ``first_line=lenvatinib&response=PR`` (query values win)."""
    merged = {**parse(current.to_query()), **parse(query)}
    spec, _ = FilterSpec.parse_query(encode(merged))
    return spec
