"""The target-trial panel's bundle: clone–censor–weight with inverse-probability-of-censoring weights from a
pooled logistic model over weekly intervals (R: base ``glm``), the truncation rule, weighted Kaplan–Meier per arm,
the weighted Cox model (and its robust, patient-clustered CI), the RMST difference, and the comparators (naive
Cox from first-line start, time-varying Cox from progression).

Dates never enter the bundle: the therapy start is written as days from progression (``pp_start_days``) and
progression as a 0/1 ``progressed`` column. The bootstrap is not reproduced (see :data:`BOOTSTRAP_NOTE`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.emulate import (
    AUTO_TRUNCATION,
    EXPLODING_WEIGHT,
    FITNESS_CUTS,
    LOG_COLUMNS,
    MIN_PER_ARM,
    WEEK_MONTHS,
    EmulationResult,
    Interval,
    emulate_trial,
)
from analysis.emulate_engine import week_edges
from analysis.reproduce.bundle import Reproduction, Source, assemble
from analysis.schema import COLUMN_BY_NAME

BOOTSTRAP_NOTE = (
    "The dashboard's bootstrap CIs and bands (resampling patients with numpy's seeded random generator and "
    "re-running the whole procedure) are not reproduced bit for bit: R cannot replay numpy's random numbers. The "
    "scripts recompute every deterministic number: the flow, weights, curves, hazard ratios (with the robust "
    "patient-clustered CI) and RMST."
)


@dataclass(frozen=True)
class EmulationSettings:
    """What the panel was showing: grace period (months), therapy ("any" or "ici"), times and RMST horizon."""

    grace: float
    therapy: str
    times: tuple[float, ...]
    tau: float


def _interval(value: Interval) -> dict[str, Any]:
    return {"estimate": value.estimate, "lower": value.ci[0], "upper": value.ci[1]}


def emulation_expected(result: EmulationResult) -> dict[str, Any]:
    """The panel's deterministic numbers (no bootstrap) from the product's result."""
    w = result.weights
    return {
        "n_total": result.n_total,
        "n_progressed": result.n_progressed,
        "n_eligible": result.n_eligible,
        "exclusions": [{"reason": e.reason, "n": e.n} for e in result.exclusions],
        "n_treated_within_grace": result.n_treated_within_grace,
        "arms": [
            {
                "arm": a.arm,
                "n_clones": a.n_clones,
                "n_deviated": a.n_deviated,
                "events": a.events,
                "ess": a.ess,
                "median": a.median.estimate,
                "survival": [{"time": p.time, "survival": p.survival} for p in a.survival],
            }
            for a in result.arms
        ],
        "hr": result.hr.estimate,
        "log_hr_se_model": result.log_hr_se_model,
        "hr_robust": _interval(result.hr_robust),
        "rmst_difference": result.rmst_difference.estimate,
        "naive": _interval(result.naive),
        "time_varying": _interval(result.time_varying),
        "time_varying_unadjusted": _interval(result.time_varying_unadjusted),
        "weights": {
            "truncation_percentile": w.truncation_percentile,
            "truncation_value": w.truncation_value,
            "n_truncated": w.n_truncated,
            "mean": w.mean,
            "max": w.maximum,
        },
    }


def _bundle_frame(frame: pd.DataFrame, columns: list[str], flag: str) -> pd.DataFrame:
    """The columns the emulation reads, dates replaced by days from progression (no calendar date in the zip)."""
    days = (frame["pp_start"] - frame["progression_date"]).dt.days
    out = frame[columns].assign(
        progressed=frame["progression_date"].notna().astype("int64"),
        pp_start_days=days.astype("Int64"),
    )
    first = ["progressed", "pps_months", "pps_event", flag, "pp_start_days", "os_months", "os_event"]
    return out[[*first, *[c for c in columns if c not in first]]]


def emulation_bundle(frame: pd.DataFrame, settings: EmulationSettings, source: Source) -> Reproduction:
    """The zip contents for the target-trial panel; ``frame`` is the page's filtered analysis frame."""
    s = settings
    result = emulate_trial(frame, grace=s.grace, therapy=s.therapy, times=s.times, tau=s.tau, n_bootstrap=0)
    flag = "pp_received" if s.therapy == "any" else "pp_ici"
    names = [*result.covariates_pd, *result.covariates]
    data = _bundle_frame(frame, list(dict.fromkeys(["pps_months", "pps_event", flag, "os_months", "os_event",
                                                    *names])), flag)  # fmt: skip
    categorical = [n for n in names if (COLUMN_BY_NAME[n].kind if n in COLUMN_BY_NAME else None) == "category"
                   or frame[n].dtype == object]  # fmt: skip
    values = {
        "grace": float(s.grace),
        "therapy_col": flag,
        "times": list(s.times),
        "tau": float(s.tau),
        "covariates_pd": list(result.covariates_pd),
        "covariates": list(result.covariates),
        "categorical": categorical,
        "log_columns": sorted(LOG_COLUMNS),
        "cut_names": list(FITNESS_CUTS),
        "cut_values": [float(v) for v in FITNESS_CUTS.values()],
        "week_days": float(round(WEEK_MONTHS * 30.4375)),
        "weeks": len(week_edges(s.grace, WEEK_MONTHS)) - 1,
        "exploding_weight": EXPLODING_WEIGHT,
        "auto_truncation": AUTO_TRUNCATION,
        "min_per_arm": MIN_PER_ARM,
    }
    title = f"Target-trial emulation ({flag}, grace {s.grace:g} months)"
    return assemble("emulation", title, data, values, emulation_expected(result),
                    ("emulation.R.tmpl", "emulation.py.tmpl"), source, notes=(BOOTSTRAP_NOTE,))  # fmt: skip
