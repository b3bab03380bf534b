"""Case weights and the robust (sandwich) variance of analysis/cox.py against R 4.2.2, survival 3.5-3.

    library(survival); options(digits = 15)
    lung <- read.csv("tests/data/lung.csv")        # R's lung, status 0 = censored, 1 = died
    lung$w <- 0.5 + (seq_len(nrow(lung)) %% 7) / 4  # non-integer case weights
    h <- read.csv("tests/data/heart.csv")           # write.csv(survival::heart, row.names = FALSE)
    h$w <- 1 + (h$id %% 3) / 2

``summary(fit)$coefficients`` gives coef, se(coef), robust se, z and p (z from the robust SE),
``summary(fit)$conf.int`` the CI (robust), ``fit$wald.test`` the Wald test (robust variance),
``fit$rscore`` the robust score test, ``fit$score`` the (naive) score test.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cox import CoxResult, fit_cox
from analysis.errors import DataError
from tests.concordance_kernels import KERNELS, later_pairs_by

DATA = Path(__file__).parent / "data"
LUNG = pd.read_csv(DATA / "lung.csv").assign(w=lambda f: 0.5 + (np.arange(1, len(f) + 1) % 7) / 4)
HEART = pd.read_csv(DATA / "heart.csv").assign(w=lambda f: 1 + (f["id"] % 3) / 2)
REL = 1e-9
HEART_COVARIATES = ["age", "year", "surgery", "transplant"]


def assert_fit(result: CoxResult, expected: dict[str, tuple[float, ...]], ci: dict[str, tuple[float, float]]) -> None:
    assert [t.term for t in result.terms] == list(expected)
    for term in result.terms:
        coef, se, se_robust, z, p = expected[term.term]
        assert (term.coef, term.se, term.se_robust, term.z, term.p) == pytest.approx(
            (coef, se, se_robust, z, p), rel=REL
        ), term.term
        assert term.ci == pytest.approx(ci[term.term], rel=REL), term.term


def test_non_integer_weights_are_robust_by_default_as_r() -> None:
    """R: fit <- coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung, weights = w); summary(fit)
                    coef            se(coef)          robust se                 z             Pr(>|z|)
    age      0.0117312885975707 0.00856395445819615 0.0112387946014058  1.04382089126385 0.296568264116074620
    sex     -0.5691411741996752 0.15015572805411373 0.1767217776385628 -3.22054916946174 0.001279452427927927
    ph.ecog  0.4837087612298511 0.10326932850734609 0.1268615025053803  3.81288847819957 0.000137352098795014
                    lower .95         upper .95
    age     0.989756481839607 1.034335220422266
    sex     0.400312617386025 0.800296612229182
    ph.ecog 1.264990718874755 2.079968474618668
    fit$loglik -973.052093147122 -953.162816775731; logtest 39.7785527427814 3 1.18711999058130e-08
    fit$wald.test 23.1841818930105 (p 3.69660214738495e-05); fit$rscore 24.6485441455652 (p 1.82863329642341e-05)
    fit$score 39.5748982640175 (p 1.31115906228419e-08)
    fit$concordance: concordant 19667 discordant 10995.625 tied.x 207.5; C 0.640449301711606 std 0.0270016871287957
    """
    result = fit_cox(LUNG, "time", "status", ["age", "sex", "ph.ecog"], weights="w")
    assert result.robust and result.weights == "w" and result.cluster is None
    assert (result.n, result.events, result.n_clusters) == (227, 164, 227)
    assert_fit(
        result,
        {
            "age": (
                0.0117312885975707,
                0.00856395445819615,
                0.0112387946014058,
                1.04382089126385,
                0.296568264116074620,
            ),
            "sex": (
                -0.5691411741996752,
                0.15015572805411373,
                0.1767217776385628,
                -3.22054916946174,
                0.001279452427927927,
            ),
            "ph.ecog": (
                0.4837087612298511,
                0.10326932850734609,
                0.1268615025053803,
                3.81288847819957,
                0.000137352098795014,
            ),
        },
        {
            "age": (0.989756481839607, 1.034335220422266),
            "sex": (0.400312617386025, 0.800296612229182),
            "ph.ecog": (1.264990718874755, 2.079968474618668),
        },
    )
    assert result.loglik == pytest.approx((-973.052093147122, -953.162816775731), rel=REL)
    assert (result.lr_test.statistic, result.lr_test.p) == pytest.approx(
        (39.7785527427814, 1.18711999058130e-08), rel=1e-8
    )
    assert (result.wald_test.statistic, result.wald_test.p) == pytest.approx(
        (23.1841818930105, 3.69660214738495e-05), rel=1e-8
    )
    assert result.robust_score_test is not None
    assert (result.robust_score_test.statistic, result.robust_score_test.p) == pytest.approx(
        (24.6485441455652, 1.82863329642341e-05), rel=1e-8
    )
    assert (result.score_test.statistic, result.score_test.p) == pytest.approx(
        (39.5748982640175, 1.31115906228419e-08), rel=1e-8
    )
    assert result.concordance == pytest.approx(0.640449301711606, rel=REL)
    assert result.concordance_se == pytest.approx(0.0270016871287957, rel=REL)
    assert result.notes and "robust" in result.notes[0].lower()
    out = result.to_dict()
    assert out["terms"][0]["se_robust"] == pytest.approx(0.0112387946014058, rel=REL)
    assert out["robust_score_test"]["statistic"] == pytest.approx(24.6485441455652, rel=1e-8)


def test_robust_false_keeps_the_model_based_variance() -> None:
    """R: coxph(..., weights = w, robust = FALSE): same coef and se(coef); z 1.36984481349539 -3.79033941345591
    4.68395377622158; fit$wald.test 38.7974938575186; concordance as with robust = TRUE."""
    result = fit_cox(LUNG, "time", "status", ["age", "sex", "ph.ecog"], weights="w", robust=False)
    assert not result.robust and result.robust_score_test is None and result.notes == ()
    assert [t.se_robust for t in result.terms] == [None, None, None]
    assert [t.z for t in result.terms] == pytest.approx(
        [1.36984481349539, -3.79033941345591, 4.68395377622158], rel=REL
    )
    assert result.wald_test.statistic == pytest.approx(38.7974938575186, rel=1e-8)
    assert result.to_dict()["terms"][0]["se_robust"] is None


def test_integer_weights_with_strata_match_r() -> None:
    """Whole-number weights: R does not default to robust.
    R: lung$wi <- 1 + seq_len(nrow(lung)) %% 3
       fit5 <- coxph(Surv(time, status) ~ age + ph.ecog + strata(sex), data = lung, weights = wi)
       is.null(fit5$naive.var) TRUE
                   coef            se(coef)
    age     0.0133312120064567 0.00663465734990615
    ph.ecog 0.5467949840639919 0.08288366501065109
    fit5$loglik -1483.46594280342 -1457.14297632481; wald.test 53.6023927384444; score 54.7692391970890
    C 0.609955334750520 std 0.0290785188664715
    """
    frame = LUNG.assign(wi=1 + np.arange(1, len(LUNG) + 1) % 3)
    result = fit_cox(frame, "time", "status", ["age", "ph.ecog"], strata="sex", weights="wi")
    assert not result.robust
    assert [(t.coef, t.se) for t in result.terms] == [
        pytest.approx((0.0133312120064567, 0.00663465734990615), rel=REL),
        pytest.approx((0.5467949840639919, 0.08288366501065109), rel=REL),
    ]
    assert result.loglik == pytest.approx((-1483.46594280342, -1457.14297632481), rel=REL)
    assert result.wald_test.statistic == pytest.approx(53.6023927384444, rel=1e-8)
    assert result.score_test.statistic == pytest.approx(54.7692391970890, rel=1e-8)
    assert (result.concordance, result.concordance_se) == pytest.approx(
        (0.609955334750520, 0.0290785188664715), rel=REL
    )


def test_counting_process_with_weights_and_clusters_matches_r() -> None:
    """R: fit3 <- coxph(Surv(start, stop, event) ~ age + year + surgery + transplant, data = h,
                       weights = w, cluster = id); summary(fit3)
                        coef           se(coef)          robust se                  z           Pr(>|z|)
    age          0.0197552842674613 0.0109025683532671 0.0142673574305490  1.384649144988945 0.1661597763268191
    year        -0.1371651016837148 0.0573044629697122 0.0755026306548746 -1.816693014455374 0.0692641319661139
    surgery     -0.7497656578179339 0.2999521907100733 0.3633313578690160 -2.063586424842061 0.0390569457985884
    transplant1  0.1310737610889350 0.2558012976986409 0.3568762625320643  0.367280693198692 0.7134096538961107
                    lower .95         upper .95
    age         0.991825373024376 1.048875660558399
    year        0.751903311444711 1.010876054043976
    surgery     0.231799609273902 0.963050640920848
    transplant1 0.566436180630368 2.294553755570603
    fit3$n 172, nevent 75; loglik -491.029107925413 -479.959592753246; logtest 22.1390303443330 (p 1.88044427630387e-04)
    wald.test 14.0526844668324; rscore 16.5888191620721; score 21.9070883933067
    concordance C 0.632363448224889 std 0.0367636781257015
    """
    result = fit_cox(HEART, "stop", "event", HEART_COVARIATES, start_col="start", weights="w", cluster="id")
    assert result.robust and result.cluster == "id"
    assert (result.n, result.events, result.n_clusters) == (172, 75, 103)
    assert_fit(
        result,
        {
            "age": (0.0197552842674613, 0.0109025683532671, 0.0142673574305490, 1.384649144988945, 0.1661597763268191),
            "year": (
                -0.1371651016837148,
                0.0573044629697122,
                0.0755026306548746,
                -1.816693014455374,
                0.0692641319661139,
            ),
            "surgery": (
                -0.7497656578179339,
                0.2999521907100733,
                0.3633313578690160,
                -2.063586424842061,
                0.0390569457985884,
            ),
            "transplant": (
                0.1310737610889350,
                0.2558012976986409,
                0.3568762625320643,
                0.367280693198692,
                0.7134096538961107,
            ),
        },
        {
            "age": (0.991825373024376, 1.048875660558399),
            "year": (0.751903311444711, 1.010876054043976),
            "surgery": (0.231799609273902, 0.963050640920848),
            "transplant": (0.566436180630368, 2.294553755570603),
        },
    )
    assert result.loglik == pytest.approx((-491.029107925413, -479.959592753246), rel=REL)
    assert result.lr_test.statistic == pytest.approx(22.1390303443330, rel=1e-8)
    assert result.wald_test.statistic == pytest.approx(14.0526844668324, rel=1e-8)
    assert result.robust_score_test is not None
    assert result.robust_score_test.statistic == pytest.approx(16.5888191620721, rel=1e-8)
    assert result.score_test.statistic == pytest.approx(21.9070883933067, rel=1e-8)
    assert (result.concordance, result.concordance_se) == pytest.approx(
        (0.632363448224889, 0.0367636781257015), rel=REL
    )


def test_cluster_without_weights_matches_r() -> None:
    """R: fit4 <- coxph(Surv(start, stop, event) ~ age + year + surgery + transplant + cluster(id), data = heart)
                        coef           se(coef)          robust se                  z           Pr(>|z|)
    age          0.0271666409576767 0.0137141152103185 0.0138918929240809  1.955575176553855 0.0505152194856072
    year        -0.1463463456741959 0.0704679795188561 0.0730798592393642 -2.002553743225698 0.0452252090830414
    surgery     -0.6372098899669668 0.3672259961803245 0.3582102023844259 -1.778871416071848 0.0752608453268125
    transplant1 -0.0102507724090828 0.3137547983374912 0.3168823490624897 -0.032348827378395 0.9741938709426535
    wald.test 16.83 (summary, rounded); rscore 18.2363014168005; C 0.635760123921221 std 0.0331537392949609
    """
    result = fit_cox(HEART, "stop", "event", HEART_COVARIATES, start_col="start", cluster="id")
    assert result.robust and result.weights is None
    expected = [
        (0.0271666409576767, 0.0137141152103185, 0.0138918929240809, 1.955575176553855),
        (-0.1463463456741959, 0.0704679795188561, 0.0730798592393642, -2.002553743225698),
        (-0.6372098899669668, 0.3672259961803245, 0.3582102023844259, -1.778871416071848),
        (-0.0102507724090828, 0.3137547983374912, 0.3168823490624897, -0.032348827378395),
    ]
    for term, values in zip(result.terms, expected, strict=True):
        assert (term.coef, term.se, term.se_robust, term.z) == pytest.approx(values, rel=1e-9)
    assert result.wald_test.statistic == pytest.approx(16.83, abs=0.005)
    assert result.robust_score_test is not None
    assert result.robust_score_test.statistic == pytest.approx(18.2363014168005, rel=1e-8)
    assert (result.concordance, result.concordance_se) == pytest.approx(
        (0.635760123921221, 0.0331537392949609), rel=REL
    )


def test_unit_weights_give_the_unweighted_fit() -> None:
    plain = fit_cox(LUNG, "time", "status", ["age", "sex", "ph.ecog"])
    ones = fit_cox(LUNG.assign(one=1.0), "time", "status", ["age", "sex", "ph.ecog"], weights="one")
    assert not ones.robust
    assert [t.coef for t in ones.terms] == pytest.approx([t.coef for t in plain.terms], rel=1e-12)
    assert [t.se for t in ones.terms] == pytest.approx([t.se for t in plain.terms], rel=1e-12)
    assert (ones.concordance, ones.concordance_se) == pytest.approx(
        (plain.concordance, plain.concordance_se), rel=1e-12
    )


def test_robust_on_counting_process_rows_needs_a_cluster() -> None:
    """R: coxph(Surv(start, stop, event) ~ age, data = heart, robust = TRUE) stops: "one of cluster or id is needed"."""
    with pytest.raises(DataError, match="cluster"):
        fit_cox(HEART, "stop", "event", ["age"], start_col="start", robust=True)


@pytest.mark.parametrize("bad", [0.0, -1.0, np.inf, "heavy"])
def test_bad_weights_name_the_column_and_row(bad: object) -> None:
    frame = LUNG.astype({"w": object})
    frame.loc[4, "w"] = bad
    with pytest.raises(DataError, match=r"'w'.*row 6"):
        fit_cox(frame, "time", "status", ["age"], weights="w")


def test_missing_weights_are_excluded_and_counted() -> None:
    frame = LUNG.copy()
    frame.loc[[3, 9], "w"] = np.nan
    result = fit_cox(frame, "time", "status", ["age"], weights="w")
    assert result.n_excluded == 2 and result.excluded_rows == ("5", "11")


def test_cluster_with_robust_false_is_ignored_with_a_warning() -> None:
    """R: coxph(..., cluster = id, robust = FALSE) warns "cluster specified with robust=FALSE, cluster ignored"."""
    result = fit_cox(HEART, "stop", "event", ["age"], start_col="start", cluster="id", robust=False)
    assert not result.robust and result.cluster is None
    assert any("cluster 'id' ignored" in w for w in result.warnings)


def test_cli_weights_and_cluster(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`ppx cox --weights w --cluster id`: the R fit of test_counting_process_with_weights_and_clusters_matches_r."""
    import json

    from cli import main

    path = tmp_path / "heart.csv"
    HEART.to_csv(path, index=False)
    base = ["cox", "--data", str(path), "--start", "start", "--time", "stop", "--event", "event"]
    args = [*base, "--covariates", ",".join(HEART_COVARIATES), "--weights", "w", "--cluster", "id"]
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["robust"], data["weights"], data["cluster"], data["n_clusters"]) == (True, "w", "id", 103)
    assert data["terms"][0]["se_robust"] == pytest.approx(0.0142673574305490, rel=REL)
    assert data["terms"][0]["se"] == pytest.approx(0.0109025683532671, rel=REL)
    assert data["robust_score_test"]["statistic"] == pytest.approx(16.5888191620721, rel=1e-8)
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "robust SE" in text and "Robust score test" in text and "Case weights: 'w'" in text
    assert main([*base, "--covariates", "age", "--robust"]) == 2
    assert "cluster" in capsys.readouterr().err


