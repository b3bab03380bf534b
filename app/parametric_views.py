"""The memoized seams of the parametric views: the Survival page's Parametric section (its endpoint, grouping and
filters) and the Cox page's AFT check (its endpoint, covariates, reference levels, sparse-level merging and filters).
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis.caveats import Caveat, caveats
from analysis.errors import PPXError
from analysis.filters import FilterSpec
from analysis.km import KMResult, km_by_group
from analysis.messages import Message
from analysis.parametric import AFTReading, AFTResult, ParametricResult, aft_readings, aft_regression, parametric_fits
from analysis.schema import ENDPOINTS
from app.cache import cache
from app.i18n import N_
from app.views import NO_DATA, _prepare, cox_data, cox_view, filtered, group_order, worded_error


@dataclass(frozen=True)
class ParametricView:
    """The fits, the KM they are drawn against, or a message saying why there is nothing to show."""

    endpoint: str
    grouping: str | None
    result: ParametricResult | None
    km: KMResult | None
    message: str | None


@cache.memoize()
def parametric_view(
    fingerprint: str,
    spec: FilterSpec,
    endpoint: str,
    grouping: str | None,
    bandwidth: float | None,
    horizon: float | None,
) -> ParametricView:
    time_col, event_col, _ = ENDPOINTS[endpoint]
    data = _prepare(filtered(fingerprint, spec).frame, endpoint, grouping)
    data = data[data[time_col] > 0]
    if data.empty:
        return ParametricView(endpoint, grouping, None, None, NO_DATA[endpoint])
    order = group_order(data, grouping)
    try:
        result = parametric_fits(
            data, time_col, event_col, grouping, bandwidth=bandwidth, horizon=horizon, group_order=order
        )
        km = km_by_group(data, time_col, event_col, grouping, group_order=order)
    except PPXError as exc:
        return ParametricView(endpoint, grouping, None, None, str(exc))
    return ParametricView(endpoint, grouping, result, km, None)


@dataclass(frozen=True)
class AFTView:
    """The Cox page's AFT check: the three AFT models, each term's reading against the Cox HR, the caveats of
    the covariates (immortal time), or a message saying why there is nothing to show."""

    endpoint: str
    covariates: tuple[str, ...]
    result: AFTResult | None
    readings: tuple[AFTReading, ...]
    hazard_ratios: tuple[tuple[str, float, float, float], ...]
    """(term, HR, CI low, CI high) of the Cox model of the same design, when it was fitted."""
    caveats: tuple[Caveat, ...]
    message: str | None
    wording: Message | None = None
    """``message`` as a template and parameters (:data:`AFT_NOT_FITTED`, the refusal nested), for the page."""


AFT_NOT_FITTED = N_("The AFT models could not be fitted: {reason}")


@cache.memoize()
def aft_view(
    fingerprint: str, spec: FilterSpec, endpoint: str, covariates: tuple[str, ...], merge_sparse: bool = False
) -> AFTView:
    time_col, event_col, _ = ENDPOINTS[endpoint]
    found = caveats(covariates, endpoint)
    if not covariates:
        return AFTView(
            endpoint, covariates, None, (), (), (), "Pick at least one covariate for the multivariable model."
        )
    data, categorical, _ = cox_data(fingerprint, spec, endpoint, merge_sparse)
    data = data[data[time_col] > 0]
    if data.empty:
        return AFTView(endpoint, covariates, None, (), (), found, NO_DATA[endpoint])
    try:
        result = aft_regression(data, time_col, event_col, list(covariates), categorical=categorical)
    except PPXError as exc:
        wording = Message.of(AFT_NOT_FITTED, reason=worded_error(exc))
        return AFTView(endpoint, covariates, None, (), (), found, wording.text(), wording)
    model = cox_view(fingerprint, spec, endpoint, covariates, merge_sparse).model
    ratios = tuple((t.term, t.hr, t.ci[0], t.ci[1]) for t in model.terms) if model is not None else ()
    readings = aft_readings(result, {term: hr for term, hr, _, _ in ratios})
    return AFTView(endpoint, covariates, result, readings, ratios, found, None)
