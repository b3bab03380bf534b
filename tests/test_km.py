"""Kaplan–Meier (analysis/km.py) against R 4.2.2, survival 3.5-3.

Every constant was printed by R with ``options(digits = 15)`` after

    library(survival); options(digits = 15)
    lung <- read.csv("tests/data/lung.csv")   # R's lung, status 0 = censored, 1 = died

The R code that produced each constant is beside it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis.errors import DataError, EmptyGroupError
from analysis.km import (
    KMGroup,
    confidence_limits,
    encode_groups,
    kaplan_meier,
    km_by_group,
    median_followup,
    natural_key,
)

LUNG = pd.read_csv(Path(__file__).parent / "data" / "lung.csv")
SURVIVAL_ABS = 1e-6
STAT_REL = 1e-4

# R: fit <- survfit(Surv(time, status) ~ sex, data = lung, conf.type = CT)
#    summary(fit)$table[, c("median", "0.95LCL", "0.95UCL")]
R_MEDIANS = {
    "log": {"1": (270.0, 212.0, 310.0), "2": (426.0, 348.0, 550.0)},
    "log-log": {"1": (270.0, 210.0, 306.0), "2": (426.0, 345.0, 524.0)},
    "plain": {"1": (270.0, 212.0, 306.0), "2": (426.0, 345.0, 524.0)},
}

# R: s <- summary(fit, times = c(0, 5, 180, 365, 1000))
#    data.frame(strata = s$strata, time = s$time, n.risk = s$n.risk, surv = s$surv, se = s$std.err,
#               lo = s$lower, up = s$upper)
# (sex = 2 has no row at 1000: its last follow-up is 965 and summary drops times beyond it.)
R_SURVIVAL = {
    "1": {
        0.0: (138, 1.0, 0.0),
        5.0: (138, 1.0, 0.0),
        180.0: (89, 0.6444650015417827, 0.0407864250852950),
        365.0: (35, 0.3360878346393786, 0.0434235888417982),
        1000.0: (2, 0.0357138702934946, 0.0215977664662789),
    },
    "2": {
        0.0: (90, 1.0, 0.0),
        5.0: (90, 0.9888888888888889, 0.0110492102890195),
        180.0: (71, 0.8424017055877832, 0.0386809589313601),
        365.0: (30, 0.5264630301859056, 0.0597368539904425),
    },
}
R_LIMITS = {
    "log": {
        "1": {
            180.0: (0.569284189870938, 0.729574341958118),
            365.0: (0.260900503789725, 0.432942945497811),
            1000.0: (0.010916350446892, 0.116841295774239),
        },
        "2": {
            5.0: (0.967468240209196, 1.0),
            180.0: (0.769899809608012, 0.921731145690910),
            365.0: (0.421486340829101, 0.657585537902179),
        },
    },
    "log-log": {
        "1": {
            180.0: (0.55841247300528796, 0.718013598160678),
            365.0: (0.25272914332797330, 0.421302168222719),
            1000.0: (0.00860267883494887, 0.096827832008604),
        },
        "2": {
            5.0: (0.92374347786706934, 0.998427343805424),
            180.0: (0.74838091615333313, 0.903504304284832),
            365.0: (0.40357982326673075, 0.635316232824086),
        },
    },
    "plain": {
        "1": {
            180.0: (0.564525077316463, 0.7244049257671019),
            365.0: (0.250979164429979, 0.4211965048487784),
            1000.0: (0.0, 0.0780447147139081),
        },
        "2": {
            5.0: (0.967232834664801, 1.0),
            180.0: (0.766588419194844, 0.9182149919807219),
            365.0: (0.409380947814910, 0.6435451125569007),
        },
    },
}


@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
def test_lung_medians_match_r_print_survfit(conf_type: str) -> None:
    result = km_by_group(LUNG, "time", "status", "sex", conf_type=conf_type)
    assert result.conf_type == conf_type
    assert [(g.group, g.n, g.events, g.censored) for g in result.groups] == [("1", 138, 112, 26), ("2", 90, 53, 37)]
    for group in result.groups:
        median, lower, upper = R_MEDIANS[conf_type][group.group]
        assert group.median == median
        assert group.median_ci == (lower, upper)


@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
def test_lung_survival_at_times_matches_r_summary(conf_type: str) -> None:
    result = km_by_group(LUNG, "time", "status", "sex", conf_type=conf_type, times=(0, 5, 180, 365, 1000))
    for group in result.groups:
        by_time = {a.time: a for a in group.at}
        assert list(by_time) == [0.0, 5.0, 180.0, 365.0, 1000.0]
        for time, (n_risk, survival, std_err) in R_SURVIVAL[group.group].items():
            at = by_time[time]
            assert at.n_at_risk == n_risk
            assert at.survival == pytest.approx(survival, abs=SURVIVAL_ABS)
            assert at.std_err == pytest.approx(std_err, abs=SURVIVAL_ABS)
            expected_ci = R_LIMITS[conf_type][group.group].get(time, (1.0, 1.0))
            assert_allclose(at.ci, expected_ci, atol=SURVIVAL_ABS)


def test_beyond_last_follow_up_survival_unknown_but_counts_defined() -> None:
    """R's summary(fit, times = 1000) drops sex = 2 (last follow-up 965); we keep the counts for the risk table."""
    sex2 = km_by_group(LUNG, "time", "status", "sex", times=(1000,)).groups[1]
    (at,) = sex2.at
    assert (at.survival, at.std_err, at.ci) == (None, None, (None, None))
    assert (at.n_at_risk, at.cum_events, at.cum_censored) == (0, 53, 37)


