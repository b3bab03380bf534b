"""Tables and number formatting shared by every page (and by exports)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import dash_bootstrap_components as dbc
from dash import html

NOT_REACHED = "NR"


NOT_ESTIMABLE = "not estimable"


def fmt_hr(hr: float, ci: tuple[float, float]) -> str:
    """'0.48 (0.38–0.59)'; an infinite or zero bound (a group with no events) is 'not estimable'."""
    if not all(math.isfinite(v) and v > 0 for v in (hr, *ci)):
        return f"{NOT_ESTIMABLE} (too few events in a group)"
    return f"{hr:.2f} ({ci[0]:.2f}–{ci[1]:.2f})"


def fmt_num(value: float | None, digits: int = 1) -> str:
    """A number with fixed decimals; None (not reached) is 'NR'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NOT_REACHED
    return f"{value:.{digits}f}"


def fmt_ci(lower: float | None, upper: float | None, digits: int = 1) -> str:
    return f"{fmt_num(lower, digits)}–{fmt_num(upper, digits)}"


def fmt_estimate_ci(value: float | None, lower: float | None, upper: float | None, digits: int = 1) -> str:
    """'13.2 (10.1–15.8)'; a missing estimate reads 'NR (lower–NR)'."""
    return f"{fmt_num(value, digits)} ({fmt_ci(lower, upper, digits)})"


def fmt_pct_ci(value: float | None, lower: float | None, upper: float | None) -> str:
    if value is None:
        return "–"

    def pct(x: float | None) -> str:
        return "–" if x is None else f"{100 * x:.1f}"

    return f"{pct(value)}% ({pct(lower)}–{pct(upper)})"


def fmt_p(p: float | None) -> str:
    """P-values as clinicians read them: '<0.001', else 3 decimals (2 significant above 0.1)."""
    if p is None or math.isnan(p):
        return "–"
    if p < 0.001:
        return "<0.001"
    return f"{p:.3f}"


def fmt_p_eq(p: float | None, symbol: str = "p") -> str:
    """'p = 0.744' or 'p < 0.001' (never 'p = <0.001')."""
    text = fmt_p(p)
    return f"{symbol} {text[0]} {text[1:]}" if text.startswith("<") else f"{symbol} = {text}"


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
