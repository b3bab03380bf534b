"""Stratified bootstrap CIs of Kaplan–Meier summaries (analysis.bootstrap)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.bootstrap import BootEstimate, bootstrap_survival, summarise_samples
from analysis.cohort import load_bundled_cohort
from analysis.errors import DataError, PPXError
from analysis.km import kaplan_meier, km_by_group

# R 4.2, survival 3.x, lung.csv in days (12 months = 365.25 days):
#   library(survival); lung <- read.csv("tests/data/lung.csv")
#   summary(survfit(Surv(time, status) ~ 1, data = lung), times = 365.25)$std.err     # 0.03582363817
#   summary(survfit(Surv(time, status) ~ sex, data = lung), times = 365.25)$std.err   # 0.04342358884 0.05973685399
R_LUNG_SE_12M_ALL = 0.03582363817
R_LUNG_SE_12M_BY_SEX = (0.04342358884, 0.05973685399)
YEAR_DAYS = 365.25
LUNG = Path(__file__).parent / "data" / "lung.csv"


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return load_bundled_cohort().frame


def _exponential(n: int, seed: int, label: str = "x", rate: float = 0.06) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    event_time = rng.exponential(1 / rate, n)
    censor_time = rng.uniform(6, 48, n)
    return pd.DataFrame(
        {
            "t": np.minimum(event_time, censor_time),
            "e": (event_time <= censor_time).astype(float),
            "g": label,
        }
    )


def test_same_seed_same_result_other_seed_other_result(cohort: pd.DataFrame) -> None:
    first = bootstrap_survival(cohort, "os_months", "os_event", "first_line", n_resamples=300, seed=7)
    again = bootstrap_survival(cohort, "os_months", "os_event", "first_line", n_resamples=300, seed=7)
    other = bootstrap_survival(cohort, "os_months", "os_event", "first_line", n_resamples=300, seed=8)
    assert first.to_dict() == again.to_dict()
    assert first.groups[0].median.ci != other.groups[0].median.ci
    assert first.groups[0].median.estimate == other.groups[0].median.estimate


@pytest.mark.parametrize("grouping", ["first_line", "bclc", "sex"])
def test_point_estimates_are_those_of_km_by_group(cohort: pd.DataFrame, grouping: str) -> None:
    result = bootstrap_survival(cohort, "os_months", "os_event", grouping, n_resamples=50)
    km = km_by_group(cohort, "os_months", "os_event", grouping, times=result.times, tau=result.tau)
    assert [g.label for g in result.groups] == [g.group for g in km.groups]
    assert result.n_excluded == km.n_excluded
    for boot, ref in zip(result.groups, km.groups, strict=True):
        assert boot.n == ref.n and boot.events == ref.events
        assert boot.median.estimate == ref.median
        assert [s.value.estimate for s in boot.survival] == [a.survival for a in ref.at]
        assert ref.rmst is not None
        assert boot.rmst.estimate == pytest.approx(ref.rmst.estimate, rel=1e-12)
    reference = km.groups[0]
    for diff, ref in zip(result.differences, km.groups[1:], strict=True):
        assert diff.reference == reference.group and diff.group == ref.group
        assert ref.median is not None and reference.median is not None
        assert diff.median.estimate == pytest.approx(ref.median - reference.median)
        twelve = result.times.index(12.0)
        survival, base = ref.at[twelve].survival, reference.at[twelve].survival
        assert survival is not None and base is not None
        assert diff.survival[twelve].value.estimate == pytest.approx(survival - base)


def test_tau_defaults_to_the_smallest_largest_follow_up(cohort: pd.DataFrame) -> None:
    result = bootstrap_survival(cohort, "os_months", "os_event", "first_line", n_resamples=20)
    largest = cohort.dropna(subset=["os_months", "os_event"]).groupby("first_line")["os_months"].max()
    assert result.tau == pytest.approx(float(largest.min()))
    fixed = bootstrap_survival(cohort, "os_months", "os_event", "first_line", n_resamples=20, tau=12.0)
    assert fixed.tau == 12.0


def _contains(estimate: BootEstimate) -> bool:
    low, high = estimate.ci
    assert estimate.estimate is not None and low is not None and high is not None
    return low <= estimate.estimate <= high


def test_intervals_contain_the_estimate_and_narrow_as_n_grows() -> None:
    widths = []
    for n in (80, 800):
        result = bootstrap_survival(_exponential(n, seed=n), "t", "e", "g", n_resamples=400, times=(12.0,), tau=24.0)
        group = result.groups[0]
        for estimate in (group.median, group.survival[0].value, group.rmst):
            assert _contains(estimate)
            assert estimate.std_err is not None and estimate.std_err > 0
        low, high = group.survival[0].value.ci
        assert low is not None and high is not None
        widths.append(high - low)
    assert widths[1] < widths[0] / 2  # ~ 1/sqrt(10)


def test_identical_distributions_give_a_difference_interval_covering_zero() -> None:
    frame = pd.concat([_exponential(4000, seed=1, label="a"), _exponential(4000, seed=2, label="b")])
    result = bootstrap_survival(frame, "t", "e", "g", n_resamples=300, times=(12.0,), tau=24.0)
    (diff,) = result.differences
    for estimate in (diff.survival[0].value, diff.rmst, diff.median):
        low, high = estimate.ci
        assert low is not None and high is not None
        assert low < 0 < high
    low, high = diff.survival[0].value.ci
    assert low is not None and high is not None and high - low < 0.05


def test_median_not_reached_in_resamples_is_counted_and_bounds_the_interval() -> None:
    # 10 deaths at months 1..10, then 10 censored at month 20: the curve ends flat at exactly 0.5,
    # so the median is 10 (R's rule) but many resamples never go below 0.5.
    frame = pd.DataFrame({"t": [*range(1, 11), *[20] * 10], "e": [1.0] * 10 + [0.0] * 10})
    result = bootstrap_survival(frame, "t", "e", None, n_resamples=500, times=(12.0,))
    median = result.groups[0].median
    assert median.estimate == kaplan_meier(frame["t"], frame["e"]).median == 10.0
    assert median.n_not_reached > 0.025 * 500
    assert median.ci[0] is not None and median.ci[1] is None
    assert any("median not reached" in note and "NR" in note for note in result.notes)
    assert not any("unreliable" in note for note in result.notes)


def test_not_reached_rule_threshold_is_more_than_two_and_a_half_percent() -> None:
    finite = np.linspace(1.0, 10.0, 2000)
    at_limit = finite.copy()
    at_limit[-50:] = np.inf  # exactly 2.5%
    notes: list[str] = []
    assert summarise_samples(5.0, at_limit, 0.05, "m", notes).ci[1] is not None
    over = finite.copy()
    over[-51:] = np.inf
    estimate = summarise_samples(5.0, over, 0.05, "m", notes)
    assert estimate.ci[1] is None and estimate.n_not_reached == 51
    assert estimate.std_err is not None  # from the reached medians


def test_small_groups_are_flagged(cohort: pd.DataFrame) -> None:
    small = cohort.head(40)
    result = bootstrap_survival(small, "os_months", "os_event", "bclc", n_resamples=50)
    assert any(g.n < 10 for g in result.groups)
    assert any("unreliable" in note for note in result.notes)


def test_progress_is_reported_and_should_stop_cancels(cohort: pd.DataFrame) -> None:
    calls: list[tuple[int, int]] = []
    bootstrap_survival(cohort, "os_months", "os_event", "first_line", progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (2000, 2000)
    assert 15 <= len(calls) <= 25
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    seen: list[int] = []

    def stop_after_three() -> bool:
        seen.append(1)
        return len(seen) > 3

    with pytest.raises(PPXError, match="cancelled"):
        bootstrap_survival(cohort, "os_months", "os_event", "first_line", should_stop=stop_after_three)
    assert len(seen) == 4


def test_bad_arguments_are_clear_errors(cohort: pd.DataFrame) -> None:
    with pytest.raises(DataError):
        bootstrap_survival(cohort, "os_months", "os_event", "first_line", n_resamples=1)
    with pytest.raises(DataError):
        bootstrap_survival(cohort, "os_months", "os_event", "first_line", level=1.5)
    with pytest.raises(DataError):
        bootstrap_survival(cohort, "os_months", "os_event", "first_line", tau=-1.0)


def test_bootstrap_se_of_12_month_survival_is_close_to_greenwood_in_r() -> None:
    lung = pd.read_csv(LUNG)
    overall = bootstrap_survival(lung, "time", "status", None, times=(YEAR_DAYS,))
    se = overall.groups[0].survival[0].value.std_err
    assert se == pytest.approx(R_LUNG_SE_12M_ALL, rel=0.15)
    by_sex = bootstrap_survival(lung, "time", "status", "sex", times=(YEAR_DAYS,))
    for group, r_se in zip(by_sex.groups, R_LUNG_SE_12M_BY_SEX, strict=True):
        assert group.survival[0].value.std_err == pytest.approx(r_se, rel=0.15)


def test_to_dict_is_plain_data(cohort: pd.DataFrame) -> None:
    import json

    result = bootstrap_survival(cohort, "os_months", "os_event", "first_line", n_resamples=30)
    payload = json.loads(json.dumps(result.to_dict()))
    assert payload["n_resamples"] == 30 and len(payload["differences"]) == 1
    assert set(payload["groups"][0]) == {"label", "n", "events", "median", "survival", "rmst"}
