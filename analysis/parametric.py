"""Parametric survival models per group, fitted with lifelines (NICE DSU TSD 14 style model choice).

Per group: exponential, Weibull, Gompertz, log-normal, log-logistic and generalised gamma fits
(lifelines' univariate fitters; lifelines ships no univariate Gompertz, so :class:`GompertzFitter`
is a small ``ParametricUnivariateFitter`` subclass defined here). Each fit gives its log-likelihood,
AIC and BIC (the model with the lowest AIC is marked chosen: :data:`SELECTION_RULE`), the median,
survival at requested times, the fitted survival, hazard and log-cumulative hazard on a time grid, the
restricted mean survival time (RMST) to a horizon and the extrapolated mean survival, both with delta-method
CIs through the fit's variance matrix (never lifelines' own RMST variance, which is known to be wrong).

Beside the fits: the kernel-smoothed hazard of lifelines' Nelson–Aalen estimator (Epanechnikov kernel,
bandwidth :func:`default_bandwidth` unless given) and the observed log-cumulative hazard (log H against
log t; Weibull fits are straight lines there, parallel lines between groups mean proportional hazards).

A model that cannot be fitted (no events, all events at one time, no convergence, a non-finite
likelihood) is returned with ``fitted=False`` and the reason; the other models are still returned.
lifelines' warnings are caught and kept in the fit's ``notes``.

Parameterisation against R's ``survreg`` (intercept-only; survreg models log T = mu + scale * W):
exponential ``lambda_ = exp(mu)`` (scale 1); Weibull ``lambda_ = exp(mu)``, ``rho_ = 1/scale``;
log-normal ``mu_ = mu``, ``sigma_ = scale``; log-logistic ``alpha_ = exp(mu)``, ``beta_ = 1/scale``.
:attr:`ModelFit.survreg` gives (mu, scale) in survreg's terms for those four.
"""

from __future__ import annotations

import itertools
import math
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import integrate, stats

from analysis.cox import exp_or_inf
from analysis.errors import DataError, EmptyGroupError
from analysis.km import encode_groups
from analysis.messages import Message
from analysis.survdata import survival_data

_FITTING = threading.RLock()
"""Held by every lifelines fit of the process (:func:`lifelines_fit`)."""


@contextmanager
def lifelines_fit() -> Iterator[list[warnings.WarningMessage]]:
    """One lifelines fit at a time in this process, with its warnings recorded (the list it yields).

    lifelines' fitters share state between instances: log-logistic AFT fits run in three threads at once failed
    16 times in 18 ("operands could not be broadcast together with shapes (386,) (2,)"), which a threaded web
    worker serving two users would show as "not fitted"; and ``warnings.catch_warnings`` is process-wide, so one
    fit's warnings could land in another's list. A fit takes well under a second; waiting is the price.
    """
    with _FITTING, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


FloatArray = npt.NDArray[np.float64]

MODELS: tuple[str, ...] = ("exponential", "weibull", "gompertz", "lognormal", "loglogistic", "gengamma")
MODEL_LABELS: dict[str, str] = {
    "exponential": "Exponential",
    "weibull": "Weibull",
    "gompertz": "Gompertz",
    "lognormal": "Log-normal",
    "loglogistic": "Log-logistic",
    "gengamma": "Generalised gamma",
}
SELECTION_RULE = (
    "The chosen model has the lowest AIC (AIC = 2k − 2 log L, k parameters); BIC = k log(n) − 2 log L with n "
    "patients is shown beside it. A difference in AIC under 2 is not a meaningful preference: check the curves "
    "against the Kaplan–Meier and the clinical plausibility of the tail (NICE DSU TSD 14)."
)
EXTRAPOLATION_STATEMENT = (
    "Beyond the end of follow-up the curves, and the mean survival computed from them, are not data but the "
    "assumption that the chosen model's shape continues; different models that fit the observed data equally well "
    "can give very different means."
)
BANDWIDTH_RULE = (
    "one tenth of the span of the event times, to two significant figures; the smoothed hazard is shown up to one "
    "bandwidth before the last event time, where the kernel runs out of data"
)
CI_METHOD = (
    "delta method through the fit's variance matrix (numerical gradient), on the log scale; not lifelines' RMST "
    "variance, which is known to be wrong"
)
AFT_MODELS: tuple[str, ...] = ("weibull", "lognormal", "loglogistic")
_GRID_POINTS = 161
# Tighter than lifelines' defaults (SLSQP ftol 1e-6 leaves the log-logistic AFT 1e-3 away from survreg).
_TIGHT: dict[str, dict[str, float]] = {
    "SLSQP": {"ftol": 1e-12, "maxiter": 1000},
    "BFGS": {"gtol": 1e-9, "maxiter": 1000},
}
_RESCALED = frozenset({"gompertz"})
"""Models fitted in units of the median time (their parameters are rates, see :func:`_fit_one`)."""
_INFINITE = "infinite under this model (its survival levels off or its tail is too heavy)"
_Z = float(stats.norm.ppf(0.975))


