"""Cox proportional-hazards models that agree with R's ``survival::coxph`` (Efron ties).

Conventions:

- **Fitting** is Newton–Raphson with step halving, as R's ``coxph``: start at
  0, stop when the relative change of the log partial likelihood is at most
  1e-9 (at most 20 iterations). Standard errors come from the inverse of the
  information matrix at the estimate; 95% CIs are ``exp(coef ± 1.959964·se)``;
  p-values are Wald z-tests. The model-level likelihood-ratio, Wald and score
  tests are R's ``summary(coxph)`` tests.
- **Ties** use Efron's approximation.
- **Infinite coefficients** (for example a group with no events): like R the
  fit is returned with a warning naming the term ("Loglik converged before
  ...; coefficient may be infinite"), using R's rule ``|U'V| > eps`` and
  ``> sqrt(eps)·|coef|``. Running out of iterations also gives a warning.
- **Near-singular fits** (more parameters than the data support): as R's
  coxfit6/agfit4, every solve and the variance use R's generalised Cholesky
  (:mod:`analysis.cholesky`, on covariates scaled as R scales them), so a
  direction the data do not determine gets a zero step and zero variance
  instead of an error; such a term is left out with a warning (R's NA) and the
  tests' df count the terms that remain. A step that lowers the likelihood or
  overflows is shrunk towards the last good beta (1/2, 2/3, ... as R); out of
  iterations, the last good beta is returned. For such a non-converged fit
  (a monotone likelihood) R's coefficients after 20 iterations are as arbitrary
  as these and its SEs are 1/sqrt(diag(I)) (its last information matrix is not
  re-decomposed); here they are from the generalised inverse.
- **Missing values**: rows missing the time, event, start, any covariate or
  the stratum are excluded and counted (``n_excluded``), through
  :func:`analysis.survdata.survival_data`.
- **Covariates**: numeric and boolean columns enter as numbers; any other
  column, the columns named in ``categorical`` and those given a
  ``reference`` level are categories. A category
  enters as one indicator per level ("col=level") against its reference level:
  ``reference[col]`` if given, else the first level in natural order
  (:func:`analysis.km.natural_key`). A covariate that is constant after
  excluding rows, and a column that is a linear combination of earlier ones,
  are dropped with a warning (R reports NA for them).
- **Counting-process input** (``start_col``): rows are (start, stop]
  intervals; the risk set at t is every row with start < t <= stop. This gives
  time-varying covariates and left truncation.
- **Strata**: a separate baseline hazard per stratum (risk sets within strata).
- **Case weights** (``weights``) as ``coxph(weights = w)``: weighted risk sets, deaths and
  log-likelihood (Efron with the tied deaths' mean weight, R's agfit4); the LR and score tests are
  R's, from the weighted log-likelihood; ``events`` stays the unweighted count.
- **Robust variance** (``robust``, ``cluster``) as ``coxph(robust = TRUE)`` / ``cluster(id)``: the
  sandwich D'D of the weighted dfbeta residuals summed within clusters. ``se`` stays the model-based
  SE (R's ``se(coef)``), ``se_robust`` is added, and CI, z, p and the Wald test use the robust
  variance; ``robust_score_test`` is R's ``fit$rscore``. As R, robust is the default with a cluster
  or non-integer weights, and (start, stop] rows need a cluster for it.
- **Concordance** is R's ``concordance(fit)`` (Harrell's C on the linear
  predictor, ties in the predictor count 1/2, pairs tied on an event time are
  not comparable, within strata) with R's infinitesimal-jackknife standard error.
  For (start, stop] data a pair is comparable when the second row is at risk at
  the first row's event time (start < t and stop > t, or censored at t), as R.
- **Proportional hazards** (:func:`cox_zph`) is R (survival ≥ 3.0)
  ``cox.zph(fit, transform = "km")``: the score test for adding x·g(t) to the
  model, g(t) = 1 − KM(t−) centred on the events, per covariate (a category is
  one row with df = levels − 1) and globally.

All risk-set sums are vectorised: cumulative sums over sorted times and Efron
tie groups expanded with ``np.repeat`` / ``np.add.reduceat``; there is no loop
over patients. Only the risk sets' totals and first moments are summed per
event group; the information's second moments are one product Xᵀdiag(r·C)X,
where C sums each row's per-group weights over the groups it is at risk in.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import special
from threadpoolctl import threadpool_limits

from analysis import cholesky
from analysis.concordance import collapse, concordance
from analysis.cox_design import Design, build_design, sorted_distinct, term_params
from analysis.cox_messages import (
    CLUSTER_IGNORED,
    FEW_EVENTS,
    INFINITE,
    NOT_CONVERGED,
    NOT_ESTIMABLE,
    PH_SINGULAR,
    ROBUST_NOTE,
)
from analysis.errors import ConvergenceError, DataError, PPXError
from analysis.km import Z_95
from analysis.messages import Message
from analysis.survdata import require_columns, survival_data

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

TIES = "efron"
EPS = 1e-9
"""R ``coxph.control(eps)``: convergence on the relative change of the log partial likelihood."""
MAX_ITER = 20
"""R ``coxph.control(iter.max)``."""
TOLER_INF = math.sqrt(EPS)
"""R ``coxph.control(toler.inf)``: the rule that flags a possibly infinite coefficient."""
MIN_EPV = 10.0


def _chi2_sf(statistic: float, df: int) -> float:
    """``scipy.stats.chi2.sf`` (NaN for df < 1, 1 below 0) through its special function, without the
    distribution object's per-call argument handling (a twelfth of a small fit's time)."""
    if df <= 0:
        return math.nan
    return 1.0 if statistic < 0 else float(special.chdtrc(df, statistic))


BLAS_LIMIT_MIN_ROWS = 10_000
"""Below this many rows BLAS runs its products on one thread anyway and the limit's cost (finding the
loaded libraries, about 2 ms) would be a tenth of the fit."""


def one_blas_thread(rows: int) -> Any:
    """BLAS limited to one thread while a model is fitted (threadpoolctl; restored on exit).

    The products here are tall and thin (n × p with p ≈ 10): memory-bound, so extra BLAS threads do
    not make them faster, and OpenBLAS's waiting threads spin: on a busy 2-core machine a 200,000 × 9
    matrix-vector product took 7.5 ms of CPU with its default threads against 0.7 ms with one.
    """
    return threadpool_limits(limits=1, user_api="blas") if rows >= BLAS_LIMIT_MIN_ROWS else nullcontext()


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class CoxTerm:
    """One coefficient. ``level`` and ``reference`` are set for a category's indicator ("col=level")."""

    term: str
    covariate: str
    level: str | None
    reference: str | None
    coef: float
    se: float
    hr: float
    ci: tuple[float, float]
    z: float
    p: float
    se_robust: float | None = None
    """The robust (sandwich) SE; when set, ``ci``, ``z`` and ``p`` use it (``se`` stays the model-based SE)."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "term": self.term,
            "covariate": self.covariate,
            "coef": self.coef,
            "se": self.se,
            "se_robust": self.se_robust,
            "hr": self.hr,
            "ci": list(self.ci),
            "z": self.z,
            "p": self.p,
        }
        if self.level is not None:
            out["level"] = self.level
            out["reference"] = self.reference
        return out


@dataclass(frozen=True)
class TestStat:
    """A chi-square test of the whole model (likelihood ratio, Wald or score)."""

    __test__ = False  # not a pytest class

    name: str
    statistic: float
    df: int
    p: float

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "statistic": self.statistic, "df": self.df, "p": self.p}


@dataclass(frozen=True)
class ZphTerm:
    """One row of R's ``cox.zph`` table: a covariate (all its levels together) or "GLOBAL"."""

    term: str
    chisq: float
    df: int
    p: float

    def to_dict(self) -> dict[str, Any]:
        return {"term": self.term, "chisq": self.chisq, "df": self.df, "p": self.p}


