"""Spreadsheet-formula neutralisation of user text (shared with the exports)."""

from __future__ import annotations

import re

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")


def neutralise_formula(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe.

    Cells starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    are prefixed with ``'`` (OWASP's CSV-injection advice). Plain numbers
    written as text (``-1.5``, ``+3``) are left alone: a spreadsheet reads them
    as numbers, not formulas. Non-text values are returned unchanged.
    """
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    if _PLAIN_NUMBER.match(value):
        return value
    return "'" + value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with :func:`neutralise_formula` applied to every text cell and column name."""
    out = frame.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if pd.api.types.is_object_dtype(column.dtype) or pd.api.types.is_string_dtype(column.dtype):
            out.isetitem(position, column.map(neutralise_formula).to_numpy(dtype=object))
    out.columns = [neutralise_formula(str(c)) for c in out.columns]
    return out
