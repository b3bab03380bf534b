"""`make bench`: time the analysis layer against bare lifelines, and the Survival page recompute.

Every figure is a median over repeats, measured in the same run as its
lifelines baseline on the same data, because shared machines are noisy.
Times are whole days, as in real data (many ties).

    python -m bench.run --out bench/results.json [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from plotly.io.json import to_json_plotly

COX_COVARIATES = ("age", "fib4", "albi", "afp_high", "bclc_c", "dc")


def make_data(n: int, seed: int = 1) -> pd.DataFrame:
    """Survival data with two groups and six covariates; times in whole days, ~20% censored."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "group": rng.choice(["sorafenib", "lenvatinib"], size=n, p=[0.6, 0.4]),
            "age": rng.normal(72, 9, n).round(),
            "fib4": rng.lognormal(1.3, 0.5, n).round(2),
            "albi": rng.normal(-2.4, 0.45, n).round(2),
            "afp_high": rng.binomial(1, 0.35, n),
            "bclc_c": rng.binomial(1, 0.55, n),
            "dc": rng.binomial(1, 0.6, n),
        }
    )
    lp = 0.01 * (frame["age"] - 72) + 0.08 * frame["fib4"] + 0.6 * (frame["albi"] + 2.4)
    lp += 0.35 * frame["afp_high"] + 0.25 * frame["bclc_c"] - 0.6 * frame["dc"]
    death = rng.exponential(420 * np.exp(-lp))
    censor = rng.uniform(30, 2400, n)
    frame["days"] = np.maximum(np.ceil(np.minimum(death, censor)), 1.0)
    frame["dead"] = (death <= censor).astype(int)
    return frame


def timed(fn: Callable[[], Any], repeats: int) -> dict[str, float]:
    fn()  # warm-up
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return {"median_s": statistics.median(samples), "min_s": min(samples), "repeats": repeats}


