"""Cohort files: derived endpoints, loading, validation and fingerprinting.

``derive_endpoints`` is the one function that turns dates into the analysis
endpoints. The generator, the loader and uploads all go through it.

``validate_cohort`` checks a table against :mod:`analysis.schema` and reports
every problem at once (column, spreadsheet row, patient); rows with errors are
excluded and counted, warnings keep the row. ``load_cohort`` reads a CSV/TSV
file and validates it. A file that has the derived columns but not the dates
cannot be used yet (the dates are required).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from importlib import resources
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis import messages as M
from analysis.errors import DataError
from analysis.io import read_table
from analysis.messages import Message
from analysis.schema import (
    COLUMN_BY_NAME,
    DATE_COLUMNS,
    DAYS_PER_MONTH,
    DERIVED_COLUMNS,
    DISEASE_CONTROL_RESPONSES,
    EARLIEST_PLAUSIBLE_DATE,
    ICI_THERAPIES,
    INPUT_COLUMNS,
    MAX_PLAUSIBLE_FOLLOW_UP_YEARS,
    OBJECTIVE_RESPONSES,
    OPTIONAL_COLUMNS,
    PP_CLASS_OF,
    PROGRESSION_COLUMNS,
    REQUIRED_COLUMNS,
    Column,
    albi_grade,
    child_pugh_class,
)
from analysis.survdata import FALSE_WORDS, TRUE_WORDS, spreadsheet_row


def _months(later: pd.Series, earlier: pd.Series) -> pd.Series:
    return (later - earlier).dt.days.astype("float64") / DAYS_PER_MONTH


def _mapped(function: Callable[[float], str | None]) -> Callable[[pd.Series], pd.Series]:
    return lambda values: values.map(function)


def derive_endpoints(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` with every derived column recomputed.

    ``frame`` holds the canonical input columns with date columns already
    parsed to ``datetime64``. Months are days / 30.4375.

    - OS: first_line_start to death (event) or last contact (censored).
    - PFS: to progression or death, whichever is first (event); else last contact.
    - PPS: progression to death or last contact; missing when no progression.
    """
    out = frame.copy()
    start = out["first_line_start"]
    death = out["death_date"]
    last = out["last_contact_date"]
    prog = out["progression_date"]

    died = death.notna()
    os_end = death.where(died, last)
    out["os_months"] = _months(os_end, start)
    out["os_event"] = died.astype("int64")

    progressed = prog.notna()
    pfs_end = prog.where(progressed, os_end)
    pfs_end = pfs_end.where(~(progressed & died & (death < prog)), death)
    out["pfs_months"] = _months(pfs_end, start)
    out["pfs_event"] = (progressed | died).astype("int64")

    out["pps_months"] = _months(os_end, prog).where(progressed)
    out["pps_event"] = pd.Series(np.where(progressed, died.astype("float64"), np.nan), index=out.index)

    therapy = out["pp_therapy"].astype("string")
    out["pp_received"] = (therapy.notna() & (therapy != "none")).astype("int64")
    out["pp_class"] = therapy.map(PP_CLASS_OF).astype("object")
    out["pp_ici"] = therapy.isin(ICI_THERAPIES).astype("int64")

    response = out["best_response"].astype("string")
    out["disease_control"] = response.isin(DISEASE_CONTROL_RESPONSES).astype("int64")
    out["objective_response"] = response.isin(OBJECTIVE_RESPONSES).astype("int64")

    out["child_pugh_class"] = _by_distinct(out["child_pugh_score"].astype("float64"), _mapped(child_pugh_class))
    out["albi_grade"] = _by_distinct(out["albi_score"].astype("float64"), _mapped(albi_grade))
    return out


# ---------------------------------------------------------------------------
# Loading and validation
# ---------------------------------------------------------------------------

Severity = Literal["error", "warning"]

SCHEMA_VERSION = 1
"""Part of every fingerprint: a change to the canonical typing changes all fingerprints."""

BUNDLED_NAME = "Synthetic KLC-like cohort (SYNTHETIC)"

FIRST_AVAILABLE: dict[str, pd.Timestamp] = {"lenvatinib": pd.Timestamp("2018-03-01")}
"""First-line drugs and the date they became available for HCC (Japan); earlier starts are flagged as warnings."""

DERIVED_TOLERANCE_MONTHS = 0.5 / DAYS_PER_MONTH
"""A stored derived time that differs from the recomputed one by less than half a day is not reported."""

_ISO_DATE = r"^\d{4}-\d{1,2}-\d{1,2}$"
_MIDNIGHT_SUFFIX = r"[ T]00:00(:00)?$"
_BOOL_TEXT: dict[str, int] = {**dict.fromkeys(TRUE_WORDS, 1), **dict.fromkeys(FALSE_WORDS, 0)}
_MAX_ERRORS_IN_MESSAGE = 10