@dataclass(frozen=True)
class ZphResult:
    """Test of proportional hazards, as R's ``cox.zph(fit, transform = "km")``."""

    terms: tuple[ZphTerm, ...]
    global_test: ZphTerm
    transform: str = "km"

    def to_dict(self) -> dict[str, Any]:
        return {
            "transform": self.transform,
            "terms": [t.to_dict() for t in self.terms],
            "global": self.global_test.to_dict(),
        }


@dataclass(frozen=True)
class CoxResult:
    """A fitted Cox model. ``n`` counts rows used ((start, stop] rows for counting-process data)."""

    n: int
    events: int
    n_excluded: int
    ties: str
    terms: tuple[CoxTerm, ...]
    lr_test: TestStat
    wald_test: TestStat
    score_test: TestStat
    concordance: float
    concordance_se: float | None
    loglik: tuple[float, float]
    strata: str | None
    events_per_parameter: float
    warnings: tuple[str, ...]
    excluded_rows: tuple[str, ...]
    iterations: int
    converged: bool
    weights: str | None = None
    robust: bool = False
    cluster: str | None = None
    n_clusters: int | None = None
    robust_score_test: TestStat | None = None
    notes: tuple[str, ...] = ()
    wording: tuple[Message, ...] = ()
    """``warnings`` as templates and parameters (:data:`analysis.cox_messages.COX_TEMPLATES`; a term or covariate
    by its code), for the app to word; ``warnings`` is their English text (what ``ppx cox`` prints). Not in
    :meth:`to_dict`."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "events": self.events,
            "ties": self.ties,
            "n_excluded": self.n_excluded,
            "terms": [t.to_dict() for t in self.terms],
            "lr_test": self.lr_test.to_dict(),
            "wald_test": self.wald_test.to_dict(),
            "score_test": self.score_test.to_dict(),
            "concordance": self.concordance,
            "concordance_se": self.concordance_se,
            "loglik": list(self.loglik),
            "strata": self.strata,
            "events_per_parameter": self.events_per_parameter,
            "warnings": list(self.warnings),
            "excluded_rows": list(self.excluded_rows),
            "iterations": self.iterations,
            "converged": self.converged,
            "weights": self.weights,
            "robust": self.robust,
            "cluster": self.cluster,
            "n_clusters": self.n_clusters,
            "robust_score_test": None if self.robust_score_test is None else self.robust_score_test.to_dict(),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class ScreenRow:
    """One model of :func:`univariate_screen`; ``result`` is None, with the reason in ``note``, if it failed."""

    covariate: str
    result: CoxResult | None
    note: str | None
    wording: tuple[Message, ...] = ()
    """``note`` as templates and parameters (its sentences), where they have one."""

    @property
    def label(self) -> str:
        return self.covariate

    def to_dict(self) -> dict[str, Any]:
        return {
            "covariate": self.covariate,
            "result": None if self.result is None else self.result.to_dict(),
            "note": self.note,
        }


# ----------------------------------------------------------------------------- risk sets


class _RiskSets:
    """Index arithmetic for sums over risk sets and over the deaths at each distinct event time.

    Rows must be sorted by (stratum, time, event), so that the deaths at a time
    are the last rows of its block. Event "groups" are the distinct (stratum,
    event time) pairs. Sums use one reverse cumulative sum over the rows (the
    risk set accumulated backwards in time, as R does), so no row is visited
    per group; Efron's k/d terms are only expanded for scalar quantities. With
    few distinct event times the rows between the positions that sum is read at
    are added first (``cuts``), and only those block sums are accumulated.
    """

    def __init__(self, time: FloatArray, event: FloatArray, start: FloatArray | None, strata: IntArray) -> None:
        n = len(time)
        self.death_rows: IntArray = np.flatnonzero(event > 0)
        dead_time = time[self.death_rows]
        dead_stratum = strata[self.death_rows]
        new_group = np.ones(len(self.death_rows), dtype=bool)
        new_group[1:] = (np.diff(dead_time) != 0) | (np.diff(dead_stratum) != 0)
        self.group_starts: IntArray = np.flatnonzero(new_group)
        self.group_time: FloatArray = dead_time[self.group_starts]
        self.group_stratum: IntArray = dead_stratum[self.group_starts]
        self.deaths: IntArray = np.diff(np.append(self.group_starts, len(self.death_rows)))
        self.untied = bool(self.deaths.max(initial=0) <= 1)
        """Every event time (per stratum) has one death: Efron's sums are trivial."""
        self.group_of_event: IntArray = np.repeat(np.arange(len(self.deaths)), self.deaths)
        position = np.arange(len(self.death_rows)) - self.group_starts[self.group_of_event]
        self.frac: FloatArray = position / self.deaths[self.group_of_event]
        self.death_from: IntArray = self.death_rows[self.group_starts]
        self.death_to: IntArray = self.death_rows[self.group_starts + self.deaths - 1] + 1
        stratum_bounds = np.searchsorted(strata, np.arange(int(strata.max(initial=0)) + 2), side="left")
        self.stratum_end: IntArray = stratum_bounds[self.group_stratum + 1]
        self.risk_from = self._first_at_or_after(time, strata, stratum_bounds)
        self.start_order: IntArray | None = None
        if start is not None:
            self.start_order = np.lexsort((start, strata))
            self.start_from = self._first_at_or_after(start[self.start_order], strata[self.start_order], stratum_bounds)
        self.n = n
        # Per row: the event groups it is at risk in are upto_before[1] <= g < upto_before[0]
        # (its stratum's groups with start < t <= stop), for sums over groups by cumulative sums.
        self.upto: IntArray = np.empty(n, dtype=np.intp)
        self.before: IntArray = np.empty(n, dtype=np.intp)
        group_bounds = np.searchsorted(self.group_stratum, np.arange(len(stratum_bounds)))
        for s in range(len(stratum_bounds) - 1):
            lo, hi = stratum_bounds[s], stratum_bounds[s + 1]
            glo, ghi = group_bounds[s], group_bounds[s + 1]
            times = self.group_time[glo:ghi]
            self.upto[lo:hi] = glo + np.searchsorted(times, time[lo:hi], side="right")
            if start is None:
                self.before[lo:hi] = glo
            else:
                self.before[lo:hi] = glo + np.searchsorted(times, start[lo:hi], side="right")
        self.single = start is None and len(stratum_bounds) == 2
        """One stratum, no delayed entry: every risk set runs to the last row and every row is at risk
        from the first group (so those subtractions are skipped)."""
        # The reverse cumulative sum is only read at these rows: with many ties in time, sum the rows
        # between them (one pass, few outputs) and accumulate those block sums instead.
        needed = [self.risk_from, self.stratum_end, *([] if self.untied else [self.death_from, self.death_to])]
        self.cuts: IntArray | None = None
        self.at_cut: list[IntArray] = needed
        if len(self.group_starts) < n // 8:
            self.cuts = sorted_distinct(np.concatenate([*needed, [0, n]]))
            self.at_cut = [np.searchsorted(self.cuts, at) for at in needed]

    def over_groups(self, per_group: FloatArray) -> FloatArray:
        """Per row: the sum of ``per_group`` (groups × k) over the event groups the row is at risk in."""
        cumulative = np.zeros((per_group.shape[0] + 1, *per_group.shape[1:]))
        np.cumsum(per_group, axis=0, out=cumulative[1:])
        if self.single:  # before == 0 for every row
            through: FloatArray = cumulative[self.upto]
            return through
        result: FloatArray = cumulative[self.upto] - cumulative[self.before]
        return result

    def _first_at_or_after(self, values: FloatArray, strata: IntArray, bounds: IntArray) -> IntArray:
        """Per event group: the first row (sorted by stratum, value) of its stratum with value >= t."""
        first = np.empty(len(self.group_time), dtype=np.intp)
        for s in sorted_distinct(self.group_stratum):
            lo, hi = bounds[s], bounds[s + 1]
            in_stratum = self.group_stratum == s
            first[in_stratum] = lo + np.searchsorted(values[lo:hi], self.group_time[in_stratum], side="left")
        return first

    @staticmethod
    def _reverse_cumsum(values: FloatArray) -> FloatArray:
        """out[i] = sum of values[i:], with out[n] = 0."""
        out = np.zeros((values.shape[0] + 1, values.shape[1]), order="F")  # column-wise: contiguous cumsum
        np.cumsum(values[::-1], axis=0, out=out[-2::-1])
        return out

    def sums(self, values: FloatArray) -> tuple[FloatArray, FloatArray | None]:
        """Sums of ``values`` rows over the risk set (start < t <= stop) and over the deaths of each event
        group; the death sums are None when untied (one death per group: they are that row's values)."""
        if self.cuts is None:
            tail = self._reverse_cumsum(values)
        else:
            tail = self._reverse_cumsum(np.add.reduceat(values, self.cuts[:-1], axis=0))
        at = self.at_cut
        risk: FloatArray = tail[at[0]] if self.single else tail[at[0]] - tail[at[1]]
        death: FloatArray | None = None if self.untied else tail[at[2]] - tail[at[3]]
        if self.start_order is not None:
            entered = self._reverse_cumsum(values[self.start_order])
            risk -= entered[self.start_from] - entered[self.stratum_end]
        return risk, death


