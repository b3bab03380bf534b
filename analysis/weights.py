"""Propensity-score weighting: the propensity model, balancing weights, diagnostics, balance and E-values.

Conventions (R is the reference; the R code that checks each number sits beside its test):

- **Propensity model** is R's ``glm(treated ~ covariates, family = binomial)``:
  IRLS from R's start (``mustart = (y + 0.5) / 2``), converged when
  ``|dev - dev_old| / (|dev| + 0.1) < 1e-8`` (at most 25 iterations), and
  standard errors from the weighted cross-product of the last iteration, as
  ``summary.glm``. The **treated** group is the one that is not the reference
  level of the treatment (the first level in natural order unless one is
  given); the propensity is P(treated | covariates). The **AUC** (c-statistic)
  is the Mann–Whitney probability that a treated patient has the higher
  propensity (ties count 1/2).
- **Covariates**: numeric and boolean columns enter as numbers; text columns
  and those named in ``categorical`` are categories, dummy-coded against their
  reference level, the first level in natural order
  (:func:`analysis.km.natural_key`), reported as ``COLUMN=LEVEL`` terms.
- **Weights** (WeightIt's conventions, not normalised): ATE ``t/e + (1-t)/(1-e)``;
  ATT ``t + (1-t) e/(1-e)`` (treated weight 1); overlap ``t(1-e) + (1-t)e``.
  **Trimming** at quantile q sets every weight above the q-quantile
  (R's ``quantile(type = 7)``) to it, as ``WeightIt::trim``; for ATT only the
  comparison group's weights are trimmed.
- **Effective sample size** per group ``(sum w)^2 / sum w^2``. A weight is
  *extreme* when it is more than ``EXTREME_RATIO`` times the mean weight of
  its group.
- **Balance** is cobalt's standardised mean difference (``binary = "std"``,
  ``s.d.denom = "pooled"``): treated minus reference weighted means over the
  *unweighted* pooled SD ``sqrt((s1^2 + s0^2) / 2)``, so before and after are
  on one scale. The SD is the sample SD for a continuous covariate and
  ``sqrt(p(1 - p))`` for a 0/1 covariate or category level. Every level of a
  category gets its own row, ``COLUMN=LEVEL``. ``BALANCE_THRESHOLD`` = 0.1.
- **E-value** (VanderWeele & Ding 2017) of a hazard ratio: for a common outcome
  (at least 15% with the event) the HR is first converted to a risk ratio,
  ``RR = (1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR))``; for a rare one RR = HR.
  ``E = RR* + sqrt(RR* (RR* - 1))`` with ``RR* = max(RR, 1/RR)``; the CI limit
  nearer to 1 gives the second E-value (1 when the CI contains 1).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast, get_args

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import expit
from scipy.stats import norm, rankdata

from analysis.errors import DataError, EmptyGroupError
from analysis.jsonsafe import record
from analysis.km import encode_groups
from analysis.messages import Message
from analysis.survdata import require_columns, spreadsheet_row

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

Estimand = Literal["ate", "att", "overlap"]
ESTIMANDS: tuple[str, ...] = get_args(Estimand)
ESTIMAND_LABELS: dict[str, str] = {
    "ate": "ATE (inverse probability of treatment weights)",
    "att": "ATT (weights to the treated)",
    "overlap": "overlap weights (ATO)",
}
BALANCE_THRESHOLD = 0.1
EXTREME_RATIO = 10.0
"""A weight above this many times its group's mean weight is called extreme."""
MIN_ESS = 2.0
"""Below this effective sample size a group's weights are all carried by one or two patients: an error."""
LOW_ESS_SHARE = 0.25
"""An effective sample size below this share of the group's patients gets a warning."""
SEPARATION = 1e-8
"""A fitted propensity closer than this to 0 or 1 means the covariates separate the groups."""
COMMON_OUTCOME = 0.15
"""Share of patients with the event from which the outcome is "common" for the E-value."""
GLM_EPSILON = 1e-8
"""R ``glm.control(epsilon)``."""
GLM_MAXIT = 25
"""R ``glm.control(maxit)``."""
OVERLAP_BINS = 20


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class PropensityTerm:
    """One coefficient of the propensity model (log odds of being treated), as ``summary(glm)``."""

    term: str
    coef: float
    se: float
    z: float
    p: float

    def to_dict(self) -> dict[str, Any]:
        return record(self)