@dataclass(frozen=True)
class Issue:
    """One problem found in a cohort file.

    ``row`` is the spreadsheet row ("row 14"; the header is row 1) or None for
    a problem with the whole file. ``reason`` is the short label counted in
    :meth:`ValidationReport.summary`.
    """

    severity: Severity
    row: str | None
    patient_id: str | None
    column: str | None
    value: str | None
    message: str
    reason: str = ""
    text: Message | None = None
    """``message`` as a template and parameters (:mod:`analysis.messages`), for the app to word; None: English only."""
    why: Message | None = None
    """``reason`` likewise."""

    def describe(self) -> str:
        """One line: ``row 14 (patient P-013), column death_date: <message> [error]``."""
        where = self.row or "file"
        if self.patient_id is not None:
            where += f" (patient {self.patient_id})"
        if self.column is not None:
            where += f", column {self.column}"
        return f"{where}: {self.message} [{self.severity}]"

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "row": self.row,
            "patient_id": self.patient_id,
            "column": self.column,
            "value": self.value,
            "message": self.message,
            "reason": self.reason,
        }


def _reason_counts(issues: tuple[Issue, ...]) -> str:
    """``"death before start (1), duplicate patient_id (2)"``: rows (or file problems) per reason."""
    seen: dict[str, set[str | None]] = {}
    for issue in issues:
        key = issue.reason or issue.message
        seen.setdefault(key, set()).add(issue.row if issue.row is not None else f"file:{issue.column}")
    return ", ".join(f"{reason} ({len(rows)})" for reason, rows in seen.items())


@dataclass(frozen=True)
class ValidationReport:
    """Everything the validator found: counts, every issue, and which rows were excluded."""

    source: str
    n_read: int
    n_used: int
    n_excluded: int
    issues: tuple[Issue, ...]
    excluded_rows: tuple[str, ...]
    usable: bool

    def errors(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity == "error")

    def warnings(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity == "warning")

    def summary(self) -> str:
        """E.g. ``"513 rows read, 510 used, 3 excluded, because: death before start (1), duplicate patient_id (2)."``"""
        errors, warnings = self.errors(), self.warnings()
        if not self.usable:
            text = f"{self.n_read} rows read, none used: the file cannot be used, because: {_reason_counts(errors)}."
        else:
            text = f"{self.n_read} rows read, {self.n_used} used, {self.n_excluded} excluded"
            text += f", because: {_reason_counts(errors)}." if errors else "."
        if warnings:
            plural = "s" if len(warnings) != 1 else ""
            text += f" {len(warnings)} warning{plural}: {_reason_counts(warnings)}."
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "n_read": self.n_read,
            "n_used": self.n_used,
            "n_excluded": self.n_excluded,
            "usable": self.usable,
            "summary": self.summary(),
            "n_errors": len(self.errors()),
            "n_warnings": len(self.warnings()),
            "excluded_rows": list(self.excluded_rows),
            "issues": [i.to_dict() for i in self.issues],
        }


@dataclass(frozen=True, eq=False)
class ValidatedCohort:
    """A validated cohort: only the used rows, canonical typed columns, recomputed derived columns.

    ``frame`` keeps the file's 0-based row positions as its index, so
    :func:`analysis.survdata.spreadsheet_row` still names the file's rows.
    Dates are ``datetime64``, categories and text ``str``, booleans ``int`` 0/1,
    numbers ``float``. Columns that are not in the schema follow, unchanged.
    Equality and hashing are by identity (the frame is not hashable).
    """

    frame: pd.DataFrame
    report: ValidationReport
    fingerprint: str
    short_fingerprint: str
    name: str
    synthetic: bool


class _Issues:
    """Collects issues with a sort key (file-level first, then file row order)."""

    def __init__(self, index: pd.Index) -> None:
        self.position = {label: pos for pos, label in enumerate(index)}
        self.ids: pd.Series = pd.Series(None, index=index, dtype=object)
        self.items: list[tuple[int, Issue]] = []
        self.bad: set[Any] = set()

    def file(self, severity: Severity, column: str | None, message: Message, reason: str) -> None:
        """A file-level issue; ``reason`` is a template without parameters."""
        issue = Issue(severity, None, None, column, None, message.text(), reason, message, Message(reason))
        self.items.append((-1, issue))

    def row(
        self,
        severity: Severity,
        label: Any,
        column: str | None,
        value: object,
        message: str | Message,
        reason: str | Message,
    ) -> None:
        patient = self.ids.get(label)
        text = message if isinstance(message, Message) else None
        why = reason if isinstance(reason, Message) else None
        issue = Issue(
            severity,
            f"row {spreadsheet_row(label)}",
            None if patient is None or patient != patient else str(patient),
            column,
            None if value is None else str(value),
            message.text() if isinstance(message, Message) else message,
            reason.text() if isinstance(reason, Message) else reason,
            text,
            why,
        )
        self.items.append((self.position[label], issue))
        if severity == "error":
            self.bad.add(label)

    def sorted(self) -> tuple[Issue, ...]:
        return tuple(issue for _, issue in sorted(self.items, key=lambda item: item[0]))

    def has_file_errors(self) -> bool:
        return any(pos < 0 and issue.severity == "error" for pos, issue in self.items)


