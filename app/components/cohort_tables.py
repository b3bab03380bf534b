"""Cohort page tables: Table 1 and the patient flow."""

from __future__ import annotations

from collections.abc import Sequence

from dash import html

from analysis.filters import FilterStep
from analysis.table1 import Table1
from app.components.palette import level_label
from app.components.tables import fmt_num, fmt_p, simple_table


def table_one_rows(table: Table1) -> list[list[str]]:
    """Variable / level, Overall, one column per group, p (test), SMD."""
    rows: list[list[str]] = []
    for row in table.rows:
        name = row.label if row.level is None else f"    {row.level}"
        p = "" if row.p is None else f"{fmt_p(row.p)}" + (f" ({row.test})" if row.test else "")
        smd = "" if row.smd is None else fmt_num(row.smd, 2)
        rows.append([name, *row.cells, p, smd])
    return rows


def table_one_table(table: Table1) -> html.Div:
    groups = [f"{level_label(table.grouping, g)} (n = {n})" for g, n in zip(table.groups, table.n, strict=True)]
    header = ["Characteristic", f"Overall (n = {table.n_overall})", *groups, "p (test)", "SMD"]
    caption = "Median (IQR) or n (%) of patients with a value; missing values are counted separately."
    if table.n_excluded:
        caption += f" {table.n_excluded} patients without a value for the grouping are not in the group columns."
    if table.notes:
        caption += " " + " ".join(table.notes)
    return simple_table(header, table_one_rows(table), id_="table-one", caption=caption)


def flow_rows(steps: Sequence[FilterStep], n_total: int) -> list[list[str]]:
    rows = [["All patients in the dataset", "", str(n_total)]]
    rows += [[step.label, str(step.excluded), str(step.n_after)] for step in steps]
    return rows


def flow_table(steps: Sequence[FilterStep], n_total: int) -> html.Div:
    return simple_table(
        ["Step", "Excluded", "Remaining"],
        flow_rows(steps, n_total),
        id_="patient-flow",
        caption="Each filter in turn; a patient with no value for a filtered variable is excluded by that step.",
    )
