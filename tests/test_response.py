"""Response rates and the chi-square / Fisher choice (analysis/response.py) against R 4.2.2.

Every constant was printed by R with ``options(digits = 15)``; the R code is beside it.
"""

from __future__ import annotations

import json
import math
import time

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis.errors import DataError, UndefinedComparisonError
from analysis.response import (
    FISHER_REPLICATES,
    association_test,
    chi_square_test,
    clopper_pearson,
    fisher_exact_p,
    fisher_monte_carlo_p,
    response_rates,
)

CI_ABS = 1e-6
STAT_REL = 1e-4
P_REL = 1e-3


def _patients(group: str, **counts: int) -> list[tuple[str, str | None]]:
    return [(group, code) for code, n in counts.items() for _ in range(n)]


def _cohort() -> pd.DataFrame:
    """A: CR 2, PR 5, SD 6, PD 5, NE 2 (+2 missing); B: CR 1, PR 3, SD 8, PD 10, NE 3; C: PR 1, SD 2, PD 3."""
    rows: list[tuple[str | None, str | None]] = [
        *_patients("A", CR=2, PR=5, SD=6, PD=5, NE=2),
        ("A", None),
        ("A", None),
        *_patients("B", CR=1, PR=3, SD=8, PD=10, NE=3),
        *_patients("C", PR=1, SD=2, PD=3),
        (None, "PR"),
    ]
    return pd.DataFrame(rows, columns=["arm", "best_response"])


# ----------------------------------------------------------------------------- Clopper–Pearson

# R: binom.test(x, n)$conf.int
R_BINOM = {
    (7, 20): (0.153909204784541, 0.592188534532828),
    (4, 25): (0.0453794523717096, 0.360828454459272),
    (1, 6): (0.00421074451448947, 0.641234578997675),
    (0, 10): (0.0, 0.308497107818761),
    (10, 10): (0.691502892181239, 1.0),
    (13, 20): (0.407811465467172, 0.846090795215459),
    (46, 309): (0.111096285343411, 0.193530423136047),
    (1, 1): (0.025, 1.0),
}


@pytest.mark.parametrize(("count", "n"), list(R_BINOM))
def test_clopper_pearson_matches_binom_test(count: int, n: int) -> None:
    result = clopper_pearson(count, n)
    assert result.estimate == pytest.approx(count / n)
    assert_allclose(result.ci, R_BINOM[(count, n)], atol=CI_ABS, rtol=0)


def test_clopper_pearson_bounds_are_exactly_0_and_1_at_the_extremes() -> None:
    assert clopper_pearson(0, 10).ci[0] == 0.0
    assert clopper_pearson(10, 10).ci[1] == 1.0


def test_proportion_of_nobody_is_undefined() -> None:
    result = clopper_pearson(0, 0)
    assert result.estimate is None
    assert result.ci == (None, None)


def test_impossible_proportion_is_a_data_error() -> None:
    with pytest.raises(DataError, match="count"):
        clopper_pearson(5, 3)


# ----------------------------------------------------------------------------- chi-square and Fisher


def test_chi_square_matches_r_without_correction() -> None:
    # R: chisq.test(rbind(c(13,7), c(12,13)), correct = FALSE)  -> X-squared 1.3005, df 1, p 0.254121913057108
    result = chi_square_test([[13, 7], [12, 13]])
    assert result.name == "chi-square"
    assert result.df == 1
    assert_allclose(result.statistic, 1.3005, rtol=STAT_REL)
    assert_allclose(result.p, 0.254121913057108, rtol=P_REL)
    assert "without continuity correction" in result.reason


def test_yates_only_when_asked() -> None:
    # R: chisq.test(rbind(c(13,7), c(12,13)), correct = TRUE)  -> X-squared 0.703125, p 0.401735637055398
    result = chi_square_test([[13, 7], [12, 13]], correct=True)
    assert result.name == "chi-square (Yates)"
    assert_allclose(result.statistic, 0.703125, rtol=STAT_REL)
    assert_allclose(result.p, 0.401735637055398, rtol=P_REL)


def test_chi_square_r_by_c() -> None:
    # R: chisq.test(rbind(c(30,20,10), c(25,30,15), c(20,25,35)))  -> 18.21875, df 4, p 0.00111833781603367
    result = association_test([[30, 20, 10], [25, 30, 15], [20, 25, 35]])
    assert (result.name, result.df) == ("chi-square", 4)
    assert_allclose(result.statistic, 18.21875, rtol=STAT_REL)
    assert_allclose(result.p, 0.00111833781603367, rtol=P_REL)
    assert "all expected counts >= 5" in result.reason


