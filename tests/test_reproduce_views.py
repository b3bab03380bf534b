"""'Reproduce this view' for the Cohort page (Table 1), the Survival page's immortal-time guard, the Sequences
page's time to therapy and the Study page: each bundle's R and Python scripts print the numbers the page shows,
on the bundled cohort and on a filtered subgroup (the running and comparing is tests/reproduce_kit.py)."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from analysis.filters import FilterSpec
from app import datasets
from app import reproduce as bundles
from app.views import cohort_view, filtered, guard_view, sequences_view, study_view
from tests.reproduce_kit import assert_agrees, page_download, run_scripts

SUBGROUP = FilterSpec.create(child_pugh=["A"], ecog=[0, 1])
DATASETS = {"bundled": FilterSpec(), "child-pugh-A-ecog-0-1": SUBGROUP}


def _frame(spec: FilterSpec) -> tuple[Any, Any]:
    cohort = datasets.bundled()
    return filtered(cohort.fingerprint, spec).frame, bundles.source_of(cohort.fingerprint, True, spec)


def _scripts_agree(bundle: Any, tmp_path: Path) -> None:
    for language, printed in run_scripts(bundle, tmp_path).items():
        try:
            assert_agrees(bundle.expected, printed)
        except AssertionError as exc:
            raise AssertionError(f"{language} script: {exc}") from exc


def _zip_texts(data: bytes) -> dict[str, str]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {name.split("/", 1)[1]: archive.read(name).decode("utf-8") for name in archive.namelist()}


# ----------------------------------------------------------------------------- Cohort (Table 1)


@pytest.mark.slow
@pytest.mark.parametrize(  # two groups with SMD; three with Monte-Carlo Fisher p-values (lean: one grouping each)
    ("data", "grouping"), [("bundled", "pp_group"), ("child-pugh-A-ecog-0-1", "first_line")]
)
def test_cohort_scripts_print_the_table_one_numbers(ppx_app: Any, tmp_path: Path, data: str, grouping: str) -> None:
    spec = DATASETS[data]
    with ppx_app.server.app_context():
        frame, source = _frame(spec)
        table = cohort_view(source.fingerprint, spec, grouping).table
    bundle = bundles.cohort(frame, source, grouping)
    assert table is not None
    expected = bundle.expected
    assert expected["columns"] == list(table.columns) and expected["n"] == list(table.column_n)
    shown = {(r.variable, r.level): r for r in table.rows}
    for v in expected["variables"]:
        first = next(r for r in table.rows if r.variable == v["variable"])
        assert (v["p"], v["test"], v["smd"]) == (first.p, first.test, first.smd)
        if v["kind"] == "continuous":
            assert list(zip(v["median"], v["q1"], v["q3"], strict=True)) == list(first.values)
        for level in v.get("levels", []):
            row = shown[(v["variable"], level["level"])]
            assert list(zip(level["count"], level["percent"], strict=True)) == list(row.values)
    assert (grouping == "first_line") == all(v["smd"] is not None for v in expected["variables"])
    _scripts_agree(bundle, tmp_path)


# ----------------------------------------------------------------------------- the immortal-time guard


@pytest.mark.slow
@pytest.mark.parametrize(  # at 3 months the landmark HR of ICI is not estimable (lean: one case per data set)
    ("data", "grouping", "landmark"), [("bundled", "pp_group", 3.0), ("child-pugh-A-ecog-0-1", "pp_received", 6.0)]
)
def test_guard_scripts_print_the_guard_numbers(
    ppx_app: Any, tmp_path: Path, data: str, grouping: str, landmark: float
) -> None:
    spec = DATASETS[data]
    with ppx_app.server.app_context():
        frame, source = _frame(spec)
        view = guard_view(source.fingerprint, spec, grouping, landmark)
    bundle = bundles.guard(frame, source, grouping, landmark)
    c, expected = view.comparison, bundle.expected
    assert c is not None and c.landmark is not None and c.simon_makuch is not None and c.time_varying is not None
    assert expected["time_varying"]["hr"] == c.time_varying.terms[0].hr
    lm = expected["landmark"]
    assert (lm["n_eligible"], lm["n_excluded"], lm["test"]["p"]) == (
        c.landmark.n_eligible, c.landmark.n_excluded, c.landmark.test and c.landmark.test.p
    )  # fmt: skip
    assert [a["n_at_risk"] for g in lm["groups"] for a in g["at"]] == [
        a.n_at_risk for g in c.landmark.km.groups for a in g.at
    ]
    assert expected["simon_makuch"]["test"]["p"] == (c.simon_makuch.test and c.simon_makuch.test.p)
    assert expected["simon_makuch"]["groups"][1]["at"][0]["n_at_risk"] == 0  # the treated curve starts empty
    assert lm["hr"]["estimable"] == (landmark == 6.0)
    _scripts_agree(bundle, tmp_path)


# ----------------------------------------------------------------------------- Sequences: time to therapy


@pytest.mark.slow
@pytest.mark.parametrize("data", list(DATASETS))
def test_sequences_scripts_print_the_time_to_therapy(ppx_app: Any, tmp_path: Path, data: str) -> None:
    spec = DATASETS[data]
    with ppx_app.server.app_context():
        frame, source = _frame(spec)
        shown = sequences_view(source.fingerprint, spec).time_to_therapy
    bundle = bundles.sequences(frame, source)
    assert shown is not None
    expected = bundle.expected
    assert (expected["n_treated"], expected["n_progressed"], expected["median_months_treated"]) == (
        shown.n_treated, shown.n_progressed, shown.median_months_treated
    )  # fmt: skip
    assert (expected["times"], expected["cumulative_incidence"]) == (
        list(shown.times), list(shown.cumulative_incidence)
    )  # fmt: skip
    curve = expected["cumulative_incidence"]
    assert all(a <= b for a, b in pairwise(curve)) and 0 < curve[-1] < 1
    _scripts_agree(bundle, tmp_path)


# ----------------------------------------------------------------------------- Study page


@pytest.mark.slow
@pytest.mark.parametrize("data", list(DATASETS))
def test_study_scripts_print_every_card_number(ppx_app: Any, tmp_path: Path, data: str) -> None:
    from app.pages.study import reproduction

    spec = DATASETS[data]
    with ppx_app.server.test_request_context("/"):
        view = study_view(datasets.bundled().fingerprint, spec)
        bundle = reproduction("?" + spec.to_query())
    e = bundle.expected
    assert view.response.result is not None and view.cox is not None and view.cox_time_varying is not None
    assert [g["orr"]["estimate"] for g in e["1-response"]["groups"]] == [
        g.orr.estimate for g in view.response.result.groups
    ]
    for folder, shown in (("2-pfs", view.pfs_by_drug), ("2-os", view.os_by_drug), ("4-os-by-therapy", view.os_by_pp),
                          ("5-lenvatinib", view.lenvatinib_by_pp)):  # fmt: skip
        assert shown.km is not None and shown.test is not None
        assert [g["median"] for g in e[folder]["groups"]] == [g.median for g in shown.km.groups]
        assert (e[folder]["test"]["statistic"], e[folder]["test"]["p"]) == (shown.test.statistic, shown.test.p)
    assert [t["hr"] for t in e["3-cox"]["model"]["terms"]] == [t.hr for t in view.cox.terms]
    assert [t.get("hr") for t in e["3-time-varying"]["model"]["terms"]] == [t.hr for t in view.cox_time_varying.terms]
    assert view.pp_guard is not None and view.pp_guard.comparison is not None
    assert e["4-guard"]["time_varying"]["hr"] == view.pp_guard.comparison.time_varying.terms[0].hr
    varying = view.lenvatinib_ici_time_varying
    assert varying is not None
    assert [t["covariate"] for t in e["5-time-varying"]["model"]["terms"]] == [t.covariate for t in varying.terms]
    _scripts_agree(bundle, tmp_path)


# ----------------------------------------------------------------------------- the page's zip is the CLI's


@pytest.mark.parametrize(
    ("page", "callback", "page_args", "cli_args"),
    [
        ("cohort", "reproduction", ("pp_group",), ["--view", "cohort", "--by", "pp_group"]),
        ("survival", "guard_reproduction", ("pp_group", 3), ["--view", "guard", "--by", "pp_group", "--landmark", "3"]),
        ("sequences", "reproduction", (), ["--view", "sequences"]),
        ("study", "reproduction", (), ["--view", "study"]),
    ],
)
def test_page_download_equals_cli(
    ppx_app: Any, tmp_path: Path, page: str, callback: str, page_args: tuple[Any, ...], cli_args: list[str]
) -> None:
    import importlib

    from cli import main

    build = getattr(importlib.import_module(f"app.pages.{page}"), callback)
    view = cli_args[1]
    with ppx_app.server.test_request_context("/"):
        sent = page_download(view, build, *page_args, "?child_pugh=A")
    assert sent["filename"] == f"ppx-{view}-reproduce.zip"
    shown = _zip_texts(base64.b64decode(sent["content"]))
    out = tmp_path / "view.zip"
    argv = ["reproduce", *cli_args, "--data", "data/synthetic_klc.csv", "--filters", "child_pugh=A"]
    assert main([*argv, "--out", str(out)]) == 0
    written = _zip_texts(out.read_bytes())
    assert json.loads(shown["expected.json"]) == json.loads(written["expected.json"])
    assert shown.keys() == written.keys()
    assert all(text == written[name] for name, text in shown.items() if not name.endswith("README.txt"))
    for name in (n for n in written if n.endswith("data.csv")):
        header = written[name].splitlines()[0].split(",")
        assert not {"patient_id", "first_line_start", "pp_start", "progression_date"} & set(header), (name, header)


# ----------------------------------------------------------------------------- the Survival view on edge data


@pytest.mark.slow
def test_survival_scripts_agree_where_a_group_has_no_deaths_yet(tmp_path: Path) -> None:
    """A curve still at 1 after a censoring: the view reports its log-log limits as 1 (R's survfit gives NA there,
    a documented convention of analysis.km), and the two-group HR as R's coxph converges it."""
    import pandas as pd

    from analysis.reproduce.bundle import Source
    from analysis.reproduce.survival import SurvivalSettings, survival_bundle

    time = [1, 2, 4, 5, 7, 8, 9, 11, 13, 14, 3, 5, 6, 8, 10, 12, 15, 16, 18, 20]
    event = [1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0]
    data = pd.DataFrame({"os_months": time, "os_event": event, "arm": ["a"] * 10 + ["b"] * 10})
    settings = SurvivalSettings("os_months", "os_event", "arm", ("a", "b"), "logrank", "log-log", False, (4.0, 12.0))
    bundle = survival_bundle(data, settings, Source("edge", False, "", "all patients"))
    first_b = bundle.expected["groups"][1]["at"][0]
    assert (first_b["survival"], first_b["lower"], first_b["upper"]) == (1.0, 1.0, 1.0)  # b: censored at 3, no death
    _scripts_agree(bundle, tmp_path)


@pytest.mark.slow
def test_survival_python_hazard_ratio_converges_as_r(ppx_app: Any, tmp_path: Path) -> None:
    """PPS by ICI use in Child-Pugh A, ECOG 0-1: lifelines' default convergence stopped 1.3e-4 (relative) away
    from coxph's HR; the script tightens it to R's."""
    with ppx_app.server.app_context():
        frame, source = _frame(SUBGROUP)
    bundle = bundles.survival(frame, source, "pps", "pp_ici", "logrank", "log-log", False)
    assert bundle.expected["hr"] is not None
    _scripts_agree(bundle, tmp_path)
