"""`ppx adjust` (cli/adjust.py): the JSON contract on R's rotterdam data, text output and bad input.

R constants as in tests/test_weights.py (glm propensity model, ATE weights, weighted coxph robust).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from cli import main

ROTTERDAM = Path(__file__).parent / "data" / "rotterdam.csv"
BASE = ["adjust", "--data", str(ROTTERDAM), "--treatment", "hormon", "--time", "dtime", "--event", "death"]
COVARIATES = ["--covariates", "age,meno,size,grade,nodes,pgr,er"]


def run_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert main([*BASE, *args, "--json"]) == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


def test_json_contract_matches_r(capsys: pytest.CaptureFixture[str]) -> None:
    # coef(glm(hormon ~ age + meno + size + grade + nodes + pgr + er, binomial))["age"] 0.01485808559, SE 0.00756407788
    # ATE: ESS 2489.308095 (hormon 0), 132.6239327 (hormon 1); coxph(..., weights = w, robust = TRUE):
    # coef -0.2084821383, robust SE 0.1455637406; survfit(weights = w) at 1826 days: 0.7355512442, 0.7539499919
    data = run_json([*COVARIATES, "--times", "1826", "--tau", "3652", "--bootstrap", "20", "--seed", "3"], capsys)
    assert {"treatment", "reference", "treated", "estimand", "n", "n_excluded", "propensity", "weights", "balance",
            "groups", "cox", "rmst", "e_value"} <= set(data)  # fmt: skip
    assert (data["treatment"], data["reference"], data["treated"], data["estimand"]) == ("hormon", "0", "1", "ate")
    assert (data["n"], data["n_excluded"]) == (2982, 0)
    age = next(t for t in data["propensity"]["terms"] if t["term"] == "age")
    assert (age["coef"], age["se"]) == pytest.approx((0.01485808559, 0.00756407788), rel=1e-8)
    assert 0.5 < data["propensity"]["auc"] < 1
    assert data["weights"]["ess"] == pytest.approx({"0": 2489.308095, "1": 132.6239327}, rel=1e-8)
    assert {"min", "max", "trimmed"} <= set(data["weights"])
    assert [b["covariate"] for b in data["balance"]][2:5] == ["size=20-50", "size=<=20", "size=>50"]
    assert data["cox"]["coef"] == pytest.approx(-0.2084821383, rel=1e-7)
    assert data["cox"]["se_robust"] == pytest.approx(0.1455637406, rel=1e-6)
    assert {"hr", "ci", "p"} <= set(data["cox"])
    groups = {g["group"]: g for g in data["groups"]}
    assert groups["0"]["at"][0]["survival"] == pytest.approx(0.7355512442, rel=1e-8)
    assert groups["1"]["at"][0]["survival"] == pytest.approx(0.7539499919, rel=1e-8)
    low, high = groups["1"]["at"][0]["ci"]
    assert low < 0.7539499919 < high  # from the bootstrap
    assert data["rmst"]["tau"] == 3652 and data["rmst"]["ci"][0] < data["rmst"]["difference"] < data["rmst"]["ci"][1]
    assert data["e_value"]["point"] > 1 and data["e_value"]["ci_limit"] == 1.0


def test_without_bootstrap_cis_are_null(capsys: pytest.CaptureFixture[str]) -> None:
    data = run_json([*COVARIATES, "--times", "1826", "--estimand", "overlap", "--trim", "0.99"], capsys)
    assert data["estimand"] == "overlap" and data["weights"]["trimmed"] > 0
    assert all(g["median_ci"] == [None, None] and g["at"][0]["ci"] == [None, None] for g in data["groups"])
    assert data["rmst"]["ci"] == [None, None]


def test_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*BASE, *COVARIATES, "--reference", "1"]) == 0
    out = capsys.readouterr().out
    assert "'0' vs '1' of 'hormon'" in out and "Balance (standardised mean difference" in out and "E-value" in out


def test_bad_input_is_one_line_naming_the_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frame = pd.read_csv(ROTTERDAM)
    frame.loc[:9, "grade"] = None
    path = tmp_path / "missing.csv"
    frame.to_csv(path, index=False)
    assert main(["adjust", "--data", str(path), "--treatment", "hormon", "--time", "dtime", "--event", "death",
                 "--covariates", "age,grade", "--json"]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)["n_excluded"] == 10
    assert main([*BASE, "--covariates", "age", "--treatment", "size"]) == 2
    err = capsys.readouterr().err
    assert "treatment column 'size' must have exactly two levels" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