@dataclass(frozen=True)
class _Efron:
    """Log partial likelihood, score and information at one beta, and the per-group pieces cox.zph reuses.

    With den_k = R0 - f_k D0 (f_k = k/d, k = 0..d-1) for the (case-weighted)
    risk-set sums R and death sums D of a group, ``sums[:, j]`` holds, per
    group, the deaths' mean case weight times Σ 1/den, Σ f/den, Σ 1/den²,
    Σ f/den², Σ f²/den² (R's agfit4/coxfit6 ``wtave``; 1 without weights).
    Risk and death sums are over exp(eta - shift) relative to the group's risk-set total ``risk0``
    (so ``risk1`` is the risk-set mean, and ``sums`` are on that relative scale).
    """

    loglik: float
    score: FloatArray
    information: FloatArray
    risk1: FloatArray
    death1: FloatArray
    sums: FloatArray
    shift: float
    risk0: FloatArray
    row_risk: FloatArray
    """Per row: case weight × exp(eta - shift)."""


def _scale(x: FloatArray, weight: FloatArray) -> FloatArray:
    """R's coxfit6/agfit4 scaling: a column not all in {-1, 0, 1} is multiplied by
    Σw / Σ w|x − mean|, so that the Cholesky tolerance means the same for every covariate."""
    total = weight.sum()
    binary = np.all((x == 0.0) | (np.abs(x) == 1.0), axis=0)
    spread = weight @ np.abs(x - (weight @ x) / total)
    with np.errstate(divide="ignore"):
        scale: FloatArray = np.where(binary | ~(spread > 0), 1.0, total / spread)
    return scale


