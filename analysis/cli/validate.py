"""`ppx validate`: check a cohort file against the canonical schema and list every problem.

Exit status: 0 the file is usable and every row is used (warnings allowed);
1 some rows are excluded or the whole file is blocked by errors; 2 the file
cannot be read at all (missing, not UTF-8, not a table).

``--json`` prints the report's stable contract: ``source``, ``n_read``,
``n_used``, ``n_excluded``, ``usable``, ``summary``, ``n_errors``,
``n_warnings``, ``excluded_rows``, ``issues`` (each ``severity``, ``row``,
``patient_id``, ``column``, ``value``, ``message``, ``reason``) and
``fingerprint`` (null when the file cannot be used). More keys may be added.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from analysis.cohort import ValidatedCohort, validate_cohort
from analysis.io import read_table


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check a cohort CSV/TSV file against the canonical schema and list every problem",
        description="Check a cohort file against the canonical schema (see `ppx dictionary`). Every problem is "
        "listed with its spreadsheet row, patient and column. Exit status 0: usable, every row used; "
        "1: rows excluded or file blocked; 2: file unreadable.",
    )
    parser.add_argument("file", metavar="FILE", help="cohort file, CSV (TSV if it ends in .tsv)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(func=run)


def exit_code(cohort: ValidatedCohort) -> int:
    """0 when the file is usable and no row is excluded; 1 otherwise."""
    report = cohort.report
    return 0 if report.usable and not report.errors() else 1


def to_json(cohort: ValidatedCohort) -> dict[str, Any]:
    """The stable JSON contract of ``ppx validate --json``."""
    return {**cohort.report.to_dict(), "fingerprint": cohort.fingerprint if cohort.report.usable else None}


def to_text(cohort: ValidatedCohort) -> str:
    """The summary line, the fingerprint when usable, then one line per issue."""
    report = cohort.report
    lines = [f"{report.source}: {report.summary()}"]
    if report.usable:
        lines.append(f"Fingerprint: {cohort.short_fingerprint}")
    lines.extend(issue.describe() for issue in report.issues)
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    path = Path(args.file)
    cohort = validate_cohort(read_table(path), source=str(path), name=path.name)
    print(json.dumps(to_json(cohort), indent=2) if args.json else to_text(cohort))
    return exit_code(cohort)
