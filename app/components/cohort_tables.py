"""Cohort page tables: Table 1 and the patient flow."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import dash_bootstrap_components as dbc
from dash import html

from analysis.filters import FilterStep
from analysis.table1 import Table1, Table1Row
from app.components.palette import level_label
from app.components.tables import fmt_num, fmt_p, simple_table
from app.i18n import N_, Lang, join_sentences, t, tr
from app.i18n.filters import step_label
from app.i18n.notes import notes as analysis_notes

TEST_NAMES: tuple[str, ...] = (
    N_("Wilcoxon rank-sum"),
    N_("Kruskal–Wallis"),
    N_("chi-square"),
    N_("chi-square (Yates)"),
    N_("Fisher exact"),
    N_("Fisher exact (Monte-Carlo)"),
    N_("Welch t-test"),
    N_("one-way ANOVA"),
    N_("Percentages are of patients with a recorded value; quartiles as R quantile(type = 7)."),
)
"""The tests :func:`analysis.table1.table_one` names and its fixed note, marked for extraction."""
SUMMARY_NAMES: tuple[str, ...] = (N_("median [IQR]"), N_("mean (SD)"), N_("n (%)"))
""":data:`analysis.table1.SUMMARIES`, marked for extraction."""


def row_label(row: Table1Row, lang: Lang = "en") -> str:
    """A Table 1 variable's line, "Age (years), median [IQR]", in ``lang``."""
    if lang == "en" or not row.variable_label:
        return row.label
    return t(lang, "{variable}, {summary}", variable=tr(lang, row.variable_label), summary=tr(lang, row.summary))


LEVEL_INDENT = {"paddingLeft": "1.75em"}


def weighted_key(row: Table1Row) -> str:
    """The balance name of a Table 1 row: the column, or ``COLUMN=LEVEL`` for a category's level."""
    return row.variable if row.level is None or row.single else f"{row.variable}={row.level}"


def table_one_rows(table: Table1, weighted: Mapping[str, float] | None = None, lang: Lang = "en") -> list[list[str]]:
    """Variable / level, Overall, one column per group, p (test), SMD (levels marked by a leading indent);
    with ``weighted`` (balance name -> |SMD| after weighting) a last column of weighted SMDs."""
    rows: list[list[str]] = []
    for row in table.rows:
        level = None if row.level is None or row.single else level_label(row.variable, row.level, lang)
        name = row_label(row, lang) if level is None else f"    {level}"
        p = "" if row.p is None else fmt_p(row.p)
        if row.p is not None and row.test:
            p = t(lang, "{p} ({test})", p=p, test=tr(lang, row.test))
        smd = "" if row.smd is None else fmt_num(row.smd, 2)
        extra = [] if weighted is None else [_weighted_cell(weighted.get(weighted_key(row)))]
        rows.append([name, *row.cells, p, smd, *extra])
    return rows


def _weighted_cell(value: float | None) -> str:
    return "" if value is None else fmt_num(value, 2)


def table_one_table(
    table: Table1, weighted: Mapping[str, float] | None = None, weighted_note: str | None = None, lang: Lang = "en"
) -> html.Div:
    groups = [
        t(lang, "{group} (n = {n})", group=level_label(table.grouping, g, lang), n=n)
        for g, n in zip(table.groups, table.n, strict=True)
    ]
    header = [N_("Characteristic"), t(lang, "Overall (n = {n})", n=table.n_overall), *groups, N_("p (test)"), N_("SMD")]
    header += [] if weighted is None else [N_("SMD, weighted")]
    sentences = [t(lang, "Median [IQR] or n (%) of patients with a value; missing values are counted separately.")]
    if table.n_excluded:
        sentences.append(
            t(
                lang,
                "{n} patients without a value for the grouping are not in the group columns.",
                n=table.n_excluded,
            )
        )
    sentences += analysis_notes(lang, table.notes, table.messages)
    if weighted_note:
        sentences.append(tr(lang, weighted_note))
    caption = join_sentences(lang, sentences)
    body = []
    for row, cells in zip(table.rows, table_one_rows(table, weighted, lang), strict=True):
        level = row.level is not None and not row.single
        first = html.Td(cells[0].strip(), style=LEVEL_INDENT) if level else html.Td(cells[0], className="fw-semibold")
        body.append(html.Tr([first, *(html.Td(c) for c in cells[1:])], className="t1-level" if level else "t1-var"))
    table_html = dbc.Table(
        [html.Thead(html.Tr([html.Th(h) for h in header])), html.Tbody(body)],
        striped=True,
        bordered=False,
        hover=True,
        size="sm",
        className="mb-1",
        id="table-one",
    )
    return html.Div([table_html, html.Small(caption, className="text-muted")], className="mb-3")


def flow_rows(steps: Sequence[FilterStep], n_total: int, lang: Lang = "en") -> list[list[str]]:
    rows = [[N_("All patients in the dataset"), "", str(n_total)]]
    rows += [[step_label(step, lang), str(step.excluded), str(step.n_after)] for step in steps]
    return rows


def flow_table(steps: Sequence[FilterStep], n_total: int, lang: Lang = "en") -> html.Div:
    return simple_table(
        [N_("Step"), N_("Excluded"), N_("Remaining")],
        flow_rows(steps, n_total, lang),
        id_="patient-flow",
        caption=N_("Each filter in turn; a patient with no value for a filtered variable is excluded by that step."),
    )