class _Model:
    """The centred covariates, multiplied by ``scale`` (R's); coefficients here are on that scale."""

    def __init__(self, design: Design) -> None:
        self.design = design
        self.scale = _scale(design.x, design.weight)
        n, p = design.x.shape
        # [1, x] column by column (Fortran order: the cumulative sums run down contiguous columns)
        self.ones_x = np.empty((n, p + 1), order="F")
        self.ones_x[:, 0] = 1.0
        self.ones_x[:, 1:] = (design.x - design.x.mean(axis=0)) * self.scale
        x = self.ones_x[:, 1:]
        self.x = x
        self.p = p
        self.risk = _RiskSets(design.time, design.event, design.start, design.strata)
        rs = self.risk
        self.weight = design.weight
        dead_weight = self.weight[rs.death_rows]
        dead_x = dead_weight[:, None] * x[rs.death_rows]
        self.dead_x = dead_x if rs.untied else np.add.reduceat(dead_x, rs.group_starts, axis=0)
        self.dead_x_total: FloatArray = self.dead_x.sum(axis=0)
        self.dead_weight: FloatArray = np.add.reduceat(dead_weight, rs.group_starts)
        """Per event group: the deaths' total case weight."""
        self.mean_weight: FloatArray = self.dead_weight / rs.deaths

    def evaluate(self, beta: FloatArray) -> _Efron:
        rs = self.risk
        eta = self.x @ beta
        top, bottom = float(eta.max()), float(eta.min())
        # exp(eta - shift) stays within normal floating point for a spread of eta up to ~1,380 (as R's
        # unshifted exp for |eta| < 709): centred between the extremes, the largest at most exp(690).
        shift = max(top - 690.0, (top + bottom) / 2)
        risk_score = np.exp(eta - shift)
        if self.design.weighted:
            risk_score = risk_score * self.weight
        risk, death = rs.sums(risk_score[:, None] * self.ones_x)
        p = self.p
        g = rs.group_of_event
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # a diverging step: loglik not finite
            # Each group's sums relative to its risk-set total R0, so that products of moments cannot
            # overflow when a late risk set is tiny against exp(max eta); ratios are unchanged.
            risk0 = risk[:, 0].copy()
            risk /= risk0[:, None]
            if death is None:  # one death per group: f = 0 and den = R0, so the Efron sums are 1, 0, 1, 0, 0
                log_den = np.log(risk0)
                sums = np.zeros((len(risk0), 5))
                sums[:, 0] = sums[:, 2] = 1.0
                death1 = np.zeros((len(risk0), p))  # never read: it enters only through the zero sums
            else:
                death /= risk0[:, None]
                den = risk[g, 0] - rs.frac * death[g, 0]
                inverse = 1.0 / den
                log_den = np.log(den) + np.log(risk0)[g]
                frac_inverse = rs.frac * inverse
                sums = np.empty((len(risk0), 5))
                for k, term in enumerate(
                    (inverse, frac_inverse, inverse * inverse, frac_inverse * inverse, frac_inverse * frac_inverse)
                ):
                    sums[:, k] = np.add.reduceat(term, rs.group_starts)
                death1 = death[:, 1:]
        if self.design.weighted:
            sums *= self.mean_weight[:, None]
            dead_weight = self.weight[rs.death_rows]
            log_terms = self.mean_weight[g] * (log_den + shift)
            loglik = float(dead_weight @ eta[rs.death_rows] - log_terms.sum())
        else:
            loglik = float(eta[rs.death_rows].sum() - log_den.sum() - shift * len(log_den))
        risk1 = risk[:, 1:]
        state = _Efron(loglik, np.zeros(p), np.zeros((p, p)), risk1, death1, sums, shift, risk0, risk_score)
        xbar_total = risk1.T @ sums[:, 0]
        if not rs.untied:
            xbar_total -= death1.T @ sums[:, 1]
        score = self.dead_x_total - xbar_total
        information = self.weighted_information(state, None)
        return replace(state, score=score, information=information)

    @staticmethod
    def xbar_sums(state: _Efron) -> FloatArray:
        """Per group: Σ_k of the Efron-weighted mean covariate vector over the risk set."""
        sums = state.sums
        result: FloatArray = state.risk1 * sums[:, [0]] - state.death1 * sums[:, [1]]
        return result

    def weighted_information(self, state: _Efron, weight: FloatArray | None) -> FloatArray:
        """Σ over groups of weight × (Efron information: Σ_k [second moment_k − mean_k mean_kᵀ]); None: weight 1.

        The second-moment part Σ_g c_g Σ_{i at risk in g} r_i x_i x_iᵀ is summed per row instead,
        Σ_i r_i (Σ_{g ∋ i} c_g) x_i x_iᵀ = Xᵀ diag(r C) X, one matrix product (no p² columns per row).
        Untied, the Efron sums in columns 1, 3 and 4 are zero and their terms are skipped.
        """
        w = state.sums if weight is None else weight[:, None] * state.sums
        r1, d1 = state.risk1, state.death1
        rs = self.risk
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # a diverging step: not finite, rejected
            per_row = state.row_risk * rs.over_groups(w[:, 0] / state.risk0)
            if not rs.untied:
                per_row[rs.death_rows] -= state.row_risk[rs.death_rows] * (w[:, 1] / state.risk0)[rs.group_of_event]
            second = (self.x * per_row[:, None]).T @ self.x
            means = (r1 * w[:, [2]]).T @ r1
            if not rs.untied:
                cross = (r1 * w[:, [3]]).T @ d1
                means += (d1 * w[:, [4]]).T @ d1 - cross - cross.T
            result: FloatArray = second - means
        return result

    def score_residuals(self, state: _Efron, beta: FloatArray) -> FloatArray:
        """Per row, R's ``residuals(fit, type = "score")`` (Efron, unweighted) at ``beta``.

        L_i = δ_i (x_i − mean_k x̄_k) − r_i Σ_{groups at risk} Σ_k h_k c_ik (x_i − x̄_k), where r_i =
        exp(eta_i), h_k = wtave/den_k, x̄_k the Efron risk-set mean at step k, and c_ik = 1 − k/d for a
        death in the group, else 1. The sums over groups are cumulative sums over the event groups of
        each stratum between the row's start and stop. Σ_i w_i L_i is the score.
        """
        rs = self.risk
        sums = state.sums / state.risk0[:, None]  # back to the exp(eta - shift) scale
        r1, d1 = state.risk1, state.death1
        hazard = sums[:, 0]
        hazard_x = r1 * sums[:, [2]] - d1 * sums[:, [3]]
        at_risk = rs.over_groups(np.column_stack([hazard, hazard_x]))
        risk_score = np.exp(self.x @ beta - state.shift)
        x = self.x
        resid: FloatArray = -risk_score[:, None] * (x * at_risk[:, [0]] - at_risk[:, 1:])
        dead = rs.death_rows
        group = rs.group_of_event
        own_hazard = sums[group, 1]
        own_hazard_x = (r1 * sums[:, [3]] - d1 * sums[:, [4]])[group]
        mean_xbar = (self.xbar_sums(state) / self.dead_weight[:, None])[group]
        resid[dead] += (x[dead] - mean_xbar) + risk_score[dead, None] * (x[dead] * own_hazard[:, None] - own_hazard_x)
        return resid