def analysis_bench(n: int, repeats: int) -> dict[str, Any]:
    from lifelines import CoxPHFitter, KaplanMeierFitter
    from lifelines.statistics import multivariate_logrank_test

    from analysis.compare import compare_survival
    from analysis.cox import fit_cox
    from analysis.km import km_by_group

    data = make_data(n)

    def ours_km() -> None:
        km_by_group(data, "days", "dead", "group", times=(180, 365, 730))

    sink: list[Any] = []

    def bare_km() -> None:
        for _, g in data.groupby("group"):
            fitter = KaplanMeierFitter().fit(g["days"], g["dead"])  # median and CI bands are computed in fit
            sink.append((fitter.median_survival_time_, fitter.survival_function_at_times([180, 365, 730])))

    def ours_logrank() -> None:
        compare_survival(data["days"], data["dead"], data["group"])

    def bare_logrank() -> None:
        sink.append(multivariate_logrank_test(data["days"], data["group"], data["dead"]).p_value)

    def ours_cox() -> None:
        fit_cox(data, "days", "dead", list(COX_COVARIATES))

    cox_frame = data[["days", "dead", *COX_COVARIATES]]

    def bare_cox() -> None:
        CoxPHFitter().fit(cox_frame, "days", "dead")

    out: dict[str, Any] = {"n": n}
    for name, ours, bare in (
        ("km_by_group", ours_km, bare_km),
        ("logrank", ours_logrank, bare_logrank),
        ("cox_6_covariates", ours_cox, bare_cox),
    ):
        reps = repeats if not (name.startswith("cox") and n >= 50_000) else max(3, repeats // 3)
        a = timed(ours, reps)
        b = timed(bare, reps)
        out[name] = {"ppx": a, "lifelines": b, "ratio": a["median_s"] / b["median_s"]}
    return out


def page_bench(n: int, repeats: int) -> dict[str, Any]:
    """What the server does for one filter change on the Survival page, uncached and cached."""
    os.environ["PPX_CACHE_DIR"] = tempfile.mkdtemp(prefix="ppx-bench-cache-")
    from analysis.cohort import validate_cohort
    from analysis.filters import FilterSpec
    from analysis.synth import generate_cohort
    from app import create_app, datasets
    from app.cache import cache

    cohort = validate_cohort(generate_cohort(n, seed=7), source=f"bench n={n}", synthetic=True)
    app = create_app()
    from app.pages import survival  # pages register themselves: only after the app exists

    specs = [FilterSpec.create(first_line=[d]) for d in ("sorafenib", "lenvatinib")] + [FilterSpec()]
    search = [f"?{s.to_query()}" for s in specs]
    original = datasets.active_cohort
    datasets.active_cohort = lambda: cohort  # type: ignore[assignment]
    sizes: list[int] = []
    try:
        with app.server.app_context():

            def recompute(i: int) -> None:
                out = survival.render(search[i % 3])  # the view options are the URL defaults (OS by drug)
                sizes.append(len(to_json_plotly(out[0])))

            counter = iter(range(10**9))

            def uncached() -> None:
                cache.clear()
                recompute(next(counter))

            u = timed(uncached, repeats)
            cache.clear()
            recompute(0)
            c = timed(lambda: recompute(0), repeats)
    finally:
        datasets.active_cohort = original  # type: ignore[assignment]
    return {"n": n, "uncached": u, "cached": c, "km_figure_json_bytes": max(sizes)}


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def export_bench(repeats: int) -> dict[str, Any]:
    """Exports on the bundled cohort: the first (cold export browser) and warm medians per format."""
    os.environ.setdefault("PPX_CACHE_TYPE", "SimpleCache")
    from analysis.filters import FilterSpec
    from app import create_app, exporting
    from app.components import presenter

    app = create_app()
    spec = FilterSpec.create(first_line=["lenvatinib"])
    km = presenter.ViewRef()
    deck = (km, presenter.ViewRef(kind="response", grouping="first_line"), presenter.ViewRef(kind="cox"))
    out: dict[str, Any] = {}
    with app.server.test_request_context("/"):
        exporting.stop_export_browser()
        start = time.perf_counter()
        presenter.export_view(km, spec, "png", column="single")
        out["first_png_cold_s"] = time.perf_counter() - start
        for fmt in ("png", "svg", "pdf", "xlsx"):
            out[f"km_{fmt}"] = timed(lambda fmt=fmt: presenter.export_view(km, spec, fmt), repeats)
        out["deck_3_slides"] = timed(lambda: presenter.build_view_deck(deck, spec), max(3, repeats // 2))
    return out


def validation_bench(sizes: tuple[int, ...] = (513, 50_000, 100_000), repeats: int = 5) -> dict[str, Any]:
    """``validate_cohort`` on the synthetic cohort as a CSV upload arrives (every cell text), median seconds per n."""
    import io

    from analysis.cohort import validate_cohort
    from analysis.synth import cohort_csv, generate_cohort

    out: dict[str, Any] = {}
    for n in sizes:
        text = pd.read_csv(io.StringIO(cohort_csv(generate_cohort(n, seed=7))), dtype=str, keep_default_na=False)
        out[str(n)] = timed(lambda text=text: validate_cohort(text, source=f"bench n={len(text)}"), repeats)
    return out


def emulation_bench(n: int = 3000, n_bootstrap: int = 200, repeats: int = 3) -> dict[str, Any]:
    """``emulate_trial`` (grace 3 months, any therapy, default covariates) with ``n_bootstrap`` resamples.

    Target: at most 30 s for 3,000 patients and 200 resamples on this machine.
    """
    from analysis.cohort import validate_cohort
    from analysis.emulate import emulate_trial
    from analysis.synth import generate_cohort

    frame = validate_cohort(generate_cohort(n, seed=7), source=f"bench n={n}").frame

    def run() -> object:
        return emulate_trial(frame, grace=3.0, n_bootstrap=n_bootstrap, seed=1)

    before = os.getloadavg()[0]
    result = timed(run, repeats)
    load = [round(before, 2), round(os.getloadavg()[0], 2)]
    return {"n": n, "n_bootstrap": n_bootstrap, "target_s": 30.0, "cpus": os.cpu_count(), "load_average_1min": load,
            **result}  # fmt: skip


def ingest_bench(n: int = 200_000, repeats: int = 2) -> dict[str, Any]:
    """Reading and validating an upload of ``n`` rows as the Data page does (``read_and_keep`` with the server's
    bounds: the read and what the session keeps without identifying columns; the suggested mapping,
    ``prepare_cohort``), from CSV and from XLSX.

    Targets on this 2-core machine: CSV at most 5 s, XLSX at most 15 s (read and validate together).
    """
    from analysis.ingest import ReadLimits, prepare_cohort, read_and_keep, suggest_mapping
    from bench.xlsx_stream import csv_bytes, large_cohort, xlsx_bytes

    limits = ReadLimits(max_rows=n, time_budget_s=None)  # the server's bounds, without the wall-clock budget

    frame = large_cohort(n)
    files = {"csv": csv_bytes(frame), "xlsx": xlsx_bytes(frame)}
    out: dict[str, Any] = {"n": n, "cpus": os.cpu_count()}
    before = os.getloadavg()[0]
    for kind, data in files.items():
        read_s: list[float] = []
        cpu_s: list[float] = []

        def run(data: bytes = data, kind: str = kind, read_s: list[float] = read_s, cpu_s: list[float] = cpu_s) -> None:
            started, cpu = time.perf_counter(), time.process_time()
            raw, _ = read_and_keep(data, f"bench.{kind}", limits=limits)
            read_s.append(time.perf_counter() - started)
            prepare_cohort(raw, suggest_mapping(raw).spec)
            cpu_s.append(time.process_time() - cpu)

        result = timed(run, repeats)
        out[kind] = {
            "file_mb": round(len(data) / 1024 / 1024, 1),
            "read_median_s": statistics.median(read_s[1:]),
            "cpu_median_s": statistics.median(cpu_s[1:]),  # CPU time of all threads: less sensitive to load
            "target_s": 5.0 if kind == "csv" else 15.0,
            **result,
        }
    out["load_average_1min"] = [round(before, 2), round(os.getloadavg()[0], 2)]
    return out


def print_ingest(block: dict[str, Any]) -> None:
    for kind in ("csv", "xlsx"):
        r = block[kind]
        print(
            f"upload n={block['n']} {kind.upper()} ({r['file_mb']} MB): read {r['read_median_s']:.2f} s, read and "
            f"validate {r['median_s']:.2f} s (target <= {r['target_s']:g} s; CPU {r.get('cpu_median_s', 0.0):.2f} s)"
        )
    print(f"  load average (1 min) before / after: {block['load_average_1min']}")


def adjusted_bench(n: int = 50_000, resamples: int = 200, repeats: int = 2) -> dict[str, Any]:
    """``ppx adjust``'s engine (propensity model, ATE weights, weighted KM and robust Cox), without and with a
    bootstrap of ``resamples`` that re-fits the propensity model in each; median seconds."""
    from analysis.adjusted import adjusted_comparison

    frame = make_data(n)

    def run(n_bootstrap: int) -> Any:
        return adjusted_comparison(
            frame, "group", list(COX_COVARIATES), "days", "dead", reference="sorafenib", times=(365.0, 730.0),
            n_bootstrap=n_bootstrap,
        )  # fmt: skip

    before = os.getloadavg()[0]
    point = timed(lambda: run(0), repeats)
    boot = timed(lambda: run(resamples), repeats)
    return {
        "n": n,
        "covariates": len(COX_COVARIATES),
        "resamples": resamples,
        "point_estimates": point,
        "with_bootstrap": boot,
        "cpus": os.cpu_count(),
        "load_average_1min": [round(before, 2), round(os.getloadavg()[0], 2)],
    }


def print_adjusted(block: dict[str, Any]) -> None:
    print(
        f"Adjusted comparison n={block['n']}: point estimates {block['point_estimates']['median_s']:.2f} s, "
        f"with {block['resamples']} bootstrap resamples {block['with_bootstrap']['median_s']:.2f} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="bench/results.json")
    parser.add_argument("--quick", action="store_true", help="small sizes only (smoke run)")
    parser.add_argument(
        "--page-sizes",
        default="513,50000,200000",
        help="cohort sizes for the Survival page recompute (comma-separated; synthetic cohorts, dates in days)",
    )
    parser.add_argument(
        "--sections",
        default="",
        help="run only these sections (vs_r, ingest, emulation, adjusted) and update their keys in --out, "
        "keeping the others",
    )
    args = parser.parse_args(argv)
    from analysis.concordance_kernel import warm

    warm()  # the compiled concordance loop loaded before any timing, as the server's master does (gunicorn.conf.py)
    if args.sections:
        return _run_sections(args)
    sizes = (513, 5000) if args.quick else (513, 5000, 50_000)
    page_sizes = (513,) if args.quick else tuple(int(n) for n in args.page_sizes.split(","))
    results: dict[str, Any] = {
        "machine": {
            "platform": platform.platform(),
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "cpu_model": _cpu_model(),
        },
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "analysis": [analysis_bench(n, repeats=15 if n < 50_000 else 5) for n in sizes],
        "survival_page": [page_bench(n, repeats=11 if n < 50_000 else 5 if n < 200_000 else 3) for n in page_sizes],
        "exports": export_bench(repeats=3 if args.quick else 5),
        "validation": validation_bench(
            (513, 5000) if args.quick else (513, 50_000, 100_000), repeats=3 if args.quick else 5
        ),
        "emulation": emulation_bench(3000, 20 if args.quick else 200, repeats=1 if args.quick else 3),
        "ingest": ingest_bench(20_000 if args.quick else 200_000),
        "adjusted": adjusted_bench(5000, 50) if args.quick else adjusted_bench(),
        "vs_r": _vs_r(args.quick),
    }
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=2)
    print(f"{'n':>7} {'step':<18} {'ppx ms':>10} {'lifelines ms':>13} {'ratio':>6}")
    for block in results["analysis"]:
        for name in ("km_by_group", "logrank", "cox_6_covariates"):
            r = block[name]
            print(
                f"{block['n']:>7} {name:<18} {1000 * r['ppx']['median_s']:>10.1f} "
                f"{1000 * r['lifelines']['median_s']:>13.1f} {r['ratio']:>6.2f}"
            )
    for block in results["survival_page"]:
        print(
            f"Survival page n={block['n']}: uncached {1000 * block['uncached']['median_s']:.1f} ms, "
            f"cached {1000 * block['cached']['median_s']:.2f} ms, KM figure {block['km_figure_json_bytes']} bytes"
        )
    exports = results["exports"]
    print(
        f"Exports: first PNG (cold export browser) {exports['first_png_cold_s']:.2f} s; warm medians "
        + ", ".join(f"{k} {v['median_s']:.2f} s" for k, v in exports.items() if isinstance(v, dict))
    )
    print(
        "validate_cohort (text upload): "
        + ", ".join(f"n={n} {v['median_s']:.2f} s" for n, v in results["validation"].items())
    )
    emulation = results["emulation"]
    print(
        f"emulate_trial n={emulation['n']}, {emulation['n_bootstrap']} bootstrap resamples: "
        f"{emulation['median_s']:.2f} s (target <= {emulation['target_s']:g} s)"
    )
    print_ingest(results["ingest"])
    print_adjusted(results["adjusted"])
    _print_vs_r(results["vs_r"])
    print(f"JSON written to {args.out}")
    return 0


def _vs_r(quick: bool) -> dict[str, Any]:
    from bench.vs_r import vs_r_bench

    return vs_r_bench(quick=quick)


def _print_vs_r(block: dict[str, Any]) -> None:
    from bench.vs_r import print_table

    print("ppx vs R survival vs lifelines (issue 16):")
    print_table(block)


def _run_sections(args: argparse.Namespace) -> int:
    """Only the named sections; their keys replace those in an existing --out file."""
    runners: dict[str, Callable[[], Any]] = {
        "vs_r": lambda: _vs_r(args.quick),
        "ingest": lambda: ingest_bench(20_000 if args.quick else 200_000),
        "emulation": lambda: emulation_bench(3000, 20 if args.quick else 200, repeats=1 if args.quick else 3),
        "adjusted": lambda: adjusted_bench(5000, 50) if args.quick else adjusted_bench(),
    }
    unknown = [name for name in args.sections.split(",") if name not in runners]
    if unknown:
        print(f"--sections: only {', '.join(runners)} can run alone (not {', '.join(unknown)})", file=sys.stderr)
        return 2
    try:
        with open(args.out, encoding="utf-8") as handle:
            results: dict[str, Any] = json.load(handle)
    except FileNotFoundError:
        results = {}
    for name in args.sections.split(","):
        results[name] = runners[name]()
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=2)
    if "vs_r" in results:
        _print_vs_r(results["vs_r"])
    if "ingest" in args.sections.split(","):
        print_ingest(results["ingest"])
    if "emulation" in args.sections.split(","):
        emulation = results["emulation"]
        print(f"emulate_trial n={emulation['n']}, {emulation['n_bootstrap']} resamples: {emulation['median_s']:.2f} s")
    if "adjusted" in args.sections.split(","):
        print_adjusted(results["adjusted"])
    print(f"JSON written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