def _gompertz_class() -> Any:
    """lifelines ships no univariate Gompertz: h(t) = rate * exp(shape * t), H(t) = rate/shape * (exp(shape t) - 1).

    ``shape`` < 0 is a decreasing hazard whose survival levels off at exp(rate/shape) (a cured fraction, so an
    infinite mean). Defined lazily so that importing this module does not import lifelines.
    """
    import autograd.numpy as anp  # type: ignore[import-untyped]
    from lifelines.fitters import ParametricUnivariateFitter

    class GompertzFitter(ParametricUnivariateFitter):  # type: ignore[misc]
        _fitted_parameter_names: ClassVar[list[str]] = ["rate_", "shape_"]
        _bounds: ClassVar[list[tuple[float | None, float | None]]] = [(0.0, None), (None, None)]

        def _cumulative_hazard(self, params: Any, times: Any) -> Any:
            rate, shape = params
            return rate / shape * (anp.exp(shape * times) - 1.0)

    return GompertzFitter


def _fitter(model: str) -> Any:
    import lifelines

    classes: dict[str, Any] = {
        "exponential": lifelines.ExponentialFitter,
        "weibull": lifelines.WeibullFitter,
        "gompertz": _gompertz_class(),
        "lognormal": lifelines.LogNormalFitter,
        "loglogistic": lifelines.LogLogisticFitter,
        "gengamma": lifelines.GeneralizedGammaFitter,
    }
    return classes[model]()


def check_models(models: Iterable[str]) -> tuple[str, ...]:
    """The requested models in the canonical order; an unknown name is an error listing the known ones."""
    wanted = [m.strip().lower() for m in models if m.strip()]
    unknown = [m for m in wanted if m not in MODELS]
    if unknown:
        raise DataError(f"unknown parametric model(s) {', '.join(map(repr, unknown))}; known: {', '.join(MODELS)}")
    if not wanted:
        raise DataError(f"no parametric model requested; known: {', '.join(MODELS)}")
    return tuple(m for m in MODELS if m in wanted)


@dataclass(frozen=True)
class Estimate:
    """A positive quantity with its 95% CI (None where not estimable, with the reason)."""

    value: float | None
    ci: tuple[float | None, float | None]
    reason: str | None = None


@dataclass(frozen=True)
class Parameter:
    name: str
    value: float
    se: float | None


@dataclass(frozen=True)
class ModelFit:
    """One parametric model in one group; ``fitted=False`` with ``reason`` when it could not be fitted."""

    model: str
    label: str
    fitted: bool
    reason: str | None = None
    n_params: int = 0
    log_likelihood: float | None = None
    aic: float | None = None
    bic: float | None = None
    chosen: bool = False
    parameters: tuple[Parameter, ...] = ()
    survreg: tuple[float, float] | None = None
    median: float | None = None
    survival_at: tuple[tuple[float, float], ...] = ()
    survival: tuple[float, ...] = ()
    hazard: tuple[float, ...] = ()
    cumulative_hazard: tuple[float, ...] = ()
    rmst: Estimate | None = None
    mean: Estimate | None = None
    notes: tuple[str, ...] = ()
    why: Message | None = None
    """``reason`` as a template and parameters (:data:`PARAMETRIC_TEMPLATES`), for the app to word."""
    wording: tuple[Message, ...] = ()
    """``notes`` likewise."""


@dataclass(frozen=True)
class GroupFits:
    """The fits of one group, its observed hazard and log-cumulative hazard, on a shared time grid."""

    group: str
    n: int
    events: int
    max_time: float
    fits: tuple[ModelFit, ...]
    chosen: str | None
    grid: tuple[float, ...]
    observed_times: tuple[float, ...]
    observed_cumulative_hazard: tuple[float, ...]
    smoothed_times: tuple[float, ...]
    smoothed_hazard: tuple[float, ...]
    notes: tuple[str, ...] = ()
    wording: tuple[Message, ...] = ()
    """``notes`` as templates and parameters (:data:`PARAMETRIC_TEMPLATES`), for the app to word."""

    def fit(self, model: str) -> ModelFit | None:
        return next((f for f in self.fits if f.model == model), None)