@dataclass(frozen=True)
class _Fit:
    """``beta`` and ``variance`` in the covariates' own units; ``internal_beta`` on the model's scale.
    ``singular`` marks coefficients with zero variance (R's NA: not estimable)."""

    model: _Model
    beta: FloatArray
    internal_beta: FloatArray
    final: _Efron
    null: _Efron
    variance: FloatArray
    iterations: int
    converged: bool
    rank: int
    singular: npt.NDArray[np.bool_]


def _finite(state: _Efron) -> bool:
    return math.isfinite(state.loglik) and bool(
        np.all(np.isfinite(state.score)) and np.all(np.isfinite(state.information))
    )


def _newton_raphson(model: _Model) -> _Fit:
    """R's coxfit6 / agfit4 iteration (survival 3.x): Newton–Raphson with the generalised Cholesky
    solve; a step that lowers the log-likelihood or is not finite is shrunk towards the last good beta
    (by 1/2, then 2/3, ... as R); out of iterations, the last good beta is returned."""
    beta = np.zeros(model.p)
    null = model.evaluate(beta)
    current = null
    loglik = null.loglik
    new_beta: FloatArray = beta + cholesky.solve(null.information, null.score)
    halving = 0
    converged = False
    iterations = 0
    for iteration in range(1, MAX_ITER + 1):
        iterations = iteration
        trial = model.evaluate(new_beta)
        finite = _finite(trial)
        if finite and abs(1 - loglik / trial.loglik) <= EPS:
            beta, current, converged = new_beta, trial, True
            break
        if not finite or trial.loglik < loglik:
            halving += 1
            new_beta = (new_beta + halving * beta) / (halving + 1)
        else:
            halving = 0
            loglik = trial.loglik
            beta, current = new_beta, trial
            new_beta = beta + cholesky.solve(trial.information, trial.score)
    terms = ", ".join(c.term for c in model.design.columns)
    if not math.isfinite(current.loglik):
        raise ConvergenceError(f"the Cox model with {terms} could not be fitted: the likelihood is not finite")
    decomposition = cholesky.cholesky2(current.information)
    internal_variance = cholesky.chinv2(decomposition)
    scale = model.scale
    variance = internal_variance * np.outer(scale, scale)
    original_beta = beta * scale
    if not (np.all(np.isfinite(original_beta)) and np.all(np.isfinite(variance))):
        raise ConvergenceError(
            f"the Cox model with {terms} could not be fitted: numeric overflow "
            "(a covariate may separate patients with and without events)"
        )
    singular = np.diag(variance) == 0
    return _Fit(
        model, original_beta, beta, current, null, variance, iterations, converged, decomposition.rank, singular
    )