def test_cumulative_events_and_censored_include_t() -> None:
    """Hand count: cumulative events/censored with time <= t; at risk = time >= t."""
    group = kaplan_meier(LUNG["time"], LUNG["status"], times=(180, 365))
    for at in group.at:
        assert at.cum_events == int(((LUNG["time"] <= at.time) & (LUNG["status"] == 1)).sum())
        assert at.cum_censored == int(((LUNG["time"] <= at.time) & (LUNG["status"] == 0)).sum())
        assert at.n_at_risk == int((LUNG["time"] >= at.time).sum())


def test_lung_rmst_matches_r_survmean() -> None:
    """R: fit <- survfit(Surv(time, status) ~ sex, data = lung)
    survival:::survmean(fit, rmean = 365)$matrix[, c("rmean", "se(rmean)")]
    sex=1 241.4950852 10.35822649; sex=2 297.4654095 10.79132398   (lung_R.md)
    and rmean = 1000: sex=1 325.298404522418 22.6687728276690; sex=2 458.816593034641 33.9884777909691
    """
    for tau, expected in {
        365.0: {"1": (241.4950852, 10.35822649), "2": (297.4654095, 10.79132398)},
        1000.0: {"1": (325.298404522418, 22.6687728276690), "2": (458.816593034641, 33.9884777909691)},
    }.items():
        for group in km_by_group(LUNG, "time", "status", "sex", tau=tau).groups:
            assert group.rmst is not None
            assert group.rmst.tau == tau
            assert group.rmst.estimate == pytest.approx(expected[group.group][0], rel=STAT_REL)
            assert group.rmst.std_err == pytest.approx(expected[group.group][1], rel=STAT_REL)
            assert group.rmst.ci[0] == pytest.approx(group.rmst.estimate - 1.959963985 * group.rmst.std_err)


