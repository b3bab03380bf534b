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
from analysis.emulate import THERAPIES
from analysis.errors import DataError
from analysis.filters import apply_filters
from analysis.km import CONF_TYPES
from analysis.reproduce import VIEWS
from analysis.schema import ENDPOINTS
from analysis.weights import ESTIMANDS
from cli.common import add_filter_option, note, parse_filters


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
        help="grouping of the Survival or Response view (default: all patients), of Table 1 (default first_line) "
        "or of the immortal-time guard (a post-progression variable, default pp_received)",
    )
    parser.add_argument("--test", choices=TEST_NAMES, default="logrank", help="test between groups (default logrank)")
    parser.add_argument("--conf-type", choices=CONF_TYPES, default="log-log", help="KM 95%% CI (default log-log)")
    parser.add_argument("--pairwise", action="store_true", help="include the Holm-adjusted pairwise tests")
    parser.add_argument("--covariates", default="", metavar="A,B", help="the Cox view's model covariates")
    parser.add_argument("--merge-sparse", action="store_true", help="the Cox view's 'merge sparse levels'")
    adjusted = parser.add_argument_group("the adjusted view (Survival page's propensity-weighted panel)")
    adjusted.add_argument(
        "--comparison", default="first_line", help="first_line (default), pp_landmark or ici_lenvatinib"
    )
    adjusted.add_argument("--estimand", choices=ESTIMANDS, default="ate", help="default ate")
    adjusted.add_argument("--trim", default="none", help="weight trimming: none (default), 0.99 or 0.95")
    adjusted.add_argument(
        "--landmark", type=float, default=6.0, help="landmark in months, here and in the guard view (default 6)"
    )
    adjusted.add_argument("--ps-covariates", metavar="A,B", help="propensity-model covariates (default: the panel's)")
    emulation = parser.add_argument_group("the emulation view (target-trial panel)")
    emulation.add_argument("--grace", type=float, default=3.0, help="grace period in months (1, 2, 3 or 6)")
    emulation.add_argument("--therapy", choices=THERAPIES, default="any", help="any therapy or an ICI")
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
    elif args.view in _PAGE_VIEWS:
        bundle = _PAGE_VIEWS[args.view](args, cohort, spec, frame, source)
    elif args.view == "cohort":
        bundle = bundles.cohort(frame, source, args.by or "first_line")
    elif args.view == "adjusted":
        bundle = bundles.adjusted(frame, source, _adjusted_options(args))
    elif args.view == "emulation":
        from app.emulation_views import GRACE_CHOICES, options_of

        if args.grace not in GRACE_CHOICES:
            raise DataError(f"--grace: the panel offers {', '.join(f'{g:g}' for g in GRACE_CHOICES)} months")
        bundle = bundles.emulation(frame, source, options_of(args.grace, args.therapy))
    elif args.view == "response":
        bundle = bundles.response(frame, source, args.by)
    else:
        bundle = bundles.survival(frame, source, args.endpoint, args.by, args.test, args.conf_type, args.pairwise)
    Path(args.out).write_bytes(bundle.to_zip())
    note("reproduce", f"wrote {args.out} ({spec.describe()}; {result.n} patients)")
    return 0


def _guard(args: argparse.Namespace, _cohort: Any, _spec: Any, frame: Any, source: Any) -> Any:
    """The immortal-time guard's bundle for OS by --by (a post-progression variable) at --landmark."""
    from app import reproduce as bundles
    from app.views import GUARD_EXPOSURE

    grouping = args.by or "pp_received"
    if grouping not in GUARD_EXPOSURE:
        raise DataError(f"--by: the guard is for OS by {', '.join(GUARD_EXPOSURE)}; got {grouping!r}")
    if not 0 <= args.landmark < 1000:
        raise DataError(f"--landmark: months from 0 to 1000; got {args.landmark:g}")
    return bundles.guard(frame, source, grouping, args.landmark)


def _sequences(_args: argparse.Namespace, _cohort: Any, _spec: Any, frame: Any, source: Any) -> Any:
    from app import reproduce as bundles

    return bundles.sequences(frame, source)


def _study(_args: argparse.Namespace, cohort: Any, spec: Any, frame: Any, source: Any) -> Any:
    """The Study page's cards; card 5's curves are on the filters with first line = lenvatinib, as on the page."""
    from dataclasses import replace

    from app import reproduce as bundles
    from app.views import analysis_frame

    lenvatinib = replace(spec, first_line=("lenvatinib",))
    lenvatinib_frame = analysis_frame(apply_filters(cohort.frame, lenvatinib).frame)
    lenvatinib_source = bundles.source_of(cohort.fingerprint, False, lenvatinib)
    return bundles.study(frame, lenvatinib_frame, source, lenvatinib_source)


_PAGE_VIEWS = {"guard": _guard, "sequences": _sequences, "study": _study}
"""Views whose bundle needs nothing but the filters (and, for the guard, --by and --landmark)."""


def _adjusted_options(args: argparse.Namespace) -> Any:
    from app.adjusted_views import comparison_key
    from app.components.adjusted import COMPARISONS, TRIM_CHOICES
    from app.components.covariate_labels import COVARIATES

    for flag, value, allowed in (("--comparison", args.comparison, COMPARISONS), ("--trim", args.trim, TRIM_CHOICES)):
        if value not in allowed:
            raise DataError(f"{flag}: {value!r} is not offered; choose from {', '.join(allowed)}")
    chosen = None
    if args.ps_covariates is not None:
        chosen = [c.strip() for c in args.ps_covariates.split(",") if c.strip()]
        unknown = [c for c in chosen if c not in COVARIATES]
        if unknown or not chosen:
            raise DataError(f"--ps-covariates: unknown {', '.join(unknown) or '(none given)'}; "
                            f"choose from {', '.join(COVARIATES)}")  # fmt: skip
    return comparison_key(args.comparison, chosen, args.estimand, args.trim, args.landmark, args.endpoint)
