"""`ppx reproduce`: the "Reproduce this view" zip of a dashboard view from the command line.

The zip holds the view's data (only the columns it needs, no identifying column),
a README with the product version, data fingerprint, filters and expected results,
and an R script (survival + base R) and a Python script (lifelines + analysis) that
each print the view's numbers as JSON.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from analysis.cohort import load_cohort
from analysis.compare import TEST_NAMES
from analysis.errors import DataError
from analysis.filters import apply_filters
from analysis.km import CONF_TYPES
from analysis.schema import ENDPOINTS
from cli.common import add_filter_option, note, parse_filters

VIEWS = ("survival", "cox", "response", "cohort")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "reproduce",
        help="zip of a dashboard view's data with R and Python scripts that recompute its numbers",
        description="Writes the zip the dashboard's Reproduce menu downloads: the view's data as CSV, a README "
        "with the expected results, and R (survival) and Python (lifelines) scripts printing them as JSON.",
    )
    parser.add_argument("--view", choices=VIEWS, required=True, help="the dashboard view")
    parser.add_argument("--data", required=True, metavar="FILE", help="canonical cohort CSV/TSV (see ppx dictionary)")
    parser.add_argument("--endpoint", choices=tuple(ENDPOINTS), default="os", help="endpoint (default os)")
    parser.add_argument(
        "--by",
        metavar="COL",
        help="grouping of the Survival or Response view (default: all patients) or of Table 1 (default first_line)",
    )
    parser.add_argument("--test", choices=TEST_NAMES, default="logrank", help="test between groups (default logrank)")
    parser.add_argument("--conf-type", choices=CONF_TYPES, default="log-log", help="KM 95%% CI (default log-log)")
    parser.add_argument("--pairwise", action="store_true", help="include the Holm-adjusted pairwise tests")
    parser.add_argument("--covariates", default="", metavar="A,B", help="the Cox view's model covariates")
    parser.add_argument("--merge-sparse", action="store_true", help="the Cox view's 'merge sparse levels'")
    add_filter_option(parser)
    parser.add_argument("--out", required=True, metavar="ZIP", help="the zip file to write")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from app import reproduce as bundles  # the pages' own preparation of the data (app.views)
    from app.views import COX_CANDIDATES, analysis_frame

    spec = parse_filters(args.filters)
    cohort = load_cohort(args.data)
    result = apply_filters(cohort.frame, spec)
    if result.n == 0:
        raise DataError(f"no patient matches the filters ({spec.describe()})")
    frame = analysis_frame(result.frame)
    if args.by is not None and args.by not in frame.columns:
        raise DataError(f"--by: no column {args.by!r} in the cohort")
    source = bundles.source_of(cohort.fingerprint, False, spec)
    if args.view == "cox":
        covariates = tuple(c.strip() for c in args.covariates.split(",") if c.strip())
        unknown = [c for c in covariates if c not in COX_CANDIDATES]
        if unknown:
            raise DataError(f"--covariates: unknown {', '.join(unknown)}; choose from {', '.join(COX_CANDIDATES)}")
        bundle = bundles.cox(frame, source, args.endpoint, covariates, args.merge_sparse)
    elif args.view == "cohort":
        bundle = bundles.cohort(frame, source, args.by or "first_line")
    elif args.view == "response":
        bundle = bundles.response(frame, source, args.by)
    else:
        bundle = bundles.survival(frame, source, args.endpoint, args.by, args.test, args.conf_type, args.pairwise)
    Path(args.out).write_bytes(bundle.to_zip())
    note("reproduce", f"wrote {args.out} ({spec.describe()}; {result.n} patients)")
    return 0
