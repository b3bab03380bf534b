"""Cohort loading and validation: every problem named by column, spreadsheet row and patient."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis.cohort import (
    BUNDLED_NAME,
    Issue,
    ValidatedCohort,
    bundled_cohort_path,
    load_bundled_cohort,
    load_cohort,
    validate_cohort,
)
from analysis.errors import DataError
from analysis.schema import DAYS_PER_MONTH, DERIVED_COLUMNS, INPUT_COLUMNS

BASE = {
    "center": "Kobe",
    "age": 72,
    "sex": "M",
    "etiology": "HCV",
    "bclc": "C",
    "child_pugh_score": 5,
    "albi_score": -2.7,
    "fib4": 3.1,
    "afp": 12.5,
    "ecog": 0,
    "mvi": 0,
    "ehs": 1,
    "best_response": "SD",
    "response_criteria": "mRECIST",
}

# patient_id, first_line, first_line_start, progression_date, pp_therapy, pp_start, last_contact_date, death_date
COURSES = (
    ("P-001", "sorafenib", "2016-05-10", "2016-10-01", "regorafenib", "2016-10-20", "2017-08-01", "2017-08-01"),
    ("P-002", "lenvatinib", "2019-02-03", "", "none", "", "2021-01-15", ""),
    ("P-003", "sorafenib", "2015-01-20", "2015-06-15", "none", "", "2016-03-01", ""),
    ("P-004", "lenvatinib", "2018-07-01", "", "none", "", "2019-01-10", "2019-01-10"),
    ("P-005", "lenvatinib", "2019-09-09", "2020-01-05", "atezolizumab_bevacizumab", "2020-02-01", "2021-06-30", ""),
)
COURSE_COLUMNS = (
    "patient_id",
    "first_line",
    "first_line_start",
    "progression_date",
    "pp_therapy",
    "pp_start",
    "last_contact_date",
    "death_date",
)


def valid_frame() -> pd.DataFrame:
    """Five valid patients as a CSV reader gives them (text dates, empty strings for 'none')."""
    rows = [{**BASE, **dict(zip(COURSE_COLUMNS, course, strict=True))} for course in COURSES]
    frame = pd.DataFrame(rows)
    frame.loc[1, ["sex", "etiology", "child_pugh_score", "albi_score", "best_response"]] = ["F", "HBV", 7, -2.1, "PR"]
    return frame.reindex(columns=list(INPUT_COLUMNS)).astype(object)


def row_issues(cohort: ValidatedCohort, row: str, severity: str = "error") -> list[Issue]:
    return [i for i in cohort.report.issues if i.row == row and i.severity == severity]


def months(later: str, earlier: str) -> float:
    return (date.fromisoformat(later) - date.fromisoformat(earlier)).days / DAYS_PER_MONTH


# --- a valid cohort --------------------------------------------------------------


def test_valid_cohort_has_no_issues_and_canonical_types() -> None:
    cohort = validate_cohort(valid_frame(), source="test.csv", name="test")
    report = cohort.report
    assert report.issues == ()
    assert (report.n_read, report.n_used, report.n_excluded, report.usable) == (5, 5, 0, True)
    assert report.summary() == "5 rows read, 5 used, 0 excluded."
    frame = cohort.frame
    assert list(frame.columns) == [*INPUT_COLUMNS, *DERIVED_COLUMNS]
    assert str(frame["first_line_start"].dtype) == "datetime64[ns]"
    assert frame["age"].dtype == np.float64 and frame["ecog"].dtype == np.float64
    assert frame["mvi"].dtype == np.int64 and set(frame["mvi"]) == {0}
    assert frame["sex"].tolist() == ["M", "F", "M", "M", "M"]
    assert frame["progression_date"].isna().tolist() == [False, True, False, True, False]
    assert cohort.name == "test" and not cohort.synthetic
    assert len(cohort.fingerprint) == 64 and cohort.short_fingerprint == cohort.fingerprint[:10]


def test_derived_columns_are_recomputed_from_the_dates() -> None:
    frame = validate_cohort(valid_frame()).frame.set_index("patient_id")
    assert frame.loc["P-001", "os_months"] == pytest.approx(months("2017-08-01", "2016-05-10"), abs=1e-12)
    assert frame.loc["P-001", "pps_months"] == pytest.approx(months("2017-08-01", "2016-10-01"), abs=1e-12)
    assert frame.loc["P-003", "pfs_months"] == pytest.approx(months("2015-06-15", "2015-01-20"), abs=1e-12)
    assert frame["os_event"].tolist() == [1, 0, 0, 1, 0]
    assert frame["pfs_event"].tolist() == [1, 0, 1, 1, 1]
    assert frame["pp_class"].tolist() == ["tki", "none", "none", "none", "ici"]
    assert frame["child_pugh_class"].tolist() == ["A", "B", "A", "A", "A"]
    assert np.isnan(frame.loc["P-002", "pps_months"])


def test_validated_cohort_is_frozen_and_hashable_by_identity() -> None:
    cohort = validate_cohort(valid_frame())
    other = validate_cohort(valid_frame())
    assert {cohort: 1, other: 2}[cohort] == 1
    assert cohort != other and cohort == cohort
    with pytest.raises(dataclasses.FrozenInstanceError):
        cohort.name = "other"  # type: ignore[misc]


def test_already_typed_frame_is_accepted() -> None:
    """A generator's frame (datetime64 dates, numbers, derived columns) validates like the CSV text."""
    typed = validate_cohort(valid_frame()).frame
    again = validate_cohort(typed)
    assert again.report.errors() == () and again.report.warnings() == ()
    assert again.fingerprint == validate_cohort(valid_frame()).fingerprint


