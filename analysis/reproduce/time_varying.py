"""A Cox model for OS with post-progression exposures as time-varying covariates (each switched on at the start
of therapy) and baseline covariates, as :func:`analysis.postprog.time_varying_cox` fits it: the corrected
counterpart the Study page shows beside the naive models (cards 3 and 5)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from analysis.cox import CoxResult
from analysis.errors import PPXError
from analysis.formatting import estimable
from analysis.postprog import time_varying_cox
from analysis.reproduce.bundle import Reproduction, Source, assemble
from analysis.reproduce.guard import THERAPY_DAY, therapy_days
from analysis.schema import DAYS_PER_MONTH


def model_terms(result: CoxResult | None) -> dict[str, Any] | None:
    """Each term's HR, 95% CI and p; a 0 or infinite HR or bound is "not estimable" (with the model's score p)."""
    if result is None:
        return None
    terms = []
    for t in result.terms:
        if estimable(t.hr, t.ci):
            terms.append({"covariate": t.covariate, "estimable": True, "hr": t.hr,
                          "lower": t.ci[0], "upper": t.ci[1], "p": t.p})  # fmt: skip
        else:
            terms.append({"covariate": t.covariate, "estimable": False})
    shown: dict[str, Any] = {"terms": terms}
    if not all(t["estimable"] for t in terms):
        shown["score_p"] = result.score_test.p
    return shown


def time_varying_expected(frame: pd.DataFrame, exposures: Sequence[str], covariates: Sequence[str]) -> dict[str, Any]:
    try:
        result: CoxResult | None = time_varying_cox(frame, tuple(exposures), tuple(covariates))
    except PPXError:
        result = None
    return {"model": model_terms(result)}


def time_varying_bundle(
    frame: pd.DataFrame, exposures: Sequence[str], covariates: Sequence[str], title: str, source: Source
) -> Reproduction:
    """The zip contents of one time-varying model; ``frame`` holds the patients with OS."""
    data = frame[["os_months", "os_event", *exposures, *covariates]].assign(**{THERAPY_DAY: therapy_days(frame)})
    settings = {"exposures": list(exposures), "covariates": list(covariates), "days_per_month": DAYS_PER_MONTH}
    expected = time_varying_expected(frame, exposures, covariates)
    notes = (
        f"{THERAPY_DAY} is the number of days from the first-line start to the start of post-progression therapy "
        "(the dates themselves are not included); months are days / 30.4375. Each exposure switches from 0 to 1 "
        "on that day, so no waiting time before therapy is credited to the treated (no immortal-time bias).",
    )
    templates = ("time_varying.R.tmpl", "time_varying.py.tmpl")
    return assemble("time-varying", title, data, settings, expected, templates, source, notes)
