"""Response rates (objective response and disease control) by group, and the one
place that chooses between a chi-square test and Fisher's exact test.

Conventions:

- **Denominator.** By default every patient with a recorded best response,
  including NE (not evaluable), counts in the denominator, as the KLC study and
  most trials report (intention-to-treat). With ``ne_in_denominator=False`` NE
  patients are left out of both numerator and denominator. Patients with no
  recorded best response, or no group, are excluded and counted.
- **Confidence intervals** of a rate are exact Clopper–Pearson 95% intervals,
  as R's ``binom.test(x, n)$conf.int``: 0 is the lower bound when nobody
  responded and 1 the upper bound when everybody did.
- **Test choice** (:func:`association_test`, also used by Table 1): Pearson's
  chi-square without continuity correction (R ``chisq.test(tab, correct=FALSE)``)
  when every expected count is at least 5; otherwise Fisher's exact test,
  two-sided (R ``fisher.test(tab)``), for any r x c table. When the exact
  enumeration would exceed its budget (:data:`FISHER_MAX_WORK`), the p-value is
  simulated as R's ``fisher.test(tab, simulate.p.value = TRUE, B = 20000)``:
  :data:`FISHER_REPLICATES` random tables with the observed margins (Patefield's
  algorithm, seeded, so the same table always gives the same p), and the reason
  says so with the number of replicates. Rows and columns whose total is 0 are
  dropped first. Yates' correction is used only when asked
  for (``correct=True``, 2 x 2 tables) and the test is then named so.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import gammaln
from scipy.stats import beta, chi2, random_table

from analysis.errors import DataError, UndefinedComparisonError
from analysis.km import encode_groups
from analysis.messages import Message
from analysis.schema import DISEASE_CONTROL_RESPONSES, OBJECTIVE_RESPONSES, RESPONSES
from analysis.survdata import require_columns, spreadsheet_row

MIN_EXPECTED = 5.0
"""Chi-square is used when every expected count is at least this; otherwise Fisher's exact test."""

FISHER_RELATIVE_TOLERANCE = 1e-7
"""Tables whose probability is within this relative distance of the observed one count as 'as extreme' (as R)."""

FISHER_MAX_WORK = 50_000
"""Work limit (partial tables and merged paths examined) of the exact enumeration; beyond it the p-value
is simulated (:func:`fisher_monte_carlo_p`)."""

FISHER_EXACT_WORK = 5_000_000
"""Work limit of a direct :func:`fisher_exact_p` call: a caller who asks for the exact p gets a much larger budget
than the pages' :data:`FISHER_MAX_WORK`."""

FISHER_REPLICATES = 20_000
"""Random tables of the Monte-Carlo Fisher p (R ``fisher.test(simulate.p.value = TRUE, B = 20000)``)."""

FISHER_SEED = 2022
"""Seed of the Monte-Carlo Fisher p: the same table always gives the same p."""
FISHER_MONTE_CARLO_REASON = (
    "an expected count < {minimum} ({smallest}); Fisher's test, two-sided, with the p-value simulated from "
    "{replicates} random tables with the same margins (seed {seed}), as R's fisher.test(simulate.p.value = TRUE, "
    "B = {b}), because the exact enumeration of this table takes too long"
)
"""Why a Monte-Carlo Fisher p (:attr:`AssociationTest.reason`), as a template (:func:`monte_carlo_reason`)."""


def monte_carlo_reason(smallest: float, replicates: int) -> Message:
    """:data:`FISHER_MONTE_CARLO_REASON` of a table whose smallest expected count is ``smallest``."""
    return Message.of(FISHER_MONTE_CARLO_REASON, minimum=f"{MIN_EXPECTED:g}", smallest=f"{smallest:.1f}",
                      replicates=f"{replicates:,}", seed=FISHER_SEED, b=replicates)  # fmt: skip


COUNT_KEYS: tuple[str, ...] = (*RESPONSES, "missing")
ALL_PATIENTS = "All patients"
_MAX_ROWS_SHOWN = 10
_MAX_EXAMPLES = 3

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Interval = tuple[float | None, float | None]


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Proportion:
    """``count`` of ``n`` with an exact Clopper–Pearson 95% CI; estimate and CI are ``None`` when ``n == 0``."""

    count: int
    n: int
    estimate: float | None
    ci: Interval

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "n": self.n, "estimate": self.estimate, "ci": list(self.ci)}


