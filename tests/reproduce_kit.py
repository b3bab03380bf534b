"""Running a reproduction bundle's R and Python scripts and comparing their JSON with the expected numbers."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

from analysis.reproduce.bundle import PY_FILE, R_FILE, Reproduction
from app.reproduce_jobs import build_zip

SURVIVAL_KEYS = frozenset({"survival", "lower", "upper"})
P_KEYS = frozenset({"p", "p_adjusted", "score_p"})


def page_download(view: str, build: Any, *values: Any) -> dict[str, Any]:
    """What the page's Reproduce job delivers (the dcc.Download payload) for its controls' values and URL search."""
    steps: list[tuple[int, str]] = []
    payload, message = build_zip(view, build, steps.append, values[:-1], values[-1])
    assert message is None, message
    assert [p for p, _ in steps] == [10, 80, 100], steps  # progress: recomputing, zipping, done
    return dict(payload)


def run_scripts(bundle: Reproduction, tmp_path: Path) -> dict[str, Any]:
    """Unzip the bundle and run both scripts in its folder; {"R": json, "Python": json}."""
    zipfile.ZipFile(io.BytesIO(bundle.to_zip())).extractall(tmp_path)
    folder = tmp_path / f"ppx-{bundle.view}"
    out: dict[str, Any] = {}
    for language, argv in (("R", ["Rscript", R_FILE]), ("Python", [sys.executable, PY_FILE])):
        done = subprocess.run(argv, cwd=folder, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, f"{language} script failed:\n{done.stderr[-3000:]}"
        out[language] = json.loads(done.stdout)
    return out


def monte_carlo_agrees(expected: float, got: float, replicates: int) -> bool:
    """Two simulated p-values (different random number generators) agree within 4 standard errors plus 2/B."""
    error = math.sqrt(max(expected * (1 - expected), 0.0) / replicates)
    return abs(got - expected) <= 4 * error + 2 / replicates


def assert_agrees(expected: Any, got: Any, path: str = "") -> None:
    """Survival probabilities within 1e-6 absolute, p-values 1e-3 relative, other numbers 1e-4 relative.

    A p-value simulated by Monte-Carlo (its record has ``replicates``) agrees within its simulation error.
    """
    key = path.rsplit(".", 1)[-1].split("[")[0]
    if isinstance(expected, dict):
        wanted = {k: v for k, v in expected.items() if k != "non_finite"}
        assert set(wanted) <= set(got), f"{path}: missing {sorted(set(wanted) - set(got))}"
        replicates = wanted.get("replicates")
        for k, v in wanted.items():
            if k == "p" and isinstance(replicates, int) and isinstance(v, float):
                assert isinstance(got[k], int | float), f"{path}.p: {got[k]!r} != {v!r}"
                assert monte_carlo_agrees(v, float(got[k]), replicates), f"{path}.p (Monte-Carlo): {got[k]!r} != {v!r}"
                continue
            assert_agrees(v, got[k], f"{path}.{k}")
    elif isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected), f"{path}: {got!r} != {expected!r}"
        for i, (e, g) in enumerate(zip(expected, got, strict=True)):
            assert_agrees(e, g, f"{path}[{i}]")
    elif expected is None or isinstance(expected, str | bool):
        assert got == expected, f"{path}: {got!r} != {expected!r}"
    else:
        assert isinstance(got, int | float), f"{path}: {got!r} != {expected!r}"
        if ".at[" in path and key in SURVIVAL_KEYS:
            assert math.isclose(got, expected, rel_tol=0, abs_tol=1e-6), f"{path}: {got!r} != {expected!r}"
        else:
            rel = 1e-3 if key in P_KEYS else 1e-4
            assert math.isclose(got, expected, rel_tol=rel, abs_tol=1e-12), f"{path}: {got!r} != {expected!r}"
