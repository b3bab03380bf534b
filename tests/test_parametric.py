"""Parametric survival (analysis/parametric.py) against R's survreg, and its bad-input behaviour.

Constants from R 4.x, survival package (lung's status recoded 0/1 in tests/data/lung.csv; veteran written by
``write.csv(veteran, "tests/data/veteran.csv", row.names = FALSE)``):

    library(survival); options(digits = 12)
    d <- lung; d$status <- d$status - 1          # (veteran: d <- veteran)
    f <- survreg(Surv(time, status) ~ 1, data = d, dist = DIST)
    coef(f); f$scale; f$loglik[2]
    predict(f, newdata = data.frame(x = 1), type = "quantile", p = 0.5)     # median
    1 - psurvreg(c(100, 300), coef(f)[1], f$scale, DIST)                    # S(100), S(300)

Mapping (module docstring): survreg's intercept mu and scale are log(lambda_) and 1/rho_ (Weibull),
log(lambda_) and 1 (exponential), mu_ and sigma_ (log-normal), log(alpha_) and 1/beta_ (log-logistic).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError
from analysis.parametric import aft_regression, parametric_fits

DATA = Path(__file__).parent / "data"
REL = 1e-4

# data set: dist -> (intercept, scale, loglik, median, S(100), S(300))
SURVREG = {
    "lung": {
        "exponential": (6.04447379265, 1.0, -1162.33817579, 292.352677192, 0.788918064299, 0.491016064806),
        "weibull": (6.03490391023, 0.759393601124, -1153.85118809, 316.263695049, 0.858838846346, 0.523825986778),
        "lognormal": (5.66330496221, 1.09763926977, -1169.26905531, 288.099227926, 0.832479439638, 0.48529158685),
        "loglogistic": (5.71098038755, 0.579455082551, -1160.93062351, 302.167164041, 0.870835042655, 0.503105426356),
    },
    "veteran": {
        "exponential": (4.86891570762, 1.0, -751.221210575, 90.2336833568, 0.463861623161, 0.099807994712),
        "weibull": (4.79314563679, 1.17359213916, -748.091213992, 78.4929611818, 0.426561780799, 0.113877384209),
        "lognormal": (4.15766495615, 1.37828943236, -749.473984949, 63.9220873223, 0.372711027748, 0.130981081757),
        "loglogistic": (4.21931592414, 0.788718994793, -750.265787978, 67.9869601399, 0.380078182769, 0.132145154954),
    },
}


def _data(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / f"{name}.csv")


@pytest.mark.parametrize("name", ["lung", "veteran"])
def test_univariate_fits_match_survreg(name: str) -> None:
    result = parametric_fits(_data(name), "time", "status", times=[100, 300], models=list(SURVREG[name]))
    group = result.groups[0]
    for dist, (mu, scale, loglik, median, s100, s300) in SURVREG[name].items():
        fit = group.fit(dist)
        assert fit is not None and fit.fitted, (dist, fit)
        assert fit.survreg is not None
        assert fit.survreg[0] == pytest.approx(mu, rel=REL), dist
        assert fit.survreg[1] == pytest.approx(scale, rel=REL), dist
        assert fit.log_likelihood == pytest.approx(loglik, rel=REL), dist
        assert fit.median == pytest.approx(median, rel=REL), dist
        assert [s for _, s in fit.survival_at] == pytest.approx([s100, s300], rel=REL), dist
    # the chosen model is the one with the lowest AIC, and exactly one is chosen
    fitted = [f for f in group.fits if f.fitted]
    assert [f.model for f in fitted if f.chosen] == [min(fitted, key=lambda f: f.aic or 0).model]


# Gompertz without flexsurv (not in Debian): its log-likelihood in base R, maximised with optim then nlm.
# h(t) = b exp(a t), S(t) = exp(-b/a (exp(a t) - 1)); lifelines' GompertzFitter (analysis/parametric.py) has
# rate_ = b and shape_ = a, so the parameters compare directly.
#
#     options(digits = 12)
#     gompertz <- function(d) {
#       nll <- function(p) {                       # p = (log b, a)
#         b <- exp(p[1]); a <- p[2]
#         -sum(d$status * (log(b) + a * d$time) - b / a * (exp(a * d$time) - 1))
#       }
#       f <- optim(c(log(1 / mean(d$time)), 1e-4), nll, method = "BFGS",
#                  control = list(reltol = 1e-14, maxit = 1000, parscale = c(1, 1e-3)))
#       f <- optim(f$par, nll, method = "Nelder-Mead", control = list(reltol = 1e-15, maxit = 5000))
#       f <- nlm(nll, f$par, gradtol = 1e-12, steptol = 1e-14, iterlim = 1000)
#       c(rate = exp(f$estimate[1]), shape = f$estimate[2], loglik = -f$minimum)
#     }
#     g <- gompertz(read.csv("tests/data/lung.csv"))                          # (veteran.csv)
#     g; log(1 + g[["shape"]] / g[["rate"]] * log(2)) / g[["shape"]]         # median
GOMPERTZ_R = {
    "lung": (1.66973383995e-03, 1.38847031729e-03, -1155.35538830, 327.796747622),
    "veteran": (9.43799901964e-03, -1.46672523511e-03, -747.793295918, 77.7069368094),
}


@pytest.mark.parametrize("name", ["lung", "veteran"])
def test_gompertz_matches_its_likelihood_maximised_in_base_r(name: str) -> None:
    rate, shape, loglik, median = GOMPERTZ_R[name]
    group = parametric_fits(_data(name), "time", "status", models=["gompertz"]).groups[0]
    fit = group.fit("gompertz")
    assert fit is not None and fit.fitted, fit
    params = {p.name: p.value for p in fit.parameters}
    assert params["rate"] == pytest.approx(rate, rel=REL)
    assert params["shape"] == pytest.approx(shape, rel=REL)
    assert fit.log_likelihood == pytest.approx(loglik, rel=REL)
    assert fit.median == pytest.approx(median, rel=REL)
    # the fitted hazard is b exp(a t), in the data's time unit
    assert fit.hazard[10] == pytest.approx(rate * math.exp(shape * group.grid[10]), rel=REL)


def test_weibull_rmst_and_mean_match_r_and_cis_cover() -> None:
    # S <- function(t) 1 - psurvreg(t, coef(f)[1], f$scale, "weibull")    (lung, weibull fit above)
    # integrate(S, 0, 365, rel.tol = 1e-12)$value    -> 262.149572022
    # exp(coef(f)[1]) * gamma(1 + f$scale)           -> 384.852860775  (mean survival)
    result = parametric_fits(_data("lung"), "time", "status", models=["weibull", "gompertz", "gengamma"], horizon=365)
    weibull = result.groups[0].fit("weibull")
    assert weibull is not None and weibull.rmst is not None and weibull.mean is not None
    assert weibull.rmst.value == pytest.approx(262.149572022, rel=REL)
    assert weibull.mean.value == pytest.approx(384.852860775, rel=REL)
    for estimate in (weibull.rmst, weibull.mean):
        low, high = estimate.ci
        assert low is not None and high is not None and low < (estimate.value or 0) < high
    # the numerical mean (Gompertz, generalised gamma: no closed form) is in the same range as Weibull's
    for model in ("gompertz", "gengamma"):
        fit = result.groups[0].fit(model)
        assert fit is not None and fit.fitted and fit.mean is not None and fit.mean.value is not None
        assert 300 < fit.mean.value < 500, (model, fit.mean)


def test_aft_regression_matches_survreg() -> None:
    # f <- survreg(Surv(time, status) ~ age + sex, data = d, dist = DIST)    (lung, status 0/1)
    # coef(f); sqrt(diag(vcov(f)))[1:3]; f$scale; f$loglik[2]
    expected = {
        "weibull": (
            (6.27485305842, -0.0122570255889, 0.382085139659),
            (0.481366952857, 0.00695747226495, 0.127476840503),
            0.754050947641,
            -1147.05443143,
        ),
        "lognormal": (
            (6.40798854853, -0.0233564575543, 0.519253674643),
            (0.592927403925, 0.00838823882829, 0.155152235422),
            1.05267589007,
            -1158.75014259,
        ),
        "loglogistic": (
            (5.92231537274, -0.0140050850097, 0.477509224904),
            (0.532692257781, 0.00771442639245, 0.140355261269),
            0.565578594746,
            -1152.89722532,
        ),
    }
    result = aft_regression(_data("lung"), "time", "status", ["age", "sex"])
    assert [m.model for m in result.models] == list(expected)
    for model in result.models:
        coefs, ses, scale, loglik = expected[model.model]
        assert model.fitted
        assert [model.intercept, *(t.coef for t in model.terms)] == pytest.approx(coefs, rel=REL), model.model
        assert [t.se for t in model.terms] == pytest.approx(ses[1:], rel=1e-3), model.model
        assert model.scale == pytest.approx(scale, rel=REL)
        assert model.log_likelihood == pytest.approx(loglik, rel=REL)
        sex = model.terms[1]
        assert sex.time_ratio == pytest.approx(math.exp(sex.coef))
        assert sex.ci[0] < sex.time_ratio < sex.ci[1]


def test_bad_groups_mark_models_not_fitted_and_keep_the_others() -> None:
    frame = pd.DataFrame(
        {
            "t": [10, 20, 30, 40, 50, 60, 5, 5, 5, 7, 8, 9, 1, 2, 3, 4, 5, 6, *np.arange(10, 130, 4)],
            "e": [0] * 6 + [1, 1, 1, 0, 0, 0] + [1, 1, 0, 0, 0, 0] + [1, 0, 1] * 10,
            "g": ["none"] * 6 + ["one time"] * 6 + ["tiny"] * 6 + ["fine"] * 30,
        }
    )
    result = parametric_fits(frame, "t", "e", "g")
    by = {g.group: g for g in result.groups}
    assert all(not f.fitted and "no events" in (f.reason or "") for f in by["none"].fits)
    assert by["none"].chosen is None
    one = by["one time"]
    assert one.fit("exponential").fitted  # type: ignore[union-attr]
    assert all(not f.fitted and "one time (5)" in (f.reason or "") for f in one.fits if f.model != "exponential")
    assert one.chosen == "exponential"
    tiny = by["tiny"].fit("gengamma")
    assert tiny is not None and not tiny.fitted and "did not converge" in (tiny.reason or "")
    assert by["tiny"].fit("weibull").fitted  # type: ignore[union-attr]
    assert all(f.fitted for f in by["fine"].fits)


def test_smoothed_hazard_uses_the_bandwidth_and_the_rule() -> None:
    lung = _data("lung")
    default = parametric_fits(lung, "time", "status", models=["weibull"])
    events = lung.loc[lung["status"] == 1, "time"]
    assert default.bandwidth == float(f"{(events.max() - events.min()) / 10:.2g}")
    wide = parametric_fits(lung, "time", "status", models=["weibull"], bandwidth=300)
    assert wide.bandwidth == 300
    rough = np.diff(default.groups[0].smoothed_hazard)
    smooth = np.diff(wide.groups[0].smoothed_hazard)
    assert np.abs(smooth).sum() < np.abs(rough).sum()  # a wider kernel gives a smoother hazard


def test_bad_input_is_a_clear_error() -> None:
    lung = _data("lung")
    with pytest.raises(DataError, match=r"unknown parametric model.*'weibul'"):
        parametric_fits(lung, "time", "status", models=["weibul"])
    with pytest.raises(DataError, match="bandwidth"):
        parametric_fits(lung, "time", "status", bandwidth=-1)
    zero = pd.DataFrame({"t": [0, 2, 3], "e": [1, 0, 1]})
    with pytest.raises(DataError, match=r"times > 0.*rows 2"):
        parametric_fits(zero, "t", "e")


def test_a_deprecation_raised_during_a_fit_is_not_one_of_its_notes() -> None:
    """A library's DeprecationWarning (seen on the Cox page: urllib3's, raised in another module while the AFT
    models were fitted) says nothing about the model; convergence and numerical warnings do."""
    import warnings

    from analysis.parametric import _warned

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn("HTTPResponse.getheaders() is deprecated", DeprecationWarning, stacklevel=1)
        warnings.warn("this will change", FutureWarning, stacklevel=1)
        warnings.warn("overflow encountered in exp", RuntimeWarning, stacklevel=1)
    assert tuple(m.text() for m in _warned(caught)) == ("RuntimeWarning: overflow encountered in exp",)


@pytest.mark.slow
def test_fits_in_threads_at_once_give_the_same_models_as_one_at_a_time() -> None:
    """A threaded web worker fits for two users at once. lifelines' fitters share state between instances: three
    threads fitting log-logistic AFT models failed 16 times in 18 ("operands could not be broadcast"), shown as
    "not fitted" on the Cox page (seen in CI as a ValueError in the Japanese sweep). Fits now take turns."""
    import threading

    frame = pd.read_csv(Path(__file__).resolve().parents[1] / "data" / "synthetic_klc.csv")
    frame = frame[frame["os_months"] > 0]
    covariates = ["fib4", "ecog", "mvi"]
    alone = aft_regression(frame, "os_months", "os_event", covariates, models=["loglogistic", "weibull"])
    outcomes: list[tuple[str, bool, float]] = []

    def fit() -> None:
        for _ in range(3):
            result = aft_regression(frame, "os_months", "os_event", covariates, models=["loglogistic", "weibull"])
            outcomes.extend((m.model, m.fitted, m.log_likelihood) for m in result.models)

    threads = [threading.Thread(target=fit) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = [(m.model, m.fitted, m.log_likelihood) for m in alone.models]
    assert all(m.fitted for m in alone.models)
    assert sorted(outcomes) == sorted(expected * 9)
