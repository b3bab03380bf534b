"""The memoized seam of the Survival page's Parametric section: the page's endpoint, grouping and filters."""

from __future__ import annotations

from dataclasses import dataclass

from analysis.errors import PPXError
from analysis.filters import FilterSpec
from analysis.km import KMResult, km_by_group
from analysis.parametric import ParametricResult, parametric_fits
from analysis.schema import ENDPOINTS
from app.cache import cache
from app.views import _prepare, filtered, group_order


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
    time_col, event_col, label = ENDPOINTS[endpoint]
    data = _prepare(filtered(fingerprint, spec).frame, endpoint, grouping)
    data = data[data[time_col] > 0]
    if data.empty:
        return ParametricView(
            endpoint, grouping, None, None, f"No patients in this subgroup have {label.lower()} data."
        )
    order = group_order(data, grouping)
    try:
        result = parametric_fits(
            data, time_col, event_col, grouping, bandwidth=bandwidth, horizon=horizon, group_order=order
        )
        km = km_by_group(data, time_col, event_col, grouping, group_order=order)
    except PPXError as exc:
        return ParametricView(endpoint, grouping, None, None, str(exc))
    return ParametricView(endpoint, grouping, result, km, None)
