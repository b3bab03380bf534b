"""The Survival page's bootstrap CI table: per-group median, 12-month survival, RMST and differences."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from analysis.bootstrap import BootAt, BootEstimate, BootstrapResult
from app.components.tables import NOT_REACHED, fmt_estimate_ci, fmt_num, fmt_pct_ci, simple_table
from app.i18n import N_
from app.ids import Ids

SURVIVAL_TIME = 12.0
"""The survival time shown in the table (months)."""
HEADER = ("", N_("Estimate (95% bootstrap CI)"), N_("Bootstrap SE"))


def _pp(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:+.1f}"


def _pp_ci(estimate: BootEstimate) -> str:
    """A survival difference in percentage points: '+4.2 pp (−5.0 to +13.1)'."""
    if estimate.estimate is None:
        return "–"
    low, high = estimate.ci
    return f"{_pp(estimate.estimate)} pp ({_pp(low)} to {_pp(high)})"


def _months_ci(estimate: BootEstimate) -> str:
    return fmt_estimate_ci(estimate.estimate, *estimate.ci)


def _se(estimate: BootEstimate, scale: float = 1.0, unit: str = "") -> str:
    return "–" if estimate.std_err is None else fmt_num(estimate.std_err * scale, 1) + unit


def _survival_at(values: tuple[BootAt, ...], time: float) -> BootEstimate | None:
    return next((item.value for item in values if item.time == time), None)


def bootstrap_rows(result: BootstrapResult) -> list[tuple[str, str, str]]:
    """The table's rows as text (label, estimate with CI, SE)."""
    tau = f"τ = {result.tau:.1f} months"
    month = f"{SURVIVAL_TIME:g}-month"
    rows: list[tuple[str, str, str]] = []
    for group in result.groups:
        rows.append((f"{group.label} (n = {group.n}): median, months", _months_ci(group.median), _se(group.median)))
        survival = _survival_at(group.survival, SURVIVAL_TIME)
        if survival is not None:
            rows.append(
                (
                    f"{group.label}: {month} survival",
                    fmt_pct_ci(survival.estimate, *survival.ci),
                    _se(survival, 100, " pp"),
                )
            )
        rows.append((f"{group.label}: RMST ({tau})", _months_ci(group.rmst), _se(group.rmst)))
    for diff in result.differences:
        pair = f"{diff.group} vs {diff.reference}"
        rows.append((f"{pair}: median difference, months", _months_ci(diff.median), _se(diff.median)))
        survival = _survival_at(diff.survival, SURVIVAL_TIME)
        if survival is not None:
            rows.append((f"{pair}: {month} survival difference", _pp_ci(survival), _se(survival, 100, " pp")))
        rows.append((f"{pair}: RMST difference ({tau}), months", _months_ci(diff.rmst), _se(diff.rmst)))
    return rows


def bootstrap_block(result: BootstrapResult) -> html.Div:
    """The result table, its method caption and any notes (NR resamples, small groups)."""
    caption = (
        f"Stratified bootstrap ({result.n_resamples:,} resamples within each group, seed {result.seed}); "
        f"percentile {round(100 * result.level)}% intervals. Differences are vs {result.groups[0].label}. "
        f"{NOT_REACHED} = not reached (more than {100 * (1 - result.level) / 2:g}% of resamples did not reach it)."
    )
    table = simple_table(HEADER, bootstrap_rows(result), id_=Ids.BOOT_TABLE, caption=caption)
    parts: list[html.Div | dbc.Alert] = [table]
    if not result.differences:
        parts.append(dbc.Alert(N_("Only one group: no differences to estimate."), color="secondary", className="small"))
    if result.notes:
        parts.append(
            dbc.Alert(
                html.Ul([html.Li(note) for note in result.notes], className="mb-0"),
                color="warning",
                className="small py-2",
            )
        )
    return html.Div(parts)
