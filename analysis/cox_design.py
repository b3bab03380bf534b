"""The design matrix of a Cox model: covariates to numbers, categories to indicators, clean rows.

Used by :mod:`analysis.cox`; see its docstring for the conventions (categories and reference
levels, constant and collinear columns dropped with a warning, rows missing a value excluded
and counted, case weights and clusters).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.cox_messages import (
    COLLINEAR,
    CONSTANT,
    NOTHING_VARIES,
    NOTHING_VARIES_IN_STRATA,
    SINGLE_VALUE,
    TOO_LARGE,
)
from analysis.errors import DataError, EmptyGroupError
from analysis.km import encode_groups
from analysis.messages import Message, Param
from analysis.survdata import coerce_numeric, require_columns, spreadsheet_row, survival_data

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

_COLLINEAR_TOLERANCE = 1e-7

MAX_MAGNITUDE = 1e150
"""A covariate value at or beyond this magnitude is refused: its square (in the Gram and information matrices)
would overflow, and the model would call the covariate constant (R's coxph returns a zero standard error)."""

_BOOL_TEXT = {"true": 1.0, "false": 0.0}


@dataclass(frozen=True)
class Column:
    term: str
    covariate: str
    level: str | None
    reference: str | None


@dataclass(frozen=True)
class Design:
    x: FloatArray
    columns: tuple[Column, ...]
    time: FloatArray
    event: FloatArray
    start: FloatArray | None
    strata: IntArray
    n_excluded: int
    excluded_rows: tuple[str, ...]
    warnings: tuple[str, ...]
    weight: FloatArray
    weighted: bool
    cluster: IntArray | None
    wording: tuple[Message, ...] = ()
    """``warnings`` as templates and parameters (:data:`analysis.cox_messages.COX_TEMPLATES`), for the app to word."""


def term_params(column: Column) -> dict[str, Param]:
    """A term's parameters in a message: its code (``term``, what the English text shows) and its covariate, level
    and reference level, for the app to name it by its label (``level`` and ``reference`` empty for a number)."""
    return {"term": column.term, "covariate": column.covariate, "level": column.level or "",
            "reference": column.reference or ""}  # fmt: skip


def sorted_distinct(values: IntArray) -> IntArray:
    """The distinct values of an integer array, ascending (by one sort: ``np.unique`` on integers here
    goes through a hash table that took 0.37 s for 10⁶ already sorted row numbers)."""
    ordered = np.sort(values)
    keep = np.ones(len(ordered), dtype=bool)
    keep[1:] = ordered[1:] != ordered[:-1]
    distinct: IntArray = ordered[keep]
    return distinct


def numeric_values(values: pd.Series, column: str) -> FloatArray | None:
    """The column as numbers if it is numeric or boolean (also "true"/"false" text), else None."""
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        numbers: FloatArray = values.to_numpy(dtype=np.float64)
        return numbers
    codes, uniques = pd.factorize(values)  # each distinct cell once
    words = [str(u).strip().lower() for u in uniques]
    if codes.min(initial=0) < 0 or not all(w in _BOOL_TEXT for w in words):
        return None
    lookup = np.array([_BOOL_TEXT[w] for w in words], dtype=np.float64)
    numbers = lookup[codes]
    return numbers


def _within_magnitude(numbers: FloatArray | None, values: pd.Series, covariate: str) -> FloatArray | None:
    """``numbers`` (None stays None), or a DataError naming the row of the largest value when it reaches
    :data:`MAX_MAGNITUDE`."""
    if numbers is None:
        return None
    magnitude = np.abs(numbers)
    if not np.max(magnitude, initial=0.0) >= MAX_MAGNITUDE:
        return numbers
    at = int(np.argmax(magnitude))
    raise DataError.of(
        TOO_LARGE,
        covariate=covariate,
        value=f"{numbers[at]:g}".replace("inf", "∞"),
        row=spreadsheet_row(values.index[at]),
        limit=f"{MAX_MAGNITUDE:g}",
    )


def categorical_columns(
    values: pd.Series, column: str, reference: str | None, warnings: list[Message]
) -> tuple[list[FloatArray], list[Column]]:
    codes, labels = encode_groups(values)
    if reference is not None and reference not in labels:
        raise DataError(
            f"reference level {reference!r} of {column!r} is not among its values here: {', '.join(labels)}"
        )
    if len(labels) < 2:
        warnings.append(Message.of(SINGLE_VALUE, covariate=column, value=labels[0]))
        return [], []
    ref = labels[0] if reference is None else reference
    arrays: list[FloatArray] = []
    columns: list[Column] = []
    for k, label in enumerate(labels):
        if label == ref:
            continue
        arrays.append((codes == k).astype(np.float64))
        columns.append(Column(f"{column}={label}", column, label, ref))
    return arrays, columns


def _pivots_above(gram: FloatArray, threshold: FloatArray) -> npt.NDArray[np.bool_]:
    """Which columns keep a pivot above ``threshold`` in the Cholesky of the Gram matrix XᵀX.

    The pivot of column k is R_kk² of the QR decomposition of X (the squared distance of column k
    from the span of the earlier kept columns); a column at or below its threshold is dropped and
    not used to eliminate later ones. One p×p decomposition instead of a QR of the n×p matrix.
    """
    a = np.array(gram, dtype=np.float64, copy=True)
    keep = np.zeros(len(a), dtype=bool)
    for i in range(len(a)):
        pivot = a[i, i]
        if not pivot > threshold[i]:
            continue
        keep[i] = True
        column = a[i + 1 :, i].copy()
        a[i + 1 :, i + 1 :] -= np.outer(column, column / pivot)
    return keep


def drop_collinear(
    x: FloatArray, strata: IntArray, columns: list[Column], warnings: list[Message]
) -> tuple[FloatArray, list[Column]]:
    """Drop columns that are (numerically) linear combinations of earlier ones or of the strata (R's NA)."""
    if strata.max(initial=0) == 0:
        centred = x - x.mean(axis=0)
    else:
        counts = np.bincount(strata)
        means = np.stack([np.bincount(strata, weights=column) for column in x.T], axis=1) / counts[:, None]
        centred = x - means[strata]
    gram = centred.T @ centred
    scale = np.sqrt(np.diag(gram))
    keep = _pivots_above(gram, (_COLLINEAR_TOLERANCE * np.maximum(scale, 1.0)) ** 2)
    for k in np.flatnonzero(~keep):
        warnings.append(Message.of(COLLINEAR, **term_params(columns[k])))
    return x if keep.all() else x[:, keep], [c for c, k in zip(columns, keep, strict=True) if k]


def build_design(
    frame: pd.DataFrame,
    time_col: str,
    event_col: str,
    covariates: Sequence[str],
    *,
    categorical: Sequence[str],
    reference: Mapping[str, str] | None,
    strata: str | None,
    start_col: str | None,
    weights: str | None = None,
    cluster: str | None = None,
) -> Design:
    covariates = list(dict.fromkeys(covariates))
    if not covariates:
        raise DataError("a Cox model needs at least one covariate")
    reference = dict(reference or {})
    require_columns(frame, [*covariates, *reference])
    unused = [c for c in reference if c not in covariates]
    if unused:
        raise DataError(f"reference level given for {', '.join(map(repr, unused))}, which is not a covariate")
    grouping = [c for c in (strata, weights, cluster) if c]
    extra = [c for c in dict.fromkeys([*covariates, *grouping]) if c not in (time_col, event_col)]
    data = survival_data(frame, time_col, event_col, start=start_col, extra=extra)
    clean = data.frame
    if clean.empty:
        raise EmptyGroupError(
            f"no patients have {time_col!r}, {event_col!r} and all of {', '.join(map(repr, covariates))} recorded"
        )
    event = clean["event"].to_numpy(dtype=np.float64)
    if event.sum() == 0:
        raise DataError(
            f"there are no events in {event_col!r} among the {len(clean)} patients analysed, "
            "so no hazard ratio can be estimated"
        )
    used = list(dict.fromkeys([*covariates, *grouping]))
    source = frame[used] if data.n_excluded == 0 else frame.loc[clean.index, used]
    warnings: list[Message] = []
    arrays: list[FloatArray] = []
    columns: list[Column] = []
    for covariate in covariates:
        values = source[covariate]
        forced = covariate in categorical or covariate in reference
        numeric = None if forced else _within_magnitude(numeric_values(values, covariate), values, covariate)
        if numeric is None:
            level_arrays, level_columns = categorical_columns(values, covariate, reference.get(covariate), warnings)
            arrays += level_arrays
            columns += level_columns
        elif np.ptp(numeric) == 0:
            warnings.append(Message.of(CONSTANT, covariate=covariate, value=f"{numeric[0]:g}"))
        else:
            arrays.append(numeric)
            columns.append(Column(covariate, covariate, None, None))
    if not arrays:
        raise DataError.of(NOTHING_VARIES, covariates=", ".join(map(repr, covariates)))
    strata_codes = encode_groups(source[strata])[0] if strata else np.zeros(len(clean), dtype=np.intp)
    x, columns = drop_collinear(np.array(arrays).T, strata_codes, columns, warnings)  # column by column (Fortran order)
    if not columns:
        raise DataError.of(NOTHING_VARIES_IN_STRATA)
    return Design(
        x=x,
        columns=tuple(columns),
        time=clean["time"].to_numpy(dtype=np.float64),
        event=event,
        start=clean["start"].to_numpy(dtype=np.float64) if start_col else None,
        strata=strata_codes,
        n_excluded=data.n_excluded,
        excluded_rows=data.excluded_rows,
        warnings=tuple(m.text() for m in warnings),
        wording=tuple(warnings),
        weight=np.ones(len(clean)) if weights is None else case_weights(source[weights], weights),
        weighted=weights is not None,
        cluster=None if cluster is None else encode_groups(source[cluster])[0],
    )


def case_weights(values: pd.Series, column: str) -> FloatArray:
    """Case weights as R's coxph accepts them: finite numbers > 0 (rows missing one are excluded before)."""
    numbers = coerce_numeric(values, column)
    bad = numbers[~np.isfinite(numbers) | (numbers <= 0)]
    if len(bad):
        shown = "; ".join(f"row {spreadsheet_row(i)}: {values[i]!r}" for i in bad.index[:3])
        more = f" (and {len(bad) - 3} more)" if len(bad) > 3 else ""
        raise DataError(f"weights column {column!r} must hold finite numbers > 0; bad values at {shown}{more}")
    weight: FloatArray = numbers.to_numpy(dtype=np.float64)
    return weight
