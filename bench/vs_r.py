"""ppx against R's survival package and lifelines, side by side in one run (issue 16's table).

Same data for all three (two groups, three numeric and three binary covariates and a four-level
factor; times in whole days, or untied for the n = 500,000 Cox row). R is timed inside R (a loop,
median of repeats; the data are read before the clock starts), ppx and lifelines inside Python
(medians of repeats after a warm-up). Steps:

- ``km``: Kaplan–Meier by group with medians (and CIs) and survival at 180, 365 and 730 days
  (R: ``survfit`` + ``summary(fit)$table`` + ``summary(fit, times = )``);
- ``logrank``: R ``survdiff``; ``fh_rho1``: the weighted test R ``survdiff(rho = 1)``;
- ``cox``: Efron Cox model with concordance (R ``coxph``, which computes the concordance too;
  lifelines ``CoxPHFitter`` + ``concordance_index_``).

When ``Rscript`` with survival is missing the R columns are null and ``r_skipped`` says why.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import concordance_kernel
from bench.run import COX_COVARIATES, make_data

KM_SIZES = (513, 50_000, 200_000)
COX_SIZES = (513, 50_000, 200_000)
COX_UNTIED = 500_000
TIMES = (180, 365, 730)
FACTOR = "stage"
LIFELINES_MAX_N = 200_000
"""lifelines takes over a minute per Cox fit at n = 500,000 (issue 16: 91.6 s); not run there."""

_R_SCRIPT = r"""
suppressMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1]); steps <- strsplit(args[2], ",")[[1]]; repeats <- as.integer(args[3])
d$stage <- factor(d$stage)
step <- list(
  km = function() { f <- survfit(Surv(days, dead) ~ group, data = d)
                    list(summary(f)$table, summary(f, times = c(180, 365, 730))) },
  logrank = function() survdiff(Surv(days, dead) ~ group, data = d),
  fh_rho1 = function() survdiff(Surv(days, dead) ~ group, data = d, rho = 1),
  cox = function() coxph(Surv(days, dead) ~ age + fib4 + albi + afp_high + bclc_c + dc + stage, data = d)
)
for (s in steps) {
  f <- step[[s]]; f()                                   # warm-up
  once <- system.time(f())[["elapsed"]]
  inner <- max(1L, as.integer(ceiling(0.05 / max(once, 1e-4))))   # loop short steps for ms resolution
  t <- numeric(repeats); cpu <- numeric(repeats)
  for (k in seq_len(repeats)) {
    st <- system.time(for (j in seq_len(inner)) f())
    t[k] <- st[["elapsed"]] / inner; cpu[k] <- (st[["user.self"]] + st[["sys.self"]]) / inner
  }
  cat(s, median(t), median(cpu), "\n")
}
"""


def bench_data(n: int, *, untied: bool = False, seed: int = 1) -> pd.DataFrame:
    """:func:`bench.run.make_data` plus a four-level factor; untied: days made distinct (uniform jitter)."""
    frame = make_data(n, seed=seed)
    rng = np.random.default_rng(seed + 1000)
    frame[FACTOR] = rng.choice(["A", "B", "C", "D"], size=n, p=[0.3, 0.3, 0.25, 0.15])
    if untied:
        frame["days"] = frame["days"] - rng.random(n)
    return frame


def r_available() -> str | None:
    """None if Rscript with survival can run, else the reason it is skipped."""
    if shutil.which("Rscript") is None:
        return "Rscript not found"
    done = subprocess.run(["Rscript", "-e", "library(survival)"], capture_output=True, text=True, check=False)
    return None if done.returncode == 0 else "R package survival not installed"


def r_timings(frame: pd.DataFrame, steps: tuple[str, ...], repeats: int) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) seconds per step, timed inside R on the same rows."""
    with tempfile.TemporaryDirectory(prefix="ppx-bench-r-") as tmp:
        data = Path(tmp) / "data.csv"
        script = Path(tmp) / "bench.R"
        frame.to_csv(data, index=False)
        script.write_text(_R_SCRIPT, encoding="utf-8")
        done = subprocess.run(
            ["Rscript", str(script), str(data), ",".join(steps), str(repeats)],
            capture_output=True,
            text=True,
            check=True,
        )
    out: dict[str, tuple[float, float]] = {}
    for line in done.stdout.splitlines():
        name, wall, cpu = line.split()
        out[name] = (float(wall), float(cpu))
    return out


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """Median (wall, CPU) seconds of ``fn`` after a warm-up; CPU = this process's user + system time
    (all threads), which a machine shared with other jobs inflates far less than wall time."""
    fn()
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def _ppx_steps(frame: pd.DataFrame) -> dict[str, Callable[[], Any]]:
    from analysis.compare import compare_survival
    from analysis.cox import fit_cox
    from analysis.km import km_by_group

    covariates = [*COX_COVARIATES, FACTOR]
    return {
        "km": lambda: km_by_group(frame, "days", "dead", "group", times=TIMES),
        "logrank": lambda: compare_survival(frame["days"], frame["dead"], frame["group"]),
        "fh_rho1": lambda: compare_survival(
            frame["days"], frame["dead"], frame["group"], test="fleming-harrington", fh_p=1
        ),
        "cox": lambda: fit_cox(frame, "days", "dead", covariates),
    }


