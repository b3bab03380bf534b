"""Honest CLI output (issue 14): one JSON encoder, the immortal-time caveat, filters and derived groupings,
aligned text with the dashboard's number formats, and clear errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cohort import load_cohort
from analysis.derived import with_derived_columns
from analysis.filters import FilterSpec, apply_filters
from analysis.km import km_by_group
from cli import main

COHORT = str(Path(__file__).resolve().parents[1] / "data" / "synthetic_klc.csv")
OS = ["--data", COHORT, "--time", "os_months", "--event", "os_event"]


@pytest.mark.parametrize("landmark", ["3", "6"])
def test_landmark_with_no_exposed_deaths_gives_json_with_null_and_reason(
    landmark: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["landmark", "--data", COHORT, "--landmark", landmark, "--group", "pp_ici", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    if landmark == "3":
        # R on the same landmark rows (landmark_frame(cohort, 3, "pp_ici") written to CSV):
        #   f <- coxph(Surv(lm_time, lm_event) ~ lm_exposed, data = d)
        #     warning "Loglik converged before variable 1; coefficient may be infinite"
        #   summary(f)$conf.int -> exp(coef) 1.08555101086278e-07, lower .95 0, upper .95 Inf
        #   survdiff(Surv(lm_time, lm_event) ~ lm_exposed, data = d)$chisq -> 5.63460605197052
        assert data["hr"]["hr"] == pytest.approx(1.08555101086278e-07, rel=1e-4)
        assert data["test"]["statistic"] == pytest.approx(5.63460605197052, rel=1e-9)
    assert data["hr"]["ci"][1] is None
    assert data["hr_estimable"] is False
    assert {"path": "hr.ci[1]", "was": "inf"}.items() <= data["non_finite"][0].items()
    assert "not estimable" in data["non_finite"][0]["reason"]


def test_landmark_text_never_prints_a_zero_or_infinite_hr(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["landmark", "--data", COHORT, "--landmark", "3", "--group", "pp_ici"]) == 0
    out = capsys.readouterr().out
    assert "0.000" not in out and "inf" not in out
    assert "not estimable" in out and "no Wald p" in out
    assert re.search(r"Log-rank \(score\) test: chi-square = [\d.]+ on 1 df, p = 0\.\d{3}", out)


def test_km_by_a_post_baseline_grouping_warns_and_gives_the_time_varying_counterpart(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["km", *OS, "--by", "pp_received", "--json"]) == 0
    captured = capsys.readouterr()
    assert "Immortal-time bias" in captured.err and "pp_received" in captured.err
    data = json.loads(captured.out)
    assert [w["variable"] for w in data["caveats"]] == ["pp_received"]
    assert data["caveats"][0]["kind"] == "immortal-time bias"
    assert len(data["warnings"]) == 1 and data["warnings"][0].startswith("Immortal-time bias: pp_received")
    assert [t["term"] for t in data["time_varying"]["terms"]] == ["pp_received"]
    for key in ("conf_type", "n_excluded", "groups", "test", "pairwise"):  # the README's contract stays
        assert key in data


def test_km_by_a_baseline_grouping_has_no_caveat(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["km", *OS, "--by", "first_line", "--json"]) == 0
    captured = capsys.readouterr()
    assert "Immortal-time" not in captured.err
    assert json.loads(captured.out)["warnings"] == [] == json.loads(captured.out)["caveats"]


def test_km_with_filters_and_a_derived_grouping_reproduces_the_page(capsys: pytest.CaptureFixture[str]) -> None:
    query = "first_line=lenvatinib"
    assert main(["km", *OS, "--by", "pp_group", "--filters", query, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    frame = apply_filters(with_derived_columns(load_cohort(COHORT).frame), FilterSpec.parse_query(query)[0]).frame
    expected = km_by_group(frame, "os_months", "os_event", "pp_group")
    assert [(g["group"], g["n"], g["events"]) for g in data["groups"]] == [
        (g.group, g.n, g.events) for g in expected.groups
    ]
    assert sum(g["n"] for g in data["groups"]) == int((frame["first_line"] == "lenvatinib").sum()) == len(frame)
    assert {g["group"] for g in data["groups"]} == {"ici", "other", "none"}


def test_unknown_filter_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["km", *OS, "--filters", "frist_line=lenvatinib"]) == 2
    err = capsys.readouterr().err
    assert "unknown filter" in err and "frist_line" in err and "Traceback" not in err


def test_unknown_column_suggests_the_nearest(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["km", *OS, "--by", "first_lin"]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'first_line'?" in err
    assert re.search(r"the file has \d+ columns", err)


def test_text_columns_are_aligned_and_p_values_read_as_on_the_dashboard(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "t": rng.exponential(10, 80).round(2) + 0.1,
            "e": rng.integers(0, 2, 80),
            "g": np.where(np.arange(80) < 40, "a_very_long_group_name_indeed", "b"),
        }
    )
    path = tmp_path / "long.csv"
    frame.to_csv(path, index=False)
    assert main(["km", "--data", str(path), "--time", "t", "--event", "e", "--by", "g", "--times", "5"]) == 0
    out = capsys.readouterr().out
    assert "p = <" not in out and "< 0.0001" not in out
    assert "a_very_long_group_name_indeed  " in out  # never runs into the next column
    header = next(line for line in out.splitlines() if line.startswith("group") and "median" in line)
    row = next(line for line in out.splitlines() if line.startswith("a_very_long_group_name_indeed"))
    assert row.index(" 40") + 3 == header.index("n") + 1  # right-aligned under its header


def test_cox_rejects_an_infinite_time_as_km_does(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frame = pd.DataFrame({"t": [1.0, 2.0, np.inf, 4.0, 5.0, 6.0], "e": [1, 0, 1, 1, 0, 1], "x": [1, 2, 3, 4, 5, 6]})
    path = tmp_path / "inf.csv"
    frame.to_csv(path, index=False)
    for command in (["cox", "--covariates", "x"], ["km"]):
        assert main([command[0], "--data", str(path), "--time", "t", "--event", "e", *command[1:]]) == 2
        err = capsys.readouterr().err
        assert "'t'" in err and "Traceback" not in err


def test_cox_of_the_study_model_warns_and_fits_the_time_varying_model(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["cox", *OS, "--covariates", "fib4,disease_control,pp_received,pp_ici", "--json"]
    assert main(args) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert all(isinstance(w, str) for w in data["warnings"])  # the contract's warnings stay text lines
    assert [w["variable"] for w in data["caveats"]] == [
        "disease_control",
        "pp_received",
        "pp_ici",
    ]
    terms = [t["term"] for t in data["time_varying_model"]["terms"]]
    assert terms[:2] == ["pp_received", "pp_ici"] and "fib4" in terms and "disease_control" in terms
    assert all("estimable" in t for t in data["terms"])


def test_a_numpy_overflow_warning_never_precedes_the_error(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"t": rng.exponential(5, 15).round(2) + 0.1, "e": rng.integers(0, 2, 15)})
    frame["big"] = rng.normal(0, 1, 15) * 1e200
    path = tmp_path / "big.csv"
    frame.to_csv(path, index=False)
    args = ["cox", "--data", str(path), "--time", "t", "--event", "e", "--covariates", "big"]
    run = subprocess.run(
        [sys.executable, "-m", "cli", *args], capture_output=True, text=True, cwd=Path(COHORT).parents[1]
    )
    assert "RuntimeWarning" not in run.stderr and "Traceback" not in run.stderr
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1
