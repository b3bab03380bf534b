"""Comparing survival between groups: the weighted log-rank family, agreeing with R.

All tests share one computation. At each distinct event time t_j (within a
stratum) with n_j at risk and d_j events, n_jk and d_jk in group k, and a
weight w_j:

    observed_k = Σ w_j d_jk
    expected_k = Σ w_j n_jk d_j / n_j
    V_kl       = Σ w_j² d_j (n_j − d_j) / (n_j − 1) · (n_jk / n_j) (δ_kl − n_jl / n_j)

and the statistic is U' V⁻¹ U on all groups but the first (U = observed −
expected), chi-square with (number of groups − 1) degrees of freedom. As in R's
``survdiff``, groups whose expected count is 0 (nobody at risk at any event
time) are left out of the statistic and the degrees of freedom. When V is
singular (possible with delayed entry, where R's ``survdiff`` does not apply and
``coxph(Surv(start, stop, event) ~ group)``'s score test is the reference), a
generalised inverse is used and the degrees of freedom are the rank of V; when V
is zero the comparison is undefined (UndefinedComparisonError), never "χ² = 0,
p = 1", and a pairwise p is then ``None`` and left out of the Holm/BH adjustment
as R's ``p.adjust`` leaves out NA. With strata,
U and V are summed over strata and the weights are computed within each stratum.

Weights (S is the Kaplan–Meier estimate of the pooled sample within the stratum):

- ``logrank``: 1 (R ``survdiff(rho = 0)``).
- ``wilcoxon``: n_j, the Gehan–Breslow generalised Wilcoxon test (SAS WILCOXON, lifelines "wilcoxon").
- ``tarone-ware``: sqrt(n_j).
- ``peto``: S̃(t_j) = Π_{t_i ≤ t_j} (1 − d_i / (n_i + 1)), Peto–Peto as in Klein & Moeschberger §7.3,
  SAS PETO and lifelines "peto".
- ``fleming-harrington``: S(t_j−)^p (1 − S(t_j−))^q with the left-continuous KM;
  FH(p, 0) is R's ``survdiff(rho = p)``, whose "observed" and "expected" are also weighted.

The trend test for ordered groups with scores c is (c'U)² / (c'Vc) on 1 degree
of freedom, using U and V over all groups.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Literal, cast, get_args

import numpy as np
import numpy.typing as npt
from scipy.stats import chi2

from analysis.errors import DataError, UndefinedComparisonError
from analysis.km import as_survival_arrays, encode_groups

TestName = Literal["logrank", "wilcoxon", "tarone-ware", "peto", "fleming-harrington"]
TEST_NAMES: tuple[str, ...] = get_args(TestName)
TEST_LABELS: dict[str, str] = {
    "logrank": "Log-rank",
    "wilcoxon": "Gehan–Breslow (generalised Wilcoxon)",
    "tarone-ware": "Tarone–Ware",
    "peto": "Peto–Peto",
    "fleming-harrington": "Fleming–Harrington",
}
AdjustMethod = Literal["holm", "bh", "none"]
ADJUST_METHODS: tuple[str, ...] = get_args(AdjustMethod)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


@dataclass(frozen=True)
class TestResult:
    """An overall test. ``observed``/``expected`` are per group, summed over strata (weighted for weighted tests)."""

    __test__ = False  # not a pytest test class

    name: str
    description: str
    statistic: float
    df: int
    p: float
    groups: tuple[str, ...]
    observed: tuple[float, ...]
    expected: tuple[float, ...]
    stratified: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "statistic": self.statistic,
            "df": self.df,
            "p": self.p,
            "groups": list(self.groups),
            "observed": list(self.observed),
            "expected": list(self.expected),
            "stratified": self.stratified,
        }


@dataclass(frozen=True)
class PairwiseResult:
    """One pair of groups. ``None`` where the pair cannot be compared, with the reason in ``note``.

    An undefined pair (no events, nobody at risk, zero variance) is left out of the
    adjustment, as R's ``p.adjust`` leaves out NA.
    """

    groups: tuple[str, str]
    statistic: float | None
    p: float | None
    p_adjusted: float | None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "groups": list(self.groups),
            "statistic": self.statistic,
            "p": self.p,
            "p_adjusted": self.p_adjusted,
            "note": self.note,
        }


# ----------------------------------------------------------------------------- checks


@dataclass(frozen=True)
class _Weighting:
    test: TestName
    fh_p: float
    fh_q: float

    def describe(self) -> str:
        label = TEST_LABELS[self.test]
        if self.test == "fleming-harrington":
            return f"{label} (p = {self.fh_p:g}, q = {self.fh_q:g})"
        return label


def _weighting(test: str, fh_p: float, fh_q: float) -> _Weighting:
    if test not in TEST_NAMES:
        raise DataError(f"test must be one of {', '.join(TEST_NAMES)}; got {test!r}")
    for name, value in (("p", fh_p), ("q", fh_q)):
        if not math.isfinite(value) or value < 0:
            raise DataError(f"the Fleming–Harrington {name} must be a number >= 0; got {value}")
    return _Weighting(cast(TestName, test), float(fh_p), float(fh_q))


@dataclass(frozen=True)
class _Prepared:
    time: FloatArray
    event: FloatArray
    entry: FloatArray | None
    groups: IntArray
    labels: tuple[str, ...]
    strata: IntArray
    n_strata: int


def _codes(
    values: Iterable[object], what: str, order: Sequence[str] | None, n: int
) -> tuple[IntArray, tuple[str, ...]]:
    codes, labels = encode_groups(values, order)
    if len(codes) != n:
        raise DataError(f"{what} must have one value per patient ({n}); got {len(codes)}")
    if (codes < 0).any():
        raise DataError(f"{what} has missing values; exclude those patients first")
    return codes, labels


def _prepare(
    time: Iterable[float],
    event: Iterable[float],
    group: Iterable[object],
    strata: Iterable[object] | None,
    entry: Iterable[float] | None,
    group_order: Sequence[str] | None,
) -> _Prepared:
    time_array, event_array, entry_array = as_survival_arrays(time, event, entry)
    n = len(time_array)
    group_codes, labels = _codes(group, "the group", group_order, n)
    strata_labels: tuple[str, ...] = ("all",)
    if strata is None:
        strata_codes = np.zeros(n, dtype=np.intp)
    else:
        strata_codes, strata_labels = _codes(strata, "the strata", None, n)
    if len(labels) < 2:
        if labels:
            raise UndefinedComparisonError.of(ONE_GROUP, group=labels[0])
        raise UndefinedComparisonError.of(NO_GROUP)
    if not event_array.any():
        raise UndefinedComparisonError.of(NO_EVENTS)
    return _Prepared(time_array, event_array, entry_array, group_codes, labels, strata_codes, len(strata_labels))


# ----------------------------------------------------------------------------- the computation


@dataclass(frozen=True)
class _RiskTable:
    """Numbers at risk and events per group (columns) at each event time of one stratum (rows)."""

    at_risk: FloatArray
    events: FloatArray


def _risk_table(time: FloatArray, event: FloatArray, entry: FloatArray | None, groups: IntArray, k: int) -> _RiskTable:
    order = np.argsort(time, kind="stable")
    sorted_time, sorted_event, sorted_group = time[order], event[order], groups[order]
    new_time = np.r_[True, sorted_time[1:] != sorted_time[:-1]]
    time_index = np.cumsum(new_time) - 1
    distinct = sorted_time[new_time]
    cells = time_index * k + sorted_group
    size = len(distinct) * k
    counts = np.bincount(cells, minlength=size).reshape(len(distinct), k).astype(np.float64)
    events = np.bincount(cells, weights=sorted_event, minlength=size).reshape(len(distinct), k)
    at_risk = counts[::-1].cumsum(axis=0)[::-1]
    if entry is not None:
        for g in range(k):
            entries = np.sort(entry[groups == g])
            at_risk[:, g] -= len(entries) - np.searchsorted(entries, distinct, side="left")
    has_event = events.sum(axis=1) > 0
    return _RiskTable(at_risk=at_risk[has_event], events=events[has_event])


def _risk_tables(data: _Prepared) -> list[_RiskTable]:
    k = len(data.labels)
    if data.n_strata == 1:
        return [_risk_table(data.time, data.event, data.entry, data.groups, k)]
    tables = []
    for s in range(data.n_strata):
        rows = data.strata == s
        entry = None if data.entry is None else data.entry[rows]
        tables.append(_risk_table(data.time[rows], data.event[rows], entry, data.groups[rows], k))
    return tables


def _weights(n: FloatArray, d: FloatArray, weighting: _Weighting) -> FloatArray:
    if weighting.test == "logrank":
        return np.ones_like(n)
    if weighting.test == "wilcoxon":
        return n
    if weighting.test == "tarone-ware":
        return np.sqrt(n)
    if weighting.test == "peto":
        return np.cumprod(1.0 - d / (n + 1.0), dtype=np.float64)
    survival = np.cumprod(1.0 - d / n, dtype=np.float64)
    before = np.r_[1.0, survival[:-1]][: len(n)]
    weights: FloatArray = before**weighting.fh_p * (1.0 - before) ** weighting.fh_q
    return weights


def _score_pieces(
    at_risk: FloatArray, events: FloatArray, weighting: _Weighting
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Observed, expected and the variance matrix of observed − expected, for one stratum."""
    n = at_risk.sum(axis=1)
    d = events.sum(axis=1)
    useful = (d > 0) & (n > 0)
    if not useful.all():
        at_risk, events, n, d = at_risk[useful], events[useful], n[useful], d[useful]
    w = _weights(n, d, weighting)
    observed = w @ events
    expected = (w * d / n) @ at_risk
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(n > 1, w**2 * d * (n - d) / ((n - 1.0) * n**2), 0.0)
    variance = np.diag((factor * n) @ at_risk) - (at_risk * factor[:, None]).T @ at_risk
    return observed, expected, variance


