"""The one JSON encoder of every ``ppx`` command and of the reproduction bundles (:mod:`analysis.reproduce`).

Non-finite numbers (an HR's infinite CI bound when a group has no events, an
undefined statistic) are written as ``null``, never as ``Infinity``/``NaN`` (not
JSON) and never as a crash; each is listed in ``"non_finite"`` with its path, what
it was and why it is null. numpy numbers become plain numbers.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import fields
from typing import Any

import numpy as np

REASONS: dict[str, str] = {
    "inf": "infinite: not estimable (e.g. no events in a group, so the estimate or its bound diverges)",
    "-inf": "minus infinity: not estimable (e.g. no events in a group, so the estimate or its bound diverges)",
    "nan": "undefined (e.g. zero variance or no patients)",
}


def _clean(value: Any, path: str, found: list[dict[str, str]]) -> Any:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        if math.isfinite(number):
            return number
        kind = "nan" if math.isnan(number) else ("inf" if number > 0 else "-inf")
        found.append({"path": path, "was": kind, "reason": REASONS[kind]})
        return None
    if isinstance(value, Mapping):
        return {str(k): _clean(v, f"{path}.{k}" if path else str(k), found) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_clean(v, f"{path}[{i}]", found) for i, v in enumerate(value)]
    return value


def jsonable(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The payload with non-finite numbers as null and a ``non_finite`` list saying where and why."""
    found: list[dict[str, str]] = []
    out: dict[str, Any] = _clean(payload, "", found)
    out["non_finite"] = [*out.get("non_finite", []), *found] if isinstance(out.get("non_finite"), list) else found
    return out


def dumps(payload: Mapping[str, Any]) -> str:
    """The command's JSON text (indented, strict JSON)."""
    return json.dumps(jsonable(payload), indent=2, allow_nan=False, ensure_ascii=False)


def _plain(value: Any) -> Any:
    """A field's value as JSON-ready Python: nested results through their ``to_dict``, tuples as lists."""
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def record(
    obj: Any,
    *,
    omit: Iterable[str] = (),
    mappings: Iterable[str] = (),
    rename: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A frozen result dataclass as a dict, its fields in declaration order: the one ``to_dict`` of the results.

    Nested results go through their own ``to_dict`` and tuples become lists; the fields named in ``mappings``
    hold ``(key, value)`` pairs and become objects; ``omit`` leaves fields out (per-patient or curve data
    that the JSON contract does not carry); ``rename`` maps a field to its key in the contract.
    """
    skipped, as_objects, keys = set(omit), set(mappings), dict(rename or {})
    out: dict[str, Any] = {}
    for field in fields(obj):
        if field.name in skipped:
            continue
        value = getattr(obj, field.name)
        key = keys.get(field.name, field.name)
        out[key] = {str(k): _plain(v) for k, v in value} if field.name in as_objects else _plain(value)
    return out
