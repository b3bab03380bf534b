"""`ppx landmark`: landmark analysis of OS by a post-progression exposure, on a canonical cohort file.

The exposure (``pp_received`` or ``pp_ici``) is read at the landmark from
``pp_start``: patients alive and followed beyond the landmark are grouped by
whether therapy had started by then, and time restarts at the landmark.
"""

from __future__ import annotations

import argparse
from typing import Any

from analysis.formatting import NOT_ESTIMABLE, estimable, fmt_estimate_ci, fmt_hr, fmt_p_eq
from analysis.postprog import EXPOSURES, LandmarkResult, landmark_analysis
from cli.common import add_filter_option, aligned, cohort_frame, note, parse_filters, parse_times
from cli.jsonout import dumps


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
    add_filter_option(parser)
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=run)


def to_json(result: LandmarkResult) -> dict[str, Any]:
    """``ppx landmark --json``: the result's keys, plus ``hr_estimable`` (false: no Wald p; read ``test``)."""
    out = result.to_dict()
    hr = result.hr
    out["hr_estimable"] = hr is not None and estimable(hr.hr, hr.ci)
    return out


def _text(args: argparse.Namespace, result: LandmarkResult) -> str:
    lines = [
        f"Landmark at {result.landmark:g} months, exposure {args.group!r}: {result.n_eligible} of {result.n_total} "
        f"patients alive and followed beyond the landmark ({result.n_excluded} excluded).",
        "",
    ]
    rows = [[g.group, str(g.n), str(g.events), fmt_estimate_ci(g.median, *g.median_ci)] for g in result.km.groups]
    lines += aligned(
        ["group", "n", "events", "median after landmark, months (95% CI)"], rows, right=[False, True, True, False]
    )
    lines.append("")
    if result.test is not None:
        lines.append(
            f"Log-rank (score) test: chi-square = {result.test.statistic:.2f} on {result.test.df} df, "
            f"{fmt_p_eq(result.test.p)}"
        )
    elif result.test_note:
        lines.append(f"No log-rank test: {result.test_note}")
    hr = result.hr
    if hr is not None and estimable(hr.hr, hr.ci):
        lines.append(f"Cox HR (exposed vs not at the landmark): {fmt_hr(hr.hr, hr.ci)}, Wald {fmt_p_eq(hr.p)}")
    elif hr is not None:
        lines.append(
            f"Cox HR (exposed vs not at the landmark): {NOT_ESTIMABLE} (no events in a group after the landmark); "
            "no Wald p: read the log-rank (score) test above."
        )
    elif result.cox_note:
        lines.append(f"No hazard ratio: {result.cox_note}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    spec = parse_filters(args.filters)
    frame = cohort_frame(args.data, spec)
    if not spec.is_empty:
        note("landmark", f"filters: {spec.describe()} ({len(frame)} patients)")
    covariates = [c.strip() for c in args.covariates.split(",") if c.strip()]
    result = landmark_analysis(frame, args.landmark, args.group, covariates=covariates, times=parse_times(args.times))
    print(dumps(to_json(result)) if args.json else _text(args, result))
    return 0