@dataclass(frozen=True)
class AssociationTest:
    """A test of association in a contingency table, with the plain-words reason it was chosen.

    ``name`` is "chi-square", "chi-square (Yates)", "Fisher exact" or "Fisher exact
    (Monte-Carlo)"; ``statistic`` and ``df`` are ``None`` for Fisher's test;
    ``replicates`` is the number of simulated tables of a Monte-Carlo p (else ``None``).
    """

    name: str
    statistic: float | None
    df: int | None
    p: float
    reason: str
    replicates: int | None = None
    smallest_expected: float | None = None
    """The smallest expected count of the table, which chose the test (the app words the reason from it)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "statistic": self.statistic,
            "df": self.df,
            "p": self.p,
            "reason": self.reason,
            "replicates": self.replicates,
        }


@dataclass(frozen=True)
class ResponseGroup:
    """One group. ``n`` patients are in the group; ``n_evaluable`` form the ORR/DCR denominator.

    ``counts`` holds (code, count) pairs for CR, PR, SD, PD, NE and ``missing``
    (no recorded best response; those patients are not in ``n_evaluable``).
    """

    group: str
    n: int
    n_evaluable: int
    counts: tuple[tuple[str, int], ...]
    orr: Proportion
    dcr: Proportion

    def count(self, code: str) -> int:
        """Number of patients with best response ``code`` (or ``"missing"``)."""
        return dict(self.counts)[code]

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "n": self.n,
            "n_evaluable": self.n_evaluable,
            "counts": dict(self.counts),
            "orr": self.orr.to_dict(),
            "dcr": self.dcr.to_dict(),
        }


@dataclass(frozen=True)
class ResponseResult:
    """ORR and DCR by group with a test across groups (``None`` when no test is possible; see ``notes``)."""

    grouping: str | None
    groups: tuple[ResponseGroup, ...]
    orr_test: AssociationTest | None
    dcr_test: AssociationTest | None
    n_excluded: int
    notes: tuple[str, ...]
    messages: tuple[Message, ...] = ()
    """The notes as templates and parameters (the app words them in the interface language)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "grouping": self.grouping,
            "groups": [g.to_dict() for g in self.groups],
            "orr_test": None if self.orr_test is None else self.orr_test.to_dict(),
            "dcr_test": None if self.dcr_test is None else self.dcr_test.to_dict(),
            "n_excluded": self.n_excluded,
            "notes": list(self.notes),
        }


# ----------------------------------------------------------------------------- proportions


def clopper_pearson(count: int, n: int, level: float = 0.95) -> Proportion:
    """Proportion with the exact Clopper–Pearson interval of R's ``binom.test(count, n)``."""
    if n < 0 or count < 0 or count > n:
        raise DataError(f"a proportion needs 0 <= count <= n; got {count} of {n}")
    if n == 0:
        return Proportion(count=0, n=0, estimate=None, ci=(None, None))
    alpha = 1.0 - level
    lower = 0.0 if count == 0 else float(beta.ppf(alpha / 2, count, n - count + 1))
    upper = 1.0 if count == n else float(beta.ppf(1 - alpha / 2, count + 1, n - count))
    return Proportion(count=count, n=n, estimate=count / n, ci=(lower, upper))


# ----------------------------------------------------------------------------- tests of association


def _clean_table(table: npt.ArrayLike) -> IntArray:
    counts = np.asarray(table, dtype=np.float64)
    if counts.ndim != 2 or np.any(counts < 0) or np.any(counts != np.round(counts)):
        raise DataError("a contingency table must be a 2-D table of non-negative whole counts")
    whole: IntArray = counts.astype(np.int64)
    whole = whole[whole.sum(axis=1) > 0][:, whole.sum(axis=0) > 0]
    if whole.shape[0] < 2 or whole.shape[1] < 2:
        raise UndefinedComparisonError(
            "a test needs at least two groups with patients and at least two outcomes that occur"
        )
    return whole


def expected_counts(table: npt.ArrayLike) -> FloatArray:
    """Expected counts under independence: row total x column total / grand total."""
    counts = np.asarray(table, dtype=np.float64)
    expected: FloatArray = np.outer(counts.sum(axis=1), counts.sum(axis=0)) / counts.sum()
    return expected


