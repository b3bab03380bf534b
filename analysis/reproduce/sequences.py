"""The Sequences page's time-to-therapy bundle: among patients who progressed, how many started post-progression
therapy, the median wait among them, and the Aalen–Johansen cumulative incidence of therapy since progression with
death before therapy as a competing risk (:func:`analysis.postprog.time_to_therapy`, every number of the curve)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.postprog import time_to_therapy
from analysis.reproduce.bundle import Reproduction, Source, assemble
from analysis.schema import DAYS_PER_MONTH

WAIT_DAY = "pp_wait_day"
"""Days from progression to the start of post-progression therapy (the dates themselves stay out of the bundle)."""

NOTES = (
    f"{WAIT_DAY} is the number of days from progression to the start of post-progression therapy and "
    "progressed is 1 for patients with a progression date (the dates themselves are not included); months are "
    "days / 30.4375.",
)


def sequences_expected(frame: pd.DataFrame) -> dict[str, Any]:
    """The numbers under and in the page's time-to-therapy figure (the same call as the Sequences page)."""
    result = time_to_therapy(frame)
    return {
        "n_progressed": result.n_progressed,
        "n_treated": result.n_treated,
        "share_treated": result.share_treated,
        "median_months_treated": result.median_months_treated,
        "times": list(result.times),
        "cumulative_incidence": list(result.cumulative_incidence),
    }


def sequences_bundle(frame: pd.DataFrame, source: Source) -> Reproduction:
    """The zip contents for the Sequences page's time to therapy; ``frame`` is the page's filtered frame."""
    progression = pd.to_datetime(frame["progression_date"])
    wait = (pd.to_datetime(frame["pp_start"]) - progression).dt.days.astype("Int64")
    data = pd.DataFrame(
        {
            "progressed": progression.notna().astype("int64"),
            "pps_months": frame["pps_months"],
            "pps_event": frame["pps_event"],
            "pp_received": frame["pp_received"],
            WAIT_DAY: wait,
        }
    )
    settings = {"days_per_month": DAYS_PER_MONTH}
    expected = sequences_expected(frame)
    title = "Sequences: time from progression to post-progression therapy"
    templates = ("sequences.R.tmpl", "sequences.py.tmpl")
    return assemble("sequences", title, data, settings, expected, templates, source, NOTES)
