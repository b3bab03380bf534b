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
import json
import math
from typing import Any

from analysis.compare import (
    ADJUST_METHODS,
    TEST_LABELS,
    TEST_NAMES,
    PairwiseResult,
    TestResult,
    compare_survival,
    pairwise_tests,
)
from analysis.errors import DataError, UndefinedComparisonError
from analysis.io import read_table
from analysis.km import CONF_TYPES, KMResult, km_by_group
from analysis.survdata import survival_data


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "km",
        help="Kaplan–Meier curves, medians, survival at fixed times and group tests for a CSV file",
        description="Kaplan–Meier estimates (agreeing with R's survival package) for any CSV/TSV file. "
        "Times are in the file's own unit. Rows missing a needed value are excluded and counted.",
    )
    parser.add_argument("--data", required=True, metavar="FILE", help="CSV file (TSV if it ends in .tsv)")
    parser.add_argument("--time", required=True, metavar="COL", help="follow-up time column (stop time)")
    parser.add_argument("--event", required=True, metavar="COL", help="event column coded 0/1 or true/false")
    parser.add_argument("--start", metavar="COL", help="entry time column for left truncation (delayed entry)")
    parser.add_argument("--by", metavar="COL", help="group column; without it one group 'all'")
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
    parser.add_argument("--json", action="store_true", help="print the stable JSON contract")
    parser.set_defaults(func=run)


def parse_times(text: str) -> tuple[float, ...]:
    """``"180,365"`` → (180.0, 365.0); an empty string gives no times."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    try:
        times = tuple(float(part) for part in parts)
    except ValueError as exc:
        raise DataError(f"--times must be numbers separated by commas, e.g. 180,365; got {text!r}") from exc
    if any(not math.isfinite(t) or t < 0 for t in times):
        raise DataError(f"--times must be numbers >= 0; got {text!r}")
    return times


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
    result: KMResult, test: TestResult | None, test_note: str | None, pairs: tuple[PairwiseResult, ...]
) -> dict[str, Any]:
    """The stable JSON contract of ``ppx km --json``."""
    return {
        "conf_type": result.conf_type,
        "n_excluded": result.n_excluded,
        "groups": [g.to_dict(include_curve=False) for g in result.groups],
        "test": None if test is None else test.to_dict(),
        "test_note": test_note,
        "pairwise": [p.to_dict() for p in pairs],
        "followup": result.followup.to_dict(),
    }


def _number(value: float | None, digits: int = 4) -> str:
    return "NR" if value is None else f"{value:.{digits}g}"


def _estimate(value: float | None, lower: float | None, upper: float | None, digits: int = 4) -> str:
    return f"{_number(value, digits)} ({_number(lower, digits)}–{_number(upper, digits)})"


def _p(value: float | None) -> str:
    if value is None:
        return "–"
    return "< 0.0001" if value < 0.0001 else f"{value:.4f}"


def _text(
    args: argparse.Namespace,
    result: KMResult,
    test: TestResult | None,
    test_note: str | None,
    pairs: tuple[PairwiseResult, ...],
) -> str:
    n_used = sum(g.n for g in result.groups)
    by = f" by {args.by!r}" if args.by else ""
    lines = [
        f"Kaplan–Meier of {args.time!r} (event {args.event!r}){by}: {n_used} patients, "
        f"{result.n_excluded} excluded for missing values; 95% CI: {result.conf_type}.",
        "",
        f"{'group':<16}{'n':>7}{'events':>8}  median (95% CI)",
    ]
    for g in result.groups:
        lines.append(f"{g.group:<16}{g.n:>7}{g.events:>8}  {_estimate(g.median, *g.median_ci)}")
    if any(g.at for g in result.groups):
        lines += ["", f"{'group':<16}{'time':>8}{'at risk':>9}{'events':>8}{'censored':>10}  survival (95% CI)"]
        for g in result.groups:
            for a in g.at:
                survival = (
                    "unknown (beyond follow-up)" if a.survival is None else _estimate(a.survival, *a.ci, digits=3)
                )
                lines.append(
                    f"{g.group:<16}{a.time:>8g}{a.n_at_risk:>9}{a.cum_events:>8}{a.cum_censored:>10}  {survival}"
                )
    if args.tau is not None:
        lines += ["", f"Restricted mean survival time up to {args.tau:g}:"]
        for g in result.groups:
            if g.rmst is not None:
                lines.append(f"  {g.group:<16}{_estimate(g.rmst.estimate, *g.rmst.ci)} (SE {g.rmst.std_err:.4g})")
    follow = result.followup
    lines += ["", f"Median follow-up (reverse Kaplan–Meier): {_estimate(follow.median, *follow.ci)}"]
    if test is not None:
        lines += ["", f"{test.description}: chi-square = {test.statistic:.4g} on {test.df} df, p = {_p(test.p)}"]
    elif test_note:
        lines += ["", f"No {TEST_LABELS[args.test]} test: {test_note}"]
    if pairs:
        lines += ["", f"Pairwise {TEST_LABELS[args.test]} tests (p adjusted: {args.pairwise}):"]
        for pair in pairs:
            statistic = "–" if pair.statistic is None else f"{pair.statistic:.4g}"
            lines.append(
                f"  {pair.groups[0]} vs {pair.groups[1]}: chi-square = {statistic}, p = {_p(pair.p)}, "
                f"adjusted p = {_p(pair.p_adjusted)}"
            )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    frame = read_table(args.data)
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
    if args.json:
        print(json.dumps(to_json(result, test, test_note, pairs), indent=2, allow_nan=False))
    else:
        print(_text(args, result, test, test_note, pairs))
    return 0
