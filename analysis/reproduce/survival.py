"""The Survival view's bundle: Kaplan–Meier medians and survival at fixed times with CIs, the test, pairwise tests
and the two-group hazard ratio, with the view's conventions (CI transform, test, reference = first group)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.compare import compare_survival, pairwise_tests
from analysis.cox import fit_cox
from analysis.errors import PPXError
from analysis.km import KMResult, km_by_group
from analysis.reproduce.bundle import Reproduction, Source, assemble


@dataclass(frozen=True)
class SurvivalSettings:
    """What the Survival page was showing: endpoint columns, grouping and its display order, test, CI, times."""

    time_col: str
    event_col: str
    grouping: str | None
    group_levels: tuple[str, ...]
    test: str
    conf_type: str
    pairwise: bool
    times: tuple[float, ...]
    fh_p: float = 0.0
    fh_q: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "time_col": self.time_col,
            "event_col": self.event_col,
            "group_col": self.grouping,
            "group_levels": list(self.group_levels),
            "test": self.test,
            "fh_p": self.fh_p,
            "fh_q": self.fh_q,
            "conf_type": self.conf_type,
            "pairwise": self.pairwise,
            "times": list(self.times),
        }


def km_groups(km: KMResult) -> list[dict[str, Any]]:
    """Each Kaplan–Meier group as a bundle shows it: n, events, median and its CI, survival at the view's times."""
    return [
        {
            "group": g.group,
            "n": g.n,
            "events": g.events,
            "median": g.median,
            "median_lower": g.median_ci[0],
            "median_upper": g.median_ci[1],
            "at": [
                {"time": a.time, "survival": a.survival, "lower": a.ci[0], "upper": a.ci[1], "n_at_risk": a.n_at_risk}
                for a in g.at
            ],
        }
        for g in km.groups
    ]


def survival_expected(data: pd.DataFrame, s: SurvivalSettings) -> dict[str, Any]:
    """The view's numbers from the product's analysis API (the same calls as the Survival page)."""
    order: Sequence[str] | None = s.group_levels if s.grouping else None
    km = km_by_group(data, s.time_col, s.event_col, s.grouping, conf_type=s.conf_type, times=s.times, group_order=order)
    groups = km_groups(km)
    test: dict[str, Any] | None = None
    pairs: list[dict[str, Any]] = []
    hr: dict[str, Any] | None = None
    if s.grouping is not None:
        options: dict[str, Any] = {"test": s.test, "fh_p": s.fh_p, "fh_q": s.fh_q}
        time, event, group = data[s.time_col], data[s.event_col], data[s.grouping]
        try:
            result = compare_survival(time, event, group, **options)
            test = {"statistic": result.statistic, "df": result.df, "p": result.p}
        except PPXError:
            test = None
        if test is not None and s.pairwise and group.nunique() > 2:
            # as the page calls it; pairs then listed in display order (each as (earlier, later) group)
            rank = {g: i for i, g in enumerate(s.group_levels)}
            found = pairwise_tests(time, event, group, adjust="holm", **options)
            pairs = sorted(
                (
                    {"groups": sorted(p.groups, key=rank.__getitem__), "p": p.p, "p_adjusted": p.p_adjusted}
                    for p in found
                ),
                key=lambda pair: [rank[g] for g in pair["groups"]],
            )
        if len(km.groups) == 2:
            reference = km.groups[0].group
            try:
                cox = fit_cox(data, s.time_col, s.event_col, [s.grouping], categorical=[s.grouping],
                              reference={s.grouping: reference})  # fmt: skip
                term = cox.terms[0]
                hr = {"level": term.level, "reference": reference, "hr": term.hr,
                      "lower": term.ci[0], "upper": term.ci[1], "p": term.p}  # fmt: skip
            except PPXError:
                hr = None
    return {"n": len(data), "groups": groups, "test": test, "pairwise": pairs, "hr": hr}


def survival_bundle(data: pd.DataFrame, settings: SurvivalSettings, source: Source) -> Reproduction:
    """The zip contents for the Survival view; ``data`` is the page's prepared frame (time, event, grouping)."""
    columns = [settings.time_col, settings.event_col] + ([settings.grouping] if settings.grouping else [])
    frame = data[columns]
    title = f"Survival ({settings.time_col}" + (f" by {settings.grouping})" if settings.grouping else ")")
    expected = survival_expected(frame, settings)
    return assemble(
        "survival", title, frame, settings.as_dict(), expected, ("survival.R.tmpl", "survival.py.tmpl"), source
    )
