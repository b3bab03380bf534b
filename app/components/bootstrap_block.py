"""The Survival page's bootstrap CI table: per-group median, 12-month survival, RMST and differences."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from analysis.bootstrap import BootAt, BootEstimate, BootstrapResult
from app.components.palette import level_label
from app.components.tables import NOT_REACHED, fmt_estimate_ci, fmt_num, fmt_pct_ci, simple_table
from app.i18n import N_, Lang, t
from app.i18n.refusals import notes
from app.ids import Ids

SURVIVAL_TIME = 12.0
"""The survival time shown in the table (months)."""
HEADER = ("", N_("Estimate (95% bootstrap CI)"), N_("Bootstrap SE"))


def _pp(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:+.1f}"


def _pp_ci(estimate: BootEstimate, lang: Lang = "en") -> str:
    """A survival difference in percentage points: '+4.2 pp (−5.0 to +13.1)'."""
    if estimate.estimate is None:
        return "–"
    low, high = estimate.ci
    return t(lang, "{estimate} pp ({low} to {high})", estimate=_pp(estimate.estimate), low=_pp(low), high=_pp(high))


def _months_ci(estimate: BootEstimate) -> str:
    return fmt_estimate_ci(estimate.estimate, *estimate.ci)


def _se(estimate: BootEstimate, scale: float = 1.0, unit: str = "") -> str:
    return "–" if estimate.std_err is None else fmt_num(estimate.std_err * scale, 1) + unit


def _survival_at(values: tuple[BootAt, ...], time: float) -> BootEstimate | None:
    return next((item.value for item in values if item.time == time), None)


def bootstrap_rows(
    result: BootstrapResult, grouping: str | None = None, lang: Lang = "en"
) -> list[tuple[str, str, str]]:
    """The table's rows as text (label, estimate with CI, SE); group names by ``grouping``'s labels in ``lang``."""

    def name(label: str) -> str:
        return label if grouping is None else level_label(grouping, label, lang)

    tau = f"{result.tau:.1f}"
    month = f"{SURVIVAL_TIME:g}"
    rows: list[tuple[str, str, str]] = []
    for group in result.groups:
        label = name(group.label)
        rows.append(
            (
                t(lang, "{group} (n = {n}): median, months", group=label, n=group.n),
                _months_ci(group.median),
                _se(group.median),
            )
        )
        survival = _survival_at(group.survival, SURVIVAL_TIME)
        if survival is not None:
            rows.append(
                (
                    t(lang, "{group}: {months}-month survival", group=label, months=month),
                    fmt_pct_ci(survival.estimate, *survival.ci),
                    _se(survival, 100, " pp"),
                )
            )
        rows.append((t(lang, "{group}: RMST (τ = {tau} months)", group=label, tau=tau), _months_ci(group.rmst),
                     _se(group.rmst)))  # fmt: skip
    for diff in result.differences:
        pair = t(lang, "{a} vs {b}", a=name(diff.group), b=name(diff.reference))
        rows.append((t(lang, "{pair}: median difference, months", pair=pair), _months_ci(diff.median),
                     _se(diff.median)))  # fmt: skip
        survival = _survival_at(diff.survival, SURVIVAL_TIME)
        if survival is not None:
            rows.append((t(lang, "{pair}: {months}-month survival difference", pair=pair, months=month),
                         _pp_ci(survival, lang), _se(survival, 100, " pp")))  # fmt: skip
        rows.append((t(lang, "{pair}: RMST difference (τ = {tau} months), months", pair=pair, tau=tau),
                     _months_ci(diff.rmst), _se(diff.rmst)))  # fmt: skip
    return rows


def bootstrap_block(result: BootstrapResult, grouping: str | None = None, lang: Lang = "en") -> html.Div:
    """The result table, its method caption and any notes (NR resamples, small groups)."""
    reference = result.groups[0].label
    caption = t(
        lang,
        "Stratified bootstrap ({n} resamples within each group, seed {seed}); percentile {level}% intervals. "
        "Differences are vs {reference}. {nr} = not reached (more than {share}% of resamples did not reach it).",
        n=f"{result.n_resamples:,}",
        seed=result.seed,
        level=round(100 * result.level),
        reference=reference if grouping is None else level_label(grouping, reference, lang),
        nr=NOT_REACHED,
        share=f"{100 * (1 - result.level) / 2:g}",
    )
    table = simple_table(HEADER, bootstrap_rows(result, grouping, lang), id_=Ids.BOOT_TABLE, caption=caption)
    parts: list[html.Div | dbc.Alert] = [table]
    if not result.differences:
        parts.append(dbc.Alert(N_("Only one group: no differences to estimate."), color="secondary", className="small"))
    if result.notes:
        parts.append(
            dbc.Alert(
                html.Ul(
                    [html.Li(note) for note in notes(lang, result.notes, result.wording, grouping)], className="mb-0"
                ),
                color="warning",
                className="small py-2",
            )
        )
    return html.Div(parts)
