"""Tables shared by every page; the number formatters are :mod:`analysis.formatting` (shared with the CLI)."""

from __future__ import annotations

from collections.abc import Sequence

import dash_bootstrap_components as dbc
from dash import html

from analysis.formatting import (
    NOT_ESTIMABLE,
    NOT_REACHED,
    UNDEFINED,
    estimable,
    fmt_ci,
    fmt_estimate_ci,
    fmt_hr,
    fmt_num,
    fmt_p,
    fmt_p_eq,
    fmt_pct_ci,
    fmt_stat,
)
from app.i18n import Lang, t

__all__ = [
    "NOT_ESTIMABLE",
    "NOT_REACHED",
    "UNDEFINED",
    "estimable",
    "fmt_ci",
    "fmt_estimate_ci",
    "fmt_hr",
    "fmt_num",
    "fmt_p",
    "fmt_p_eq",
    "fmt_pct_ci",
    "fmt_stat",
    "hr_text",
    "simple_table",
]


def hr_text(hr: float, ci: tuple[float, float], lang: Lang = "en") -> str:
    """:func:`fmt_hr` in ``lang``: '0.48 (0.38–0.59)', or 'not estimable (too few events in a group)' worded."""
    return fmt_hr(hr, ci) if estimable(hr, ci) else t(lang, "not estimable (too few events in a group)")


def simple_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], *, id_: str | None = None, caption: str | None = None
) -> html.Div:
    """A compact, striped Bootstrap table; every cell is text."""
    table = dbc.Table(
        [
            html.Thead(html.Tr([html.Th(h) for h in header])),
            html.Tbody([html.Tr([html.Td(cell) for cell in row]) for row in rows]),
        ],
        striped=True,
        bordered=False,
        hover=True,
        size="sm",
        className="mb-1",
        **({"id": id_} if id_ else {}),
    )
    parts: list[html.Div | dbc.Table | html.Small] = [table]
    if caption:
        parts.append(html.Small(caption, className="text-muted"))
    return html.Div(parts, className="mb-3")