# R: fisher.test(tab, workspace = 2e8)$p.value
R_FISHER = [
    ([[7, 13], [4, 21]], 0.175707094028138),
    ([[7, 13], [4, 21], [1, 5]], 0.336575493812495),
    ([[3, 0], [100, 150], [120, 130]], 0.0203087345577738),
    ([[2, 1], [40, 60], [50, 50], [30, 70], [45, 55]], 0.0326741975457715),
    ([[2, 1, 0], [3, 5, 2], [1, 4, 6]], 0.194262797372233),
    ([[36, 27], [71, 42], [29, 21], [1, 0]], 0.822510221441596),  # lung: table(ph.ecog, sex)
    ([[1, 4, 2, 0, 3], [5, 1, 0, 2, 2], [0, 3, 3, 1, 1]], 0.0719111445766669),
    ([[150, 100, 50, 9], [100, 70, 30, 4]], 0.878676808456121),
]


@pytest.mark.parametrize(("table", "expected"), R_FISHER)
def test_fisher_exact_matches_r_for_r_by_c_tables(table: list[list[int]], expected: float) -> None:
    assert_allclose(fisher_exact_p(table), expected, rtol=P_REL)
    assert_allclose(fisher_exact_p(np.asarray(table).T), expected, rtol=P_REL)


def test_fisher_is_chosen_when_an_expected_count_is_below_5() -> None:
    result = association_test([[7, 13], [4, 21]])  # expected responders in A: 20 * 11 / 45 = 4.9
    assert result.name == "Fisher exact"
    assert result.statistic is None and result.df is None
    assert "expected count < 5 (4.9)" in result.reason
    assert_allclose(result.p, 0.175707094028138, rtol=P_REL)


def test_rows_and_columns_without_patients_are_dropped() -> None:
    assert_allclose(fisher_exact_p([[7, 13, 0], [0, 0, 0], [4, 21, 0]]), 0.175707094028138, rtol=P_REL)


def test_table_with_a_single_outcome_has_no_test() -> None:
    with pytest.raises(UndefinedComparisonError, match="two outcomes"):
        association_test([[5, 0], [7, 0]])


def test_too_large_exact_table_gets_a_monte_carlo_p_with_its_replicates() -> None:
    # R needs minutes for an exact p of this 3 x 5 table. R (the exact value, for the tolerance):
    # fisher.test(rbind(c(60,40,30,50,3), c(50,40,30,50,4), c(50,20,20,15,1)), simulate.p.value=TRUE, B=1e6)
    #   (set.seed(1)) -> 0.0554729445270555 (SE 0.0002)
    table = [[60, 40, 30, 50, 3], [50, 40, 30, 50, 4], [50, 20, 20, 15, 1]]
    start = time.perf_counter()
    result = association_test(table)
    assert time.perf_counter() - start < 30
    assert result.name == "Fisher exact (Monte-Carlo)"
    assert result.replicates == FISHER_REPLICATES
    assert f"{FISHER_REPLICATES:,} random tables" in result.reason
    assert "simulate.p.value = TRUE" in result.reason
    se = math.sqrt(0.0555 * (1 - 0.0555) / FISHER_REPLICATES)
    assert abs(result.p - 0.0554729445270555) < 4 * se + 0.0008
    assert association_test(table).p == result.p  # seeded: reproducible


# The Cohort page's tables on the bundled cohort (issue 14): Table 1 by first-line drug (BCLC) and by BCLC
# (Child-Pugh class, ALBI grade, ECOG). R 4.x:
#   fisher.test(rbind(c(12,77,110,5), c(22,119,162,6)))$p.value                               0.917105449166058
#   fisher.test(rbind(c(22,12), c(150,46), c(206,66), c(7,4)))$p.value                          0.358271148864174
#   fisher.test(rbind(c(10,14,10,0), c(72,70,54,0), c(106,82,83,1), c(2,4,5,0)), workspace=2e8)  0.611822944117658
#   fisher.test(rbind(c(22,10,2), c(137,48,11), c(188,69,15), c(7,4,0)), workspace=2e8)         0.965036767678467
COHORT_PAGE_FISHER = [
    ([[12, 77, 110, 5], [22, 119, 162, 6]], 0.917105449166058),
    ([[22, 12], [150, 46], [206, 66], [7, 4]], 0.358271148864174),
    ([[10, 14, 10, 0], [72, 70, 54, 0], [106, 82, 83, 1], [2, 4, 5, 0]], 0.611822944117658),
    ([[22, 10, 2], [137, 48, 11], [188, 69, 15], [7, 4, 0]], 0.965036767678467),
]


@pytest.mark.parametrize(("table", "expected"), COHORT_PAGE_FISHER)
def test_cohort_page_tables_get_fisher_not_chi_square(table: list[list[int]], expected: float) -> None:
    result = association_test(table)
    assert result.name.startswith("Fisher exact")
    if result.replicates is None:
        assert_allclose(result.p, expected, rtol=P_REL)
    else:  # Monte-Carlo: within 4 standard errors of R's exact p
        assert abs(result.p - expected) < 4 * math.sqrt(expected * (1 - expected) / result.replicates)
    assert "too large" not in result.reason