def _pooled_pieces(
    tables: Sequence[_RiskTable], weighting: _Weighting, columns: list[int] | None = None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Observed, expected and variance summed over strata (optionally for a subset of group columns)."""
    pieces = [
        _score_pieces(t.at_risk, t.events, weighting)
        if columns is None
        else _score_pieces(t.at_risk[:, columns], t.events[:, columns], weighting)
        for t in tables
    ]
    observed = np.sum([o for o, _, _ in pieces], axis=0)
    expected = np.sum([e for _, e, _ in pieces], axis=0)
    variance = np.sum([v for _, _, v in pieces], axis=0)
    return observed, expected, variance


ZERO_VARIANCE_MESSAGE = (
    "the comparison is undefined: its variance is zero (at every event time everyone at risk had the event, "
    "e.g. with delayed entry in a small sample), so there is no chi-square and no p-value"
)
ONE_GROUP = "a comparison needs at least two groups with patients (only {group!r})"
NO_GROUP = "a comparison needs at least two groups with patients"
NO_EVENTS = "no patient has an event, so survival cannot be compared between groups"
FEWER_AT_RISK = "fewer than two groups have patients at risk when events happen, so the groups cannot be compared"
TREND_UNDEFINED = "the trend test is undefined: the scores do not vary among groups at risk"
UNDEFINED_TEMPLATES: tuple[str, ...] = (ONE_GROUP, NO_GROUP, NO_EVENTS, FEWER_AT_RISK, ZERO_VARIANCE_MESSAGE,
                                        TREND_UNDEFINED)  # fmt: skip
"""Why a comparison is undefined (``UndefinedComparisonError.wording``; ``{group}`` is the one group's value)."""
_RANK_TOLERANCE = 1e-10
"""Eigenvalues below this fraction of the largest count as zero when the variance matrix's rank is found."""


def _chi_square(observed: FloatArray, expected: FloatArray, variance: FloatArray) -> tuple[float, int]:
    """U' V⁻ U and its degrees of freedom, the rank of V (R's coxph score test drops a singular direction).

    A zero variance (rank 0) raises UndefinedComparisonError: the test is undefined, never "χ² = 0, p = 1".
    """
    used = np.flatnonzero(expected > 0)
    if len(used) < 2:
        raise UndefinedComparisonError.of(FEWER_AT_RISK)
    score = (observed - expected)[used][1:]
    information = variance[np.ix_(used, used)][1:, 1:]
    eigenvalues, vectors = np.linalg.eigh((information + information.T) / 2)
    largest = float(eigenvalues.max(initial=0.0))
    if not largest > 0:
        raise UndefinedComparisonError.of(ZERO_VARIANCE_MESSAGE)
    kept = eigenvalues > _RANK_TOLERANCE * largest
    rank = int(kept.sum())
    if rank == len(score):
        statistic = float(score @ np.linalg.solve(information, score))
    else:
        projected = vectors[:, kept].T @ score
        statistic = float(np.sum(projected**2 / eigenvalues[kept]))
    return max(statistic, 0.0), rank


def _p_value(statistic: float, df: int) -> float:
    return float(chi2.sf(statistic, df))


# ----------------------------------------------------------------------------- public API


DASHBOARD_FH_WEIGHTS: tuple[float, float] = (1.0, 0.0)
"""The exponents (p, q) of the test the dashboard calls "Fleming–Harrington (1, 0)" (``ppx km --fh-p 1 --fh-q 0``)."""


def named_test_weights(test: str) -> tuple[float, float]:
    """The (fh_p, fh_q) the dashboard uses for a named test: FH(1, 0) for Fleming–Harrington, else unused zeros."""
    return DASHBOARD_FH_WEIGHTS if test == "fleming-harrington" else (0.0, 0.0)


def compare_survival(
    time: Iterable[float],
    event: Iterable[float],
    group: Iterable[object],
    *,
    test: str = "logrank",
    fh_p: float = 0.0,
    fh_q: float = 0.0,
    strata: Iterable[object] | None = None,
    entry: Iterable[float] | None = None,
    group_order: Sequence[str] | None = None,
) -> TestResult:
    """Overall test that survival is the same in every group (2 or more groups).

    Parameters
    ----------
    time, event, group : one value per patient; event 1 = event, 0 = censored. Group values become text labels.
    test : "logrank", "wilcoxon" (Gehan–Breslow), "tarone-ware", "peto" or "fleming-harrington".
    fh_p, fh_q : Fleming–Harrington exponents; FH(1, 0) equals R's ``survdiff(rho = 1)``.
    strata : optional stratum per patient (stratified test, as R's ``survdiff(... + strata(x))``).
    entry : optional left-truncation times (risk sets then count only patients already entered).

    Raises UndefinedComparisonError when fewer than two groups have patients or no one has an event.

    See Also
    --------
    pairwise_tests, trend_test
    """
    weighting = _weighting(test, fh_p, fh_q)
    data = _prepare(time, event, group, strata, entry, group_order)
    observed, expected, variance = _pooled_pieces(_risk_tables(data), weighting)
    statistic, df = _chi_square(observed, expected, variance)
    return TestResult(
        name=weighting.test,
        description=weighting.describe() + (" test, stratified" if data.n_strata > 1 else " test"),
        statistic=statistic,
        df=df,
        p=_p_value(statistic, df),
        groups=data.labels,
        observed=tuple(observed.tolist()),
        expected=tuple(expected.tolist()),
        stratified=strata is not None,
    )


def trend_test(
    time: Iterable[float],
    event: Iterable[float],
    group: Iterable[object],
    *,
    scores: Mapping[str, float] | None = None,
    test: str = "logrank",
    fh_p: float = 0.0,
    fh_q: float = 0.0,
    strata: Iterable[object] | None = None,
    group_order: Sequence[str] | None = None,
) -> TestResult:
    """Test for a trend in survival across ordered groups: (c'U)² / (c'Vc) on 1 degree of freedom.

    ``scores`` maps each group label to its score; by default the groups in
    order (``group_order``, else natural order) get scores 1, 2, 3, ...
    """
    weighting = _weighting(test, fh_p, fh_q)
    data = _prepare(time, event, group, strata, None, group_order)
    if scores is None:
        score_vector = np.arange(1.0, len(data.labels) + 1.0)
    else:
        missing = [label for label in data.labels if label not in scores]
        if missing:
            raise DataError(f"no score given for group(s) {', '.join(map(repr, missing))}")
        score_vector = np.array([float(scores[label]) for label in data.labels])
    observed, expected, variance = _pooled_pieces(_risk_tables(data), weighting)
    scored_variance = float(score_vector @ variance @ score_vector)
    if not scored_variance > 0:
        raise UndefinedComparisonError.of(TREND_UNDEFINED)
    statistic = float((score_vector @ (observed - expected)) ** 2 / scored_variance)
    shown = ", ".join(f"{label} = {score:g}" for label, score in zip(data.labels, score_vector.tolist(), strict=True))
    return TestResult(
        name=f"{weighting.test}-trend",
        description=f"{weighting.describe()} test for trend (scores {shown})",
        statistic=statistic,
        df=1,
        p=_p_value(statistic, 1),
        groups=data.labels,
        observed=tuple(observed.tolist()),
        expected=tuple(expected.tolist()),
        stratified=strata is not None,
    )


def adjust_p_values(p_values: Sequence[float | None], method: str) -> tuple[float | None, ...]:
    """Multiplicity adjustment as R's ``p.adjust`` ("holm", "bh" = "BH", "none"); ``None`` entries are skipped."""
    if method not in ADJUST_METHODS:
        raise DataError(f"p-value adjustment must be one of {', '.join(ADJUST_METHODS)}; got {method!r}")
    present = [i for i, p in enumerate(p_values) if p is not None]
    values = np.array([p_values[i] for i in present], dtype=np.float64)
    m = len(values)
    if method == "none" or m == 0:
        adjusted = values
    elif method == "holm":
        order = np.argsort(values, kind="stable")
        ranked = np.maximum.accumulate((m - np.arange(m)) * values[order])
        adjusted = np.empty(m)
        adjusted[order] = np.minimum(ranked, 1.0)
    else:
        order = np.argsort(-values, kind="stable")
        ranked = np.minimum.accumulate(m / np.arange(m, 0, -1) * values[order])
        adjusted = np.empty(m)
        adjusted[order] = np.minimum(ranked, 1.0)
    out: list[float | None] = [None] * len(p_values)
    for i, value in zip(present, adjusted.tolist(), strict=True):
        out[i] = value
    return tuple(out)


def pairwise_tests(
    time: Iterable[float],
    event: Iterable[float],
    group: Iterable[object],
    *,
    test: str = "logrank",
    fh_p: float = 0.0,
    fh_q: float = 0.0,
    strata: Iterable[object] | None = None,
    entry: Iterable[float] | None = None,
    adjust: str = "holm",
    group_order: Sequence[str] | None = None,
) -> tuple[PairwiseResult, ...]:
    """The chosen test for every pair of groups, with p-values adjusted as R's ``p.adjust``.

    Each pair is tested on its two groups' patients only (weights from that
    pair's pooled curve), as R's ``survdiff`` on the subset. A pair that cannot
    be compared gets ``None`` and is left out of the adjustment (R's ``p.adjust``
    with NA).
    """
    weighting = _weighting(test, fh_p, fh_q)
    if adjust not in ADJUST_METHODS:
        raise DataError(f"p-value adjustment must be one of {', '.join(ADJUST_METHODS)}; got {adjust!r}")
    data = _prepare(time, event, group, strata, entry, group_order)
    tables = _risk_tables(data)
    pairs = list(combinations(range(len(data.labels)), 2))
    statistics: list[float | None] = []
    p_values: list[float | None] = []
    notes: list[str | None] = []
    for first, second in pairs:
        try:
            statistic, df = _chi_square(*_pooled_pieces(tables, weighting, [first, second]))
        except UndefinedComparisonError as exc:
            statistics.append(None)
            p_values.append(None)
            notes.append(str(exc) if "undefined" in str(exc) else f"undefined: {exc}")
            continue
        notes.append(None)
        statistics.append(statistic)
        p_values.append(_p_value(statistic, df))
    adjusted = adjust_p_values(p_values, adjust)
    return tuple(
        PairwiseResult(
            groups=(data.labels[first], data.labels[second]),
            statistic=statistics[i],
            p=p_values[i],
            p_adjusted=adjusted[i],
            note=notes[i],
        )
        for i, (first, second) in enumerate(pairs)
    )
