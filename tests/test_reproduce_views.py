"""'Reproduce this view' for the Cohort page (Table 1), the Survival page's immortal-time guard, the Sequences
page's time to therapy and the Study page: each bundle's R and Python scripts print the numbers the page shows,
on the bundled cohort and on a filtered subgroup (the running and comparing is tests/reproduce_kit.py)."""

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
from app.views import cohort_view, filtered
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
@pytest.mark.parametrize("grouping", ["first_line", "pp_group"])  # two groups with SMD; three with Monte-Carlo
@pytest.mark.parametrize("data", list(DATASETS))
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


@pytest.mark.parametrize(
    ("view", "page_args", "cli_args"),
    [("cohort", ("pp_group", "?child_pugh=A"), ["--by", "pp_group"])],
)
def test_page_download_equals_cli(
    ppx_app: Any, tmp_path: Path, view: str, page_args: tuple[Any, ...], cli_args: list[str]
) -> None:
    import importlib

    from cli import main

    page = importlib.import_module(f"app.pages.{view}")
    with ppx_app.server.test_request_context("/"):
        sent = page_download(view, page.reproduction, *page_args)
    assert sent["filename"] == f"ppx-{view}-reproduce.zip"
    shown = _zip_texts(base64.b64decode(sent["content"]))
    out = tmp_path / "view.zip"
    argv = ["reproduce", "--view", view, "--data", "data/synthetic_klc.csv", *cli_args, "--filters", "child_pugh=A"]
    assert main([*argv, "--out", str(out)]) == 0
    written = _zip_texts(out.read_bytes())
    assert json.loads(shown["expected.json"]) == json.loads(written["expected.json"])
    assert shown["data.csv"] == written["data.csv"] and shown["reproduce.R"] == written["reproduce.R"]
    assert "patient_id" not in written["data.csv"].splitlines()[0]
