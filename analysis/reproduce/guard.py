"""The immortal-time guard's bundle (Survival page, OS by a post-progression exposure): the naive Cox HR, the
time-varying Cox HR (therapy switched on at its start, counting-process data, Efron ties), the landmark analysis
(who is in, time restarted at the landmark, Kaplan–Meier, log-rank and HR) and the Simon–Makuch curves with the
Mantel–Byar test, as :func:`analysis.postprog.immortal_time_comparison` computes them for the page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from analysis.compare import TestResult
from analysis.cox import CoxResult
from analysis.formatting import estimable
from analysis.postprog import EXPOSURE_LEVELS, immortal_time_comparison
from analysis.reproduce.bundle import Reproduction, Source, assemble
from analysis.reproduce.survival import km_groups
from analysis.schema import DAYS_PER_MONTH

THERAPY_DAY = "pp_start_day"
"""Days from the first-line start to the start of post-progression therapy (the dates themselves stay out)."""


NOTES = (
    f"{THERAPY_DAY} is the number of days from the first-line start to the start of the therapy (the dates "
    "themselves are not included); months are days / 30.4375.",
    "The naive hazard ratio compares patients by a therapy given after progression, so it credits the time "
    "they had to survive to receive it to the treated group (immortal-time bias). The time-varying Cox model, "
    "the landmark analysis and the Simon-Makuch curves are its corrected counterparts; read them, not the naive "
    "one. Confounding (fitter patients are the ones treated) remains in all four.",
)


def _hr(result: CoxResult | None) -> dict[str, Any] | None:
    """The HR row as the guard shows it; "not estimable" (a 0 or infinite bound) with the score test's p."""
    if result is None:
        return None
    term = result.terms[0]
    if not estimable(term.hr, term.ci):
        return {"estimable": False, "score_p": result.score_test.p}
    return {"estimable": True, "hr": term.hr, "lower": term.ci[0], "upper": term.ci[1], "p": term.p}


def _test(result: TestResult | None) -> dict[str, Any] | None:
    return None if result is None else {"statistic": result.statistic, "df": result.df, "p": result.p}


def guard_expected(data: pd.DataFrame, exposure: str, landmark: float, times: Sequence[float]) -> dict[str, Any]:
    """The guard's numbers from the product's analysis API (the same call as the Survival page's guard)."""
    c = immortal_time_comparison(data, exposure, landmark=landmark, times=times)
    lm, sm = c.landmark, c.simon_makuch
    return {
        "exposure": exposure,
        "n": len(data),
        "naive": _hr(c.naive_cox),
        "time_varying": _hr(c.time_varying),
        "landmark": None
        if lm is None
        else {
            "landmark": lm.landmark,
            "n_eligible": lm.n_eligible,
            "n_excluded": lm.n_excluded,
            "groups": km_groups(lm.km),
            "test": _test(lm.test),
            "hr": _hr(lm.cox),
        },
        "simon_makuch": None if sm is None else {"groups": km_groups(sm.km), "test": _test(sm.test)},
    }


def therapy_days(frame: pd.DataFrame) -> pd.Series:
    """Whole days from the first-line start to ``pp_start`` (missing without therapy)."""
    days: pd.Series = (pd.to_datetime(frame["pp_start"]) - pd.to_datetime(frame["first_line_start"])).dt.days
    return days.astype("Int64")


def guard_bundle(
    frame: pd.DataFrame, exposure: str, landmark: float, times: Sequence[float], source: Source
) -> Reproduction:
    """The zip contents for the guard; ``frame`` is the page's frame (patients with OS)."""
    data = frame[["os_months", "os_event", exposure]].assign(**{THERAPY_DAY: therapy_days(frame)})
    expected = guard_expected(frame, exposure, landmark, times)
    settings = {
        "exposure": exposure,
        "landmark": float(landmark),
        "times": [float(t) for t in times],
        "days_per_month": DAYS_PER_MONTH,
        "levels": list(EXPOSURE_LEVELS[exposure]),
        "conf_type": "log-log",
    }
    title = f"Immortal-time guard (OS by {exposure}, landmark {landmark:g} months)"
    return assemble("guard", title, data, settings, expected, ("guard.R.tmpl", "guard.py.tmpl"), source, NOTES)