@dataclass(frozen=True)
class PropensityModel:
    """The fitted propensity model; ``references`` is (covariate, reference level) of each category."""

    terms: tuple[PropensityTerm, ...]
    auc: float
    deviance: float
    iterations: int
    references: tuple[tuple[str, str], ...]

    def to_dict(self) -> dict[str, Any]:
        return record(self, mappings=("references",), rename={"references": "categorical_reference"})


@dataclass(frozen=True)
class WeightSummary:
    """Diagnostics of the weights: range, ESS and extreme weights per group (level → value)."""

    estimand: Estimand
    min: float
    max: float
    ess: tuple[tuple[str, float], ...]
    n: tuple[tuple[str, int], ...]
    n_extreme: tuple[tuple[str, int], ...]
    trim: float | None
    trimmed: int

    def to_dict(self) -> dict[str, Any]:
        return record(self, mappings=("ess", "n", "n_extreme"))


@dataclass(frozen=True)
class BalanceRow:
    """Standardised mean difference (treated − reference) of one covariate or category level."""

    covariate: str
    binary: bool
    mean_treated: float
    mean_reference: float
    mean_treated_weighted: float
    mean_reference_weighted: float
    smd_unweighted: float
    smd_weighted: float

    def to_dict(self) -> dict[str, Any]:
        return record(self)


@dataclass(frozen=True)
class OverlapHistogram:
    """Propensity distributions by group as shares of each group per bin (no patient-level values)."""

    edges: tuple[float, ...]
    shares: tuple[tuple[str, tuple[float, ...]], ...]

    def to_dict(self) -> dict[str, Any]:
        return record(self, mappings=("shares",))


@dataclass(frozen=True)
class Weighting:
    """Propensity model, weights (in the order of ``rows``), their diagnostics and balance."""

    treatment: str
    reference: str
    treated: str
    estimand: Estimand
    n: int
    n_excluded: int
    excluded_rows: tuple[str, ...]
    propensity: PropensityModel
    summary: WeightSummary
    balance: tuple[BalanceRow, ...]
    overlap: OverlapHistogram
    warnings: tuple[str, ...]
    rows: tuple[Any, ...]
    """Index labels of the patients analysed (the frame's index)."""
    weights: tuple[float, ...]
    is_treated: tuple[bool, ...]
    wording: tuple[Message, ...] = ()
    """``warnings`` as templates and parameters (:data:`EXTREME_WEIGHTS`, :data:`LOW_ESS`, :data:`UNBALANCED`)."""

    def to_dict(self) -> dict[str, Any]:
        omit = ("excluded_rows", "rows", "weights", "is_treated", "wording")
        return record(self, omit=omit, rename={"summary": "weights"})


@dataclass(frozen=True)
class EValue:
    """E-values of a hazard ratio and of its CI limit nearer to 1; ``rr`` is the risk ratio used."""

    point: float
    ci_limit: float
    rr: float
    common_outcome: bool
    method: str

    def to_dict(self) -> dict[str, Any]:
        return record(self)


# ----------------------------------------------------------------------------- design


@dataclass(frozen=True)
class Design:
    """Model matrix (with intercept), treatment indicator and the balance matrix (every level)."""

    x: FloatArray
    terms: tuple[str, ...]
    sources: tuple[str, ...]
    """The covariate each non-intercept term comes from."""
    treated: FloatArray
    balance_x: FloatArray
    balance_terms: tuple[str, ...]
    balance_binary: tuple[bool, ...]
    references: tuple[tuple[str, str], ...]
    reference: str
    treated_label: str
    index: pd.Index
    n_excluded: int
    excluded_rows: tuple[str, ...]