def chi_square_test(table: npt.ArrayLike, *, correct: bool = False) -> AssociationTest:
    """Pearson's chi-square test, as R's ``chisq.test(tab, correct=correct)``.

    Yates' continuity correction (R: ``min(0.5, |O - E|)`` subtracted from ``|O - E|``)
    applies only to 2 x 2 tables and only when ``correct`` is true.
    """
    counts = _clean_table(table).astype(np.float64)
    expected = expected_counts(counts)
    deviation = np.abs(counts - expected)
    yates = correct and counts.shape == (2, 2)
    if yates:
        deviation = deviation - np.minimum(0.5, deviation)
    statistic = float(np.sum(deviation**2 / expected))
    df = (counts.shape[0] - 1) * (counts.shape[1] - 1)
    smallest = float(expected.min())
    how = "with Yates' continuity correction" if yates else "without continuity correction"
    return AssociationTest(
        name="chi-square (Yates)" if yates else "chi-square",
        statistic=statistic,
        df=df,
        p=float(chi2.sf(statistic, df)),
        reason=f"Pearson's chi-square {how}; smallest expected count {smallest:.1f}",
    )


def _compositions(total: int, caps: tuple[int, ...]) -> Iterator[tuple[int, ...]]:
    """Every vector x with 0 <= x_i <= caps_i and sum(x) == total."""
    if len(caps) == 1:
        if total <= caps[0]:
            yield (total,)
        return
    room_after = sum(caps[1:])
    for first in range(max(0, total - room_after), min(caps[0], total) + 1):
        for rest in _compositions(total - first, caps[1:]):
            yield (first, *rest)


class _FisherTooLarge(Exception):
    """The exact enumeration would exceed :data:`FISHER_MAX_WORK`."""


class FisherTooLargeError(UndefinedComparisonError):
    """The exact enumeration of Fisher's test would exceed its work budget (use the Monte-Carlo p)."""


