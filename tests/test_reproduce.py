"""'Reproduce this view': each bundle's R script (Rscript + survival) and Python script (lifelines + analysis)
print the numbers the view shows, on the bundled cohort and on a filtered subgroup."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from analysis.filters import FilterSpec
from app import datasets
from app import reproduce as bundles
from app.views import STUDY_COVARIATES, cox_view, filtered, response_view, survival_view
from tests.reproduce_kit import assert_agrees, page_download, run_scripts

SUBGROUP = FilterSpec.create(child_pugh=["A"], ecog=[0, 1])
DATASETS = {"bundled": FilterSpec(), "child-pugh-A-ecog-0-1": SUBGROUP}


def _frame(spec: FilterSpec) -> tuple[Any, Any]:
    cohort = datasets.bundled()
    return filtered(cohort.fingerprint, spec).frame, bundles.source_of(cohort.fingerprint, True, spec)


SURVIVAL_CASES = {
    "first_line-logrank-loglog": ("os", "first_line", "logrank", "log-log", False),
    "bclc-wilcoxon-log-pairwise": ("pfs", "bclc", "wilcoxon", "log", True),
    "pp_group-logrank-pairwise": ("os", "pp_group", "logrank", "plain", True),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(SURVIVAL_CASES))
@pytest.mark.parametrize("data", list(DATASETS))
def test_survival_scripts_print_the_page_numbers(ppx_app: Any, tmp_path: Path, case: str, data: str) -> None:
    endpoint, grouping, test, conf, pairwise = SURVIVAL_CASES[case]
    spec = DATASETS[data]
    with ppx_app.server.app_context():
        frame, source = _frame(spec)
        view = survival_view(source.fingerprint, spec, endpoint, grouping, test, conf, pairwise)
    bundle = bundles.survival(frame, source, endpoint, grouping, test, conf, pairwise)
    # the bundle's expected numbers are the page's numbers
    assert view.km is not None
    expected = bundle.expected
    assert [g["group"] for g in expected["groups"]] == [g.group for g in view.km.groups]
    for shown, g in zip(view.km.groups, expected["groups"], strict=True):
        assert (g["n"], g["events"], g["median"], g["median_lower"], g["median_upper"]) == (
            shown.n, shown.events, shown.median, *shown.median_ci,
        )  # fmt: skip
        page_at = {a.time: (a.survival, *a.ci, a.n_at_risk) for a in shown.at}
        for a in g["at"]:
            assert (a["survival"], a["lower"], a["upper"], a["n_at_risk"]) == page_at[a["time"]]
    assert (expected["test"] or {}).get("p") == (view.test.p if view.test else None)
    assert {frozenset(p["groups"]): p["p_adjusted"] for p in expected["pairwise"]} == {
        frozenset(p.groups): p.p_adjusted for p in view.pairwise
    }
    assert (expected["hr"] or {}).get("hr") == (view.cox.terms[0].hr if view.cox else None)
    # and both scripts recompute them
    for language, printed in run_scripts(bundle, tmp_path).items():
        try:
            assert_agrees(expected, printed)
        except AssertionError as exc:
            raise AssertionError(f"{language} script: {exc}") from exc


def test_bundle_holds_only_the_view_columns_with_formulas_neutralised(ppx_app: Any) -> None:
    with ppx_app.server.app_context():
        frame, source = _frame(FilterSpec())
    bundle = bundles.survival(frame, source, "os", "first_line", "logrank", "log-log", False)
    names = zipfile.ZipFile(io.BytesIO(bundle.to_zip())).namelist()
    assert names == [
        f"ppx-survival/{n}" for n in ("README.txt", "data.csv", "expected.json", "reproduce.R", "reproduce.py")
    ]
    header = bundle.file("data.csv").splitlines()[0]
    assert header == "os_months,os_event,first_line"
    readme = bundle.file("README.txt")
    assert source.fingerprint in readme and "all patients" in readme and '"median"' in readme


def _zip_texts(data: bytes) -> dict[str, str]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {name.split("/", 1)[1]: archive.read(name).decode("utf-8") for name in archive.namelist()}


def test_page_download_and_cli_give_the_same_bundle(ppx_app: Any, tmp_path: Path) -> None:
    from app.pages.survival import reproduction
    from cli import main

    with ppx_app.server.test_request_context("/"):
        sent = page_download(
            "survival", reproduction, "pfs", "bclc", "wilcoxon", "log", ["pairwise"], "?child_pugh=A&ecog=0,1"
        )
    assert sent["filename"] == "ppx-survival-reproduce.zip"
    page = _zip_texts(base64.b64decode(sent["content"]))
    out = tmp_path / "view.zip"
    argv = ["reproduce", "--view", "survival", "--data", "data/synthetic_klc.csv", "--endpoint", "pfs"]
    argv += ["--by", "bclc", "--test", "wilcoxon", "--conf-type", "log", "--pairwise"]
    assert main([*argv, "--filters", "child_pugh=A&ecog=0,1", "--out", str(out)]) == 0
    cli = _zip_texts(out.read_bytes())
    assert json.loads(page["expected.json"]) == json.loads(cli["expected.json"])
    assert page["reproduce.R"] == cli["reproduce.R"] and page["data.csv"] == cli["data.csv"]
    assert json.loads(page["expected.json"])["pairwise"], "three BCLC stages: pairwise tests shown"


def test_cli_refuses_an_unknown_grouping(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from cli import main

    out = tmp_path / "view.zip"
    argv = ["reproduce", "--view", "survival", "--data", "data/synthetic_klc.csv", "--by", "nope", "--out", str(out)]
    assert main(argv) == 2
    assert "--by: no column 'nope'" in capsys.readouterr().err and not out.exists()


@pytest.mark.slow
@pytest.mark.parametrize("data", list(DATASETS))
def test_cox_scripts_print_the_page_numbers(ppx_app: Any, tmp_path: Path, data: str) -> None:
    spec = DATASETS[data]
    covariates = (*STUDY_COVARIATES, "ecog", "bclc")
    with ppx_app.server.app_context():
        frame, source = _frame(spec)
        view = cox_view(source.fingerprint, spec, "os", covariates)
    bundle = bundles.cox(frame, source, "os", covariates)
    expected = bundle.expected
    assert view.model is not None and expected["model"]["terms"][0]["hr"] == view.model.terms[0].hr
    assert [t["p"] for t in expected["model"]["terms"]] == [t.p for t in view.model.terms]
    assert [(r["covariate"], r["model"] and r["model"]["terms"][0]["hr"]) for r in expected["screen"]] == [
        (r.covariate, r.result and r.result.terms[0].hr) for r in view.screen
    ]
    assert any(t["level"] == "1" and t["reference"] == "0" for t in expected["model"]["terms"])  # ECOG 1 vs 0
    for language, printed in run_scripts(bundle, tmp_path).items():
        try:
            assert_agrees(expected, printed)
        except AssertionError as exc:
            raise AssertionError(f"{language} script: {exc}") from exc


def test_cox_page_download_equals_cli(ppx_app: Any, tmp_path: Path) -> None:
    from app.pages.cox import reproduction
    from cli import main

    with ppx_app.server.test_request_context("/"):
        sent = page_download("cox", reproduction, "os", ["fib4", "ecog"], False, "?child_pugh=A")
    page = _zip_texts(base64.b64decode(sent["content"]))
    out = tmp_path / "cox.zip"
    argv = ["reproduce", "--view", "cox", "--data", "data/synthetic_klc.csv", "--covariates", "fib4,ecog"]
    assert main([*argv, "--filters", "child_pugh=A", "--out", str(out)]) == 0
    cli = _zip_texts(out.read_bytes())
    assert json.loads(page["expected.json"]) == json.loads(cli["expected.json"])
    assert [t["covariate"] for t in json.loads(cli["expected.json"])["model"]["terms"]] == ["fib4", "ecog", "ecog"]


@pytest.mark.slow
@pytest.mark.parametrize("grouping", ["first_line", "bclc"])
@pytest.mark.parametrize("data", list(DATASETS))
def test_response_scripts_print_the_page_numbers(ppx_app: Any, tmp_path: Path, data: str, grouping: str) -> None:
    from app.pages.response import reproduction

    spec = DATASETS[data]
    with ppx_app.server.test_request_context("/"):
        view = response_view(datasets.bundled().fingerprint, spec, grouping)
        sent = page_download("response", reproduction, grouping, "?" + spec.to_query())
    assert view.result is not None
    page = _zip_texts(base64.b64decode(sent["content"]))
    expected = json.loads(page["expected.json"])
    assert [(g["group"], g["orr"]["estimate"], g["dcr"]["upper"]) for g in expected["groups"]] == [
        (g.group, g.orr.estimate, g.dcr.ci[1]) for g in view.result.groups
    ]
    assert expected["orr_test"]["p"] == (view.result.orr_test.p if view.result.orr_test else None)
    with ppx_app.server.app_context():
        frame, source = _frame(spec)
    bundle = bundles.response(frame, source, grouping)
    for language, printed in run_scripts(bundle, tmp_path).items():
        try:
            assert_agrees(expected, printed)
        except AssertionError as exc:
            raise AssertionError(f"{language} script: {exc}") from exc
