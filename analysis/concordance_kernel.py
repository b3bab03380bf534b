"""The concordance's pair counts as one compiled loop over a Fenwick tree (numba), for large cohorts.

:func:`analysis.concordance.later_pairs` counts, for right-censored rows, the pairs "event i, row j with
a later key" by value. In numpy that is a merge sort of log2(distinct keys) vectorised levels, each a
dozen passes over the rows; at 500,000 untied rows it is most of a Cox fit's time. This module does the
same counts the way R's ``concordance`` does: rows in key order, each looked up in and then added to a
binary indexed (Fenwick) tree over the values, O(n log n) in one compiled pass each way.

numba has a price of its own: importing it and initialising its compiler take about 1.2 s and 100 MB in a
process, even when the compiled code comes from its disk cache (next to this file, or in the user's cache when that
is read-only; machine code only, never data). So the loop is used where that is paid already or worth paying:

- in a process that has :func:`warm`-ed it: the dashboard's gunicorn master does at start (``gunicorn.conf.py``),
  so its workers and the background jobs they fork inherit it, as does the Celery worker (``app/celery_app.py``);
  ``make bench`` does, as the server does;
- from :data:`COLD_MIN_ROWS` rows in any process (a one-off ``ppx cox`` on a million rows): there the loop saves
  more than the start costs.

Elsewhere (the usual cohorts, a one-off command below a million rows) the numpy merge sort counts, and numba is
never imported. Without numba the merge sort gives the same counts (to rounding with case weights). The tests run
:func:`sweep` compiled and as plain Python against that merge sort and against brute force.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

COMPILED_MIN_ROWS = 20_000
"""From this many rows a process that has :func:`warm`-ed the loop counts with it (below, the merge sort takes a few
milliseconds)."""

COLD_MIN_ROWS = 1_000_000
"""From this many rows the loop is used (and warmed) in any process: the merge sort's 19+ levels cost more than
numba's start (about 1.6 µs a row against 1.2 s)."""

Counts = tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]


Three = tuple[FloatArray, FloatArray, FloatArray]
Sweep = Callable[[FloatArray, IntArray, FloatArray, int], Three]


def sweep(key: FloatArray, value: IntArray, mass: FloatArray, n_values: int) -> Three:
    """Rows sorted by ``key``, ``value`` in 0..n_values-1. Per row, over the rows of smaller keys: the
    ``mass`` with a smaller value, with an equal value, and in all. This is the loop numba compiles."""
    n = len(key)
    tree = np.zeros(n_values + 1)  # Fenwick tree: tree[k] sums the mass of values in (k - lowbit(k), k]
    at_value = np.zeros(n_values)  # the mass at each value, so equal values are counted exactly
    less, equal, before = np.zeros(n), np.zeros(n), np.zeros(n)
    total = 0.0
    lo = 0
    while lo < n:  # one key group [lo, hi): looked up among the earlier groups, then added
        hi = lo + 1
        while hi < n and key[hi] == key[lo]:
            hi += 1
        for i in range(lo, hi):
            v = value[i]
            below = 0.0
            k = v
            while k > 0:
                below += tree[k]
                k -= k & -k
            less[i], equal[i], before[i] = below, at_value[v], total
        for i in range(lo, hi):
            v = value[i]
            at_value[v] += mass[i]
            total += mass[i]
            k = v + 1
            while k <= n_values:
                tree[k] += mass[i]
                k += k & -k
        lo = hi
    return less, equal, before


def count_pairs(
    key: FloatArray,
    value: IntArray,
    point_mass: FloatArray,
    query_mass: FloatArray,
    n_values: int,
    run: Sweep = sweep,
) -> Counts:
    """Rows sorted by ``key``; ``value`` in 0..n_values-1. Per row: over the rows with a smaller key, the
    point mass with a smaller and with an equal value and in all; over the rows with a larger key, the
    query mass with a larger and with an equal value and in all (the six arrays of ``Dominance``).
    ``run`` is :func:`sweep`, compiled or not: forwards over the points, then backwards over the queries."""
    query_less, query_equal, query_total = run(key, value, point_mass, n_values)
    later = run(key[::-1], value[::-1], query_mass[::-1], n_values)
    less, point_equal, point_total = (counts[::-1] for counts in later)
    return query_less, query_equal, query_total, point_total - less - point_equal, point_equal, point_total


def _compiled() -> Sweep | None:
    """:func:`sweep` compiled by numba (cached on disk where a cache directory is writable), or None
    when numba cannot be imported."""
    try:
        import numba
    except ImportError:  # pragma: no cover - numba is a dependency; a platform without its wheels falls back
        return None
    try:
        kernel: Sweep = numba.njit(cache=True, nogil=True)(sweep)
    except RuntimeError:  # no writable cache directory: compile in memory, once per process
        kernel = numba.njit(nogil=True)(sweep)
    return kernel


@functools.cache
def warm() -> Sweep | None:
    """Import numba, load (or compile) :func:`sweep` and run it once, so that this process and the processes it forks
    count large cohorts with it; None without numba. Idempotent."""
    kernel = _compiled()
    if kernel is not None:
        kernel(np.zeros(2), np.zeros(2, dtype=np.int64), np.ones(2), 1)
    return kernel


def is_warm() -> bool:
    """Whether :func:`warm` has run in this process (or in the process that forked it)."""
    return warm.cache_info().currsize > 0


def compiled(n_rows: int, force: bool | None = None) -> Sweep | None:
    """The compiled loop for a stratum of ``n_rows`` rows, or None where the merge sort should count (see the module
    docstring: warm from :data:`COMPILED_MIN_ROWS` rows, in any process from :data:`COLD_MIN_ROWS`). ``force``
    True or False chooses the loop or the merge sort whatever the size."""
    if force is not None:
        return warm() if force else None
    if n_rows >= COLD_MIN_ROWS or (n_rows >= COMPILED_MIN_ROWS and is_warm()):
        return warm()
    return None
