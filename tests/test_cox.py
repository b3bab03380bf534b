"""Cox models (analysis/cox.py) against R 4.2.2, survival 3.5-3.

    library(survival); options(digits = 15)
    lung <- read.csv("tests/data/lung.csv")   # R's lung, status 0 = censored, 1 = died

Every constant below was printed by the R code next to it: ``summary(fit)``
gives coef/se/HR/CI/z/p, ``fit$loglik``, ``summary(fit)$logtest`` (LR),
``fit$wald.test``, ``fit$score``, ``summary(fit)$concordance`` (C and se(C)),
and ``cox.zph(fit)$table`` (transform = "km").
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.concordance import dominance as _dominance
from analysis.cox import CoxResult, cox_zph, fit_cox, univariate_screen
from analysis.errors import DataError
from tests.concordance_kernels import KERNELS, later_pairs_by

LUNG = pd.read_csv(Path(__file__).parent / "data" / "lung.csv")
SURV_ABS = 1e-6
STAT_REL = 1e-4
P_REL = 1e-3


def split_at(frame: pd.DataFrame, cut: float) -> pd.DataFrame:
    """R: survSplit(Surv(time, status) ~ ., data = lung, cut = cut): (tstart, time] rows, event on the last."""
    long = frame[frame["time"] > cut]
    first = long.assign(tstart=0.0, time=float(cut), status=0)
    second = long.assign(tstart=float(cut))
    short = frame[frame["time"] <= cut].assign(tstart=0.0)
    return pd.concat([short, first, second], ignore_index=True)


def assert_terms(result: CoxResult, expected: dict[str, tuple[float, float]]) -> None:
    """Terms in order with (coef, se) as R; HR, CI, z and p follow from them as R computes them."""
    assert [t.term for t in result.terms] == list(expected)
    for term, (coef, se) in zip(result.terms, expected.values(), strict=True):
        assert term.coef == pytest.approx(coef, rel=STAT_REL), term.term
        assert term.se == pytest.approx(se, rel=STAT_REL), term.term


def assert_zph(result: object, expected: dict[str, tuple[float, int, float]]) -> None:
    from analysis.cox import ZphResult

    assert isinstance(result, ZphResult)
    rows = {t.term: t for t in (*result.terms, result.global_test)}
    assert list(rows) == list(expected)
    for name, (chisq, df, p) in expected.items():
        assert rows[name].chisq == pytest.approx(chisq, rel=STAT_REL), name
        assert rows[name].df == df
        assert rows[name].p == pytest.approx(p, rel=P_REL), name


# ----------------------------------------------------------------------------- numeric covariates


def test_numeric_covariates_match_r() -> None:
    """R: fit <- coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung); summary(fit)
      n= 227, number of events= 164   (1 observation deleted due to missingness)
                    coef         exp(coef)            se(coef)              z            Pr(>|z|)
    age      0.0110667645600735 1.011128227722516 0.00926741101370053  1.19415924724962 2.32415680999612e-01
    sex     -0.5526123957036310 0.575444556190492 0.16773905378726350 -3.29447664826157 9.86051372138453e-04
    ph.ecog  0.4637284753704277 1.589991190054284 0.11357726616199662  4.08293394480024 4.44706665185681e-05
                lower .95         upper .95
    age     0.992928097169850 1.029661962242155
    sex     0.414213018549172 0.799435127387147
    ph.ecog 1.272675177774297 1.986423581287590
    fit$loglik: -744.480455761440 -729.230121374862
    logtest 30.5006687731566 3 1.08281769919870e-06; fit$wald.test 29.9292512092047 (p 1.4281652023047e-06)
    fit$score 30.4999227049491 (p 1.08320924769373e-06); concordance C 0.6371354930004549 se(C) 0.0250679738530796
    """
    result = fit_cox(LUNG, "time", "status", ["age", "sex", "ph.ecog"])
    assert (result.n, result.events, result.n_excluded, result.ties) == (227, 164, 1, "efron")
    assert result.excluded_rows == (str(LUNG.index[LUNG["ph.ecog"].isna()][0] + 2),)
    age = result.terms[0]
    assert (age.covariate, age.level, age.reference) == ("age", None, None)
    expected = {
        "age": (0.0110667645600735, 1.011128227722516, 0.00926741101370053, 1.19415924724962, 2.32415680999612e-01),
        "sex": (-0.5526123957036310, 0.575444556190492, 0.1677390537872635, -3.29447664826157, 9.86051372138453e-04),
        "ph.ecog": (0.4637284753704277, 1.589991190054284, 0.11357726616199662, 4.08293394480024, 4.44706665185681e-05),
    }
    ci = {
        "age": (0.992928097169850, 1.029661962242155),
        "sex": (0.414213018549172, 0.799435127387147),
        "ph.ecog": (1.272675177774297, 1.986423581287590),
    }
    for term in result.terms:
        coef, hr, se, z, p = expected[term.term]
        assert term.coef == pytest.approx(coef, rel=STAT_REL)
        assert term.hr == pytest.approx(hr, abs=SURV_ABS)
        assert term.se == pytest.approx(se, rel=STAT_REL)
        assert term.z == pytest.approx(z, rel=STAT_REL)
        assert term.p == pytest.approx(p, rel=P_REL)
        assert term.ci == pytest.approx(ci[term.term], abs=SURV_ABS)
    assert result.loglik == pytest.approx((-744.480455761440, -729.230121374862), rel=STAT_REL)
    assert (result.lr_test.statistic, result.lr_test.df) == (pytest.approx(30.5006687731566, rel=STAT_REL), 3)
    assert result.lr_test.p == pytest.approx(1.08281769919870e-06, rel=P_REL)
    assert result.wald_test.statistic == pytest.approx(29.9292512092047, rel=STAT_REL)
    assert result.wald_test.p == pytest.approx(1.4281652023047e-06, rel=P_REL)
    assert result.score_test.statistic == pytest.approx(30.4999227049491, rel=STAT_REL)
    assert result.score_test.p == pytest.approx(1.08320924769373e-06, rel=P_REL)
    assert result.concordance == pytest.approx(0.6371354930004549, abs=SURV_ABS)
    assert result.concordance_se == pytest.approx(0.0250679738530796, rel=STAT_REL)
    assert result.events_per_parameter == pytest.approx(164 / 3)
    assert result.warnings == ()
    assert result.converged


def test_cox_zph_numeric_matches_r() -> None:
    """R: cox.zph(coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung))$table
                       chisq df                 p
    age     0.18798767365229  1 0.664596763116371
    sex     2.30543722740497  1 0.128921998810965
    ph.ecog 2.05424877405441  1 0.151782098908100
    GLOBAL  4.46365758875861  3 0.215554945341796
    """
    zph = cox_zph(LUNG, "time", "status", ["age", "sex", "ph.ecog"])
    assert zph.transform == "km"
    assert_zph(
        zph,
        {
            "age": (0.18798767365229, 1, 0.664596763116371),
            "sex": (2.30543722740497, 1, 0.128921998810965),
            "ph.ecog": (2.05424877405441, 1, 0.151782098908100),
            "GLOBAL": (4.46365758875861, 3, 0.215554945341796),
        },
    )


def test_efron_ties_match_r_on_heavily_tied_times() -> None:
    """Times in whole months: many ties, where Efron and Breslow differ.
    R: lung$months <- ceiling(lung$time / 30.4375)
       fit <- coxph(Surv(months, status) ~ age + sex + ph.ecog, data = lung)
                      coef            se(coef)
    age      0.0111632032702028 0.00923965995590338
    sex     -0.5622681023662954 0.16772451066514016
    ph.ecog  0.4688467346641556 0.11402863294253021
    fit$loglik -746.708814884476 -731.010805859356; C 0.6435431403934528 se(C) 0.0257285624017074
    coef(coxph(..., ties = "breslow")): age 0.0108132505859164 sex -0.5471751147600526 ph.ecog 0.4524703651291480
    cox.zph(fit)$table: age 0.100846770938819 0.750815832490819; sex 2.438206823810008 0.118411518082823;
                        ph.ecog 2.165530264163278 0.141135930086638; GLOBAL 4.687544707079172 (3 df) 0.196159450083701
    """
    months = LUNG.assign(months=np.ceil(LUNG["time"] / 30.4375))
    result = fit_cox(months, "months", "status", ["age", "sex", "ph.ecog"])
    assert_terms(
        result,
        {
            "age": (0.0111632032702028, 0.00923965995590338),
            "sex": (-0.5622681023662954, 0.16772451066514016),
            "ph.ecog": (0.4688467346641556, 0.11402863294253021),
        },
    )
    assert result.terms[2].coef != pytest.approx(0.4524703651291480, rel=STAT_REL)  # not Breslow
    assert result.loglik == pytest.approx((-746.708814884476, -731.010805859356), rel=STAT_REL)
    assert result.concordance == pytest.approx(0.6435431403934528, abs=SURV_ABS)
    assert result.concordance_se == pytest.approx(0.0257285624017074, rel=STAT_REL)
    assert_zph(
        cox_zph(months, "months", "status", ["age", "sex", "ph.ecog"]),
        {
            "age": (0.100846770938819, 1, 0.750815832490819),
            "sex": (2.438206823810008, 1, 0.118411518082823),
            "ph.ecog": (2.165530264163278, 1, 0.141135930086638),
            "GLOBAL": (4.687544707079172, 3, 0.196159450083701),
        },
    )


# ----------------------------------------------------------------------------- categorical covariates


def test_forced_categorical_with_reference_matches_r() -> None:
    """R: lung$ecogf <- relevel(factor(lung$ph.ecog), ref = "1")
       fit <- coxph(Surv(time, status) ~ age + ecogf, data = lung)
                      coef          se(coef)       lower .95         upper .95      Pr(>|z|)
    age     0.0107905056580584 0.00939489961381324 0.992405823361839  1.02963479410752 0.25074186081152450
    ecogf0 -0.3587224651653033 0.19884488041226026 0.473098688124627  1.03149204244527 0.07122633955949281
    ecogf2  0.4980784160444955 0.19223985987553910 1.128958147761139  2.39854335527872 0.00957192796959378
    ecogf3  1.7486086626569597 1.02020768579670773 0.778052202865798 42.44372087041861 0.08653364242951911
    logtest 19.78192919826165 4 0.00055141046008111; wald 21.5018985215133
    score 23.271763932579 (p 1.11739373081574e-04)
    concordance 0.6103754990650427 se 0.0253590951443053
    cox.zph(fit)$table: age 0.266636583910985 1 0.605596956426755; ecogf 4.872583179456264 3 0.181368551759241;
                        GLOBAL 4.916947405075589 4 0.295925857566729
    """
    options = {"categorical": ["ph.ecog"], "reference": {"ph.ecog": "1"}}
    result = fit_cox(LUNG, "time", "status", ["age", "ph.ecog"], **options)  # type: ignore[arg-type]
    assert_terms(
        result,
        {
            "age": (0.0107905056580584, 0.00939489961381324),
            "ph.ecog=0": (-0.3587224651653033, 0.19884488041226026),
            "ph.ecog=2": (0.4980784160444955, 0.19223985987553910),
            "ph.ecog=3": (1.7486086626569597, 1.02020768579670773),
        },
    )
    level0 = result.terms[1]
    assert (level0.covariate, level0.level, level0.reference) == ("ph.ecog", "0", "1")
    assert level0.ci == pytest.approx((0.473098688124627, 1.03149204244527), abs=SURV_ABS)
    assert result.terms[3].ci[1] == pytest.approx(42.44372087041861, rel=STAT_REL)
    assert [t.p for t in result.terms] == pytest.approx(
        [0.25074186081152450, 0.07122633955949281, 0.00957192796959378, 0.08653364242951911], rel=P_REL
    )
    assert (result.lr_test.statistic, result.lr_test.df) == (pytest.approx(19.78192919826165, rel=STAT_REL), 4)
    assert result.lr_test.p == pytest.approx(0.00055141046008111, rel=P_REL)
    assert result.wald_test.statistic == pytest.approx(21.5018985215133, rel=STAT_REL)
    assert result.score_test.statistic == pytest.approx(23.271763932579, rel=STAT_REL)
    assert result.concordance == pytest.approx(0.6103754990650427, abs=SURV_ABS)
    assert result.concordance_se == pytest.approx(0.0253590951443053, rel=STAT_REL)
    assert_zph(
        cox_zph(LUNG, "time", "status", ["age", "ph.ecog"], **options),  # type: ignore[arg-type]
        {
            "age": (0.266636583910985, 1, 0.605596956426755),
            "ph.ecog": (4.872583179456264, 3, 0.181368551759241),
            "GLOBAL": (4.916947405075589, 4, 0.295925857566729),
        },
    )


def test_default_reference_is_first_level_in_natural_order() -> None:
    """R: fit <- coxph(Surv(time, status) ~ sex + factor(ph.ecog), data = lung); coef(fit)
    sex -0.544923283445324  factor(ph.ecog)1 0.418194348857116  factor(ph.ecog)2 0.947469238527165
    factor(ph.ecog)3 2.048525691830169
    cox.zph(fit)$table: sex 2.56075218098338 1 0.1095464516933248;
                        factor(ph.ecog) 5.64073679876954 3 0.1304591673142085;
                        GLOBAL 7.83088912054101 4 0.0979730967398456
    """
    result = fit_cox(LUNG, "time", "status", ["sex", "ph.ecog"], categorical=["ph.ecog"])
    assert [t.term for t in result.terms] == ["sex", "ph.ecog=1", "ph.ecog=2", "ph.ecog=3"]
    assert {t.reference for t in result.terms[1:]} == {"0"}
    assert [t.coef for t in result.terms] == pytest.approx(
        [-0.544923283445324, 0.418194348857116, 0.947469238527165, 2.048525691830169], rel=STAT_REL
    )
    assert_zph(
        cox_zph(LUNG, "time", "status", ["sex", "ph.ecog"], categorical=["ph.ecog"]),
        {
            "sex": (2.56075218098338, 1, 0.1095464516933248),
            "ph.ecog": (5.64073679876954, 3, 0.1304591673142085),
            "GLOBAL": (7.83088912054101, 4, 0.0979730967398456),
        },
    )


def test_text_column_is_categorical_automatically() -> None:
    """R: lung$sexc <- ifelse(lung$sex == 1, "M", "F")
       fit <- coxph(Surv(time, status) ~ sexc + ph.karno, data = lung)   # reference "F" (alphabetical)
                       coef            se(coef)          Pr(>|z|)
    sexcM     0.504210127185416 0.16772295647073468 0.00264527807026602
    ph.karno -0.015155259297035 0.00572685574274113 0.00813658085945526
    n= 227, events 164; logtest 17.0531583027368 2 1.98131590136278e-04; C 0.6375075803517283 se 0.0255806122218895
    """
    frame = LUNG.assign(sexc=np.where(LUNG["sex"] == 1, "M", "F"))
    result = fit_cox(frame, "time", "status", ["sexc", "ph.karno"])
    assert_terms(
        result,
        {"sexc=M": (0.504210127185416, 0.16772295647073468), "ph.karno": (-0.015155259297035, 0.00572685574274113)},
    )
    assert result.terms[0].reference == "F"
    assert (result.n, result.events, result.n_excluded) == (227, 164, 1)
    assert result.lr_test.statistic == pytest.approx(17.0531583027368, rel=STAT_REL)
    assert result.concordance == pytest.approx(0.6375075803517283, abs=SURV_ABS)
    assert result.concordance_se == pytest.approx(0.0255806122218895, rel=STAT_REL)
    # the other reference level flips the sign of the coefficient
    flipped = fit_cox(frame, "time", "status", ["sexc", "ph.karno"], reference={"sexc": "M"})
    assert flipped.terms[0].term == "sexc=F"
    assert flipped.terms[0].coef == pytest.approx(-0.504210127185416, rel=STAT_REL)


def test_a_reference_level_makes_a_numeric_column_categorical() -> None:
    """Same model as test_forced_categorical_with_reference_matches_r (R: relevel(factor(ph.ecog), ref = "1"))."""
    result = fit_cox(LUNG, "time", "status", ["age", "ph.ecog"], reference={"ph.ecog": "1"})
    assert [t.term for t in result.terms] == ["age", "ph.ecog=0", "ph.ecog=2", "ph.ecog=3"]
    assert result.terms[1].coef == pytest.approx(-0.3587224651653033, rel=STAT_REL)


@pytest.mark.parametrize("coding", ["bool", "text"])
def test_boolean_columns_are_numeric(coding: str) -> None:
    """True/False enters as 1/0: 'female' = sex - 1 has R's coefficient of sex in the numeric model
    (test_numeric_covariates_match_r: -0.5526123957036310, se 0.1677390537872635)."""
    female = LUNG["sex"] == 2
    values = female if coding == "bool" else female.map({True: "True", False: "false"})
    result = fit_cox(LUNG.assign(female=values), "time", "status", ["age", "female", "ph.ecog"])
    assert result.terms[1].term == "female"
    assert result.terms[1].level is None
    assert result.terms[1].coef == pytest.approx(-0.5526123957036310, rel=STAT_REL)
    assert result.terms[1].se == pytest.approx(0.1677390537872635, rel=STAT_REL)


# ----------------------------------------------------------------------------- strata


def test_strata_match_r() -> None:
    """R: fit <- coxph(Surv(time, status) ~ age + ph.ecog + strata(sex), data = lung)
                      coef            se(coef)
    age     0.0105662546009495 0.00924137389309218
    ph.ecog 0.4624244343582905 0.11476109785480394
    fit$loglik -638.509764984236 -628.770939501205; logtest 19.4776509660624 2 5.89497316572465e-05
    wald 19.6259462179148; score 19.9574997436941; C 0.605849182834751 se 0.026523885144640
    cox.zph(fit)$table: age 0.133470723862671 1 0.714860270634335; ph.ecog 2.182400689479594 1 0.139596562066246;
                        GLOBAL 2.200478902079944 2 0.332791386913031
    """
    result = fit_cox(LUNG, "time", "status", ["age", "ph.ecog"], strata="sex")
    assert result.strata == "sex"
    assert_terms(
        result, {"age": (0.0105662546009495, 0.00924137389309218), "ph.ecog": (0.4624244343582905, 0.11476109785480394)}
    )
    assert result.loglik == pytest.approx((-638.509764984236, -628.770939501205), rel=STAT_REL)
    assert result.lr_test.statistic == pytest.approx(19.4776509660624, rel=STAT_REL)
    assert result.lr_test.p == pytest.approx(5.89497316572465e-05, rel=P_REL)
    assert result.wald_test.statistic == pytest.approx(19.6259462179148, rel=STAT_REL)
    assert result.score_test.statistic == pytest.approx(19.9574997436941, rel=STAT_REL)
    assert result.concordance == pytest.approx(0.605849182834751, abs=SURV_ABS)
    assert result.concordance_se == pytest.approx(0.026523885144640, rel=STAT_REL)
    assert_zph(
        cox_zph(LUNG, "time", "status", ["age", "ph.ecog"], strata="sex"),
        {
            "age": (0.133470723862671, 1, 0.714860270634335),
            "ph.ecog": (2.182400689479594, 1, 0.139596562066246),
            "GLOBAL": (2.200478902079944, 2, 0.332791386913031),
        },
    )


def test_many_strata_match_r() -> None:
    """R: fit <- coxph(Surv(time, status) ~ age + sex + strata(inst), data = lung)   (inst has 1 NA; 18 strata)
                  coef            se(coef)
    age  0.0192048983408915 0.00987322480987376
    sex -0.4923515186516150 0.18156342931018626
    n= 227, 164 events; logtest 12.65407965935208 2 0.00178731670792275; C 0.6163903061224489 se 0.0313955702827873
    cox.zph(fit)$table: age 0.0740470562361888 1 0.785532913861384; sex 2.6902745519113838 1 0.100962416377868;
                        GLOBAL 2.7391358242637738 2 0.254216779811518
    """
    result = fit_cox(LUNG, "time", "status", ["age", "sex"], strata="inst")
    assert (result.n, result.events, result.n_excluded) == (227, 164, 1)
    assert_terms(
        result, {"age": (0.0192048983408915, 0.00987322480987376), "sex": (-0.4923515186516150, 0.18156342931018626)}
    )
    assert result.lr_test.statistic == pytest.approx(12.65407965935208, rel=STAT_REL)
    assert result.concordance == pytest.approx(0.6163903061224489, abs=SURV_ABS)
    assert result.concordance_se == pytest.approx(0.0313955702827873, rel=STAT_REL)
    assert_zph(
        cox_zph(LUNG, "time", "status", ["age", "sex"], strata="inst"),
        {
            "age": (0.0740470562361888, 1, 0.785532913861384),
            "sex": (2.6902745519113838, 1, 0.100962416377868),
            "GLOBAL": (2.7391358242637738, 2, 0.254216779811518),
        },
    )


def test_covariate_constant_within_strata_is_dropped() -> None:
    """sex is constant within strata(sex): R gives NA for it; the rest is the strata model above."""
    result = fit_cox(LUNG, "time", "status", ["age", "sex", "ph.ecog"], strata="sex")
    assert [t.term for t in result.terms] == ["age", "ph.ecog"]
    assert result.terms[1].coef == pytest.approx(0.4624244343582905, rel=STAT_REL)
    assert any("'sex'" in w and "left out" in w for w in result.warnings)


# ----------------------------------------------------------------------------- counting process


def test_split_data_give_the_unsplit_model() -> None:
    """R: ls <- survSplit(Surv(time, status) ~ ., data = lung, cut = 180, episode = "period")   # 387 rows
       fit <- coxph(Surv(tstart, time, status) ~ age + sex + ph.ecog, data = ls)
    n= 386, events 164; coefficients, se and tests as the unsplit model (test_numeric_covariates_match_r);
    C 0.6371354930004549 se(C) 0.0249905125654083 (the SE counts (start, stop] rows, so it differs from unsplit)
    cox.zph(fit)$table identical to the unsplit one.
    """
    split = split_at(LUNG, 180)
    assert len(split) == 387
    result = fit_cox(split, "time", "status", ["age", "sex", "ph.ecog"], start_col="tstart")
    assert (result.n, result.events, result.n_excluded) == (386, 164, 1)
    assert_terms(
        result,
        {
            "age": (0.0110667645600735, 0.00926741101370053),
            "sex": (-0.5526123957036310, 0.16773905378726350),
            "ph.ecog": (0.4637284753704277, 0.11357726616199662),
        },
    )
    assert result.lr_test.statistic == pytest.approx(30.5006687731566, rel=STAT_REL)
    assert result.concordance == pytest.approx(0.6371354930004549, abs=SURV_ABS)
    assert result.concordance_se == pytest.approx(0.0249905125654083, rel=STAT_REL)
    assert_zph(
        cox_zph(split, "time", "status", ["age", "sex", "ph.ecog"], start_col="tstart"),
        {
            "age": (0.18798767365229, 1, 0.664596763116371),
            "sex": (2.30543722740497, 1, 0.128921998810965),
            "ph.ecog": (2.05424877405441, 1, 0.151782098908100),
            "GLOBAL": (4.46365758875861, 3, 0.215554945341796),
        },
    )


def test_time_varying_covariate_matches_r() -> None:
    """ECOG's effect after day 180 as a time-varying covariate.
    R: ls$ecog_late <- ls$ph.ecog * (ls$tstart >= 180)
       fit <- coxph(Surv(tstart, time, status) ~ age + sex + ph.ecog + ecog_late, data = ls)
                        coef            se(coef)
    age        0.0108650111016539 0.00929319833267437
    sex       -0.5481104179359637 0.16779136174737638
    ph.ecog    0.6809413130339089 0.18452685089252777
    ecog_late -0.3480133664846036 0.23175465613905702
    fit$loglik -744.480455761440 -728.097329328156; logtest 32.7662528665692 4 1.33360275085303e-06
    wald 31.8432874630045; score 32.524900346345; C 0.6360741901248295 se 0.0250652749161202
    cox.zph(fit)$table: age 0.0501330398864055 0.822831936000801; sex 2.4198002561900247 0.119810206439586;
       ph.ecog 0.1495537020019881 0.698962221940235; ecog_late 0.5916995996823965 0.441762645630452;
       GLOBAL 4.3492527202511591 (4 df) 0.360798222789260
    """
    split = split_at(LUNG, 180)
    split["ecog_late"] = split["ph.ecog"] * (split["tstart"] >= 180)
    covariates = ["age", "sex", "ph.ecog", "ecog_late"]
    result = fit_cox(split, "time", "status", covariates, start_col="tstart")
    assert_terms(
        result,
        {
            "age": (0.0108650111016539, 0.00929319833267437),
            "sex": (-0.5481104179359637, 0.16779136174737638),
            "ph.ecog": (0.6809413130339089, 0.18452685089252777),
            "ecog_late": (-0.3480133664846036, 0.23175465613905702),
        },
    )
    assert result.loglik == pytest.approx((-744.480455761440, -728.097329328156), rel=STAT_REL)
    assert result.lr_test.statistic == pytest.approx(32.7662528665692, rel=STAT_REL)
    assert result.lr_test.p == pytest.approx(1.33360275085303e-06, rel=P_REL)
    assert result.wald_test.statistic == pytest.approx(31.8432874630045, rel=STAT_REL)
    assert result.score_test.statistic == pytest.approx(32.524900346345, rel=STAT_REL)
    assert result.concordance == pytest.approx(0.6360741901248295, abs=SURV_ABS)
    assert result.concordance_se == pytest.approx(0.0250652749161202, rel=STAT_REL)
    assert_zph(
        cox_zph(split, "time", "status", covariates, start_col="tstart"),
        {
            "age": (0.0501330398864055, 1, 0.822831936000801),
            "sex": (2.4198002561900247, 1, 0.119810206439586),
            "ph.ecog": (0.1495537020019881, 1, 0.698962221940235),
            "ecog_late": (0.5916995996823965, 1, 0.441762645630452),
            "GLOBAL": (4.3492527202511591, 4, 0.360798222789260),
        },
    )


def test_start_not_before_stop_is_a_data_error() -> None:
    bad = split_at(LUNG, 180)
    bad.loc[0, "tstart"] = bad.loc[0, "time"]
    with pytest.raises(DataError, match="start >= stop"):
        fit_cox(bad, "time", "status", ["age"], start_col="tstart")


# ----------------------------------------------------------------------------- edge cases


def test_constant_covariate_is_dropped_with_a_warning() -> None:
    """R: m <- lung[lung$sex == 1, ]; coef(coxph(Surv(time, status) ~ age + sex, data = m))
    age 0.019063851892014 (se 0.0113532315148612)   sex NA;  112 events
    """
    men = LUNG[LUNG["sex"] == 1]
    result = fit_cox(men, "time", "status", ["age", "sex"])
    assert [t.term for t in result.terms] == ["age"]
    assert result.terms[0].coef == pytest.approx(0.019063851892014, rel=STAT_REL)
    assert result.terms[0].se == pytest.approx(0.0113532315148612, rel=STAT_REL)
    assert result.events == 112
    assert any("'sex'" in w and "constant" in w for w in result.warnings)
    with pytest.raises(DataError, match="'sex'"):
        fit_cox(men, "time", "status", ["sex"])


def test_all_censored_is_a_clear_error() -> None:
    with pytest.raises(DataError, match="no events in 'status'"):
        fit_cox(LUNG.assign(status=0), "time", "status", ["age"])


def test_group_without_events_warns_of_an_infinite_coefficient() -> None:
    """Level C holds only censored patients; R warns and stops after 18 iterations.
    R: lung$grp <- ifelse(lung$status == 0 & lung$time > 500, "C", ifelse(lung$sex == 1, "A", "B"))
       fit <- coxph(Surv(time, status) ~ age + grp, data = lung)
    Warning: Loglik converged before variable  3 ; coefficient may be infinite.
    coef: age 0.0150771391978126  grpB -0.3618851806750303  grpC -18.7433702636921105;  fit$iter 18
    se:   age 9.79515613900527e-03  grpB 1.68340276167820e-01
    """
    grp = np.where((LUNG["status"] == 0) & (LUNG["time"] > 500), "C", np.where(LUNG["sex"] == 1, "A", "B"))
    result = fit_cox(LUNG.assign(grp=grp), "time", "status", ["age", "grp"])
    assert [t.term for t in result.terms] == ["age", "grp=B", "grp=C"]
    flagged = [w for w in result.warnings if "may be infinite" in w]
    assert len(flagged) == 1 and "'grp=C'" in flagged[0]
    age, level_b, level_c = result.terms
    assert age.coef == pytest.approx(0.0150771391978126, rel=STAT_REL)
    assert age.se == pytest.approx(9.79515613900527e-03, rel=STAT_REL)
    assert level_b.coef == pytest.approx(-0.3618851806750303, rel=STAT_REL)
    assert level_b.se == pytest.approx(1.68340276167820e-01, rel=STAT_REL)
    assert level_c.coef < -15
    assert result.iterations == 18


def test_few_events_per_parameter_warns() -> None:
    small = LUNG.dropna(subset=["ph.ecog", "ph.karno"]).iloc[:40]
    result = fit_cox(small, "time", "status", ["age", "sex", "ph.ecog", "ph.karno", "wt.loss"])
    assert result.events_per_parameter == pytest.approx(result.events / 5)
    assert result.events_per_parameter < 10
    assert any(w.startswith(f"Only {result.events_per_parameter:.1f} events per parameter") for w in result.warnings)
    enough = fit_cox(LUNG, "time", "status", ["age"])
    assert not any("events per parameter" in w for w in enough.warnings)


def test_input_errors_name_the_column() -> None:
    with pytest.raises(DataError, match="'nope'"):
        fit_cox(LUNG, "time", "status", ["age", "nope"])
    with pytest.raises(DataError, match=r"reference level '7' of 'ph\.ecog'"):
        fit_cox(LUNG, "time", "status", ["ph.ecog"], categorical=["ph.ecog"], reference={"ph.ecog": "7"})
    with pytest.raises(DataError, match="at least one covariate"):
        fit_cox(LUNG, "time", "status", [])
    with pytest.raises(DataError, match="'status'"):
        fit_cox(LUNG.assign(status=LUNG["status"] + 1), "time", "status", ["age"])


def test_univariate_screen_notes_unfittable_candidates() -> None:
    """R: coxph(Surv(time, status) ~ age, data = lung): coef 0.01872017920455146, se 0.00919920671792035
    coxph(Surv(time, status) ~ factor(ph.ecog), data = lung): 0.368840089769309 0.916387038183747 2.207980255900979
    """
    frame = LUNG.assign(constant=1.0, empty=np.nan)
    rows = univariate_screen(frame, "time", "status", ["age", "ph.ecog", "constant", "empty"], categorical=["ph.ecog"])
    assert [r.covariate for r in rows] == ["age", "ph.ecog", "constant", "empty"]
    age, ecog, constant, empty = rows
    assert age.result is not None and age.note is None
    assert age.result.terms[0].coef == pytest.approx(0.01872017920455146, rel=STAT_REL)
    assert age.result.terms[0].se == pytest.approx(0.00919920671792035, rel=STAT_REL)
    assert age.result.n == 228  # each model uses the patients with a value for its covariate
    assert ecog.result is not None
    assert [t.coef for t in ecog.result.terms] == pytest.approx(
        [0.368840089769309, 0.916387038183747, 2.207980255900979], rel=STAT_REL
    )
    assert constant.result is None and constant.note is not None and "'constant'" in constant.note
    assert empty.result is None and empty.note is not None and "'empty'" in empty.note
    with pytest.raises(DataError, match="'nope'"):
        univariate_screen(frame, "time", "status", ["age", "nope"])


def test_to_dict_is_json_and_marks_categorical_terms() -> None:
    result = fit_cox(LUNG, "time", "status", ["age", "ph.ecog"], categorical=["ph.ecog"])
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert {"n", "events", "ties", "n_excluded", "terms", "lr_test", "concordance"} <= set(data)
    age, ecog1 = data["terms"][:2]
    assert "reference" not in age
    assert (ecog1["term"], ecog1["reference"]) == ("ph.ecog=1", "0")
    assert ecog1["ci"] == [result.terms[1].ci[0], result.terms[1].ci[1]]
    assert data["lr_test"]["df"] == 4
    zph = cox_zph(LUNG, "time", "status", ["age", "ph.ecog"], categorical=["ph.ecog"]).to_dict()
    assert [t["term"] for t in zph["terms"]] == ["age", "ph.ecog"]
    assert zph["global"]["df"] == 4


# ----------------------------------------------------------------------------- the pair-counting engine


def test_dominance_counts_equal_brute_force() -> None:
    """The vectorised pair counts behind the concordance equal an all-pairs count (with ties in keys and values)."""
    rng = np.random.default_rng(7)
    for n_points, n_queries in itertools.product((1, 7, 64, 301), (1, 5, 130)):
        point_key = rng.integers(0, 15, n_points).astype(float)
        query_key = rng.integers(0, 15, n_queries).astype(float)
        point_value = rng.integers(0, 6, n_points)
        query_value = rng.integers(0, 6, n_queries)
        counts = _dominance(point_key, point_value, query_key, query_value)
        before = point_key[None, :] < query_key[:, None]  # [query, point]
        lower = point_value[None, :] < query_value[:, None]
        same = point_value[None, :] == query_value[:, None]
        assert np.array_equal(counts.query_total, before.sum(axis=1))
        assert np.array_equal(counts.query_less, (before & lower).sum(axis=1))
        assert np.array_equal(counts.query_equal, (before & same).sum(axis=1))
        assert np.array_equal(counts.point_total, before.sum(axis=0))
        assert np.array_equal(counts.point_greater, (before & lower).sum(axis=0))
        assert np.array_equal(counts.point_equal, (before & same).sum(axis=0))


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize(("distinct_keys", "weighted"), [(37, False), (None, False), (300, True)])
def test_later_pairs_over_many_merge_levels_equal_brute_force(
    distinct_keys: int | None, weighted: bool, kernel: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The top-down merge (a stable partition per level) over 6-10 levels and key-group counts that are
    not powers of two, with ties in risk; None: untied times (one row per key, the most levels). The
    Fenwick-tree loop of large cohorts gives the same counts, compiled and as plain Python."""

    later_pairs = later_pairs_by(kernel, monkeypatch)
    rng = np.random.default_rng(23)
    n = 700
    event = rng.random(n) < 0.7
    times = rng.permutation(n) if distinct_keys is None else rng.integers(0, distinct_keys, n)
    key = (-2 * times - (~event)).astype(float)
    value = rng.integers(0, 60, n)  # ties in risk
    w = rng.uniform(0.3, 2, n) if weighted else np.ones(n)
    counts = later_pairs(key, value, event, w if weighted else None)
    q = np.flatnonzero(event)
    before = key[None, :] < key[q][:, None]  # [event, row]
    lower = value[None, :] < value[q][:, None]
    same = value[None, :] == value[q][:, None]
    assert counts.query_less == pytest.approx((before & lower) @ w, rel=1e-12)
    assert counts.query_equal == pytest.approx((before & same) @ w, rel=1e-12)
    assert counts.query_total == pytest.approx(before @ w, rel=1e-12)
    assert counts.point_greater == pytest.approx(w[q] @ (before & lower), rel=1e-12)
    assert counts.point_equal == pytest.approx(w[q] @ (before & same), rel=1e-12)
    assert counts.point_total == pytest.approx(w[q] @ before, rel=1e-12)