# --- cell text --------------------------------------------------------------


def _cell_text(value: object) -> str | None:
    """One cell as stripped text; None when empty. Integral floats lose their ``.0``."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (float, np.floating)):
        if value != value:
            return None
        number = float(value)
        return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else value.isoformat()
    text = str(value).strip()
    return text or None


def _none_where(values: pd.Series, blank: pd.Series | npt.NDArray[np.bool_]) -> pd.Series:
    """``values`` as an object Series with None where ``blank`` is True."""
    out = values.to_numpy(dtype=object).copy()
    out[np.asarray(blank, dtype=bool)] = None
    return pd.Series(out, index=values.index, dtype=object)


def _by_distinct(values: pd.Series, convert: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``convert(values)``, computed once per distinct value and spread back to every row.

    For elementwise conversions only (a cell's result depends on the cell alone):
    a large upload repeats the same dates, numbers and categories many times.
    Missing cells are converted as one value (the first missing cell). Floats
    are told apart by their bits, so -0.0 and 0.0 stay distinct.
    """
    if len(values) == 0:
        return convert(values)
    numbers = values.to_numpy()
    if numbers.dtype.kind == "f":
        codes, bits = pd.factorize(numbers.view(f"i{numbers.dtype.itemsize}"))
        distinct = pd.Series(np.asarray(bits).view(numbers.dtype))
    else:
        codes, uniques = pd.factorize(values)
        distinct = pd.Series(uniques, dtype=values.dtype)
    missing = codes < 0
    if missing.any():
        distinct = pd.concat([distinct, values[missing].iloc[:1]], ignore_index=True)
        codes = np.where(missing, len(distinct) - 1, codes)
    converted = convert(distinct)
    if isinstance(converted.dtype, np.dtype):
        return pd.Series(converted.to_numpy()[codes], index=values.index, dtype=converted.dtype)
    return pd.Series(converted.array.take(codes), index=values.index, dtype=converted.dtype)


def _stripped_text(raw: pd.Series) -> pd.Series:
    """Text cells stripped of surrounding whitespace; None where not text or empty."""
    cells = [(cell.strip() or None) if isinstance(cell, str) else None for cell in raw.to_numpy(dtype=object)]
    out = np.empty(len(cells), dtype=object)
    out[:] = cells
    return pd.Series(out, index=raw.index, dtype=object)


def _text_cells(raw: pd.Series) -> pd.Series:
    """:func:`_stripped_text` once per distinct cell of an object column."""
    return _by_distinct(raw.astype(object), _stripped_text)


def _datetime_text(raw: pd.Series) -> pd.Series:
    text = raw.dt.strftime("%Y-%m-%d").where(raw == raw.dt.normalize(), raw.astype(str))
    return _none_where(text, raw.isna())


def _float_text(raw: pd.Series) -> pd.Series:
    values = raw.to_numpy(dtype="float64")
    integral = np.isfinite(values) & (np.floor(values) == values) & (np.abs(values) < 1e15)
    text = raw.astype(str).to_numpy(dtype=object)
    text[integral] = values[integral].astype(np.int64).astype(str)
    return _none_where(pd.Series(text, index=raw.index), raw.isna())


def _as_text(raw: pd.Series) -> pd.Series:
    """The column as object-dtype text (None where empty), whatever pandas made of it."""
    if pd.api.types.is_bool_dtype(raw.dtype):
        return pd.Series(np.where(raw.to_numpy(dtype=bool), "1", "0"), index=raw.index, dtype=object)
    if pd.api.types.is_integer_dtype(raw.dtype):
        return raw.astype(str).astype(object)
    if pd.api.types.is_float_dtype(raw.dtype):
        return _by_distinct(raw, _float_text)
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        return _by_distinct(raw, _datetime_text)
    inferred = pd.api.types.infer_dtype(raw, skipna=True)
    if inferred in ("integer", "floating", "mixed-integer-float"):
        return _by_distinct(raw.astype("float64"), _float_text)
    if inferred == "string":
        return _text_cells(raw)
    return pd.Series(raw.map(_cell_text), index=raw.index, dtype=object)


# --- per-column checks --------------------------------------------------------


def _quote_allowed(column: Column) -> str:
    return ", ".join(column.allowed or ())


def _check_missing(column: Column, text: pd.Series, issues: _Issues) -> None:
    if column.nullable:
        return
    empty = text.isna().to_numpy()
    if not empty.any():
        return
    for label in text.index[empty]:
        issues.row("error", label, column.name, None, Message.of(M.MISSING, column=column.name),
                   Message.of(M.MISSING_REASON, column=column.name))  # fmt: skip


