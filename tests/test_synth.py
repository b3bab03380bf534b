"""The synthetic KLC-like cohort: the bundled file reproduces the study's published figures,
is really generated (byte-identical to ``generate_cohort(513, 2022)``), and every patient's
course respects the calendar and the order of events.

The targets come from Yano et al., JGH Open 2022 (see /work/shared/FACTS.md): 309 sorafenib /
204 lenvatinib; ORR 15% vs 30%, DCR 50% vs 75% (P < 0.001); PFS and OS not different by drug;
OS longer with post-progression therapy (P < 0.001); after lenvatinib, OS longer with an ICI
than with another post-progression therapy or none (P = 0.004); most ICI recipients had
lenvatinib first; FIB-4, disease control, post-progression therapy and ICI significant in the
multivariable Cox model for OS.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency

from analysis.cohort import derive_endpoints
from analysis.compare import compare_survival
from analysis.cox import fit_cox
from analysis.errors import DataError
from analysis.km import km_by_group
from analysis.schema import AFP_HIGH, DATE_COLUMNS, DERIVED_COLUMNS, INPUT_COLUMNS
from analysis.synth import SynthConfig, cohort_csv, generate_cohort, write_cohort
from cli import main

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "data" / "synthetic_klc.csv"
CONFIG = SynthConfig()


def _read(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype={"albi_grade": "string"})
    for column in DATE_COLUMNS:
        frame[column] = pd.to_datetime(frame[column], format="%Y-%m-%d")
    return frame


@pytest.fixture(scope="module")
def bundled() -> pd.DataFrame:
    return _read(BUNDLED)


@pytest.fixture(scope="module")
def large() -> pd.DataFrame:
    """A bigger cohort from another seed, so that calendar rules are tested on many courses."""
    return generate_cohort(3000, seed=11)


def _logrank_p(frame: pd.DataFrame, endpoint: str, group: pd.Series | str) -> float:
    groups = frame[group] if isinstance(group, str) else group
    return compare_survival(frame[f"{endpoint}_months"], frame[f"{endpoint}_event"], groups).p


def _median(frame: pd.DataFrame, endpoint: str) -> float:
    median = km_by_group(frame, f"{endpoint}_months", f"{endpoint}_event").groups[0].median
    assert median is not None
    return median


# ----------------------------------------------------------------------------- the bundled file is generated


def test_bundled_file_is_exactly_the_generator_output() -> None:
    assert BUNDLED.read_text(encoding="utf-8") == cohort_csv(generate_cohort(513, 2022))


def test_bundled_file_has_the_canonical_columns_and_no_comments(bundled: pd.DataFrame) -> None:
    assert list(bundled.columns) == list(INPUT_COLUMNS) + list(DERIVED_COLUMNS)
    assert not BUNDLED.read_text(encoding="utf-8").startswith("#")
    assert bundled["patient_id"].is_unique
    assert bundled["patient_id"].str.fullmatch(r"SYN-\d{4}").all()


def test_stored_derived_columns_match_derive_endpoints(bundled: pd.DataFrame) -> None:
    recomputed = derive_endpoints(bundled[list(INPUT_COLUMNS)])
    for column in ("os_months", "pfs_months", "pps_months"):
        np.testing.assert_allclose(bundled[column], recomputed[column], atol=5e-5, equal_nan=True)
    for column in ("os_event", "pfs_event", "pps_event", "pp_received", "pp_ici", "disease_control"):
        np.testing.assert_array_equal(bundled[column].fillna(-1), recomputed[column].fillna(-1))
    for column in ("pp_class", "child_pugh_class", "albi_grade"):
        assert (bundled[column].astype(str) == recomputed[column].astype(str)).all(), column


# ----------------------------------------------------------------------------- the study's published figures


def test_drug_counts(bundled: pd.DataFrame) -> None:
    assert bundled["first_line"].value_counts().to_dict() == {"sorafenib": 309, "lenvatinib": 204}


@pytest.mark.parametrize(
    ("column", "sorafenib", "lenvatinib"),
    [("objective_response", 0.15, 0.30), ("disease_control", 0.50, 0.75)],
)
def test_response_rates_and_chi_square(bundled: pd.DataFrame, column: str, sorafenib: float, lenvatinib: float) -> None:
    rates = bundled.groupby("first_line")[column].mean()
    assert abs(rates["sorafenib"] - sorafenib) <= 0.02
    assert abs(rates["lenvatinib"] - lenvatinib) <= 0.02
    table = pd.crosstab(bundled["first_line"], bundled[column])
    assert chi2_contingency(table, correction=False)[1] < 0.001


@pytest.mark.parametrize("endpoint", ["pfs", "os"])
def test_survival_does_not_differ_by_first_line_drug(bundled: pd.DataFrame, endpoint: str) -> None:
    assert _logrank_p(bundled, endpoint, "first_line") > 0.05


def test_os_longer_with_post_progression_therapy(bundled: pd.DataFrame) -> None:
    assert _logrank_p(bundled, "os", "pp_received") < 0.001
    treated = _median(bundled[bundled["pp_received"] == 1], "os")
    untreated = _median(bundled[bundled["pp_received"] == 0], "os")
    assert treated > untreated


def test_after_lenvatinib_ici_beats_other_therapy_and_none(bundled: pd.DataFrame) -> None:
    lenvatinib = bundled[bundled["first_line"] == "lenvatinib"]
    group = np.where(lenvatinib["pp_ici"] == 1, "ici", np.where(lenvatinib["pp_received"] == 1, "other", "none"))
    assert set(group) == {"ici", "other", "none"}
    assert _logrank_p(lenvatinib, "os", pd.Series(group, index=lenvatinib.index)) < 0.01


def test_most_ici_recipients_had_lenvatinib_first(bundled: pd.DataFrame) -> None:
    ici = bundled[bundled["pp_ici"] == 1]
    assert len(ici) >= 20
    assert (ici["first_line"] == "lenvatinib").mean() > 0.5


def test_multivariable_cox_for_os(bundled: pd.DataFrame) -> None:
    covariates = ["fib4", "disease_control", "pp_received", "pp_ici"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = fit_cox(bundled, "os_months", "os_event", covariates)
    terms = {term.term: term for term in result.terms}
    for name in covariates:
        assert terms[name].p < 0.05, name
    assert terms["fib4"].hr > 1
    assert terms["disease_control"].hr < 1
    assert terms["pp_received"].hr < 1
    assert terms["pp_ici"].hr < 1


def test_medians_overall(bundled: pd.DataFrame) -> None:
    assert 12.0 <= _median(bundled, "os") <= 16.0
    assert 3.0 <= _median(bundled, "pfs") <= 6.0


def test_baseline_distributions_are_plausible(bundled: pd.DataFrame) -> None:
    assert 70 <= bundled["age"].median() <= 76
    assert 0.74 <= (bundled["sex"] == "M").mean() <= 0.86
    assert 0.33 <= (bundled["etiology"] == "HCV").mean() <= 0.47
    assert 0.25 <= (bundled["afp"] >= AFP_HIGH).mean() <= 0.42
    assert 3.0 <= bundled["fib4"].median() <= 4.5
    assert bundled["bclc"].isin(["B", "C"]).mean() > 0.85
    assert (bundled["child_pugh_score"] <= 6).mean() > 0.65
    assert bundled["ecog"].isin([0, 1]).mean() > 0.9
    assert (bundled["response_criteria"] == "mRECIST").mean() > 0.8
    # ALBI follows Child-Pugh: worse class, higher (worse) ALBI score.
    by_class = bundled.groupby("child_pugh_class")["albi_score"].mean()
    assert by_class["B"] > by_class["A"] + 0.3


def test_about_half_of_progressors_receive_post_progression_therapy(bundled: pd.DataFrame) -> None:
    progressed = bundled[bundled["progression_date"].notna()]
    assert 0.35 <= progressed["pp_received"].mean() <= 0.60


# ----------------------------------------------------------------------------- order of events and calendar


def _check_course(frame: pd.DataFrame) -> None:
    start, progression = frame["first_line_start"], frame["progression_date"]
    pp_start, last, death = frame["pp_start"], frame["last_contact_date"], frame["death_date"]
    assert (start >= pd.Timestamp(CONFIG.enrol_start)).all()
    assert (start <= pd.Timestamp(CONFIG.enrol_end)).all()
    assert (last <= pd.Timestamp(CONFIG.cutoff)).all()
    assert (last >= start).all()
    progressed = progression.notna()
    assert (progression[progressed] > start[progressed]).all()
    assert (last[progressed] >= progression[progressed]).all()
    died = death.notna()
    assert (death[died] == last[died]).all()
    assert (death[died & progressed] >= progression[died & progressed]).all()
    treated = frame["pp_therapy"] != "none"
    assert (pp_start.notna() == treated).all()
    assert (progressed[treated]).all()
    assert ((pp_start[treated] - progression[treated]).dt.days >= 7).all()
    assert (pp_start[treated] <= last[treated]).all()


def _check_calendar(frame: pd.DataFrame) -> None:
    lenvatinib = frame["first_line"] == "lenvatinib"
    assert (frame.loc[lenvatinib, "first_line_start"] >= pd.Timestamp("2018-03-01")).all()
    therapy, pp_start = frame["pp_therapy"], frame["pp_start"]
    atezo = therapy == "atezolizumab_bevacizumab"
    assert (pp_start[atezo] >= pd.Timestamp("2020-09-01")).all()
    assert (frame.loc[therapy == "ramucirumab", "afp"] >= AFP_HIGH).all()
    assert (pp_start[therapy == "ramucirumab"] >= pd.Timestamp(CONFIG.ramucirumab_from)).all()
    regorafenib = therapy == "regorafenib"
    assert (frame.loc[regorafenib, "first_line"] == "sorafenib").all()
    assert (pp_start[regorafenib] >= pd.Timestamp(CONFIG.regorafenib_from)).all()
    assert (pp_start[therapy == "cabozantinib"] >= pd.Timestamp(CONFIG.cabozantinib_from)).all()
    assert not (lenvatinib & (therapy == "lenvatinib")).any()
    assert not (~lenvatinib & (therapy == "sorafenib")).any()


def test_bundled_courses_are_in_order(bundled: pd.DataFrame) -> None:
    _check_course(bundled)


def test_bundled_calendar_is_respected(bundled: pd.DataFrame) -> None:
    _check_calendar(bundled)
    assert (bundled.loc[bundled["first_line_start"] < pd.Timestamp("2018-03-01"), "first_line"] == "sorafenib").all()


def test_other_seeds_keep_the_calendar_and_the_order(large: pd.DataFrame) -> None:
    _check_course(large)
    _check_calendar(large)
    assert (large["pp_therapy"] == "atezolizumab_bevacizumab").sum() > 50  # the rule was really exercised
    assert (large["pp_therapy"] == "ramucirumab").sum() > 5


def test_ici_use_clusters_in_late_years_and_after_lenvatinib(large: pd.DataFrame) -> None:
    progressed = large[large["progression_date"].notna()]
    late = progressed["progression_date"] >= pd.Timestamp("2020-10-01")
    assert progressed.loc[late, "pp_ici"].mean() > 5 * progressed.loc[~late, "pp_ici"].mean()
    ici = large[large["pp_ici"] == 1]
    assert (ici["first_line"] == "lenvatinib").mean() > 0.5


def test_enrolment_is_denser_in_later_years(large: pd.DataFrame) -> None:
    years = large["first_line_start"].dt.year.value_counts()
    assert years[[2018, 2019, 2020]].mean() > years[[2011, 2012, 2013]].mean()


def test_confounding_by_indication(large: pd.DataFrame) -> None:
    """Who is treated after progression depends on liver function and performance status."""
    progressed = large[large["progression_date"].notna()]
    good = (progressed["child_pugh_score"] == 5) & (progressed["ecog"] == 0)
    poor = (progressed["child_pugh_score"] >= 7) | (progressed["ecog"] == 2)
    assert progressed.loc[good, "pp_received"].mean() > progressed.loc[poor, "pp_received"].mean() + 0.2


# ----------------------------------------------------------------------------- determinism and sizes


def test_same_seed_gives_identical_cohort_and_csv() -> None:
    first, second = generate_cohort(200, seed=5), generate_cohort(200, seed=5)
    pd.testing.assert_frame_equal(first, second)
    assert cohort_csv(first) == cohort_csv(second)


def test_different_seed_gives_a_different_cohort() -> None:
    assert cohort_csv(generate_cohort(200, seed=5)) != cohort_csv(generate_cohort(200, seed=6))


@pytest.mark.parametrize(("n", "sorafenib"), [(100, 60), (1026, 618), (1, 1)])
def test_drug_split_keeps_the_study_proportions(n: int, sorafenib: int) -> None:
    counts = generate_cohort(n, seed=3)["first_line"].value_counts()
    assert len(generate_cohort(n, seed=3)) == n
    assert counts.get("sorafenib", 0) == sorafenib
    assert counts.get("lenvatinib", 0) == n - sorafenib


@pytest.mark.parametrize("n", [0, -5, 2.5, True])
def test_bad_size_is_a_data_error(n: object) -> None:
    with pytest.raises(DataError, match="number of synthetic patients"):
        generate_cohort(n)  # type: ignore[arg-type]


def test_config_with_impossible_calendar_is_a_data_error() -> None:
    with pytest.raises(DataError, match="calendar"):
        SynthConfig(lenvatinib_from=CONFIG.enrol_start)


def test_csv_formats(tmp_path: Path) -> None:
    path = write_cohort(generate_cohort(50, seed=9), tmp_path / "c.csv")
    text = path.read_text(encoding="utf-8")
    header, first = text.splitlines()[:2]
    row = dict(zip(header.split(","), first.split(","), strict=True))
    assert pd.Timestamp(row["first_line_start"]).strftime("%Y-%m-%d") == row["first_line_start"]
    assert row["age"].isdigit()
    assert row["mvi"] in {"0", "1"} and row["os_event"] in {"0", "1"}
    assert len(row["os_months"].partition(".")[2]) <= 4
    assert "\r" not in text and "nan" not in text.lower() and "NaT" not in text


# ----------------------------------------------------------------------------- command line


def test_cli_writes_a_cohort(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "small.csv"
    assert main(["synth", "--n", "40", "--seed", "1", "--out", str(out)]) == 0
    assert "SYNTHETIC" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == cohort_csv(generate_cohort(40, 1))


def test_cli_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["synth", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--seed" in out and "--out" in out and "SYNTHETIC" in out


def test_cli_rejects_a_bad_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["synth", "--n", "0", "--out", str(tmp_path / "x.csv")]) == 2
    assert "number of synthetic patients" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()
