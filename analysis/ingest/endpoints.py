"""Follow-up dates rebuilt from stored endpoints (a file with os_months/os_event but no dates)."""

from __future__ import annotations

import pandas as pd

from analysis.cohort import Issue
from analysis.ingest import messages as M
from analysis.ingest.cells import file_issue
from analysis.messages import Message
from analysis.schema import DAYS_PER_MONTH
from analysis.survdata import FALSE_WORDS, TRUE_WORDS


def _numbers(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values.astype("string"), errors="coerce").astype("float64")


def _flags(values: pd.Series) -> pd.Series:
    codes = {**dict.fromkeys(TRUE_WORDS, 1.0), **dict.fromkeys(FALSE_WORDS, 0.0)}
    return values.astype("string").str.strip().str.lower().map(codes).astype("float64")


def _days_after(start: pd.Series, months: pd.Series) -> pd.Series:
    days = (months * DAYS_PER_MONTH).round()
    return start + pd.to_timedelta(days, unit="D")


def _iso_text(dates: pd.Series) -> pd.Series:
    text = dates.dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
    text[dates.isna().to_numpy()] = None
    return pd.Series(text, index=dates.index, dtype=object)


def rebuild_dates(frame: pd.DataFrame, issues: list[Issue], notes: list[Message]) -> None:
    """Dates from stored endpoints, for a file that has the months but not the follow-up dates."""
    have = set(frame.columns)
    if {"last_contact_date", "death_date"} & have or not {"os_months", "os_event"} <= have:
        return
    if "first_line_start" not in have:
        message = Message(M.NO_START_FOR_MONTHS)
        issues.append(file_issue("error", "first_line_start", message, "missing required column"))
        return
    start = pd.to_datetime(frame["first_line_start"], format="%Y-%m-%d", errors="coerce")
    os_months, died = _numbers(frame["os_months"]), _flags(frame["os_event"])
    os_end = _days_after(start, os_months)
    frame["last_contact_date"] = _iso_text(os_end)
    frame["death_date"] = _iso_text(os_end.where(died == 1))
    rebuilt = ["last_contact_date", "death_date"]
    if "progression_date" not in have and {"pfs_months", "pfs_event"} <= have:
        pfs_end = _days_after(start, _numbers(frame["pfs_months"]))
        if "pps_months" in have:
            progressed = _numbers(frame["pps_months"]).notna()
        else:
            progressed = (_flags(frame["pfs_event"]) == 1) & ~((died == 1) & (pfs_end >= os_end))
        frame["progression_date"] = _iso_text(pfs_end.where(progressed))
        rebuilt.append("progression_date")
    if "pp_start" not in have and "progression_date" in frame.columns:
        frame["pp_start"] = None
        notes.append(Message(M.NOTE_NO_PP_START))
    notes.append(Message.of(M.NOTE_REBUILT, columns=", ".join(rebuilt)))