@dataclass(frozen=True)
class ParametricResult:
    time_col: str
    event_col: str
    group_col: str | None
    models: tuple[str, ...]
    groups: tuple[GroupFits, ...]
    horizon: float
    bandwidth: float
    times: tuple[float, ...]
    n: int
    n_excluded: int
    selection_rule: str = SELECTION_RULE
    extrapolation: str = EXTRAPOLATION_STATEMENT
    bandwidth_rule: str = BANDWIDTH_RULE
    ci_method: str = CI_METHOD

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of ``ppx parametric --json`` (keys may be added, never renamed)."""

        def estimate(e: Estimate | None) -> dict[str, Any] | None:
            return None if e is None else {"value": e.value, "ci": list(e.ci), "reason": e.reason}

        def fit(f: ModelFit) -> dict[str, Any]:
            return {
                "model": f.model,
                "label": f.label,
                "fitted": f.fitted,
                "reason": f.reason,
                "chosen": f.chosen,
                "n_params": f.n_params,
                "log_likelihood": f.log_likelihood,
                "aic": f.aic,
                "bic": f.bic,
                "parameters": [{"name": p.name, "value": p.value, "se": p.se} for p in f.parameters],
                "survreg": None if f.survreg is None else {"intercept": f.survreg[0], "scale": f.survreg[1]},
                "median": f.median,
                "survival_at": [{"time": t, "survival": s} for t, s in f.survival_at],
                "rmst": estimate(f.rmst),
                "mean": estimate(f.mean),
                "notes": list(f.notes),
            }

        return {
            "time": self.time_col,
            "event": self.event_col,
            "by": self.group_col,
            "n": self.n,
            "n_excluded": self.n_excluded,
            "models": list(self.models),
            "horizon": self.horizon,
            "bandwidth": self.bandwidth,
            "selection_rule": self.selection_rule,
            "ci_method": self.ci_method,
            "extrapolation": self.extrapolation,
            "groups": [
                {
                    "group": g.group,
                    "n": g.n,
                    "events": g.events,
                    "max_time": g.max_time,
                    "chosen": g.chosen,
                    "fits": [fit(f) for f in g.fits],
                    "notes": list(g.notes),
                }
                for g in self.groups
            ],
        }


# ----------------------------------------------------------------------------- helpers


def default_bandwidth(event_times: FloatArray) -> float:
    """:data:`BANDWIDTH_RULE`; 1.0 when there are fewer than two distinct event times."""
    distinct = np.unique(event_times)
    if len(distinct) < 2:
        return 1.0
    span = float(distinct[-1] - distinct[0]) / 10.0
    return float(f"{span:.2g}")


SEPARATION_REASON = (
    "did not converge (the coefficient of {term} runs off to infinity: its time ratio's CI reaches 0 or infinity, "
    "as when a covariate's level has no events)"
)
"""Why an AFT model with a separating covariate is not shown as fitted."""
TOLERANCE_FALLBACK_NOTE = "fitted at lifelines' default tolerance (the tight one stopped short: precision loss)"
"""An AFT model's note when BFGS stopped short of the tight tolerance and lifelines' own was used."""
_NOT_ABOUT_THE_FIT = (DeprecationWarning, PendingDeprecationWarning, FutureWarning, ImportWarning, ResourceWarning)
"""Warnings about code, not about a fit (a library's deprecation raised while the fit ran): never a fit's note."""


ONE_EVENT_TIME = "all {events} events are at one time ({time}), so the shape cannot be estimated"
NOT_CONVERGED = "did not converge"
LIBRARY_FAILURE = "did not converge ({kind}: {detail})"
"""A fitter's exception: ``kind`` its class, ``detail`` the first sentence of its text (the library's English:
a translation names the class only)."""
LIBRARY_WARNING = "{kind}: {detail}"
"""A warning raised while a model was fitted, likewise."""
LOGLIK_NOT_FINITE = "did not converge (log-likelihood not finite)"
SE_NOT_FINITE = "did not converge (the standard errors are not finite: a coefficient runs off to infinity)"
AFT_TEMPLATES: tuple[str, ...] = (
    ONE_EVENT_TIME, NOT_CONVERGED, LIBRARY_FAILURE, LIBRARY_WARNING, LOGLIK_NOT_FINITE, SE_NOT_FINITE,
    SEPARATION_REASON, TOLERANCE_FALLBACK_NOTE,
)  # fmt: skip
"""Every template an AFT model's reason and notes are worded with (:attr:`AFTModel.why`, ``.wording``)."""
NO_EVENTS = "no events in this group, so the likelihood has no maximum"
FIT_NOT_FINITE = "the fit did not converge to finite parameters (log-likelihood not finite)"
VARIANCE_NOT_FINITE = "the variance matrix is not finite or not positive: CIs are not shown"
NO_SMOOTHED_HAZARD = "fewer than two distinct event times: no smoothed hazard"
HORIZON_BEYOND = "the horizon {horizon} is beyond this group's follow-up ({follow_up}): the RMST is partly extrapolated"
ESTIMATE_REASONS: tuple[str, ...] = (
    _INFINITE, "not estimable under this model", "the fit's variance matrix is not available",
    "the delta-method variance is not finite",
)  # fmt: skip
"""Why an RMST or mean is not estimable (:attr:`Estimate.reason`, each a message id without parameters)."""
PARAMETRIC_TEMPLATES: tuple[str, ...] = (
    ONE_EVENT_TIME, LIBRARY_FAILURE, LIBRARY_WARNING, NO_EVENTS, FIT_NOT_FINITE, VARIANCE_NOT_FINITE,
    NO_SMOOTHED_HAZARD, HORIZON_BEYOND, *ESTIMATE_REASONS,
)  # fmt: skip
"""Every template the Survival page's parametric fits word their reasons and notes with (:attr:`ModelFit.why`,
``ModelFit.wording``, ``GroupFits.wording``, :attr:`Estimate.reason`)."""


