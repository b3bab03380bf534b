"""The adjusted (propensity-weighted) panel's bundle: the propensity model (logistic regression, as R's
``glm(binomial)``), ATE/ATT/overlap weights with the panel's trimming, effective sample sizes, standardised mean
differences (cobalt's convention), naive and weighted Kaplan–Meier (robust SE for the weighted curves), naive and
weighted Cox (robust SE), RMST and the E-value.

The bootstrap CIs of the panel are not reproduced: they come from numpy's random generator (seeded, so the
dashboard is repeatable), which R cannot replay bit for bit. The scripts recompute every deterministic number
(point estimates, robust SEs and their CIs); the README says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.adjusted import AdjustedComparison, HazardRatio, adjusted_comparison
from analysis.km import KMResult
from analysis.reproduce.bundle import Reproduction, Source, assemble

BOOTSTRAP_NOTE = (
    "The dashboard's bootstrap CIs (resampling with numpy's seeded random generator) are not reproduced bit for "
    "bit: R cannot replay numpy's random numbers. The scripts recompute every deterministic number (point "
    "estimates, robust standard errors and the CIs built from them)."
)


@dataclass(frozen=True)
class AdjustedSettings:
    """What the panel was comparing: the two-level treatment (reference level first), endpoint and options."""

    title: str
    treatment: str
    reference: str
    time_col: str
    event_col: str
    covariates: tuple[str, ...]
    estimand: str
    trim: float | None
    times: tuple[float, ...]
    notes: tuple[str, ...] = ()
    """What the README should say about the data (e.g. how a landmark cohort was selected)."""


def _km(result: KMResult) -> list[dict[str, Any]]:
    return [
        {
            "group": g.group,
            "n": g.n,
            "events": g.events,
            "median": g.median,
            "at": [{"time": a.time, "survival": a.survival, "lower": a.ci[0], "upper": a.ci[1]} for a in g.at],
            "rmst": None if g.rmst is None else g.rmst.estimate,
        }
        for g in result.groups
    ]


def _hr(h: HazardRatio) -> dict[str, Any]:
    return {"hr": h.hr, "lower": h.ci[0], "upper": h.ci[1], "p": h.p, "se": h.se_robust or h.se}


def adjusted_expected(result: AdjustedComparison) -> dict[str, Any]:
    """The panel's deterministic numbers (no bootstrap) from the product's result."""
    w = result.weighting
    return {
        "n": result.n,
        "reference": result.reference,
        "treated": result.treated,
        "propensity": {
            "terms": [{"term": t.term, "coef": t.coef, "se": t.se} for t in w.propensity.terms],
            "auc": w.propensity.auc,
        },
        "weights": {
            "min": w.summary.min,
            "max": w.summary.max,
            "ess": [{"group": k, "ess": v} for k, v in w.summary.ess],
            "trimmed": w.summary.trimmed,
        },
        "balance": [
            {"covariate": b.covariate, "smd_unweighted": b.smd_unweighted, "smd_weighted": b.smd_weighted}
            for b in w.balance
        ],
        "naive": _km(result.naive),
        "weighted": _km(result.weighted),
        "cox_naive": _hr(result.cox_naive),
        "cox": _hr(result.cox),
        "rmst": {
            "tau": result.rmst.tau,
            "difference": result.rmst.difference,
            "naive_difference": result.rmst.naive_difference,
        },
        "e_value": {"point": result.e_value.point, "ci_limit": result.e_value.ci_limit},
    }


def _categories(result: AdjustedComparison) -> dict[str, list[str]]:
    """Each categorical covariate's levels as the product coded them: the reference first, then its terms."""
    levels = {covariate: [reference] for covariate, reference in result.weighting.propensity.references}
    for term in result.weighting.propensity.terms:
        covariate, _, level = term.term.partition("=")
        if level and covariate in levels:
            levels[covariate].append(level)
    return levels


def adjusted_bundle(data: pd.DataFrame, settings: AdjustedSettings, source: Source) -> Reproduction:
    """The zip contents for the adjusted panel; ``data`` is the comparison's patients (app.adjusted_views)."""
    s = settings
    columns: Sequence[str] = list(dict.fromkeys([s.time_col, s.event_col, s.treatment, *s.covariates]))
    frame = data[list(columns)].reset_index(drop=True)
    result = adjusted_comparison(frame, s.treatment, list(s.covariates), s.time_col, s.event_col,
                                 estimand=s.estimand, reference=s.reference, times=s.times, trim=s.trim)  # fmt: skip
    expected = adjusted_expected(result)
    levels = _categories(result)
    names = list(levels)
    values = {
        "time_col": s.time_col,
        "event_col": s.event_col,
        "treatment": s.treatment,
        "reference": result.reference,
        "treated": result.treated,
        "covariates": list(s.covariates),
        "categorical_names": names,
        "categorical_levels": [levels[n] for n in names],
        "estimand": s.estimand,
        "trim": s.trim,
        "times": list(s.times),
    }
    return assemble("adjusted", s.title, frame, values, expected, ("adjusted.R.tmpl", "adjusted.py.tmpl"), source,
                    notes=(*s.notes, BOOTSTRAP_NOTE))  # fmt: skip