def _check_category(column: Column, text: pd.Series, issues: _Issues) -> pd.Series:
    allowed = column.allowed or ()
    by_case = {value.casefold(): value for value in allowed}
    wrong = text.notna() & ~text.isin(allowed)
    for label, value in text[wrong].items():
        hint = by_case.get(str(value).casefold())
        allowed_text = _quote_allowed(column)
        where = {"column": column.name, "value": repr(value), "allowed": allowed_text}
        message = Message.of(M.NOT_ALLOWED, **where)
        if hint is not None:
            message = Message.of(M.NOT_ALLOWED_HINT, hint=repr(hint), **where)
        issues.row("error", label, column.name, value, message, Message.of(M.NOT_ALLOWED_REASON, column=column.name))
    return _none_where(text, wrong)


def _iso_dates(text: pd.Series) -> pd.Series:
    """YYYY-MM-DD text (a midnight time allowed) as dates; NaT for anything else."""
    iso = text.astype("string").str.replace(_MIDNIGHT_SUFFIX, "", regex=True)
    looks_iso = iso.str.match(_ISO_DATE).fillna(False).astype(bool)
    return pd.to_datetime(pd.Series(_none_where(iso, ~looks_iso), dtype=object), format="%Y-%m-%d", errors="coerce")


def _text_numbers(text: pd.Series) -> pd.Series:
    """Text as float64; NaN where empty or not a number."""
    return pd.to_numeric(text.astype("string"), errors="coerce").astype("float64")


def _text_bools(text: pd.Series) -> pd.Series:
    """Text as 1.0/0.0 (the words of TRUE_WORDS/FALSE_WORDS, any case); NaN otherwise."""
    return text.astype("string").str.lower().map(_BOOL_TEXT).astype("float64")


def _parse_dates(column: Column, text: pd.Series, issues: _Issues) -> pd.Series:
    dates = _by_distinct(text, _iso_dates)
    bad = text.notna() & dates.isna()
    for label, value in text[bad].items():
        message = Message.of(M.NOT_A_DATE, column=column.name, value=repr(value))
        issues.row("error", label, column.name, value, message, Message.of(M.UNREADABLE_REASON, column=column.name))
    return pd.Series(dates, index=text.index).astype("datetime64[ns]")


def _number_problem(column: Column, number: float, value: str) -> Message | None:
    where = {"column": column.name, "value": value}
    if not math.isfinite(number):
        return Message.of(M.NOT_FINITE, **where)
    if column.kind == "int" and not float(number).is_integer():
        return Message.of(M.NOT_WHOLE, **where)
    too_low = column.minimum is not None and number < column.minimum
    too_high = column.maximum is not None and number > column.maximum
    if too_low or too_high:
        if column.minimum is None:
            return Message.of(M.OUT_OF_RANGE_HIGH, high=f"{column.maximum:g}", **where)
        if column.maximum is None:
            return Message.of(M.OUT_OF_RANGE_LOW, low=f"{column.minimum:g}", **where)
        return Message.of(M.OUT_OF_RANGE, low=f"{column.minimum:g}", high=f"{column.maximum:g}", **where)
    return None


def _parse_numbers(column: Column, text: pd.Series, issues: _Issues) -> pd.Series:
    numbers = _by_distinct(text, _text_numbers)
    unreadable = text.notna() & numbers.isna()
    for label, value in text[unreadable].items():
        template = M.NOT_A_NUMBER_COMMA if "," in str(value) else M.NOT_A_NUMBER
        message = Message.of(template, column=column.name, value=repr(value))
        issues.row("error", label, column.name, value, message, Message.of(M.UNREADABLE_REASON, column=column.name))
    values = numbers.to_numpy()
    low = -np.inf if column.minimum is None else column.minimum
    high = np.inf if column.maximum is None else column.maximum
    with np.errstate(invalid="ignore"):
        suspect = ~np.isfinite(values) | (values < low) | (values > high)
        if column.kind == "int":
            suspect |= np.floor(values) != values
    suspect &= numbers.notna().to_numpy()
    for label, number, value in zip(text.index[suspect], values[suspect], text.to_numpy()[suspect], strict=True):
        problem = _number_problem(column, float(number), str(value))
        if problem is not None:
            template = M.OUT_OF_RANGE_REASON if "range" in problem.template else M.UNREADABLE_REASON
            issues.row("error", label, column.name, value, problem, Message.of(template, column=column.name))
    return numbers.mask(suspect)


def _parse_bools(column: Column, text: pd.Series, issues: _Issues) -> pd.Series:
    codes = _by_distinct(text, _text_bools)
    bad = text.notna() & codes.isna()
    for label, value in text[bad].items():
        message = Message.of(M.NOT_A_BOOL, column=column.name, value=repr(value))
        issues.row("error", label, column.name, value, message, Message.of(M.UNREADABLE_REASON, column=column.name))
    return pd.Series(codes, index=text.index, dtype="float64")