def test_rmst_overall_and_short_horizon() -> None:
    """R: fit <- survfit(Surv(time, status) ~ 1, data = lung)
    survival:::survmean(fit, rmean = 1000)$matrix[c("rmean", "se(rmean)")]
    375.1671436502919  19.4388593732858
    """
    rmst = kaplan_meier(LUNG["time"], LUNG["status"], tau=1000).rmst
    assert rmst is not None
    assert (rmst.estimate, rmst.std_err) == pytest.approx((375.1671436502919, 19.4388593732858), rel=STAT_REL)
    early = kaplan_meier(LUNG["time"], LUNG["status"], tau=4).rmst  # before the first event: area = tau, SE 0
    assert early is not None
    assert (early.estimate, early.std_err) == (4.0, 0.0)


@pytest.mark.parametrize(
    ("conf_type", "expected"), [("log", (588.0, 511.0, 1010.0)), ("log-log", (588.0, 511.0, 821.0))]
)
def test_median_follow_up_is_reverse_km(conf_type: str, expected: tuple[float, float, float]) -> None:
    """R: reverse <- survfit(Surv(time, 1 - status) ~ 1, data = lung, conf.type = CT)
    summary(reverse)$table[c("median", "0.95LCL", "0.95UCL")]
    log: 588 511 1010; log-log: 588 511 821; plain: 588 511 840
    """
    result = km_by_group(LUNG, "time", "status", "sex", conf_type=conf_type)
    assert (result.followup.median, *result.followup.ci) == expected
    assert median_followup(LUNG["time"], LUNG["status"], conf_type="plain").ci == (511.0, 840.0)


# Small data sets. R code for each case:
#   show <- function(t, e, ct) summary(survfit(Surv(t, e) ~ 1, conf.type = ct))$table[c("median", "0.95LCL", "0.95UCL")]
TIES_TIME = [2, 2, 2, 3, 3, 5, 6, 6, 8, 9]
TIES_EVENT = [1, 0, 1, 1, 0, 0, 1, 1, 0, 1]


def test_median_midpoint_when_curve_is_flat_at_one_half() -> None:
    """R: show(c(1, 2, 3, 4), c(1, 1, 1, 1), "log") -> median 2.5, 0.95LCL 1, 0.95UCL NA
    R: show(c(1, 2, 3, 4), c(1, 1, 0, 0), "log") -> median 2, 1, NA  (flat at 0.5 to the end: no later drop)
    """
    group = kaplan_meier([1, 2, 3, 4], [1, 1, 1, 1], conf_type="log")
    assert (group.median, group.median_ci) == (2.5, (1.0, None))
    group = kaplan_meier([1, 2, 3, 4], [1, 1, 0, 0], conf_type="log")
    assert (group.median, group.median_ci) == (2.0, (1.0, None))


@pytest.mark.parametrize(
    ("conf_type", "median_ci", "limits_at_6"),
    [
        # R: s <- summary(survfit(Surv(t, e) ~ 1, conf.type = CT), times = c(2, 3, 4, 6, 9)); cbind(s$lower, s$upper)
        ("log", (3.0, None), (0.117440226248829, 1.0)),
        ("log-log", (2.0, None), (0.0543491769165412, 0.674727317404226)),
        ("plain", (3.0, None), (0.0, 0.710188928883660)),
    ],
)
def test_ties_between_events_and_censoring(
    conf_type: str, median_ci: tuple[float, None], limits_at_6: tuple[float, float]
) -> None:
    """t <- c(2, 2, 2, 3, 3, 5, 6, 6, 8, 9); e <- c(1, 0, 1, 1, 0, 0, 1, 1, 0, 1)
    R: show(t, e, CT): median 6 for every type; summary at times 2, 3, 4, 6, 9 gives
    n.risk 10 7 5 4 1; surv 0.8 0.685714285714286 0.685714285714286 0.342857142857143 0;
    std.err 0.126491106406735 0.151494017432321 0.151494017432321 0.187417620386897 NaN
    """
    group = kaplan_meier(TIES_TIME, TIES_EVENT, conf_type=conf_type, times=(2, 3, 4, 6, 9))
    assert (group.median, group.median_ci) == (6.0, median_ci)
    assert [a.n_at_risk for a in group.at] == [10, 7, 5, 4, 1]
    assert_allclose(
        [a.survival for a in group.at], [0.8, 0.685714285714286, 0.685714285714286, 0.342857142857143, 0.0], atol=1e-9
    )
    assert_allclose(
        [a.std_err for a in group.at[:4]], [0.126491106406735, 0.151494017432321, 0.151494017432321, 0.187417620386897]
    )
    assert group.at[4].std_err is None and group.at[4].ci == (None, None)  # R: NaN / NA where survival is 0
    assert_allclose(group.at[3].ci, limits_at_6, atol=SURVIVAL_ABS)
    assert [(a.cum_events, a.cum_censored) for a in group.at] == [(2, 1), (3, 2), (3, 2), (5, 3), (6, 4)]