def test_small_two_row_tables_are_exact() -> None:
    result = association_test(COHORT_PAGE_FISHER[0][0])
    assert result.name == "Fisher exact" and result.replicates is None


def test_monte_carlo_p_is_never_zero_and_follows_r_formula() -> None:
    # R: (1 + sum(sim <= obs)) / (B + 1); a table more extreme than any simulated one gets 1 / (B + 1).
    p = fisher_monte_carlo_p([[30, 0], [0, 30]], replicates=999)
    assert p == pytest.approx(1 / 1000)


# ----------------------------------------------------------------------------- response rates


def test_rates_by_group_and_counts() -> None:
    result = response_rates(_cohort(), group_col="arm")
    assert [g.group for g in result.groups] == ["A", "B", "C"]
    a, b, c = result.groups
    assert (a.n, a.n_evaluable, a.count("missing"), a.count("NE")) == (22, 20, 2, 2)
    assert (a.orr.count, a.orr.n, a.dcr.count) == (7, 20, 13)
    assert (b.orr.count, b.orr.n, b.dcr.count) == (4, 25, 12)
    assert (c.orr.count, c.orr.n, c.dcr.count) == (1, 6, 3)
    assert_allclose(a.orr.ci, R_BINOM[(7, 20)], atol=CI_ABS)
    assert_allclose(a.dcr.ci, R_BINOM[(13, 20)], atol=CI_ABS)
    assert result.n_excluded == 3
    assert any("rows 22, 23" in note for note in result.notes)
    assert any("without a value of arm" in note and "row" in note for note in result.notes)


def test_three_groups_use_fisher_for_small_expected_counts() -> None:
    result = response_rates(_cohort(), group_col="arm")
    assert result.orr_test is not None and result.dcr_test is not None
    # R: fisher.test(rbind(c(7,13), c(4,21), c(1,5)))$p.value
    assert result.orr_test.name == "Fisher exact"
    assert_allclose(result.orr_test.p, 0.336575493812495, rtol=P_REL)
    # R: fisher.test(rbind(c(13,7), c(12,13), c(3,3)))$p.value
    assert result.dcr_test.name == "Fisher exact"
    assert_allclose(result.dcr_test.p, 0.490188670218229, rtol=P_REL)


def test_two_groups_choose_the_test_per_outcome() -> None:
    frame = _cohort()
    result = response_rates(frame[frame["arm"].isin(["A", "B"])], group_col="arm")
    assert result.orr_test is not None and result.dcr_test is not None
    assert result.orr_test.name == "Fisher exact"
    assert_allclose(result.orr_test.p, 0.175707094028138, rtol=P_REL)
    # R: chisq.test(rbind(c(13,7), c(12,13)), correct = FALSE)
    assert result.dcr_test.name == "chi-square"
    assert_allclose(result.dcr_test.statistic, 1.3005, rtol=STAT_REL)
    assert_allclose(result.dcr_test.p, 0.254121913057108, rtol=P_REL)


def test_ne_can_be_left_out_of_the_denominator() -> None:
    frame = _cohort()
    result = response_rates(frame[frame["arm"].isin(["A", "B"])], group_col="arm", ne_in_denominator=False)
    a, b = result.groups
    assert (a.orr.n, b.orr.n) == (18, 22)
    # R: binom.test(7, 18)$conf.int ; binom.test(4, 22)$conf.int
    assert_allclose(a.orr.ci, (0.172985854789752, 0.642548794106937), atol=CI_ABS)
    assert_allclose(b.orr.ci, (0.0518672993124369, 0.402845783077871), atol=CI_ABS)
    assert result.orr_test is not None and result.dcr_test is not None
    # R: fisher.test(rbind(c(7,11), c(4,18)))$p.value
    assert_allclose(result.orr_test.p, 0.173395479847093, rtol=P_REL)
    # R: chisq.test(rbind(c(13,5), c(12,10)), correct = FALSE)
    assert_allclose(result.dcr_test.statistic, 1.31986531986532, rtol=STAT_REL)
    assert_allclose(result.dcr_test.p, 0.250616222986226, rtol=P_REL)
    assert any("left out" in note for note in result.notes)


