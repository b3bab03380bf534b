"""The Cox page's AFT check: readings against the Cox HR (analysis.parametric.aft_readings), the panel's table and
its bad input (app/components/aft_check.py), on the bundled cohort with the Cox page's design. No browser."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from analysis.caveats import caveats
from analysis.cox import fit_cox
from analysis.parametric import AFTModel, AFTResult, AFTTerm, aft_readings, aft_regression
from app.components.aft_check import model_lines, reading_text, rows
from app.parametric_views import AFTView

ROOT = Path(__file__).resolve().parents[1]
COVARIATES = ["fib4", "pp_received", "ecog"]


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / "synthetic_klc.csv")


def _view(frame: pd.DataFrame) -> AFTView:
    """The seam's assembly (app.parametric_views.aft_view) without the app's cache: AFT + Cox on one design."""
    result = aft_regression(frame, "os_months", "os_event", COVARIATES, categorical=["ecog"])
    cox = fit_cox(frame, "os_months", "os_event", COVARIATES, categorical=["ecog"])
    ratios = tuple((t.term, t.hr, t.ci[0], t.ci[1]) for t in cox.terms)
    readings = aft_readings(result, {term: hr for term, hr, _, _ in ratios})
    return AFTView("os", tuple(COVARIATES), result, readings, ratios, caveats(COVARIATES, "os"), None)


def test_time_ratios_run_opposite_to_the_cox_hazard_ratios_on_the_same_terms(cohort: pd.DataFrame) -> None:
    view = _view(cohort)
    assert view.result is not None
    cox = {term: hr for term, hr, _, _ in view.hazard_ratios}
    weibull = next(m for m in view.result.models if m.model == "weibull")
    # same design as the Cox model: same terms in the same order, ECOG against the same reference level
    assert [t.term for t in weibull.terms] == list(cox)
    assert [t.reference for t in weibull.terms if t.covariate == "ecog"] == ["0", "0"]
    # a Weibull AFT model is a proportional-hazards model: its HR exp(-coef / scale) is close to the Cox HR
    assert weibull.scale is not None
    for t in weibull.terms:
        assert math.exp(-t.coef / weibull.scale) == pytest.approx(cox[t.term], rel=0.1), t.term
    # these strong effects point the same way in every model: each reading is "consistent"
    assert [(r.term, r.direction, r.agreement) for r in view.readings] == [
        ("fib4", "shorter", "consistent"),
        ("pp_received", "longer", "consistent"),
        ("ecog=1", "shorter", "consistent"),
        ("ecog=2", "shorter", "consistent"),
    ]
    table = rows(view)
    assert [r[0] for r in table] == ["FIB-4 index", "Post-progression therapy", "ECOG PS: 1 vs 0", "ECOG PS: 2 vs 0"]
    assert table[1][5].startswith("Longer survival in every fitted AFT model (time ratios 1.91–2.16), consistent")
    assert all(len(r) == 6 and "not fitted" not in r for r in table)
    assert any("Lowest" not in line and "AIC" in line for line in model_lines(view))


def test_readings_say_consistent_opposite_or_mixed() -> None:
    def term(tr: float) -> AFTTerm:
        return AFTTerm("x", 0.0, 0.1, tr, (tr * 0.9, tr * 1.1), 0.5)

    def result(*ratios: float) -> AFTResult:
        models = tuple(
            AFTModel(m, m, True, terms=(term(r),)) for m, r in zip(("weibull", "lognormal"), ratios, strict=True)
        )
        return AFTResult(("x",), models, 10, 5, 0)

    longer = aft_readings(result(1.5, 1.8), {"x": 0.6})[0]
    assert (longer.direction, longer.agreement, longer.low, longer.high) == ("longer", "consistent", 1.5, 1.8)
    assert reading_text(longer) == (
        "Longer survival in every fitted AFT model (time ratios 1.50–1.80), consistent with the Cox HR 0.60."
    )
    opposite = aft_readings(result(0.7, 0.8), {"x": 0.6})[0]
    assert (opposite.direction, opposite.agreement) == ("shorter", "opposite")
    assert "points the other way" in reading_text(opposite)
    assert aft_readings(result(0.7, 1.2), {"x": 0.6})[0].agreement == "mixed"
    assert aft_readings(result(1.2, 1.3), {})[0].agreement == "no_cox"
    assert "ワイブル" not in reading_text(longer, "ja") and "1.50" in reading_text(longer, "ja")


def test_all_events_at_one_time_marks_every_model_not_fitted_with_the_reason(cohort: pd.DataFrame) -> None:
    frame = cohort.copy()
    frame.loc[frame["os_event"] == 1, "os_months"] = 5.0
    view = _view(frame)
    assert view.result is not None and not any(m.fitted for m in view.result.models)
    lines = model_lines(view)
    assert len(lines) == 3 and all("not fitted: all" in line and "one time (5)" in line for line in lines)
    assert all(r[2:5] == ["not fitted"] * 3 and r[5] == "No AFT model could be fitted." for r in rows(view))


def test_a_model_that_does_not_converge_is_not_fitted_and_the_others_are_shown(cohort: pd.DataFrame) -> None:
    good = _view(cohort)
    assert good.result is not None
    broken = AFTModel("lognormal", "Log-normal", False, "did not converge (ConvergenceError: Fitting did not converge)")
    models = tuple(broken if m.model == "lognormal" else m for m in good.result.models)
    result = AFTResult(good.result.covariates, models, good.result.n, good.result.n_events, 0)
    readings = aft_readings(result, {term: hr for term, hr, _, _ in good.hazard_ratios})
    view = AFTView("os", good.covariates, result, readings, good.hazard_ratios, (), None)
    table = rows(view)
    assert all(r[3] == "not fitted" and r[2] != "not fitted" and r[4] != "not fitted" for r in table)
    assert "Log-normal: not fitted: did not converge (ConvergenceError" in " ".join(model_lines(view))


def test_model_labels_are_in_the_catalog() -> None:
    from analysis.parametric import MODEL_LABELS
    from app.i18n import t
    from app.i18n.vocabulary import PARAMETRIC_MODEL_LABELS

    assert set(MODEL_LABELS.values()) == set(PARAMETRIC_MODEL_LABELS)
    assert t("ja", "Log-logistic") == "対数ロジスティック" and t("ja", "Generalised gamma") == "一般化ガンマ"


def test_the_study_model_fits_in_all_three_aft_models(cohort: pd.DataFrame) -> None:
    # the Cox page's default covariates: lifelines' BFGS stopped with precision loss at the tight tolerance (gtol 1e-9)
    # for the log-normal model; the fit now falls back to lifelines' own tolerance and says so
    result = aft_regression(cohort, "os_months", "os_event", ["fib4", "disease_control", "pp_received", "pp_ici"])
    assert [(m.model, m.fitted) for m in result.models] == [
        ("weibull", True),
        ("lognormal", True),
        ("loglogistic", True),
    ]
    lognormal = result.models[1]
    # log L of survreg(Surv(os_months, os_event) ~ fib4 + disease_control + pp_received + pp_ici, dist = "lognormal")
    # on data/synthetic_klc.csv: -1491.97687284 (R 4.x, survival; f$loglik[2])
    assert lognormal.log_likelihood == pytest.approx(-1491.97687284, rel=1e-6)


def test_a_separating_covariate_marks_the_models_not_fitted_instead_of_failing() -> None:
    """A level with no events sends its coefficient to infinity: exp() of its CI bound overflowed (an
    OverflowError reached the Cox page); the models are now marked not fitted, naming the covariate."""
    import numpy as np
    import pandas as pd

    from analysis.parametric import aft_regression

    rng = np.random.default_rng(1)
    x = np.r_[np.zeros(60), np.ones(20)]
    frame = pd.DataFrame(
        {
            "t": np.where(x == 1, rng.uniform(50, 60, 80), rng.exponential(10, 80)),
            "e": np.where(x == 1, 0, 1),
            "x": x,
            "age": rng.normal(60, 10, 80),
        }
    )
    result = aft_regression(frame, "t", "e", ["x", "age"])
    assert result.models and all(not m.fitted and "x" in (m.reason or "") for m in result.models)