def test_small_rmst_and_reverse_km() -> None:
    """R: survival:::survmean(survfit(Surv(t, e) ~ 1), rmean = 7)$matrix[c("rmean", "se(rmean)")]
    -> 5.2 0.650023547454166
    rmean = 12 -> 5.885714285714286 0.932021846864155   (beyond the last time: the curve, here 0, is carried to tau)
    R: summary(survfit(Surv(t, 1 - e) ~ 1, conf.type = "log"))$table[c("median", "0.95LCL", "0.95UCL")] -> 8 5 NA
    """
    for tau, expected in {7.0: (5.2, 0.650023547454166), 12.0: (5.885714285714286, 0.932021846864155)}.items():
        rmst = kaplan_meier(TIES_TIME, TIES_EVENT, tau=tau).rmst
        assert rmst is not None
        assert (rmst.estimate, rmst.std_err) == pytest.approx(expected, rel=STAT_REL)
    follow = kaplan_meier(TIES_TIME, TIES_EVENT, conf_type="log").followup
    assert (follow.median, follow.ci) == (8.0, (5.0, None))


def test_group_without_events() -> None:
    """R: summary(survfit(Surv(c(3, 5, 7), c(0, 0, 0)) ~ 1), times = c(0, 4, 7)): n.risk 3 2 1, surv 1, std.err 0;
    median NA. (R's log-log gives NA limits where survival is 1 after time 0; we report [1, 1] as at time 0.)
    """
    group = kaplan_meier([3, 5, 7], [0, 0, 0], times=(0, 4, 7, 8))
    assert (group.events, group.censored, group.median, group.median_ci) == (0, 3, None, (None, None))
    assert [(a.n_at_risk, a.survival, a.std_err, a.ci) for a in group.at[:3]] == [
        (3, 1.0, 0.0, (1.0, 1.0)),
        (2, 1.0, 0.0, (1.0, 1.0)),
        (1, 1.0, 0.0, (1.0, 1.0)),
    ]
    assert group.at[3].survival is None and group.at[3].n_at_risk == 0
    assert group.curve.times == (0.0, 7.0) and group.curve.survival == (1.0, 1.0)
    assert group.curve.censor_times == (3.0, 5.0, 7.0) and group.curve.censor_survival == (1.0, 1.0, 1.0)


def test_group_of_one() -> None:
    """R: summary(survfit(Surv(5, 1) ~ 1), times = c(0, 5, 6), extend = TRUE): surv 1 0 0, std.err 0 NaN NaN;
    median 5, 0.95LCL NA, 0.95UCL NA. Censored: median NA.
    """
    died = kaplan_meier([5], [1], times=(0, 5, 6))
    assert (died.median, died.median_ci) == (5.0, (None, None))
    assert [(a.survival, a.n_at_risk) for a in died.at] == [(1.0, 1), (0.0, 1), (0.0, 0)]  # 0 is known beyond the end
    assert died.at[1].ci == (None, None)
    censored = kaplan_meier([5], [0], times=(5, 6))
    assert censored.median is None and censored.at[0].survival == 1.0 and censored.at[1].survival is None


