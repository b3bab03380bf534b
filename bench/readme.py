"""Regenerate the README's "ppx vs R" performance table from bench/results.json, and its browser table from
bench/browser.json (``python -m bench.browser``) when that file exists.

    python -m bench.readme [--results bench/results.json] [--browser bench/browser.json] [--readme README.md]

Only the text between each pair of marker comments is replaced; the rest of the README is untouched.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

START = "<!-- bench:vs-r:start (python -m bench.readme) -->"
END = "<!-- bench:vs-r:end -->"
BROWSER_START = "<!-- bench:browser:start (python -m bench.readme) -->"
BROWSER_END = "<!-- bench:browser:end -->"
STEPS = {
    "km": "KM by group + medians + survival at 3 times",
    "logrank": "log-rank",
    "fh_rho1": "weighted log-rank (Fleming–Harrington ρ = 1)",
    "cox": "Cox (Efron), 6 covariates + 4-level factor, with concordance",
}


def _time(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    return f"{1000 * seconds:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def table(block: dict[str, Any]) -> str:
    """The markdown table (and its caption) for one ``vs_r`` block of the bench JSON."""
    lines = [
        f"Measured {block['date']} on this {block['cpus']}-CPU machine, shared (1-minute load average "
        f"{block['load_average_1min'][0]} at the start, {block['load_average_1min'][1]} at the end); "
        f"{block['r_version'] or 'R skipped: ' + str(block['r_skipped'])}; medians, R timed inside R. "
        "Absolute times are this machine's under that load; the ratios come from one run on the same data. "
        "Times are wall-clock medians; the ratios are given for wall-clock and [in brackets] for CPU time "
        "(user + system, all threads), which other jobs on a shared machine inflate much less.",
        "",
        "| n | step | R survival | lifelines | ppx | ppx / R | ppx / lifelines |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in block["rows"]:
        n = f"{row['n']:,}" + (", untied times" if row["untied"] else "")
        r_ratio = f"{_ratio(row['ppx_over_r'])} [{_ratio(row.get('ppx_over_r_cpu'))}]"
        l_ratio = f"{_ratio(row['ppx_over_lifelines'])} [{_ratio(row.get('ppx_over_lifelines_cpu'))}]"
        lines.append(
            f"| {n} | {STEPS[row['step']]} | {_time(row['r_s'])} | {_time(row['lifelines_s'])} | "
            f"{_time(row['ppx_s'])} | {r_ratio} | {l_ratio} |"
        )
    lines += ["", *targets(block)]
    if block.get("lifelines_skipped_above_n"):
        lines += [
            "",
            f"lifelines is not run above n = {block['lifelines_skipped_above_n']:,} (over a minute per Cox fit).",
        ]
    return "\n".join(lines)


TARGETS = (
    ("Cox ≤ 0.5 of R at n ≥ 50,000", ("cox",), 50_000, "ppx_over_r", 0.5),
    ("KM, log-rank and the weighted test ≤ 0.6 of R", ("km", "logrank", "fh_rho1"), 0, "ppx_over_r", 0.6),
    ("Cox no slower than lifelines at n ≥ 5,000", ("cox",), 5_000, "ppx_over_lifelines", 1.0),
)


def targets(block: dict[str, Any]) -> list[str]:
    """Issue 16's targets, each said met or not met in this run (wall-clock and CPU-time ratios)."""
    out = []
    for label, steps, min_n, key, limit in TARGETS:
        rows = [r for r in block["rows"] if r["step"] in steps and r["n"] >= min_n and r.get(key) is not None]
        if not rows:
            out.append(f"- {label}: not measured in this run.")
            continue
        wall = [r[key] for r in rows]
        cpu = [r.get(f"{key}_cpu") for r in rows]
        verdict = "met" if all(v <= limit for v in wall) else "not met"
        cpu_verdict = "met" if all(v is not None and v <= limit for v in cpu) else "not met"
        worst = max(wall)
        worst_cpu = max(v for v in cpu if v is not None) if any(v is not None for v in cpu) else None
        out.append(
            f"- {label}: {verdict} by wall-clock time (worst {worst:.2f}), {cpu_verdict} by CPU time "
            f"(worst {_ratio(worst_cpu)})."
        )
    return ["Targets of issue 16 in this run:", *out]


def update(readme: str, block: dict[str, Any]) -> str:
    """``readme`` with the text between the markers replaced by :func:`table`."""
    if START not in readme or END not in readme:
        raise SystemExit(f"README has no {START} … {END} markers")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table(block)}\n{END}{tail}"


def browser_table(results: dict[str, Any]) -> str:
    """The browser timings (:func:`bench.browser.markdown_table`) with when and under what load they were taken."""
    from bench.browser import markdown_table

    loads = [f"{size['n']:,}: {size['load_average_before']:.1f} → {size['load_average_after']:.1f}" for size in
             results["sizes"]]  # fmt: skip
    caption = (
        f"Run of {results['date']} ({results['setup']['gunicorn_workers']} gunicorn workers, medians of "
        f"{results['setup']['repeats']}); 1-minute load average before → after, by cohort size: {'; '.join(loads)}."
    )
    return f"{markdown_table(results)}\n\n{caption}"


def update_browser(readme: str, results: dict[str, Any]) -> str:
    """``readme`` with the text between the browser markers replaced by :func:`browser_table`."""
    if BROWSER_START not in readme or BROWSER_END not in readme:
        raise SystemExit(f"README has no {BROWSER_START} … {BROWSER_END} markers")
    head, rest = readme.split(BROWSER_START, 1)
    _, tail = rest.split(BROWSER_END, 1)
    return f"{head}{BROWSER_START}\n{browser_table(results)}\n{BROWSER_END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--results", default="bench/results.json")
    parser.add_argument("--browser", default="bench/browser.json")
    parser.add_argument("--readme", default="README.md")
    args = parser.parse_args(argv)
    block = json.loads(Path(args.results).read_text(encoding="utf-8")).get("vs_r")
    if block is None:
        raise SystemExit(f"{args.results} has no 'vs_r' section: run make bench first")
    path = Path(args.readme)
    text = update(path.read_text(encoding="utf-8"), block)
    if Path(args.browser).exists():
        text = update_browser(text, json.loads(Path(args.browser).read_text(encoding="utf-8")))
        print(f"{args.readme}: browser table regenerated from {args.browser}")
    path.write_text(text, encoding="utf-8")
    print(f"{args.readme}: performance table regenerated from {args.results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
