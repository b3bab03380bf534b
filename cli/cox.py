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
from typing import Any

from analysis.caveats import Caveat, caveats
from analysis.cox import CoxResult, ZphResult, cox_zph, fit_cox
from analysis.errors import DataError
from analysis.formatting import estimable, fmt_hr, fmt_p, fmt_p_eq
from analysis.postprog import time_varying_counterpart
from analysis.sparse import Merge, merge_sparse_levels, sparse_levels
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
)
from cli.jsonout import dumps


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "cox",
        help="Cox proportional-hazards model (hazard ratios, tests, concordance, PH check) for a CSV file",
        description="Cox proportional-hazards model with Efron ties (agreeing with R's coxph) for any CSV/TSV "
        "file. Times are in the file's own unit. Rows missing a needed value are excluded and counted. "
        "Text columns are categorical; the reference level is the first in natural order unless --reference.",
    )
    add_survival_columns(parser)
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
    parser.add_argument(
        "--merge-sparse",
        action="store_true",
        help="merge each level with < 5 patients or < 2 events into the adjacent level (as the Cox page's switch)",
    )
    add_filter_option(parser)
    add_json_option(parser)
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


def to_json(
    result: CoxResult,
    zph: ZphResult | None,
    found: tuple[Caveat, ...] = (),
    varying: CoxResult | None = None,
    varying_note: str | None = None,
) -> dict[str, Any]:
    """The stable JSON contract of ``ppx cox --json``; non-finite values are null (:mod:`cli.jsonout`).

    Added keys: each term's ``estimable`` (false when the HR or a bound is 0 or infinite: its Wald p means
    nothing then; read the likelihood-ratio or score test), ``warnings`` (text lines; the immortal-time caveats of
    covariates defined after time zero) and ``time_varying_model`` (their corrected counterpart).
    """
    out = result.to_dict()
    for term, entry in zip(result.terms, out["terms"], strict=True):
        entry["estimable"] = estimable(term.hr, term.ci)
    if zph is not None:
        out["zph"] = zph.to_dict()
    out["warnings"] = [*out.get("warnings", []), *(c.warning() for c in found)]  # strings, as the fit's own
    out["caveats"] = [c.to_dict() for c in found]
    out["time_varying_model"] = None if varying is None else varying.to_dict()
    out["time_varying_note"] = varying_note
    return out


def _term_rows(result: CoxResult) -> list[list[str]]:
    rows = []
    for term in result.terms:
        label = term.term if term.reference is None else f"{term.term} (vs {term.reference})"
        shown = estimable(term.hr, term.ci)
        rows.append([label, fmt_hr(term.hr, term.ci), fmt_p(term.p) if shown else "–"])
    return rows


def _text(
    args: argparse.Namespace,
    result: CoxResult,
    zph: ZphResult | None,
    varying: CoxResult | None = None,
    varying_note: str | None = None,
) -> str:
    strata = f", stratified by {result.strata!r}" if result.strata else ""
    lines = [
        f"Cox model of {args.time!r} (event {args.event!r}){strata}: n = {result.n}, events = {result.events}, "
        f"{result.n_excluded} excluded for missing values; ties: {result.ties}.",
        "",
        *aligned(["term", "HR (95% CI, robust SE)" if result.robust else "HR (95% CI)", "p"], _term_rows(result)),
    ]
    if any(not estimable(t.hr, t.ci) for t in result.terms):
        lines.append("A not-estimable HR has no Wald p; read the likelihood-ratio and score tests below.")
    lines.append("")
    for test in (result.lr_test, result.wald_test, result.score_test):
        lines.append(
            f"{test.name.capitalize()} test: chi-square = {test.statistic:.4g} on {test.df} df, {fmt_p_eq(test.p)}"
        )
    se = "" if result.concordance_se is None else f" (SE {result.concordance_se:.3f})"
    lines.append(f"Concordance: {result.concordance:.3f}{se}")
    if zph is not None:
        lines += ["", "Proportional hazards (cox.zph, Kaplan–Meier time transform):"]
        rows = [
            [row.term, f"chi-square = {row.chisq:.4g} on {row.df} df", fmt_p_eq(row.p)]
            for row in (*zph.terms, zph.global_test)
        ]
        lines += ["  " + line for line in aligned(["term", "test", "p"], rows)]
    if result.weights:
        lines.append(f"Case weights: {result.weights!r}.")
    lines += result.notes
    if result.robust_score_test is not None:
        test = result.robust_score_test
        lines.append(f"Robust score test: chi-square = {test.statistic:.4g} on {test.df} df, {fmt_p_eq(test.p)}")
    if result.warnings:
        lines += ["", "Warnings:", *(f"  - {warning}" for warning in result.warnings)]
    if varying is not None:
        lines += ["", "Time-varying counterpart (exposures switched on at pp_start):"]
        lines += ["  " + line for line in aligned(["term", "HR (95% CI)", "p"], _term_rows(varying))]
    elif varying_note:
        lines += ["", f"Corrected counterpart: {varying_note}"]
    return "\n".join(lines)


