"""`ppx validate`: check a cohort file against the canonical schema and list every problem.

Exit status: 0 the file is usable and every row is used (warnings allowed);
1 some rows are excluded or the whole file is blocked by errors; 2 the file
cannot be read at all (missing, not a table, an encoding that cannot be read),
or the mapping file cannot be used.

The file is read as the Data page reads an upload (:mod:`analysis.ingest`):
CSV, TSV or XLSX; UTF-8, UTF-8 with BOM, Shift_JIS/CP932 or UTF-16, detected
unless ``--encoding`` says; dates in the formats the mapper knows. Without
``--mapping`` the file's columns must have the canonical names (other columns
are kept and reported); ``--mapping M.json`` applies a mapping saved from the
Data page, and ``--mapping auto`` the mapping the Data page would suggest.

The reader's bounds are the Data page's (:class:`analysis.ingest.ReadLimits`:
rows, columns, characters in a cell, an XLSX's decompressed size and
compression ratio, a wall-clock budget); ``--max-rows``, ``--max-columns``,
``--max-cell-chars``, ``--max-xlsx-mb``, ``--max-xlsx-ratio`` and
``--time-budget`` raise them (0 for rows or time: no bound).

``--json`` prints the report's stable contract: ``source``, ``n_read``,
``n_used``, ``n_excluded``, ``usable``, ``summary``, ``n_errors``,
``n_warnings``, ``excluded_rows``, ``issues`` (each ``severity``, ``row``,
``patient_id``, ``column``, ``value``, ``message``, ``reason``) and
``fingerprint`` (null when the file cannot be used), ``encoding`` (null for
XLSX), ``notes`` (what the reader and mapper did) and ``mapping`` (the mapping
used). More keys may be added.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from analysis.cohort import ValidatedCohort
from analysis.errors import DataError
from analysis.ingest import (
    DATE_ORDERS,
    DEFAULT_MAX_CELL_CHARS,
    DEFAULT_MAX_COLUMNS,
    DEFAULT_MAX_ROWS,
    DEFAULT_MAX_XLSX_MB,
    DEFAULT_MAX_XLSX_RATIO,
    DEFAULT_TIME_BUDGET_S,
    ENCODINGS,
    MappingSpec,
    PreparedUpload,
    ReadLimits,
    prepare_cohort,
    read_upload,
    suggest_mapping,
)

LIMIT_OPTIONS: tuple[tuple[str, str, type, float, str], ...] = (
    ("rows", "--max-rows", int, DEFAULT_MAX_ROWS, "data rows (0: no limit)"),
    ("columns", "--max-columns", int, DEFAULT_MAX_COLUMNS, "columns"),
    ("cell_chars", "--max-cell-chars", int, DEFAULT_MAX_CELL_CHARS, "characters in one cell"),
    ("xlsx_mb", "--max-xlsx-mb", float, DEFAULT_MAX_XLSX_MB, "decompressed size of an XLSX, MB"),
    ("xlsx_ratio", "--max-xlsx-ratio", float, DEFAULT_MAX_XLSX_RATIO, "XLSX compression ratio"),
    ("time_s", "--time-budget", float, DEFAULT_TIME_BUDGET_S, "seconds for reading the file (0: no limit)"),
)
"""The reader's bounds as options: (bound, option, type, default, what it limits)."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check a cohort CSV/TSV file against the canonical schema and list every problem",
        description="Check a cohort file against the canonical schema (see `ppx dictionary`). Every problem is "
        "listed with its spreadsheet row, patient and column. Exit status 0: usable, every row used; "
        "1: rows excluded or file blocked; 2: file unreadable.",
    )
    parser.add_argument("file", metavar="FILE", help="cohort file: CSV, TSV or XLSX")
    parser.add_argument(
        "--mapping",
        metavar="M.json",
        help="column/value mapping saved from the Data page, or 'auto' for the suggested one "
        "(default: the file has the canonical column names)",
    )
    parser.add_argument(
        "--encoding", choices=["detect", *ENCODINGS], default="detect", help="text encoding (default: detect)"
    )
    parser.add_argument("--sheet", help="XLSX sheet to read (default: the first sheet with data)")
    parser.add_argument(
        "--date-order",
        choices=DATE_ORDERS,
        help="how dates like 03/04/2020 are read: dmy, mdy or auto (default: the mapping's, else auto)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    for _, option, kind, default, what in LIMIT_OPTIONS:
        parser.add_argument(
            option, type=kind, default=default, metavar="N", help=f"largest {what} (default {default:g})"
        )
    parser.set_defaults(func=run)


def read_limits(args: argparse.Namespace) -> ReadLimits:
    """The options' bounds, with messages that name the option to raise."""
    hints = tuple(
        (bound, f"raise the limit with {option} N if the file is right") for bound, option, *_ in LIMIT_OPTIONS
    )
    return ReadLimits(
        max_rows=args.max_rows or None,
        max_columns=args.max_columns,
        max_cell_chars=args.max_cell_chars,
        max_xlsx_mb=args.max_xlsx_mb,
        max_xlsx_ratio=args.max_xlsx_ratio,
        time_budget_s=args.time_budget or None,
        hints=hints,
    )


def exit_code(cohort: ValidatedCohort) -> int:
    """0 when the file is usable and no row is excluded; 1 otherwise."""
    report = cohort.report
    return 0 if report.usable and not report.errors() else 1


def to_json(cohort: ValidatedCohort, upload: PreparedUpload | None = None) -> dict[str, Any]:
    """The stable JSON contract of ``ppx validate --json``."""
    data = {**cohort.report.to_dict(), "fingerprint": cohort.fingerprint if cohort.report.usable else None}
    if upload is not None:
        data["encoding"] = upload.raw.encoding
        data["notes"] = list(upload.notes)
    return data


def to_text(cohort: ValidatedCohort, upload: PreparedUpload | None = None) -> str:
    """The summary line, the fingerprint when usable, how the file was read, then one line per issue."""
    report = cohort.report
    lines = [f"{report.source}: {report.summary()}"]
    if report.usable:
        lines.append(f"Fingerprint: {cohort.short_fingerprint}")
    if upload is not None:
        raw = upload.raw
        if raw.encoding is not None and raw.encoding not in ("utf-8", "utf-8-sig"):
            lines.append(f"Encoding: {raw.encoding_label} ({'detected' if raw.encoding_detected else 'chosen'})")
        lines.extend(f"Note: {note}" for note in upload.notes)
    lines.extend(issue.describe() for issue in report.issues)
    return "\n".join(lines)


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise DataError(f"file not found: {str(path)!r}")
    if path.is_dir():
        raise DataError(f"{str(path)!r} is a folder, not a data file")
    return path.read_bytes()


def _mapping(option: str | None) -> MappingSpec | None:
    if option is None or option == "auto":
        return None
    return MappingSpec.from_json(_read_bytes(Path(option)))


def run(args: argparse.Namespace) -> int:
    path = Path(args.file)
    loaded = _mapping(args.mapping)
    encoding = None if args.encoding == "detect" else args.encoding
    if loaded is not None:
        encoding = encoding or loaded.encoding
    sheet = args.sheet or (loaded.sheet if loaded is not None else None)
    raw = read_upload(_read_bytes(path), str(path), encoding=encoding, sheet=sheet, limits=read_limits(args))
    if loaded is not None:
        spec = loaded
    elif args.mapping == "auto":
        spec = suggest_mapping(raw).spec
    else:
        spec = MappingSpec.identity(str(c) for c in raw.frame.columns)
    if args.date_order is not None:
        spec = replace(spec, date_order=args.date_order)
    upload = prepare_cohort(raw, spec, name=path.name)
    cohort = upload.cohort
    print(json.dumps(to_json(cohort, upload), indent=2, ensure_ascii=False) if args.json else to_text(cohort, upload))
    return exit_code(cohort)
