"""`ppx km`: Kaplan–Meier estimates and group comparisons for any CSV or TSV file.

Times stay in the file's own unit. ``--json`` prints a stable contract:
``conf_type``, ``n_excluded``, ``groups`` (each with ``group``, ``n``,
``events``, ``median``, ``median_ci`` and ``at``: ``time``, ``survival``,
``ci``, ``n_at_risk``), ``test`` (``name``, ``statistic``, ``df``, ``p``, or
null without ``--by``) and ``pairwise``. More keys may be added; these never
change. Not-reached medians and bounds are null.
"""

from __future__ import annotations

import argparse
from typing import Any

from analysis.caveats import Caveat, caveats
from analysis.compare import (
    ADJUST_METHODS,
    TEST_LABELS,
    TEST_NAMES,
    PairwiseResult,
    TestResult,
    compare_survival,
    pairwise_tests,
)
from analysis.cox import CoxResult
from analysis.errors import UndefinedComparisonError
from analysis.formatting import UNDEFINED, fmt_estimate_ci, fmt_hr, fmt_p, fmt_p_eq, fmt_pct_ci, fmt_stat
from analysis.km import CONF_TYPES, KMResult, km_by_group
from analysis.postprog import time_varying_counterpart
from analysis.survdata import survival_data
from cli.common import (
    add_filter_option,
    add_json_option,
    add_survival_columns,
    aligned,
    caveat_notes,
    cohort_frame,
    endpoint_of,
    load_frame,
    note,
    parse_times,
)
from cli.jsonout import dumps


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "km",
        help="Kaplan–Meier curves, medians, survival at fixed times and group tests for a CSV file",
        description="Kaplan–Meier estimates (agreeing with R's survival package) for any CSV/TSV file. "
        "Times are in the file's own unit. Rows missing a needed value are excluded and counted.",
    )
    add_survival_columns(parser)
    parser.add_argument("--start", metavar="COL", help="entry time column for left truncation (delayed entry)")
    parser.add_argument(
        "--by",
        metavar="COL",
        help="group column, or a derived grouping of a canonical cohort (pp_group, afp_high); without it one "
        "group 'all'",
    )
    parser.add_argument("--times", default="", metavar="T1,T2", help="times for survival and number at risk")
    parser.add_argument(
        "--conf-type", choices=CONF_TYPES, default="log-log", help="95%% CI transform (default log-log)"
    )
    parser.add_argument("--test", choices=TEST_NAMES, default="logrank", help="test between groups (default logrank)")
    parser.add_argument("--fh-p", type=float, default=0.0, metavar="P", help="Fleming–Harrington p (default 0)")
    parser.add_argument("--fh-q", type=float, default=0.0, metavar="Q", help="Fleming–Harrington q (default 0)")
    parser.add_argument(
        "--pairwise", choices=ADJUST_METHODS, default="none", help="pairwise tests with this p adjustment"
    )
    parser.add_argument("--tau", type=float, metavar="T", help="horizon for the restricted mean survival time")
    add_filter_option(parser)
    add_json_option(parser)
    parser.set_defaults(func=run)


def _tests(
    args: argparse.Namespace, result: KMResult, frame: Any
) -> tuple[TestResult | None, str | None, tuple[PairwiseResult, ...]]:
    if args.by is None:
        return None, None, ()
    data = survival_data(frame, args.time, args.event, start=args.start, extra=(args.by,)).frame
    groups = data[args.by] if args.by in data.columns else frame.loc[data.index, args.by]
    entry = data["start"] if args.start else None
    options: dict[str, Any] = {"test": args.test, "fh_p": args.fh_p, "fh_q": args.fh_q, "entry": entry}
    order = [g.group for g in result.groups]
    try:
        test = compare_survival(data["time"], data["event"], groups, group_order=order, **options)
    except UndefinedComparisonError as exc:
        return None, str(exc), ()
    pairs: tuple[PairwiseResult, ...] = ()
    if args.pairwise != "none":
        pairs = pairwise_tests(data["time"], data["event"], groups, adjust=args.pairwise, group_order=order, **options)
    return test, None, pairs


def to_json(
    result: KMResult,
    test: TestResult | None,
    test_note: str | None,
    pairs: tuple[PairwiseResult, ...],
    found: tuple[Caveat, ...] = (),
    varying: CoxResult | None = None,
    varying_note: str | None = None,
) -> dict[str, Any]:
    """The stable JSON contract of ``ppx km --json`` (keys only ever added)."""
    return {
        "conf_type": result.conf_type,
        "n_excluded": result.n_excluded,
        "groups": [g.to_dict(include_curve=False) for g in result.groups],
        "test": None if test is None else test.to_dict(),
        "test_note": test_note,
        "pairwise": [p.to_dict() for p in pairs],
        "followup": result.followup.to_dict(),
        "warnings": [c.warning() for c in found],
        "caveats": [c.to_dict() for c in found],
        "time_varying": None if varying is None else varying.to_dict(),
        "time_varying_note": varying_note,
    }


