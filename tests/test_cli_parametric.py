"""`ppx parametric` end to end (a real subprocess): the JSON contract and a bad input without a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

LUNG = Path(__file__).parent / "data" / "lung.csv"


def _ppx(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", "parametric", *args], capture_output=True, text=True, timeout=300
    )


def test_json_contract_matches_survreg_weibull_and_lists_the_chosen_model() -> None:
    out = _ppx(
        "--data",
        str(LUNG),
        "--time",
        "time",
        "--event",
        "status",
        "--models",
        "weibull,exponential",
        "--horizon",
        "365",
        "--covariates",
        "age,sex",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    group = payload["groups"][0]
    fits = {f["model"]: f for f in group["fits"]}
    # survreg(Surv(time, status) ~ 1, data = lung (status 0/1), dist = "weibull"): coef 6.03490391023,
    # scale 0.759393601124, loglik -1153.85118809
    assert fits["weibull"]["survreg"]["intercept"] == pytest.approx(6.03490391023, rel=1e-4)
    assert fits["weibull"]["survreg"]["scale"] == pytest.approx(0.759393601124, rel=1e-4)
    assert fits["weibull"]["log_likelihood"] == pytest.approx(-1153.85118809, rel=1e-4)
    assert group["chosen"] == "weibull" and fits["weibull"]["chosen"] and not fits["exponential"]["chosen"]
    assert "assumption" in payload["extrapolation"]
    # survreg(Surv(time, status) ~ age + sex, dist = "weibull"): sex 0.382085139659
    weibull_aft = payload["aft"]["models"][0]
    assert weibull_aft["terms"][1]["coef"] == pytest.approx(0.382085139659, rel=1e-4)


def test_bad_model_and_column_are_one_line_messages(tmp_path: Path) -> None:
    out = _ppx("--data", str(LUNG), "--time", "time", "--event", "status", "--models", "weibul")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "unknown parametric model(s) 'weibul'" in out.stderr
    out = _ppx("--data", str(LUNG), "--time", "tme", "--event", "status")
    assert out.returncode == 2 and "Traceback" not in out.stderr and "did you mean 'time'" in out.stderr
