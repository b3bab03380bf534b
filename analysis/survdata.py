"""Turning any table into clean survival data: the one place that checks
time, event and start columns for every estimator and for the CLI.

Row numbers in messages follow the spreadsheet convention: the header is
line 1, so the first patient is row 2. The frame's index is assumed to be the
default 0-based position of the row in the file (as ``pandas.read_csv`` gives).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.errors import DataError, EmptyGroupError

# Spellings of a yes/no value that every reader accepts (event columns, bool columns, uploads).
TRUE_WORDS = frozenset({"1", "1.0", "true", "t", "yes", "y"})
FALSE_WORDS = frozenset({"0", "0.0", "false", "f", "no", "n"})
_MAX_EXAMPLES = 3


def spreadsheet_row(index_label: object) -> str:
    """The spreadsheet row of a 0-based frame index label (header is row 1)."""
    if isinstance(index_label, (int, np.integer)):
        return str(int(index_label) + 2)
    return str(index_label)


def _examples(values: pd.Series) -> str:
    shown = [f"row {spreadsheet_row(idx)}: {val!r}" for idx, val in values.head(_MAX_EXAMPLES).items()]
    more = len(values) - _MAX_EXAMPLES
    return "; ".join(shown) + (f" (and {more} more)" if more > 0 else "")


def require_columns(frame: pd.DataFrame, columns: Iterable[str]) -> None:
    """Raise DataError naming every requested column that the frame lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(unknown_columns_message(missing, [str(c) for c in frame.columns]))


MAX_COLUMNS_LISTED = 60
"""An unknown-column message lists at most this many of the file's columns and says how many more it has."""


def unknown_columns_message(missing: Sequence[str], available: Sequence[str]) -> str:
    """'unknown column 'ag' (did you mean 'age'?); the file has 31 columns: a, b, ... and 3 more'."""
    suggestions = []
    for name in missing:
        close = difflib.get_close_matches(str(name), list(available), n=1, cutoff=0.6)
        if not close:
            lowered = {a.lower(): a for a in available}
            close = [lowered[str(name).lower()]] if str(name).lower() in lowered else []
        suggestions.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    shown = ", ".join(available[:MAX_COLUMNS_LISTED])
    more = len(available) - MAX_COLUMNS_LISTED
    listing = shown + (f" and {more} more" if more > 0 else "")
    word = "column" if len(missing) == 1 else "columns"
    return f"unknown {word} {', '.join(suggestions)}; the file has {len(available)} columns: {listing}"


def coerce_event(values: pd.Series, column: str) -> pd.Series:
    """Event indicator as float 0.0/1.0 (NaN where missing).

    Accepts 0/1 and true/false (also yes/no, case-insensitive). Anything else
    raises DataError naming the column and showing example bad values.
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
        bad_numbers = ~np.isnan(numbers) & (numbers != 0.0) & (numbers != 1.0)
        if bad_numbers.any():
            raise DataError(
                f"column {column!r} must be an event indicator coded 0/1 or true/false; "
                f"bad values at {_examples(values[bad_numbers])}"
            )
        return pd.Series(numbers, index=values.index, name=values.name, copy=False)  # fast path: 0/1 numbers
    present = values.dropna()
    text = present.astype(str).str.strip().str.lower()
    is_true = text.isin(TRUE_WORDS)
    is_false = text.isin(FALSE_WORDS)
    bad = present[~(is_true | is_false)]
    if len(bad):
        raise DataError(
            f"column {column!r} must be an event indicator coded 0/1 or true/false; bad values at {_examples(bad)}"
        )
    out = pd.Series(np.nan, index=values.index, dtype="float64")
    out.loc[present.index] = np.where(is_true, 1.0, 0.0)
    return out


def coerce_numeric(values: pd.Series, column: str) -> pd.Series:
    """Numbers as float64 (NaN where empty); non-numeric text raises DataError with examples."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype("float64")  # fast path: nothing to parse
    numeric = pd.to_numeric(values, errors="coerce")
    bad = values[numeric.isna() & values.notna() & (values.astype(str).str.strip() != "")]
    if len(bad):
        raise DataError(f"column {column!r} must be numeric; bad values at {_examples(bad)}")
    return numeric.astype("float64")


