"""'Reproduce this view' for the Survival page's adjusted (propensity-weighted) panel and the target-trial panel:
the R script (Rscript + survival, base-R glm) and the Python script print the panel's deterministic numbers, on
the bundled cohort and on a filtered subgroup; the bootstrap is said not to be reproduced; the page's job and
`ppx reproduce` give the same zip."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from analysis.adjusted import AdjustedComparison
from analysis.filters import FilterSpec
from app import datasets
from app import reproduce as bundles
from app.adjusted_views import adjusted_view, comparison_key
from app.emulation_views import emulation_view, options_of
from app.reproduce_jobs import build_zip
from app.views import filtered
from tests.reproduce_kit import assert_agrees, page_download, run_scripts

LENVATINIB = FilterSpec.create(first_line=["lenvatinib"])
SUBGROUP = FilterSpec.create(child_pugh=["A"], ecog=[0, 1])


def _frame(spec: FilterSpec) -> tuple[Any, Any]:
    cohort = datasets.bundled()
    return filtered(cohort.fingerprint, spec).frame, bundles.source_of(cohort.fingerprint, True, spec)


def _agree(bundle: Any, tmp_path: Path) -> None:
    for language, printed in run_scripts(bundle, tmp_path).items():
        try:
            assert_agrees(bundle.expected, printed)
        except AssertionError as exc:
            raise AssertionError(f"{language} script: {exc}") from exc


ADJUSTED_CASES = {
    # (filters, comparison, estimand, trim, landmark, endpoint)
    "bundled-first_line-ate": (FilterSpec(), "first_line", "ate", "none", 6, "os"),
    "subgroup-pp_landmark-att-trim95": (SUBGROUP, "pp_landmark", "att", "0.95", 6, "os"),
    "bundled-first_line-overlap-trim99-pfs": (FilterSpec(), "first_line", "overlap", "0.99", 6, "pfs"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(ADJUSTED_CASES))
def test_adjusted_scripts_print_the_panel_numbers(ppx_app: Any, tmp_path: Path, case: str) -> None:
    spec, comparison, estimand, trim, landmark, endpoint = ADJUSTED_CASES[case]
    options = comparison_key(comparison, None, estimand, trim, landmark, endpoint)
    with ppx_app.server.app_context():
        frame, source = _frame(spec)
        shown = adjusted_view(source.fingerprint, spec, options)
    assert isinstance(shown, AdjustedComparison), shown
    bundle = bundles.adjusted(frame, source, options)
    expected = bundle.expected
    # the bundle's numbers are the panel's numbers
    assert (expected["cox"]["hr"], expected["cox"]["p"]) == (shown.cox.hr, shown.cox.p)
    assert expected["cox_naive"]["hr"] == shown.cox_naive.hr
    assert [g["ess"] for g in expected["weights"]["ess"]] == [g.ess for g in shown.groups]
    assert [(g["group"], [a["survival"] for a in g["at"]]) for g in expected["weighted"]] == [
        (g.group, [a.survival for a in g.at]) for g in shown.groups
    ]
    assert [b["smd_weighted"] for b in expected["balance"]] == [b.smd_weighted for b in shown.weighting.balance]
    assert expected["rmst"]["difference"] == shown.rmst.difference
    assert expected["weights"]["trimmed"] == shown.weighting.summary.trimmed
    assert (expected["weights"]["trimmed"] > 0) == (trim != "none")  # the trimming rule is exercised
    _agree(bundle, tmp_path)


EMULATION_CASES = {
    "bundled-grace3-any": (FilterSpec(), 3.0, "any"),
    # lenvatinib patients, ICI within a month: the weights explode and are truncated at the 99th percentile
    "lenvatinib-grace1-ici": (LENVATINIB, 1.0, "ici"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(EMULATION_CASES))
def test_emulation_scripts_print_the_panel_numbers(ppx_app: Any, tmp_path: Path, case: str) -> None:
    spec, grace, therapy = EMULATION_CASES[case]
    options = options_of(grace, therapy)
    with ppx_app.server.app_context():
        frame, source = _frame(spec)
        shown = emulation_view(source.fingerprint, spec, options)
    assert not isinstance(shown, str), shown
    bundle = bundles.emulation(frame, source, options)
    expected = bundle.expected
    assert expected["hr"] == shown.hr.estimate and expected["hr_robust"]["upper"] == shown.hr_robust.ci[1]
    assert expected["rmst_difference"] == shown.rmst_difference.estimate
    assert [[p["survival"] for p in a["survival"]] for a in expected["arms"]] == [
        [p.survival for p in a.survival] for a in shown.arms
    ]
    assert [a["ess"] for a in expected["arms"]] == [a.ess for a in shown.arms]
    assert expected["time_varying"]["estimate"] == shown.time_varying.estimate
    truncated = expected["weights"]["truncation_percentile"]
    assert truncated == shown.weights.truncation_percentile == (99.0 if "ici" in case else 100.0)
    _agree(bundle, tmp_path)


def _zip_texts(data: bytes) -> dict[str, str]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {name.split("/", 1)[1]: archive.read(name).decode("utf-8") for name in archive.namelist()}


@pytest.mark.parametrize(
    ("view", "values", "argv"),
    [
        (
            "adjusted",
            ("pp_landmark", ["age", "ecog", "bclc"], "att", "0.99", 6, "os"),
            ["--comparison", "pp_landmark", "--ps-covariates", "age,ecog,bclc", "--estimand", "att", "--trim", "0.99"],
        ),
        ("emulation", ("2", "any"), ["--grace", "2", "--therapy", "any"]),
    ],
)
def test_panel_job_and_cli_give_the_same_zip(
    ppx_app: Any, tmp_path: Path, view: str, values: tuple[Any, ...], argv: list[str]
) -> None:
    from app.pages import adjusted_panel, emulation_panel
    from cli import main

    build = adjusted_panel.reproduction if view == "adjusted" else emulation_panel.reproduction
    with ppx_app.server.test_request_context("/"):
        sent = page_download(view, build, *values, "?bclc=B,C")
    assert sent["filename"] == f"ppx-{view}-reproduce.zip"
    page = _zip_texts(base64.b64decode(sent["content"]))
    out = tmp_path / "view.zip"
    assert main(["reproduce", "--view", view, "--data", "data/synthetic_klc.csv", *argv,
                 "--filters", "bclc=B,C", "--out", str(out)]) == 0  # fmt: skip
    cli = _zip_texts(out.read_bytes())
    assert json.loads(page["expected.json"]) == json.loads(cli["expected.json"])
    assert page["data.csv"] == cli["data.csv"] and page["reproduce.R"] == cli["reproduce.R"]
    assert "bootstrap CIs" in page["README.txt"] and "not reproduced bit for bit" in page["README.txt"]
    header = page["data.csv"].splitlines()[0].split(",")
    assert not {"patient_id", "pp_start", "progression_date", "first_line_start"} & set(header)  # no id, no date


def test_a_refused_bundle_is_said_not_raised(ppx_app: Any) -> None:
    from app.pages import adjusted_panel, emulation_panel

    with ppx_app.server.test_request_context("/"):
        _, message = build_zip("adjusted", adjusted_panel.reproduction, lambda _: None,
                               ("first_line", [], "ate", "none", 6, "os"), "")  # fmt: skip
        assert message == "No reproduction zip: choose at least one covariate for the propensity model"
        _, message = build_zip("emulation", emulation_panel.reproduction, lambda _: None, ("3", "any"),
                               "?" + SUBGROUP.to_query())  # fmt: skip
        assert message is not None and "has the same value for every eligible patient" in message
