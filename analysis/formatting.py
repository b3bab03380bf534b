"""Numbers as the product shows them: one formatter for the dashboard, the exports and the CLI's text output.

- p-values: ``<0.001`` below 0.001, else 3 decimals; ``p = 0.744`` / ``p < 0.001`` (never ``p = <0.001``).
- Hazard ratios: 2 decimals, ``0.48 (0.38–0.59)``; an HR or bound that is 0 or infinite (a group with no
  events) is "not estimable", never "0.000 (0.000–inf)".
- Other numbers: fixed decimals; a missing estimate (a median not reached) is ``NR``.
- An undefined comparison (zero variance, no events) reads "undefined", never "p = 1".
"""

from __future__ import annotations

import math

NOT_REACHED = "NR"
NOT_ESTIMABLE = "not estimable"
UNDEFINED = "undefined"


def estimable(hr: float, ci: tuple[float, float]) -> bool:
    """True when the HR and both bounds are finite and above 0 (the model could estimate them)."""
    return all(math.isfinite(v) and v > 0 for v in (hr, *ci))


def fmt_hr(hr: float, ci: tuple[float, float]) -> str:
    """'0.48 (0.38–0.59)'; an infinite or zero bound (a group with no events) is 'not estimable'."""
    if not estimable(hr, ci):
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
    """P-values as clinicians read them: '<0.001', else 3 decimals."""
    if p is None or math.isnan(p):
        return "–"
    if p < 0.001:
        return "<0.001"
    return f"{p:.3f}"


def fmt_p_eq(p: float | None, symbol: str = "p") -> str:
    """'p = 0.744' or 'p < 0.001' (never 'p = <0.001')."""
    text = fmt_p(p)
    return f"{symbol} {text[0]} {text[1:]}" if text.startswith("<") else f"{symbol} = {text}"


def fmt_stat(value: float | None) -> str:
    """A test statistic with 2 decimals; None (undefined) reads 'undefined'."""
    return UNDEFINED if value is None else f"{value:.2f}"
