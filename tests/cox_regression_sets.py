"""Data sets whose Cox fits are stored in tests/data/cox_regression.json (issue 16).

The stored results were written by the Cox engine as it was before it was made
faster (commit ec83840); tests/test_cox_regression.py checks that today's engine
gives the same numbers to 1e-8 relative. Regenerate only on purpose:

    PYTHONPATH=. .venv/bin/python -m tests.cox_regression_sets --write
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.cox import cox_zph, fit_cox

DATA = Path(__file__).parent / "data"
STORED = DATA / "cox_regression.json"


def synthetic(n: int, seed: int, *, tied: bool) -> pd.DataFrame:
    """Two groups, six numeric covariates and a four-level factor; whole days when ``tied``."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({f"x{k}": rng.normal(size=n) for k in range(1, 7)})
    frame["group"] = rng.integers(0, 2, n)
    frame["stage"] = rng.choice(["A", "B", "C", "D"], n)
    eta = 0.4 * frame["x1"] - 0.3 * frame["x2"] + 0.5 * frame["group"] + 0.2 * (frame["stage"] == "C")
    time = rng.exponential(np.exp(-eta) * 400)
    censor = rng.exponential(600, n)
    frame["time"] = np.ceil(np.minimum(time, censor)) if tied else np.minimum(time, censor)
    frame["status"] = (time <= censor).astype(int)
    frame["entry"] = np.where(rng.random(n) < 0.3, np.floor(frame["time"] * rng.random(n)), 0.0)
    frame["centre"] = rng.integers(0, 3, n)
    return frame


def cases() -> dict[str, tuple[pd.DataFrame, dict[str, Any]]]:
    lung = pd.read_csv(DATA / "lung.csv")
    covariates = ["x1", "x2", "x3", "x4", "x5", "x6", "group", "stage"]
    tied = synthetic(3000, 16, tied=True)
    untied = synthetic(2000, 17, tied=False)
    return {
        "lung": (lung, {"covariates": ["age", "sex", "ph.ecog", "ph.karno", "wt.loss"]}),
        "lung_strata": (lung, {"covariates": ["age", "ph.ecog"], "strata": "sex"}),
        "tied": (tied, {"covariates": covariates}),
        "untied_strata": (untied, {"covariates": covariates, "strata": "centre"}),
        "delayed_entry": (tied, {"covariates": covariates, "start_col": "entry"}),
    }


def result(name: str) -> dict[str, Any]:
    """The fit (``to_dict``, with ``zph``) of one case."""
    frame, options = cases()[name]
    covariates = options.pop("covariates")
    fit = fit_cox(frame, "time", "status", covariates, **options).to_dict()
    fit["zph"] = cox_zph(frame, "time", "status", covariates, **options).to_dict()
    return fit


def results() -> dict[str, Any]:
    return {name: result(name) for name in cases()}


if __name__ == "__main__":
    if "--write" not in sys.argv:
        sys.exit("pass --write to overwrite " + str(STORED))
    STORED.write_text(json.dumps(results(), indent=1, allow_nan=True) + "\n")