def test_concordance_equals_an_all_pairs_count() -> None:
    """C of a fit equals Harrell's C counted over all pairs (ties in time and in the risk score count as R:
    pairs tied on an event time are not comparable, a tie in risk counts 1/2)."""
    rng = np.random.default_rng(31)
    n = 400
    frame = pd.DataFrame(
        {
            "time": rng.integers(1, 40, n).astype(float),
            "status": (rng.random(n) < 0.65).astype(int),
            "x": rng.integers(0, 4, n).astype(float),  # few levels: many ties in the risk score
            "z": rng.integers(0, 2, n).astype(float),
        }
    )
    result = fit_cox(frame, "time", "status", ["x", "z"])
    beta = np.array([t.coef for t in result.terms])
    eta = frame[["x", "z"]].to_numpy() @ beta
    t, d = frame["time"].to_numpy(), frame["status"].to_numpy() > 0
    # comparable: i had the event and j was still at risk after t_i (later, or censored at t_i)
    comparable = d[:, None] & ((t[None, :] > t[:, None]) | ((t[None, :] == t[:, None]) & ~d[None, :]))
    concordant = (comparable & (eta[:, None] > eta[None, :] + 1e-12)).sum()
    tied = (comparable & (np.abs(eta[:, None] - eta[None, :]) <= 1e-12)).sum()
    assert result.concordance == pytest.approx((concordant + tied / 2) / comparable.sum(), rel=1e-12)
