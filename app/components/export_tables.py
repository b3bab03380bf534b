"""The export tables built from the pages' views: medians, survival at fixed times, Cox model and screen,
Table 1 and response, as :class:`app.exporting.ExportTable` values (small-cell masking applied), in the page's
language: every title, header, group label and note goes through :func:`app.i18n.t` (English is the message id, so
an English export is the same text as before translation existed).

Layering: these builders use the components' labels and formatters and the file-format layer
:mod:`app.exporting`; ``app.exporting`` imports nothing from ``app.components``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from analysis.compare import TEST_LABELS
from analysis.cox import CoxTerm
from analysis.response import AssociationTest, Proportion
from analysis.schema import ENDPOINTS, RESPONSES
from analysis.table1 import Table1Row
from app.components.cohort_tables import row_label
from app.components.palette import grouping_phrase, level_label
from app.components.response_figures import test_reason
from app.components.survival_tables import test_note as survival_test_note
from app.components.tables import estimable, fmt_p_eq, hr_text
from app.exporting import SUPPRESSED, Cell, ExportTable, mask_count, masked
from app.i18n import N_, Lang, join_clauses, t, tr
from app.i18n.cox import screen_note
from app.i18n.cox import word as cox_word
from app.i18n.notes import notes as analysis_notes
from app.survival_url import CONF_TYPES, TESTS
from app.views import COX_CANDIDATES, CohortView, CoxView, ResponseView, SurvivalView, term_label

CONF_NAMES: dict[str, str] = {"plain": CONF_TYPES["plain"]}
"""The CI transforms named in words (log-log and log are written so in Japanese too)."""


def table_rows(rows: Iterable[Sequence[Cell]]) -> tuple[tuple[Cell, ...], ...]:
    return tuple(tuple(row) for row in rows)


def _header(lang: Lang, names: Iterable[str]) -> tuple[str, ...]:
    """Column names (message ids, or symbols such as n and p that every language writes so) in ``lang``."""
    return tuple(tr(lang, name) for name in names)


def medians_export(view: SurvivalView, mask: int | None = None, lang: Lang = "en") -> ExportTable:
    """Per group: n, events, censored, median survival (months) with its 95% CI."""
    rows = []
    for g in view.km.groups if view.km else ():
        rows.append(
            (
                level_label(view.grouping, g.group, lang),
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
    notes = [_test_note(view, lang), _hr_note(view, lang)]
    if view.km is not None:
        conf = view.km.conf_type
        notes.append(
            t(
                lang,
                "95% CIs: {conf} transform. An empty median or bound = not reached.",
                conf=tr(lang, CONF_NAMES.get(conf, conf)),
            )
        )
    title = t(lang, "Medians: {title}", title=_survival_title(view, lang))
    return ExportTable("medians", title, _header(lang, header), table_rows(rows), _notes(notes))


def landmark_export(
    view: SurvivalView, times: Sequence[float] = (6.0, 12.0, 24.0), mask: int | None = None, lang: Lang = "en"
) -> ExportTable:
    """Survival at fixed times (landmark rates) with 95% CI, number at risk and cumulative events/censored."""
    rows = []
    for g in view.km.groups if view.km else ():
        by_time = {a.time: a for a in g.at}
        for time in times:
            at = by_time.get(time)
            if at is None:
                continue
            rows.append(
                (
                    level_label(view.grouping, g.group, lang),
                    time,
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
    note = t(
        lang, "Survival as a proportion. At risk at t: follow-up >= t; events and censored are cumulative up to t."
    )
    title = t(lang, "Survival at fixed times: {title}", title=_survival_title(view, lang))
    return ExportTable("landmark", title, _header(lang, header), table_rows(rows), (note,))


def _survival_title(view: SurvivalView, lang: Lang) -> str:
    label = t(lang, ENDPOINTS[view.endpoint][2])
    if not view.grouping:
        return label
    return t(lang, "{endpoint} by {grouping}", endpoint=label, grouping=grouping_phrase(view.grouping, lang))


def _test_note(view: SurvivalView, lang: Lang) -> str | None:
    if view.test is None:
        return survival_test_note(view, lang)
    test = view.test
    # English keeps the analysis' own description (with its Fleming–Harrington weights); another language names
    # the test as the Survival page's menu does
    name = test.description if lang == "en" else t(lang, TESTS.get(test.name, TEST_LABELS[test.name]))
    return t(
        lang,
        "{test}: chi-square {chi2} on {df} df, {p}",
        test=name,
        chi2=f"{test.statistic:.3f}",
        df=test.df,
        p=fmt_p_eq(test.p),
    )


def _hr_note(view: SurvivalView, lang: Lang) -> str | None:
    if view.cox is None:
        if view.cox_wording is not None:
            return cox_word(lang, view.cox_wording)
        return tr(lang, view.cox_note) if view.cox_note else None
    term = view.cox.terms[0]
    names = {
        "level": level_label(view.grouping, term.level or "", lang),
        "reference": level_label(view.grouping, term.reference or "", lang),
        "hr": hr_text(term.hr, term.ci, lang),
    }
    if not estimable(term.hr, term.ci):  # no Wald p beside "not estimable": the score (log-rank) test, named
        p = fmt_p_eq(view.cox.score_test.p)
        return t(lang, "Cox HR {level} vs {reference}: {hr}, score test {p}", p=p, **names)
    return t(lang, "Cox HR {level} vs {reference}: {hr}, Wald {p}", p=fmt_p_eq(term.p), **names)


def _wald_p(term: CoxTerm) -> float | None:
    """The Wald p of an estimable HR; None (an empty cell) when the HR is not estimable."""
    return term.p if estimable(term.hr, term.ci) else None


def _notes(notes: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(n for n in notes if n)


def cox_export(view: CoxView, mask: int | None = None, lang: Lang = "en") -> ExportTable:
    """The multivariable Cox model: one row per term (HR, 95% CI, coefficient, SE, p)."""
    rows = []
    notes: list[str | None] = [tr(lang, view.model_note) if view.model_note else None]
    if view.model is not None:
        m = view.model
        rows = [
            (term_label(term, lang), term.hr, term.ci[0], term.ci[1], term.coef, term.se, _wald_p(term))
            for term in m.terms
        ]
        notes.append(
            t(
                lang,
                "n = {n}, events = {events}; Efron ties; Wald 95% CIs. Likelihood-ratio test: chi-square {chi2} on "
                "{df} df, p = {p}. Concordance {concordance}.",
                n=mask_count(m.n, mask),
                events=mask_count(m.events, mask),
                chi2=f"{m.lr_test.statistic:.3f}",
                df=m.lr_test.df,
                p=f"{m.lr_test.p:.3g}",
                concordance=f"{m.concordance:.3f}",
            )
        )
    if view.time_varying is not None:
        shown = join_clauses(
            lang, (f"{term_label(term, lang)} {hr_text(term.hr, term.ci, lang)}" for term in view.time_varying.terms)
        )
        notes.append(
            t(lang, "Time-varying counterpart (therapy and ICI switched on at their start): {terms}.", terms=shown)
        )
    header = (N_("Term"), N_("HR"), N_("95% CI lower"), N_("95% CI upper"), N_("Coefficient"), N_("SE"), "p")
    title = t(lang, "Cox model (multivariable)")
    return ExportTable("cox", title, _header(lang, header), table_rows(rows), _notes(notes))


def cox_screen_export(view: CoxView, mask: int | None = None, lang: Lang = "en") -> ExportTable:
    """The univariate screen: one Cox model per candidate covariate."""
    rows: list[tuple[Cell, ...]] = []
    for row in view.screen:
        note = screen_note(row, lang) if row.note or row.wording else row.note
        if row.result is None:
            name = tr(lang, COX_CANDIDATES.get(row.covariate, row.covariate))
            rows.append((name, None, None, None, None, None, note))
            continue
        events = mask_count(row.result.events, mask)
        rows += [
            (term_label(term, lang), term.hr, term.ci[0], term.ci[1], _wald_p(term), events, note)
            for term in row.result.terms
        ]
    header = (N_("Covariate"), N_("HR"), N_("95% CI lower"), N_("95% CI upper"), "p", N_("Events"), N_("Note"))
    return ExportTable("cox_screen", t(lang, "Cox univariate screen"), _header(lang, header), table_rows(rows))


def table_one_export(view: CohortView, mask: int | None = None, lang: Lang = "en") -> ExportTable:
    """Table 1 as shown (text cells), with counts below the threshold masked in the n (%) cells."""
    table = view.table
    if table is None:
        message = tr(lang, view.message) if view.message else None
        return ExportTable("table1", t(lang, "Table 1"), (t(lang, "Characteristic"),), (), _notes([message]))
    group_headers = [
        t(lang, "{group} (n = {n})", group=level_label(table.grouping, g, lang), n=mask_count(n, mask))
        for g, n in zip(table.groups, table.n, strict=True)
    ]
    overall = t(lang, "Overall (n = {n})", n=mask_count(table.n_overall, mask))
    header = (t(lang, "Characteristic"), t(lang, "Level"), overall, *group_headers, "p", t(lang, "Test"), "SMD")
    rows = []
    for row in table.rows:
        cells = [_t1_cell(text, values, row.level, mask) for text, values in zip(row.cells, row.values, strict=True)]
        test = tr(lang, row.test) if row.test else row.test
        rows.append((row_label(row, lang), _t1_level(row, lang), *cells, row.p, test, row.smd))
    notes = (
        t(lang, "Median (IQR) or n (%) of patients with a value."),
        *analysis_notes(lang, table.notes, table.messages),
    )
    # English names the grouping by its column (as it always has); another language by its label
    grouping = table.grouping if lang == "en" else grouping_phrase(table.grouping, lang)
    title = t(lang, "Table 1 by {grouping}", grouping=grouping)
    return ExportTable("table1", title, header, table_rows(rows), notes)


def _t1_level(row: Table1Row, lang: Lang) -> str | None:
    """A Table 1 row's level: as the data writes it in English (the export's long-standing form); in another language
    labelled, and left out for a yes/no variable's one row (its label names it, as on the Cohort page)."""
    if row.level is None or lang == "en":
        return row.level
    return None if row.single else level_label(row.variable, row.level, lang)


