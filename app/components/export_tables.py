"""The export tables built from the pages' views: medians, survival at fixed times, Cox model and screen,
Table 1 and response, as :class:`app.exporting.ExportTable` values (small-cell masking applied).

Layering: these builders use the components' labels and formatters and the file-format layer
:mod:`app.exporting`; ``app.exporting`` imports nothing from ``app.components``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from analysis.cox import CoxTerm
from analysis.response import AssociationTest, Proportion
from analysis.schema import ENDPOINTS, RESPONSES
from app.components.palette import grouping_phrase, level_label
from app.components.tables import estimable, fmt_hr, fmt_p_eq
from app.exporting import SUPPRESSED, Cell, ExportTable, mask_count, masked
from app.i18n import N_
from app.views import COX_CANDIDATES, CohortView, CoxView, ResponseView, SurvivalView, term_label


def table_rows(rows: Iterable[Sequence[Cell]]) -> tuple[tuple[Cell, ...], ...]:
    return tuple(tuple(row) for row in rows)


def _label(grouping: str | None, level: str) -> str:
    return level_label(grouping, level)


def medians_export(view: SurvivalView, mask: int | None = None) -> ExportTable:
    """Per group: n, events, censored, median survival (months) with its 95% CI."""
    rows = []
    for g in view.km.groups if view.km else ():
        rows.append(
            (
                _label(view.grouping, g.group),
                mask_count(g.n, mask),
                mask_count(g.events, mask),
                mask_count(g.censored, mask),
                g.median,
                g.median_ci[0],
                g.median_ci[1],
            )
        )
    header = (
        N_("Group"),
        "n",
        N_("Events"),
        N_("Censored"),
        N_("Median (months)"),
        N_("Median 95% CI lower"),
        N_("Median 95% CI upper"),
    )
    notes = [_test_note(view), _hr_note(view)]
    if view.km is not None:
        notes.append(f"95% CIs: {view.km.conf_type} transform. An empty median or bound = not reached.")
    return ExportTable("medians", f"Medians: {_survival_title(view)}", header, table_rows(rows), _notes(notes))


def landmark_export(
    view: SurvivalView, times: Sequence[float] = (6.0, 12.0, 24.0), mask: int | None = None
) -> ExportTable:
    """Survival at fixed times (landmark rates) with 95% CI, number at risk and cumulative events/censored."""
    rows = []
    for g in view.km.groups if view.km else ():
        by_time = {a.time: a for a in g.at}
        for t in times:
            at = by_time.get(t)
            if at is None:
                continue
            rows.append(
                (
                    _label(view.grouping, g.group),
                    t,
                    at.survival,
                    at.ci[0],
                    at.ci[1],
                    mask_count(at.n_at_risk, mask),
                    mask_count(at.cum_events, mask),
                    mask_count(at.cum_censored, mask),
                )
            )
    header = (
        N_("Group"),
        N_("Time (months)"),
        N_("Survival"),
        N_("95% CI lower"),
        N_("95% CI upper"),
        N_("At risk"),
        N_("Events"),
        N_("Censored"),
    )
    note = N_("Survival as a proportion. At risk at t: follow-up >= t; events and censored are cumulative up to t.")
    title = f"Survival at fixed times: {_survival_title(view)}"
    return ExportTable("landmark", title, header, table_rows(rows), (note,))


def _survival_title(view: SurvivalView) -> str:
    label = ENDPOINTS[view.endpoint][2]
    return label + (f" by {grouping_phrase(view.grouping)}" if view.grouping else "")


def _test_note(view: SurvivalView) -> str | None:
    if view.test is None:
        return view.test_note
    t = view.test
    return f"{t.description}: chi-square {t.statistic:.3f} on {t.df} df, {fmt_p_eq(t.p)}"


def _hr_note(view: SurvivalView) -> str | None:
    if view.cox is None:
        return view.cox_note
    term = view.cox.terms[0]
    level, reference = _label(view.grouping, term.level or ""), _label(view.grouping, term.reference or "")
    if not estimable(term.hr, term.ci):  # no Wald p beside "not estimable": the score (log-rank) test, named
        return (
            f"Cox HR {level} vs {reference}: {fmt_hr(term.hr, term.ci)}, score test {fmt_p_eq(view.cox.score_test.p)}"
        )
    return f"Cox HR {level} vs {reference}: {fmt_hr(term.hr, term.ci)}, Wald {fmt_p_eq(term.p)}"


def _wald_p(term: CoxTerm) -> float | None:
    """The Wald p of an estimable HR; None (an empty cell) when the HR is not estimable."""
    return term.p if estimable(term.hr, term.ci) else None


def _notes(notes: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(n for n in notes if n)


def cox_export(view: CoxView, mask: int | None = None) -> ExportTable:
    """The multivariable Cox model: one row per term (HR, 95% CI, coefficient, SE, p)."""
    rows = []
    notes: list[str | None] = [view.model_note]
    if view.model is not None:
        m = view.model
        rows = [(term_label(t), t.hr, t.ci[0], t.ci[1], t.coef, t.se, _wald_p(t)) for t in m.terms]
        notes.append(
            f"n = {mask_count(m.n, mask)}, events = {mask_count(m.events, mask)}; Efron ties; Wald 95% CIs. "
            f"Likelihood-ratio test: chi-square {m.lr_test.statistic:.3f} on {m.lr_test.df} df, p = {m.lr_test.p:.3g}. "
            f"Concordance {m.concordance:.3f}."
        )
    if view.time_varying is not None:
        shown = "; ".join(f"{term_label(t)} {fmt_hr(t.hr, t.ci)}" for t in view.time_varying.terms)
        notes.append(f"Time-varying counterpart (therapy and ICI switched on at their start): {shown}.")
    header = (N_("Term"), N_("HR"), N_("95% CI lower"), N_("95% CI upper"), N_("Coefficient"), N_("SE"), "p")
    return ExportTable("cox", N_("Cox model (multivariable)"), header, table_rows(rows), _notes(notes))


def cox_screen_export(view: CoxView, mask: int | None = None) -> ExportTable:
    """The univariate screen: one Cox model per candidate covariate."""
    rows: list[tuple[Cell, ...]] = []
    for row in view.screen:
        if row.result is None:
            rows.append((COX_CANDIDATES.get(row.covariate, row.covariate), None, None, None, None, None, row.note))
            continue
        events = mask_count(row.result.events, mask)
        rows += [(term_label(t), t.hr, t.ci[0], t.ci[1], _wald_p(t), events, row.note) for t in row.result.terms]
    header = (N_("Covariate"), N_("HR"), N_("95% CI lower"), N_("95% CI upper"), "p", N_("Events"), N_("Note"))
    return ExportTable("cox_screen", N_("Cox univariate screen"), header, table_rows(rows))


def table_one_export(view: CohortView, mask: int | None = None) -> ExportTable:
    """Table 1 as shown (text cells), with counts below the threshold masked in the n (%) cells."""
    table = view.table
    if table is None:
        return ExportTable("table1", N_("Table 1"), (N_("Characteristic"),), (), _notes([view.message]))
    group_headers = [
        f"{_label(table.grouping, g)} (n = {mask_count(n, mask)})" for g, n in zip(table.groups, table.n, strict=True)
    ]
    header = (N_("Characteristic"), N_("Level"), f"Overall (n = {mask_count(table.n_overall, mask)})", *group_headers)
    header += ("p", N_("Test"), N_("SMD"))
    rows = []
    for row in table.rows:
        cells = [_t1_cell(text, values, row.level, mask) for text, values in zip(row.cells, row.values, strict=True)]
        rows.append((row.label, row.level, *cells, row.p, row.test, row.smd))
    notes = (N_("Median (IQR) or n (%) of patients with a value."), *table.notes)
    return ExportTable("table1", f"Table 1 by {table.grouping}", header, table_rows(rows), notes)


def _t1_cell(text: str, values: tuple[float | None, ...], level: str | None, mask: int | None) -> str:
    if level is None or not values or values[0] is None or not masked(int(values[0]), mask):
        return text
    return str(mask_count(int(values[0]), mask))


def response_export(view: ResponseView, mask: int | None = None) -> ExportTable:
    """Best-response counts, ORR and DCR (proportions with exact 95% CIs) per group."""
    result = view.result
    rows = []
    for g in result.groups if result else ():
        counts = dict(g.counts)
        rows.append(
            (
                _label(result.grouping if result else None, g.group),
                mask_count(g.n, mask),
                *(mask_count(counts.get(code, 0), mask) for code in RESPONSES),
                *_proportion(g.orr, mask),
                *_proportion(g.dcr, mask),
            )
        )
    header = (N_("Group"), "n", *RESPONSES, N_("ORR count"), N_("ORR"), N_("ORR 95% CI lower"), N_("ORR 95% CI upper"))
    header += (N_("DCR count"), N_("DCR"), N_("DCR 95% CI lower"), N_("DCR 95% CI upper"))
    notes: list[str | None] = [N_("ORR = CR + PR; DCR = CR + PR + SD (proportions); exact Clopper–Pearson 95% CIs.")]
    if result is not None:
        notes += [_assoc_note(N_("ORR"), result.orr_test), _assoc_note(N_("DCR"), result.dcr_test)]
    else:
        notes.append(view.message)
    return ExportTable("response", N_("Response to first-line therapy"), header, table_rows(rows), _notes(notes))


def _proportion(p: Proportion, mask: int | None) -> tuple[Cell, ...]:
    if masked(p.count, mask) or masked(p.n, mask):
        return (mask_count(p.count, mask), SUPPRESSED, SUPPRESSED, SUPPRESSED)
    return (p.count, p.estimate, p.ci[0], p.ci[1])


def _assoc_note(name: str, test: AssociationTest | None) -> str | None:
    if test is None:
        return None
    return f"{name}: {test.name}, p = {test.p:.3g} ({test.reason})"