# Why no weights exist, each a template (analysis.messages; the app words them, a column or covariate by its
# label, a level of the treatment column by its label): the English text is exactly what ``ppx weights`` prints.
BAD_ESTIMAND = "the estimand must be one of {choices}; got {estimand!r}"
BAD_TRIM = "the trimming quantile must be at least 0.5 and below 1 (e.g. 0.99); got {trim}"
TWO_LEVELS = (
    "the treatment column {column!r} must have exactly two levels among the patients analysed; it has {count}: {levels}"
)
"""Why no weights exist when a filter leaves one group (``levels`` lists the codes found)."""
NOT_A_LEVEL = "reference level {reference!r} is not a level of {column!r}: {first!r}, {second!r}"
NO_COVARIATE = "the propensity model needs at least one covariate"
TREATMENT_AS_COVARIATE = "the treatment {column!r} cannot also be a covariate"
CATEGORICAL_NOT_COVARIATE = "categorical column(s) {covariates} are not among the covariates"
NONE_RECORDED = "no patients have {column!r} and all of {covariates} recorded"
SINGLE_VALUE = "covariate {covariate!r} has a single value ({value}) among the patients analysed; leave it out"
SINGLE_LEVEL = (
    "categorical covariate {covariate!r} has a single level ({level!r}) among the patients analysed; leave it out"
)
SEPARATES = (
    "covariate {covariate!r} separates the groups perfectly ({detail}), so some propensities are 0 or 1 and no "
    "weights exist; leave it out or merge its levels"
)
SEPARATES_WITH = "every patient with {covariate} is in {group!r}"
SEPARATES_WITHOUT = "every patient without {covariate} is in {group!r}"
SEPARATES_RANGE = "every {low!r} patient has a value at or below every {high!r} patient's"
COLLINEAR = (
    "covariate term {covariate!r} is a linear combination of the other covariates among the patients analysed; "
    "leave one of them out"
)
SEPARATED = (
    "the covariates separate the groups of {column!r} (almost) perfectly: {n} patients have a propensity of 0 or "
    "1, mainly through {covariate!r}; leave it out or merge its levels"
)
ALL_EXTREME = (
    "the weights of group {group!r} of {column!r} are all extreme: its effective sample size is {ess} of {n} "
    "patients, so the groups barely overlap on these covariates; choose overlap weights, trim the weights or use "
    "fewer covariates"
)
NO_E_VALUE = "an E-value needs a finite positive hazard ratio and CI; got {hr} ({ci_low}, {ci_high})"
NO_ROW_WEIGHTS = "this weighting keeps no per-patient weights (it was summarised for caching)"
# A weighting's warnings, each a template too (Weighting.wording).
EXTREME_WEIGHTS = (
    "{n} extreme weight(s) in {group!r} (more than {ratio} times the group's mean weight): a few patients carry much "
    "of the comparison; consider overlap weights or trimming."
)
LOW_ESS = (
    "The effective sample size of {group!r} is {ess} of {n} patients (below {share}): the weighted estimate rests on "
    "few patients."
)
UNBALANCED = "After weighting, {count} covariate(s) still differ by more than {threshold} SD: {terms}."
WEIGHTS_TEMPLATES: tuple[str, ...] = (
    BAD_ESTIMAND, BAD_TRIM, TWO_LEVELS, NOT_A_LEVEL, NO_COVARIATE, TREATMENT_AS_COVARIATE, CATEGORICAL_NOT_COVARIATE,
    NONE_RECORDED, SINGLE_VALUE, SINGLE_LEVEL, SEPARATES, SEPARATES_WITH, SEPARATES_WITHOUT, SEPARATES_RANGE,
    COLLINEAR, SEPARATED, ALL_EXTREME, NO_E_VALUE, NO_ROW_WEIGHTS, EXTREME_WEIGHTS, LOW_ESS, UNBALANCED,
)  # fmt: skip
"""Every template of the weights' refusals and warnings."""


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(map(repr, names))


def check_estimand(estimand: str) -> Estimand:
    if estimand not in ESTIMANDS:
        raise DataError.of(BAD_ESTIMAND, choices=", ".join(ESTIMANDS), estimand=str(estimand))
    return cast(Estimand, estimand)


def _numeric(values: pd.Series) -> FloatArray | None:
    """Numbers if the column is numeric or boolean (also true/false text), else None (a category)."""
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        numbers: FloatArray = values.to_numpy(dtype=np.float64)
        return numbers
    text = values.astype(str).str.strip().str.lower()
    if text.isin(["true", "false"]).all():
        flags: FloatArray = np.asarray(text == "true", dtype=np.float64)
        return flags
    return None


def _treatment(values: pd.Series, column: str, reference: str | None) -> tuple[FloatArray, str, str]:
    codes, labels = encode_groups(values)
    if len(labels) != 2:
        shown = ", ".join(repr(v) for v in labels) or "none"
        raise DataError.of(TWO_LEVELS, column=column, count=len(labels), levels=shown)
    if reference is not None and reference not in labels:
        raise DataError.of(NOT_A_LEVEL, reference=reference, column=column, first=labels[0], second=labels[1])
    ref = labels[0] if reference is None else reference
    treated_label = labels[1] if ref == labels[0] else labels[0]
    treated = (codes == labels.index(treated_label)).astype(np.float64)
    return treated, ref, treated_label