def test_every_time_tied() -> None:
    """R: summary(survfit(Surv(rep(10, 6), c(1, 1, 1, 0, 0, 1)) ~ 1, conf.type = "log"), times = c(0, 10)):
    n.risk 6 6; surv 1 0.333333333333333; std.err 0 0.192450089729875; lower 1 0.107507139169089; upper 1 1;
    median 10, 0.95LCL 10, 0.95UCL NA
    """
    group = kaplan_meier([10] * 6, [1, 1, 1, 0, 0, 1], conf_type="log", times=(0, 10))
    assert (group.median, group.median_ci) == (10.0, (10.0, None))
    at = group.at[1]
    assert (at.n_at_risk, at.survival, at.std_err) == pytest.approx((6, 1 / 3, 0.192450089729875), abs=SURVIVAL_ABS)
    assert_allclose(at.ci, (0.107507139169089, 1.0), atol=SURVIVAL_ABS)


def test_single_time_point_all_events() -> None:
    """R: survfit(Surv(rep(3, 4), rep(1, 4)) ~ 1, conf.type = "plain"): median 3, limits NA;
    summary at 3: surv 0, std.err NaN."""
    group = kaplan_meier([3, 3, 3, 3], [1, 1, 1, 1], conf_type="plain", times=(2, 3))
    assert (group.median, group.median_ci) == (3.0, (None, None))
    assert [(a.survival, a.n_at_risk) for a in group.at] == [(1.0, 4), (0.0, 4)]
    assert group.curve.times == (0.0, 3.0) and group.curve.survival == (1.0, 0.0)


def test_all_censored_has_no_median_and_a_flat_curve() -> None:
    group = kaplan_meier([1.5, 2.5, 2.5], [0, 0, 0])
    assert (group.median, group.events, group.curve.survival) == (None, 0, (1.0, 1.0))


def test_curve_matches_lifelines_step_function() -> None:
    """The plotting step function: survival and log-log limits at each event time equal lifelines (agrees with R)."""
    from lifelines import KaplanMeierFitter

    sex1 = LUNG[LUNG["sex"] == 1]
    curve = kaplan_meier(sex1["time"], sex1["status"]).curve
    fitter = KaplanMeierFitter().fit(sex1["time"], sex1["status"])
    times = np.array(curve.times[1:])
    assert_allclose(curve.survival[1:], fitter.survival_function_at_times(times).to_numpy(), atol=1e-12)
    bands = fitter.confidence_interval_survival_function_.loc[times]
    assert_allclose(np.array(curve.ci_lower[1:], dtype=float), bands.iloc[:, 0].to_numpy(), atol=SURVIVAL_ABS)
    assert_allclose(np.array(curve.ci_upper[1:], dtype=float), bands.iloc[:, 1].to_numpy(), atol=SURVIVAL_ABS)
    event_times = np.sort(sex1.loc[sex1["status"] == 1, "time"].unique())
    assert curve.times[0] == 0.0 and curve.survival[0] == 1.0 and curve.n_at_risk[0] == 138
    assert_allclose(
        curve.times[1:], np.r_[event_times, sex1["time"].max()] if sex1["time"].max() > event_times[-1] else event_times
    )
    assert curve.n_at_risk[1:4] == tuple(int((sex1["time"] >= t).sum()) for t in event_times[:3])
    censor_times = np.sort(sex1.loc[sex1["status"] == 0, "time"].unique())
    assert_allclose(curve.censor_times, censor_times)
    assert_allclose(curve.censor_survival, fitter.survival_function_at_times(censor_times).to_numpy(), atol=1e-12)