def _lifelines_steps(frame: pd.DataFrame) -> dict[str, Callable[[], Any]]:
    from lifelines import CoxPHFitter, KaplanMeierFitter
    from lifelines.statistics import multivariate_logrank_test

    sink: list[Any] = []
    groups = [g for _, g in frame.groupby("group")]

    def km() -> None:
        for g in groups:
            fitter = KaplanMeierFitter().fit(g["days"], g["dead"])
            sink.append((fitter.median_survival_time_, fitter.survival_function_at_times(list(TIMES))))

    def fh_rho1() -> None:
        test = multivariate_logrank_test(
            frame["days"], frame["group"], frame["dead"], weightings="fleming-harrington", p=1, q=0
        )
        sink.append(test.p_value)

    cox_frame = pd.get_dummies(
        frame[["days", "dead", *COX_COVARIATES, FACTOR]], columns=[FACTOR], drop_first=True, dtype=float
    )

    def cox() -> None:
        fitter = CoxPHFitter().fit(cox_frame, "days", "dead")
        sink.append(fitter.concordance_index_)

    return {
        "km": km,
        "logrank": lambda: sink.append(multivariate_logrank_test(frame["days"], frame["group"], frame["dead"]).p_value),
        "fh_rho1": fh_rho1,
        "cox": cox,
    }


def _repeats(n: int) -> int:
    return 7 if n < 50_000 else 5 if n < 200_000 else 3


Timing = tuple[float, float]


def _row(n: int, step: str, untied: bool, ppx: Timing, lifelines: Timing | None, r: Timing | None) -> dict[str, Any]:
    """Wall-clock medians (``*_s``) and CPU medians (``*_cpu_s``) with their ratios."""
    out: dict[str, Any] = {"n": n, "step": step, "untied": untied}
    for suffix, k in (("s", 0), ("cpu_s", 1)):
        out[f"r_{suffix}"] = None if r is None else r[k]
        out[f"lifelines_{suffix}"] = None if lifelines is None else lifelines[k]
        out[f"ppx_{suffix}"] = ppx[k]
    for suffix in ("", "_cpu"):
        key = "s" if not suffix else "cpu_s"
        r_value, l_value, p_value = out[f"r_{key}"], out[f"lifelines_{key}"], out[f"ppx_{key}"]
        out[f"ppx_over_r{suffix}"] = None if not r_value else p_value / r_value
        out[f"ppx_over_lifelines{suffix}"] = None if not l_value else p_value / l_value
    return out


def vs_r_bench(quick: bool = False) -> dict[str, Any]:
    """The issue-16 table: one row per (n, step) with R, lifelines and ppx medians and the ratios."""
    started = datetime.now(UTC).isoformat(timespec="seconds")
    load_before = os.getloadavg()[0]
    skipped = r_available()
    # As the dashboard's gunicorn master does at start (gunicorn.conf.py): the compiled concordance loop is loaded
    # before anything is timed, so large fits use it (a one-off command below a million rows does not: see
    # analysis/concordance_kernel.py).
    compiled = concordance_kernel.warm() is not None
    plan: list[tuple[int, bool, tuple[str, ...]]] = []
    sizes = {"km": KM_SIZES, "logrank": KM_SIZES, "fh_rho1": KM_SIZES, "cox": COX_SIZES}
    for n in (513, 5000) if quick else sorted(set(KM_SIZES) | set(COX_SIZES)):
        plan.append((n, False, tuple(step for step, at in sizes.items() if quick or n in at)))
    if not quick:
        plan.append((COX_UNTIED, True, ("cox",)))
    rows = []
    for n, untied, steps in plan:
        frame = bench_data(n, untied=untied)
        repeats = _repeats(n)
        r = {} if skipped else r_timings(frame, steps, repeats)
        ours = _ppx_steps(frame)
        theirs = _lifelines_steps(frame) if n <= LIFELINES_MAX_N else {}
        for step in steps:
            ppx = timed(ours[step], repeats)
            bare = timed(theirs[step], repeats) if step in theirs else None
            rows.append(_row(n, step, untied, ppx, bare, r.get(step)))
    return {
        "date": started,
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "cpus": os.cpu_count(),
        "r_skipped": skipped,
        "r_version": None if skipped else _r_version(),
        "lifelines_skipped_above_n": LIFELINES_MAX_N,
        "compiled_concordance": compiled,
        "rows": rows,
    }


def _r_version() -> str:
    done = subprocess.run(
        ["Rscript", "-e", 'cat(R.version.string, "survival", format(packageVersion("survival")))'],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip()


def print_table(block: dict[str, Any]) -> None:
    if block["r_skipped"]:
        print(f"R skipped: {block['r_skipped']}")

    def ms(value: float | None) -> str:
        return "–" if value is None else f"{1000 * value:.1f}"

    def ratio(value: float | None) -> str:
        return "–" if value is None else f"{value:.2f}"

    print("wall-clock medians (CPU-time ratios in brackets)")
    print(f"{'n':>8} {'step':<9} {'R ms':>9} {'lifelines ms':>13} {'ppx ms':>9} {'ppx/R':>13} {'ppx/lifelines':>14}")
    for row in block["rows"]:
        r_ratio = f"{ratio(row['ppx_over_r'])} [{ratio(row['ppx_over_r_cpu'])}]"
        life = f"{ratio(row['ppx_over_lifelines'])} [{ratio(row['ppx_over_lifelines_cpu'])}]"
        label = row["step"] + (" untied" if row["untied"] else "")
        print(
            f"{row['n']:>8} {label:<9} {ms(row['r_s']):>9} {ms(row['lifelines_s']):>13} {ms(row['ppx_s']):>9} "
            f"{r_ratio:>13} {life:>14}"
        )


if __name__ == "__main__":  # python -m bench.vs_r [--quick]: this section alone
    import sys

    result = vs_r_bench(quick="--quick" in sys.argv)
    print_table(result)
    print(json.dumps(result, indent=1))
