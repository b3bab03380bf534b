"""Global filters: normalisation, URL round trip, invalid input, and the patient flow."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.filters import FilterSpec, apply_filters, filter_options


def _cohort() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": ["p1", "p2", "p3", "p4", "p5", "p6"],
            "first_line": ["sorafenib", "lenvatinib", "lenvatinib", "sorafenib", "lenvatinib", "sorafenib"],
            "pp_received": [1, 1, 0, 0, 1, 1],
            "pp_class": ["tki", "ici", "none", "none", "locoregional", "ici"],
            "pp_ici": [0, 1, 0, 0, 0, 1],
            "bclc": ["C", "B", "C", None, "C", "B"],
            "child_pugh_class": ["A", "A", "B", "A", "A", "B"],
            "albi_grade": ["1", "2a", "2b", "1", "2a", "3"],
            "etiology": ["HCV", "HBV", "HCV", "alcohol", "MASLD", "other"],
            "ecog": [0.0, 1.0, 2.0, 0.0, 1.0, None],
            "center": ["KLC-01", "KLC-02", "KLC-01", "KLC-03", "KLC-02", "KLC-01"],
            "first_line_start": pd.to_datetime(
                ["2012-05-01", "2019-01-10", "2020-06-30", "2015-02-02", "2021-08-01", "2016-12-31"]
            ),
            "age": [70.0, 81.0, 64.0, 75.0, 59.0, 88.0],
            "best_response": ["SD", "PR", "PD", "SD", "CR", "NE"],
            "progression_date": pd.to_datetime(["2012-09-01", "2019-08-01", None, None, "2022-01-01", "2017-03-01"]),
        }
    )


def test_spec_is_normalised_whatever_the_click_order() -> None:
    a = FilterSpec.create(bclc=["C", "B", "C"], ecog=[1, 0])
    b = FilterSpec.create(bclc=("B", "C"), ecog=(0, 1))
    assert a == b and hash(a) == hash(b)
    assert a.bclc == ("B", "C")


def test_query_round_trip_keeps_every_filter() -> None:
    spec = FilterSpec.create(
        first_line=["lenvatinib"],
        pp="ici",
        ici="yes",
        bclc=["B", "C"],
        child_pugh=["A"],
        albi=["2a"],
        etiology=["HCV"],
        ecog=[0, 1],
        center=["KLC-01"],
        start_year=(2018, 2021),
        age=(60, 80),
        response=["PR"],
        progressed="no",
    )
    query = spec.to_query()
    assert "first_line=lenvatinib" in query and "bclc=B,C" in query and "start_year=2018-2021" in query
    parsed, dropped = FilterSpec.parse_query("?" + query)
    assert parsed == spec
    assert dropped == ()


def test_empty_spec_has_empty_query() -> None:
    assert FilterSpec().to_query() == ""
    assert FilterSpec.parse_query("") == (FilterSpec(), ())
    assert FilterSpec().describe() == "all patients"


def test_invalid_query_parts_are_dropped_and_reported_not_raised() -> None:
    spec, dropped = FilterSpec.parse_query("first_line=aspirin&bclc=C&ecog=x&age=90-60&pp=banana&endpoint=os")
    assert spec == FilterSpec.create(bclc=["C"])
    joined = " | ".join(dropped)
    assert "first_line=aspirin" in joined and "ecog=x" in joined and "age=90-60" in joined and "pp=banana" in joined
    assert len(dropped) == 4  # 'endpoint' is a view key, not a filter: ignored silently


def test_create_rejects_unknown_values_with_the_filter_named() -> None:
    with pytest.raises(ValueError, match="BCLC stage"):
        FilterSpec.create(bclc=["E"])
    with pytest.raises(ValueError, match="post-progression"):
        FilterSpec.create(pp="maybe")


def test_apply_filters_selects_and_records_the_flow() -> None:
    frame = _cohort()
    result = apply_filters(frame, FilterSpec.create(first_line=["lenvatinib"], bclc=["C"]))
    assert list(result.frame["patient_id"]) == ["p3", "p5"]
    assert result.n == 2 and result.n_total == 6
    assert [(s.n_before, s.n_after) for s in result.steps] == [(6, 3), (3, 2)]
    assert result.steps[0].label == "first-line drug: lenvatinib"
    assert result.steps[1].excluded == 1


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"pp": "none"}, ["p3", "p4"]),
        ({"pp": "received"}, ["p1", "p2", "p5", "p6"]),
        ({"pp": "ici"}, ["p2", "p6"]),
        ({"pp": "locoregional"}, ["p5"]),
        ({"ici": "yes"}, ["p2", "p6"]),
        ({"ici": "no"}, ["p1", "p3", "p4", "p5"]),
        ({"ecog": [0]}, ["p1", "p4"]),  # p6 has no ECOG: excluded by an ECOG filter
        ({"start_year": (2016, 2019)}, ["p2", "p6"]),
        ({"age": (64, 75)}, ["p1", "p3", "p4"]),
        ({"center": ["KLC-02"]}, ["p2", "p5"]),
        ({"bclc": ["B", "C"]}, ["p1", "p2", "p3", "p5", "p6"]),  # missing BCLC excluded
        ({"albi": ["2a", "2b"], "child_pugh": ["A"]}, ["p2", "p5"]),
        ({"etiology": ["HCV", "other"]}, ["p1", "p3", "p6"]),
        ({"response": ["PR", "CR"]}, ["p2", "p5"]),
        ({"progressed": "yes"}, ["p1", "p2", "p5", "p6"]),
        ({"progressed": "no"}, ["p3", "p4"]),
    ],
)
def test_each_filter_keeps_the_right_patients(kwargs: dict[str, object], expected: list[str]) -> None:
    result = apply_filters(_cohort(), FilterSpec.create(**kwargs))  # type: ignore[arg-type]
    assert list(result.frame["patient_id"]) == expected


def test_a_subgroup_with_no_patients_is_an_empty_frame_not_an_error() -> None:
    result = apply_filters(_cohort(), FilterSpec.create(first_line=["lenvatinib"], etiology=["alcohol"]))
    assert result.n == 0
    assert result.steps[-1].n_after == 0


def test_filter_options_lists_levels_present() -> None:
    options = filter_options(_cohort())
    assert options["center"] == ("KLC-01", "KLC-02", "KLC-03")
    assert options["ecog"] == ("0", "1", "2")


def test_without_resets_one_filter() -> None:
    spec = FilterSpec.create(bclc=["C"], pp="ici")
    assert spec.without("bclc") == FilterSpec.create(pp="ici")