def _fit(design: Design) -> _Fit:
    """Fit on the rows sorted by stratum, time and event (the layout :class:`_RiskSets` needs)."""
    keys = (
        (design.event, design.time) if design.strata.max(initial=0) == 0 else (design.event, design.time, design.strata)
    )
    order = np.lexsort(keys)
    ordered = replace(
        design,
        x=design.x[order],
        time=design.time[order],
        event=design.event[order],
        start=None if design.start is None else design.start[order],
        strata=design.strata[order],
        weight=design.weight[order],
        cluster=None if design.cluster is None else design.cluster[order],
    )
    return _newton_raphson(_Model(ordered))


@dataclass(frozen=True)
class _Robust:
    variance: FloatArray
    score_test: float
    n_clusters: int


def _robust(fit: _Fit) -> _Robust:
    """R's ``coxph(robust = TRUE)``: the sandwich variance D'D from the weighted dfbeta residuals
    (score residuals × case weight × model variance, summed within clusters), and the robust score test
    at beta = 0 (R's ``fit$rscore``)."""
    model = fit.model
    weight = model.design.weight[:, None]
    cluster = model.design.cluster
    residuals = model.score_residuals(fit.final, fit.internal_beta) / model.scale
    dfbeta = collapse(weight * residuals @ fit.variance, cluster)
    null_scores = collapse(weight * model.score_residuals(fit.null, np.zeros(model.p)) / model.scale, cluster)
    u = null_scores.sum(axis=0)
    try:
        score_test = float(u @ np.linalg.solve(null_scores.T @ null_scores, u))
    except np.linalg.LinAlgError:
        score_test = math.nan
    return _Robust(dfbeta.T @ dfbeta, score_test, len(dfbeta))


def _fit_warnings(fit: _Fit) -> list[Message]:
    columns = fit.model.design.columns
    out: list[Message] = [
        Message.of(NOT_ESTIMABLE, **term_params(c))
        for c, singular in zip(columns, fit.singular, strict=True)
        if singular
    ]
    if not fit.converged:
        out.append(Message.of(NOT_CONVERGED, iterations=MAX_ITER))
    infinite = np.abs((fit.final.score / fit.model.scale) @ fit.variance)
    flagged = (infinite > EPS) & (infinite > TOLER_INF * np.abs(fit.beta))
    out += [Message.of(INFINITE, **term_params(c)) for c, bad in zip(columns, flagged, strict=True) if bad]
    events = int(fit.model.design.event.sum())
    epv = events / len(columns)
    if epv < MIN_EPV:
        out.append(Message.of(FEW_EVENTS, epv=f"{epv:.1f}", minimum=f"{MIN_EPV:g}"))
    return out


# ----------------------------------------------------------------------------- results


def _test(name: str, statistic: float, df: int) -> TestStat:
    return TestStat(name=name, statistic=float(statistic), df=df, p=_chi2_sf(statistic, df))


def exp_or_inf(value: float) -> float:
    """exp(value), or infinity where it overflows (a bound of a coefficient running off to infinity)."""
    return math.exp(value) if value < 709 else math.inf


def _terms(fit: _Fit, robust: _Robust | None) -> tuple[CoxTerm, ...]:
    terms = []
    for k, column in enumerate(fit.model.design.columns):
        if fit.singular[k]:
            continue
        coef = float(fit.beta[k])
        se = float(math.sqrt(fit.variance[k, k]))
        se_robust = None if robust is None else float(math.sqrt(robust.variance[k, k]))
        se_test = se if se_robust is None else se_robust
        z = coef / se_test
        terms.append(
            CoxTerm(
                term=column.term,
                covariate=column.covariate,
                level=column.level,
                reference=column.reference,
                coef=coef,
                se=se,
                hr=exp_or_inf(coef),
                ci=(exp_or_inf(coef - Z_95 * se_test), exp_or_inf(coef + Z_95 * se_test)),
                z=z,
                p=float(2 * special.ndtr(-abs(z))),  # 2·norm.sf(|z|)
                se_robust=se_robust,
            )
        )
    return tuple(terms)


