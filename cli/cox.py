"""`ppx cox`: a Cox proportional-hazards model (Efron ties, as R's coxph) for any CSV or TSV file.

Times stay in the file's own unit. ``--json`` prints a stable contract:
``n``, ``events``, ``ties``, ``n_excluded``, ``terms`` (each with ``term``,
``coef``, ``se``, ``hr``, ``ci``, ``p``, and for a category's level
"COLUMN=LEVEL" its ``reference``), ``lr_test`` (``statistic``, ``df``, ``p``)
and ``concordance``. More keys may be added (``wald_test``, ``score_test``,
``warnings``, ``zph`` with ``--zph``, ``se_robust`` per term, ``robust``, ``weights``,
``cluster``, ``n_clusters``, ``robust_score_test``, ``notes`` ...); these never change.
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from analysis.cox import CoxResult, ZphResult, cox_zph, fit_cox
from analysis.errors import DataError
from analysis.io import read_table


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "cox",
        help="Cox proportional-hazards model (hazard ratios, tests, concordance, PH check) for a CSV file",
        description="Cox proportional-hazards model with Efron ties (agreeing with R's coxph) for any CSV/TSV "
        "file. Times are in the file's own unit. Rows missing a needed value are excluded and counted. "
        "Text columns are categorical; the reference level is the first in natural order unless --reference.",
    )
    parser.add_argument("--data", required=True, metavar="FILE", help="CSV file (TSV if it ends in .tsv)")
    parser.add_argument("--time", required=True, metavar="COL", help="follow-up time column (stop time)")
    parser.add_argument("--event", required=True, metavar="COL", help="event column coded 0/1 or true/false")
    parser.add_argument("--start", metavar="COL", help="start time column: (start, stop] counting-process rows")
    parser.add_argument("--covariates", required=True, metavar="A,B,C", help="covariate columns, comma-separated")
    parser.add_argument("--categorical", default="", metavar="C,D", help="numeric-coded columns to treat as categories")
    parser.add_argument(
        "--reference",
        action="append",
        default=[],
        metavar="COL=LEVEL",
        help="reference level of a categorical covariate (repeat for several)",
    )
    parser.add_argument("--strata", metavar="COL", help="stratify: a separate baseline hazard per value")
    parser.add_argument("--weights", metavar="COL", help="case-weight column (numbers > 0), as coxph(weights = )")
    parser.add_argument(
        "--robust",
        action="store_const",
        const=True,
        default=None,
        help="robust (sandwich) SEs, as coxph(robust = TRUE); on by default, as R, with --cluster or "
        "non-integer weights",
    )
    parser.add_argument("--cluster", metavar="COL", help="rows sharing a value are one patient (robust variance)")
    parser.add_argument(
        "--time-varying",
        default="",
        metavar="pp_received,pp_ici",
        help="canonical cohort files only: these exposures switch on at pp_start (counting-process data built "
        "from the dates; guards against immortal-time bias). --time/--event give the endpoint (e.g. os_months)",
    )
    parser.add_argument("--zph", action="store_true", help="also test proportional hazards (R's cox.zph, km)")
    parser.add_argument("--json", action="store_true", help="print the stable JSON contract")
    parser.set_defaults(func=run)


def parse_columns(text: str, option: str) -> list[str]:
    """``"age, sex"`` → ["age", "sex"]."""
    columns = [part.strip() for part in text.split(",") if part.strip()]
    if option == "--covariates" and not columns:
        raise DataError("--covariates needs at least one column name, e.g. --covariates age,sex")
    return columns


def parse_references(items: list[str]) -> dict[str, str]:
    """``["ecog=0", "sex=M"]`` → {"ecog": "0", "sex": "M"}."""
    references: dict[str, str] = {}
    for item in items:
        column, sep, level = item.partition("=")
        if not sep or not column.strip() or not level.strip():
            raise DataError(f"--reference must look like COLUMN=LEVEL, e.g. ecog=0; got {item!r}")
        references[column.strip()] = level.strip()
    return references


def _finite(value: Any) -> Any:
    """Infinite or undefined numbers (an infinite coefficient's HR or CI) become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


def to_json(result: CoxResult, zph: ZphResult | None) -> dict[str, Any]:
    """The stable JSON contract of ``ppx cox --json``; infinite values are null."""
    out = result.to_dict()
    if zph is not None:
        out["zph"] = zph.to_dict()
    finite: dict[str, Any] = _finite(out)
    return finite


def _number(value: float, digits: int = 3) -> str:
    if math.isinf(value):
        return "inf"
    return f"{value:.{digits}g}" if abs(value) < 1000 else f"{value:.4g}"


def _p(value: float) -> str:
    return "< 0.0001" if value < 0.0001 else f"{value:.4f}"


def _p_equals(value: float) -> str:
    return "p < 0.0001" if value < 0.0001 else f"p = {value:.4f}"


def _text(args: argparse.Namespace, result: CoxResult, zph: ZphResult | None) -> str:
    strata = f", stratified by {result.strata!r}" if result.strata else ""
    lines = [
        f"Cox model of {args.time!r} (event {args.event!r}){strata}: n = {result.n}, events = {result.events}, "
        f"{result.n_excluded} excluded for missing values; ties: {result.ties}.",
        "",
        f"{'term':<28}{'HR (95% CI, robust SE)' if result.robust else 'HR (95% CI)':<26}p",
    ]
    for term in result.terms:
        label = term.term if term.reference is None else f"{term.term} (vs {term.reference})"
        hr = f"{_number(term.hr)} ({_number(term.ci[0])}–{_number(term.ci[1])})"
        lines.append(f"{label:<28}{hr:<26}{_p(term.p)}")
    lines.append("")
    for test in (result.lr_test, result.wald_test, result.score_test):
        lines.append(
            f"{test.name.capitalize()} test: chi-square = {test.statistic:.4g} on {test.df} df, {_p_equals(test.p)}"
        )
    se = "" if result.concordance_se is None else f" (SE {result.concordance_se:.3f})"
    lines.append(f"Concordance: {result.concordance:.3f}{se}")
    if zph is not None:
        lines += ["", "Proportional hazards (cox.zph, Kaplan–Meier time transform):"]
        for row in (*zph.terms, zph.global_test):
            lines.append(f"  {row.term:<26}chi-square = {row.chisq:.4g} on {row.df} df, {_p_equals(row.p)}")
    if result.weights:
        lines.append(f"Case weights: {result.weights!r}.")
    lines += result.notes
    if result.robust_score_test is not None:
        test = result.robust_score_test
        lines.append(f"Robust score test: chi-square = {test.statistic:.4g} on {test.df} df, {_p_equals(test.p)}")
    if result.warnings:
        lines += ["", "Warnings:", *(f"  - {warning}" for warning in result.warnings)]
    return "\n".join(lines)


def _time_varying_frame(args: argparse.Namespace, covariates: list[str]) -> tuple[Any, list[str]]:
    """Counting-process rows (start, stop] split at pp_start, from a canonical cohort file."""
    from analysis.cohort import load_cohort
    from analysis.postprog import counting_process

    if args.start:
        raise DataError("--time-varying builds the (start, stop] rows itself; do not also give --start")
    exposures = parse_columns(args.time_varying, "--time-varying")
    cohort = load_cohort(args.data)
    baseline = [c for c in covariates if c not in exposures]
    extra = [c for c in dict.fromkeys((args.strata, args.weights, args.cluster)) if c and c not in baseline]
    long = counting_process(cohort.frame, exposures, [*baseline, *extra], time_col=args.time, event_col=args.event)
    args.time, args.event, args.start = "stop", "event", "start"
    return long, [*exposures, *baseline]


def run(args: argparse.Namespace) -> int:
    covariates = parse_columns(args.covariates, "--covariates")
    if args.time_varying:
        frame, covariates = _time_varying_frame(args, covariates)
    else:
        frame = read_table(args.data)
    options: dict[str, Any] = {
        "categorical": parse_columns(args.categorical, "--categorical"),
        "reference": parse_references(args.reference),
        "strata": args.strata,
        "start_col": args.start,
    }
    variance = {"weights": args.weights, "robust": args.robust, "cluster": args.cluster}
    result = fit_cox(frame, args.time, args.event, covariates, **options, **variance)
    zph = cox_zph(frame, args.time, args.event, covariates, **options) if args.zph else None
    if args.json:
        print(json.dumps(to_json(result, zph), indent=2, allow_nan=False))
    else:
        print(_text(args, result, zph))
    return 0
