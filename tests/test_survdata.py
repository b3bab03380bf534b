"""Input checks shared by every estimator and by the CLI."""

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataError, EmptyGroupError
from analysis.survdata import coerce_event, require_columns, survival_data


def test_event_accepts_01_and_true_false() -> None:
    got = coerce_event(pd.Series(["1", "0", "TRUE", "false", None, "yes"]), "status")
    np.testing.assert_array_equal(got.to_numpy(), [1.0, 0.0, 1.0, 0.0, np.nan, 1.0])


def test_bad_event_values_named_with_rows() -> None:
    with pytest.raises(DataError, match=r"'status'.*row 3: 2"):
        coerce_event(pd.Series([1, 2, 0]), "status")


def test_missing_values_excluded_and_counted() -> None:
    frame = pd.DataFrame({"t": [1.0, None, 3.0, 4.0], "e": [1, 0, None, 1], "x": [1, 2, 3, None]})
    data = survival_data(frame, "t", "e", extra=["x"])
    assert list(data.frame["time"]) == [1.0]
    assert data.n_excluded == 3
    assert data.excluded_rows == ("3", "4", "5")


def test_unknown_column_named() -> None:
    with pytest.raises(DataError, match=r"unknown column.*'tme'"):
        survival_data(pd.DataFrame({"time": [1], "event": [1]}), "tme", "event")


def test_negative_time_and_start_after_stop_rejected() -> None:
    with pytest.raises(DataError, match="negative times at row 3"):
        survival_data(pd.DataFrame({"t": [1, -1], "e": [1, 1]}), "t", "e")
    with pytest.raises(DataError, match=r"start >= stop\) at row 2"):
        survival_data(pd.DataFrame({"s": [5, 0], "t": [5, 1], "e": [1, 1]}), "t", "e", start="s")


def test_non_numeric_time_rejected() -> None:
    with pytest.raises(DataError, match=r"'t' must be numeric.*'abc'"):
        survival_data(pd.DataFrame({"t": ["1", "abc"], "e": [1, 1]}), "t", "e")


def test_unknown_column_suggests_the_nearest_name_and_counts_the_columns_not_listed() -> None:
    frame = pd.DataFrame({f"col{i:03d}": [1.0] for i in range(75)} | {"os_months": [1.0]})
    with pytest.raises(DataError) as info:
        require_columns(frame, ["os_mnths"])
    message = str(info.value)
    assert "did you mean 'os_months'?" in message
    assert "76 columns" in message
    assert "and 16 more" in message


def test_unknown_column_lists_every_column_of_a_small_file() -> None:
    frame = pd.DataFrame({"time": [1.0], "event": [1], "arm": ["a"]})
    with pytest.raises(DataError, match=r"3 columns: time, event, arm$"):
        require_columns(frame, ["zzz"])


def test_whitespace_only_group_cells_are_missing_not_a_group_named_blank() -> None:
    frame = pd.DataFrame({"t": [1.0, 2.0, 3.0, 4.0], "e": [1, 0, 1, 1], "g": ["  ", "a", "b", "b"]})
    data = survival_data(frame, "t", "e", extra=("g",))
    assert data.n_excluded == 1 and set(data.frame["g"]) == {"a", "b"}


def test_an_empty_group_column_is_blamed_by_name() -> None:
    frame = pd.DataFrame({"t": [1.0, 2.0], "e": [1, 0], "g": [" ", None]})
    with pytest.raises(EmptyGroupError, match=r"column .g. has no values"):
        survival_data(frame, "t", "e", extra=("g",))


def test_an_infinite_time_is_an_error_naming_the_column_and_row() -> None:
    frame = pd.DataFrame({"t": [1.0, float("inf")], "e": [1, 0]})
    with pytest.raises(DataError, match=r"column 't' must hold finite times; infinite values at row 3"):
        survival_data(frame, "t", "e")
