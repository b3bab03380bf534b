"""Honest numbers on the pages and in exports (issue 14): the one caveat rule, not-estimable HRs, sparse levels,
the reproducing command and Table 1 as shown. Real analysis, real cache, real export code (no mocks)."""

from __future__ import annotations

import csv
import io
import json
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from flask import Flask

from analysis.caveats import POST_BASELINE, caveat, caveats
from analysis.commands import BUNDLED_DATA, cox_command, km_command
from analysis.filters import FilterSpec
from analysis.sparse import merge_sparse_levels, sparse_levels
from app import datasets, exporting
from app.cache import cache
from app.components import cox_tables, presenter, survival_tables
from app.components.cohort_tables import table_one_rows
from app.components.guard import guard_rows
from app.components.presenter import ViewRef
from app.views import GUARD_EXPOSURE, STUDY_COVARIATES, cohort_view, cox_view, guard_view, survival_view

ROOT = Path(__file__).resolve().parents[1]
LENVATINIB = FilterSpec.create(first_line=["lenvatinib"])
ALL = FilterSpec()


@pytest.fixture(scope="module")
def fingerprint() -> Iterator[str]:
    server = Flask("test-honest")
    cache.init_app(server, config={"CACHE_TYPE": "SimpleCache"})
    with server.app_context():
        yield datasets.active_cohort().fingerprint


def _text(component: Any) -> str:
    """Every string inside a Dash component tree."""
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(_text(c) for c in component)
    return _text(getattr(component, "children", None))


# ----------------------------------------------------------------------------- the rule


def test_one_rule_names_every_post_baseline_grouping_and_only_those() -> None:
    assert {"pp_received", "pp_class", "pp_ici", "pp_group", "disease_control", "best_response"} <= set(POST_BASELINE)
    for baseline in ("first_line", "bclc", "child_pugh_class", "albi_grade", "fib4", "ecog", "age", "sex"):
        assert caveat(baseline, "os") is None
    assert caveat("pp_received", "os") is not None and caveat("pp_received", "os").exposure == "pp_received"
    assert caveat("disease_control", "pps") is None  # response is known before progression (PPS time zero)
    assert caveat("pp_received", "pps") is not None  # therapy starts after progression
    assert set(GUARD_EXPOSURE) == {"pp_received", "pp_class", "pp_ici", "pp_group", "pp_therapy"}


# ----------------------------------------------------------------------------- Survival page


def test_survival_page_warns_for_pp_group_from_the_rule(fingerprint: str) -> None:
    view = survival_view(fingerprint, LENVATINIB, "os", "pp_group", "logrank", "log-log", False)
    text = _text(survival_tables.notes(view))
    assert "Immortal-time bias" in text and "Post-progression: ICI, other therapy, none is known only" in text
    assert "time-varying" in text
    japanese = _text(survival_tables.notes(view, "ja"))
    assert "不死時間バイアス" in japanese and "時間依存性共変量" in japanese and "pp_" not in japanese
    first_line = survival_view(fingerprint, LENVATINIB, "os", "first_line", "logrank", "log-log", False)
    assert "Immortal-time" not in _text(survival_tables.notes(first_line))


def test_not_estimable_landmark_hr_shows_the_log_rank_p_not_a_wald_p(fingerprint: str) -> None:
    view = guard_view(fingerprint, ALL, "pp_ici", 3.0)
    assert view.comparison is not None and view.comparison.landmark is not None
    landmark = view.comparison.landmark
    row = next(r for r in guard_rows(view) if r[0].startswith("Landmark"))
    assert row[1].startswith("not estimable")
    assert row[2].startswith("log-rank p")
    assert landmark.test is not None and f"{landmark.test.p:.3f}" in row[2]
    assert f"{landmark.hr.p:.3f}" not in row[2]  # the meaningless Wald p (0.99) is not shown


