"""Group comparisons (analysis/compare.py) against R 4.2.2, survival 3.5-3.

    library(survival); options(digits = 15)
    lung <- read.csv("tests/data/lung.csv")   # R's lung, status 0 = censored, 1 = died
    e <- lung[!is.na(lung$ph.ecog), ]

R's survdiff has the log-rank and Fleming–Harrington(rho, 0) tests only. The
Gehan–Breslow, Tarone–Ware, Peto–Peto and FH(p, q > 0) constants come from
this hand-written weighted log-rank in R, which reproduces survdiff's
chi-square for rho = 0, 1 and 0.5 on lung by sex to 15 digits
(10.3267419548856, 12.7141514011575, 12.2506683372477):

    wlr <- function(time, status, group, type, p = 0, q = 0) {
      tt <- sort(unique(time[status == 1])); g <- sort(unique(group)); K <- length(g)
      O <- E <- rep(0, K); V <- matrix(0, K, K); S <- 1; Speto <- 1
      for (t in tt) {
        nk <- sapply(g, function(x) sum(time >= t & group == x))
        dk <- sapply(g, function(x) sum(time == t & status == 1 & group == x))
        n <- sum(nk); d <- sum(dk); Speto <- Speto * (1 - d / (n + 1))
        w <- switch(type, logrank = 1, gehan = n, tw = sqrt(n), peto = Speto, fh = S^p * (1 - S)^q)
        O <- O + w * dk; E <- E + w * nk * d / n
        if (n > 1) V <- V + w^2 * d * (n - d) / (n - 1) * (diag(nk / n, K) - outer(nk, nk) / n^2)
        S <- S * (1 - d / n)
      }
      U <- (O - E)[-1]; chi <- drop(U %*% solve(V[-1, -1, drop = FALSE], U))
      c(chisq = chi, p = pchisq(chi, K - 1, lower.tail = FALSE))
    }
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis.compare import (
    adjust_p_values,
    compare_survival,
    pairwise_tests,
    trend_test,
)
from analysis.errors import DataError, UndefinedComparisonError

LUNG = pd.read_csv(Path(__file__).parent / "data" / "lung.csv")
ECOG = LUNG.dropna(subset=["ph.ecog"])
STAT_REL = 1e-4
P_REL = 1e-3


def test_logrank_matches_r_survdiff() -> None:
    """R: survdiff(Surv(time, status) ~ sex, data = lung)   (lung_R.md)
    Observed 112 53; Expected 91.5817 73.4183; Chisq= 10.3 on 1 degrees of freedom, p= 0.001311
    sd$chisq = 10.3267419548856
    """
    result = compare_survival(LUNG["time"], LUNG["status"], LUNG["sex"])
    assert result.name == "logrank"
    assert result.groups == ("1", "2")
    assert result.df == 1
    assert result.statistic == pytest.approx(10.3267419548856, rel=STAT_REL)
    assert result.p == pytest.approx(0.001311, rel=P_REL)
    assert result.observed == (112.0, 53.0)
    assert result.expected == pytest.approx((91.5817, 73.4183), rel=STAT_REL)


def test_fleming_harrington_1_0_equals_r_survdiff_rho_1() -> None:
    """R: survdiff(Surv(time, status) ~ sex, data = lung, rho = 1)   (lung_R.md)
    Observed 70.3775 28.7287; Expected 55.5711 43.5351; Chisq= 12.7 on 1 df, p= 0.0003629; sd$chisq = 12.7141514011575
    """
    result = compare_survival(LUNG["time"], LUNG["status"], LUNG["sex"], test="fleming-harrington", fh_p=1.0)
    assert result.statistic == pytest.approx(12.7141514011575, rel=STAT_REL)
    assert result.p == pytest.approx(0.0003629, rel=P_REL)
    assert result.observed == pytest.approx((70.3775, 28.7287), rel=STAT_REL)
    assert result.expected == pytest.approx((55.5711, 43.5351), rel=STAT_REL)


@pytest.mark.parametrize(
    ("test", "fh_p", "fh_q", "statistic", "p"),
    [
        # R: wlr(lung$time, lung$status, lung$sex, "gehan") etc.
        ("wilcoxon", 0.0, 0.0, 1.24721353312626e01, 4.13067632019392e-04),
        ("tarone-ware", 0.0, 0.0, 1.24555439022151e01, 4.16753001362004e-04),
        ("peto", 0.0, 0.0, 12.70784777336242399, 0.00036412425599083),
        # R: wlr(lung$time, lung$status, lung$sex, "fh", 0, 1) and "fh", 1, 1
        ("fleming-harrington", 0.0, 1.0, 3.4599841660911452, 0.0628709169850084),
        ("fleming-harrington", 1.0, 1.0, 7.66478297860106039, 0.00563090329551545),
        # R: survdiff(Surv(time, status) ~ sex, data = lung, rho = 0.5)$chisq
        ("fleming-harrington", 0.5, 0.0, 12.2506683372477, 4.65091546369093e-04),
    ],
)
def test_weighted_tests_by_sex_match_r(test: str, fh_p: float, fh_q: float, statistic: float, p: float) -> None:
    result = compare_survival(LUNG["time"], LUNG["status"], LUNG["sex"], test=test, fh_p=fh_p, fh_q=fh_q)
    assert result.statistic == pytest.approx(statistic, rel=STAT_REL)
    assert result.p == pytest.approx(p, rel=P_REL)


@pytest.mark.parametrize(
    ("test", "statistic", "p"),
    [
        # R: sd <- survdiff(Surv(time, status) ~ ph.ecog, data = e)
        #    c(sd$chisq, pchisq(sd$chisq, 3, lower.tail = FALSE))
        ("logrank", 2.19621316824760e01, 6.64253535580017e-05),
        # R: wlr(e$time, e$status, e$ph.ecog, "gehan" / "tw" / "peto")
        ("wilcoxon", 2.35682504146012e01, 3.07396666096308e-05),
        ("tarone-ware", 2.38888277928750e01, 2.63511629610448e-05),
        ("peto", 2.34100052266531e01, 3.31672723434437e-05),
    ],
)
def test_four_groups_match_r(test: str, statistic: float, p: float) -> None:
    result = compare_survival(ECOG["time"], ECOG["status"], ECOG["ph.ecog"], test=test)
    assert result.groups == ("0", "1", "2", "3")
    assert result.df == 3
    assert result.statistic == pytest.approx(statistic, rel=STAT_REL)
    assert result.p == pytest.approx(p, rel=P_REL)


def test_four_groups_expected_and_rho_1() -> None:
    """R: sd$exp -> 54.152697018922929 83.527564575081882 26.147353065330211 0.172385340664962
    R: sd1 <- survdiff(Surv(time, status) ~ ph.ecog, data = e, rho = 1)
    -> chisq 2.33952933703430e+01, p 3.34024468384645e-05
    """
    result = compare_survival(ECOG["time"], ECOG["status"], ECOG["ph.ecog"])
    assert result.expected == pytest.approx(
        (54.152697018922929, 83.527564575081882, 26.147353065330211, 0.172385340664962), rel=STAT_REL
    )
    rho1 = compare_survival(ECOG["time"], ECOG["status"], ECOG["ph.ecog"], test="fleming-harrington", fh_p=1)
    assert (rho1.statistic, rho1.p) == pytest.approx((2.33952933703430e01, 3.34024468384645e-05), rel=P_REL)


def test_stratified_logrank_matches_r() -> None:
    """i <- lung[!is.na(lung$inst), ]
    R: s <- survdiff(Surv(time, status) ~ sex + strata(inst), data = i)
    c(s$chisq, pchisq(s$chisq, 1, lower.tail = FALSE))
    -> 8.52446736332317379 0.00350403287006081; rowSums(s$exp) -> 93.924585897994 70.075414102006
    R: same with rho = 1 -> 1.10516968855753e+01 8.86060643750336e-04
    R: s <- survdiff(Surv(time, status) ~ ph.ecog + strata(sex), data = e) -> 2.15962383704516e+01 7.91470205653258e-05
    """
    by_inst = LUNG.dropna(subset=["inst"])
    result = compare_survival(by_inst["time"], by_inst["status"], by_inst["sex"], strata=by_inst["inst"])
    assert result.stratified
    assert (result.statistic, result.p) == pytest.approx((8.52446736332317379, 0.00350403287006081), rel=P_REL)
    assert result.expected == pytest.approx((93.924585897994, 70.075414102006), rel=STAT_REL)
    rho1 = compare_survival(
        by_inst["time"], by_inst["status"], by_inst["sex"], strata=by_inst["inst"], test="fleming-harrington", fh_p=1
    )
    assert (rho1.statistic, rho1.p) == pytest.approx((1.10516968855753e01, 8.86060643750336e-04), rel=P_REL)
    ecog = compare_survival(ECOG["time"], ECOG["status"], ECOG["ph.ecog"], strata=ECOG["sex"])
    assert (ecog.statistic, ecog.df, ecog.p) == pytest.approx((2.15962383704516e01, 3, 7.91470205653258e-05), rel=P_REL)


def test_trend_test_matches_r_from_survdiff_matrices() -> None:
    """Trend statistic (c'U)^2 / (c'Vc), U = O - E and V from survdiff:
    R: sd <- survdiff(Surv(time, status) ~ ph.ecog, data = e); U <- sd$obs - sd$exp
       sc <- 0:3; tr <- (sum(sc * U))^2 / drop(sc %*% sd$var %*% sc); c(tr, pchisq(tr, 1, lower.tail = FALSE))
       -> 1.78751207625279e+01 2.35884767413181e-05
       sc <- c(0, 1, 2, 2) -> 1.72006511214429e+01 3.36321061261661e-05
    """
    equally_spaced = trend_test(ECOG["time"], ECOG["status"], ECOG["ph.ecog"])  # default scores 1..4: same test
    assert equally_spaced.df == 1
    assert (equally_spaced.statistic, equally_spaced.p) == pytest.approx(
        (1.78751207625279e01, 2.35884767413181e-05), rel=P_REL
    )
    merged = trend_test(ECOG["time"], ECOG["status"], ECOG["ph.ecog"], scores={"0": 0, "1": 1, "2": 2, "3": 2})
    assert (merged.statistic, merged.p) == pytest.approx((1.72006511214429e01, 3.36321061261661e-05), rel=P_REL)
    assert merged.name == "logrank-trend"
    with pytest.raises(DataError, match="'3'"):
        trend_test(ECOG["time"], ECOG["status"], ECOG["ph.ecog"], scores={"0": 0, "1": 1, "2": 2})


def test_pairwise_matches_r_survdiff_on_subsets_and_p_adjust() -> None:
    """R: pairs <- combn(0:3, 2)
    for each pair: s <- survdiff(Surv(time, status) ~ ph.ecog, data = e[e$ph.ecog %in% pair, ])
    chisq: 3.45683054999783 16.68232814694418 5.77987270219640 8.43344637807303 5.33333494095662 1.24231004861385
    p: 6.29909490512577e-02 4.41907402243336e-05 1.62107154203626e-02 3.68381485776989e-03 2.09213160413998e-02
       2.65026315155159e-01
    p.adjust(p, "holm"): 0.125981898102515449 0.000265144441346002 0.064842861681450481 0.018419074288849445
                         0.064842861681450481 0.265026315155158620
    p.adjust(p, "BH"): 0.075589138861509267 0.000265144441346002 0.031381974062099659 0.011051444573309668
                       0.031381974062099659 0.265026315155158620
    """
    statistic = [
        3.45683054999783,
        16.68232814694418,
        5.77987270219640,
        8.43344637807303,
        5.33333494095662,
        1.24231004861385,
    ]
    p = [6.29909490512577e-02, 4.41907402243336e-05, 1.62107154203626e-02, 3.68381485776989e-03, 2.09213160413998e-02,
         2.65026315155159e-01]  # fmt: skip
    holm = [0.125981898102515449, 0.000265144441346002, 0.064842861681450481, 0.018419074288849445,
            0.064842861681450481, 0.265026315155158620]  # fmt: skip
    bh = [0.075589138861509267, 0.000265144441346002, 0.031381974062099659, 0.011051444573309668,
          0.031381974062099659, 0.265026315155158620]  # fmt: skip
    for adjust, expected in (("holm", holm), ("bh", bh), ("none", p)):
        pairs = pairwise_tests(ECOG["time"], ECOG["status"], ECOG["ph.ecog"], adjust=adjust)
        assert [pair.groups for pair in pairs] == [
            ("0", "1"),
            ("0", "2"),
            ("0", "3"),
            ("1", "2"),
            ("1", "3"),
            ("2", "3"),
        ]
        assert [pair.statistic for pair in pairs] == pytest.approx(statistic, rel=STAT_REL)
        assert [pair.p for pair in pairs] == pytest.approx(p, rel=P_REL)
        assert [pair.p_adjusted for pair in pairs] == pytest.approx(expected, rel=P_REL)


def test_pairwise_weighted_agrees_with_overall_on_each_subset() -> None:
    pairs = pairwise_tests(ECOG["time"], ECOG["status"], ECOG["ph.ecog"], test="peto", adjust="none")
    for pair in pairs:
        subset = ECOG[ECOG["ph.ecog"].astype(int).astype(str).isin(pair.groups)]
        overall = compare_survival(subset["time"], subset["status"], subset["ph.ecog"], test="peto")
        assert pair.statistic == pytest.approx(overall.statistic, rel=1e-10)


def test_left_truncated_logrank_equals_cox_score_test_without_ties() -> None:
    """With no tied event times the log-rank test is the Cox score test. R:
    d <- data.frame(start = c(0, 0, 1.5, 0, 2.2, 0, 0.5, 0, 3.1, 0, 1.2, 0),
                    stop = c(2.1, 4.3, 5.2, 6.4, 7.7, 8.1, 3.6, 9.3, 4.9, 1.1, 6.9, 5.8),
                    ev = c(1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0), g = rep(c("a", "b"), 6))
    summary(coxph(Surv(start, stop, ev) ~ g, data = d))$sctest -> 2.341364176803327 1 0.125979187553491
    """
    start = [0, 0, 1.5, 0, 2.2, 0, 0.5, 0, 3.1, 0, 1.2, 0]
    stop = [2.1, 4.3, 5.2, 6.4, 7.7, 8.1, 3.6, 9.3, 4.9, 1.1, 6.9, 5.8]
    event = [1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0]
    result = compare_survival(stop, event, ["a", "b"] * 6, entry=start)
    assert (result.statistic, result.p) == pytest.approx((2.341364176803327, 0.125979187553491), rel=P_REL)


def test_lifelines_agrees_on_weighted_tests() -> None:
    """A second, independent implementation for the weights R has no function for."""
    from lifelines.statistics import multivariate_logrank_test

    for test in ("wilcoxon", "tarone-ware", "peto"):
        theirs = multivariate_logrank_test(ECOG["time"], ECOG["ph.ecog"], ECOG["status"], weightings=test)
        ours = compare_survival(ECOG["time"], ECOG["status"], ECOG["ph.ecog"], test=test)
        assert ours.statistic == pytest.approx(theirs.test_statistic, rel=1e-8)


def test_p_adjust_matches_r_with_ties_and_missing() -> None:
    """R: p.adjust(c(0.01, 0.04, 0.04, NA, 0.5), "holm") -> 0.04 0.12 0.12 NA 0.5
    R: p.adjust(c(0.01, 0.04, 0.04, NA, 0.5), "BH") -> 0.04 0.0533333333333333 0.0533333333333333 NA 0.5
    """
    values = [0.01, 0.04, 0.04, None, 0.5]
    assert adjust_p_values(values, "holm") == pytest.approx([0.04, 0.12, 0.12, None, 0.5])
    assert adjust_p_values(values, "bh") == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, None, 0.5])
    assert adjust_p_values([], "holm") == ()


def test_undefined_comparisons_raise_plain_errors() -> None:
    with pytest.raises(UndefinedComparisonError, match="at least two groups"):
        compare_survival([1, 2, 3], [1, 0, 1], ["a", "a", "a"])
    with pytest.raises(UndefinedComparisonError, match="no patient has an event"):
        compare_survival([1, 2, 3], [0, 0, 0], ["a", "b", "a"])
    with pytest.raises(UndefinedComparisonError, match="at risk"):  # group b leaves before any event
        compare_survival([1, 5, 6], [0, 1, 1], ["b", "a", "a"])


def test_pairwise_pair_without_events_is_none_and_skipped_by_adjustment() -> None:
    time = [1, 2, 3, 4, 5, 6, 7, 8, 9]
    event = [1, 1, 0, 1, 0, 1, 0, 0, 0]
    group = ["a", "a", "a", "b", "b", "b", "c", "c", "c"]
    pairs = pairwise_tests(time, event, group, adjust="holm")
    by_pair = {pair.groups: pair for pair in pairs}
    assert by_pair[("a", "c")].statistic is not None
    assert all(pair.p_adjusted is not None for pair in pairs)
    no_events = pairwise_tests([1, 2, 3, 4, 5, 6], [1, 0, 0, 0, 0, 0], ["a", "a", "b", "b", "c", "c"], adjust="holm")
    assert {pair.groups: pair.p for pair in no_events}[("b", "c")] is None


def test_input_errors() -> None:
    with pytest.raises(DataError, match="test must be one of"):
        compare_survival([1, 2], [1, 1], ["a", "b"], test="savage")
    with pytest.raises(DataError, match="Fleming–Harrington p"):
        compare_survival([1, 2], [1, 1], ["a", "b"], test="fleming-harrington", fh_p=-1)
    with pytest.raises(DataError, match="one value per patient"):
        compare_survival([1, 2], [1, 1], ["a", "b", "c"])
    with pytest.raises(DataError, match="missing"):
        compare_survival([1, 2, 3], [1, 1, 0], ["a", None, "b"])
    with pytest.raises(DataError, match="adjustment"):
        pairwise_tests([1, 2], [1, 1], ["a", "b"], adjust="bonferroni")


def test_results_serialise_to_json() -> None:
    result = compare_survival(LUNG["time"], LUNG["status"], LUNG["sex"])
    decoded = json.loads(json.dumps(result.to_dict()))
    assert decoded["groups"] == ["1", "2"] and decoded["df"] == 1
    pairs = pairwise_tests(LUNG["time"], LUNG["status"], LUNG["sex"])
    assert json.loads(json.dumps(pairs[0].to_dict()))["groups"] == ["1", "2"]
    assert np.isclose(pairs[0].p or 0.0, result.p)


# ----------------------------------------------------------------------------- singular and undefined comparisons
# Delayed entry: R's survdiff takes right-censored data only, so the reference is coxph's score test (Breslow
# ties; these times are distinct, where it equals the log-rank). Group C is at risk only at t = 6, alone.
#   d <- data.frame(start = c(0,0,0,0,1.5,0,0,5.5,0,0,0), stop = c(1,2,3,4,2.5,3.5,4.5,6,0.5,1.2,1.7),
#                   ev = 1, g = c("A","A","A","A","B","B","B","C","E","E","E"))
#   summary(coxph(Surv(start, stop, ev) ~ g, data = d, ties = "breslow"))$sctest
#     -> test 6.1184816899522021, df 2 (the rank; not 3), p 0.0469233037638661
#   sc <- function(a, b) summary(coxph(Surv(start, stop, ev) ~ g, data = d[d$g %in% c(a, b), ],
#                                      ties = "breslow"))$sctest[[3]]
#   p <- c(sc("A","B"), sc("A","E"), sc("B","E"))  -> 0.3583885255194084 0.0931471449408769 0.0450050520926156
#   p.adjust(c(p[1], NA, p[2], NA, p[3], NA), "holm")
#     -> 0.358388525519408 NA 0.186294289881754 NA 0.135015156277847 NA
#   (with the undefined pairs as p = 1 instead of NA, Holm would give 1, 0.466, 0.270: the defect of issue 14)
SINGULAR_START = [0, 0, 0, 0, 1.5, 0, 0, 5.5, 0, 0, 0]
SINGULAR_STOP = [1, 2, 3, 4, 2.5, 3.5, 4.5, 6, 0.5, 1.2, 1.7]
SINGULAR_GROUP = list("AAAABBBCEEE")


def test_singular_overall_test_reports_the_rank_as_df() -> None:
    result = compare_survival(SINGULAR_STOP, [1] * 11, SINGULAR_GROUP, entry=SINGULAR_START)
    assert result.df == 2
    assert_allclose(result.statistic, 6.1184816899522021, rtol=1e-9)
    assert_allclose(result.p, 0.0469233037638661, rtol=1e-9)


def test_undefined_pairs_are_none_and_left_out_of_the_adjustment() -> None:
    pairs = pairwise_tests(SINGULAR_STOP, [1] * 11, SINGULAR_GROUP, entry=SINGULAR_START, adjust="holm")
    by_pair = {p.groups: p for p in pairs}
    for undefined in (("A", "C"), ("B", "C"), ("C", "E")):
        assert by_pair[undefined].p is None and by_pair[undefined].p_adjusted is None
        assert by_pair[undefined].note is not None and "undefined" in by_pair[undefined].note
    assert_allclose(by_pair[("A", "B")].p_adjusted, 0.358388525519408, rtol=1e-9)
    assert_allclose(by_pair[("A", "E")].p_adjusted, 0.186294289881754, rtol=1e-9)
    assert_allclose(by_pair[("B", "E")].p_adjusted, 0.135015156277847, rtol=1e-9)


def test_zero_variance_comparison_is_undefined_not_p_one() -> None:
    # R: summary(coxph(Surv(c(0, 1.5), c(1, 2), c(1, 1)) ~ c("A", "B")))$sctest -> test 0, df 0, p 1 (no test)
    with pytest.raises(UndefinedComparisonError, match="undefined: its variance is zero"):
        compare_survival([1, 2], [1, 1], ["A", "B"], entry=[0, 1.5])
