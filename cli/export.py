"""`ppx export`: the dashboard's exports without a browser (figures, tables, slide decks), for scripted reports.

Works on the bundled cohort with the same filters, views and builders as the dashboard, so a file
made here equals the one its download button gives. Heavy modules (Dash, plotly, kaleido) are
imported inside :func:`run`, so ``ppx --help`` stays fast.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from analysis.errors import DataError

FORMATS: tuple[str, ...] = ("png", "svg", "pdf", "pptx", "xlsx", "csv")
VIEWS: tuple[str, ...] = ("survival", "response", "cox", "cohort", "parametric")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export a view as PNG/SVG/PDF, CSV/XLSX or a PPTX slide deck, with a provenance footer",
        description="Export a dashboard view of the bundled cohort without a browser. Figures: PNG at 300 dpi "
        "sized for a journal column, SVG, PDF. Tables: CSV, XLSX. Slides: PPTX (--deck for several views).",
    )
    parser.add_argument(
        "--view",
        default="survival",
        metavar="VIEW",
        help=f"which page's view: {', '.join(VIEWS)} (default survival), or a view token as in --deck, e.g. "
        "adjusted.os.first_line for the adjusted comparison, emulation.any or emulation.ici.grace2 for the "
        "target-trial emulation (any therapy or an ICI; a grace period of 1, 2 or 6 months instead of 3; .boot for "
        "the bootstrap CIs)",
    )
    parser.add_argument("--filters", default="", metavar="QUERY", help='global filters, e.g. "first_line=lenvatinib"')
    parser.add_argument("--format", dest="fmt", choices=FORMATS, required=True, help="output format")
    parser.add_argument("--out", required=True, metavar="FILE", help="file to write")
    parser.add_argument("--endpoint", default="os", choices=("os", "pfs", "pps"), help="survival/Cox endpoint")
    parser.add_argument("--group", default="first_line", metavar="COL", help="grouping, or 'none' (default first_line)")
    parser.add_argument("--test", default="logrank", help="survival test (as on the Survival page)")
    parser.add_argument("--covariates", default="", metavar="A,B", help="Cox covariates (default: the study's model)")
    parser.add_argument("--column", default="double", help="figure width: single (85 mm), double (174 mm) or mm")
    parser.add_argument("--mask", type=int, metavar="N", help="show counts below N as '<N' (small-cell masking)")
    parser.add_argument(
        "--lang",
        default="en",
        choices=("en", "ja"),
        help="language of the figures, tables, slides and footer (default en)",
    )
    parser.add_argument("--deck", default="", metavar="TOKENS", help="pptx: views, e.g. km.os.first_line,response.none")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from flask import Flask

    from analysis.filters import FilterSpec
    from app.cache import cache
    from app.components import presenter

    spec, dropped = FilterSpec.parse_query(args.filters)
    if dropped:
        raise DataError("invalid filters: " + "; ".join(dropped))
    if args.mask is not None and args.mask < 1:
        raise DataError(f"--mask must be a count of at least 1; got {args.mask}")
    ref = _view_ref(args, presenter)
    deck = presenter.parse_deck(args.deck)
    if args.deck and not deck:
        raise DataError(f"--deck names no known view: {args.deck!r} (e.g. km.os.first_line,response.first_line)")
    server = Flask("ppx-export")
    cache.init_app(server, config={"CACHE_TYPE": "SimpleCache"})
    with server.app_context():
        try:
            _, data = presenter.export_view(
                ref, spec, args.fmt, mask=args.mask, column=args.column, deck=deck, lang=args.lang
            )
        except ValueError as exc:
            raise DataError(str(exc)) from exc
    Path(args.out).write_bytes(data)
    print(f"wrote {args.out} ({len(data):,} bytes; {args.fmt}; {spec.describe()})")
    return 0


def _view_ref(args: argparse.Namespace, presenter: Any) -> Any:
    if args.view not in VIEWS:
        ref = presenter.ViewRef.from_token(args.view)
        if ref is None:
            raise DataError(
                f"--view must be one of {', '.join(VIEWS)} or a view token (e.g. emulation.any); got {args.view!r}"
            )
        return ref
    kind = presenter.VIEW_OF_PAGE[args.view]
    group = None if args.group == "none" else args.group
    if group is not None and group not in presenter.GROUPINGS:
        raise DataError(f"--group must be none or one of {', '.join(presenter.GROUPINGS)}; got {args.group!r}")
    if args.test not in presenter.TEST_LABELS:
        raise DataError(f"--test must be one of {', '.join(presenter.TEST_LABELS)}; got {args.test!r}")
    covariates = tuple(c for c in args.covariates.split(",") if c)
    unknown = [c for c in covariates if c not in presenter.COX_CANDIDATES]
    if unknown:
        raise DataError(f"unknown covariate(s) {', '.join(unknown)}; choose from {', '.join(presenter.COX_CANDIDATES)}")
    return presenter.ViewRef(
        kind,
        args.endpoint,
        group if kind != "table1" else (group or "first_line"),
        args.test,
        covariates=covariates or presenter.STUDY_COVARIATES,
    )