def _parse_column(column: Column, text: pd.Series, issues: _Issues) -> pd.Series:
    """Typed canonical values of one input column (given as :func:`_as_text`); every bad cell becomes an issue."""
    _check_missing(column, text, issues)
    if column.kind == "date":
        return _parse_dates(column, text, issues)
    if column.kind in ("int", "float"):
        return _parse_numbers(column, text, issues)
    if column.kind == "bool":
        return _parse_bools(column, text, issues)
    if column.kind == "category":
        return _check_category(column, text, issues)
    return text


# --- cross-column checks ------------------------------------------------------

# (column, relation, other column, severity, reason, note): an issue when ``column`` is ``relation`` ``other``.
_DATE_ORDER: tuple[tuple[str, str, str, Severity, str, str], ...] = (
    ("death_date", "before", "first_line_start", "error", "death before start", ""),
    ("last_contact_date", "before", "first_line_start", "error", "last contact before start", ""),
    ("progression_date", "before", "first_line_start", "error", "progression before start", ""),
    (
        "death_date",
        "after",
        "last_contact_date",
        "error",
        "death after last contact",
        "; last_contact_date is the last date known alive, or the date of death",
    ),
    ("progression_date", "after", "death_date", "error", "progression after death", ""),
    ("progression_date", "after", "last_contact_date", "error", "progression after last contact", ""),
    ("pp_start", "before", "progression_date", "error", "pp_start before progression", ""),
    ("pp_start", "after", "death_date", "error", "pp_start after death", ""),
    ("pp_start", "after", "last_contact_date", "error", "pp_start after last contact", ""),
    (
        "last_contact_date",
        "after",
        "death_date",
        "warning",
        "last contact after death",
        "; death_date is used for survival",
    ),
)


def _iso(value: object) -> str:
    return value.strftime("%Y-%m-%d") if isinstance(value, pd.Timestamp) else str(value)


def _check_date_order(values: dict[str, pd.Series], issues: _Issues) -> None:
    for column, relation, other, severity, reason, note in _DATE_ORDER:
        first, second = values[column], values[other]
        wrong = first < second if relation == "before" else first > second
        for label in first.index[wrong.fillna(False).astype(bool)]:
            a, b = _iso(first[label]), _iso(second[label])
            template = (M.DATE_BEFORE if relation == "before" else M.DATE_AFTER) + note
            message = Message.of(template, column=column, value=a, other=other, other_value=b)
            issues.row(severity, label, column, a, message, Message(reason))


def _check_course(values: dict[str, pd.Series], issues: _Issues) -> None:
    """Post-progression therapy needs a progression; pp_start goes with pp_therapy."""
    progression, pp_start, therapy = values["progression_date"], values["pp_start"], values["pp_therapy"]
    no_progression = progression.isna()
    given = therapy.notna() & (therapy != "none")
    for label in pp_start.index[pp_start.notna() & no_progression]:
        value = _iso(pp_start[label])
        message = Message.of(M.PP_START_WITHOUT_PROGRESSION, value=value)
        issues.row("error", label, "pp_start", value, message, Message(M.PP_START_WITHOUT_PROGRESSION_REASON))
    for label in therapy.index[given & no_progression]:
        message = Message.of(M.PP_THERAPY_WITHOUT_PROGRESSION, value=repr(therapy[label]))
        reason = Message(M.PP_THERAPY_WITHOUT_PROGRESSION_REASON)
        issues.row("error", label, "pp_therapy", therapy[label], message, reason)
    for label in pp_start.index[pp_start.notna() & (therapy == "none")]:
        value = _iso(pp_start[label])
        message = Message.of(M.PP_START_WITH_NONE, value=value)
        issues.row("error", label, "pp_start", value, message, Message(M.PP_START_WITH_NONE_REASON))
    for label in pp_start.index[pp_start.isna() & given & ~no_progression]:
        message = Message.of(M.PP_START_MISSING, value=repr(therapy[label]))
        issues.row("warning", label, "pp_start", None, message, Message(M.PP_START_MISSING_REASON))


def _check_progression_measures(values: dict[str, pd.Series], issues: _Issues) -> None:
    """Measurements at progression need a progression: a value without one is reported and not used."""
    no_progression = values["progression_date"].isna()
    for name in PROGRESSION_COLUMNS:
        measured = values[name]
        stray = measured.notna() & no_progression
        for label, value in measured[stray].items():
            message = Message.of(M.MEASURE_WITHOUT_PROGRESSION, column=name, value=f"{value:g}")
            issues.row("warning", label, name, value, message,
                       Message.of(M.MEASURE_WITHOUT_PROGRESSION_REASON, column=name))  # fmt: skip
        values[name] = measured.mask(stray)


def _check_calendar(values: dict[str, pd.Series], issues: _Issues) -> None:
    drug, start = values["first_line"], values["first_line_start"]
    for name, available in FIRST_AVAILABLE.items():
        early = (drug == name) & (start < available)
        for label in drug.index[early.fillna(False).astype(bool)]:
            value = _iso(start[label])
            drug_name, since = Message(name), _iso(available)
            message = Message.of(M.BEFORE_AVAILABLE, value=value, drug=drug_name, available=since)
            reason = Message.of(M.BEFORE_AVAILABLE_REASON, drug=drug_name, available=since)
            issues.row("warning", label, "first_line_start", value, message, reason)


