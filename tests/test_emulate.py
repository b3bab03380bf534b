"""Target-trial emulation (clone–censor–weight) of post-progression therapy: simulations with a known answer."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from analysis.cohort import bundled_cohort_path, load_bundled_cohort, validate_cohort
from analysis.cox import fit_cox
from analysis.emulate import emulate_trial, emulation_rows
from analysis.errors import DataError, PPXError
from analysis.schema import PROGRESSION_COLUMNS
from analysis.synth import generate_cohort

RATE = math.log(2) / 6.0  # untreated survival after progression: exponential, median 6 months


def simulated_cohort(n: int, seed: int, hr: float, grace: float = 3.0) -> tuple[pd.DataFrame, float]:
    """A canonical cohort whose course after progression has a known effect of therapy, and that effect.

    The first line comes from the generator. After progression each patient has
    a latent frailty E ~ Exp(1): untreated, death comes at E / RATE. Fitness at
    progression (Child-Pugh score, ECOG) is a noisy function of E: fitter
    patients live longer, are treated more often AND sooner (confounding by
    indication); therapy depends on the measured fitness only. From the day it
    starts, therapy multiplies the hazard by ``hr``.

    Returns the cohort and the true hazard ratio of the emulated trial's
    strategies ("start within ``grace`` months at one's own delay" vs "never"),
    from both potential outcomes of every patient (no confounding, same censoring).
    """
    rng = np.random.default_rng(seed)
    frame = generate_cohort(n, seed=seed).copy()
    progressed = frame["progression_date"].notna().to_numpy()
    m = int(progressed.sum())
    frailty = rng.exponential(1.0, m)
    z = norm.ppf(np.clip(1.0 - np.exp(-frailty), 1e-9, 1 - 1e-9))  # normal score: high = long-lived
    child_pugh = np.clip(np.round(6.6 - 1.1 * z + rng.normal(0, 0.7, m)), 5, 12)
    ecog = np.clip(np.round(0.9 - 0.6 * z + rng.normal(0, 0.5, m)), 0, 4)
    unfit = 0.9 * (child_pugh - 6) + 0.9 * ecog
    assigned = rng.random(m) < 1 / (1 + np.exp(-(1.8 - unfit)))
    start = np.ceil(2.0 + rng.exponential(3.0 * np.exp(0.3 * unfit), m))  # days: fitter patients treated sooner
    untreated_death = frailty / RATE * 30.4375  # days
    alive_at_start = start < untreated_death
    treated_death = np.where(alive_at_start, start + (untreated_death - start) / hr, untreated_death)
    follow = np.minimum(rng.exponential(900.0, m), 1200.0)  # loss to follow-up / administrative end
    treated = assigned & alive_at_start & (start <= follow)
    death = np.where(treated, treated_death, untreated_death)
    died = death <= follow
    end = np.maximum(np.ceil(np.where(died, death, follow)).astype(int), 1)
    progression = frame.loc[progressed, "progression_date"]
    days = pd.to_timedelta(end, unit="D")
    frame.loc[progressed, "last_contact_date"] = (progression + days).to_numpy()
    frame.loc[progressed, "death_date"] = np.where(died, (progression + days).to_numpy(), np.datetime64("NaT"))
    frame.loc[progressed, "pp_therapy"] = np.where(treated, "regorafenib", "none")
    pp_start = progression + pd.to_timedelta(start.astype(int), unit="D")
    frame.loc[progressed, "pp_start"] = np.where(treated, pp_start.to_numpy(), np.datetime64("NaT"))
    frame.loc[progressed, "child_pugh_score_pd"] = child_pugh
    frame.loc[progressed, "ecog_pd"] = ecog
    frame = frame.drop(columns=["albi_score_pd", "afp_pd"])
    cohort = validate_cohort(frame, source="simulation")
    assert cohort.report.usable and not cohort.report.errors()
    # the truth: everyone under "start at one's own delay if within the grace period" vs everyone never treated
    within = start / 30.4375 <= grace
    strategy = np.where(within, treated_death, untreated_death)
    both = pd.DataFrame(
        {
            "time": np.r_[np.minimum(strategy, follow), np.minimum(untreated_death, follow)],
            "event": np.r_[strategy <= follow, untreated_death <= follow].astype(int),
            "treat": np.r_[np.ones(m), np.zeros(m)],
        }
    )
    truth = fit_cox(both, "time", "event", ["treat"]).terms[0].hr
    return cohort.frame, truth


def covers(ci: tuple[float | None, float | None], value: float) -> bool:
    lo, hi = ci
    assert lo is not None and hi is not None
    return lo <= value <= hi


@pytest.mark.slow
def test_no_effect_fitter_treated_sooner_naive_and_time_varying_are_biased_the_emulation_is_not() -> None:
    frame, truth = simulated_cohort(3000, seed=31, hr=1.0, grace=1.0)
    assert truth == pytest.approx(1.0)
    result = emulate_trial(frame, grace=1, n_bootstrap=100, seed=1, covariates=("age",))
    assert result.naive.estimate is not None and result.naive.estimate < 0.6  # immortal time + confounding
    assert result.time_varying_unadjusted.estimate is not None and result.time_varying_unadjusted.estimate < 0.8
    assert covers(result.hr.ci, 1.0), result.summary()
    assert covers(result.rmst_difference.ci, 0.0), result.summary()
    assert result.weights.truncation_percentile == 100 and result.notes == ()


@pytest.mark.slow
def test_a_true_hazard_ratio_of_0_7_is_recovered_and_1_is_excluded() -> None:
    frame, truth = simulated_cohort(3000, seed=33, hr=0.7, grace=1.0)
    assert truth == pytest.approx(0.7, abs=0.02)  # the strategies' marginal HR, from both potential outcomes
    result = emulate_trial(frame, grace=1, n_bootstrap=100, seed=2, covariates=("age",))
    assert covers(result.hr.ci, 0.7) and covers(result.hr.ci, truth), result.summary()
    assert not covers(result.hr.ci, 1.0), result.summary()
    assert result.rmst_difference.ci[0] is not None and result.rmst_difference.ci[0] > 0


def test_weighted_cox_and_km_on_the_clones_match_r() -> None:
    """The clone rows of the bundled cohort (grace 3 months), analysed by R's survival package.

    R (survival 3.x), after ``rows = emulation_rows(load_bundled_cohort().frame, grace=3)`` written to rows.csv:
        rows <- read.csv("rows.csv")
        fit <- coxph(Surv(start, stop, event) ~ arm, data = rows, weights = weight, cluster = patient_id,
                     ties = "efron")
        coef(fit); sqrt(fit$naive.var); sqrt(vcov(fit))  # -0.0674663118  0.0760724295  0.1253172640 (robust)
        summary(survfit(Surv(start, stop, event) ~ arm, data = rows, weights = weight), times = c(6, 12))$surv
        # 0.5631192878 0.3532496744 (arm 0)  0.5730500574 0.4444990524 (arm 1)
    """
    frame = load_bundled_cohort().frame
    result = emulate_trial(frame, grace=3, n_bootstrap=0)
    assert math.log(result.hr.estimate or 0) == pytest.approx(-0.0674663118, abs=1e-8)
    assert result.log_hr_se_model == pytest.approx(0.0760724295, abs=1e-8)
    # the robust (sandwich, clustered by patient) CI comes from analysis.cox.fit_cox(weights=, robust=True, cluster=)
    robust_se = 0.1253172640
    lo, hi = result.hr_robust.ci
    assert result.hr_robust.estimate == pytest.approx(result.hr.estimate, rel=1e-8)
    assert lo is not None and hi is not None
    assert math.log(hi / lo) / (2 * 1.959963984540054) == pytest.approx(robust_se, abs=1e-8)
    no_treat, treat = result.arms
    assert [p.survival for p in no_treat.survival] == pytest.approx([0.5631192878, 0.3532496744], abs=1e-9)
    assert [p.survival for p in treat.survival] == pytest.approx([0.5730500574, 0.4444990524], abs=1e-9)
    rows = emulation_rows(frame, grace=3)
    assert set(rows.columns) == {"patient_id", "arm", "start", "stop", "event", "weight"}
    assert rows.groupby(["patient_id", "arm"]).size().max() <= 15  # weekly rows in the grace period, then one
    assert ((rows["stop"] - rows["start"]) > 0).all()


def test_bundled_cohort_flow_bootstrap_progress_and_cancel() -> None:
    frame = load_bundled_cohort().frame
    calls: list[tuple[int, int]] = []
    result = emulate_trial(frame, grace=3, n_bootstrap=20, seed=3, progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (20, 20) and len(calls) == 20
    assert result.n_eligible + result.n_excluded == len(frame) == result.n_total
    assert result.exclusions[0].reason == "no progression recorded"
    assert sum(e.n for e in result.exclusions) == result.n_excluded
    assert result.covariates_pd == PROGRESSION_COLUMNS and not result.baseline_only
    lo, hi = result.hr.ci
    assert lo is not None and hi is not None and lo < (result.hr.estimate or 0) < hi
    again = emulate_trial(frame, grace=3, n_bootstrap=20, seed=3)
    assert again.hr == result.hr  # seeded
    keys = {"grace", "therapy", "n_eligible", "n_excluded", "arms", "hr", "rmst_difference", "naive", "time_varying"}
    assert keys <= set(result.to_dict())
    with pytest.raises(PPXError, match="cancelled"):
        emulate_trial(frame, grace=3, n_bootstrap=20, should_stop=lambda: True)


def test_without_progression_columns_it_adjusts_for_baseline_only_and_says_so() -> None:
    frame = load_bundled_cohort().frame.assign(**dict.fromkeys(PROGRESSION_COLUMNS, np.nan))
    result = emulate_trial(frame, grace=3, n_bootstrap=0)
    assert result.baseline_only and result.covariates_pd == ()
    assert "adjusts for baseline covariates only" in result.notes[0]
    assert "baseline covariates only" in result.summary()


def test_bad_options_and_too_few_treated_give_clear_messages() -> None:
    frame = load_bundled_cohort().frame
    with pytest.raises(DataError, match="grace period must be more than 0"):
        emulate_trial(frame, grace=0)
    with pytest.raises(DataError, match="therapy must be one of any, ici"):
        emulate_trial(frame, therapy="tki")
    with pytest.raises(DataError, match="covariate column 'nope' is not in the cohort"):
        emulate_trial(frame, covariates=("nope",))
    few = frame.copy()
    ici = few["pp_ici"] == 1
    few.loc[ici[ici].index[5:], ["pp_ici"]] = 0
    with pytest.raises(DataError, match=r"only \d of \d+ eligible patients started an immune checkpoint inhibitor"):
        emulate_trial(few, therapy="ici", grace=3, n_bootstrap=0)


@pytest.mark.slow
def test_cli_json_contract_text_and_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from cli import main

    data = str(bundled_cohort_path())
    rows = tmp_path / "rows.csv"
    code = main(["emulate", "--data", data, "--grace", "3", "--bootstrap", "10", "--json", "--rows", str(rows)])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["grace"], out["therapy"], out["n_eligible"] + out["n_excluded"]) == (3.0, "any", 513)
    assert [a["arm"] for a in out["arms"]] == ["no_treat", "treat"]
    assert set(out["arms"][0]["survival"][0]) == {"time", "survival", "ci"} and "median" in out["arms"][0]
    assert set(out["hr"]) == {"estimate", "ci"} and set(out["rmst_difference"]) == {"tau", "estimate", "ci"}
    assert set(out["naive"]) == {"hr", "ci"} and set(out["time_varying"]) == {"hr", "ci"}
    assert pd.read_csv(rows)["weight"].min() >= 1.0
    assert main(["emulate", "--data", data, "--grace", "3", "--bootstrap", "0"]) == 0
    text = capsys.readouterr().out
    assert "Weighted Cox HR (treat vs not)" in text and "naive HR from first-line start" in text
    assert main(["emulate", "--data", data, "--grace", "0.2", "--therapy", "ici"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ppx emulate: error:") and "only 0 of 443 eligible patients" in err
    assert "Traceback" not in err


def test_the_per_patient_censoring_model_fit_equals_the_plain_logistic_regression() -> None:
    from analysis import emulate_engine as engine
    from analysis.emulate import DEFAULT_BASELINE, _setup

    _, trial, *_ = _setup(load_bundled_cohort().frame, 3.0, "any", None, DEFAULT_BASELINE)
    counts = np.random.default_rng(4).poisson(1.0, trial.n).astype(np.float64)
    fast = engine.fit_pooled_logistic(trial, counts)
    plain = engine.fit_logistic(trial.pp_design, trial.pp_outcome, counts[trial.pp_patient])
    assert fast == pytest.approx(plain, abs=1e-6)
