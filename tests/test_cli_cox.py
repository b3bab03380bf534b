"""`ppx cox` (cli/cox.py) on R's lung data; R constants as in tests/test_cox.py.

library(survival); options(digits = 15)
lung <- read.csv("tests/data/lung.csv")
fit <- coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung); summary(fit)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli import main

LUNG_CSV = Path(__file__).parent / "data" / "lung.csv"
BASE = ["cox", "--data", str(LUNG_CSV), "--time", "time", "--event", "status"]
STAT_REL = 1e-4
P_REL = 1e-3


def run_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    assert main([*BASE, *args, "--json"]) == 0
    data: dict[str, object] = json.loads(capsys.readouterr().out)
    return data


def test_json_contract_matches_r(capsys: pytest.CaptureFixture[str]) -> None:
    """R: summary(coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung))
    n= 227, number of events= 164 (1 observation deleted due to missingness)
    age coef 0.0110667645600735 se 0.00926741101370053 HR 1.011128227722516 CI 0.992928097169850 1.029661962242155
        p 0.232415680999612
    sex coef -0.5526123957036310 se 0.1677390537872635 p 9.86051372138453e-04
    Likelihood ratio test 30.5006687731566 on 3 df, p 1.08281769919870e-06; Concordance 0.6371354930004549
    """
    data = run_json(["--covariates", "age,sex,ph.ecog"], capsys)
    assert (data["n"], data["events"], data["ties"], data["n_excluded"]) == (227, 164, "efron", 1)
    terms = data["terms"]
    assert isinstance(terms, list)
    assert [t["term"] for t in terms] == ["age", "sex", "ph.ecog"]
    age = terms[0]
    assert age["coef"] == pytest.approx(0.0110667645600735, rel=STAT_REL)
    assert age["se"] == pytest.approx(0.00926741101370053, rel=STAT_REL)
    assert age["hr"] == pytest.approx(1.011128227722516, abs=1e-6)
    assert age["ci"] == pytest.approx([0.992928097169850, 1.029661962242155], abs=1e-6)
    assert age["p"] == pytest.approx(0.232415680999612, rel=P_REL)
    assert "reference" not in age
    assert terms[1]["coef"] == pytest.approx(-0.5526123957036310, rel=STAT_REL)
    assert terms[1]["p"] == pytest.approx(9.86051372138453e-04, rel=P_REL)
    lr = data["lr_test"]
    assert isinstance(lr, dict)
    assert lr["statistic"] == pytest.approx(30.5006687731566, rel=STAT_REL)
    assert lr["df"] == 3
    assert lr["p"] == pytest.approx(1.08281769919870e-06, rel=P_REL)
    assert data["concordance"] == pytest.approx(0.6371354930004549, abs=1e-6)
    assert "zph" not in data


def test_categorical_reference_strata_and_zph(capsys: pytest.CaptureFixture[str]) -> None:
    """R: lung$ecogf <- relevel(factor(lung$ph.ecog), ref = "1")
       coef(coxph(Surv(time, status) ~ age + ecogf, data = lung)):
       age 0.0107905056580584  ecogf0 -0.3587224651653033  ecogf2 0.4980784160444955  ecogf3 1.7486086626569597
       cox.zph(...)$table GLOBAL 4.916947405075589 4 0.295925857566729
    R: coef(coxph(Surv(time, status) ~ age + ph.ecog + strata(sex), data = lung)): 0.0105662546009495 0.4624244343582905
    """
    data = run_json(
        ["--covariates", "age,ph.ecog", "--categorical", "ph.ecog", "--reference", "ph.ecog=1", "--zph"], capsys
    )
    terms = data["terms"]
    assert isinstance(terms, list)
    assert [(t["term"], t.get("reference")) for t in terms] == [
        ("age", None),
        ("ph.ecog=0", "1"),
        ("ph.ecog=2", "1"),
        ("ph.ecog=3", "1"),
    ]
    assert [t["coef"] for t in terms] == pytest.approx(
        [0.0107905056580584, -0.3587224651653033, 0.4980784160444955, 1.7486086626569597], rel=STAT_REL
    )
    zph = data["zph"]
    assert isinstance(zph, dict)
    assert zph["global"]["chisq"] == pytest.approx(4.916947405075589, rel=STAT_REL)
    assert zph["global"]["p"] == pytest.approx(0.295925857566729, rel=P_REL)
    stratified = run_json(["--covariates", "age,ph.ecog", "--strata", "sex"], capsys)
    assert stratified["strata"] == "sex"
    assert [t["coef"] for t in stratified["terms"]] == pytest.approx(  # type: ignore[attr-defined]
        [0.0105662546009495, 0.4624244343582905], rel=STAT_REL
    )


def test_start_column_for_counting_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Split at day 180 (R survSplit): the same coefficients as the unsplit model, on 386 rows."""
    lung = pd.read_csv(LUNG_CSV)
    long = lung[lung["time"] > 180]
    split = pd.concat(
        [
            lung[lung["time"] <= 180].assign(tstart=0.0),
            long.assign(tstart=0.0, time=180.0, status=0),
            long.assign(tstart=180.0),
        ]
    )
    path = tmp_path / "split.csv"
    split.to_csv(path, index=False)
    args = ["cox", "--data", str(path), "--time", "time", "--event", "status", "--start", "tstart"]
    assert main([*args, "--covariates", "age,sex,ph.ecog", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["n"], data["events"]) == (386, 164)
    assert data["terms"][2]["coef"] == pytest.approx(0.4637284753704277, rel=STAT_REL)


def test_infinite_hazard_ratio_is_null_in_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lung = pd.read_csv(LUNG_CSV)
    lung["grp"] = np.where((lung["status"] == 0) & (lung["time"] > 500), "C", np.where(lung["sex"] == 1, "A", "B"))
    path = tmp_path / "grp.csv"
    lung.to_csv(path, index=False)
    assert (
        main(["cox", "--data", str(path), "--time", "time", "--event", "status", "--covariates", "grp", "--json"]) == 0
    )
    data = json.loads(capsys.readouterr().out)
    level_c = data["terms"][1]
    assert level_c["term"] == "grp=C"
    assert level_c["ci"][1] is None
    assert any("'grp=C'" in w and "infinite" in w for w in data["warnings"])


def test_text_output_is_a_readable_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*BASE, "--covariates", "age,sex,ph.ecog", "--zph"]) == 0
    out = capsys.readouterr().out
    assert "n = 227, events = 164, 1 excluded" in out
    assert "HR (95% CI)" in out
    assert "1.59 (1.27–1.99)" in out  # ph.ecog: R exp(coef) 1.589991, CI 1.272675–1.986424
    assert "Likelihood ratio test: chi-square = 30.5 on 3 df, p < 0.001" in out  # as the dashboard: fmt_p_eq
    assert "Concordance: 0.637" in out
    assert "GLOBAL" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--covariates", "age,nope"], "'nope'"),
        (["--covariates", "ph.ecog", "--categorical", "ph.ecog", "--reference", "ph.ecog=9"], "reference level '9'"),
        (["--covariates", "age", "--reference", "age"], "COLUMN=LEVEL"),
        (["--covariates", " , "], "at least one column"),
    ],
)
def test_bad_input_is_one_line_exit_2(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*BASE, *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("ppx cox: error:")
    assert message in lines[0]
    assert "Traceback" not in captured.err