def _survival(value: float | None, lower: float | None, upper: float | None) -> str:
    return "unknown (beyond follow-up)" if value is None else fmt_pct_ci(value, lower, upper)


def _text(
    args: argparse.Namespace,
    result: KMResult,
    test: TestResult | None,
    test_note: str | None,
    pairs: tuple[PairwiseResult, ...],
    varying: CoxResult | None = None,
    varying_note: str | None = None,
) -> str:
    n_used = sum(g.n for g in result.groups)
    by = f" by {args.by!r}" if args.by else ""
    lines = [
        f"Kaplan–Meier of {args.time!r} (event {args.event!r}){by}: {n_used} patients, "
        f"{result.n_excluded} excluded for missing values; 95% CI: {result.conf_type}.",
        "",
    ]
    rows = [[g.group, str(g.n), str(g.events), fmt_estimate_ci(g.median, *g.median_ci)] for g in result.groups]
    lines += aligned(["group", "n", "events", "median (95% CI)"], rows, right=[False, True, True, False])
    if any(g.at for g in result.groups):
        rows = [
            [
                g.group,
                f"{a.time:g}",
                str(a.n_at_risk),
                str(a.cum_events),
                str(a.cum_censored),
                _survival(a.survival, *a.ci),
            ]
            for g in result.groups
            for a in g.at
        ]
        header = ["group", "time", "at risk", "events", "censored", "survival (95% CI)"]
        lines += ["", *aligned(header, rows, right=[False, True, True, True, True, False])]
    if args.tau is not None:
        lines += ["", f"Restricted mean survival time up to {args.tau:g}:"]
        rows = [
            [g.group, fmt_estimate_ci(g.rmst.estimate, *g.rmst.ci, digits=2), f"SE {g.rmst.std_err:.2f}"]
            for g in result.groups
            if g.rmst is not None
        ]
        lines += ["  " + line for line in aligned(["group", "RMST (95% CI)", ""], rows)]
    follow = result.followup
    lines += ["", f"Median follow-up (reverse Kaplan–Meier): {fmt_estimate_ci(follow.median, *follow.ci)}"]
    if test is not None:
        lines += ["", f"{test.description}: chi-square = {test.statistic:.2f} on {test.df} df, {fmt_p_eq(test.p)}"]
    elif test_note:
        lines += ["", f"No {TEST_LABELS[args.test]} test: {test_note}"]
    if pairs:
        lines += ["", f"Pairwise {TEST_LABELS[args.test]} tests (p adjusted: {args.pairwise}):"]
        rows = [
            [
                f"{pair.groups[0]} vs {pair.groups[1]}",
                fmt_stat(pair.statistic),
                UNDEFINED if pair.p is None else fmt_p(pair.p),
                UNDEFINED if pair.p_adjusted is None else fmt_p(pair.p_adjusted),
            ]
            for pair in pairs
        ]
        lines += ["  " + line for line in aligned(["pair", "chi-square", "p", "adjusted p"], rows)]
    if varying is not None:
        lines += ["", "Time-varying counterpart (Cox, exposure switched on at pp_start; OS from first-line start):"]
        rows = [[t.term, fmt_hr(t.hr, t.ci), fmt_p(t.p)] for t in varying.terms]
        lines += ["  " + line for line in aligned(["term", "HR (95% CI)", "p"], rows)]
    elif varying_note:
        lines += ["", f"Corrected counterpart: {varying_note}"]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    loaded = load_frame(args.data, args.filters, [args.by])
    frame = loaded.frame
    times = parse_times(args.times)
    result = km_by_group(
        frame,
        args.time,
        args.event,
        args.by,
        start_col=args.start,
        conf_type=args.conf_type,
        times=times,
        tau=args.tau,
    )
    test, test_note, pairs = _tests(args, result, frame)
    found = caveats([args.by], endpoint_of(args.time))
    caveat_notes("km", found)
    cohort = cohort_frame(args.data, loaded.spec) if found and loaded.canonical else None
    varying, varying_note = time_varying_counterpart(cohort, [], found)
    if not loaded.spec.is_empty:
        note("km", f"filters: {loaded.spec.describe()} ({len(frame)} of {loaded.n_before_filters} patients)")
    if args.json:
        print(dumps(to_json(result, test, test_note, pairs, found, varying, varying_note)))
    else:
        print(_text(args, result, test, test_note, pairs, varying, varying_note))
    return 0