def _warned(messages: Iterable[warnings.WarningMessage]) -> tuple[Message, ...]:
    """The warnings raised while a model was fitted, once each, as its notes (templates and parameters)."""
    seen: dict[Message, None] = {}
    for m in messages:
        if isinstance(m.message, _NOT_ABOUT_THE_FIT):
            continue
        text = " ".join(str(m.message).split())
        seen[Message.of(LIBRARY_WARNING, kind=type(m.message).__name__, detail=text[:300])] = None
    return tuple(seen)


def _failure_message(exc: BaseException) -> Message:
    """'did not converge (lifelines: Fitting did not converge.)': the first sentence of the fitter's message."""
    text = " ".join(str(exc).split())
    first = text.split(". ")[0].rstrip(".")[:160]
    return Message.of(LIBRARY_FAILURE, kind=type(exc).__name__, detail=first)


def _gradient(func: Callable[[FloatArray], float], params: FloatArray) -> FloatArray:
    grad = np.empty(len(params))
    for i in range(len(params)):
        step = 1e-5 * max(1.0, abs(float(params[i])))
        up, down = params.copy(), params.copy()
        up[i] += step
        down[i] -= step
        grad[i] = (func(up) - func(down)) / (2 * step)
    return grad


def _delta(func: Callable[[FloatArray], float], params: FloatArray, cov: FloatArray | None) -> Estimate:
    value = func(params)
    if math.isinf(value):
        return Estimate(None, (None, None), _INFINITE)
    if not math.isfinite(value) or value <= 0:
        return Estimate(None, (None, None), "not estimable under this model")
    if cov is None or not np.all(np.isfinite(cov)):
        return Estimate(value, (None, None), "the fit's variance matrix is not available")
    grad = _gradient(func, params)
    var = float(grad @ cov @ grad)
    if not math.isfinite(var) or var < 0:
        return Estimate(value, (None, None), "the delta-method variance is not finite")
    se_log = math.sqrt(var) / value
    return Estimate(value, (value * math.exp(-_Z * se_log), value * math.exp(_Z * se_log)))


def _survival_fn(fitter: Any, params: FloatArray) -> Callable[[FloatArray], FloatArray]:
    def survival(t: FloatArray) -> FloatArray:
        with np.errstate(all="ignore"):
            return np.asarray(np.exp(-fitter._cumulative_hazard(params, np.asarray(t, dtype=np.float64))))

    return survival


def _rmst(fitter: Any, tau: float) -> Callable[[FloatArray], float]:
    def rmst(params: FloatArray) -> float:
        survival = _survival_fn(fitter, params)
        value, _ = integrate.quad(lambda t: float(survival(np.array([t]))[0]), 0.0, tau, limit=200)
        return float(value)

    return rmst


def _mean(model: str, fitter: Any, max_time: float) -> Callable[[FloatArray], float]:
    """Mean survival: closed forms where they exist, else the integral of S to infinity (inf on a plateau)."""

    def mean(params: FloatArray) -> float:
        if model == "exponential":
            return float(params[0])
        if model == "weibull":
            lam, rho = params
            return float(lam * math.gamma(1.0 + 1.0 / rho))
        if model == "lognormal":
            mu, sigma = params
            return float(math.exp(mu + sigma**2 / 2.0))
        if model == "loglogistic":
            alpha, beta = params
            return math.inf if beta <= 1 else float(alpha * (math.pi / beta) / math.sin(math.pi / beta))
        if model == "gompertz" and params[1] <= 0:
            return math.inf
        survival = _survival_fn(fitter, params)
        edges = max_time * np.array([0.0, 1.0, 10.0, 100.0, 1e3, 1e4, 1e5])
        if float(survival(edges[-1:])[0]) > 1e-9:
            return math.inf
        total = 0.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for low, high in itertools.pairwise(edges):
                part, _ = integrate.quad(lambda t: float(survival(np.array([t]))[0]), low, high, limit=200)
                total += part
        return float(total)

    return mean


def _not_fitted(model: str, why: Message, wording: tuple[Message, ...] = ()) -> ModelFit:
    return ModelFit(model=model, label=MODEL_LABELS[model], fitted=False, reason=why.text(),
                    notes=tuple(m.text() for m in wording), why=why, wording=wording)  # fmt: skip


def _initial_point(model: str, time: FloatArray, event: FloatArray) -> FloatArray | None:
    if model == "gompertz":
        rate = float(event.sum() / time.sum())
        return np.array([rate, 0.1 / float(np.mean(time))])
    return None


