"""The Response view's bundle: ORR and DCR per group with exact (Clopper–Pearson) 95% CIs, and the test the view
chose for each (Pearson's chi-square without correction when every expected count is at least 5, else Fisher)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.reproduce.bundle import Reproduction, Source, assemble
from analysis.response import AssociationTest, Proportion, response_rates
from analysis.schema import DISEASE_CONTROL_RESPONSES, OBJECTIVE_RESPONSES


def _rate(p: Proportion) -> dict[str, Any]:
    return {"count": p.count, "n": p.n, "estimate": p.estimate, "lower": p.ci[0], "upper": p.ci[1]}


def _test(t: AssociationTest | None) -> dict[str, Any] | None:
    if t is None:
        return None
    return {"test": "chi-square" if t.statistic is not None else "fisher", "statistic": t.statistic, "p": t.p}


def response_expected(data: pd.DataFrame, grouping: str | None, levels: tuple[str, ...]) -> dict[str, Any]:
    """The view's numbers from the product's analysis API (the same call as the Response page)."""
    result = response_rates(data, "best_response", grouping, group_order=levels or None)
    groups = [{"group": g.group, "orr": _rate(g.orr), "dcr": _rate(g.dcr)} for g in result.groups]
    return {"groups": groups, "orr_test": _test(result.orr_test), "dcr_test": _test(result.dcr_test)}


def response_bundle(data: pd.DataFrame, grouping: str | None, levels: tuple[str, ...], source: Source) -> Reproduction:
    """The zip contents for the Response view; ``data`` is the page's frame (grouping as text labels)."""
    frame = data[["best_response", *([grouping] if grouping else [])]]
    expected = response_expected(frame, grouping, levels)
    settings = {
        "group_col": grouping,
        "group_levels": [g["group"] for g in expected["groups"]] if grouping else [],
        "objective": sorted(OBJECTIVE_RESPONSES),
        "control": sorted(DISEASE_CONTROL_RESPONSES),
    }
    title = "Response" + (f" by {grouping}" if grouping else "")
    return assemble("response", title, frame, settings, expected, ("response.R.tmpl", "response.py.tmpl"), source)
