"""The compiled Fenwick-tree loop that counts a large cohort's concordance pairs (issue 16).

The counts themselves are checked against brute force in tests/test_cox.py and tests/test_cox_weights.py
for every kernel; here: in a process that has warmed it, a large fit takes the compiled loop and gives the merge
sort's C and standard error; a cold process (a one-off command) never imports numba below a million rows; a process
forked from a warm one (gunicorn's workers, their background jobs) uses it without warming again; a machine without
numba or without a writable cache still fits; and the loop's edge cases.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis import concordance_kernel
from analysis.cox import fit_cox
from tests.concordance_kernels import KERNELS, later_pairs_by

ROOT = Path(__file__).resolve().parents[1]


def _cohort(n: int, *, untied: bool, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = rng.integers(1, 900, n).astype(float)
    return pd.DataFrame(
        {
            "days": days - rng.random(n) if untied else days,
            "dead": (rng.random(n) < 0.7).astype(int),
            "age": rng.normal(65, 9, n).round(),
            "afp": rng.lognormal(3, 1.5, n),
            "ecog": rng.integers(0, 3, n).astype(float),
            "w": rng.uniform(0.5, 2.0, n),
            "site": rng.integers(0, 4, n),
        }
    )


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Warms the loop; then the number of rows of each call of it (two per stratum: forwards and backwards)."""
    calls: list[int] = []
    kernel = concordance_kernel.warm()
    assert kernel is not None
    choose = concordance_kernel.compiled

    def counting(*args: Any) -> Any:
        calls.append(len(args[0]))
        return kernel(*args)

    def chosen(n: int, force: bool | None = None) -> Any:
        return None if choose(n, force) is None else counting

    monkeypatch.setattr(concordance_kernel, "compiled", chosen)
    return calls