class _FisherNetwork:
    """Exact r x c Fisher test by enumerating tables column by column (a plain network algorithm).

    A table with margins r, c has probability K · Π 1/x_ij! (K = Π r_i! Π c_j! / N!),
    so we work with ``value = -Σ log x_ij!``. At each node (remaining row totals
    after some columns) the completions' largest and smallest values are bounded
    from their margins; when every completion is as extreme as the observed
    table their total (closed form: n! / (Π r! Π c!)) is added at once, when none
    is the node is dropped, otherwise the next column is enumerated. Paths that
    reach a node with the same value are merged.
    """

    def __init__(self, table: IntArray, max_work: int = FISHER_MAX_WORK) -> None:
        self.max_work = max_work
        oriented = table if table.shape[0] <= table.shape[1] else table.T
        self.rows = tuple(sorted(int(v) for v in oriented.sum(axis=1)))
        self.cols = tuple(sorted(int(v) for v in oriented.sum(axis=0)))
        total = sum(self.rows)
        self.log_fact: FloatArray = gammaln(np.arange(total + 2, dtype=np.float64) + 1.0)
        self.log_k = self._lf_sum(self.rows) + self._lf_sum(self.cols) - float(self.log_fact[total])
        observed = -float(self.log_fact[oriented].sum())
        self.threshold = observed + math.log1p(FISHER_RELATIVE_TOLERANCE)

    def _lf_sum(self, values: Sequence[int]) -> float:
        return float(sum(self.log_fact[v] for v in values))

    def _spread_max(self, margins: Sequence[int], parts: int) -> float:
        """Largest -Σ log x! when each margin is split over ``parts`` cells (spread evenly)."""
        value = 0.0
        for margin in margins:
            q, r = divmod(margin, parts)
            value -= r * float(self.log_fact[q + 1]) + (parts - r) * float(self.log_fact[q])
        return value

    def _fill_min(self, margins: Sequence[int], caps: Sequence[int]) -> float:
        """Smallest -Σ log x! when each margin fills the largest caps first (this vector majorises all others)."""
        ordered = sorted(caps, reverse=True)
        value = 0.0
        for margin in margins:
            left = margin
            for cap in ordered:
                take = min(left, cap)
                value -= float(self.log_fact[take])
                left -= take
                if left == 0:
                    break
        return value

    def _bounds(self, key: tuple[int, ...], column: int) -> tuple[float, float, float]:
        """Largest and smallest value of the completions of a node, and the log of their summed weights."""
        cols = self.cols[column:]
        upper = min(self._spread_max(key, len(cols)), self._spread_max(cols, len(key)))
        lower = max(self._fill_min(key, cols), self._fill_min(cols, key))
        total = float(self.log_fact[sum(key)]) - self._lf_sum(key) - self._lf_sum(cols)
        return upper, lower, total

    def _merge(self, pieces: list[tuple[FloatArray, FloatArray]]) -> tuple[FloatArray, FloatArray]:
        """Paths reaching one node: values equal to 1e-9 are merged, their multiplicities added."""
        values = np.concatenate([v for v, _ in pieces])
        multiplicity = np.concatenate([m for _, m in pieces])
        merged, first, inverse = np.unique(np.round(values, 9), return_index=True, return_inverse=True)
        counts: FloatArray = np.bincount(inverse, weights=multiplicity, minlength=merged.size).astype(np.float64)
        return values[first], counts

    def _resolve(self, key: tuple[int, ...], column: int, values: FloatArray, multiplicity: FloatArray) -> float:
        """Add the paths whose every completion counts; return their probability and keep the undecided ones."""
        upper, lower, total = self._bounds(key, column)
        every = values + upper <= self.threshold
        self._undecided = ~every & (values + lower <= self.threshold)
        return float(np.sum(multiplicity[every] * np.exp(values[every] + total + self.log_k)))

    def p_value(self) -> float:
        p = 0.0
        one = np.zeros(1, dtype=np.float64)
        nodes: dict[tuple[int, ...], tuple[FloatArray, FloatArray]] = {self.rows: (one, one + 1.0)}
        work = 0
        for column in range(len(self.cols) - 1):
            pieces: dict[tuple[int, ...], list[tuple[FloatArray, FloatArray]]] = {}
            for key, (values, multiplicity) in nodes.items():
                p += self._resolve(key, column, values, multiplicity)
                work += 1
                if not self._undecided.any():
                    continue
                open_values, open_multiplicity = values[self._undecided], multiplicity[self._undecided]
                for cells in _compositions(self.cols[column], key):
                    child = tuple(sorted(k - x for k, x in zip(key, cells, strict=True)))
                    pieces.setdefault(child, []).append((open_values - self._lf_sum(cells), open_multiplicity))
                    work += 1 + open_values.size
                    if work > self.max_work:
                        raise _FisherTooLarge
            work += sum(len(parts) for parts in pieces.values())
            if work > self.max_work:
                raise _FisherTooLarge
            nodes = {key: self._merge(parts) for key, parts in pieces.items()}
        for key, (values, multiplicity) in nodes.items():  # the last column is fixed by the remaining row totals
            last = values - self._lf_sum(key)
            counted = last <= self.threshold
            p += float(np.sum(multiplicity[counted] * np.exp(last[counted] + self.log_k)))
        return min(1.0, p)


def fisher_exact_p(table: npt.ArrayLike, *, max_work: int = FISHER_EXACT_WORK) -> float:
    """Two-sided p of Fisher's exact test for an r x c table, as R's ``fisher.test(tab)$p.value``.

    The p-value sums the probabilities of all tables with the observed margins
    that are no more likely than the observed one (relative tolerance 1e-7).
    Raises FisherTooLargeError when the enumeration would exceed ``max_work``.
    """
    counts = _clean_table(table)
    try:
        return _FisherNetwork(counts, max_work).p_value()
    except _FisherTooLarge:
        raise FisherTooLargeError(
            "the table is too large for an exact enumeration of Fisher's test within its budget"
        ) from None


def fisher_monte_carlo_p(
    table: npt.ArrayLike, *, replicates: int = FISHER_REPLICATES, seed: int = FISHER_SEED
) -> float:
    """Simulated p of Fisher's test, as R's ``fisher.test(tab, simulate.p.value = TRUE, B = replicates)``.

    ``replicates`` random tables with the observed margins (Patefield's algorithm,
    :func:`scipy.stats.random_table`); p = (1 + #{tables no more likely than the
    observed}) / (replicates + 1), with R's relative tolerance 64 eps. Seeded:
    the same table and seed always give the same p.
    """
    counts = _clean_table(table)
    if replicates < 1:
        raise DataError(f"the number of Monte-Carlo replicates must be at least 1; got {replicates}")
    sampler = random_table(counts.sum(axis=1), counts.sum(axis=0), seed=np.random.default_rng(seed))
    simulated = -gammaln(sampler.rvs(size=replicates) + 1.0).sum(axis=(1, 2))
    observed = -float(gammaln(counts + 1.0).sum())
    almost_one = 1.0 + 64.0 * float(np.finfo(np.float64).eps)
    return float((1 + np.count_nonzero(simulated <= observed / almost_one)) / (replicates + 1))