def test_survival_results_end_with_the_command_that_reproduces_them(fingerprint: str, tmp_path: Path) -> None:
    command = km_command(BUNDLED_DATA, LENVATINIB, "os", "pp_group", times=(6, 12, 24))
    assert "--filters first_line=lenvatinib" in command and "--by pp_group" in command
    args = [*shlex.split(command)[1:], "--json"]
    out = subprocess.run(
        [sys.executable, "-m", "cli", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout

    data = json.loads(out)
    view = survival_view(fingerprint, LENVATINIB, "os", "pp_group", "logrank", "log-log", False)
    assert view.km is not None and view.test is not None
    assert {g["group"]: (g["n"], g["events"], g["median"]) for g in data["groups"]} == {
        g.group: (g.n, g.events, g.median) for g in view.km.groups
    }
    assert data["test"]["p"] == pytest.approx(view.test.p, rel=1e-12)


# ----------------------------------------------------------------------------- Cox page


def test_cox_page_study_model_has_the_caveat_and_the_time_varying_model_beside(fingerprint: str) -> None:
    view = cox_view(fingerprint, ALL, "os", STUDY_COVARIATES)
    assert [c.variable for c in view.caveats] == ["disease_control", "pp_received", "pp_ici"]
    assert view.time_varying is not None
    assert [t.term for t in view.time_varying.terms][:2] == ["pp_received", "pp_ici"]
    text = _text(cox_tables.warnings_block(view))
    assert "Immortal-time bias" in text and "Corrected counterpart" in text
    assert "ICI after progression" in text


def test_cox_page_without_post_baseline_covariates_has_no_caveat(fingerprint: str) -> None:
    view = cox_view(fingerprint, ALL, "os", ("fib4", "bclc"))
    assert view.caveats == () and view.time_varying is None
    assert "Immortal-time" not in _text(cox_tables.warnings_block(view))


def test_sparse_albi_grade_is_flagged_and_can_be_merged(fingerprint: str) -> None:
    view = cox_view(fingerprint, LENVATINIB, "os", ("albi_grade",))
    sparse = [s for s in view.sparse if s.covariate == "albi_grade"]
    assert [(s.level, s.n, s.events) for s in sparse] == [("3", 1, 1)]
    rows = cox_tables.screen_rows(view)
    albi_3 = next(r for r in rows if r[0].startswith("ALBI grade: 3"))
    assert "sparse level" in albi_3[4] and "1 patient, 1 event" in albi_3[4]
    assert "sparse level" in next(r for r in cox_tables.model_rows(view) if r[0].startswith("ALBI grade: 3"))[0]
    merged = cox_view(fingerprint, LENVATINIB, "os", ("albi_grade",), True)
    assert [m.describe() for m in merged.merges if m.covariate == "albi_grade"] == [
        "albi_grade: 3 (1 patient, 1 event) merged into 2b (now 2b+3)"
    ]
    assert not [s for s in merged.sparse if s.covariate == "albi_grade"]
    assert merged.model is not None and {t.level for t in merged.model.terms} == {"2a", "2b+3"}
    assert "merged into 2b" in _text(cox_tables.warnings_block(merged))


def test_merge_keeps_yes_no_covariates_and_counts_only_rows_with_the_endpoint() -> None:

    frame = pd.DataFrame(
        {
            "t": [1.0, 2, 3, 4, 5, 6, 7, None],
            "e": [1, 1, 1, 0, 1, 1, 0, 1],
            "x": ["a", "a", "a", "b", "b", "b", "b", "c"],
        }
    )
    assert [(s.level, s.n) for s in sparse_levels(frame, "t", "e", ["x"])] == [("a", 3), ("b", 4)]
    _, merges = merge_sparse_levels(frame, "t", "e", ["x"])
    assert merges == ()  # only two levels have the endpoint: nothing is merged away


def test_cox_command_reproduces_the_model(fingerprint: str) -> None:
    view = cox_view(fingerprint, LENVATINIB, "os", ("albi_grade", "ecog"), True)
    command = cox_command(BUNDLED_DATA, LENVATINIB, "os", ("albi_grade", "ecog"), categorical=("ecog",),
                          merge_sparse=True)  # fmt: skip

    out = subprocess.run(
        [sys.executable, "-m", "cli", *shlex.split(command)[1:], "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    terms = {t["term"]: t["hr"] for t in json.loads(out)["terms"]}
    assert view.model is not None
    assert terms == pytest.approx({t.term: t.hr for t in view.model.terms}, rel=1e-9)


# ----------------------------------------------------------------------------- exports and slides


def test_exports_of_a_post_baseline_grouping_carry_the_caveat_in_their_footer(fingerprint: str) -> None:
    ref = ViewRef(kind="km", endpoint="os", grouping="pp_group")
    _, data = presenter.export_view(ref, LENVATINIB, "csv")
    text = data.decode("utf-8-sig")
    assert "Caveat: Post-progression: ICI, other therapy, none defined after time zero (immortal-time bias)" in text
    _, plain = presenter.export_view(ViewRef(), LENVATINIB, "csv")
    assert "Caveat:" not in plain.decode("utf-8-sig")
    provenance = presenter.provenance(LENVATINIB, None, (ViewRef(kind="cox", covariates=STUDY_COVARIATES),))
    assert "Post-progression therapy" in provenance.text() and "ICI after progression" in provenance.text()


def test_the_headline_lenvatinib_slide_has_the_caveat_note(fingerprint: str) -> None:
    slide = presenter.view_slide(
        ViewRef(kind="km", endpoint="os", grouping="pp_group"), fingerprint, LENVATINIB, with_figure=False
    )
    assert slide.note.startswith("Caveat: Post-progression: ICI, other therapy, none defined after time zero")
    plain = presenter.view_slide(ViewRef(), fingerprint, LENVATINIB, with_figure=False)
    assert "Caveat" not in plain.note


# ----------------------------------------------------------------------------- Table 1 as shown


def test_table_one_rows_are_labelled_and_levels_indented(fingerprint: str) -> None:
    view = cohort_view(fingerprint, ALL, "first_line")
    assert view.table is not None
    names = [r[0] for r in table_one_rows(view.table)]
    assert "yes" not in [n.strip() for n in names]
    assert "Macrovascular invasion, n (%)" in names and "Extrahepatic spread, n (%)" in names
    assert any(n.startswith("BCLC stage") for n in names)
    assert any(n.startswith("Child-Pugh score (points)") for n in names)
    assert not any(n.startswith(("child_pugh_score", "albi_score", "bclc", "fib4", "ecog")) for n in names)
    levels = [n for n in names if n.startswith("    ")]
    assert "    BCLC C" in levels
    rows = list(csv.reader(io.StringIO(exporting.tables_to_csv(
        presenter.view_tables(ViewRef(kind="table1", grouping="first_line"), fingerprint, ALL, None),
        presenter.provenance(ALL),
    ).decode("utf-8-sig"))))  # fmt: skip
    assert any(r and r[0] == "Macrovascular invasion, n (%)" for r in rows)


def test_caveats_helper_keeps_order_and_dedupes() -> None:
    found = caveats(["fib4", "pp_ici", "pp_received", "pp_ici"], "os")
    assert [c.variable for c in found] == ["pp_ici", "pp_received"]