def test_klc_sized_comparison_uses_chi_square() -> None:
    frame = pd.DataFrame(
        _patients("sorafenib", PR=46, SD=109, PD=154) + _patients("lenvatinib", CR=5, PR=56, SD=92, PD=51),
        columns=["first_line", "best_response"],
    )
    result = response_rates(frame, group_col="first_line", group_order=["sorafenib", "lenvatinib"])
    assert [g.group for g in result.groups] == ["sorafenib", "lenvatinib"]
    assert result.orr_test is not None and result.dcr_test is not None
    # R: chisq.test(rbind(c(46,263), c(61,143)), correct = FALSE)
    assert result.orr_test.name == "chi-square"
    assert_allclose(result.orr_test.statistic, 16.7826347777987, rtol=STAT_REL)
    assert_allclose(result.orr_test.p, 4.19151251967789e-05, rtol=P_REL)
    # R: chisq.test(rbind(c(155,154), c(153,51)), correct = FALSE)
    assert_allclose(result.dcr_test.statistic, 31.596664870176, rtol=STAT_REL)
    assert_allclose(result.dcr_test.p, 1.89755199182128e-08, rtol=P_REL)
    assert_allclose(result.groups[0].orr.ci, R_BINOM[(46, 309)], atol=CI_ABS)


def test_no_grouping_gives_one_group_and_no_test() -> None:
    result = response_rates(_cohort())
    assert len(result.groups) == 1
    assert result.groups[0].orr.count == 13 and result.groups[0].orr.n == 52
    assert result.orr_test is None and result.dcr_test is None
    assert any("No grouping" in note for note in result.notes)
    assert result.n_excluded == 2


def test_single_group_has_no_test_and_says_why() -> None:
    frame = _cohort()
    result = response_rates(frame[frame["arm"] == "A"], group_col="arm")
    assert result.orr_test is None
    assert any("Fewer than two groups" in note for note in result.notes)


def test_group_without_evaluable_patients() -> None:
    frame = pd.concat([_cohort(), pd.DataFrame({"arm": ["D", "D"], "best_response": [None, None]})], ignore_index=True)
    result = response_rates(frame, group_col="arm")
    d = result.groups[-1]
    assert (d.group, d.n, d.n_evaluable, d.orr.estimate, d.orr.ci) == ("D", 2, 0, None, (None, None))
    assert any("Group D has no evaluable patients" in note for note in result.notes)
    # the test ignores the empty group: same as A/B/C
    assert result.orr_test is not None
    assert_allclose(result.orr_test.p, 0.336575493812495, rtol=P_REL)


def test_all_responders_and_no_responders() -> None:
    frame = pd.DataFrame(
        _patients("X", CR=3, PR=7) + _patients("Y", PR=10),
        columns=["arm", "best_response"],
    )
    result = response_rates(frame, group_col="arm")
    x, y = result.groups
    assert x.orr.ci[1] == 1.0 and y.orr.ci[1] == 1.0
    assert_allclose(x.orr.ci, R_BINOM[(10, 10)], atol=CI_ABS)
    assert result.orr_test is None
    assert any("No test for objective response" in note for note in result.notes)

    none = pd.DataFrame(_patients("X", PD=10) + _patients("Y", PD=4, SD=6), columns=["arm", "best_response"])
    result = response_rates(none, group_col="arm")
    assert_allclose(result.groups[0].orr.ci, R_BINOM[(0, 10)], atol=CI_ABS)
    assert result.groups[0].orr.ci[0] == 0.0
    assert result.orr_test is None
    assert result.dcr_test is not None and result.dcr_test.name == "Fisher exact"


def test_codes_are_read_case_and_space_insensitively() -> None:
    frame = pd.DataFrame({"best_response": [" cr", "Pr ", "sd", "", "NE"]})
    group = response_rates(frame).groups[0]
    assert (group.count("CR"), group.count("PR"), group.count("SD"), group.count("missing")) == (1, 1, 1, 1)
    assert group.orr.n == 4


def test_unknown_code_names_column_row_and_value() -> None:
    frame = pd.DataFrame({"best_response": ["CR", "PR", "uCR", "SD", "iCPD"]})
    with pytest.raises(DataError, match=r"'best_response'.*row 4: 'uCR'.*row 6: 'iCPD'"):
        response_rates(frame)


def test_unknown_column_is_a_data_error() -> None:
    with pytest.raises(DataError, match="'arm'"):
        response_rates(pd.DataFrame({"best_response": ["CR"]}), group_col="arm")


def test_numeric_groups_in_natural_order_and_json() -> None:
    frame = pd.DataFrame(
        {"ecog": [10, 2, 2, 1, 10, 1], "best_response": ["CR", "PD", "SD", "PR", "PD", "NE"]},
    )
    result = response_rates(frame, group_col="ecog")
    assert [g.group for g in result.groups] == ["1", "2", "10"]
    encoded = json.loads(json.dumps(result.to_dict()))
    assert encoded["groups"][0]["counts"]["NE"] == 1
    assert encoded["orr_test"]["name"] == "Fisher exact"
