"""The Cohort view's bundle: every Table 1 number (counts and percentages, medians with R's type-7 quartiles,
missing counts), the test the view chose for each variable, and the SMD column with two groups."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis.km import encode_groups
from analysis.reproduce.bundle import Reproduction, Source, assemble
from analysis.response import FISHER_REPLICATES, FISHER_SEED
from analysis.schema import COLUMN_BY_NAME
from analysis.survdata import coerce_event, coerce_numeric
from analysis.table1 import MISSING_LEVEL, Table1, Table1Row, table_one

MONTE_CARLO = "Fisher exact (Monte-Carlo)"


def _kind(row: Table1Row) -> str:
    if row.kind == "continuous":
        return "continuous"
    return "yes_no" if row.single else "categorical"


def _variables(table: Table1) -> list[dict[str, Any]]:
    """One entry per variable in the table's order: its kind, levels, summaries per column, test, p and SMD."""
    out: list[dict[str, Any]] = []
    by_name: dict[str, dict[str, Any]] = {}
    for row in table.rows:
        if row.variable not in by_name:  # the variable's first row carries the test, p and SMD
            entry: dict[str, Any] = {
                "variable": row.variable,
                "kind": _kind(row),
                "missing": list(row.missing),
                "test": row.test,
                "p": row.p,
                "smd": row.smd,
            }
            if row.test == MONTE_CARLO:
                entry["replicates"] = FISHER_REPLICATES
            if row.kind == "continuous":
                entry["median"] = [v[0] for v in row.values]
                entry["q1"] = [v[1] for v in row.values]
                entry["q3"] = [v[2] for v in row.values]
            else:
                entry["levels"] = []
            by_name[row.variable] = entry
            out.append(entry)
        entry = by_name[row.variable]
        if row.kind == "categorical" and row.level is not None and row.level != MISSING_LEVEL:
            entry["levels"].append(
                {"level": row.level, "count": [v[0] for v in row.values], "percent": [v[1] for v in row.values]}
            )
    return out


def cohort_expected(table: Table1) -> dict[str, Any]:
    """Table 1 as the page shows it (the product's :func:`analysis.table1.table_one`)."""
    return {
        "grouping": table.grouping,
        "columns": list(table.columns),
        "n": list(table.column_n),
        "n_excluded": table.n_excluded,
        "variables": _variables(table),
    }


def _view_column(raw: pd.Series, name: str, kind: str, levels: Sequence[str]) -> pd.Series:
    """A variable as Table 1 reads it: numbers, 0/1 for yes/no, or the level's text label."""
    if kind == "continuous":
        return coerce_numeric(raw, name)
    if kind == "yes_no":
        return coerce_event(raw, name).astype("Int64")
    text = raw.where(~raw.astype("string").str.strip().eq("").fillna(False))  # blank cells are missing
    column = COLUMN_BY_NAME.get(name)
    order = column.allowed if column is not None and column.allowed is not None else levels
    codes, labels = encode_groups(text, list(order))
    lookup = np.array([*labels, None], dtype=object)
    return pd.Series(lookup[codes], index=raw.index, dtype=object)


def cohort_bundle(
    frame: pd.DataFrame, grouping: str, group_order: Sequence[str] | None, source: Source
) -> Reproduction:
    """The zip contents for the Cohort view; ``frame`` is the page's frame (grouping as text labels)."""
    table = table_one(frame, grouping, group_order=group_order)
    expected = cohort_expected(table)
    variables = expected["variables"]
    levels = {v["variable"]: [lv["level"] for lv in v.get("levels", [])] for v in variables}
    data = pd.DataFrame({grouping: frame[grouping]})
    for v in variables:
        data[v["variable"]] = _view_column(frame[v["variable"]], v["variable"], v["kind"], levels[v["variable"]])
    settings = {
        "group_col": grouping,
        "group_levels": list(table.groups),
        "continuous": [v["variable"] for v in variables if v["kind"] == "continuous"],
        "yes_no": [v["variable"] for v in variables if v["kind"] == "yes_no"],
        "categorical": [v["variable"] for v in variables if v["kind"] == "categorical"],
        "categorical_levels": [levels[v["variable"]] for v in variables if v["kind"] == "categorical"],
        "monte_carlo": [v["variable"] for v in variables if v["test"] == MONTE_CARLO],
        "replicates": FISHER_REPLICATES,
        "seed": FISHER_SEED,
        "variables": [v["variable"] for v in variables],
    }
    title = f"Cohort (Table 1 by {grouping})"
    return assemble("cohort", title, data, settings, expected, ("cohort.R.tmpl", "cohort.py.tmpl"), source)