def blank_as_missing(values: pd.Series) -> pd.Series:
    """Text cells that are empty or only whitespace become missing (never a group named "")."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return values
    codes, uniques = pd.factorize(values)  # each distinct cell once (missing cells get code -1)
    blank_unique = np.array([str(u).strip() == "" for u in uniques], dtype=bool)
    if not blank_unique.any():
        return values
    return values.where(~((codes >= 0) & blank_unique[np.maximum(codes, 0)]))


@dataclass(frozen=True)
class SurvivalData:
    """Clean survival data: columns ``time``, ``event`` (0/1 floats), optional ``start``, then extras.

    ``n_excluded`` rows were dropped because a needed value was missing.
    """

    frame: pd.DataFrame
    n_read: int
    n_excluded: int
    excluded_rows: tuple[str, ...]


def survival_data(
    frame: pd.DataFrame,
    time: str,
    event: str,
    *,
    start: str | None = None,
    extra: Sequence[str] = (),
) -> SurvivalData:
    """Check and extract survival columns.

    - Unknown columns, non-numeric times, bad event codes, negative times and
      start >= stop raise DataError naming the column and rows.
    - Rows missing time, event, start or any extra column are excluded and counted; a text cell that is
      empty or only whitespace counts as missing. A column with no value at all, or an infinite time,
      raises DataError naming that column.
    """
    needed = [time, event, *([start] if start else []), *extra]
    require_columns(frame, dict.fromkeys(needed))
    # the columns as series first, one frame at the end (inserting columns one by one into a frame
    # was most of a small model's time)
    columns: dict[str, pd.Series] = {
        "time": coerce_numeric(frame[time], time),
        "event": coerce_event(frame[event], event),
    }
    if start:
        columns["start"] = coerce_numeric(frame[start], start)
    for column in extra:
        if column not in (time, event, start):
            columns[column] = blank_as_missing(frame[column])
    as_read = {time: "time", event: "event", **({start: "start"} if start else {})}
    missing = {
        name: np.isnan(values.to_numpy()) if values.dtype == np.float64 else values.isna().to_numpy()
        for name, values in columns.items()
    }
    empty = [c for c in dict.fromkeys(needed) if missing[as_read.get(c, c)].all()]
    if empty:
        raise EmptyGroupError(f"column {empty[0]!r} has no values (every cell is empty)")
    for column, name in (("time", time), ("start", start)):
        if column in columns and np.isinf(columns[column].to_numpy()).any():
            bad = columns[column][np.isinf(columns[column].to_numpy())]
            raise DataError(f"column {name!r} must hold finite times; infinite values at {_examples(bad)}")
    incomplete = np.logical_or.reduce(list(missing.values()))
    excluded = tuple(spreadsheet_row(i) for i in frame.index[incomplete])
    out = pd.DataFrame(columns, index=frame.index, copy=False)
    if incomplete.any():
        out = out[~incomplete]
    stop = out["time"].to_numpy()
    if (stop < 0).any():
        raise DataError(f"column {time!r} has negative times at {_examples(out['time'][stop < 0])}")
    if start:
        entry = out["start"].to_numpy()
        if (entry >= stop).any():
            bad = out["start"][entry >= stop]
            raise DataError(f"start column {start!r} is not before {time!r} (start >= stop) at {_examples(bad)}")
        if (entry < 0).any():
            raise DataError(f"column {start!r} has negative times at {_examples(out['start'][entry < 0])}")
    return SurvivalData(frame=out, n_read=len(frame), n_excluded=len(excluded), excluded_rows=excluded)
