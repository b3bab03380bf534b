"""The three ways :func:`analysis.concordance.later_pairs` can count, for tests that must agree on all of them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest

from analysis import concordance, concordance_kernel

KERNELS = ("merge", "compiled", "python")
"""merge: the numpy merge sort; compiled: the numba Fenwick-tree loop; python: that loop uncompiled."""


def later_pairs_by(kernel: str, monkeypatch: pytest.MonkeyPatch) -> Callable[..., concordance.Dominance]:
    """``later_pairs`` counting by ``kernel`` whatever the number of rows."""
    if kernel == "python":
        monkeypatch.setattr(concordance_kernel, "warm", lambda: concordance_kernel.sweep)
    if kernel == "compiled":
        assert concordance_kernel.warm() is not None, "numba is a dependency: the compiled loop must load"
    chosen: dict[str, Any] = {"compiled": kernel != "merge"}
    return functools.partial(concordance.later_pairs, **chosen)
