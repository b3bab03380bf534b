"""The dashboard and the CLI agree: Survival page numbers equal `ppx km`, Cox page numbers equal `ppx cox`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from analysis.filters import FilterSpec
from app import datasets
from app.components.survival_tables import medians_rows
from app.components.tables import fmt_estimate_ci, fmt_pct_ci
from app.views import STUDY_COVARIATES, cox_view, filtered, survival_view
from cli import main

SPEC = FilterSpec.create(first_line=["lenvatinib"], bclc=["B", "C"])


def _cli_json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> Any:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def _subset_csv(tmp_path: Path, columns: list[str]) -> Path:
    cohort = datasets.bundled()
    frame = filtered(cohort.fingerprint, SPEC).frame
    path = tmp_path / "subgroup.csv"
    frame[columns].to_csv(path, index=False)
    return path


def test_survival_page_equals_ppx_km(ppx_app: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with ppx_app.server.app_context():
        view = survival_view(datasets.bundled().fingerprint, SPEC, "os", "pp_received", "logrank", "log-log", False)
    assert view.km is not None and view.test is not None
    path = _subset_csv(tmp_path, ["os_months", "os_event", "pp_received"])
    out = _cli_json(
        capsys,
        [
            "km",
            "--data",
            str(path),
            "--time",
            "os_months",
            "--event",
            "os_event",
            "--by",
            "pp_received",
            "--times",
            "6,12,24",
            "--json",
        ],
    )
    assert [g["group"] for g in out["groups"]] == [g.group for g in view.km.groups]
    rows = medians_rows(view)
    for row, cli in zip(rows, out["groups"], strict=True):
        assert row[1] == str(cli["n"]) and row[2] == str(cli["events"])
        assert row[3] == fmt_estimate_ci(cli["median"], *cli["median_ci"])
        for cell, at in zip(row[4:], cli["at"], strict=True):
            assert cell == fmt_pct_ci(at["survival"], *at["ci"])
    for page, cli in zip(view.km.groups, out["groups"], strict=True):
        assert page.median == pytest.approx(cli["median"])
    assert view.test.statistic == pytest.approx(out["test"]["statistic"], rel=1e-12)
    assert view.test.p == pytest.approx(out["test"]["p"], rel=1e-12)


def test_cox_page_equals_ppx_cox(ppx_app: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with ppx_app.server.app_context():
        view = cox_view(datasets.bundled().fingerprint, SPEC, "os", STUDY_COVARIATES)
    assert view.model is not None
    path = _subset_csv(tmp_path, ["os_months", "os_event", *STUDY_COVARIATES])
    out = _cli_json(
        capsys,
        [
            "cox",
            "--data",
            str(path),
            "--time",
            "os_months",
            "--event",
            "os_event",
            "--covariates",
            ",".join(STUDY_COVARIATES),
            "--json",
        ],
    )
    assert out["n"] == view.model.n and out["events"] == view.model.events
    assert [t["term"] for t in out["terms"]] == [t.term for t in view.model.terms]
    for cli, page in zip(out["terms"], view.model.terms, strict=True):
        assert page.hr == pytest.approx(cli["hr"], rel=1e-10)
        assert list(page.ci) == pytest.approx(cli["ci"], rel=1e-10)
        assert page.p == pytest.approx(cli["p"], rel=1e-10)
    assert view.model.lr_test.statistic == pytest.approx(out["lr_test"]["statistic"], rel=1e-10)
    assert view.model.concordance == pytest.approx(out["concordance"], rel=1e-10)


def test_the_pages_fleming_harrington_is_fh_1_0_as_its_label_and_command_say(ppx_app: Any) -> None:
    """The page names the test "Fleming–Harrington (1, 0)" and prints ``--fh-p 1 --fh-q 0``: it computes FH(1, 0)."""
    from analysis.compare import compare_survival

    fingerprint = datasets.bundled().fingerprint
    with ppx_app.server.app_context():
        view = survival_view(fingerprint, SPEC, "os", "pp_received", "fleming-harrington", "log-log", False)
    data = filtered(fingerprint, SPEC).frame
    data = data[data["os_months"].notna()]
    args = (data["os_months"], data["os_event"], data["pp_received"])
    fh10 = compare_survival(*args, test="fleming-harrington", fh_p=1.0)
    fh00 = compare_survival(*args, test="fleming-harrington")
    assert view.test is not None
    assert view.test.statistic == pytest.approx(fh10.statistic, rel=1e-10)
    assert abs(fh10.statistic - fh00.statistic) > 1e-6  # the two weightings really differ here
