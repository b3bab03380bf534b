"""Propensity weighting, balance, weighted KM / Cox and E-values against R.

Reference data: ``tests/data/rotterdam.csv`` is R's ``survival::rotterdam``
(survival 3.5-3) written by::

    library(survival)
    d <- rotterdam[, c("pid","age","meno","size","grade","nodes","pgr","er","hormon","dtime","death")]
    d$size <- as.character(d$size)
    write.csv(d, "rotterdam.csv", row.names = FALSE, quote = FALSE)

and the R session behind every constant below starts::

    d <- read.csv("rotterdam.csv")
    # our reference level of a category is its first level in natural order: "20-50" < "<=20" < ">50"
    d$size <- factor(d$size, levels = c("20-50", "<=20", ">50"))
    fit <- glm(hormon ~ age + meno + size + grade + nodes + pgr + er, family = binomial, data = d)
    ps <- fitted(fit); t <- d$hormon
    w_ate <- t/ps + (1-t)/(1-ps); w_att <- t + (1-t)*ps/(1-ps); w_ov <- t*(1-ps) + (1-t)*ps
    # cobalt's SMD (binary = "std", s.d.denom = "pooled"), by hand (cobalt is not in Debian):
    smd <- function(x, b, w) { m1 <- weighted.mean(x[t==1], w[t==1]); m0 <- weighted.mean(x[t==0], w[t==0])
      v1 <- if (b) mean(x[t==1])*(1-mean(x[t==1])) else var(x[t==1])
      v0 <- if (b) mean(x[t==0])*(1-mean(x[t==0])) else var(x[t==0])
      (m1 - m0) / sqrt((v1 + v0) / 2) }
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis.adjusted import adjusted_comparison
from analysis.errors import DataError, PPXError
from analysis.km import kaplan_meier, km_by_group
from analysis.weights import e_value, effective_sample_size, hr_to_rr, weigh

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent
ROTTERDAM_COVARIATES = ["age", "meno", "size", "grade", "nodes", "pgr", "er"]
KLC_COVARIATES = ["age", "child_pugh_score", "albi_score", "bclc", "afp", "ecog", "mvi", "ehs", "etiology"]


@pytest.fixture(scope="module")
def rotterdam() -> pd.DataFrame:
    return pd.read_csv(DATA / "rotterdam.csv")


@pytest.fixture(scope="module")
def klc() -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / "synthetic_klc.csv")


# ----------------------------------------------------------------------------- propensity model


def test_propensity_model_matches_r_glm(rotterdam: pd.DataFrame) -> None:
    # sprintf("%.10g", coef(fit)); sprintf("%.10g", sqrt(diag(vcov(fit)))); fit$iter
    # (sum(rank(ps)[t==1]) - sum(t)*(sum(t)+1)/2) / (sum(t)*sum(1-t))
    w = weigh(rotterdam, "hormon", ROTTERDAM_COVARIATES)
    terms = w.propensity.terms
    assert [t.term for t in terms] == [
        "(Intercept)", "age", "meno", "size=<=20", "size=>50", "grade", "nodes", "pgr", "er"
    ]  # fmt: skip
    r_coef = [-5.182305062, 0.01485808559, 1.56949076, -0.2702587132, 0.06891225548,
              0.3389655031, 0.1076311905, -0.0005427807782, -0.0003279711732]  # fmt: skip
    r_se = [0.6000077977, 0.00756407788, 0.2384277674, 0.1418298826, 0.1803357172,
            0.1603058334, 0.01193951999, 0.0003006281021, 0.000250650124]  # fmt: skip
    assert_allclose([t.coef for t in terms], r_coef, rtol=1e-8)
    assert_allclose([t.se for t in terms], r_se, rtol=1e-8)
    assert w.propensity.iterations == 6
    assert w.propensity.auc == pytest.approx(0.7980115561, rel=1e-9)
    assert (w.reference, w.treated) == ("0", "1")
    assert dict(w.propensity.references) == {"size": "20-50"}


@pytest.mark.parametrize(
    ("estimand", "r_values"),
    [
        # cat(sprintf("%.10g", c(min(w), max(w), ess0, ess1, w[1:3]))) with ess_g = sum(w[t==g])^2/sum(w[t==g]^2)
        ("ate", [1.001004191, 77.65680512, 2489.308095, 132.6239327, 1.152420046, 1.193580947, 1.015058981]),
        ("att", [0.001004191135, 7.782440766, 504.7689492, 339, 0.1524200458, 0.1935809466, 0.01505898057]),
        ("overlap", [0.001003183747, 0.9871228285, 1299.521391, 330.4708731, 0.1322608422, 0.1621850174,
                     0.01483557198]),
    ],
)  # fmt: skip
def test_weights_and_ess_match_r(rotterdam: pd.DataFrame, estimand: str, r_values: list[float]) -> None:
    w = weigh(rotterdam, "hormon", ROTTERDAM_COVARIATES, estimand=estimand)
    s = w.summary
    ess = dict(s.ess)
    assert_allclose([s.min, s.max, ess["0"], ess["1"], *w.weights[:3]], r_values, rtol=1e-8)


def test_trimming_matches_weightit_rule(rotterdam: pd.DataFrame) -> None:
    # q <- quantile(w_ate, 0.95); wt <- pmin(w_ate, q)
    # c(q, sum(w_ate > q), max(wt), sum(wt[t==1])^2/sum(wt[t==1]^2)) -> 5.664472223 150 5.664472223 314.1664663
    w = weigh(rotterdam, "hormon", ROTTERDAM_COVARIATES, trim=0.95)
    assert w.summary.trimmed == 150
    assert w.summary.max == pytest.approx(5.664472223, rel=1e-9)
    assert dict(w.summary.ess)["1"] == pytest.approx(314.1664663, rel=1e-9)


@pytest.mark.parametrize(
    ("estimand", "r_after"),
    [
        # sapply(columns, function(j) smd(X[, j], bin[j], w)) for w_ate and w_att; the columns are
        # age, meno, size=20-50, size=<=20, size=>50, grade, nodes, pgr, er
        ("ate", [0.04614179206, -0.04175717905, 0.1349974804, -0.1239224989, -0.02194193397, -0.1438751651,
                 0.1894517775, 0.06762189919, -0.01318335948]),
        ("att", [-0.02021705658, -0.01322938656, -0.05639908023, 0.05991915011, -0.002281972494, 0.02714849359,
                 -0.4448133447, -0.01359979289, -0.005802805785]),
    ],
)  # fmt: skip
def test_balance_matches_r(rotterdam: pd.DataFrame, estimand: str, r_after: list[float]) -> None:
    # smd(X[, j], bin[j], rep(1, length(t)))
    r_before = [0.7314060566, 0.8532190876, 0.168988399, -0.3715176701, 0.2766280437, 0.2505237824,
                0.7720672984, -0.2369001522, 0.05812008221]  # fmt: skip
    w = weigh(rotterdam, "hormon", ROTTERDAM_COVARIATES, estimand=estimand)
    assert [b.covariate for b in w.balance] == [
        "age", "meno", "size=20-50", "size=<=20", "size=>50", "grade", "nodes", "pgr", "er"
    ]  # fmt: skip
    assert [b.binary for b in w.balance] == [False, True, True, True, True, False, False, False, False]
    assert_allclose([b.smd_unweighted for b in w.balance], r_before, rtol=1e-8)
    assert_allclose([b.smd_weighted for b in w.balance], r_after, rtol=1e-7)


def test_overlap_weights_balance_exactly(rotterdam: pd.DataFrame) -> None:
    # R: smd(..., w_ov) is ~1e-12 for every covariate of the model (overlap weights' exact-balance property)
    w = weigh(rotterdam, "hormon", ROTTERDAM_COVARIATES, estimand="overlap")
    assert max(abs(b.smd_weighted) for b in w.balance) < 1e-9
    assert not any("differ by more than" in message for message in w.warnings)


def test_effective_sample_size() -> None:
    assert effective_sample_size(np.ones(7)) == pytest.approx(7)
    assert effective_sample_size(np.array([1.0, 1.0, 2.0])) == pytest.approx(16 / 6)


# ----------------------------------------------------------------------------- weighted survival


def test_weighted_km_matches_r_survfit_jackknife() -> None:
    # d <- data.frame(t=c(1,2,2,3,4,5,6,7), e=c(1,1,0,1,0,1,1,0), w=c(0.5,1.5,2,1,0.7,1.2,3,0.4))
    # f <- survfit(Surv(t, e) ~ 1, data = d, weights = w)   # survival >= 3: robust = TRUE for weights
    # summary(f)$surv, summary(f)$std.err; summary(f)$table: rmean 4.6731325 se 0.5874439 median 6, LCL 3, UCL NA
    group = kaplan_meier(
        [1, 2, 2, 3, 4, 5, 6, 7],
        [1, 1, 0, 1, 0, 1, 1, 0],
        weights=[0.5, 1.5, 2, 1, 0.7, 1.2, 3, 0.4],
        conf_type="log",
        times=[1, 2, 3, 5, 6],
        tau=7,
    )
    assert_allclose([a.survival for a in group.at], [0.95145631, 0.80582524, 0.67791647, 0.50106870, 0.05894926],
                    rtol=1e-7)  # fmt: skip
    assert_allclose([a.std_err for a in group.at], [0.05040465, 0.14498369, 0.18642940, 0.24505673, 0.06456194],
                    rtol=1e-6)  # fmt: skip
    assert group.median == 6.0
    assert group.median_ci == (3.0, None)
    assert group.rmst is not None
    assert group.rmst.estimate == pytest.approx(4.6731325, rel=1e-7)
    assert group.rmst.std_err == pytest.approx(0.5874439, rel=1e-6)
    assert (group.n, group.events) == (8, 5)  # patients, not weights


def test_weighted_km_and_cox_match_r_on_rotterdam(rotterdam: pd.DataFrame) -> None:
    # km <- survfit(Surv(dtime, death) ~ hormon, data = d, weights = w_ate)
    # s <- summary(km, times = c(1826, 3652)); s$surv; s$std.err
    # summary(km, rmean = 3652)$table[, c("rmean", "se(rmean)")]
    # cx <- coxph(Surv(dtime, death) ~ hormon, data = d, weights = w_ate, robust = TRUE); coef(cx); sqrt(diag(cx$var))
    result = adjusted_comparison(
        rotterdam, "hormon", ROTTERDAM_COVARIATES, "dtime", "death", times=[1826, 3652], tau=3652, conf_type="log"
    )
    by_group = {g.group: g for g in result.weighted.groups}
    assert_allclose([a.survival for a in by_group["0"].at] + [a.survival for a in by_group["1"].at],
                    [0.7355512442, 0.5450612941, 0.7539499919, 0.5850007796], rtol=1e-8)  # fmt: skip
    assert_allclose([a.std_err for a in by_group["0"].at] + [a.std_err for a in by_group["1"].at],
                    [0.009394210686, 0.01123367783, 0.03197368229, 0.05187700274], rtol=1e-7)  # fmt: skip
    rmst = [by_group[k].rmst for k in ("0", "1")]
    assert_allclose([r.estimate for r in rmst if r], [2759.730245, 2872.673337], rtol=1e-8)
    assert_allclose([r.std_err for r in rmst if r], [21.67669630, 21.36391476], rtol=1e-7)
    assert result.rmst.difference == pytest.approx(2872.673337 - 2759.730245, rel=1e-7)
    assert result.cox.coef == pytest.approx(-0.2084821383, rel=1e-7)
    assert result.cox.se_robust == pytest.approx(0.1455637406, rel=1e-6)
    assert result.cox_naive.se_robust is None


@pytest.mark.parametrize(
    ("estimand", "r_coef", "r_se"),
    # coxph(Surv(dtime, death) ~ hormon, weights = w, robust = TRUE) with w_att and w_ov
    [("att", -0.1893319559, 0.09834127529), ("overlap", -0.1293001441, 0.09105455394)],
)
def test_weighted_cox_other_estimands_match_r(
    rotterdam: pd.DataFrame, estimand: str, r_coef: float, r_se: float
) -> None:
    result = adjusted_comparison(rotterdam, "hormon", ROTTERDAM_COVARIATES, "dtime", "death", estimand=estimand)
    assert result.cox.coef == pytest.approx(r_coef, rel=1e-7)
    assert result.cox.se_robust == pytest.approx(r_se, rel=1e-6)


def test_bundled_cohort_matches_r(klc: pd.DataFrame) -> None:
    """The R session (klc.R) behind these numbers::

    d <- read.csv("data/synthetic_klc.csv"); d$t <- as.numeric(d$first_line == "lenvatinib")
    d$bclc <- factor(d$bclc, levels = c("A","B","C","D"))
    d$etiology <- factor(d$etiology, levels = c("alcohol","HBV","HCV","MASLD","other"))
    fit <- glm(t ~ age + child_pugh_score + albi_score + bclc + afp + ecog + mvi + ehs + etiology, binomial, d)
    ps <- fitted(fit); w <- t/ps + (1-t)/(1-ps)
    km <- survfit(Surv(os_months, os_event) ~ t, data = d, weights = w); summary(km, times = c(6, 12))
    summary(km, rmean = 24)$table
    cx <- coxph(Surv(os_months, os_event) ~ t, data = d, weights = w, robust = TRUE)
    hr <- exp(coef(cx)); rr <- (1-0.5^sqrt(hr))/(1-0.5^sqrt(1/hr)); rr <- max(rr, 1/rr); rr + sqrt(rr*(rr-1))
    """
    result = adjusted_comparison(
        klc, "first_line", KLC_COVARIATES, "os_months", "os_event", reference="sorafenib", times=[6, 12], tau=24,
        conf_type="log",
    )  # fmt: skip
    w = result.weighting
    assert (w.reference, w.treated, w.n, result.n_excluded) == ("sorafenib", "lenvatinib", 513, 0)
    r_coef = [0.5434228072, -0.004419105601, -0.1069853938, 0.3159514066, 0.2385823274, 0.2980455044, 0.4443580444,
              1.484641817e-05, 0.3498918239, 0.3415220687, -0.313776238, 0.7537566971, 0.4698448566, 0.06148091728,
              0.6518968943]  # fmt: skip
    r_se = [1.893299679, 0.01071286146, 0.138305494, 0.4031179083, 0.3942963804, 0.4714255016, 0.7199091586,
            1.397562132e-05, 0.1646465423, 0.2809850591, 0.3048917051, 0.3182552734, 0.257382705, 0.3473917829,
            0.3403736088]  # fmt: skip
    assert_allclose([t.coef for t in w.propensity.terms], r_coef, rtol=1e-8)
    assert_allclose([t.se for t in w.propensity.terms], r_se, rtol=1e-8)
    assert w.propensity.auc == pytest.approx(0.6105717368, rel=1e-9)
    ess = dict(w.summary.ess)
    assert_allclose([w.summary.min, w.summary.max, ess["sorafenib"], ess["lenvatinib"]],
                    [1.212290207, 4.557691643, 299.2730528, 191.2946476], rtol=1e-8)  # fmt: skip
    r_before = [-0.07157848826, -0.04000104899, 0.01430542718, -0.05020508631, -0.01577620136, 0.02995145765,
                0.03474979706, 0.1215761702, 0.2290752604, 0.1848394043, -0.1462353214, -0.181749582, 0.1309111907,
                0.06441772756, -0.1367067485, 0.1177790344]  # fmt: skip
    r_after = [-0.001896192752, 0.002319228862, 0.004128138561, -0.002470766858, 0.009285514741, -0.007524421642,
               -0.001000987846, 0.006000283418, 0.003722432972, 0.009545293492, -0.01482620254, -0.018709182,
               0.003654848956, 0.007293446462, 0.003931264319, 0.004073126684]  # fmt: skip
    assert_allclose([b.smd_unweighted for b in w.balance], r_before, rtol=1e-8)
    assert_allclose([b.smd_weighted for b in w.balance], r_after, rtol=1e-6)
    groups = {g.group: g for g in result.weighted.groups}
    assert_allclose([a.survival for g in ("sorafenib", "lenvatinib") for a in groups[g].at],
                    [0.7716219602, 0.5773428542, 0.7652787684, 0.5556496254], rtol=1e-8)  # fmt: skip
    assert_allclose([a.std_err for g in ("sorafenib", "lenvatinib") for a in groups[g].at],
                    [0.02452480676, 0.02889263821, 0.02983312881, 0.0372924966], rtol=1e-7)  # fmt: skip
    assert [groups[g].median for g in ("sorafenib", "lenvatinib")] == [14.5544, 13.5359]
    assert_allclose([groups[g].rmst.estimate for g in ("sorafenib", "lenvatinib") if groups[g].rmst],
                    [14.64585047, 14.49207048], rtol=1e-8)  # fmt: skip
    assert_allclose([groups[g].rmst.std_err for g in ("sorafenib", "lenvatinib") if groups[g].rmst],
                    [0.3649816968, 0.3842325914], rtol=1e-7)  # fmt: skip
    assert result.cox.coef == pytest.approx(-0.0074936032, rel=1e-6)
    assert result.cox.se_robust == pytest.approx(0.1159419592, rel=1e-6)
    assert result.cox.ci == pytest.approx((0.7907798507, 1.245763333), rel=1e-7)
    assert result.cox.p == pytest.approx(0.9484667139, rel=1e-6)
    assert result.cox_naive.coef == pytest.approx(0.03675770885, rel=1e-7)  # coxph(Surv ~ t) unweighted
    assert result.e_value.point == pytest.approx(1.077559594, rel=1e-8)
    assert result.e_value.ci_limit == 1.0  # the CI contains 1
    assert result.e_value.common_outcome


def test_unweighted_km_unchanged_by_weights_column(klc: pd.DataFrame) -> None:
    """Adding the weights argument must not change the unweighted estimator; unit weights give the same curve."""
    plain = km_by_group(klc, "os_months", "os_event", "first_line", times=[6, 12], tau=24)
    unit = km_by_group(klc.assign(w=1.0), "os_months", "os_event", "first_line", times=[6, 12], tau=24, weights_col="w")
    for a, b in zip(plain.groups, unit.groups, strict=True):
        assert a.curve.survival == pytest.approx(b.curve.survival)
        assert a.curve.n_at_risk == b.curve.n_at_risk
        assert a.median == b.median
        assert a.rmst is not None and b.rmst is not None and a.rmst.estimate == pytest.approx(b.rmst.estimate)


# ----------------------------------------------------------------------------- E-value


def test_e_value_matches_vanderweele_ding() -> None:
    # ev <- function(hr) {rr <- (1-0.5^sqrt(hr))/(1-0.5^sqrt(1/hr)); rr <- max(rr,1/rr); rr+sqrt(rr*(rr-1))}
    # ev(0.6) 2.199622396; ev(0.8) 1.608891348; ev(1.7) 2.242191838; ev(1.2) 1.525530918
    protective = e_value(0.6, (0.45, 0.8), event_share=0.7)
    assert protective.point == pytest.approx(2.199622396, rel=1e-9)
    assert protective.ci_limit == pytest.approx(1.608891348, rel=1e-9)  # the upper limit is nearer to 1
    harmful = e_value(1.7, (1.2, 2.4), event_share=0.7)
    assert (harmful.point, harmful.ci_limit) == pytest.approx((2.242191838, 1.525530918), rel=1e-9)
    assert "common outcome" in harmful.method
    # rare outcome: RR = HR; 1/0.6 + sqrt(1/0.6 * (1/0.6 - 1)) = 2.72075922
    rare = e_value(0.6, (0.5, 1.1), event_share=0.05)
    assert (rare.point, rare.ci_limit, rare.common_outcome) == (pytest.approx(2.72075922, rel=1e-9), 1.0, False)
    assert hr_to_rr(1.0) == pytest.approx(1.0)


# ----------------------------------------------------------------------------- bad input


def _small(n: int = 200, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    treated = rng.random(n) < 1 / (1 + np.exp(-x))
    return pd.DataFrame(
        {
            "arm": np.where(treated, "B", "A"),
            "x": x,
            "site": rng.choice(["north", "south"], size=n),
            "time": rng.exponential(10, size=n),
            "event": (rng.random(n) < 0.7).astype(int),
        }
    )


def test_treatment_must_have_two_levels() -> None:
    frame = _small().assign(arm=lambda f: np.resize(["A", "B", "C"], len(f)))
    with pytest.raises(DataError, match=r"treatment column 'arm' must have exactly two levels.*has 3: 'A', 'B', 'C'"):
        weigh(frame, "arm", ["x"])


def test_separating_covariate_is_named() -> None:
    frame = _small()
    frame["dose"] = np.where(frame["arm"] == "B", 10.0, 1.0) + np.random.default_rng(0).random(len(frame))
    with pytest.raises(DataError, match="covariate 'dose' separates the groups perfectly"):
        weigh(frame, "arm", ["x", "dose"])
    only_a = frame.index[frame["arm"] == "A"][:10]
    frame.loc[only_a, "site"] = "west"  # 'west' only in arm A
    with pytest.raises(
        DataError, match=r"'site=west' separates the groups perfectly \(every patient with site=west is in 'A'\)"
    ):
        weigh(frame, "arm", ["x", "site"])


def test_joint_separation_names_a_covariate() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=300), rng.normal(size=300)
    frame = pd.DataFrame({"arm": np.where(a + b > 0, "T", "C"), "a": a, "b": b})
    with pytest.raises(DataError, match=r"separate the groups of 'arm' \(almost\) perfectly.*mainly through '[ab]'"):
        weigh(frame, "arm", ["a", "b"])


def test_all_extreme_weights_in_a_group_is_an_error() -> None:
    """One comparison patient among the treated carries all the ATT weight of his group."""
    rng = np.random.default_rng(5)
    x = np.r_[rng.normal(3, 0.6, 60), rng.normal(0, 0.6, 300), 3.0]
    frame = pd.DataFrame({"arm": ["T"] * 60 + ["C"] * 301, "x": x})
    with pytest.raises(DataError, match=r"weights of group 'C' of 'arm' are all extreme: its effective sample size"):
        weigh(frame, "arm", ["x"], estimand="att")
    assert dict(weigh(frame, "arm", ["x"], estimand="overlap").summary.ess)["C"] > 2


def test_rows_missing_a_covariate_are_excluded_and_counted() -> None:
    frame = _small().astype({"x": "float64"})
    frame.loc[[0, 5], "x"] = np.nan
    frame.loc[7, "site"] = " "
    w = weigh(frame, "arm", ["x", "site"])
    assert (w.n, w.n_excluded, w.excluded_rows) == (197, 3, ("2", "7", "9"))
    result = adjusted_comparison(frame, "arm", ["x", "site"], "time", "event")
    assert (result.n, result.n_excluded) == (197, 3)


def test_one_level_category_is_an_error() -> None:
    frame = _small().assign(site="north")
    with pytest.raises(DataError, match="categorical covariate 'site' has a single level \\('north'\\)"):
        weigh(frame, "arm", ["x", "site"])


def test_bad_options_are_clear() -> None:
    frame = _small()
    with pytest.raises(DataError, match="estimand must be one of ate, att, overlap"):
        weigh(frame, "arm", ["x"], estimand="atc")
    with pytest.raises(DataError, match="trimming quantile"):
        weigh(frame, "arm", ["x"], trim=1.5)
    with pytest.raises(DataError, match="unknown column"):
        weigh(frame, "arm", ["nope"])
    with pytest.raises(DataError, match="reference level 'Z' is not a level of 'arm'"):
        weigh(frame, "arm", ["x"], reference="Z")


# ----------------------------------------------------------------------------- bootstrap and simulation


def test_bootstrap_is_seeded_reports_progress_and_cancels(klc: pd.DataFrame) -> None:
    calls: list[tuple[int, int]] = []
    options: dict[str, Any] = {"reference": "sorafenib", "times": [12], "tau": 24, "n_bootstrap": 40, "seed": 7}
    one = adjusted_comparison(klc, "first_line", KLC_COVARIATES, "os_months", "os_event", **options,
                              progress=lambda done, total: calls.append((done, total)))  # fmt: skip
    two = adjusted_comparison(klc, "first_line", KLC_COVARIATES, "os_months", "os_event", **options)
    assert one.to_dict() == two.to_dict()
    assert calls[-1] == (40, 40) and len(calls) > 1
    for group in one.groups:
        low, high = group.at[0].ci
        assert low is not None and high is not None and low < (group.at[0].survival or 0) < high
        assert group.median_ci[0] is not None
    assert one.rmst.ci[0] is not None and one.rmst.ci[0] < one.rmst.difference < (one.rmst.ci[1] or 0)
    assert len(one.bands) == 2 and all(b.lower[0] == 1.0 for b in one.bands)
    with pytest.raises(PPXError, match="bootstrap cancelled"):
        adjusted_comparison(klc, "first_line", KLC_COVARIATES, "os_months", "os_event", **options,
                            should_stop=lambda: True)  # fmt: skip


def test_adjustment_removes_confounding_by_liver_function() -> None:
    """The drug has no effect; fitter livers (lower ALBI) get lenvatinib and live longer.

    The naive HR is well away from 1; the weighted one's robust CI contains 1.
    """
    rng = np.random.default_rng(20260)
    n = 1500
    albi = rng.normal(-2.4, 0.5, size=n)
    lenvatinib = rng.random(n) < 1 / (1 + np.exp(3.0 * (albi + 2.4)))
    hazard = 0.05 * np.exp(1.6 * (albi + 2.4))  # liver function drives death; the drug does not
    death = rng.exponential(1 / hazard)
    censor = rng.uniform(12, 60, size=n)
    frame = pd.DataFrame(
        {
            "first_line": np.where(lenvatinib, "lenvatinib", "sorafenib"),
            "albi_score": albi,
            "os_months": np.minimum(death, censor),
            "os_event": (death <= censor).astype(int),
        }
    )
    result = adjusted_comparison(frame, "first_line", ["albi_score"], "os_months", "os_event", reference="sorafenib")
    assert result.cox_naive.ci[1] < 0.8  # unadjusted: lenvatinib looks protective
    low, high = result.cox.ci
    assert low < 1.0 < high
    assert abs(result.cox.coef) < abs(result.cox_naive.coef) / 3
    assert abs(result.weighting.balance[0].smd_weighted) < 0.1 < abs(result.weighting.balance[0].smd_unweighted)


def test_balance_for_any_column_agrees_with_the_model_balance(rotterdam: pd.DataFrame) -> None:
    """``balance_for`` (any baseline column, e.g. for Table 1) gives the model covariates the same SMDs as ``weigh``."""
    from analysis.weights import balance_for

    w = weigh(rotterdam, "hormon", ROTTERDAM_COVARIATES)
    rows = {b.covariate: b for b in balance_for(rotterdam, w, [*ROTTERDAM_COVARIATES, "pid"])}
    for b in w.balance:
        assert rows[b.covariate].smd_weighted == pytest.approx(b.smd_weighted, rel=1e-12)
        assert rows[b.covariate].smd_unweighted == pytest.approx(b.smd_unweighted, rel=1e-12)
    assert "pid" in rows  # a column outside the model is balanced too
    by_level = {b.covariate for b in balance_for(rotterdam, w, ["grade"], categorical=["grade"])}
    assert by_level == {"grade=2", "grade=3"}