def _t1_cell(text: str, values: tuple[float | None, ...], level: str | None, mask: int | None) -> str:
    if level is None or not values or values[0] is None or not masked(int(values[0]), mask):
        return text
    return str(mask_count(int(values[0]), mask))


def response_export(view: ResponseView, mask: int | None = None, lang: Lang = "en") -> ExportTable:
    """Best-response counts, ORR and DCR (proportions with exact 95% CIs) per group."""
    result = view.result
    rows = []
    for g in result.groups if result else ():
        counts = dict(g.counts)
        rows.append(
            (
                level_label(result.grouping if result else None, g.group, lang),
                mask_count(g.n, mask),
                *(mask_count(counts.get(code, 0), mask) for code in RESPONSES),
                *_proportion(g.orr, mask, lang),
                *_proportion(g.dcr, mask, lang),
            )
        )
    header = (N_("Group"), "n", *RESPONSES, N_("ORR count"), N_("ORR"), N_("ORR 95% CI lower"), N_("ORR 95% CI upper"))
    header += (N_("DCR count"), N_("DCR"), N_("DCR 95% CI lower"), N_("DCR 95% CI upper"))
    notes: list[str | None] = [
        t(lang, "ORR = CR + PR; DCR = CR + PR + SD (proportions); exact Clopper–Pearson 95% CIs.")
    ]
    if result is not None:
        notes += [_assoc_note(N_("ORR"), result.orr_test, lang), _assoc_note(N_("DCR"), result.dcr_test, lang)]
    else:
        notes.append(tr(lang, view.message) if view.message else None)
    title = t(lang, "Response to first-line therapy")
    return ExportTable("response", title, _header(lang, header), table_rows(rows), _notes(notes))


def _proportion(p: Proportion, mask: int | None, lang: Lang) -> tuple[Cell, ...]:
    if masked(p.count, mask) or masked(p.n, mask):
        withheld = t(lang, SUPPRESSED)
        return (mask_count(p.count, mask), withheld, withheld, withheld)
    return (p.count, p.estimate, p.ci[0], p.ci[1])


def _assoc_note(name: str, test: AssociationTest | None, lang: Lang) -> str | None:
    if test is None:
        return None
    return t(
        lang,
        "{name}: {test}, p = {p} ({reason})",
        name=t(lang, name),
        test=tr(lang, test.name),
        p=f"{test.p:.3g}",
        reason=test_reason(test, lang),
    )