def association_test(
    table: npt.ArrayLike,
    *,
    correct: bool = False,
    max_work: int = FISHER_MAX_WORK,
    replicates: int = FISHER_REPLICATES,
) -> AssociationTest:
    """Chi-square when every expected count is >= 5, otherwise Fisher's exact test; the reason says which and why.

    ``table`` holds counts, one row per group and one column per outcome (or the
    transpose). Rows and columns with no patients are dropped. Raises
    UndefinedComparisonError when fewer than two rows or columns remain. ``max_work``
    bounds the exact enumeration; beyond it the p-value is simulated (:func:`fisher_monte_carlo_p`,
    ``replicates`` tables), and the name and reason say so.
    """
    counts = _clean_table(table)
    smallest = float(expected_counts(counts).min())
    if smallest >= MIN_EXPECTED:
        chi = chi_square_test(counts, correct=correct)
        return AssociationTest(
            name=chi.name,
            statistic=chi.statistic,
            df=chi.df,
            p=chi.p,
            reason=f"all expected counts >= {MIN_EXPECTED:g} (smallest {smallest:.1f}); {chi.reason.split(';')[0]}",
            smallest_expected=smallest,
        )
    try:
        p = fisher_exact_p(counts, max_work=max_work)
    except FisherTooLargeError:
        return AssociationTest(
            name="Fisher exact (Monte-Carlo)",
            statistic=None,
            df=None,
            p=fisher_monte_carlo_p(counts, replicates=replicates),
            reason=monte_carlo_reason(smallest, replicates).text(),
            replicates=replicates,
            smallest_expected=smallest,
        )
    return AssociationTest(
        name="Fisher exact",
        statistic=None,
        df=None,
        p=p,
        reason=f"an expected count < {MIN_EXPECTED:g} ({smallest:.1f}); Fisher's exact test, two-sided",
        smallest_expected=smallest,
    )


# ----------------------------------------------------------------------------- response rates


def response_codes(values: pd.Series, column: str) -> pd.Series:
    """Best-response codes as upper-case text (CR, PR, SD, PD, NE; pandas string dtype), ``<NA>`` where empty.

    Anything else raises DataError naming the column, rows and example values.
    """
    text = values.astype("string").str.strip().str.upper()
    text = text.mask(text == "")
    present = text.dropna()
    bad = present[~present.isin(RESPONSES)]
    if len(bad):
        shown = "; ".join(f"row {spreadsheet_row(idx)}: {values.loc[idx]!r}" for idx in bad.index[:_MAX_EXAMPLES])
        more = len(bad) - _MAX_EXAMPLES
        raise DataError(
            f"column {column!r} must hold best responses coded {', '.join(RESPONSES)}; unknown values at {shown}"
            + (f" (and {more} more)" if more > 0 else "")
        )
    return text


NO_TEST = "No test for {column}: {reason}."
NO_RECORDED = "{n} patient(s) without a recorded {column} excluded ({rows})."
NO_VALUE = "{n} patient(s) without a value of {column} excluded ({rows})."


def excluded_message(template: str, column: str, labels: Sequence[object]) -> Message:
    """An exclusion note naming the spreadsheet rows (the first ten, then how many more): ``rows`` is the English
    phrase, ``row_list`` and ``more`` let the app word it in another language."""
    rows = [spreadsheet_row(label) for label in labels[:_MAX_ROWS_SHOWN]]
    more = max(0, len(labels) - _MAX_ROWS_SHOWN)
    text = ("row " if len(labels) == 1 else "rows ") + ", ".join(rows) + (f" and {more} more" if more > 0 else "")
    return Message.of(template, n=len(labels), column=column, rows=text, row_list=", ".join(rows), more=more)


