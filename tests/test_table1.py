"""Table 1 (analysis/table1.py) against R 4.2.2.

Constants were printed by R with ``options(digits = 15)`` after

    lung <- read.csv("tests/data/lung.csv")
    # Yang & Dalton categorical SMD, the formula of tableone:::StdDiffMulti (tableone is not installed;
    # solve() equals MASS::ginv here because S is non-singular):
    smd_cat <- function(x, g) { tab <- table(g, x); P <- prop.table(tab, 1)[, -1, drop = FALSE]
      p1 <- P[1, ]; p2 <- P[2, ]; V <- function(p) { m <- -outer(p, p); diag(m) <- p * (1 - p); m }
      S <- (V(p1) + V(p2)) / 2; d <- p1 - p2; sqrt(drop(t(d) %*% solve(S) %*% d)) }
    # continuous SMD, tableone:::StdDiff
    smd_cont <- function(x, g) { m <- tapply(x, g, mean, na.rm = TRUE); v <- tapply(x, g, var, na.rm = TRUE)
      unname(abs(m[1] - m[2]) / sqrt((v[1] + v[2]) / 2)) }

The R code of each constant is beside it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analysis.errors import DataError
from analysis.table1 import Table1, Table1Row, categorical_smd, continuous_smd, quartiles, table_one

LUNG = pd.read_csv(Path(__file__).parent / "data" / "lung.csv")
ABS = 1e-6
STAT_REL = 1e-4
P_REL = 1e-3


def _rows(table: Table1, variable: str) -> list[Table1Row]:
    return [r for r in table.rows if r.variable == variable]


def _first(table: Table1, variable: str) -> Table1Row:
    return _rows(table, variable)[0]


@pytest.fixture(scope="module")
def lung_by_sex() -> Table1:
    return table_one(
        LUNG, "sex", ["age", "ph.ecog", "wt.loss", "status", "ph.karno", "meal.cal"], nonnormal=["age", "wt.loss"]
    )


def test_quartiles_are_r_type_7() -> None:
    # R: quantile(c(1.5, 2, 10, 3.3, 7, -4.25), c(.5, .25, .75))  -> 2.65 1.625 6.075
    assert_allclose(quartiles(np.array([1.5, 2, 10, 3.3, 7, -4.25])), (2.65, 1.625, 6.075), atol=ABS)
    assert quartiles(np.array([])) == (None, None, None)


def test_columns_and_counts(lung_by_sex: Table1) -> None:
    assert lung_by_sex.columns == ("Overall", "1", "2")
    assert lung_by_sex.column_n == (228, 138, 90)
    assert lung_by_sex.groups == ("1", "2") and lung_by_sex.n == (138, 90)
    assert lung_by_sex.n_excluded == 0


def test_median_row_matches_r_quantile_wilcox_and_smd(lung_by_sex: Table1) -> None:
    row = _first(lung_by_sex, "wt.loss")
    assert row.kind == "continuous" and row.level is None
    assert row.label == "wt.loss, median [IQR]"
    # R: quantile(lung$wt.loss, c(.5,.25,.75), na.rm = TRUE), then by sex
    assert_allclose(row.values[0], (7, 0, 15.75), atol=ABS)
    assert_allclose(row.values[1], (8, 0.75, 18.5), atol=ABS)
    assert_allclose(row.values[2], (4, 0, 11), atol=ABS)
    assert row.cells[1] == "8.00 [0.75, 18.50]"
    # R: wilcox.test(wt.loss ~ sex, data = lung, exact = FALSE)$p.value
    assert row.test == "Wilcoxon rank-sum"
    assert_allclose(row.p, 0.0288873453763402, rtol=P_REL)
    # R: smd_cont(lung$wt.loss, lung$sex)
    assert_allclose(row.smd, 0.263840075774101, rtol=STAT_REL)
    assert row.missing == (14, 10, 4)


def test_missing_row_follows_the_variable(lung_by_sex: Table1) -> None:
    rows = _rows(lung_by_sex, "wt.loss")
    assert [r.level for r in rows] == [None, "Missing"]
    assert rows[1].cells == ("14", "10", "4")
    assert [r.level for r in _rows(lung_by_sex, "age")] == [None]


def test_age_median_and_wilcoxon(lung_by_sex: Table1) -> None:
    row = _first(lung_by_sex, "age")
    # R: quantile(lung$age, c(.5,.25,.75)); quantile(lung$age[lung$sex == 1], ...); ... == 2
    assert_allclose(row.values, [(63, 56, 69), (64, 57, 70), (61, 55, 68)], atol=ABS)
    # R: wilcox.test(age ~ sex, data = lung, exact = FALSE)$p.value ; smd_cont(lung$age, lung$sex)
    assert_allclose(row.p, 0.0570062814517115, rtol=P_REL)
    assert_allclose(row.smd, 0.251577565185634, rtol=STAT_REL)


def test_mean_rows_use_welch(lung_by_sex: Table1) -> None:
    row = _first(lung_by_sex, "ph.karno")
    assert row.label == "ph.karno, mean (SD)" and row.test == "Welch t-test"
    # R: tapply(lung$ph.karno, lung$sex, mean/sd, na.rm = TRUE); mean/sd overall
    assert_allclose(row.values[0], (81.9383259911894, 12.3279552388519), atol=ABS)
    assert_allclose(row.values[1], (81.8248175182482, 12.3799516594959), atol=ABS)
    assert_allclose(row.values[2], (82.1111111111111, 12.3155555645663), atol=ABS)
    assert row.cells[0] == "81.9 (12.3)"
    # R: t.test(ph.karno ~ sex, data = lung)$p.value ; smd_cont(lung$ph.karno, lung$sex)
    assert_allclose(row.p, 0.864426419573258, rtol=P_REL)
    assert_allclose(row.smd, 0.0231858059791898, rtol=STAT_REL)
    # R: t.test(meal.cal ~ sex, data = lung)$p.value
    assert_allclose(_first(lung_by_sex, "meal.cal").p, 0.0198947284575491, rtol=P_REL)


def test_categorical_levels_fisher_and_multilevel_smd(lung_by_sex: Table1) -> None:
    rows = _rows(lung_by_sex, "ph.ecog")
    assert [r.level for r in rows] == [None, "0", "1", "2", "3", "Missing"]
    header = rows[0]
    # R: fisher.test(table(lung$ph.ecog, lung$sex))$p.value  (one patient with ECOG 3: expected < 5)
    assert header.test == "Fisher exact"
    assert_allclose(header.p, 0.822510221441596, rtol=P_REL)
    # R: smd_cat(lung$ph.ecog, lung$sex)
    assert_allclose(header.smd, 0.164977598016392, rtol=STAT_REL)
    assert header.missing == (1, 1, 0)
    ecog1 = rows[2]
    assert ecog1.values[1] == (71.0, pytest.approx(100 * 71 / 137))  # percent of the 137 with a recorded value
    assert ecog1.cells[1] == "71 (51.8%)"
    assert ecog1.p is None


def test_yes_no_variable_is_one_yes_row_with_chi_square(lung_by_sex: Table1) -> None:
    rows = _rows(lung_by_sex, "status")
    assert [r.level for r in rows] == ["yes"]
    row = rows[0]
    assert row.cells == ("165 (72.4%)", "112 (81.2%)", "53 (58.9%)")
    # R: chisq.test(table(lung$sex, lung$status), correct = FALSE)$p.value ; smd_cat(lung$status, lung$sex)
    assert row.test == "chi-square"
    assert_allclose(row.p, 0.000237147046203486, rtol=P_REL)
    assert_allclose(row.smd, 0.501121149260065, rtol=STAT_REL)


def test_three_groups_kruskal_anova_chi_square_and_no_smd() -> None:
    frame = LUNG[LUNG["ph.ecog"] <= 2]
    table = table_one(frame, "ph.ecog", ["age", "sex", "ph.karno"], nonnormal=["age", "ph.karno"], categorical=["sex"])
    assert table.groups == ("0", "1", "2")
    age = _first(table, "age")
    # R: e <- subset(lung, !is.na(ph.ecog) & ph.ecog <= 2); kruskal.test(age ~ ph.ecog, data = e)$p.value
    assert age.test == "Kruskal–Wallis"
    assert_allclose(age.p, 0.00262292768901797, rtol=P_REL)
    assert age.smd is None
    mean_table = table_one(frame, "ph.ecog", ["age"], nonnormal=[])
    # R: oneway.test(age ~ factor(ph.ecog), data = e, var.equal = TRUE)$p.value
    assert _first(mean_table, "age").test == "one-way ANOVA"
    assert_allclose(_first(mean_table, "age").p, 0.00334527698714407, rtol=P_REL)
    sex = _first(table, "sex")
    # R: chisq.test(table(e$ph.ecog, e$sex), correct = FALSE)$p.value
    assert sex.test == "chi-square"
    assert_allclose(sex.p, 0.714175855735558, rtol=P_REL)
    # R: kruskal.test(ph.karno ~ ph.ecog, data = e)$p.value
    assert_allclose(_first(table, "ph.karno").p, 2.39243994634378e-33, rtol=P_REL)
    assert any("two groups only" in note for note in table.notes)


def _schema_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "first_line": ["sorafenib"] * 6 + ["lenvatinib"] * 6 + [None],
            "etiology": [
                *("HBV", "HCV", "HCV", "alcohol", "MASLD", "HCV"),
                *("HBV", "HBV", "HCV", "alcohol", "alcohol", "other"),
                "HCV",
            ],
            "sex": ["M", "M", "F", "M", "M", "F", "M", "F", "M", "M", "M", "M", "F"],
            "age": [70, 65.5, 80, 72, 58, 77, 69, 74, 81, 66, 71, 63, 60],
            "mvi": [1, 0, 0, 1, None, 0, 0, 0, 1, 1, 1, 0, 0],
            "afp": [12, 4000, 7.5, 150, None, 33, 5, 2.2, 800, 61, 19, 1e4, 3],
            "ecog": [0, 1, 0, 2, 1, 0, 0, 0, 1, 1, 0, 0, 1],
            "os_months": range(13),
        }
    )


# R for the schema frame (group lenvatinib first, as in our natural order):
#   g <- factor(rep(c("sorafenib","lenvatinib"), each = 6), levels = c("lenvatinib","sorafenib"))
#   etiology <- factor(c("HBV","HCV","HCV","alcohol","MASLD","HCV","HBV","HBV","HCV","alcohol","alcohol","other"),
#                      levels = c("HBV","HCV","alcohol","MASLD","other"))
#   mvi <- c(1,0,0,1,NA,0, 0,0,1,1,1,0); afp <- c(12,4000,7.5,150,NA,33, 5,2.2,800,61,19,1e4)
#   age <- c(70,65.5,80,72,58,77, 69,74,81,66,71,63)


def test_schema_defaults_kinds_labels_and_order() -> None:
    table = table_one(_schema_frame(), "first_line")
    assert table.groups == ("lenvatinib", "sorafenib")
    assert table.n_excluded == 1 and any("row 14" in note for note in table.notes)
    assert list(dict.fromkeys(r.variable for r in table.rows)) == ["age", "sex", "etiology", "afp", "ecog", "mvi"]
    assert _first(table, "age").label == "Age (years), median [IQR]"  # the data dictionary's label
    assert _first(table, "afp").label == "AFP (ng/mL), median [IQR]"
    assert [r.level for r in _rows(table, "sex")] == [None, "M", "F"]  # schema order, not alphabetical
    assert [r.level for r in _rows(table, "etiology")] == [None, "HBV", "HCV", "alcohol", "MASLD", "other"]
    assert [r.level for r in _rows(table, "ecog")] == [None, "0", "1", "2"]  # ECOG is categorical
    assert [r.level for r in _rows(table, "mvi")] == ["yes", "Missing"]


def test_schema_frame_against_r() -> None:
    table = table_one(_schema_frame(), "first_line", labels={"afp": "AFP (ng/mL)"})
    etiology = _first(table, "etiology")
    # R: fisher.test(table(etiology, g))$p.value ; smd_cat(etiology, g)
    assert etiology.test == "Fisher exact"
    assert_allclose(etiology.p, 0.649350649350648, rtol=P_REL)
    assert_allclose(etiology.smd, 1.32664991614216, rtol=STAT_REL)
    mvi = _first(table, "mvi")
    # R: fisher.test(table(mvi, g))$p.value ; smd_cat(mvi, g)
    assert_allclose(mvi.p, 1.0, rtol=P_REL)
    assert_allclose(mvi.smd, 0.202030508910442, rtol=STAT_REL)
    assert mvi.cells[2] == "2 (40.0%)" and mvi.missing == (1, 0, 1)
    afp = _first(table, "afp")
    assert afp.label == "AFP (ng/mL), median [IQR]"
    # R: quantile(afp, c(.5,.25,.75), na.rm = TRUE), overall and by g
    assert_allclose(afp.values[0], (33, 9.75, 475), atol=ABS)
    assert_allclose(afp.values[1], (40, 8.5, 615.25), atol=ABS)
    assert_allclose(afp.values[2], (33, 12, 150), atol=ABS)
    assert afp.cells[1] == "40.0 [8.5, 615.2]"
    # R: wilcox.test(afp ~ g, exact = FALSE)$p.value ; smd_cont(afp, g)
    assert_allclose(afp.p, 0.927264473525232, rtol=P_REL)
    assert_allclose(afp.smd, 0.31354688516699, rtol=STAT_REL)
    age = _first(table_one(_schema_frame(), "first_line", ["age"], nonnormal=[]), "age")
    # R: t.test(age ~ g)$p.value ; tapply(age, g, mean) ; tapply(age, g, sd)
    assert_allclose(age.p, 0.953247293394621, rtol=P_REL)
    assert_allclose(age.values[1], (70.6666666666667, 6.34560215162176), atol=ABS)
    assert_allclose(age.values[2], (70.4166666666667, 7.95246293085775), atol=ABS)


def test_smd_edge_cases() -> None:
    assert categorical_smd([0, 10], [0, 7]) == 0.0  # everybody "yes" in both groups: tableone gives 0
    assert categorical_smd([0, 10], [3, 0]) is None  # zero variance but different: undefined (NaN in tableone)
    assert categorical_smd([0, 0], [3, 4]) is None
    assert continuous_smd(np.array([2.0, 2.0]), np.array([2.0, 2.0, 2.0])) == 0.0
    assert continuous_smd(np.array([2.0]), np.array([1.0, 3.0])) is None
    # binary SMD equals |p1 - p2| / sqrt((p1 q1 + p2 q2) / 2)
    p1, p2 = 0.3, 0.6
    assert_allclose(categorical_smd([7, 3], [4, 6]), abs(p1 - p2) / np.sqrt((p1 * 0.7 + p2 * 0.4) / 2))


def test_group_order_and_forced_categorical() -> None:
    table = table_one(_schema_frame(), "first_line", ["age"], group_order=["sorafenib"], categorical=["age"])
    assert table.columns == ("Overall", "sorafenib", "lenvatinib")
    assert table.n == (6, 6) and table.n_overall == 12
    assert _first(table, "age").kind == "categorical"


def test_single_group_has_no_tests() -> None:
    frame = _schema_frame()
    table = table_one(frame[frame["first_line"] == "sorafenib"], "first_line", ["age", "sex"])
    assert all(r.p is None and r.smd is None for r in table.rows)
    assert any("Fewer than two groups" in note for note in table.notes)


def test_variable_missing_in_a_whole_group() -> None:
    frame = _schema_frame()
    frame.loc[frame["first_line"] == "lenvatinib", "afp"] = None
    row = _first(table_one(frame, "first_line", ["afp"]), "afp")
    assert row.values[1] == (None, None, None) and row.cells[1] == "– [–, –]"
    assert row.p is None and row.smd is None
    assert row.missing[1] == 6


def test_unknown_variable_and_text_in_numeric_column() -> None:
    with pytest.raises(DataError, match="'albumin'"):
        table_one(_schema_frame(), "first_line", ["albumin"])
    frame = _schema_frame()
    frame["age"] = frame["age"].astype(object)
    frame.loc[3, "age"] = "seventy"
    with pytest.raises(DataError, match=r"'age'.*row 5"):
        table_one(frame, "first_line", ["age"])


def test_json_round_trip(lung_by_sex: Table1) -> None:
    encoded = json.loads(json.dumps(lung_by_sex.to_dict()))
    assert encoded["columns"] == ["Overall", "1", "2"]
    assert encoded["rows"][0]["values"][0] == [63.0, 56.0, 69.0]


# ----------------------------------------------------------------------------- the Cohort page on the bundled cohort


def _bundled(grouping: str) -> Table1:
    from analysis.cohort import load_cohort
    from analysis.derived import with_derived_columns

    frame = with_derived_columns(load_cohort(Path(__file__).resolve().parents[1] / "data" / "synthetic_klc.csv").frame)
    return table_one(frame.assign(**{grouping: frame[grouping].astype(str)}), grouping)


def test_labels_come_from_the_data_dictionary_and_yes_no_rows_are_named() -> None:
    table = _bundled("first_line")
    labels = {r.variable: r.label for r in table.rows if r.level != "Missing"}
    assert labels["child_pugh_score"].startswith("Child-Pugh score (points)")
    assert labels["albi_score"].startswith("ALBI score")
    assert labels["bclc"].startswith("BCLC stage")
    assert labels["fib4"].startswith("FIB-4 index")
    assert labels["ecog"].startswith("ECOG performance status")
    single = [r for r in table.rows if r.single]
    assert {r.variable for r in single} >= {"mvi", "ehs"}
    assert all(r.label in ("Macrovascular invasion, n (%)", "Extrahepatic spread, n (%)") for r in single)


def test_bundled_cohort_uses_fisher_with_r_p_values() -> None:
    # R: fisher.test(rbind(c(12,77,110,5), c(22,119,162,6)))$p.value -> 0.917105449166058 (BCLC by first line)
    bclc = next(r for r in _bundled("first_line").rows if r.variable == "bclc" and r.p is not None)
    assert bclc.test == "Fisher exact"
    assert bclc.p == pytest.approx(0.917105449166058, rel=1e-6)
    # R: fisher.test(rbind(c(22,12), c(150,46), c(206,66), c(7,4)))$p.value -> 0.358271148864174 (Child-Pugh by BCLC)
    table = _bundled("bclc")
    child = next(r for r in table.rows if r.variable == "child_pugh_class" and r.p is not None)
    assert child.test == "Fisher exact"
    assert child.p == pytest.approx(0.358271148864174, rel=1e-6)
    assert not any("too large" in note for note in table.notes)
