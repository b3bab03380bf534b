"""Dates in a file: the forms read (ISO, Japanese, eras, Excel serials) and the day/month order."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import numpy as np
import pandas as pd

from analysis.cohort import Issue
from analysis.ingest import messages as M
from analysis.ingest.cells import file_issue
from analysis.messages import Message
from analysis.schema import DATE_COLUMNS

DateOrder = Literal["auto", "dmy", "mdy"]
DATE_ORDERS: tuple[str, ...] = ("auto", "dmy", "mdy")


EXCEL_EPOCH = date(1899, 12, 30)
"""Day 0 of Excel's 1900 date system (serial 1 is 1900-01-01, counting Excel's phantom 1900-02-29)."""
EXCEL_SERIAL_RANGE = (18_264, 73_051)
"""Serial numbers read as dates: 1950-01-01 to 2099-12-31. Smaller numbers are more likely years or typos."""

_ERA_START = {"令和": 2018, "r": 2018, "平成": 1988, "h": 1988, "昭和": 1925, "s": 1925}
_DATE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("YYYY-MM-DD", re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")),
    ("YYYY/MM/DD", re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})(?: \d{1,2}:\d{2}(?::\d{2})?)?$")),
    ("YYYY年M月D日", re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?$")),
    ("YYYYMMDD", re.compile(r"^(\d{4})(\d{2})(\d{2})$")),
)
_ERA = re.compile(r"^(令和|平成|昭和|[RrHhSs])\s*(\d{1,2}|元)\s*[年./-]\s*(\d{1,2})\s*[月./-]\s*(\d{1,2})\s*日?$")
_DAY_MONTH = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_SERIAL = re.compile(r"^(\d{5})(?:\.0+)?$")


@dataclass(frozen=True)
class _DateRead:
    iso: str | None
    form: str | None
    first: int = 0
    second: int = 0


def _valid(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _read_date(text: str) -> _DateRead:
    """One date text: its ISO form (None if unreadable) and the format it was in (None if not a date form)."""
    value = unicodedata.normalize("NFKC", text).strip()
    for form, pattern in _DATE_PATTERNS:
        match = pattern.match(value)
        if match:
            y, m, d = (int(g) for g in match.groups())
            return _DateRead(_valid(y, m, d), form)
    match = _ERA.match(value)
    if match:
        era, year_text, month, day = match.groups()
        year = 1 if year_text == "元" else int(year_text)
        return _DateRead(_valid(_ERA_START[era.casefold()] + year, int(month), int(day)), M.DATE_FORMS[0])
    match = _DAY_MONTH.match(value)
    if match:
        a, b, _ = (int(g) for g in match.groups())
        return _DateRead(None, "DD/MM or MM/DD", a, b)
    match = _SERIAL.match(value)
    if match:
        serial = int(match.group(1))
        if EXCEL_SERIAL_RANGE[0] <= serial <= EXCEL_SERIAL_RANGE[1]:
            return _DateRead((EXCEL_EPOCH + timedelta(days=serial)).isoformat(), "Excel serial number")
    return _DateRead(None, None)


def _day_month(text: str, order: Literal["dmy", "mdy"]) -> str | None:
    match = _DAY_MONTH.match(unicodedata.normalize("NFKC", text).strip())
    if match is None:
        return None
    a, b, year = (int(g) for g in match.groups())
    return _valid(year, b, a) if order == "dmy" else _valid(year, a, b)


@dataclass(frozen=True)
class DateOrderDecision:
    """How ``DD/MM/YYYY``-like dates in the file were read, and why."""

    order: Literal["dmy", "mdy"] | None
    chosen: bool
    ambiguous: int
    evidence: Message | None
    conflict: Message | None


def _decide_order(reads: Mapping[str, Mapping[str, _DateRead]], requested: DateOrder) -> DateOrderDecision:
    dmy: Message | None = None
    mdy: Message | None = None
    ambiguous = 0
    for column, column_reads in reads.items():
        for text, read in column_reads.items():
            if read.form != "DD/MM or MM/DD":
                continue
            if read.first > 12 and read.second <= 12:
                dmy = dmy or Message.of(M.DATE_EVIDENCE, value=repr(text), column=column)
            elif read.second > 12 and read.first <= 12:
                mdy = mdy or Message.of(M.DATE_EVIDENCE, value=repr(text), column=column)
            elif read.first != read.second:
                ambiguous += 1
    if requested != "auto":
        return DateOrderDecision(requested, True, ambiguous, None, None)
    if dmy and mdy:
        return DateOrderDecision(None, False, ambiguous, None, Message.of(M.DATE_CONFLICT, dmy=dmy, mdy=mdy))
    if dmy or mdy:
        return DateOrderDecision("dmy" if dmy else "mdy", False, ambiguous, dmy or mdy, None)
    return DateOrderDecision(None, False, ambiguous, None, None)


def _converted(table: Mapping[str, str | None], value: object) -> object:
    if isinstance(value, str):
        return table.get(value) or value
    return value


def _by_distinct(values: pd.Series, table: Mapping[str, str | None]) -> pd.Series:
    """:func:`_converted` applied once per distinct cell."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[:-1] = [_converted(table, value) for value in uniques]
    mapped[-1] = None
    return pd.Series(mapped[codes], index=values.index, dtype=object)


def normalise_dates(
    frame: pd.DataFrame, requested: DateOrder, issues: list[Issue], notes: list[Message]
) -> DateOrderDecision | None:
    columns = [c for c in DATE_COLUMNS if c in frame.columns]
    reads = {c: {str(t): _read_date(str(t)) for t in frame[c].dropna().unique()} for c in columns}
    if not any(r.form == "DD/MM or MM/DD" for column_reads in reads.values() for r in column_reads.values()):
        decision = None
        order: Literal["dmy", "mdy"] = "dmy"
    else:
        decision = _decide_order(reads, requested)
        order = decision.order or "dmy"
        _date_order_issues(decision, issues, notes)
    for column in columns:
        converted = {
            text: (_day_month(text, order) if read.form == "DD/MM or MM/DD" else read.iso)
            for text, read in reads[column].items()
        }
        frame[column] = _by_distinct(frame[column], converted)
        forms = sorted({r.form for r in reads[column].values() if r.form is not None})
        if len(forms) > 1 or (forms and forms != ["YYYY-MM-DD"]):
            notes.append(Message.of(M.NOTE_DATE_FORMATS, column=column, n=len(forms), forms=", ".join(forms)))
    return decision


def _date_order_issues(decision: DateOrderDecision, issues: list[Issue], notes: list[Message]) -> None:
    dmy = decision.order == "dmy"
    if decision.chosen:
        notes.append(Message(M.NOTE_DATE_ORDER_CHOSEN_DMY if dmy else M.NOTE_DATE_ORDER_CHOSEN_MDY))
    elif decision.conflict is not None:
        message = Message.of(M.DATE_ORDER_CONFLICT, conflict=decision.conflict)
        issues.append(file_issue("error", None, message, "date order unclear"))
    elif decision.order is not None and decision.evidence is not None:
        notes.append(Message.of(M.NOTE_DATE_ORDER_DMY if dmy else M.NOTE_DATE_ORDER_MDY, evidence=decision.evidence))
    elif decision.ambiguous:
        message = Message.of(M.DATE_ORDER_AMBIGUOUS, n=decision.ambiguous)
        issues.append(file_issue("error", None, message, "date order unclear"))
