"""The optional measurements at progression (``*_pd``): validation, mapping and the synthetic generator."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.cohort import load_bundled_cohort, validate_cohort
from analysis.ingest import suggest_columns
from analysis.km import kaplan_meier
from analysis.schema import PROGRESSION_COLUMNS, REQUIRED_COLUMNS
from analysis.synth import SynthConfig, generate_cohort


def _frame() -> pd.DataFrame:
    frame = generate_cohort(40, seed=7)
    return frame[[c for c in frame.columns if c in (*REQUIRED_COLUMNS, *PROGRESSION_COLUMNS)]].astype(object)


def test_a_file_without_the_columns_is_valid_and_has_the_same_fingerprint_as_one_with_them_empty() -> None:
    without = validate_cohort(_frame().drop(columns=list(PROGRESSION_COLUMNS)), source="a.csv")
    empty = validate_cohort(_frame().assign(**dict.fromkeys(PROGRESSION_COLUMNS, None)), source="b.csv")
    assert without.report.usable and without.report.issues == ()
    assert all(without.frame[c].isna().all() for c in PROGRESSION_COLUMNS)
    assert without.fingerprint == empty.fingerprint
    full = validate_cohort(_frame(), source="c.csv")
    assert full.report.issues == () and full.fingerprint != without.fingerprint
    assert full.frame["ecog_pd"].notna().sum() == full.frame["progression_date"].notna().sum()


def test_out_of_range_and_values_without_progression_name_the_row_and_column() -> None:
    frame = _frame()
    progressed = int(np.flatnonzero(frame["progression_date"].notna().to_numpy())[0])
    never = int(np.flatnonzero(frame["progression_date"].isna().to_numpy())[0])
    frame.loc[progressed, "child_pugh_score_pd"] = 16
    frame.loc[progressed, "ecog_pd"] = 1.5
    frame.loc[never, "afp_pd"] = 12.0
    cohort = validate_cohort(frame, source="pd.csv")
    issues = {(i.row, i.column, i.severity): i.message for i in cohort.report.issues}
    row = f"row {progressed + 2}"
    assert "outside the allowed range 5 to 15" in issues[(row, "child_pugh_score_pd", "error")]
    assert "is not a whole number" in issues[(row, "ecog_pd", "error")]
    stray = issues[(f"row {never + 2}", "afp_pd", "warning")]
    assert stray == "afp_pd is 12 but progression_date is empty; the value is not used"
    kept = cohort.frame.set_index("patient_id")
    assert pd.isna(kept.loc[frame.loc[never, "patient_id"], "afp_pd"])


def test_english_and_japanese_headers_map_to_the_columns() -> None:
    headers = ["増悪時Child-Pugh", "ALBI at progression", "増悪時PS", "AFP at PD (ng/mL)", "Child-Pugh score"]
    mapped = {s.canonical: s.source for s in suggest_columns(headers)}
    assert mapped["child_pugh_score_pd"] == "増悪時Child-Pugh"
    assert mapped["albi_score_pd"] == "ALBI at progression"
    assert mapped["ecog_pd"] == "増悪時PS"
    assert mapped["afp_pd"] == "AFP at PD (ng/mL)"
    assert mapped["child_pugh_score"] == "Child-Pugh score"


def test_bundled_cohort_state_at_progression_is_calibrated_to_the_facts() -> None:
    frame = load_bundled_cohort().frame
    progressed = frame[frame["progression_date"].notna()]
    assert progressed[list(PROGRESSION_COLUMNS)].notna().all().all()
    # FACTS: only 41-56% of patients are fit for second line (here Child-Pugh A and ECOG 0-1 at progression)
    fit = (progressed["child_pugh_score_pd"] <= 6) & (progressed["ecog_pd"] <= 1)
    assert 0.41 <= fit.mean() <= 0.56
    # liver function worsens; fitness at progression drives who is treated (confounding by indication)
    assert (progressed["child_pugh_score_pd"] >= progressed["child_pugh_score"]).all()
    assert progressed["albi_score_pd"].mean() > progressed["albi_score"].mean()
    assert progressed.loc[fit, "pp_received"].mean() > 2 * progressed.loc[~fit, "pp_received"].mean()
    # survival after failure falls steeply with the Child-Pugh class at failure (FACTS: A 7.5, B 1.3, C 1.0 months)
    klass = np.select([progressed["child_pugh_score_pd"] <= 6, progressed["child_pugh_score_pd"] <= 9], ["A", "B"], "C")
    medians = {}
    for name in ("A", "B", "C"):
        rows = progressed[klass == name]
        medians[name] = kaplan_meier(rows["pps_months"], rows["pps_event"]).median
    assert medians["A"] is not None and medians["B"] is not None and medians["C"] is not None
    assert medians["A"] > 2.5 * medians["B"] and medians["B"] > 2 * medians["C"]


def test_the_new_columns_leave_every_other_column_unchanged() -> None:
    """They come from a random stream of their own: the other columns match a generator without them."""
    plain = generate_cohort(300, seed=11)
    slower = generate_cohort(300, seed=11, config=SynthConfig(albi_decline_sd=0.4, afp_log_growth_mean=1.5))
    others = [c for c in plain.columns if c not in ("albi_score_pd", "afp_pd")]
    pd.testing.assert_frame_equal(plain[others], slower[others])
    assert not plain["albi_score_pd"].equals(slower["albi_score_pd"])