def _linear_predictor(x: FloatArray, beta: FloatArray) -> FloatArray:
    """x @ beta summed column by column, so that identical rows get identical values: a BLAS product
    may round a row differently by its position (vector blocks and remainders), and the concordance
    counts ties in the risk score exactly."""
    eta: FloatArray = x[:, 0] * beta[0]
    for k in range(1, len(beta)):
        eta += x[:, k] * beta[k]
    return eta


def _result(fit: _Fit, strata: str | None, options: _Options) -> CoxResult:
    design = fit.model.design
    p = fit.model.p - int(fit.singular.sum())  # R's df: the coefficients that are not NA
    score = float(fit.null.score @ cholesky.solve(fit.null.information, fit.null.score))
    robust = _robust(fit) if options.robust else None
    wald = float(fit.beta @ cholesky.solve(fit.variance if robust is None else robust.variance, fit.beta))
    eta = _linear_predictor(fit.model.x, fit.internal_beta)
    c_index, concordance_se = concordance(design, eta, design.cluster if robust is not None else None)
    events = int(design.event.sum())
    wording = (*design.wording, *options.warnings, *_fit_warnings(fit))
    return CoxResult(
        n=len(design.time),
        events=events,
        n_excluded=design.n_excluded,
        ties=TIES,
        terms=_terms(fit, robust),
        lr_test=_test("likelihood ratio", 2 * (fit.final.loglik - fit.null.loglik), p),
        wald_test=_test("Wald", wald, p),
        score_test=_test("score (log-rank)", score, p),
        concordance=c_index,
        concordance_se=concordance_se,
        loglik=(fit.null.loglik, fit.final.loglik),
        strata=strata,
        events_per_parameter=events / p,
        warnings=tuple(m.text() for m in wording),
        excluded_rows=design.excluded_rows,
        iterations=fit.iterations,
        converged=fit.converged,
        weights=options.weights,
        robust=robust is not None,
        cluster=options.cluster if robust is not None else None,
        n_clusters=None if robust is None else robust.n_clusters,
        robust_score_test=None if robust is None else _test("robust score", robust.score_test, p),
        notes=() if robust is None else (ROBUST_NOTE,),
        wording=wording,
    )


@dataclass(frozen=True)
class _Options:
    """How the variance is estimated: R's ``coxph(weights =, robust =, cluster =)`` resolved."""

    weights: str | None
    robust: bool
    cluster: str | None
    warnings: tuple[Message, ...]


def _variance_options(frame: pd.DataFrame, weights: str | None, robust: bool | None, cluster: str | None) -> _Options:
    """R's defaults: robust when a cluster is given or a weight is not a whole number; a cluster with
    ``robust=False`` is ignored with a warning."""
    require_columns(frame, [c for c in (weights, cluster) if c])
    if robust is None:
        fractional = False
        if weights is not None:
            values = pd.to_numeric(frame[weights], errors="coerce").to_numpy(dtype=np.float64)
            finite = values[np.isfinite(values)]
            fractional = bool(np.any(finite != np.floor(finite)))
        robust = cluster is not None or fractional
    if cluster is not None and not robust:
        return _Options(weights, False, None, (Message.of(CLUSTER_IGNORED, cluster=cluster),))
    return _Options(weights, robust, cluster, ())


def fit_cox(
    frame: pd.DataFrame,
    time_col: str,
    event_col: str,
    covariates: Sequence[str],
    *,
    categorical: Sequence[str] = (),
    reference: Mapping[str, str] | None = None,
    strata: str | None = None,
    start_col: str | None = None,
    weights: str | None = None,
    robust: bool | None = None,
    cluster: str | None = None,
) -> CoxResult:
    """Fit a Cox proportional-hazards model (Efron ties), as R's ``coxph``.

    Parameters
    ----------
    frame : one row per patient, or per (start, stop] interval with ``start_col``.
    time_col, event_col : follow-up (stop) time and event indicator (0/1 or true/false).
    covariates : columns in the model, in order.
    categorical : numeric-coded columns to treat as categories (text columns always are).
    reference : reference level per categorical column (its text label, e.g. ``{"ecog": "0"}``);
        a numeric column given a reference is treated as a category.
    strata : column whose values get separate baseline hazards.
    start_col : entry time column: counting-process (start, stop] data.
    weights : case-weight column (finite, > 0), as ``coxph(weights = w)``; rows missing a weight are
        excluded and counted.
    robust : robust (sandwich) variance, as ``coxph(robust = TRUE)``: each term gets ``se_robust`` and its
        CI, z and p use it, the Wald test uses the robust variance and ``robust_score_test`` is set. None
        (the default) follows R: robust when ``cluster`` is given or a weight is not a whole number.
    cluster : column whose rows are correlated (e.g. one patient's (start, stop] rows), as ``cluster(id)``:
        the robust variance sums the residuals within each value. Without it each row is its own cluster.

    Raises
    ------
    DataError : unknown column, bad values, unknown reference level, no events,
        or no covariate that varies.
    EmptyGroupError : no complete rows.
    ConvergenceError : the information matrix is singular.

    See Also
    --------
    cox_zph : the proportional-hazards test of the same model.
    univariate_screen : one model per candidate covariate.
    """
    options = _variance_options(frame, weights, robust, cluster)
    if options.robust and start_col is not None and options.cluster is None:
        raise DataError(
            "a robust variance on (start, stop] rows needs cluster= (the column identifying each patient), "
            "as R's coxph: rows of one patient are not independent"
        )
    design = build_design(
        frame, time_col, event_col, covariates,
        categorical=categorical, reference=reference, strata=strata, start_col=start_col,
        weights=weights, cluster=options.cluster,
    )  # fmt: skip
    with one_blas_thread(len(design.time)):
        return _result(_fit(design), strata, options)