# --- the bundled file --------------------------------------------------------------


def test_bundled_cohort_validates_without_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real data/synthetic_klc.csv once it exists; until then a tiny valid file via PPX_COHORT_PATH."""
    monkeypatch.delenv("PPX_COHORT_PATH", raising=False)
    if not bundled_cohort_path().exists():
        tiny = tmp_path / "tiny.csv"
        validate_cohort(valid_frame()).frame.to_csv(tiny, index=False, date_format="%Y-%m-%d")
        monkeypatch.setenv("PPX_COHORT_PATH", str(tiny))
        assert bundled_cohort_path() == tiny
    cohort = load_bundled_cohort()
    assert cohort.report.errors() == (), cohort.report.summary()
    assert cohort.report.n_used == cohort.report.n_read > 0
    assert cohort.synthetic and cohort.name == BUNDLED_NAME


def test_bundled_path_default_is_the_package_data_and_the_override_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PPX_COHORT_PATH", raising=False)
    assert bundled_cohort_path() == Path(__file__).resolve().parents[1] / "analysis" / "data" / "synthetic_klc.csv"
    monkeypatch.setenv("PPX_COHORT_PATH", str(tmp_path / "other.csv"))
    assert bundled_cohort_path() == tmp_path / "other.csv"


# --- broken cohorts: one problem each ----------------------------------------------

# (patient row in the frame, {column: new value}, column named, reason, words in the message)
BROKEN: dict[str, tuple[int, dict[str, Any], str, str, tuple[str, ...]]] = {
    "death before start": (
        3,
        {"death_date": "2018-06-01", "last_contact_date": "2018-06-01"},
        "death_date",
        "death before start",
        ("death_date 2018-06-01", "before first_line_start 2018-07-01"),
    ),
    "progression after death": (
        0,
        {"progression_date": "2017-09-01", "pp_therapy": "none", "pp_start": ""},
        "progression_date",
        "progression after death",
        ("progression_date 2017-09-01", "after death_date 2017-08-01"),
    ),
    "progression after last contact": (
        2,
        {"progression_date": "2016-04-01"},
        "progression_date",
        "progression after last contact",
        ("progression_date 2016-04-01", "after last_contact_date 2016-03-01"),
    ),
    "pp_start before progression": (
        4,
        {"pp_start": "2019-12-01"},
        "pp_start",
        "pp_start before progression",
        ("pp_start 2019-12-01", "before progression_date 2020-01-05"),
    ),
    "pp_start without progression": (
        1,
        {"pp_start": "2020-01-01"},
        "pp_start",
        "pp_start without progression",
        ("pp_start 2020-01-01", "progression_date is empty"),
    ),
    "pp_therapy without progression": (
        1,
        {"pp_therapy": "regorafenib"},
        "pp_therapy",
        "pp_therapy without progression",
        ("'regorafenib'", "progression_date is empty"),
    ),
    "pp_start with pp_therapy none": (
        2,
        {"pp_start": "2015-07-01"},
        "pp_start",
        "pp_start with pp_therapy none",
        ("pp_start 2015-07-01", "pp_therapy is 'none'"),
    ),
    "death after last contact": (
        3,
        {"last_contact_date": "2018-12-01"},
        "death_date",
        "death after last contact",
        ("death_date 2019-01-10", "after last_contact_date 2018-12-01"),
    ),
    "value outside allowed set": (
        1,
        {"etiology": "NASH"},
        "etiology",
        "etiology not allowed",
        ("'NASH'", "allowed: HBV, HCV, alcohol, MASLD, other"),
    ),
    "first_line outside allowed set": (
        1,
        {"first_line": "nivolumab"},
        "first_line",
        "first_line not allowed",
        ("'nivolumab'", "sorafenib, lenvatinib, atezolizumab_bevacizumab"),
    ),
    "age out of range": (2, {"age": 16}, "age", "age out of range", ("age 16", "range 18 to 110")),
    "ecog out of range": (2, {"ecog": 5}, "ecog", "ecog out of range", ("ecog 5", "range 0 to 4")),
    "child_pugh_score not whole": (
        0,
        {"child_pugh_score": 6.5},
        "child_pugh_score",
        "unreadable child_pugh_score",
        ("6.5", "whole number"),
    ),
    "unparseable date": (
        4,
        {"first_line_start": "09/09/2019"},
        "first_line_start",
        "unreadable first_line_start",
        ("'09/09/2019'", "YYYY-MM-DD"),
    ),
    "impossible date": (
        4,
        {"last_contact_date": "2021-02-30"},
        "last_contact_date",
        "unreadable last_contact_date",
        ("'2021-02-30'",),
    ),
    "unparseable number": (
        0,
        {"afp": "12,5"},
        "afp",
        "unreadable afp",
        ("'12,5'", "decimal separator"),
    ),
    "bad yes/no": (0, {"mvi": "maybe"}, "mvi", "unreadable mvi", ("'maybe'", "0 or 1")),
    "required value missing": (3, {"sex": ""}, "sex", "missing sex", ("sex is empty but required",)),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_row_is_excluded_with_a_message_naming_column_row_and_patient(case: str) -> None:
    position, changes, column, reason, words = BROKEN[case]
    frame = valid_frame()
    for name, value in changes.items():
        frame.loc[position, name] = value
    cohort = validate_cohort(frame)
    report = cohort.report
    row = f"row {position + 2}"
    patient = f"P-00{position + 1}"
    matching = [i for i in report.errors() if i.reason == reason]
    assert len(matching) == 1, [i.describe() for i in report.issues]
    issue = matching[0]
    assert (issue.row, issue.patient_id, issue.column) == (row, patient, column)
    for word in words:
        assert word in issue.message
    assert {i.row for i in report.errors()} == {row}
    assert report.usable and (report.n_read, report.n_used, report.n_excluded) == (5, 4, 1)
    assert report.excluded_rows == (row,)
    assert patient not in set(cohort.frame["patient_id"])
    assert f"{reason} (1)" in report.summary()
    assert issue.describe().startswith(f"{row} (patient {patient}), column {column}: ")


def test_duplicate_patient_id_keeps_the_first_row_and_names_both() -> None:
    frame = valid_frame()
    frame.loc[3, "patient_id"] = "P-002"
    cohort = validate_cohort(frame)
    (issue,) = cohort.report.errors()
    assert (issue.row, issue.patient_id, issue.column, issue.reason) == (
        "row 5",
        "P-002",
        "patient_id",
        "duplicate patient_id",
    )
    assert "row 3" in issue.message
    assert cohort.frame["patient_id"].tolist() == ["P-001", "P-002", "P-003", "P-005"]
    assert cohort.frame.loc[1, "sex"] == "F"  # the kept P-002 is the first one
    assert cohort.report.summary() == "5 rows read, 4 used, 1 excluded, because: duplicate patient_id (1)."


def test_category_with_wrong_case_suggests_the_allowed_spelling() -> None:
    frame = valid_frame()
    frame.loc[0, "first_line"] = "Sorafenib"
    (issue,) = validate_cohort(frame).report.errors()
    assert "did you mean 'sorafenib'?" in issue.message


def test_spreadsheet_midnight_time_is_accepted_as_a_date() -> None:
    frame = valid_frame()
    frame.loc[0, "first_line_start"] = "2016-05-10 00:00:00"
    cohort = validate_cohort(frame)
    assert cohort.report.issues == ()
    assert cohort.frame.loc[0, "first_line_start"] == pd.Timestamp("2016-05-10")


def test_boolean_words_are_accepted() -> None:
    frame = valid_frame()
    frame["mvi"] = ["yes", "No", "TRUE", "false", "1"]
    cohort = validate_cohort(frame)
    assert cohort.report.issues == ()
    assert cohort.frame["mvi"].tolist() == [1, 0, 1, 0, 1]


# --- file-level problems ---------------------------------------------------------


def test_missing_required_columns_block_the_file_and_are_all_listed() -> None:
    frame = valid_frame().drop(columns=["age", "death_date"])
    cohort = validate_cohort(frame, source="cohort.csv")
    report = cohort.report
    assert not report.usable
    assert (report.n_used, report.n_excluded) == (0, 5)
    assert cohort.frame.empty and list(cohort.frame.columns) == [*INPUT_COLUMNS, *DERIVED_COLUMNS]
    missing = [(i.row, i.column) for i in report.errors()]
    assert missing == [(None, "age"), (None, "death_date")]
    assert all("required column" in i.message for i in report.errors())
    assert report.summary() == "5 rows read, none used: the file cannot be used, because: missing required column (2)."


def test_missing_patient_id_column_is_a_file_error() -> None:
    report = validate_cohort(valid_frame().drop(columns=["patient_id"])).report
    (issue,) = report.errors()
    assert not report.usable and issue.column == "patient_id" and "unique patient identifier" in issue.message


def test_renamed_column_hint() -> None:
    report = validate_cohort(valid_frame().rename(columns={"age": "Age"})).report
    (error,) = report.errors()
    assert error.column == "age" and "the file has 'Age'" in error.message


def test_no_rows_is_a_file_error() -> None:
    report = validate_cohort(valid_frame().iloc[0:0]).report
    assert not report.usable and [i.reason for i in report.errors()] == ["no rows"]


def test_every_row_broken_makes_the_file_unusable() -> None:
    frame = valid_frame()
    frame["age"] = 5
    cohort = validate_cohort(frame)
    assert not cohort.report.usable and cohort.frame.empty
    assert len(cohort.report.excluded_rows) == 5
    assert "none used: the file cannot be used, because: no usable rows (1), age out of range (5)." in (
        cohort.report.summary()
    )


def test_unknown_column_is_a_warning_and_kept() -> None:
    frame = valid_frame()
    frame["study_arm"] = ["a", "b", "a", "b", "a"]
    cohort = validate_cohort(frame)
    (warning,) = cohort.report.warnings()
    assert (warning.row, warning.column, warning.severity) == (None, "study_arm", "warning")
    assert cohort.report.errors() == () and cohort.report.usable
    assert cohort.frame["study_arm"].tolist() == ["a", "b", "a", "b", "a"]


# --- several problems at once -----------------------------------------------------


def test_several_problems_are_all_reported() -> None:
    frame = valid_frame()
    frame.loc[0, "age"] = "abc"
    frame.loc[0, "bclc"] = "E"
    frame.loc[2, "progression_date"] = "2014-12-31"
    frame.loc[4, "patient_id"] = "P-001"
    frame["extra"] = 1
    cohort = validate_cohort(frame)
    report = cohort.report
    found = [(i.row, i.column, i.reason) for i in report.errors()]
    assert found == [
        ("row 2", "age", "unreadable age"),
        ("row 2", "bclc", "bclc not allowed"),
        ("row 4", "progression_date", "progression before start"),
        ("row 6", "patient_id", "duplicate patient_id"),
    ]
    assert report.excluded_rows == ("row 2", "row 4", "row 6")
    assert (report.n_used, report.n_excluded) == (2, 3)
    assert report.summary() == (
        "5 rows read, 2 used, 3 excluded, because: unreadable age (1), bclc not allowed (1), "
        "progression before start (1), duplicate patient_id (1). 1 warning: extra column (1)."
    )
    assert json.loads(json.dumps(report.to_dict()))["n_errors"] == 4


def test_garbage_never_raises() -> None:
    frame = pd.DataFrame({c: ["", "??", None, 3.5, float("nan")] for c in INPUT_COLUMNS})
    frame["os_months"] = ["x", None, 1, 2, 3]
    cohort = validate_cohort(frame)
    assert not cohort.report.usable and cohort.frame.empty
    assert all(i.row is not None for i in cohort.report.errors() if i.reason != "no usable rows")


# --- warnings ------------------------------------------------------------------


def test_derived_column_disagreeing_is_a_warning_and_recomputed_value_wins() -> None:
    frame = validate_cohort(valid_frame()).frame
    true_os = months("2017-08-01", "2016-05-10")
    frame["os_months"] = frame["os_months"].round(2)  # rounding is within the half-day tolerance
    frame.loc[0, "os_months"] = 99.0
    frame.loc[2, "pp_class"] = "tki"
    cohort = validate_cohort(frame)
    report = cohort.report
    assert report.errors() == () and report.n_used == 5
    found = [(i.row, i.patient_id, i.column, i.value) for i in report.warnings()]
    assert found == [("row 2", "P-001", "os_months", "99"), ("row 4", "P-003", "pp_class", "tki")]
    assert "is used" in report.warnings()[0].message
    assert cohort.frame.loc[0, "os_months"] == pytest.approx(true_os, abs=1e-12)
    assert cohort.frame.loc[2, "pp_class"] == "none"


def test_lenvatinib_before_its_approval_is_a_warning() -> None:
    frame = valid_frame()
    frame.loc[3, "first_line_start"] = "2017-12-01"
    report = validate_cohort(frame).report
    (warning,) = report.warnings()
    assert (warning.row, warning.patient_id, warning.column) == ("row 5", "P-004", "first_line_start")
    assert "lenvatinib" in warning.message and report.n_used == 5


def test_last_contact_after_death_is_a_warning() -> None:
    frame = valid_frame()
    frame.loc[0, "last_contact_date"] = "2017-09-01"
    report = validate_cohort(frame).report
    (warning,) = report.warnings()
    assert (warning.row, warning.column, warning.reason) == ("row 2", "last_contact_date", "last contact after death")


# --- fingerprint -----------------------------------------------------------------


def test_fingerprint_ignores_column_and_row_order_and_file_format(tmp_path: Path) -> None:
    frame = valid_frame()
    reference = validate_cohort(frame).fingerprint
    shuffled = frame[list(reversed(frame.columns))].iloc[[3, 1, 4, 0, 2]]
    assert validate_cohort(shuffled).fingerprint == reference
    csv = tmp_path / "cohort.csv"
    frame.to_csv(csv, index=False)
    assert load_cohort(csv).fingerprint == reference
    tsv = tmp_path / "cohort.tsv"
    validate_cohort(frame).frame.to_csv(tsv, sep="\t", index=False, date_format="%Y-%m-%d")
    assert load_cohort(tsv).fingerprint == reference


def test_fingerprint_changes_when_a_value_changes() -> None:
    frame = valid_frame()
    reference = validate_cohort(frame).fingerprint
    frame.loc[2, "afp"] = 12.6
    assert validate_cohort(frame).fingerprint != reference


# --- load_cohort --------------------------------------------------------------------


def test_load_cohort_reads_and_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "my_cohort.csv"
    valid_frame().to_csv(path, index=False)
    cohort = load_cohort(path)
    assert cohort.name == "my_cohort.csv" and cohort.report.source == str(path) and len(cohort.frame) == 5
    assert cohort.frame.index.tolist() == [0, 1, 2, 3, 4]


def test_load_cohort_raises_data_error_with_summary_when_unusable(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    valid_frame().drop(columns=["sex", "bclc"]).to_csv(path, index=False)
    with pytest.raises(DataError) as info:
        load_cohort(path)
    message = str(info.value)
    assert "bad.csv" in message and "missing required column (2)" in message
    assert "'sex'" in message and "'bclc'" in message


def test_load_cohort_missing_file_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found"):
        load_cohort(tmp_path / "nope.csv")
