"""The target trial's ICI bootstrap: no numpy warning (a median not reached in most resamples of an arm), and the
Japanese summary line puts "か月" after the RMST difference, before its CI."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from analysis.cohort import load_bundled_cohort
from analysis.emulate import EmulationResult, _median_ci, emulate_trial
from app.components.emulation import summary_text


@pytest.fixture(scope="module", params=[3.0, 1.0])
def ici_bootstrap(request: pytest.FixtureRequest) -> EmulationResult:
    with warnings.catch_warnings():
        # it raised "invalid value encountered in subtract" (a median CI bound between two unreached medians) and,
        # at a 1-month grace period, "overflow encountered in exp" (a resample's weight model, a week's hazard ~0)
        warnings.simplefilter("error")
        return emulate_trial(load_bundled_cohort().frame, therapy="ici", grace=request.param, n_bootstrap=20)


def test_the_ici_bootstrap_raises_no_warning_and_an_unreached_median_bound_is_none(
    ici_bootstrap: EmulationResult,
) -> None:
    treat = next(arm for arm in ici_bootstrap.arms if arm.arm == "treat")
    assert treat.median.ci[1] is None  # most resamples of the ICI arm never fall to 0.5: its upper bound not reached


def test_a_median_bound_leaning_on_an_unreached_median_is_none_and_the_others_are_numpys() -> None:
    reached = [float(v) for v in range(1, 39)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # 40 resamples, 2 without a median: the 97.5th percentile sits between the 39th and 40th order statistics
        lo, hi = _median_ci([*reached, None, None])
        assert lo == pytest.approx(np.percentile([*reached, 1e9, 1e9], 2.5)) and hi is None
        # 1 without: between the 39th (reached) and the 40th (not): not reached either
        lo, hi = _median_ci([*reached, 39.0, None])
        assert lo == pytest.approx(np.percentile([*reached, 39.0, 40.0], 2.5)) and hi is None
        assert _median_ci([*reached, 39.0, 40.0]) == tuple(np.percentile([*reached, 39.0, 40.0], [2.5, 97.5]))
        assert _median_ci([None] * 5) == (None, None)


@pytest.mark.parametrize("bootstrapped", [False, True])
def test_the_japanese_summary_puts_the_months_after_the_number(
    ici_bootstrap: EmulationResult, bootstrapped: bool
) -> None:
    result = ici_bootstrap if bootstrapped else emulate_trial(load_bundled_cohort().frame, therapy="ici", n_bootstrap=0)
    line = summary_text(result, "ja")
    rmst = f"{result.rmst_difference.estimate:.2f}"
    assert re.search(rf"RMST 差 {re.escape(rmst)} か月（", line), line  # the unit, then the CI (or the note)
    assert not line.endswith("か月") and "） か月" not in line, line
    english = summary_text(result, "en")
    assert english == result.summary() and f"{rmst} months" in english
