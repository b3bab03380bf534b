"""R survival's generalised Cholesky routines (cholesky2.c, chsolve2.c, chinv2.c).

A symmetric, nearly singular matrix (the information matrix of a Cox model
with more parameters than the data support) does not make these fail: a pivot
below ``toler`` times the largest diagonal element is set to zero, the solve
gives 0 in that direction and the inverse has a zero row and column there.
This is how R's ``coxph`` returns a fit, with a warning, where an ordinary
solve raises. The loops follow R's so that the same pivots are zeroed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

TOLER_CHOL = float(np.finfo(np.float64).eps ** 0.75)
"""R ``coxph.control(toler.chol)`` = .Machine$double.eps^0.75."""


@dataclass(frozen=True)
class Cholesky:
    """LDLᵀ of a symmetric matrix: unit lower triangle ``lower`` (below the diagonal) and ``diagonal``;
    a zero in ``diagonal`` marks a direction that was dropped as singular. ``rank`` is R's flag
    (negative if the matrix was not non-negative definite)."""

    lower: FloatArray
    diagonal: FloatArray
    rank: int


def cholesky2(matrix: FloatArray, toler: float = TOLER_CHOL) -> Cholesky:
    """R's ``cholesky2``: the generalised LDLᵀ decomposition, zeroing pivots below ``toler``·max diagonal."""
    a = np.array(matrix, dtype=np.float64, copy=True)
    n = a.shape[0]
    diagonal = np.diag(a)
    largest = float(diagonal.max(initial=0.0)) if np.all(np.isfinite(diagonal)) else float(np.nanmax(diagonal))
    eps = toler if not largest > 0 else largest * toler
    rank, nonneg = 0, 1
    for i in range(n):
        pivot = a[i, i]
        if not np.isfinite(pivot) or pivot < eps:
            a[i, i] = 0.0
            if pivot < -8 * eps:
                nonneg = -1
            continue
        rank += 1
        column = a[i + 1 :, i].copy()
        ratio = column / pivot
        a[i + 1 :, i] = ratio
        # for j > i, k >= j: a[k, j] -= ratio_j * a[k, i] (a[k, i] not yet divided); the whole block is
        # updated, its upper triangle is never read
        a[i + 1 :, i + 1 :] -= np.outer(column, ratio)
    lower = np.tril(a, -1)
    return Cholesky(lower=lower, diagonal=np.diag(a).copy(), rank=rank * nonneg)


def chsolve2(chol: Cholesky, vector: FloatArray) -> FloatArray:
    """R's ``chsolve2``: solve with the decomposition; 0 in the dropped directions."""
    y = np.array(vector, dtype=np.float64, copy=True)
    n = len(y)
    lower, diagonal = chol.lower, chol.diagonal
    for i in range(n):
        y[i] -= float(y[:i] @ lower[i, :i])
    for i in range(n - 1, -1, -1):
        if diagonal[i] == 0:
            y[i] = 0.0
        else:
            y[i] = y[i] / diagonal[i] - float(y[i + 1 :] @ lower[i + 1 :, i])
    return y


def chinv2(chol: Cholesky) -> FloatArray:
    """R's ``chinv2``: the (generalised) inverse, with zero rows and columns in the dropped directions."""
    n = len(chol.diagonal)
    m = chol.lower.copy()
    m[np.diag_indices(n)] = chol.diagonal
    for i in range(n):
        if m[i, i] > 0:
            m[i, i] = 1 / m[i, i]
            for j in range(i + 1, n):
                m[j, i] = -m[j, i]
                m[j, :i] += m[j, i] * m[i, :i]
    for i in range(n):
        if m[i, i] == 0:
            m[i, :i] = 0
            m[i:, i] = 0
        else:
            for j in range(i + 1, n):
                temp = m[j, i] * m[j, j]
                m[i, j] = temp
                m[i, i:j] += temp * m[j, i:j]
    upper = np.triu(m)
    result: FloatArray = upper + np.triu(upper, 1).T
    return result


def solve(matrix: FloatArray, vector: FloatArray, toler: float = TOLER_CHOL) -> FloatArray:
    """``matrix⁻ · vector`` with the generalised inverse of :func:`cholesky2`."""
    return chsolve2(cholesky2(matrix, toler), vector)


def inverse(matrix: FloatArray, toler: float = TOLER_CHOL) -> FloatArray:
    """The generalised inverse of :func:`cholesky2` / :func:`chinv2`."""
    return chinv2(cholesky2(matrix, toler))