def _fit_one(
    model: str,
    time: FloatArray,
    event: FloatArray,
    grid: FloatArray,
    times: FloatArray,
    horizon: float,
) -> ModelFit:
    fitter = _fitter(model)
    # Gompertz's rate and shape are both per unit of time and badly scaled against each other (about 1e-3 in days):
    # lifelines' optimiser stops 1e-2 short of the maximum. It is fitted in units of the median time and converted
    # back (rate and shape divide by the unit, log L loses events * log(unit)).
    unit = float(np.median(time)) if model in _RESCALED else 1.0
    scaled = time / unit
    with lifelines_fit() as caught:
        try:
            fitter.fit(scaled, event, initial_point=_initial_point(model, scaled, event))
        except Exception as exc:  # lifelines raises ConvergenceError, ValueError, LinAlgError...
            return _not_fitted(model, _failure_message(exc), _warned(caught))
    wording = _warned(caught)
    params = fitter.params_.to_numpy(dtype=np.float64) / unit
    loglik = float(fitter.log_likelihood_) - float(event.sum()) * math.log(unit)
    if not math.isfinite(loglik) or not np.all(np.isfinite(params)):
        return _not_fitted(model, Message(FIT_NOT_FINITE), wording)
    try:
        cov: FloatArray | None = fitter.variance_matrix_.to_numpy(dtype=np.float64) / unit**2
    except Exception:  # a singular Hessian: the estimates stand, their CIs do not
        cov = None
    if cov is not None and (not np.all(np.isfinite(cov)) or np.any(np.diag(cov) < 0)):
        wording += (Message(VARIANCE_NOT_FINITE),)
        cov = None
    names = list(fitter._fitted_parameter_names)
    parameters = tuple(
        Parameter(name.rstrip("_"), float(v), None if cov is None else math.sqrt(float(cov[i, i])))
        for i, (name, v) in enumerate(zip(names, params, strict=True))
    )
    survival = _survival_fn(fitter, params)
    with np.errstate(all="ignore"):
        cumhaz = np.asarray(fitter._cumulative_hazard(params, grid), dtype=np.float64)
        hazard = np.asarray(fitter._hazard(params, grid), dtype=np.float64)
    median = _median(survival, time)
    return ModelFit(
        model=model,
        label=MODEL_LABELS[model],
        fitted=True,
        n_params=len(params),
        log_likelihood=loglik,
        aic=2 * len(params) - 2 * loglik,
        bic=len(params) * math.log(len(time)) - 2 * loglik,
        parameters=parameters,
        survreg=_survreg(model, params),
        median=median,
        survival_at=tuple((float(t), float(s)) for t, s in zip(times, survival(times), strict=True)),
        survival=tuple(float(s) for s in survival(grid)),
        hazard=tuple(float(h) for h in hazard),
        cumulative_hazard=tuple(float(h) for h in cumhaz),
        rmst=_delta(_rmst(fitter, horizon), params, cov),
        mean=_delta(_mean(model, fitter, float(time.max())), params, cov),
        notes=tuple(m.text() for m in wording),
        wording=wording,
    )


def _median(survival: Callable[[FloatArray], FloatArray], time: FloatArray) -> float | None:
    from scipy.optimize import brentq

    high = float(time.max())
    for _ in range(60):
        if float(survival(np.array([high]))[0]) < 0.5:
            break
        high *= 2
    else:
        return None
    return float(brentq(lambda t: float(survival(np.array([t]))[0]) - 0.5, 0.0, high, xtol=1e-12, rtol=1e-12))


def _survreg(model: str, params: FloatArray) -> tuple[float, float] | None:
    """(intercept, scale) as R's survreg reports them (see the module docstring)."""
    if model == "exponential":
        return math.log(params[0]), 1.0
    if model in ("weibull", "loglogistic"):
        return math.log(params[0]), 1.0 / float(params[1])
    if model == "lognormal":
        return float(params[0]), float(params[1])
    return None