def test_weighted_dominance_counts_equal_brute_force() -> None:
    """The weighted pair counts behind the weighted concordance equal an all-pairs weighted sum."""
    from analysis.concordance import dominance

    rng = np.random.default_rng(11)
    for n_points, n_queries in ((1, 1), (9, 4), (120, 70)):
        point_key = rng.integers(0, 12, n_points).astype(float)
        query_key = rng.integers(0, 12, n_queries).astype(float)
        point_value, query_value = rng.integers(0, 5, n_points), rng.integers(0, 5, n_queries)
        point_weight, query_weight = rng.uniform(0.2, 3, n_points), rng.uniform(0.2, 3, n_queries)
        counts = dominance(point_key, point_value, query_key, query_value, point_weight, query_weight)
        before = point_key[None, :] < query_key[:, None]  # [query, point]
        lower = point_value[None, :] < query_value[:, None]
        same = point_value[None, :] == query_value[:, None]
        assert counts.query_less == pytest.approx((before & lower) @ point_weight)
        assert counts.query_equal == pytest.approx((before & same) @ point_weight)
        assert counts.query_total == pytest.approx(before @ point_weight)
        assert counts.point_greater == pytest.approx(query_weight @ (before & lower))
        assert counts.point_equal == pytest.approx(query_weight @ (before & same))
        assert counts.point_total == pytest.approx(query_weight @ before)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("weighted", [False, True])