def test_left_truncation_matches_r_counting_process() -> None:
    """R:
    d <- data.frame(start = c(0, 0, 2.5, 0, 3, 0, 1, 0.5), stop = c(2, 4, 5, 6, 7, 8, 3.5, 9),
                    ev = c(1, 0, 1, 1, 0, 1, 1, 0))
    f <- survfit(Surv(start, stop, ev) ~ 1, data = d, conf.type = "log-log")
    cbind(f$time, f$n.risk, f$surv, f$lower, f$upper)
    event times 2 3.5 5 6 8; n.risk 6 7 5 4 2; surv 0.833333333333333 0.714285714285714 0.571428571428572
    0.428571428571429 0.214285714285714; lower 0.2731228499283560 0.2581536654587950 0.1718660155287751
    0.0977522021169289 0.0118661006655111; median 6, 0.95LCL 2, NA
    survival:::survmean(f, rmean = 6)$matrix[c("rmean", "se(rmean)")] -> 4.892857142857143 0.599618237796478
    """
    frame = pd.DataFrame(
        {"start": [0, 0, 2.5, 0, 3, 0, 1, 0.5], "stop": [2, 4, 5, 6, 7, 8, 3.5, 9], "ev": [1, 0, 1, 1, 0, 1, 1, 0]}
    )
    group = km_by_group(frame, "stop", "ev", start_col="start", tau=6).groups[0]
    curve = group.curve
    assert curve.times == (0.0, 2.0, 3.5, 5.0, 6.0, 8.0, 9.0)
    assert curve.n_at_risk[1:6] == (6, 7, 5, 4, 2)
    assert_allclose(
        curve.survival[1:6],
        [0.833333333333333, 0.714285714285714, 0.571428571428572, 0.428571428571429, 0.214285714285714],
        atol=SURVIVAL_ABS,
    )
    assert_allclose(
        np.array(curve.ci_lower[1:6], dtype=float),
        [0.2731228499283560, 0.2581536654587950, 0.1718660155287751, 0.0977522021169289, 0.0118661006655111],
        atol=SURVIVAL_ABS,
    )
    assert (group.median, group.median_ci) == (6.0, (2.0, None))
    assert group.rmst is not None
    assert (group.rmst.estimate, group.rmst.std_err) == pytest.approx(
        (4.892857142857143, 0.599618237796478), rel=STAT_REL
    )


def test_left_truncation_at_risk_counts_entered_patients() -> None:
    """At t > 0 the number at risk is entry < t <= time; at the origin, patients entering at 0 count.

    (R's summary(times = 3) reports 5 here, the n.risk of the next event time; the patient entering at 3 is not
    yet at risk at 3, so we report 4.)
    """
    frame = pd.DataFrame({"start": [0, 0, 2.5, 0, 3, 0], "stop": [2, 4, 5, 6, 7, 8], "ev": [1, 0, 1, 1, 0, 1]})
    group = km_by_group(frame, "stop", "ev", start_col="start", times=(0, 1, 3, 3.5)).groups[0]
    assert [a.n_at_risk for a in group.at] == [4, 4, 4, 5]


def test_groups_labelled_as_text_and_sorted_naturally() -> None:
    frame = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 0, 1, 1, 1, 0], "g": [10.0, 2.0, 1.0, 2.0, 10.0, None]})
    result = km_by_group(frame, "t", "e", "g")
    assert [g.group for g in result.groups] == ["1", "2", "10"]
    assert result.n_excluded == 1
    ordered = km_by_group(frame, "t", "e", "g", group_order=["10", "absent", "1"])
    assert [g.group for g in ordered.groups] == ["10", "1", "2"]
    codes, labels = encode_groups(pd.Series(["b", "a", None, "b"]))
    assert labels == ("a", "b") and codes.tolist() == [1, 0, -1, 1]
    assert sorted(["BCLC C", "BCLC B", "x10", "x9"], key=natural_key) == ["BCLC B", "BCLC C", "x9", "x10"]


def test_without_group_column_one_group_all() -> None:
    result = km_by_group(LUNG, "time", "status")
    assert [(g.group, g.n) for g in result.groups] == [("all", 228)]
    assert result.followup == result.groups[0].followup


