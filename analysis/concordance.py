"""Concordance of a Cox model's linear predictor, as R's ``concordance(fit)`` (survival ≥ 3).

Harrell's C over comparable pairs (ties in the predictor count 1/2, pairs tied on an event time
are not comparable, within strata), case-weighted, with R's infinitesimal-jackknife standard
error (summed within clusters for a clustered fit). Pair counts come from an O(n log n) offline
dominance count (:func:`dominance`), so there is no loop over patients.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from analysis import concordance_kernel
from analysis.cox_design import Design, sorted_distinct

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


def collapse(values: FloatArray, cluster: IntArray | None) -> FloatArray:
    """Sum rows within clusters (R's ``collapse = cluster``); each row is its own cluster without one."""
    if cluster is None:
        return values
    out = np.zeros((int(cluster.max()) + 1, values.shape[1]))
    np.add.at(out, cluster, values)
    return out


@dataclass(frozen=True)
class Dominance:
    """Pair counts of :func:`_dominance`: for each query over the points before it, and for each point
    over the queries after it, how many have a smaller and an equal value, and how many in all."""

    query_less: FloatArray
    query_equal: FloatArray
    query_total: FloatArray
    point_greater: FloatArray
    point_equal: FloatArray
    point_total: FloatArray


def dominance(
    point_key: FloatArray,
    point_value: IntArray,
    query_key: FloatArray,
    query_value: IntArray,
    point_weight: FloatArray | None = None,
    query_weight: FloatArray | None = None,
) -> Dominance:
    """Offline two-dimensional dominance counts over the pairs (point, query) with point key < query key.

    Keys are whole numbers (as floats); values are non-negative integers.

    Items are put in key order; a bottom-up merge sort by value then counts,
    for each merged pair of blocks, the left points below each right query and
    the right queries above each left point (cumulative sums in merged order).
    Each level is one stable argsort of two sorted runs per block pair, so the
    work is O(n log n), vectorised. Equal values are counted separately by
    grouping on the value. With weights, a point counts its weight for the queries and a query its
    weight for the points (the counts are then sums of the other side's weights).
    """
    n_points, n_queries = len(point_key), len(query_key)
    keys = np.concatenate([point_key, query_key])
    is_query = np.concatenate([np.zeros(n_points, dtype=bool), np.ones(n_queries, dtype=bool)])
    values = np.concatenate([point_value, query_value]).astype(np.int64)
    # by key; at equal keys queries come first, so only strictly smaller keys count (keys are whole numbers)
    order = np.argsort(2 * keys + ~is_query, kind="stable")
    is_query, values = is_query[order], values[order]
    is_point = ~is_query
    if point_weight is None and query_weight is None:
        point_mass: npt.NDArray[Any] = is_point
        query_mass: npt.NDArray[Any] = is_query
    else:
        ones_p = np.ones(n_points) if point_weight is None else point_weight
        ones_q = np.ones(n_queries) if query_weight is None else query_weight
        weight = np.concatenate([ones_p, ones_q])[order]
        point_mass, query_mass = weight * is_point, weight * is_query
    total = len(order)
    value_key = 2 * values + is_point  # at equal values queries sort before points: strict comparisons
    span = 2 * (int(values.max(initial=0)) + 1)
    count_type = np.int64 if point_mass.dtype == bool else np.float64
    below = np.zeros(total, dtype=count_type)  # queries: left points with a smaller value
    above = np.zeros(total, dtype=count_type)  # points: right queries with a larger value
    perm = np.arange(total)
    size = 1
    while size < total:
        pair_start = perm // (2 * size) * (2 * size)
        merged = np.argsort(pair_start // (2 * size) * span + value_key[perm], kind="stable")
        perm, pair_start = perm[merged], pair_start[merged]
        pair_end = np.minimum(pair_start + 2 * size, total)
        right = (perm // size) % 2 == 1
        left_points = np.concatenate([[0], np.cumsum(point_mass[perm] * ~right)])
        right_queries = np.concatenate([[0], np.cumsum(query_mass[perm] * right)])
        at = np.flatnonzero(is_query[perm] & right)
        below[perm[at]] += left_points[at] - left_points[pair_start[at]]
        at = np.flatnonzero(is_point[perm] & ~right)
        above[perm[at]] += right_queries[pair_end[at]] - right_queries[at + 1]
        size *= 2
    by_value = np.argsort(values, kind="stable")
    group_start = np.searchsorted(values[by_value], values[by_value], side="left")
    group_end = np.searchsorted(values[by_value], values[by_value], side="right")
    points_through = np.concatenate([[0], np.cumsum(point_mass[by_value])])
    queries_through = np.concatenate([[0], np.cumsum(query_mass[by_value])])
    equal = np.empty(total, dtype=count_type)
    equal[by_value] = np.where(
        is_query[by_value],
        points_through[:-1] - points_through[group_start],
        queries_through[group_end] - queries_through[1:],
    )
    points_before = np.cumsum(point_mass) - point_mass
    queries_after = np.sum(query_mass) - np.cumsum(query_mass)
    where_query = np.flatnonzero(is_query)
    where_point = np.flatnonzero(is_point)
    query_ids = order[where_query] - n_points
    point_ids = order[where_point]

    def scatter(positions: IntArray, ids: IntArray, counts: npt.NDArray[Any], size: int) -> FloatArray:
        out = np.empty(size)
        out[ids] = counts[positions]
        return out

    return Dominance(
        query_less=scatter(where_query, query_ids, below, n_queries),
        query_equal=scatter(where_query, query_ids, equal, n_queries),
        query_total=scatter(where_query, query_ids, points_before, n_queries),
        point_greater=scatter(where_point, point_ids, above, n_points),
        point_equal=scatter(where_point, point_ids, equal, n_points),
        point_total=scatter(where_point, point_ids, queries_after, n_points),
    )


def _runs(changes: npt.NDArray[np.bool_], n: int) -> tuple[IntArray, IntArray]:
    """For n sorted items and ``changes[i]`` (item i + 1 starts a new run): each item's run as
    [first, end) positions, by running maxima and minima (no binary search)."""
    position = np.arange(n)
    starts = np.ones(n, dtype=bool)
    starts[1:] = changes
    first = np.maximum.accumulate(np.where(starts, position, 0))
    stops = np.ones(n, dtype=bool)
    stops[:-1] = changes
    end = np.minimum.accumulate(np.where(stops, position, n - 1)[::-1])[::-1] + 1
    return first, end


def later_pairs(
    key: FloatArray,
    value: IntArray,
    is_event: npt.NDArray[np.bool_],
    weight: FloatArray | None,
    *,
    compiled: bool | None = None,
) -> Dominance:
    """:func:`dominance` when every row is a point with ``key`` and the events are the queries with the
    same key (as in the pairs "event i, row j at risk after it" of right-censored data).

    One item per row instead of a point and a query per event, and the merge sort's first blocks are
    the key groups, so it has log2(distinct keys) levels and never compares two items of one key.
    The merge sort runs top-down: the top level's merged order is by value (at equal values the later
    key group first, so comparisons are strict), and each level's order is a stable partition of the
    one above by one bit of the key group, computed with cumulative sums and one scatter (no sort per
    level). At each level the items carry their counts with them. The equal-value counts leave out the
    item's own key group. Query arrays are per event in row order; point arrays per row.

    For a large cohort (:func:`analysis.concordance_kernel.compiled` decides: its module says when) the counts
    come from the compiled Fenwick-tree loop instead, when numba is there; ``compiled=True`` forces the loop,
    ``compiled=False`` the merge sort.
    """
    n = len(key)
    order = np.argsort(key, kind="stable")  # key groups (within a group the order does not matter)
    key_sorted = key[order]
    kernel = concordance_kernel.compiled(n, force=compiled)
    if kernel is not None:
        return _compiled_later_pairs(kernel, order, key_sorted, value, is_event, weight)
    new_key = np.ones(n, dtype=bool)
    new_key[1:] = key_sorted[1:] != key_sorted[:-1]
    group = np.cumsum(new_key) - 1
    n_groups = int(group[-1]) + 1 if n else 0
    bounds = np.append(np.flatnonzero(new_key), n)
    value_sorted = value[order].astype(np.int64)
    point_m = np.ones(n) if weight is None else weight[order]
    query_m = point_m * is_event[order]
    # the top level's order: by value, at equal values by key group descending
    by_value = np.argsort(value_sorted * max(n_groups, 1) + (n_groups - 1 - group))
    perm = by_value
    g = group[perm]
    query_c = query_m[perm]
    point_c = None if weight is None else point_m[perm]
    below_c = np.zeros(n)  # per item in the current order: points in earlier key groups with a smaller value
    above_c = np.zeros(n)  # queries in later key groups with a larger value
    position = np.arange(n)
    left_points = np.zeros(n + 1)
    right_queries = np.zeros(n + 1)
    right_before = np.zeros(n + 1, dtype=np.int64)
    for level in range(max(n_groups - 1, 0).bit_length() - 1, -1, -1):
        # blocks of 2**level key groups, merged in pairs: (left, right) = (earlier, later) keys
        bit = (g >> level) & 1
        right = bit.astype(np.float64)
        left = 1.0 - right
        pair_lo = (g >> (level + 1)) << (level + 1)
        pair_start = bounds[pair_lo]
        pair_end = bounds[np.minimum(pair_lo + (2 << level), n_groups)]
        np.cumsum(left if point_c is None else left * point_c, out=left_points[1:])
        np.cumsum(query_c * right, out=right_queries[1:])
        below_c += (left_points[:-1] - left_points[pair_start]) * right
        above_c += (right_queries[pair_end] - right_queries[1:]) * left
        if level == 0:
            break
        # the next level's order: each pair's left block, then its right block, each still by value
        np.cumsum(bit, out=right_before[1:])
        ones = right_before[:-1] - right_before[pair_start]
        zeros = (position - pair_start) - ones
        to = bounds[(g >> level) << level] + zeros + bit * (ones - zeros)
        carried = [perm, g, query_c, below_c, above_c, *([] if point_c is None else [point_c])]
        moved = []
        for values in carried:
            out = np.empty_like(values)
            out[to] = values
            moved.append(out)
        perm, g, query_c, below_c, above_c = moved[:5]
        point_c = None if point_c is None else moved[5]
    below = np.empty(n)
    below[perm] = below_c
    above = np.empty(n)
    above[perm] = above_c
    points_through = np.concatenate([[0], np.cumsum(point_m)])
    queries_through = np.concatenate([[0], np.cumsum(query_m)])
    total_before = points_through[bounds[group]]  # points with a smaller key
    total_after = queries_through[-1] - queries_through[bounds[group + 1]]  # queries with a larger key
    # equal values: the top level's order (by value, key groups descending), each (value, key) a run
    v, k = value_sorted[by_value], group[by_value]
    p_through = np.concatenate([[0], np.cumsum(point_m[by_value])])
    q_through = np.concatenate([[0], np.cumsum(query_m[by_value])])
    value_start, value_end = _runs(v[1:] != v[:-1], n)
    run_first, run_last = _runs((v[1:] != v[:-1]) | (k[1:] != k[:-1]), n)
    equal_query = np.empty(n)
    equal_point = np.empty(n)
    equal_query[by_value] = p_through[value_end] - p_through[run_last]  # same value, earlier key
    equal_point[by_value] = q_through[run_first] - q_through[value_start]  # same value, later key

    def rows(sorted_values: FloatArray) -> FloatArray:
        out = np.empty(n)
        out[order] = sorted_values
        return out

    events = np.flatnonzero(is_event)
    return Dominance(
        query_less=rows(below)[events],
        query_equal=rows(equal_query)[events],
        query_total=rows(total_before)[events],
        point_greater=rows(above),
        point_equal=rows(equal_point),
        point_total=rows(total_after),
    )


def _compiled_later_pairs(
    kernel: concordance_kernel.Sweep,
    order: IntArray,
    key_sorted: FloatArray,
    value: IntArray,
    is_event: npt.NDArray[np.bool_],
    weight: FloatArray | None,
) -> Dominance:
    """:func:`later_pairs` by the compiled Fenwick-tree loop, on the rows already sorted by key."""
    value_sorted = value[order].astype(np.int64)
    point_mass = np.ones(len(order)) if weight is None else weight[order]
    query_mass = point_mass * is_event[order]
    n_values = int(value_sorted.max(initial=0)) + 1
    sorted_counts = concordance_kernel.count_pairs(key_sorted, value_sorted, point_mass, query_mass, n_values, kernel)
    rows = []
    for counts in sorted_counts:
        out = np.empty(len(order))
        out[order] = counts
        rows.append(out)
    events = np.flatnonzero(is_event)
    return Dominance(
        query_less=rows[0][events],
        query_equal=rows[1][events],
        query_total=rows[2][events],
        point_greater=rows[3],
        point_equal=rows[4],
        point_total=rows[5],
    )


def pair_counts(
    time: FloatArray, event: FloatArray, start: FloatArray | None, risk: IntArray, weight: FloatArray | None = None
) -> tuple[FloatArray, FloatArray]:
    """Concordant, discordant and tied-on-risk pair counts in one stratum: totals and per row.

    Comparable pairs: an event i at t and a row j at risk after t (stop_j > t,
    or stop_j == t and censored; and start_j < t). Concordant: risk_i > risk_j.
    Returns (totals of the three counts, per-row influence = counts of the pairs each row is in).
    With case weights a pair counts w_i w_j and a row's influence sums the other rows' weights (R's
    concordance3/4); the caller multiplies the influence by the row's own weight.
    """
    # ranks of the stop (and start) times among all of them, by one sort
    ranks = np.unique(np.concatenate([time, start if start is not None else []]), return_inverse=True)[1]
    rank = ranks[: len(time)].astype(np.float64)
    dead = np.flatnonzero(event > 0)
    query_key = -2 * rank[dead]
    dead_weight = None if weight is None else weight[dead]
    later = later_pairs(-2 * rank - (1 - event), risk, event > 0, weight)
    # per event: [comparators with lower risk, with equal risk, all]; per row: [events with higher, equal, all]
    events = np.column_stack([later.query_less, later.query_equal, later.query_total])
    rows = np.column_stack([later.point_greater, later.point_equal, later.point_total])
    if start is not None:  # rows that enter at or after t are not at risk at t
        entered = dominance(
            -2 * ranks[len(time) :].astype(np.float64), risk, query_key + 1, risk[dead], weight, dead_weight
        )
        events -= np.column_stack([entered.query_less, entered.query_equal, entered.query_total])
        rows -= np.column_stack([entered.point_greater, entered.point_equal, entered.point_total])
    # columns: concordant, discordant, tied on risk
    event_counts = np.column_stack([events[:, 0], events[:, 2] - events[:, 0] - events[:, 1], events[:, 1]])
    influence = np.column_stack([rows[:, 0], rows[:, 2] - rows[:, 0] - rows[:, 1], rows[:, 1]])
    influence[dead] += event_counts
    totals = event_counts.sum(axis=0) if dead_weight is None else dead_weight @ event_counts
    return totals, influence


def concordance(design: Design, eta: FloatArray, cluster: IntArray | None = None) -> tuple[float, float | None]:
    """R's ``concordance(fit)`` for a coxph fit: C and its infinitesimal-jackknife standard error
    (case-weighted, the influence summed within clusters for a robust clustered fit, as R's coxph)."""
    weight = design.weight if design.weighted else None
    risk = np.unique(eta, return_inverse=True)[1].astype(np.intp)
    if design.strata.max(initial=0) == 0:  # one stratum: no row selection
        totals, influence = pair_counts(design.time, design.event, design.start, risk, weight)
    else:
        totals = np.zeros(3)
        influence = np.zeros((len(eta), 3))
        for s in sorted_distinct(design.strata):
            rows = np.flatnonzero(design.strata == s)
            start = None if design.start is None else design.start[rows]
            stratum_weight = None if weight is None else weight[rows]
            stratum_totals, stratum_influence = pair_counts(
                design.time[rows], design.event[rows], start, risk[rows], stratum_weight
            )
            totals += stratum_totals
            influence[rows] = stratum_influence
    pairs = totals.sum()
    if pairs == 0:
        return math.nan, None
    concordant, discordant, _ = totals
    somers = (concordant - discordant) / pairs
    dfbeta = ((influence[:, 0] - influence[:, 1]) - somers * influence.sum(axis=1)) / pairs
    if weight is not None:
        dfbeta = dfbeta * weight
    if cluster is not None:
        dfbeta = collapse(dfbeta[:, None], cluster)[:, 0]
    return float((somers + 1) / 2), float(math.sqrt(np.sum(dfbeta**2) / 4))