def _check_separation(name: str, values: FloatArray, treated: FloatArray, labels: tuple[str, str], column: str) -> None:
    """A covariate on its own whose ranges in the two groups do not overlap makes a propensity 0 or 1."""
    in_treated, in_reference = values[treated == 1], values[treated == 0]
    reference, treated_label = labels
    treated_high = in_treated.min() >= in_reference.max()
    if not (treated_high or in_reference.min() >= in_treated.max()):
        return
    if set(np.unique(values)) <= {0.0, 1.0}:
        value = 1.0 if (values == 1.0).sum() <= (values == 0.0).sum() else 0.0
        holders = treated[values == value]
        group = treated_label if holders[0] == 1 else reference
        template = SEPARATES_WITH if value == 1.0 else SEPARATES_WITHOUT
        detail = Message.of(template, covariate=name, group=group, column=column)
    else:
        low, high = (reference, treated_label) if treated_high else (treated_label, reference)
        detail = Message.of(SEPARATES_RANGE, low=low, high=high, column=column)
    raise DataError.of(SEPARATES, covariate=name, detail=detail)


def design(
    frame: pd.DataFrame,
    treatment: str,
    covariates: Sequence[str],
    *,
    categorical: Iterable[str] = (),
    reference: str | None = None,
    required: Sequence[str] = (),
) -> Design:
    """Check the inputs and build the propensity model matrix and the balance matrix.

    Rows missing the treatment, a covariate or a ``required`` column are
    excluded and counted. A treatment with other than two levels, a category
    with a single level and a covariate that separates the groups on its own
    raise DataError naming the column.
    """
    covariates = list(dict.fromkeys(covariates))
    if not covariates:
        raise DataError.of(NO_COVARIATE)
    if treatment in covariates:
        raise DataError.of(TREATMENT_AS_COVARIATE, column=treatment)
    forced = set(categorical)
    unknown = sorted(forced - set(covariates))
    if unknown:
        raise DataError.of(CATEGORICAL_NOT_COVARIATE, covariates=_quoted(unknown))
    columns = list(dict.fromkeys([treatment, *covariates, *required]))
    require_columns(frame, columns)
    subset = frame[columns]
    text = subset.select_dtypes(include="object")
    blank = text.apply(lambda c: c.astype(str).str.strip() == "").any(axis=1) if len(text.columns) else False
    complete = subset.notna().all(axis=1) & ~blank
    excluded = tuple(spreadsheet_row(i) for i in frame.index[~complete])
    clean = subset[complete]
    if clean.empty:
        raise EmptyGroupError.of(NONE_RECORDED, column=treatment, covariates=_quoted(covariates))
    treated, ref, treated_label = _treatment(clean[treatment], treatment, reference)
    arrays: list[FloatArray] = []
    terms: list[str] = []
    sources: list[str] = []
    balance_arrays: list[FloatArray] = []
    balance_terms: list[str] = []
    balance_binary: list[bool] = []
    references: list[tuple[str, str]] = []
    for covariate in covariates:
        values = clean[covariate]
        numbers = None if covariate in forced else _numeric(values)
        if numbers is not None:
            if np.ptp(numbers) == 0:
                raise DataError.of(SINGLE_VALUE, covariate=covariate, value=f"{numbers[0]:g}")
            _check_separation(covariate, numbers, treated, (ref, treated_label), treatment)
            arrays.append(numbers)
            terms.append(covariate)
            sources.append(covariate)
            balance_arrays.append(numbers)
            balance_terms.append(covariate)
            balance_binary.append(bool(set(np.unique(numbers)) <= {0.0, 1.0}))
            continue
        codes, labels = encode_groups(values)
        if len(labels) < 2:
            raise DataError.of(SINGLE_LEVEL, covariate=covariate, level=labels[0])
        references.append((covariate, labels[0]))
        for k, label in enumerate(labels):
            indicator = (codes == k).astype(np.float64)
            name = f"{covariate}={label}"
            _check_separation(name, indicator, treated, (ref, treated_label), treatment)
            balance_arrays.append(indicator)
            balance_terms.append(name)
            balance_binary.append(True)
            if k > 0:
                arrays.append(indicator)
                terms.append(name)
                sources.append(covariate)
    x = np.column_stack([np.ones(len(clean)), *arrays])
    _check_collinear(x, terms)
    return Design(
        x=x,
        terms=("(Intercept)", *terms),
        sources=tuple(sources),
        treated=treated,
        balance_x=np.column_stack(balance_arrays),
        balance_terms=tuple(balance_terms),
        balance_binary=tuple(balance_binary),
        references=tuple(references),
        reference=ref,
        treated_label=treated_label,
        index=clean.index,
        n_excluded=len(excluded),
        excluded_rows=excluded,
    )


