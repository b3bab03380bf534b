"""The Cox engine gives today's results to 1e-8 relative (issue 16: faster, never different).

The stored numbers (tests/data/cox_regression.json) were written by the engine
before it was optimised; see tests/cox_regression_sets.py for the data sets.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from tests.cox_regression_sets import STORED, result

REL = 1e-8


def _compare(stored: Any, now: Any, path: str) -> list[str]:
    if isinstance(stored, dict):
        problems = [f"{path}: keys {sorted(stored)} != {sorted(now)}"] if set(stored) - set(now) else []
        for key in stored:
            problems += _compare(stored[key], now.get(key), f"{path}.{key}")
        return problems
    if isinstance(stored, list):
        if not isinstance(now, list) or len(now) != len(stored):
            return [f"{path}: {stored!r} != {now!r}"]
        return [p for k, (a, b) in enumerate(zip(stored, now, strict=True)) for p in _compare(a, b, f"{path}[{k}]")]
    if isinstance(stored, float) and not isinstance(stored, bool):
        if not isinstance(now, (int, float)):
            return [f"{path}: {stored!r} != {now!r}"]
        if math.isnan(stored) and math.isnan(now):
            return []
        if now == pytest.approx(stored, rel=REL, abs=1e-300):
            return []
        return [f"{path}: {stored!r} != {now!r}"]
    return [] if stored == now else [f"{path}: {stored!r} != {now!r}"]


@pytest.mark.parametrize("name", sorted(json.loads(STORED.read_text())))
def test_results_equal_the_stored_ones(name: str) -> None:
    stored = json.loads(STORED.read_text())[name]
    assert _compare(stored, result(name), name) == []
