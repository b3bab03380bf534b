"""What every "Reproduce this view" zip holds, whatever the view: data, README, expected results, two scripts.

The zip is built in memory (never on disk, never logged). The CSV holds only the
columns the view needs (never an identifying column) with spreadsheet formulas
neutralised; the scripts undo that one prefix when they read it back. Scripts are
rendered from the templates in ``analysis/reproduce/templates`` (package data),
whose placeholders are ``@@{name}`` (``$`` is R's list operator).
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from string import Template
from typing import Any

import pandas as pd

from analysis import __version__
from analysis.errors import DataError
from analysis.ingest.neutralise import neutralise_frame
from analysis.jsonsafe import dumps

IDENTIFYING = frozenset({"patient_id", "name", "birth_date", "date_of_birth", "mrn", "hospital_id"})
"""Columns never written to a bundle, whatever a view asks for."""

DATA_FILE = "data.csv"
EXPECTED_FILE = "expected.json"
R_FILE = "reproduce.R"
PY_FILE = "reproduce.py"


class _Template(Template):
    delimiter = "@@"


@dataclass(frozen=True)
class Source:
    """Where the data came from: the cohort's fingerprint, whether it is the bundled synthetic one, the filters."""

    fingerprint: str
    synthetic: bool
    filters_query: str
    filters_text: str


@dataclass(frozen=True)
class Reproduction:
    """One view's bundle: file name -> text, in the order written to the zip."""

    view: str
    files: tuple[tuple[str, str], ...]
    expected: Mapping[str, Any]

    def file(self, name: str) -> str:
        return dict(self.files)[name]

    def to_zip(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, text in self.files:
                archive.writestr(f"ppx-{self.view}/{name}", text)
        return buffer.getvalue()


# ----------------------------------------------------------------------------- literals in the scripts


def r_literal(value: Any) -> str:
    """An R expression for a setting: NULL, TRUE/FALSE, numbers, strings, c(...) for sequences."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        if not math.isfinite(float(value)):
            raise DataError(f"cannot write the non-finite setting {value!r} into an R script")
        return repr(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid R string literal ("\u00e9" escapes included)
    if isinstance(value, Sequence):
        if any(isinstance(v, Sequence) and not isinstance(v, str) for v in value):
            return "list(" + ", ".join(r_literal(v) for v in value) + ")"  # e.g. the levels of each covariate
        return "c(" + ", ".join(r_literal(v) for v in value) + ")" if value else "character(0)"
    raise TypeError(f"no R literal for {type(value).__name__}")


def py_literal(value: Any) -> str:
    """A Python expression for a setting (repr of plain values; tuples for sequences)."""
    if isinstance(value, list | tuple):
        return "(" + "".join(f"{py_literal(v)}, " for v in value) + ")"
    return repr(value)


def render(template: str, settings: Mapping[str, Any], language: str) -> str:
    """The language's prelude (reading the CSV, printing JSON) then the named template.

    Each ``@@{name}`` becomes that setting as an R or Python literal.
    """
    folder = resources.files("analysis.reproduce").joinpath("templates")
    prelude = folder.joinpath("common.R.tmpl" if language == "R" else "common.py.tmpl").read_text(encoding="utf-8")
    text = prelude + "\n" + folder.joinpath(template).read_text(encoding="utf-8")
    literal = r_literal if language == "R" else py_literal
    values = {key: literal(value) for key, value in settings.items()}
    values["version"] = __version__
    return _Template(text).substitute(values)


# ----------------------------------------------------------------------------- the bundle


def data_csv(frame: pd.DataFrame) -> str:
    """The view's data as CSV: identifying columns refused, formulas neutralised, missing values empty."""
    leaked = sorted(IDENTIFYING.intersection(map(str, frame.columns)))
    if leaked:
        raise DataError(f"a reproduction bundle never includes identifying columns: {', '.join(leaked)}")
    return str(neutralise_frame(frame.reset_index(drop=True)).to_csv(index=False, lineterminator="\n"))


def readme(
    title: str,
    source: Source,
    settings: Mapping[str, Any],
    expected_json: str,
    columns: Sequence[str] | None,
    notes: Sequence[str] = (),
) -> str:
    """The README; ``columns`` None for a bundle of bundles (each folder has its own data and README)."""
    data = "the bundled synthetic cohort (data/synthetic_klc.csv)" if source.synthetic else "a cohort file"
    lines = [
        f"Reproduce: {title}",
        "=" * (11 + len(title)),
        "",
        f"Post-Progression Explorer (ppx) version {__version__}.",
        f"Data: {data}; fingerprint {source.fingerprint}.",
        f"Filters: {source.filters_text}" + (f" (URL query: {source.filters_query})" if source.filters_query else ""),
        *(
            [
                f"Columns in {DATA_FILE}: {', '.join(columns)} (the ones this view needs; no identifying column).",
                "Text cells starting with = + - @ carry a leading ' so that a spreadsheet does not run them as "
                "formulas;",
                "both scripts remove it when they read the file.",
            ]
            if columns is not None
            else [f"Data: each folder's {DATA_FILE} (the columns its analysis needs; no identifying column)."]
        ),
        "",
        "Run, in this folder:",
        f"  Rscript {R_FILE}        # R >= 4 with the survival package (base R otherwise)",
        f"  python {PY_FILE}        # Python with pandas, lifelines and ppx installed",
        f"Each prints the view's numbers as JSON; they should equal {EXPECTED_FILE} (below) to within",
        "1e-6 for survival probabilities, a relative 1e-4 for other statistics and 1e-3 for p-values.",
        "",
        *(line for note in notes for line in (f"Note: {note}", "")),
        "Settings of the view:",
        *(f"  {key}: {value}" for key, value in settings.items()),
        "",
        "Expected results (what the dashboard shows):",
        expected_json,
        "",
    ]
    return "\n".join(lines)


def assemble(
    view: str,
    title: str,
    data: pd.DataFrame,
    settings: Mapping[str, Any],
    expected: Mapping[str, Any],
    templates: tuple[str, str],
    source: Source,
    notes: Sequence[str] = (),
) -> Reproduction:
    """The bundle of one view: its data, README (with ``notes``, e.g. what is not reproduced), expected JSON and
    the R and Python scripts."""
    expected_json = dumps(expected)
    files = (
        ("README.txt", readme(title, source, settings, expected_json, [str(c) for c in data.columns], notes)),
        (DATA_FILE, data_csv(data)),
        (EXPECTED_FILE, expected_json + "\n"),
        (R_FILE, render(templates[0], settings, "R")),
        (PY_FILE, render(templates[1], settings, "Python")),
    )
    return Reproduction(view, files, json.loads(expected_json))


def assemble_parts(
    view: str,
    title: str,
    settings: Mapping[str, Any],
    expected: Mapping[str, Any],
    templates: tuple[str, str],
    source: Source,
    notes: Sequence[str],
    parts: Sequence[tuple[str, Reproduction]],
) -> Reproduction:
    """A bundle of bundles: each part's files in its own folder, and top-level scripts that run them all."""
    expected_json = dumps(expected)
    files = [
        ("README.txt", readme(title, source, settings, expected_json, None, notes)),
        (EXPECTED_FILE, expected_json + "\n"),
        (R_FILE, render(templates[0], settings, "R")),
        (PY_FILE, render(templates[1], settings, "Python")),
    ]
    files += [(f"{folder}/{name}", text) for folder, part in parts for name, text in part.files]
    return Reproduction(view, tuple(files), json.loads(expected_json))
