"""The one ``ppx`` command that reproduces a page's results (shown under them, so a biostatistician can rerun it).

Pure string building: the dashboard's filters become ``--filters`` with the page's
URL query (:meth:`analysis.filters.FilterSpec.to_query`), and the endpoint its
canonical time and event columns.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from analysis.compare import named_test_weights
from analysis.filters import FilterSpec
from analysis.schema import ENDPOINTS

BUNDLED_DATA = "data/synthetic_klc.csv"
UPLOADED_DATA = "YOUR_COHORT.csv"
"""Placeholder for an uploaded cohort (the file, with the canonical columns the Data page mapped)."""


def _join(parts: Sequence[str]) -> str:
    return " ".join(shlex.quote(p) for p in parts)


def _common(data: str, spec: FilterSpec, endpoint: str) -> list[str]:
    time_col, event_col, _ = ENDPOINTS[endpoint]
    out = ["--data", data, "--time", time_col, "--event", event_col]
    query = spec.to_query()
    return [*out, "--filters", query] if query else out


def km_command(
    data: str,
    spec: FilterSpec,
    endpoint: str,
    grouping: str | None,
    *,
    test: str = "logrank",
    conf_type: str = "log-log",
    times: Sequence[float] = (),
    pairwise: bool = False,
) -> str:
    """``ppx km`` with the Survival page's endpoint, grouping, test, CI type and filters."""
    parts = ["ppx", "km", *_common(data, spec, endpoint)]
    if grouping is not None:
        parts += ["--by", grouping]
    if times:
        parts += ["--times", ",".join(f"{t:g}" for t in times)]
    parts += ["--conf-type", conf_type, "--test", test]
    if test == "fleming-harrington":
        fh_p, fh_q = named_test_weights(test)
        parts += ["--fh-p", f"{fh_p:g}", "--fh-q", f"{fh_q:g}"]
    if pairwise and grouping is not None:
        parts += ["--pairwise", "holm"]
    return _join(parts)


def cox_command(
    data: str,
    spec: FilterSpec,
    endpoint: str,
    covariates: Sequence[str],
    *,
    categorical: Sequence[str] = (),
    merge_sparse: bool = False,
    time_varying: Sequence[str] = (),
) -> str:
    """``ppx cox`` with the Cox page's endpoint, model covariates, categorical columns and filters."""
    parts = ["ppx", "cox", *_common(data, spec, endpoint), "--covariates", ",".join(covariates)]
    used = [c for c in categorical if c in covariates]
    if used:
        parts += ["--categorical", ",".join(used)]
    if merge_sparse:
        parts.append("--merge-sparse")
    if time_varying:
        parts += ["--time-varying", ",".join(time_varying)]
    return _join(parts)


def landmark_command(data: str, spec: FilterSpec, landmark: float, exposure: str) -> str:
    """``ppx landmark`` for the immortal-time guard's landmark analysis."""
    parts = ["ppx", "landmark", "--data", data, "--landmark", f"{landmark:g}", "--group", exposure]
    query = spec.to_query()
    return _join([*parts, "--filters", query] if query else parts)


def emulate_command(data: str, spec: FilterSpec, grace: float, therapy: str, n_bootstrap: int, seed: int) -> str:
    """``ppx emulate`` for the target-trial panel."""
    parts = ["ppx", "emulate", "--data", data, "--grace", f"{grace:g}", "--therapy", therapy]
    parts += ["--bootstrap", str(n_bootstrap), "--seed", str(seed)]
    query = spec.to_query()
    return _join([*parts, "--filters", query] if query else parts)
