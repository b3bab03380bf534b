"""Cohort page tables: Table 1 and the patient flow."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import dash_bootstrap_components as dbc
from dash import html

from analysis.filters import FilterStep
from analysis.table1 import Table1, Table1Row
from app.components.palette import level_label
from app.components.tables import fmt_num, fmt_p, simple_table
from app.i18n import N_

LEVEL_INDENT = {"paddingLeft": "1.75em"}


def weighted_key(row: Table1Row) -> str:
    """The balance name of a Table 1 row: the column, or ``COLUMN=LEVEL`` for a category's level."""
    return row.variable if row.level is None or row.single else f"{row.variable}={row.level}"


def table_one_rows(table: Table1, weighted: Mapping[str, float] | None = None) -> list[list[str]]:
    """Variable / level, Overall, one column per group, p (test), SMD (levels marked by a leading indent);
    with ``weighted`` (balance name -> |SMD| after weighting) a last column of weighted SMDs."""
    rows: list[list[str]] = []
    for row in table.rows:
        name = row.label if row.level is None or row.single else f"    {level_label(row.variable, row.level)}"
        p = "" if row.p is None else f"{fmt_p(row.p)}" + (f" ({row.test})" if row.test else "")
        smd = "" if row.smd is None else fmt_num(row.smd, 2)
        extra = [] if weighted is None else [_weighted_cell(weighted.get(weighted_key(row)))]
        rows.append([name, *row.cells, p, smd, *extra])
    return rows


def _weighted_cell(value: float | None) -> str:
    return "" if value is None else fmt_num(value, 2)


def table_one_table(
    table: Table1, weighted: Mapping[str, float] | None = None, weighted_note: str | None = None
) -> html.Div:
    groups = [f"{level_label(table.grouping, g)} (n = {n})" for g, n in zip(table.groups, table.n, strict=True)]
    header = [N_("Characteristic"), f"Overall (n = {table.n_overall})", *groups, N_("p (test)"), N_("SMD")]
    header += [] if weighted is None else [N_("SMD, weighted")]
    caption = N_("Median [IQR] or n (%) of patients with a value; missing values are counted separately.")
    if table.n_excluded:
        caption += f" {table.n_excluded} patients without a value for the grouping are not in the group columns."
    if table.notes:
        caption += " " + " ".join(table.notes)
    if weighted_note:
        caption += " " + weighted_note
    body = []
    for row, cells in zip(table.rows, table_one_rows(table, weighted), strict=True):
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


def flow_rows(steps: Sequence[FilterStep], n_total: int) -> list[list[str]]:
    rows = [[N_("All patients in the dataset"), "", str(n_total)]]
    rows += [[step.label, str(step.excluded), str(step.n_after)] for step in steps]
    return rows


def flow_table(steps: Sequence[FilterStep], n_total: int) -> html.Div:
    return simple_table(
        [N_("Step"), N_("Excluded"), N_("Remaining")],
        flow_rows(steps, n_total),
        id_="patient-flow",
        caption="Each filter in turn; a patient with no value for a filtered variable is excluded by that step.",
    )