def _check_plausible_dates(values: dict[str, pd.Series], issues: _Issues, today: date) -> None:
    """Dates before first-line sorafenib existed or after today are errors; follow-up over 20 years is a warning."""
    earliest, latest = pd.Timestamp(EARLIEST_PLAUSIBLE_DATE), pd.Timestamp(today)
    for column in DATE_COLUMNS:
        dates = values[column]
        for label in dates.index[(dates < earliest).fillna(False).astype(bool)]:
            value = _iso(dates[label])
            message = Message.of(M.DATE_TOO_EARLY, column=column, value=value, earliest=_iso(earliest))
            issues.row("error", label, column, value, message, Message.of(M.DATE_TOO_EARLY_REASON, year=earliest.year))
        for label in dates.index[(dates > latest).fillna(False).astype(bool)]:
            value = _iso(dates[label])
            message = Message.of(M.DATE_AFTER_TODAY, column=column, value=value, today=_iso(latest))
            issues.row("error", label, column, value, message, Message.of(M.DATE_AFTER_TODAY_REASON))
    start = values["first_line_start"]
    end = values["death_date"].fillna(values["last_contact_date"])
    years = (end - start).dt.days / 365.25
    for label in years.index[(years > MAX_PLAUSIBLE_FOLLOW_UP_YEARS).fillna(False).astype(bool)]:
        long = Message.of(M.LONG_FOLLOW_UP, years=f"{years[label]:.1f}", start=_iso(start[label]), end=_iso(end[label]),
                          limit=MAX_PLAUSIBLE_FOLLOW_UP_YEARS)  # fmt: skip
        issues.row("warning", label, "last_contact_date", _iso(end[label]), long, Message.of(M.LONG_FOLLOW_UP_REASON))


def _check_duplicates(ids: pd.Series, issues: _Issues) -> None:
    present = ids[ids.notna()]
    repeated = present.duplicated(keep="first").to_numpy()
    if not repeated.any():
        return
    first_row: dict[str, Any] = dict(zip(present[~repeated].to_numpy(), present.index[~repeated], strict=True))
    for label, patient in present[repeated].items():
        message = Message.of(M.DUPLICATE_ID, value=str(patient), row=spreadsheet_row(first_row[patient]))
        issues.row("error", label, "patient_id", patient, message, Message.of(M.DUPLICATE_ID_REASON))


# --- derived columns ----------------------------------------------------------


def _derived_text(value: object) -> str | Message:
    text = _cell_text(value)
    return Message(M.EMPTY_VALUE) if text is None else text


def _differs(column: Column, stored: pd.Series, computed: pd.Series) -> pd.Series:
    if column.kind == "category":
        stored_text = _as_text(stored)
        computed_text = _none_where(computed, computed.isna())
        return ~((stored_text == computed_text) | (stored_text.isna() & computed_text.isna()))
    if column.kind == "bool":
        stored_numbers = _by_distinct(_as_text(stored), _text_bools)
    else:
        stored_numbers = _by_distinct(_as_text(stored), _text_numbers)
    computed_numbers = computed.astype("float64")
    tolerance = DERIVED_TOLERANCE_MONTHS if column.kind == "float" else 0.0
    close = (stored_numbers - computed_numbers).abs() <= tolerance
    both_missing = stored_numbers.isna() & computed_numbers.isna()
    return ~(close.fillna(False).astype(bool) | both_missing)


def _check_derived(raw: pd.DataFrame, derived: pd.DataFrame, issues: _Issues) -> None:
    """Derived columns stored in the file must agree with the recomputed ones (which win)."""
    for name in DERIVED_COLUMNS:
        if name not in raw.columns:
            continue
        column = COLUMN_BY_NAME[name]
        stored = raw.loc[derived.index, name]
        for label in derived.index[_differs(column, stored, derived[name])]:
            file_value, value = _derived_text(stored[label]), _derived_text(derived[name][label])
            message = Message.of(M.RECOMPUTED, column=name, file_value=file_value, value=value)
            shown = file_value.text() if isinstance(file_value, Message) else file_value
            issues.row("warning", label, name, shown, message, Message.of(M.RECOMPUTED_REASON, column=name))


# --- file-level checks --------------------------------------------------------