def test_result_serialises_to_json() -> None:
    result = km_by_group(LUNG, "time", "status", "sex", times=(180, 1000), tau=365)
    text = json.dumps(result.to_dict())
    decoded = json.loads(text)
    assert decoded["groups"][1]["at"][1]["survival"] is None
    assert decoded["groups"][0]["median_ci"] == [210.0, 306.0]
    assert "curve" not in result.to_dict(include_curve=False)["groups"][0]


def test_input_problems_raise_domain_errors() -> None:
    with pytest.raises(DataError, match="conf"):
        kaplan_meier([1, 2], [1, 0], conf_type="arcsine")
    with pytest.raises(DataError, match="same length"):
        kaplan_meier([1, 2], [1])
    with pytest.raises(DataError, match="0 \\(censored\\) or 1"):
        kaplan_meier([1, 2], [1, 2])
    with pytest.raises(DataError, match=">= 0"):
        kaplan_meier([1, -2], [1, 0])
    with pytest.raises(DataError, match="requested times"):
        kaplan_meier([1, 2], [1, 0], times=(-1,))
    with pytest.raises(DataError, match="tau"):
        kaplan_meier([1, 2], [1, 0], tau=0)
    with pytest.raises(EmptyGroupError):
        kaplan_meier([], [])
    with pytest.raises(EmptyGroupError, match="'time'"):
        km_by_group(pd.DataFrame({"time": [None], "status": [1]}), "time", "status")
    with pytest.raises(DataError, match="'status'"):
        km_by_group(pd.DataFrame({"time": [1, 2], "status": [1, 3]}), "time", "status")


def test_confidence_limits_are_one_at_survival_one_and_missing_at_zero() -> None:
    for conf_type in ("log", "log-log", "plain"):
        lower, upper = confidence_limits(np.array([1.0, 0.0]), np.array([0.0, math.inf]), conf_type)  # type: ignore[arg-type]
        assert lower[0] == upper[0] == 1.0
        assert math.isnan(lower[1]) and math.isnan(upper[1])


def test_returns_frozen_dataclass() -> None:
    group = kaplan_meier([1, 2], [1, 0])
    assert isinstance(group, KMGroup)
    with pytest.raises(AttributeError):
        group.n = 3  # type: ignore[misc]


def test_number_at_risk_with_delayed_entry_counts_who_is_under_observation_at_t() -> None:
    # R (the stated difference, README "ppx km" and the Methods page):
    #   d <- data.frame(start = c(0,0,0,2,3,5), stop = c(4,6,1,7,8,9), ev = c(1,0,1,1,0,1))
    #   s <- summary(survfit(Surv(start, stop, ev) ~ 1, data = d), times = c(0, 1, 1.5, 2.5, 5, 6, 8.5))
    #   s$n.risk -> 3 3 4 4 4 4 1   (the risk set at the next observed time: 4 at t = 1.5 counts the two
    #   patients who enter at 2 and 3); s$surv -> 1 0.666666666666667 0.666666666666667 0.666666666666667 0.5 0.5
    #   0.333333333333333 (identical to ours). We count start < t <= stop (at t = 0: start <= 0): who is at risk at t.
    times = [0, 1, 1.5, 2.5, 5, 6, 8.5]
    result = kaplan_meier([4, 6, 1, 7, 8, 9], [1, 0, 1, 1, 0, 1], entry=[0, 0, 0, 2, 3, 5], times=times)
    assert [a.n_at_risk for a in result.at] == [3, 3, 2, 3, 3, 4, 1]
    assert_allclose([a.survival for a in result.at], [1, 2 / 3, 2 / 3, 2 / 3, 0.5, 0.5, 1 / 3], rtol=1e-12)
    # Without delayed entry the two definitions agree: R summary(survfit(Surv(stop, ev) ~ 1), times = ...)$n.risk
    plain = kaplan_meier([4, 6, 1, 7, 8, 9], [1, 0, 1, 1, 0, 1], times=times)
    assert [a.n_at_risk for a in plain.at] == [6, 6, 5, 5, 4, 4, 1]