# ----------------------------------------------------------------------------- cox.zph


def _km_left(design: Design) -> FloatArray:
    """1 − KM(t−) (pooled over strata, with delayed entry) at each event group's time."""
    time, event = design.time, design.event
    event_times = np.unique(time[event > 0])
    sorted_stop = np.sort(time)
    at_risk = len(time) - np.searchsorted(sorted_stop, event_times, side="left")
    if design.start is not None:
        at_risk -= len(time) - np.searchsorted(np.sort(design.start), event_times, side="left")
    deaths = np.bincount(np.searchsorted(event_times, time[event > 0]), minlength=len(event_times))
    survival = np.cumprod(1 - deaths / at_risk)
    before = np.concatenate([[1.0], survival[:-1]])
    return 1 - before


def _zph(fit: _Fit) -> ZphResult:
    model = fit.model
    design = model.design
    rs = model.risk
    event_times = np.unique(design.time[design.event > 0])
    transformed = _km_left(design)[np.searchsorted(event_times, rs.group_time)]
    g = transformed - np.sum(transformed * rs.deaths) / rs.deaths.sum()
    state = fit.final
    u = g @ (model.dead_x - model.xbar_sums(state))
    p = model.p
    info = np.zeros((2 * p, 2 * p))
    info[:p, :p] = state.information
    cross = model.weighted_information(state, g)
    info[:p, p:] = cross
    info[p:, :p] = cross.T
    info[p:, p:] = model.weighted_information(state, g * g)
    score = np.concatenate([np.zeros(p), u])
    assign: dict[str, list[int]] = {}
    for k, column in enumerate(design.columns):
        assign.setdefault(column.covariate, []).append(k)

    def test(name: str, columns: list[int]) -> ZphTerm:
        keep = [*range(p), *(p + k for k in columns)]
        sub = score[keep]
        chisq = float(sub @ np.linalg.solve(info[np.ix_(keep, keep)], sub))
        return ZphTerm(term=name, chisq=chisq, df=len(columns), p=_chi2_sf(chisq, len(columns)))

    terms = tuple(test(name, columns) for name, columns in assign.items())
    return ZphResult(terms=terms, global_test=test("GLOBAL", list(range(p))))


def cox_zph(
    frame: pd.DataFrame,
    time_col: str,
    event_col: str,
    covariates: Sequence[str],
    *,
    categorical: Sequence[str] = (),
    reference: Mapping[str, str] | None = None,
    strata: str | None = None,
    start_col: str | None = None,
) -> ZphResult:
    """Test proportional hazards of the model :func:`fit_cox` fits with the same arguments.

    R (survival ≥ 3.0) ``cox.zph(fit, transform = "km")``: per covariate and
    global score tests for adding x·g(t), g = 1 − KM(t−) centred on the event
    times. A small p suggests the hazard ratio of that covariate changes over time.
    """
    design = build_design(
        frame, time_col, event_col, covariates,
        categorical=categorical, reference=reference, strata=strata, start_col=start_col,
    )  # fmt: skip
    try:
        with one_blas_thread(len(design.time)):
            return _zph(_fit(design))
    except np.linalg.LinAlgError as exc:
        raise ConvergenceError.of(PH_SINGULAR) from exc


# ----------------------------------------------------------------------------- univariate screen


def univariate_screen(
    frame: pd.DataFrame,
    time_col: str,
    event_col: str,
    candidates: Sequence[str],
    *,
    categorical: Sequence[str] = (),
    reference: Mapping[str, str] | None = None,
    strata: str | None = None,
    start_col: str | None = None,
) -> tuple[ScreenRow, ...]:
    """One Cox model per candidate covariate, each on the patients with a value for it.

    Column names and the time/event/start/strata columns are checked first
    (DataError). A candidate that cannot be fitted (constant, all missing, no
    events, singular) gives a row with ``result=None`` and the reason in ``note``;
    a fitted model's warnings are in ``result.warnings`` and, joined, in ``note`` (so the screen
    shows them beside the hazard ratio).
    """
    candidates = list(dict.fromkeys(candidates))
    require_columns(frame, [*candidates, *([strata] if strata else [])])
    survival_data(frame, time_col, event_col, start=start_col, extra=[strata] if strata else [])
    rows = []
    for candidate in candidates:
        own_reference = {k: v for k, v in (reference or {}).items() if k == candidate}
        try:
            result = fit_cox(
                frame, time_col, event_col, [candidate],
                categorical=[c for c in categorical if c == candidate], reference=own_reference,
                strata=strata, start_col=start_col,
            )  # fmt: skip
        except PPXError as exc:
            wording = getattr(exc, "wording", None)
            rows.append(ScreenRow(candidate, None, str(exc), () if wording is None else (wording,)))
        else:
            rows.append(ScreenRow(candidate, result, " ".join(result.warnings) or None, result.wording))
    return tuple(rows)