def _check_file(frame: pd.DataFrame, issues: _Issues) -> list[str]:
    """File-level problems. Returns the names of columns not in the schema."""
    names = [str(c) for c in frame.columns]
    for name in sorted({n for n in names if names.count(n) > 1}):
        message = Message.of(M.REPEATED_COLUMN, column=repr(name), n=names.count(name))
        issues.file("error", name, message, M.REPEATED_COLUMN_REASON)
    if len(frame) == 0:
        issues.file("error", None, Message(M.NO_ROWS), M.NO_ROWS_REASON)
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    extra = [n for n in dict.fromkeys(names) if n not in COLUMN_BY_NAME]
    by_case = {n.strip().casefold(): n for n in extra}
    for name in missing:
        found = {"found": repr(by_case[name])} if name in by_case else {}
        if name == "patient_id":
            message = Message.of(M.MISSING_PATIENT_ID_RENAME if found else M.MISSING_PATIENT_ID, **found)
        else:
            message = Message.of(M.MISSING_COLUMN_RENAME if found else M.MISSING_COLUMN, column=name, **found)
        issues.file("error", name, message, M.MISSING_COLUMN_REASON)
    for name in extra:
        message = Message.of(M.EXTRA_COLUMN, column=repr(name))
        issues.file("warning", name, message, M.EXTRA_COLUMN_REASON)
    return extra


# --- fingerprint ----------------------------------------------------------------


def _fingerprint_column(values: pd.Series) -> pd.Series:
    """Canonical text of one column for hashing: numbers to 12 significant digits, dates ISO, '' if missing."""
    if pd.api.types.is_float_dtype(values.dtype):
        text = _by_distinct(values, lambda numbers: numbers.map("{:.12g}".format))
    elif pd.api.types.is_object_dtype(values.dtype):
        text = values  # already canonical text
    else:
        text = _as_text(values)
    return text.where(values.notna(), "").astype(str)


def _json_cells(values: pd.Series) -> npt.NDArray[np.object_]:
    """Each cell's :func:`_fingerprint_column` text as a JSON string (the encoder ``json.dumps`` uses)."""

    def encode(distinct: pd.Series) -> pd.Series:
        return _fingerprint_column(distinct).map(encode_basestring)

    mixed = pd.api.types.is_object_dtype(values.dtype) and pd.api.types.infer_dtype(values) not in ("string", "empty")
    if mixed:  # 1, 1.0 and True are one distinct value but three texts
        return encode(values).to_numpy(dtype=object)
    return _by_distinct(values, encode).to_numpy(dtype=object)


def cohort_fingerprint(frame: pd.DataFrame, extra: list[str] | tuple[str, ...] = ()) -> str:
    """sha256 of the canonical content: input columns (fixed order) and extra columns (by name), rows by patient_id.

    Derived columns are not hashed: they are recomputed from the inputs. An
    optional column is hashed only when it holds a value, so a file without it
    and one with it left empty are the same data. The same data gives the same
    fingerprint whatever the column order, row order or file format.
    """
    optional = [c for c in OPTIONAL_COLUMNS if c in frame.columns and bool(frame[c].notna().any())]
    columns = [*REQUIRED_COLUMNS, *optional, *sorted(extra)]
    ids = _fingerprint_column(frame["patient_id"])
    if ids.is_unique:  # always so in a validated cohort: the ids alone fix the order
        order = np.argsort(ids.to_numpy(dtype=object), kind="stable")
    else:
        text = pd.DataFrame({c: _fingerprint_column(frame[c]) for c in columns}).set_axis(pd.RangeIndex(len(frame)))
        order = text.sort_values(columns, kind="mergesort").index.to_numpy()
    # The payload is json.dumps({"schema", "columns", "rows": the cells row by row}, ensure_ascii=False, compact),
    # written out directly: each distinct cell is JSON-encoded once, then rows "[a,b]" are joined with ",".
    head = {"schema": SCHEMA_VERSION, "columns": columns, "rows": []}
    rows = ""
    if len(frame):
        cells = np.stack([_json_cells(frame[c]) for c in columns], axis=1)[order]
        cells[:, 0] = "[" + cells[:, 0]
        cells[:, -1] = cells[:, -1] + "]"
        rows = ",".join(cells.ravel().tolist())
    payload = json.dumps(head, ensure_ascii=False, separators=(",", ":")).removesuffix("[]}") + f"[{rows}]}}"
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


# --- public entry points --------------------------------------------------------


def _empty_frame() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=_DTYPE_OF[COLUMN_BY_NAME[c].kind]) for c in INPUT_COLUMNS})
    return derive_endpoints(frame)[[*INPUT_COLUMNS, *DERIVED_COLUMNS]]


_DTYPE_OF: dict[str, Any] = {
    "id": "object",
    "text": "object",
    "category": "object",
    "date": "datetime64[ns]",
    "int": "float64",
    "float": "float64",
    "bool": "int64",
}


def _typed_inputs(raw: pd.DataFrame, issues: _Issues, today: date) -> dict[str, pd.Series]:
    texts = {name: _as_text(raw[name]) for name in INPUT_COLUMNS}
    issues.ids = texts["patient_id"]
    values = {name: _parse_column(COLUMN_BY_NAME[name], texts[name], issues) for name in INPUT_COLUMNS}
    _check_duplicates(values["patient_id"], issues)
    _check_date_order(values, issues)
    _check_course(values, issues)
    _check_progression_measures(values, issues)
    _check_calendar(values, issues)
    _check_plausible_dates(values, issues, today)
    return values