def _check_collinear(x: FloatArray, terms: list[str]) -> None:
    r = np.linalg.qr(x, mode="r")
    scale = np.maximum(np.linalg.norm(x, axis=0), 1.0)
    bad = np.flatnonzero(np.abs(np.diag(r)) <= 1e-7 * scale)
    if len(bad):
        raise DataError.of(COLLINEAR, covariate=terms[int(bad[0]) - 1])


# ----------------------------------------------------------------------------- propensity model (IRLS)


def _logistic(eta: FloatArray) -> FloatArray:
    out: FloatArray = expit(eta)
    return out


def _deviance(y: FloatArray, mu: FloatArray, freq: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore"):
        log_likelihood = np.log(np.where(y == 1, mu, 1 - mu))
    deviance: FloatArray = -2.0 * np.sum(freq * log_likelihood, axis=-1)
    return deviance


def irls(
    x: FloatArray,
    y: FloatArray,
    freq: FloatArray | None = None,
    start: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray, int]:
    """Logistic regression by R's ``glm.fit`` IRLS, vectorised over rows of ``freq`` (resample frequencies).

    ``freq`` has shape (B, n) (or None: one fit, all 1). Returns the
    coefficients (B, p), the inverse weighted cross-product of the last
    iteration (B, p, p) (the covariance, as ``summary.glm``), the fitted
    probabilities at the coefficients (B, n) and the iterations of the slowest fit.
    Without ``start`` the first iteration starts from R's ``mustart``.
    """
    frequencies = np.ones((1, len(y))) if freq is None else np.atleast_2d(freq).astype(np.float64)
    n_fits, p = frequencies.shape[0], x.shape[1]
    xt = np.ascontiguousarray(x.T)  # beta @ xt is several times faster than beta @ x.T
    if start is None:
        mu = np.broadcast_to((y + 0.5) / 2, frequencies.shape).copy()
        eta = np.log(mu / (1 - mu))
    else:
        beta_start = np.broadcast_to(start, (n_fits, p))
        eta = beta_start @ xt
        mu = _logistic(eta)
    deviance_old = _deviance(y, mu, frequencies)
    beta = np.zeros((n_fits, p))
    covariance = np.zeros((n_fits, p, p))
    active = np.ones(n_fits, dtype=bool)
    rows, cols = np.triu_indices(p)
    products = x[:, rows] * x[:, cols]  # X'WX of every fit is one matrix product: w @ products
    iterations = 0
    while iterations < GLM_MAXIT:
        iterations += 1
        variance = np.maximum(mu * (1 - mu), 1e-300)  # a fitted 0 or 1 (separation) is reported by the caller
        z = eta + (y - mu) / variance
        w = frequencies[active] * variance[active]
        packed = w @ products
        information = np.empty((len(w), p, p))
        information[:, rows, cols] = packed
        information[:, cols, rows] = packed
        try:
            inverse = np.linalg.inv(information)
        except np.linalg.LinAlgError:
            inverse = np.linalg.pinv(information)
        covariance[active] = inverse
        beta[active] = np.einsum("bij,bj->bi", inverse, (w * z[active]) @ x)
        eta[active] = beta[active] @ xt
        mu[active] = _logistic(eta[active])
        deviance = _deviance(y, mu, frequencies)
        converged = np.abs(deviance - deviance_old) / (np.abs(deviance) + 0.1) < GLM_EPSILON
        active &= ~converged
        deviance_old = deviance
        if not active.any():
            break
    if active.any():
        iterations = GLM_MAXIT + 1
    return beta, covariance, mu, iterations


def auc(score: FloatArray, treated: FloatArray) -> float:
    """c-statistic: P(score of a treated patient > score of a reference patient), ties 1/2."""
    ranks = rankdata(score)
    n1 = float(treated.sum())
    n0 = len(treated) - n1
    return float((ranks[treated == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _separation_message(d: Design, beta: FloatArray, n_extreme: int, treatment: str) -> Message:
    spread = d.x[:, 1:].std(axis=0) * np.abs(beta[1:])
    culprit = d.terms[1 + int(np.argmax(spread))]
    return Message.of(SEPARATED, column=treatment, n=n_extreme, covariate=culprit)


def fit_propensity(d: Design, treatment: str) -> tuple[PropensityModel, FloatArray]:
    """The propensity model of a design and the fitted propensity of each patient."""
    beta, covariance, mu, iterations = irls(d.x, d.treated)
    coef, cov, score = beta[0], covariance[0], mu[0]
    extreme = (score < SEPARATION) | (score > 1 - SEPARATION)
    if iterations > GLM_MAXIT or extreme.any():
        raise DataError.worded(_separation_message(d, coef, int(extreme.sum()), treatment))
    se = np.sqrt(np.diag(cov))
    z = coef / se
    p = 2 * norm.sf(np.abs(z))
    terms = tuple(
        PropensityTerm(term, float(c), float(s), float(zz), float(pp))
        for term, c, s, zz, pp in zip(d.terms, coef, se, z, p, strict=True)
    )
    model = PropensityModel(
        terms=terms,
        auc=auc(score, d.treated),
        deviance=float(_deviance(d.treated, score, np.ones(len(score)))),
        iterations=iterations,
        references=d.references,
    )
    return model, score


# ----------------------------------------------------------------------------- weights


def balancing_weights(score: FloatArray, treated: FloatArray, estimand: Estimand) -> FloatArray:
    """ATE, ATT or overlap weights from propensities (any array shape; not normalised)."""
    if estimand == "ate":
        out: FloatArray = treated / score + (1 - treated) / (1 - score)
    elif estimand == "att":
        out = treated + (1 - treated) * score / (1 - score)
    else:
        out = treated * (1 - score) + (1 - treated) * score
    return out


def trim_weights(
    weights: FloatArray, treated: FloatArray, estimand: Estimand, quantile: float
) -> tuple[FloatArray, int]:
    """Weights above the ``quantile`` set to it (for ATT the comparison group's only); and how many were changed."""
    eligible = treated == 0 if estimand == "att" else np.ones(len(weights), dtype=bool)
    limit = float(np.quantile(weights[eligible], quantile))
    above = eligible & (weights > limit)
    return np.where(above, limit, weights), int(above.sum())


def check_trim(trim: float | None) -> float | None:
    if trim is None:
        return None
    if not 0.5 <= trim < 1:
        raise DataError.of(BAD_TRIM, trim=str(trim))
    return float(trim)


def effective_sample_size(weights: FloatArray) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2``."""
    total = float(weights.sum())
    squares = float((weights**2).sum())
    return total**2 / squares if squares > 0 else 0.0


def _summary(
    weights: FloatArray, d: Design, estimand: Estimand, trim: float | None, trimmed: int, treatment: str
) -> tuple[WeightSummary, list[Message]]:
    warnings: list[Message] = []
    ess: list[tuple[str, float]] = []
    counts: list[tuple[str, int]] = []
    extremes: list[tuple[str, int]] = []
    for label, flag in ((d.reference, 0.0), (d.treated_label, 1.0)):
        group = weights[d.treated == flag]
        size = effective_sample_size(group)
        n_extreme = int((group > EXTREME_RATIO * group.mean()).sum())
        if size < MIN_ESS:
            raise DataError.of(ALL_EXTREME, group=label, column=treatment, ess=f"{size:.1f}", n=len(group))
        if n_extreme:
            warnings.append(
                Message.of(EXTREME_WEIGHTS, n=n_extreme, group=label, ratio=f"{EXTREME_RATIO:g}", column=treatment)
            )
        if size < LOW_ESS_SHARE * len(group):
            warnings.append(
                Message.of(
                    LOW_ESS,
                    group=label,
                    ess=f"{size:.1f}",
                    n=len(group),
                    share=f"{LOW_ESS_SHARE:.0%}",
                    column=treatment,
                )
            )
        ess.append((label, size))
        counts.append((label, len(group)))
        extremes.append((label, n_extreme))
    summary = WeightSummary(
        estimand=estimand,
        min=float(weights.min()),
        max=float(weights.max()),
        ess=tuple(ess),
        n=tuple(counts),
        n_extreme=tuple(extremes),
        trim=trim,
        trimmed=trimmed,
    )
    return summary, warnings


# ----------------------------------------------------------------------------- balance


def _weighted_means(x: FloatArray, weights: FloatArray) -> FloatArray:
    means: FloatArray = (weights @ x) / weights.sum()
    return means


def standardised_differences(
    x: FloatArray, binary: Sequence[bool], treated: FloatArray, weights: FloatArray | None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """SMD of each column (treated − reference) with the unweighted pooled SD; and the two group means."""
    is_treated = treated == 1
    one = np.ones(len(treated))
    w = one if weights is None else weights
    mean_1 = _weighted_means(x[is_treated], w[is_treated])
    mean_0 = _weighted_means(x[~is_treated], w[~is_treated])
    raw_1 = x[is_treated].mean(axis=0)
    raw_0 = x[~is_treated].mean(axis=0)
    flags = np.asarray(binary, dtype=bool)
    var_1 = np.where(flags, raw_1 * (1 - raw_1), x[is_treated].var(axis=0, ddof=1))
    var_0 = np.where(flags, raw_0 * (1 - raw_0), x[~is_treated].var(axis=0, ddof=1))
    pooled = np.sqrt((var_1 + var_0) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        smd = np.where(pooled > 0, (mean_1 - mean_0) / pooled, 0.0)
    return smd, mean_1, mean_0


def balance_table(d: Design, weights: FloatArray) -> tuple[BalanceRow, ...]:
    before, raw_1, raw_0 = standardised_differences(d.balance_x, d.balance_binary, d.treated, None)
    after, mean_1, mean_0 = standardised_differences(d.balance_x, d.balance_binary, d.treated, weights)
    return tuple(
        BalanceRow(
            covariate=name,
            binary=flag,
            mean_treated=float(raw_1[k]),
            mean_reference=float(raw_0[k]),
            mean_treated_weighted=float(mean_1[k]),
            mean_reference_weighted=float(mean_0[k]),
            smd_unweighted=float(before[k]),
            smd_weighted=float(after[k]),
        )
        for k, (name, flag) in enumerate(zip(d.balance_terms, d.balance_binary, strict=True))
    )


def _overlap(score: FloatArray, d: Design) -> OverlapHistogram:
    edges = np.linspace(0.0, 1.0, OVERLAP_BINS + 1)
    shares = []
    for label, flag in ((d.reference, 0.0), (d.treated_label, 1.0)):
        counts, _ = np.histogram(score[d.treated == flag], bins=edges)
        shares.append((label, tuple(float(c) for c in counts / max(counts.sum(), 1))))
    return OverlapHistogram(edges=tuple(float(e) for e in edges), shares=tuple(shares))


# ----------------------------------------------------------------------------- entry point


def weigh(
    frame: pd.DataFrame,
    treatment: str,
    covariates: Sequence[str],
    *,
    estimand: str = "ate",
    categorical: Iterable[str] = (),
    reference: str | None = None,
    trim: float | None = None,
    required: Sequence[str] = (),
) -> Weighting:
    """Propensity model, balancing weights, their diagnostics and covariate balance for a two-level treatment.

    See the module docstring for every convention. Rows missing the
    treatment, a covariate or a ``required`` column are excluded and counted.
    """
    chosen = check_estimand(estimand)
    quantile = check_trim(trim)
    d = design(frame, treatment, covariates, categorical=categorical, reference=reference, required=required)
    return weigh_design(d, treatment, chosen, quantile)


def weigh_design(d: Design, treatment: str, estimand: Estimand, trim: float | None) -> Weighting:
    """:func:`weigh` on a checked design (``trim`` checked by :func:`check_trim`)."""
    chosen, quantile = estimand, trim
    model, score = fit_propensity(d, treatment)
    weights = balancing_weights(score, d.treated, chosen)
    trimmed = 0
    if quantile is not None:
        weights, trimmed = trim_weights(weights, d.treated, chosen, quantile)
    summary, warnings = _summary(weights, d, chosen, quantile, trimmed, treatment)
    balance = balance_table(d, weights)
    unbalanced = [b.covariate for b in balance if abs(b.smd_weighted) > BALANCE_THRESHOLD]
    if unbalanced:
        warnings.append(
            Message.of(
                UNBALANCED, count=len(unbalanced), threshold=f"{BALANCE_THRESHOLD:g}", terms=", ".join(unbalanced)
            )
        )
    return Weighting(
        treatment=treatment,
        reference=d.reference,
        treated=d.treated_label,
        estimand=chosen,
        n=len(d.treated),
        n_excluded=d.n_excluded,
        excluded_rows=d.excluded_rows,
        propensity=model,
        summary=summary,
        balance=balance,
        overlap=_overlap(score, d),
        warnings=tuple(m.text() for m in warnings),
        wording=tuple(warnings),
        rows=tuple(d.index.tolist()),
        weights=tuple(weights.tolist()),
        is_treated=tuple(bool(t) for t in d.treated),
    )


# ----------------------------------------------------------------------------- E-value


def _e(rr: float) -> float:
    ratio = max(rr, 1 / rr)
    return ratio + math.sqrt(ratio * (ratio - 1))


def hr_to_rr(hr: float) -> float:
    """VanderWeele's conversion of a hazard ratio to a risk ratio for a common outcome."""
    return float((1 - 0.5 ** math.sqrt(hr)) / (1 - 0.5 ** math.sqrt(1 / hr)))


def e_value(hr: float, ci: tuple[float, float], event_share: float) -> EValue:
    """E-value of a hazard ratio and of its CI limit nearer to 1 (1 when the CI contains 1)."""
    if not (hr > 0 and math.isfinite(hr) and all(c > 0 and math.isfinite(c) for c in ci)):
        raise DataError.of(NO_E_VALUE, hr=str(hr), ci_low=str(ci[0]), ci_high=str(ci[1]))
    common = event_share >= COMMON_OUTCOME
    convert = hr_to_rr if common else (lambda value: value)
    rr = convert(hr)
    low, high = ci
    limit = 1.0 if low <= 1 <= high else _e(convert(high if hr < 1 else low))
    method = (
        f"common outcome ({event_share:.0%} with the event): RR = (1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR))"
        if common
        else f"rare outcome ({event_share:.0%} with the event): RR = HR"
    )
    return EValue(point=_e(rr), ci_limit=limit, rr=rr, common_outcome=common, method=method)


def balance_for(
    frame: pd.DataFrame, weighting: Weighting, columns: Sequence[str], *, categorical: Iterable[str] = ()
) -> tuple[BalanceRow, ...]:
    """Balance of any baseline columns under a weighting's weights, not only the propensity model's covariates.

    ``frame`` must hold the patients of ``weighting`` (its index labels). A
    numeric column gives one row; a text column or one named in
    ``categorical`` one row per level (``COLUMN=LEVEL``). Patients without a
    value are left out of that column's row; a column with one value is skipped.
    """
    if not weighting.rows:
        raise DataError.of(NO_ROW_WEIGHTS)
    forced = set(categorical)
    data = frame.loc[list(weighting.rows)]
    weights = np.asarray(weighting.weights, dtype=np.float64)
    treated = np.asarray(weighting.is_treated, dtype=np.float64)
    rows: list[BalanceRow] = []
    for column in columns:
        values = data[column]
        present = values.notna().to_numpy()
        if len(np.unique(treated[present])) < 2:
            continue
        numbers = None if column in forced else _numeric(values[present])
        if numbers is not None:
            names, matrix = [column], numbers[:, None]
        else:
            codes, labels = encode_groups(values[present])
            names = [f"{column}={label}" for label in labels]
            matrix = (codes[:, None] == np.arange(len(labels))[None, :]).astype(np.float64)
        if matrix.shape[0] < 2 or np.ptp(matrix, axis=0).max() == 0:
            continue
        binary = [bool(set(np.unique(matrix[:, k])) <= {0.0, 1.0}) for k in range(matrix.shape[1])]
        before, raw_1, raw_0 = standardised_differences(matrix, binary, treated[present], None)
        after, mean_1, mean_0 = standardised_differences(matrix, binary, treated[present], weights[present])
        rows += [
            BalanceRow(
                name,
                binary[k],
                float(raw_1[k]),
                float(raw_0[k]),
                float(mean_1[k]),
                float(mean_0[k]),
                float(before[k]),
                float(after[k]),
            )
            for k, name in enumerate(names)
        ]
    return tuple(rows)
