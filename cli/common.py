"""What ``ppx km``, ``ppx cox`` and ``ppx landmark`` share: the dashboard's filters and derived groupings,
the immortal-time caveat, the stderr notes, and aligned text columns.

``--filters`` takes the dashboard's URL query (``first_line=lenvatinib&bclc=C``, the
codec of :class:`analysis.filters.FilterSpec`); filters and the derived groupings
(``pp_group``, ``afp_high``, :mod:`analysis.derived`) need a canonical cohort file,
which is then validated as the Data page does.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from analysis.caveats import Caveat
from analysis.cohort import load_cohort
from analysis.derived import DERIVED_GROUPINGS, with_derived_columns
from analysis.errors import DataError
from analysis.filters import FilterSpec, apply_filters
from analysis.io import read_table
from analysis.schema import ENDPOINTS

CANONICAL_NEEDED = ("first_line_start", "pp_start", "patient_id")


def add_survival_columns(
    parser: argparse.ArgumentParser, *, time_help: str = "follow-up time column (stop time)"
) -> None:
    """``--data``, ``--time`` and ``--event``: the file and the two columns every survival command reads."""
    parser.add_argument("--data", required=True, metavar="FILE", help="CSV file (TSV if it ends in .tsv)")
    parser.add_argument("--time", required=True, metavar="COL", help=time_help)
    parser.add_argument("--event", required=True, metavar="COL", help="event column coded 0/1 or true/false")


def add_json_option(parser: argparse.ArgumentParser, *, help: str = "print the stable JSON contract") -> None:
    parser.add_argument("--json", action="store_true", help=help)


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


def add_filter_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--filters",
        default="",
        metavar="QUERY",
        help="the dashboard's filters as its URL query, e.g. 'first_line=lenvatinib&bclc=C' (canonical cohort "
        "files; derived groupings pp_group and afp_high are available there too)",
    )


def parse_filters(text: str) -> FilterSpec:
    """The URL query as a FilterSpec; an invalid filter is an error naming it (never silently dropped)."""
    spec, dropped = FilterSpec.parse_query(text or "")
    if dropped:
        raise DataError(f"--filters: invalid filter(s): {'; '.join(dropped)}")
    unknown = [part.split("=")[0] for part in (text or "").lstrip("?").split("&") if part and "=" in part]
    known = set(FilterSpec.__dataclass_fields__)
    bad = [name for name in unknown if name not in known]
    if bad:
        raise DataError(f"--filters: unknown filter(s) {', '.join(map(repr, bad))}; known: {', '.join(sorted(known))}")
    return spec


@dataclass(frozen=True)
class Loaded:
    """The frame a command works on, whether the file is a canonical cohort, and the filters applied."""

    frame: pd.DataFrame
    canonical: bool
    spec: FilterSpec
    n_before_filters: int


def load_frame(path: str, filters: str, wanted: Iterable[str | None]) -> Loaded:
    """Read ``path``; with filters or a derived grouping that the file lacks, validate it as a cohort first."""
    spec = parse_filters(filters)
    raw = read_table(path)
    derived_needed = [c for c in wanted if c in DERIVED_GROUPINGS and c not in raw.columns]
    looks_canonical = all(c in raw.columns for c in CANONICAL_NEEDED)
    if not spec.is_empty or derived_needed:
        if not looks_canonical:
            what = "--filters" if not spec.is_empty else f"the derived grouping {derived_needed[0]!r}"
            raise DataError(
                f"{what} needs a canonical cohort file (see `ppx dictionary`); this file lacks "
                + ", ".join(c for c in CANONICAL_NEEDED if c not in raw.columns)
            )
        frame = with_derived_columns(load_cohort(path).frame)
        result = apply_filters(frame, spec)
        if result.n == 0:
            raise DataError(f"no patient matches the filters ({spec.describe()})")
        return Loaded(result.frame, True, spec, len(frame))
    return Loaded(raw, looks_canonical, spec, len(raw))


def cohort_frame(path: str, spec: FilterSpec) -> pd.DataFrame:
    """The validated canonical cohort (derived columns added, filters applied), for the corrected analyses."""
    return apply_filters(with_derived_columns(load_cohort(path).frame), spec).frame


def endpoint_of(time_col: str) -> str | None:
    """The endpoint key of a canonical time column (os_months -> os), or None for any other column."""
    for key, (time, _, _) in ENDPOINTS.items():
        if time == time_col:
            return key
    return None


def note(command: str, text: str) -> None:
    """A note on stderr (so that stdout stays the result, JSON or text)."""
    print(f"ppx {command}: note: {text}", file=sys.stderr)


def caveat_notes(command: str, found: Sequence[Caveat]) -> None:
    for c in found:
        note(command, c.warning())


def aligned(header: Sequence[str], rows: Sequence[Sequence[str]], *, right: Sequence[bool] | None = None) -> list[str]:
    """Text table with columns padded to their widest cell and two spaces between (never running together)."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    right = right or [False] * len(header)

    def line(cells: Sequence[str]) -> str:
        parts = [str(c).rjust(w) if r else str(c).ljust(w) for c, w, r in zip(cells, widths, right, strict=True)]
        return "  ".join(parts).rstrip()

    return [line(header), *(line(r) for r in rows)]
