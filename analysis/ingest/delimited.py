"""Reading CSV and TSV text: delimiter sniffing, rows, truncation and formula-like cells."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pandas as pd

from analysis.cohort import Issue
from analysis.errors import DataError
from analysis.ingest.cells import row_issue
from analysis.ingest.table import DELIMITER_NAMES, Rows, header_names, place_row, too_many_rows


def _sniff_delimiter(header_line: str, source: str) -> tuple[str, str | None]:
    """The delimiter of the header line, and a note when it is not the file name's."""
    counts = {d: _unquoted_count(header_line, d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0:
        return ",", None
    expected = "\t" if source.lower().endswith((".tsv", ".tab", ".txt")) else ","
    if best != expected and counts[expected] == 0:
        name = DELIMITER_NAMES[best]
        return best, f"read as {name}-separated: the header has no {DELIMITER_NAMES[expected]}s"
    return expected if counts[expected] > 0 else best, None


def _unquoted_count(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == delimiter and not quoted:
            count += 1
    return count


def read_delimited(text: str, source: str, max_rows: int | None) -> tuple[pd.DataFrame, str, list[str], Rows]:
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    if not first_line:
        raise DataError(f"file {source!r} is empty")
    delimiter, note = _sniff_delimiter(first_line, source)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    header_line = 0
    rows = Rows()
    try:
        for number, record in enumerate(reader, start=1):
            if header is None:
                if any(value.strip() for value in record):
                    header, header_issues = header_names(record)
                    rows.issues.extend(header_issues)
                    header_line = number
                continue
            place_row(rows, number - 2, record, len(header))
            if max_rows is not None and len(rows.labels) + len(rows.rejected) > max_rows:
                raise too_many_rows(source, max_rows)
    except csv.Error as exc:
        raise DataError(f"file {source!r} could not be read as a table: {exc}") from exc
    _mark_truncated(rows, text)
    if header is None:
        raise DataError(f"file {source!r} is empty")
    if len(header) == 1:
        raise DataError(
            f"file {source!r} has a single column ({header[0][:60]!r}); columns must be separated by commas, "
            "tabs or semicolons"
        )
    notes = [note] if note else []
    if header_line > 1:
        notes.append(f"the header is on line {header_line}; the lines above it are empty")
    frame = pd.DataFrame(rows.cells, index=pd.Index(rows.labels, dtype="int64"), columns=header, dtype=object)
    return frame, delimiter, notes, rows


def _mark_truncated(rows: Rows, text: str) -> None:
    """A short last row in a file without a final newline: say the file may be truncated."""
    if not rows.issues or text.endswith(("\n", "\r")):
        return
    last = rows.issues[-1]
    if last.reason == "short row" and rows.labels and last.row == f"row {rows.labels[-1] + 2}":
        rows.issues[-1] = replace(last, message=last.message + " (the file may be truncated)")


def formula_issues(frame: pd.DataFrame) -> list[Issue]:
    """A warning for each text cell that looks like a spreadsheet formula (starts with '=')."""
    issues: list[Issue] = []
    for column in frame.columns:
        values = frame[column]
        text = values[values.map(lambda v: isinstance(v, str) and v.startswith("="))]
        for label in text.index:
            message = (
                f"{column}: the cell is a spreadsheet formula ({str(text[label])[:40]!r}); it is read as text, "
                "and exports neutralise it"
            )
            issues.append(row_issue("warning", int(label), str(column), message, "formula cell"))
    return issues
