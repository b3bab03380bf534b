"""Immortal-time-safe analyses: landmark rules, counting-process split, and a null-effect simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.compare import compare_survival
from analysis.cox import fit_cox
from analysis.errors import DataError, EmptyGroupError
from analysis.postprog import (
    aalen_johansen,
    counting_process,
    immortal_time_comparison,
    landmark_analysis,
    landmark_frame,
    simon_makuch,
    time_varying_cox,
    treatment_sequences,
)
from analysis.schema import DAYS_PER_MONTH

START = pd.Timestamp("2020-01-01")


def _cohort(rows: list[tuple[str, float, int, float | None, int]]) -> pd.DataFrame:
    """rows: (patient_id, os_months, os_event, months to pp_start or None, pp_ici)."""
    out = []
    for pid, os_months, died, pp, ici in rows:
        out.append(
            {
                "patient_id": pid,
                "first_line_start": START,
                "pp_start": None if pp is None else START + pd.Timedelta(days=round(pp * DAYS_PER_MONTH)),
                "os_months": os_months,
                "os_event": died,
                "pp_received": int(pp is not None),
                "pp_ici": ici,
            }
        )
    frame = pd.DataFrame(out)
    frame["pp_start"] = pd.to_datetime(frame["pp_start"])
    return frame


HAND = _cohort(
    [
        ("a", 2.0, 1, None, 0),  # died before the 6-month landmark: excluded
        ("b", 5.0, 0, None, 0),  # censored before the landmark: excluded
        ("c", 6.0, 1, 3.0, 1),  # died exactly at the landmark: not alive after it, excluded
        ("d", 10.0, 1, 4.0, 0),  # treated at 4 months: exposed at the landmark, time 4
        ("e", 12.0, 0, 182 / DAYS_PER_MONTH, 1),  # treated on day 182, just before the landmark (182.6 days)
        ("f", 9.0, 1, 8.0, 0),  # treated after the landmark: unexposed at the landmark, time 3
        ("g", 20.0, 1, None, 0),  # never treated: unexposed, time 14
    ]
)


def test_landmark_excludes_patients_not_alive_and_followed_beyond_it() -> None:
    data = landmark_frame(HAND, 6.0)
    assert list(data["patient_id"]) == ["d", "e", "f", "g"]
    assert list(data["lm_exposed"]) == [1, 1, 0, 0]
    assert list(data["lm_time"]) == pytest.approx([4.0, 6.0, 3.0, 14.0])
    assert list(data["lm_event"]) == [1, 0, 1, 1]


def test_landmark_grouping_follows_the_exposure_asked_for() -> None:
    data = landmark_frame(HAND, 6.0, "pp_ici")
    assert dict(zip(data["patient_id"], data["lm_exposed"], strict=True)) == {"d": 0, "e": 1, "f": 0, "g": 0}


def test_landmark_analysis_counts_and_groups() -> None:
    result = landmark_analysis(HAND, 6.0)
    assert (result.n_total, result.n_eligible, result.n_excluded) == (7, 4, 3)
    by_group = {g.group: (g.n, g.events) for g in result.km.groups}
    assert by_group == {"No therapy yet": (2, 2), "Post-progression therapy": (2, 1)}
    assert result.test is not None and 0 < result.test.p <= 1


def test_landmark_beyond_all_follow_up_is_a_clear_error() -> None:
    with pytest.raises(EmptyGroupError, match="60-month landmark"):
        landmark_analysis(HAND, 60.0)
    with pytest.raises(DataError, match="landmark"):
        landmark_frame(HAND, -1.0)


def test_counting_process_splits_at_therapy_start() -> None:
    long = counting_process(HAND, ("pp_received", "pp_ici"))
    rows = {
        pid: g[["start", "stop", "event", "pp_received", "pp_ici"]].round(6).values.tolist()
        for pid, g in long.groupby("patient_id")
    }
    d4 = round(round(4.0 * DAYS_PER_MONTH) / DAYS_PER_MONTH, 6)
    assert rows["a"] == [[0.0, 2.0, 1, 0, 0]]
    assert rows["d"] == [[0.0, d4, 0, 0, 0], [d4, 10.0, 1, 1, 0]]
    c3 = round(round(3.0 * DAYS_PER_MONTH) / DAYS_PER_MONTH, 6)
    assert rows["c"] == [[0.0, c3, 0, 0, 0], [c3, 6.0, 1, 1, 1]]
    # total follow-up and events are preserved
    assert long.assign(d=long["stop"] - long["start"])["d"].sum() == pytest.approx(HAND["os_months"].sum())
    assert long["event"].sum() == HAND["os_event"].sum()


def _null_effect_cohort(n: int = 3000, seed: int = 20221) -> pd.DataFrame:
    """Therapy has no effect at all (true HR 1), but it is given only to patients who live to progress.

    Death hazard is constant (median OS about 14 months) and does not depend on
    progression or therapy; progression comes at a median of about 5 months; 60%
    of progressors alive at their therapy date are treated 0.5-1.5 months after
    progression. Administrative censoring at 36 months.
    """
    rng = np.random.default_rng(seed)
    death = rng.exponential(14 / np.log(2), n)
    progression = rng.exponential(5 / np.log(2), n)
    therapy = progression + rng.uniform(0.5, 1.5, n)
    treated = (rng.random(n) < 0.6) & (therapy < death) & (therapy < 36)
    os_months = np.minimum(death, 36.0)
    days = np.round(therapy * DAYS_PER_MONTH)
    return pd.DataFrame(
        {
            "patient_id": [f"S{i:05d}" for i in range(n)],
            "first_line_start": START,
            "pp_start": pd.to_datetime(np.where(treated, START + pd.to_timedelta(days, unit="D"), pd.NaT)),
            "os_months": os_months,
            "os_event": (death <= 36).astype(int),
            "pp_received": treated.astype(int),
            "pp_ici": 0,
        }
    )


def test_naive_analysis_shows_a_spurious_benefit_that_honest_ones_do_not() -> None:
    cohort = _null_effect_cohort()
    naive_test = compare_survival(cohort["os_months"], cohort["os_event"], cohort["pp_received"])
    naive = fit_cox(cohort, "os_months", "os_event", ["pp_received"]).terms[0]
    assert naive_test.p < 1e-6
    assert naive.ci[1] < 0.8  # a large, spurious "benefit"
    varying = time_varying_cox(cohort).terms[0]
    assert varying.ci[0] < 1.0 < varying.ci[1]
    landmark = landmark_analysis(cohort, 6.0)
    assert landmark.hr is not None
    assert landmark.hr.ci[0] < 1.0 < landmark.hr.ci[1]
    sm = simon_makuch(cohort)
    assert sm.test is not None and sm.test.p > 0.05
    comparison = immortal_time_comparison(cohort, landmark=6.0)
    assert "shrinks" in comparison.summary()
    assert comparison.notes == ()


def test_aalen_johansen_matches_r_multistate_survfit() -> None:
    # R 4.2.2, survival 3.5-3:
    #   t <- c(1,2,2,3,4,5,5,6,7,8); c <- c(1,2,0,1,1,2,1,0,1,2)
    #   s <- summary(survfit(Surv(t, factor(c, 0:2)) ~ 1)); cbind(s$time, s$pstate[, 2])
    time = np.array([1, 2, 2, 3, 4, 5, 5, 6, 7, 8], dtype=np.float64)
    cause = np.array([1, 2, 0, 1, 1, 2, 1, 0, 1, 2])
    times, incidence = aalen_johansen(time, cause)
    assert list(times) == [1, 2, 3, 4, 5, 7, 8]
    expected = [0.1, 0.1, 0.214285714286, 0.328571428571, 0.442857142857, 0.614285714286, 0.614285714286]
    assert incidence == pytest.approx(expected, abs=1e-9)


def test_treatment_sequences_count_every_patient_at_every_stage() -> None:
    frame = HAND.assign(
        first_line=["sorafenib", "lenvatinib", "lenvatinib", "sorafenib", "lenvatinib", "sorafenib", "sorafenib"],
        best_response=["PD", "SD", "PR", "SD", "PR", "PD", "SD"],
        progression_date=[pd.NaT, pd.NaT, START, START, START, START, pd.NaT],
        pp_class=["none", "none", "ici", "tki", "ici", "tki", "none"],
    )
    flows = treatment_sequences(frame)
    stage_totals: dict[tuple[str, str], int] = {}
    for link in flows.links:
        left = flows.nodes[link.source][0]
        right = flows.nodes[link.target][0]
        stage_totals[(left, right)] = stage_totals.get((left, right), 0) + link.count
    assert stage_totals[("first_line", "best_response")] == 7
    assert stage_totals[("best_response", "progressed")] == 7
    assert stage_totals[("progressed", "pp_class")] == 4
    assert stage_totals[("pp_class", "status")] == 4
    assert stage_totals[("progressed", "status")] == 3
    lenvatinib_pr = [
        link
        for link in flows.links
        if flows.nodes[link.source] == ("first_line", "lenvatinib")
        and flows.nodes[link.target] == ("best_response", "PR")
    ]
    assert lenvatinib_pr[0].count == 2
    assert lenvatinib_pr[0].filters == (("first_line", "lenvatinib"), ("response", "PR"))


def test_ppx_cox_time_varying_and_ppx_landmark_on_the_bundled_file(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from analysis.cohort import bundled_cohort_path, load_bundled_cohort
    from cli import main

    path = str(bundled_cohort_path())
    frame = load_bundled_cohort().frame
    argv = ["cox", "--data", path, "--time", "os_months", "--event", "os_event", "--covariates", "fib4"]
    assert main([*argv, "--time-varying", "pp_received,pp_ici", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    direct = time_varying_cox(frame, ("pp_received", "pp_ici"), ("fib4",))
    assert [t["term"] for t in out["terms"]] == ["pp_received", "pp_ici", "fib4"]
    assert [t["hr"] for t in out["terms"]] == pytest.approx([t.hr for t in direct.terms], rel=1e-10)
    naive = fit_cox(frame, "os_months", "os_event", ["pp_received", "pp_ici", "fib4"])
    assert out["terms"][0]["hr"] > naive.terms[0].hr  # the time-varying HR is less flattering

    assert main(["landmark", "--data", path, "--landmark", "6", "--group", "pp_received", "--json"]) == 0
    lm = json.loads(capsys.readouterr().out)
    expected = landmark_analysis(frame, 6.0)
    assert lm["n_eligible"] == expected.n_eligible and lm["n_excluded"] == expected.n_excluded
    assert lm["hr"]["hr"] == pytest.approx(expected.hr.hr if expected.hr else None)
    assert main(["landmark", "--data", path, "--landmark", "-1"]) == 2
    assert "landmark" in capsys.readouterr().err