def _observed(
    time: FloatArray, event: FloatArray, bandwidth: float
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Nelson–Aalen cumulative hazard at the event times and its kernel-smoothed hazard."""
    from lifelines import NelsonAalenFitter

    with lifelines_fit():  # its warnings are recorded and dropped
        naf = NelsonAalenFitter().fit(time, event)
        cumulative = naf.cumulative_hazard_.iloc[:, 0]
        at_events = np.unique(time[event == 1])
        ch = cumulative.reindex(at_events).to_numpy(dtype=np.float64)
        if len(at_events) >= 2:
            smooth = naf.smoothed_hazard_(bandwidth).iloc[:, 0]
            s_times = smooth.index.to_numpy(dtype=np.float64)
            s_values = smooth.to_numpy(dtype=np.float64)
            inside = s_times <= at_events[-1] - bandwidth  # the kernel runs out of data in the last bandwidth
            if inside.sum() >= 2:
                s_times, s_values = s_times[inside], s_values[inside]
        else:
            s_times = s_values = np.array([], dtype=np.float64)
    return at_events, ch, s_times, s_values


def _fit_group(
    label: str,
    time: FloatArray,
    event: FloatArray,
    models: Sequence[str],
    grid: FloatArray,
    times: FloatArray,
    horizon: float,
    bandwidth: float,
) -> GroupFits:
    events = int(event.sum())
    distinct = np.unique(time[event == 1])
    notes: list[Message] = []
    fits: list[ModelFit] = []
    for model in models:
        if events == 0:
            fits.append(_not_fitted(model, Message(NO_EVENTS)))
        elif len(distinct) == 1 and model != "exponential":
            fits.append(_not_fitted(model, Message.of(ONE_EVENT_TIME, events=events, time=f"{distinct[0]:g}")))
        else:
            fits.append(_fit_one(model, time, event, grid, times, horizon))
    fitted = [f for f in fits if f.fitted and f.aic is not None]
    chosen = min(fitted, key=lambda f: float(f.aic or 0.0)).model if fitted else None
    fits = [ModelFit(**{**f.__dict__, "chosen": f.model == chosen}) for f in fits]
    obs_t, obs_h, s_t, s_h = _observed(time, event, bandwidth)
    if len(distinct) < 2:
        notes.append(Message(NO_SMOOTHED_HAZARD))
    if horizon > float(time.max()):
        notes.append(Message.of(HORIZON_BEYOND, horizon=f"{horizon:g}", follow_up=f"{time.max():g}"))
    return GroupFits(
        group=label,
        n=len(time),
        events=events,
        max_time=float(time.max()),
        fits=tuple(fits),
        chosen=chosen,
        grid=tuple(float(t) for t in grid),
        observed_times=tuple(float(t) for t in obs_t),
        observed_cumulative_hazard=tuple(float(h) for h in obs_h),
        smoothed_times=tuple(float(t) for t in s_t),
        smoothed_hazard=tuple(float(h) for h in s_h),
        notes=tuple(m.text() for m in notes),
        wording=tuple(notes),
    )


def parametric_fits(
    frame: pd.DataFrame,
    time_col: str,
    event_col: str,
    group_col: str | None = None,
    *,
    models: Iterable[str] = MODELS,
    horizon: float | None = None,
    times: Iterable[float] = (),
    bandwidth: float | None = None,
    extrapolate_to: float | None = None,
    group_order: Sequence[str] | None = None,
) -> ParametricResult:
    """Fit each model to each group (one group "all" without ``group_col``).

    ``horizon`` is the RMST horizon (default: the shortest group's largest time); ``extrapolate_to`` the end of
    the curves' grid (default twice the largest time); ``bandwidth`` the smoothing bandwidth of the hazard
    (default :func:`default_bandwidth` of all event times, shared by the groups).
    """
    chosen_models = check_models(models)
    data = survival_data(frame, time_col, event_col, extra=[group_col] if group_col else ())
    clean = data.frame
    if clean.empty:
        raise EmptyGroupError(f"no patients have {time_col!r} and {event_col!r} recorded")
    time_all = clean["time"].to_numpy(dtype=np.float64)
    event_all = clean["event"].to_numpy(dtype=np.float64)
    if (time_all <= 0).any():
        bad = clean.index[time_all <= 0][:3]
        raise DataError(
            f"column {time_col!r}: parametric models need times > 0; zero times at rows "
            + ", ".join(str(int(i) + 2) if isinstance(i, (int, np.integer)) else str(i) for i in bad)
        )
    if group_col:
        codes, labels = encode_groups(clean[group_col], group_order)
    else:
        codes, labels = np.zeros(len(clean), dtype=np.intp), ("all",)
    maxima = [float(time_all[codes == k].max()) for k in range(len(labels))]
    tau = float(horizon) if horizon is not None else min(maxima)
    if not math.isfinite(tau) or tau <= 0:
        raise DataError(f"the horizon must be a positive number; got {horizon}")
    end = float(extrapolate_to) if extrapolate_to is not None else 2.0 * max(maxima)
    if not math.isfinite(end) or end <= 0:
        raise DataError(f"the end of the extrapolation must be a positive number; got {extrapolate_to}")
    end = max(end, tau)
    bw = default_bandwidth(time_all[event_all == 1]) if bandwidth is None else float(bandwidth)
    if not math.isfinite(bw) or bw <= 0:
        raise DataError(f"the hazard bandwidth must be a positive number; got {bandwidth}")
    requested = np.asarray(list(times), dtype=np.float64)
    if np.any(~np.isfinite(requested)) or np.any(requested < 0):
        raise DataError(f"requested times must be numbers >= 0; got {requested.tolist()}")
    grid = np.linspace(end / (_GRID_POINTS - 1) / 4, end, _GRID_POINTS)
    groups = tuple(
        _fit_group(label, time_all[codes == k], event_all[codes == k], chosen_models, grid, requested, tau, bw)
        for k, label in enumerate(labels)
    )
    return ParametricResult(
        time_col=time_col,
        event_col=event_col,
        group_col=group_col,
        models=chosen_models,
        groups=groups,
        horizon=tau,
        bandwidth=bw,
        times=tuple(float(t) for t in requested),
        n=len(clean),
        n_excluded=data.n_excluded,
    )


# ----------------------------------------------------------------------------- AFT regression


@dataclass(frozen=True)
class AFTTerm:
    """One coefficient; ``covariate``, ``level`` and ``reference`` as the Cox model's term of the same design."""

    term: str
    coef: float
    se: float
    time_ratio: float
    ci: tuple[float, float]
    p: float
    covariate: str = ""
    level: str | None = None
    reference: str | None = None


@dataclass(frozen=True)
class AFTModel:
    model: str
    label: str
    fitted: bool
    reason: str | None = None
    intercept: float | None = None
    scale: float | None = None
    log_likelihood: float | None = None
    aic: float | None = None
    terms: tuple[AFTTerm, ...] = ()
    notes: tuple[str, ...] = ()
    why: Message | None = None
    """``reason`` as a template and parameters (:data:`AFT_TEMPLATES`), for the app to word."""
    wording: tuple[Message, ...] = ()
    """``notes`` likewise."""

    @classmethod
    def not_fitted(cls, model: str, why: Message, wording: tuple[Message, ...] = ()) -> AFTModel:
        return cls(model, MODEL_LABELS[model], False, why.text(), notes=tuple(m.text() for m in wording), why=why,
                   wording=wording)  # fmt: skip


@dataclass(frozen=True)
class AFTResult:
    """Accelerated-failure-time regressions: a time ratio > 1 means longer survival (the opposite of an HR)."""

    covariates: tuple[str, ...]
    models: tuple[AFTModel, ...]
    n: int
    n_events: int
    n_excluded: int
    warnings: tuple[str, ...] = ()
    reading: str = (
        "A time ratio above 1 means longer survival (the opposite direction to a hazard ratio). If the Weibull time "
        "ratios agree with exp(−coef × scale) of the Cox model and the log-normal/log-logistic ones point the same "
        "way, the proportional-hazards story holds up; a large disagreement is worth a look at cox.zph."
    )

    def to_dict(self) -> dict[str, Any]:
        return {
            "covariates": list(self.covariates),
            "n": self.n,
            "n_events": self.n_events,
            "n_excluded": self.n_excluded,
            "warnings": list(self.warnings),
            "models": [
                {
                    "model": m.model,
                    "label": m.label,
                    "fitted": m.fitted,
                    "reason": m.reason,
                    "intercept": m.intercept,
                    "scale": m.scale,
                    "log_likelihood": m.log_likelihood,
                    "aic": m.aic,
                    "terms": [
                        {
                            "term": t.term,
                            "coef": t.coef,
                            "se": t.se,
                            "time_ratio": t.time_ratio,
                            "ci": list(t.ci),
                            "p": t.p,
                        }
                        for t in m.terms
                    ],
                    "notes": list(m.notes),
                }
                for m in self.models
            ],
        }


@dataclass(frozen=True)
class AFTReading:
    """One term's plain-language check: the direction of its time ratios against the Cox hazard ratio.

    ``direction``: ``longer`` (every fitted model's time ratio > 1), ``shorter`` (every one < 1), ``mixed``, or
    ``none`` (no model fitted). ``agreement``: ``consistent`` (longer with HR < 1, shorter with HR > 1),
    ``opposite``, ``mixed`` (the AFT models disagree) or ``no_cox`` (no Cox estimate for the term).
    """

    term: str
    direction: str
    low: float | None
    high: float | None
    hazard_ratio: float | None
    agreement: str


def aft_readings(result: AFTResult, hazard_ratios: Mapping[str, float]) -> tuple[AFTReading, ...]:
    """Per term of the fitted AFT models, whether they agree with each other and with the Cox HR (by term name)."""
    fitted = [m for m in result.models if m.fitted]
    names = list(dict.fromkeys(t.term for m in result.models for t in m.terms))
    out = []
    for name in names:
        ratios = [t.time_ratio for m in fitted for t in m.terms if t.term == name and math.isfinite(t.time_ratio)]
        if not ratios:
            direction = "none"
        elif all(r > 1 for r in ratios):
            direction = "longer"
        elif all(r < 1 for r in ratios):
            direction = "shorter"
        else:
            direction = "mixed"
        hr = hazard_ratios.get(name)
        hr = hr if hr is not None and math.isfinite(hr) and hr > 0 else None
        if direction in ("none", "mixed"):
            agreement = "mixed" if direction == "mixed" else "no_cox"
        elif hr is None:
            agreement = "no_cox"
        else:
            agreement = "consistent" if (direction == "longer") == (hr < 1) else "opposite"
        out.append(
            AFTReading(name, direction, min(ratios) if ratios else None, max(ratios) if ratios else None, hr, agreement)
        )
    return tuple(out)


_AFT_PARAMS: dict[str, tuple[str, str, int]] = {
    # model: (location parameter, ancillary parameter, sign of its log giving log(scale))
    "weibull": ("lambda_", "rho_", -1),  # rho = 1/scale
    "lognormal": ("mu_", "sigma_", 1),  # log sigma = log scale
    "loglogistic": ("alpha_", "beta_", -1),  # beta = 1/scale
}


def _aft_fitter(model: str) -> Any:
    import lifelines

    return {
        "weibull": lifelines.WeibullAFTFitter,
        "lognormal": lifelines.LogNormalAFTFitter,
        "loglogistic": lifelines.LogLogisticAFTFitter,
    }[model]()


def aft_regression(
    frame: pd.DataFrame,
    time_col: str,
    event_col: str,
    covariates: Sequence[str],
    *,
    categorical: Sequence[str] = (),
    reference: Mapping[str, str] | None = None,
    models: Iterable[str] = AFT_MODELS,
) -> AFTResult:
    """Weibull, log-normal and log-logistic AFT models (lifelines) on the Cox design of ``covariates``.

    Coefficients and scale are those of R's ``survreg(Surv(time, event) ~ ..., dist=)``: lifelines'
    ancillary intercept is log(1/scale) (Weibull ``rho_``, log-logistic ``beta_``) or log(scale)
    (log-normal ``sigma_``).
    """
    from analysis.cox_design import build_design

    wanted = [m for m in AFT_MODELS if m in {x.strip().lower() for x in models}]
    design = build_design(
        frame,
        time_col,
        event_col,
        covariates,
        categorical=categorical,
        reference=reference,
        strata=None,
        start_col=None,
    )
    if (design.time <= 0).any():
        raise DataError(f"column {time_col!r}: parametric models need times > 0")
    names = [f"x{i}" for i in range(design.x.shape[1])]
    data = pd.DataFrame(design.x, columns=names)
    data["_T"], data["_E"] = design.time, design.event
    out: list[AFTModel] = []
    distinct = np.unique(design.time[design.event == 1])
    for model in wanted:
        if len(distinct) == 1:
            events = int(design.event.sum())
            why = Message.of(ONE_EVENT_TIME, events=events, time=f"{distinct[0]:g}")
            out.append(AFTModel.not_fitted(model, why))
            continue
        location, ancillary, sign = _AFT_PARAMS[model]
        fitter, failure_exc, fallback = None, None, False
        with lifelines_fit() as caught:
            # The tight tolerance first (survreg's answer to 1e-4); BFGS can stop short of it with "precision loss"
            # although the fit is there, so lifelines' own tolerance is the fallback, said in the notes.
            for tight in (True, False):
                candidate = _aft_fitter(model)
                options = _TIGHT.get(candidate._scipy_fit_method, {}) if tight else {}
                try:
                    candidate.fit(data, "_T", "_E", fit_options=options)
                except Exception as exc:
                    failure_exc = exc
                    continue
                fitter, fallback = candidate, not tight
                break
        wording = _warned(caught)
        if fitter is None:
            why = _failure_message(failure_exc) if failure_exc is not None else Message(NOT_CONVERGED)
            out.append(AFTModel.not_fitted(model, why, wording))
            continue
        if fallback:
            wording += (Message(TOLERANCE_FALLBACK_NOTE),)
        params = fitter.params_
        se = fitter.standard_errors_
        terms = []
        for name, column in zip(names, design.columns, strict=True):
            coef, s = float(params[(location, name)]), float(se[(location, name)])
            z = coef / s if s > 0 else math.nan
            terms.append(
                AFTTerm(
                    term=column.term,
                    coef=coef,
                    se=s,
                    time_ratio=exp_or_inf(coef),
                    ci=(exp_or_inf(coef - _Z * s), exp_or_inf(coef + _Z * s)),
                    p=float(2 * stats.norm.sf(abs(z))) if math.isfinite(z) else math.nan,
                    covariate=column.covariate,
                    level=column.level,
                    reference=column.reference,
                )
            )
        loglik = float(fitter.log_likelihood_)
        failure: Message | None = None
        if not math.isfinite(loglik):
            failure = Message(LOGLIK_NOT_FINITE)
        elif not all(math.isfinite(t.se) and t.se > 0 for t in terms):
            failure = Message(SE_NOT_FINITE)
        elif runaway := [t.term for t in terms if not (t.ci[0] > 0 and math.isfinite(t.ci[1]))]:
            failure = Message.of(SEPARATION_REASON, term=runaway[0])
        out.append(
            AFTModel(
                model=model,
                label=MODEL_LABELS[model],
                fitted=failure is None,
                reason=failure.text() if failure is not None else None,
                intercept=float(params[(location, "Intercept")]),
                scale=math.exp(sign * float(params[(ancillary, "Intercept")])),
                log_likelihood=loglik,
                aic=float(fitter.AIC_),
                terms=tuple(terms),
                notes=tuple(m.text() for m in wording),
                why=failure,
                wording=wording,
            )
        )
    return AFTResult(
        covariates=tuple(covariates),
        models=tuple(out),
        n=len(design.time),
        n_events=int(design.event.sum()),
        n_excluded=design.n_excluded,
        warnings=design.warnings,
    )


__all__ = [
    "AFT_MODELS",
    "BANDWIDTH_RULE",
    "EXTRAPOLATION_STATEMENT",
    "MODELS",
    "MODEL_LABELS",
    "SELECTION_RULE",
    "AFTModel",
    "AFTReading",
    "AFTResult",
    "AFTTerm",
    "Estimate",
    "GroupFits",
    "ModelFit",
    "ParametricResult",
    "aft_readings",
    "aft_regression",
    "check_models",
    "default_bandwidth",
    "parametric_fits",
]
