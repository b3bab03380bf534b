"""`ppx landmark`: landmark analysis of OS by a post-progression exposure, on a canonical cohort file.

The exposure (``pp_received`` or ``pp_ici``) is read at the landmark from
``pp_start``: patients alive and followed beyond the landmark are grouped by
whether therapy had started by then, and time restarts at the landmark.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from analysis.cohort import load_cohort
from analysis.postprog import EXPOSURES, landmark_analysis
from cli.km import parse_times


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "landmark",
        help="landmark analysis of OS by post-progression therapy or ICI (immortal-time safe)",
        description=__doc__,
    )
    parser.add_argument("--data", required=True, metavar="FILE", help="cohort CSV in the canonical schema")
    parser.add_argument("--landmark", required=True, type=float, metavar="MONTHS", help="landmark in months")
    parser.add_argument(
        "--group", default="pp_received", choices=tuple(EXPOSURES), help="exposure read at the landmark"
    )
    parser.add_argument("--covariates", default="", metavar="A,B", help="baseline covariates for the Cox HR")
    parser.add_argument("--times", default="", metavar="T1,T2", help="months after the landmark for survival")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    cohort = load_cohort(args.data)
    covariates = [c.strip() for c in args.covariates.split(",") if c.strip()]
    result = landmark_analysis(
        cohort.frame, args.landmark, args.group, covariates=covariates, times=parse_times(args.times)
    )
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, allow_nan=False))
        return 0
    print(
        f"Landmark at {result.landmark:g} months, exposure {args.group!r}: {result.n_eligible} of {result.n_total} "
        f"patients alive and followed beyond the landmark ({result.n_excluded} excluded)."
    )
    for g in result.km.groups:
        median = "NR" if g.median is None else f"{g.median:.2f}"
        print(f"  {g.group:<28} n = {g.n:<5} events = {g.events:<5} median after landmark = {median} months")
    if result.test is not None:
        print(f"Log-rank chi-square = {result.test.statistic:.4g} on {result.test.df} df, p = {result.test.p:.4g}")
    elif result.test_note:
        print(f"No log-rank test: {result.test_note}")
    if result.hr is not None:
        hr = result.hr
        print(
            f"Cox HR (exposed vs not at the landmark) = {hr.hr:.3f} "
            f"(95% CI {hr.ci[0]:.3f}–{hr.ci[1]:.3f}), p = {hr.p:.4g}"
        )
    elif result.cox_note:
        print(f"No hazard ratio: {result.cox_note}")
    return 0