@pytest.mark.parametrize(
    ("untied", "options"),
    [(True, {}), (False, {}), (False, {"weights": "w", "robust": False}), (True, {"strata": "site"})],
    ids=["untied", "tied", "weighted", "strata"],
)
def test_a_large_fit_counts_by_the_compiled_loop_and_agrees_with_the_merge_sort(
    untied: bool, options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """From COMPILED_MIN_ROWS rows the fit's concordance comes from the compiled loop (the spy sees every
    stratum), and C and its standard error equal the merge sort's to 1e-12 relative."""
    n = concordance_kernel.COMPILED_MIN_ROWS * 4 if "strata" in options else concordance_kernel.COMPILED_MIN_ROWS
    frame = _cohort(n + 1, untied=untied)
    covariates = ["age", "afp", "ecog"]
    calls = _spy(monkeypatch)
    fast = fit_cox(frame, "days", "dead", covariates, **options)
    assert calls and all(rows >= concordance_kernel.COMPILED_MIN_ROWS for rows in calls)
    monkeypatch.setattr(concordance_kernel, "COMPILED_MIN_ROWS", 10**9)
    calls.clear()
    merged = fit_cox(frame, "days", "dead", covariates, **options)
    assert calls == []
    assert fast.concordance == pytest.approx(merged.concordance, rel=1e-12)
    assert fast.concordance_se == pytest.approx(merged.concordance_se, rel=1e-12)
    assert 0.4 < fast.concordance < 0.7


def test_a_small_fit_counts_by_the_merge_sort_even_when_warm(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _spy(monkeypatch)
    fit_cox(_cohort(513, untied=False), "days", "dead", ["age", "ecog"])
    assert calls == []


COLD = """
import sys
import numpy as np
from analysis import concordance_kernel
from analysis.cox import fit_cox
from tests.test_concordance_kernel import _cohort
frame = _cohort(concordance_kernel.COMPILED_MIN_ROWS + 1, untied=True)
cold = fit_cox(frame, "days", "dead", ["age", "afp"])
print("numba" in sys.modules, concordance_kernel.is_warm())
concordance_kernel.warm()
warm = fit_cox(frame, "days", "dead", ["age", "afp"])
print("numba" in sys.modules, concordance_kernel.is_warm(), abs(warm.concordance - cold.concordance) < 1e-12)
"""


def test_a_cold_process_fits_a_large_cohort_without_importing_numba() -> None:
    """A one-off command below COLD_MIN_ROWS rows: the merge sort counts and numba (1.2 s, 100 MB) is never loaded;
    after warm() the same fit counts by the loop, with the same C."""
    done = subprocess.run(
        [sys.executable, "-c", COLD], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["False", "False", "True", "True", "True"]


def test_a_process_forked_from_a_warm_one_counts_by_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """gunicorn's workers and their background jobs are forks of a warm master: the loop runs in the child."""
    calls = _spy(monkeypatch)
    frame = _cohort(concordance_kernel.COMPILED_MIN_ROWS + 1, untied=True)
    parent = fit_cox(frame, "days", "dead", ["age"]).concordance
    calls.clear()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe and exits
        try:
            child = fit_cox(frame, "days", "dead", ["age"]).concordance
            os.write(write, f"{len(calls)} {child == parent}".encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        report = pipe.read()
    os.waitpid(pid, 0)
    assert report == "2 True"


def test_without_numba_a_large_fit_counts_by_the_merge_sort(monkeypatch: pytest.MonkeyPatch) -> None:
    concordance_kernel.warm()
    frame = _cohort(concordance_kernel.COMPILED_MIN_ROWS, untied=True)
    with_numba = fit_cox(frame, "days", "dead", ["age", "afp"])
    monkeypatch.setattr(concordance_kernel, "compiled", lambda n, force=None: None)
    without = fit_cox(frame, "days", "dead", ["age", "afp"])
    assert without.concordance == pytest.approx(with_numba.concordance, rel=1e-12)
    assert without.concordance_se == pytest.approx(with_numba.concordance_se, rel=1e-12)


def test_without_a_writable_cache_the_loop_compiles_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """numba refuses ``cache=True`` when no cache directory can be written (a read-only install, no home):
    the loop is then compiled for the process alone, and still counts."""
    from numba.core import caching

    implementation = getattr(caching, "CacheImpl", None) or caching._CacheImpl  # renamed in numba 0.61
    monkeypatch.setattr(implementation, "_locator_classes", [])
    with pytest.raises(RuntimeError, match="no locator"):
        caching.FunctionCache(concordance_kernel.sweep)
    kernel = concordance_kernel._compiled()
    assert kernel is not None
    key, value, query_mass = np.array([1.0, 2.0, 2.0]), np.array([0, 1, 0]), np.array([0.0, 1.0, 1.0])
    counts = concordance_kernel.count_pairs(key, value, np.ones(3), query_mass, 2, kernel)
    assert [list(c) for c in counts] == [
        [0, 1, 0],  # points before with a smaller value
        [0, 0, 1],  # ... with an equal value
        [0, 1, 1],  # ... in all
        [1, 0, 0],  # queries after with a larger value
        [1, 0, 0],  # ... with an equal value
        [2, 0, 0],  # ... in all
    ]


@pytest.mark.parametrize("kernel", KERNELS)
def test_one_row_one_key_and_one_value(kernel: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """No pairs to count: a single row, every row on one key, every row on one value."""
    later_pairs = later_pairs_by(kernel, monkeypatch)
    one = later_pairs(np.array([-2.0]), np.array([0]), np.array([True]), None)
    assert (one.query_total, one.point_total) == ([0.0], [0.0])
    same_key = later_pairs(np.full(5, -4.0), np.arange(5), np.ones(5, dtype=bool), None)
    assert not same_key.query_total.any() and not same_key.point_total.any()
    same_value = later_pairs(2.0 * np.arange(5.0), np.zeros(5, dtype=np.intp), np.ones(5, dtype=bool), None)
    assert list(same_value.query_equal) == list(same_value.query_total) == [0, 1, 2, 3, 4]
    assert not same_value.query_less.any() and not same_value.point_greater.any()


def test_concordance_module_uses_one_loop_for_every_stratum_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stratum below the threshold in a large cohort counts by the merge sort, one above by the loop."""
    calls = _spy(monkeypatch)
    frame = _cohort(concordance_kernel.COMPILED_MIN_ROWS + 600, untied=True)
    frame["site"] = (np.arange(len(frame)) < 500).astype(int)
    fit_cox(frame, "days", "dead", ["age"], strata="site")
    assert calls == [len(frame) - 500] * 2


HOOK = """
import runpy, sys
from analysis import concordance_kernel
runpy.run_path("gunicorn.conf.py")["when_ready"](None)
print("numba" in sys.modules, concordance_kernel.is_warm())
"""


@pytest.mark.parametrize(("setting", "warmed"), [(None, "True True"), ("0", "False False")])
def test_the_gunicorn_master_warms_the_loop_unless_told_not_to(setting: str | None, warmed: str) -> None:
    """gunicorn.conf.py's when_ready (the master, before it forks the workers) loads the loop; PPX_COMPILED=0 not."""
    env = {k: v for k, v in os.environ.items() if k != "PPX_COMPILED"}
    if setting is not None:
        env["PPX_COMPILED"] = setting
    done = subprocess.run(
        [sys.executable, "-c", HOOK], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-2:] == warmed.split()