def _time_varying_frame(args: argparse.Namespace, covariates: list[str]) -> tuple[Any, list[str]]:
    """Counting-process rows (start, stop] split at pp_start, from a canonical cohort file."""
    from analysis.postprog import counting_process
    from cli.common import parse_filters

    if args.start:
        raise DataError("--time-varying builds the (start, stop] rows itself; do not also give --start")
    exposures = parse_columns(args.time_varying, "--time-varying")
    cohort = cohort_frame(args.data, parse_filters(args.filters))
    baseline = [c for c in covariates if c not in exposures]
    extra = [c for c in dict.fromkeys((args.strata, args.weights, args.cluster)) if c and c not in baseline]
    long = counting_process(cohort, exposures, [*baseline, *extra], time_col=args.time, event_col=args.event)
    args.time, args.event, args.start = "stop", "event", "start"
    return long, [*exposures, *baseline]


def run(args: argparse.Namespace) -> int:
    covariates = parse_columns(args.covariates, "--covariates")
    endpoint = endpoint_of(args.time)
    canonical = False
    if args.time_varying:
        frame, covariates = _time_varying_frame(args, covariates)
        spec = None
    else:
        loaded = load_frame(args.data, args.filters, covariates)
        frame, canonical, spec = loaded.frame, loaded.canonical, loaded.spec
        if not spec.is_empty:
            note("cox", f"filters: {spec.describe()} ({len(frame)} of {loaded.n_before_filters} patients)")
    options: dict[str, Any] = {
        "categorical": parse_columns(args.categorical, "--categorical"),
        "reference": parse_references(args.reference),
        "strata": args.strata,
        "start_col": args.start,
    }
    merges: tuple[Merge, ...] = ()
    if args.merge_sparse:
        frame, merges = merge_sparse_levels(
            frame, args.time, args.event, covariates, categorical=options["categorical"]
        )
    variance = {"weights": args.weights, "robust": args.robust, "cluster": args.cluster}
    result = fit_cox(frame, args.time, args.event, covariates, **options, **variance)
    zph = cox_zph(frame, args.time, args.event, covariates, **options) if args.zph else None
    for merge in merges:  # notes only once the model is fitted: an error stays one line
        note("cox", f"sparse level merged: {merge.describe()}")
    for level in sparse_levels(frame, args.time, args.event, covariates, categorical=options["categorical"]):
        note("cox", f"sparse level (< 5 patients or < 2 events; its HR is unstable): {level.describe()}")
    time_varying = set(parse_columns(args.time_varying, "--time-varying"))
    found = caveats([c for c in covariates if c not in time_varying], endpoint)
    caveat_notes("cox", found)
    cohort = cohort_frame(args.data, spec) if found and canonical and spec is not None else None
    varying, varying_note = time_varying_counterpart(cohort, covariates, found, categorical=options["categorical"])
    if args.json:
        print(dumps(to_json(result, zph, found, varying, varying_note)))
    else:
        print(_text(args, result, zph, varying, varying_note))
    return 0