def test_later_pairs_equal_brute_force(weighted: bool, kernel: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """One item per row (events are also the queries) gives :func:`dominance`'s counts, by the merge sort
    and by the Fenwick-tree loop of large cohorts (compiled, and as plain Python)."""

    later_pairs = later_pairs_by(kernel, monkeypatch)
    rng = np.random.default_rng(5)
    for n in (1, 2, 17, 150):
        event = rng.random(n) < 0.6
        key = -2 * rng.integers(0, 9, n) - (~event)  # R's keys: -2·rank(time) − censored
        value = rng.integers(0, 5, n)
        weight = rng.uniform(0.3, 2, n) if weighted else None
        w = np.ones(n) if weight is None else weight
        counts = later_pairs(key.astype(float), value, event, weight)
        q = np.flatnonzero(event)
        before = key[None, :] < key[q][:, None]  # [event, row]
        lower = value[None, :] < value[q][:, None]
        same = value[None, :] == value[q][:, None]
        assert counts.query_less == pytest.approx((before & lower) @ w)
        assert counts.query_equal == pytest.approx((before & same) @ w)
        assert counts.query_total == pytest.approx(before @ w)
        assert counts.point_greater == pytest.approx(w[q] @ (before & lower))
        assert counts.point_equal == pytest.approx(w[q] @ (before & same))
        assert counts.point_total == pytest.approx(w[q] @ before)
