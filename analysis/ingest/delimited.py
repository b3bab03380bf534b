"""Reading CSV and TSV text: delimiter sniffing, rows, truncation and formula-like cells."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from itertools import islice

import numpy as np
import pandas as pd

from analysis.cohort import Issue
from analysis.errors import DataError
from analysis.ingest import messages as M
from analysis.ingest.arrowcsv import read_regular
from analysis.ingest.bounds import Deadline, ReadLimits, check_columns, long_cell, too_many_rows
from analysis.ingest.cells import clean_cell, row_issue
from analysis.ingest.table import CHUNK_ROWS, DELIMITER_NAMES, Rows, TableBuilder, header_names
from analysis.messages import Message


def sniff_delimiter(header_line: str, source: str) -> tuple[str, Message | None]:
    """The delimiter of the header line, and a note when it is not the file name's."""
    counts = {d: _unquoted_count(header_line, d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    if counts[best] == 0:
        return ",", None
    expected = "\t" if source.lower().endswith((".tsv", ".tab", ".txt")) else ","
    if best != expected and counts[expected] == 0:
        name, other = Message(DELIMITER_NAMES[best]), Message(DELIMITER_NAMES[expected])
        return best, Message.of(M.NOTE_DELIMITER, name=name, expected=other)
    return expected if counts[expected] > 0 else best, None


def _unquoted_count(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == delimiter and not quoted:
            count += 1
    return count


def first_text_line(text: str) -> str:
    """The first line with something on it, without splitting the whole text."""
    position = 0
    while position < len(text):
        end = text.find("\n", position)
        end = len(text) if end < 0 else end
        line = text[position:end].rstrip("\r")
        if line.strip():
            return line
        position = end + 1
    return ""


def read_delimited(
    text: str, source: str, limits: ReadLimits, deadline: Deadline, *, fast: bool = True
) -> tuple[pd.DataFrame, str, list[Message], Rows]:
    """The text's cells (cleaned text, rows labelled as the file numbers them), delimiter, notes and rows.

    A regular file is parsed by pyarrow (:func:`analysis.ingest.arrowcsv.read_regular`); any other, or
    ``fast=False``, by the csv module, a chunk of records at a time. Both give the same frame and rows.
    """
    first_line = first_text_line(text)
    if not first_line:
        raise DataError.of(M.EMPTY_FILE, source=repr(source))
    delimiter, note = sniff_delimiter(first_line[:65_536], source)
    if first_line.count(delimiter) + 1 > limits.max_columns:
        check_columns(source, _unquoted_count(first_line, delimiter) + 1, limits)
    if limits.max_rows is not None and text.count("\n") > limits.max_rows + 1:
        _count_rows(text, delimiter, source, limits, limits.max_rows)
    regular = read_regular(text, delimiter, source, limits) if fast else None
    if regular is not None:
        deadline.report(0.6, Message.of(M.STAGE_ROWS_READ, n=f"{len(regular[0]):,}"))
        return regular[0], delimiter, [note] if note else [], regular[1]
    rows = Rows()
    builder, header_line = _read_records(text, delimiter, source, limits, deadline, rows)
    if len(builder.names) == 1:
        raise DataError.of(M.SINGLE_COLUMN, source=repr(source), name=repr(builder.names[0][:60]))
    frame = builder.finish()
    _mark_truncated(rows, text, frame)
    notes = [note] if note else []
    if header_line > 1:
        notes.append(Message.of(M.NOTE_HEADER_LINE, line=header_line))
    return frame, delimiter, notes, rows


def _read_records(
    text: str, delimiter: str, source: str, limits: ReadLimits, deadline: Deadline, rows: Rows
) -> tuple[TableBuilder, int]:
    """The header (and its line number), then the data rows a chunk at a time."""
    buffer = io.StringIO(text, newline="")
    reader = csv.reader(buffer, delimiter=delimiter)
    builder: TableBuilder | None = None
    header_line = 0
    try:
        for number, record in enumerate(reader, start=1):
            if any(value.strip() for value in record):
                builder, header_line = _header(record, source, limits, rows), number
                break
        if builder is None:
            raise DataError.of(M.EMPTY_FILE, source=repr(source))
        next_label = header_line - 1
        while chunk := list(islice(reader, CHUNK_ROWS)):
            builder.add_chunk(next_label, chunk)
            next_label += len(chunk)
            if limits.max_rows is not None and len(builder.frames) and _placed(builder) > limits.max_rows:
                raise too_many_rows(source, limits, limits.max_rows)
            stage = Message.of(M.STAGE_ROWS_SO_FAR, n=f"{builder.count:,}")
            deadline.report(0.6 * buffer.tell() / max(len(text), 1), stage)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            where = Message.of(M.WHERE_LINE, line=reader.line_num)
            raise long_cell(source, where, csv.field_size_limit(), limits) from exc
        raise DataError.of(M.NOT_A_TABLE, source=repr(source), detail=str(exc), kind=type(exc).__name__) from exc
    return builder, header_line


def _placed(builder: TableBuilder) -> int:
    return sum(len(frame) for frame in builder.frames) + len(builder.rows.rejected)


_BLANK_LINE = re.compile(r"^[ \t,;|]*\r?$", re.M)


def _count_rows(text: str, delimiter: str, source: str, limits: ReadLimits, max_rows: int) -> None:
    """Before any cell is converted: more non-blank records than the header and ``max_rows`` is refused.

    Without quotes a record is a line, so the lines are counted in C; with quotes (a value may hold a line
    break) the records are counted by the csv reader.
    """
    if '"' not in text:
        lines = len(text.splitlines())
        blank = len(_BLANK_LINE.findall(text))
        if lines - blank - 1 > max_rows:
            raise too_many_rows(source, limits, max_rows)
        return
    count = -1  # the header
    try:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if "".join(record).strip():
                count += 1
                if count > max_rows:
                    raise too_many_rows(source, limits, max_rows)
    except csv.Error:
        return  # the reading proper reports it, with its line


def _header(record: list[str], source: str, limits: ReadLimits, rows: Rows) -> TableBuilder:
    for position, value in enumerate(record):
        if len(value) > limits.max_cell_chars:
            raise long_cell(source, Message.of(M.WHERE_HEADER_COLUMN, position=position + 1), len(value), limits)
    header, header_issues = header_names(record)
    rows.issues.extend(header_issues)
    return TableBuilder(header, clean_text, source, limits, rows)


def clean_text(value: object) -> str | None:
    return clean_cell(value) if isinstance(value, str) else None


def _mark_truncated(rows: Rows, text: str, frame: pd.DataFrame) -> None:
    """A short last row in a file without a final newline: say the file may be truncated."""
    if not rows.issues or text.endswith(("\n", "\r")) or not len(frame):
        return
    last = rows.issues[-1]
    if last.reason == "short row" and last.row == f"row {int(frame.index[-1]) + 2}":
        params = last.text.params if last.text is not None else ()
        worded = Message(M.SHORT_ROW_TRUNCATED, params)
        rows.issues[-1] = replace(last, message=worded.text(), text=worded)


def formula_issues(frame: pd.DataFrame) -> list[Issue]:
    """A warning for each text cell that looks like a spreadsheet formula (starts with '='), column by column."""
    issues: list[Issue] = []
    for column in frame.columns:
        codes, uniques = pd.factorize(frame[column].to_numpy(dtype=object))
        formulas = [k for k, value in enumerate(uniques) if isinstance(value, str) and value.startswith("=")]
        if not formulas:
            continue
        for position in np.flatnonzero(np.isin(codes, formulas)):
            text = str(uniques[codes[position]])
            message = Message.of(M.FORMULA_TEXT, column=str(column), formula=repr(text[:40]))
            issues.append(row_issue("warning", int(frame.index[int(position)]), str(column), message, "formula cell"))
    return issues