def _report(source: str, n_read: int, issues: _Issues) -> ValidationReport:
    """Counts and issues. Rows with an error are excluded; a file-level error excludes every row."""
    usable = not issues.has_file_errors()
    excluded = [label for label in issues.position if label in issues.bad]
    return ValidationReport(
        source=source,
        n_read=n_read,
        n_used=n_read - len(excluded) if usable else 0,
        n_excluded=len(excluded) if usable else n_read,
        issues=issues.sorted(),
        excluded_rows=tuple(f"row {spreadsheet_row(label)}" for label in excluded),
        usable=usable,
    )


def validate_cohort(
    frame: pd.DataFrame,
    *,
    source: str = "data",
    name: str | None = None,
    synthetic: bool = False,
    today: date | None = None,
) -> ValidatedCohort:
    """Check a cohort table against the canonical schema and recompute its derived columns.

    Every problem is reported at once, naming the column, the spreadsheet row
    and the patient. Rows with an error are excluded and listed; warnings keep
    the row. A file-level error (a required column missing, no rows, a
    repeated column) makes the report unusable and the frame empty. Never
    raises for bad content: every problem becomes an :class:`Issue`.

    Derived columns are always recomputed from the dates with
    :func:`derive_endpoints`; stored values that disagree are reported as warnings.
    Dates are checked against :data:`analysis.schema.EARLIEST_PLAUSIBLE_DATE`
    and ``today`` (default: the current date).
    """
    raw = frame.copy() if frame.index.is_unique else frame.reset_index(drop=True)
    raw.columns = [str(c).strip() for c in raw.columns]
    issues = _Issues(raw.index)
    extra = _check_file(raw, issues)
    for column in OPTIONAL_COLUMNS:
        if column not in raw.columns:
            raw[column] = pd.Series(None, index=raw.index, dtype=object)
    label = name if name is not None else source
    if issues.has_file_errors():
        empty = _empty_frame()
        report = _report(source, len(raw), issues)
        empty_fingerprint = cohort_fingerprint(empty)
        return ValidatedCohort(empty, report, empty_fingerprint, empty_fingerprint[:10], label, synthetic)
    values = _typed_inputs(raw, issues, today or date.today())
    keep = [lbl for lbl in raw.index if lbl not in issues.bad]
    if not keep:
        issues.file("error", None, Message(M.NO_USABLE_ROWS), M.NO_USABLE_ROWS_REASON)
    canonical = pd.DataFrame({c: values[c] for c in INPUT_COLUMNS}, index=raw.index).loc[keep]
    for column in INPUT_COLUMNS:
        canonical[column] = canonical[column].astype(_DTYPE_OF[COLUMN_BY_NAME[column].kind])
    result = derive_endpoints(canonical)[[*INPUT_COLUMNS, *DERIVED_COLUMNS]]
    _check_derived(raw, result, issues)
    for column in extra:
        result[column] = raw.loc[keep, column]
    fingerprint = cohort_fingerprint(result, extra)
    report = _report(source, len(raw), issues)
    return ValidatedCohort(result, report, fingerprint, fingerprint[:10], label, synthetic)


def load_cohort(path: str | Path, *, synthetic: bool = False) -> ValidatedCohort:
    """Read a CSV/TSV cohort file and validate it.

    Raises DataError when the file cannot be read or cannot be used at all;
    the message holds the report summary and the first errors.
    """
    file = Path(path)
    cohort = validate_cohort(read_table(file), source=str(file), name=file.name, synthetic=synthetic)
    report = cohort.report
    if not report.usable:
        errors = report.errors()
        lines = [issue.describe() for issue in errors[:_MAX_ERRORS_IN_MESSAGE]]
        if len(errors) > _MAX_ERRORS_IN_MESSAGE:
            lines.append(f"... and {len(errors) - _MAX_ERRORS_IN_MESSAGE} more errors (run `ppx validate {file}`)")
        raise DataError(f"cohort file {str(file)!r} cannot be used. {report.summary()}\n" + "\n".join(lines))
    return cohort


BUNDLED_FILE = "synthetic_klc.csv"


def bundled_cohort_path() -> Path:
    """The bundled cohort file: ``$PPX_COHORT_PATH`` if set, else the package data ``analysis/data/synthetic_klc.csv``.

    The package data ships in the wheel (importlib.resources), so the default works from any directory after a
    plain ``pip install``; ``data/synthetic_klc.csv`` in the repository is the documented, identical copy.
    """
    override = os.environ.get("PPX_COHORT_PATH")
    if override:
        return Path(override)
    return Path(str(resources.files("analysis") / "data" / BUNDLED_FILE))


def load_bundled_cohort() -> ValidatedCohort:
    """The bundled SYNTHETIC cohort, validated (raises DataError if it cannot be used)."""
    cohort = load_cohort(bundled_cohort_path(), synthetic=True)
    return replace(cohort, name=BUNDLED_NAME)