def _group(label: str, codes: pd.Series, *, ne_in_denominator: bool) -> ResponseGroup:
    counts = tuple((code, int((codes == code).sum())) for code in RESPONSES)
    missing = int(codes.isna().sum())
    recorded = len(codes) - missing
    n_evaluable = recorded if ne_in_denominator else recorded - dict(counts)["NE"]
    responders = sum(n for code, n in counts if code in OBJECTIVE_RESPONSES)
    controlled = sum(n for code, n in counts if code in DISEASE_CONTROL_RESPONSES)
    return ResponseGroup(
        group=label,
        n=len(codes),
        n_evaluable=n_evaluable,
        counts=(*counts, ("missing", missing)),
        orr=clopper_pearson(responders, n_evaluable),
        dcr=clopper_pearson(controlled, n_evaluable),
    )


def _test(groups: Sequence[ResponseGroup], which: str, notes: list[Message]) -> AssociationTest | None:
    with_patients = [g for g in groups if g.n_evaluable > 0]
    if len(with_patients) < 2:
        return None
    table = [[getattr(g, which).count, g.n_evaluable - getattr(g, which).count] for g in with_patients]
    try:
        return association_test(table)
    except UndefinedComparisonError as error:
        outcome = "objective response" if which == "orr" else "disease control"
        notes.append(Message.of(NO_TEST, column=outcome, reason=str(error)))
        return None


def _exclusion_notes(
    frame: pd.DataFrame, codes: pd.Series, group_codes: npt.NDArray[np.intp], response_col: str, group_col: str | None
) -> tuple[int, list[Message]]:
    no_response = codes.isna().to_numpy()
    no_group = group_codes < 0
    notes = []
    if no_response.any():
        notes.append(excluded_message(NO_RECORDED, response_col, list(frame.index[no_response])))
    if group_col is not None and no_group.any():
        notes.append(excluded_message(NO_VALUE, group_col, list(frame.index[no_group])))
    return int((no_response | no_group).sum()), notes


def response_rates(
    frame: pd.DataFrame,
    response_col: str = "best_response",
    group_col: str | None = None,
    *,
    group_order: Sequence[str] | None = None,
    ne_in_denominator: bool = True,
) -> ResponseResult:
    """Objective response (CR or PR) and disease control (CR, PR or SD) rates by group.

    Groups are the values of ``group_col`` as text in natural order (or
    ``group_order``); without ``group_col`` all patients form one group and no
    test is made. ORR and DCR are compared across groups with
    :func:`association_test`. Unknown response codes raise DataError.
    """
    require_columns(frame, [response_col, *([group_col] if group_col else [])])
    codes = response_codes(frame[response_col], response_col)
    if group_col is None:
        group_codes = np.zeros(len(frame), dtype=np.intp)
        labels: tuple[str, ...] = (ALL_PATIENTS,)
    else:
        group_codes, labels = encode_groups(frame[group_col], group_order)
    n_excluded, notes = _exclusion_notes(frame, codes, group_codes, response_col, group_col)
    groups = tuple(
        _group(label, codes[group_codes == i], ne_in_denominator=ne_in_denominator) for i, label in enumerate(labels)
    )
    if ne_in_denominator:
        notes.append(Message.of("ORR and DCR denominators include patients whose best response is NE (not evaluable)."))
    else:
        notes.append(Message.of("Patients whose best response is NE (not evaluable) are left out of ORR and DCR."))
    notes.append(Message.of("95% confidence intervals are exact (Clopper–Pearson)."))
    notes.extend(
        Message.of("Group {group} has no evaluable patients; its rates are undefined.", group=g.group)
        for g in groups
        if not g.n_evaluable
    )
    orr_test = dcr_test = None
    if group_col is None:
        notes.append(Message.of("No grouping: no test between groups."))
    elif sum(g.n_evaluable > 0 for g in groups) < 2:
        notes.append(Message.of("Fewer than two groups have evaluable patients: no test between groups."))
    else:
        orr_test = _test(groups, "orr", notes)
        dcr_test = _test(groups, "dcr", notes)
    return ResponseResult(
        grouping=group_col,
        groups=groups,
        orr_test=orr_test,
        dcr_test=dcr_test,
        n_excluded=n_excluded,
        notes=tuple(m.text() for m in notes),
        messages=tuple(notes),
    )
