"""Validation of a mapped upload, the merged report, and the excluded rows as a table."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import pandas as pd

from analysis.cohort import Issue, ValidatedCohort, ValidationReport, validate_cohort
from analysis.ingest.mapping import MappedTable, apply_mapping
from analysis.ingest.neutralise import neutralise_frame
from analysis.ingest.spec import MappingSpec
from analysis.ingest.table import RawTable
from analysis.messages import Message


@dataclass(frozen=True, eq=False)
class PreparedUpload:
    """A mapped and validated upload: the cohort (with one report for reader, mapper and validator) and its notes."""

    cohort: ValidatedCohort
    raw: RawTable
    mapped: MappedTable
    spec: MappingSpec | None = None

    @property
    def report(self) -> ValidationReport:
        return self.cohort.report

    @property
    def notes(self) -> tuple[str, ...]:
        return self.mapped.notes

    @property
    def messages(self) -> tuple[Message, ...]:
        """:attr:`notes` as templates and parameters (:mod:`analysis.ingest.messages`)."""
        return self.mapped.messages


def _row_number(issue: Issue) -> int:
    if issue.row is None:
        return -1
    match = re.search(r"\d+", issue.row)
    return int(match.group()) if match else -1


def _merge_report(report: ValidationReport, extra: Sequence[Issue], rejected: Sequence[int]) -> ValidationReport:
    """The validator's report plus the reader's and mapper's issues, with rejected rows counted as excluded."""
    file_errors = any(i.severity == "error" and i.row is None for i in extra)
    issues = sorted((*extra, *report.issues), key=_row_number)
    rejected_rows = [f"row {label + 2}" for label in rejected]
    excluded = sorted({*report.excluded_rows, *rejected_rows}, key=lambda r: int(r.split()[-1]))
    usable = report.usable and not file_errors
    n_read = report.n_read + len(rejected)
    return ValidationReport(
        source=report.source,
        n_read=n_read,
        n_used=report.n_used if usable else 0,
        n_excluded=len(excluded) if usable else n_read,
        issues=tuple(issues),
        excluded_rows=tuple(excluded),
        usable=usable,
    )


def prepare_cohort(raw: RawTable, spec: MappingSpec, *, name: str | None = None) -> PreparedUpload:
    """Map ``raw`` with ``spec`` and validate it with :func:`analysis.cohort.validate_cohort`.

    The returned cohort's report also lists the reader's and mapper's issues
    (ragged rows, formulas, date order), and counts rows the reader excluded.
    A file-level error from them (an unclear date order) makes it unusable.
    """
    mapped = apply_mapping(raw, spec)
    cohort = validate_cohort(mapped.frame, source=raw.source, name=name or raw.source, synthetic=False)
    report = _merge_report(cohort.report, mapped.issues, [label for label, _ in raw.rejected])
    if not report.usable and cohort.report.usable:
        cohort = replace(cohort, frame=cohort.frame.iloc[0:0])
    return PreparedUpload(replace(cohort, report=report), raw, mapped, spec)


def excluded_rows_table(prepared: PreparedUpload) -> pd.DataFrame:
    """The excluded rows of a prepared upload (:func:`excluded_rows`)."""
    return excluded_rows(prepared.raw, prepared.report, prepared.spec)


def excluded_rows(raw: RawTable, report: ValidationReport, spec: MappingSpec | None) -> pd.DataFrame:
    """The excluded rows as the file had them, with their row number and reasons; safe to open in a spreadsheet.

    Columns: ``row``, ``reasons``, then the file's columns that the mapping
    uses (all of them with ``keep_unmapped``), so a column the mapping leaves
    out is never downloaded; rows the reader could not place have their cells
    in order and ``(extra cells)``.
    """
    reasons: dict[str, list[str]] = {}
    for issue in report.errors():
        if issue.row is not None:
            reasons.setdefault(issue.row, []).append(issue.message)
    file_reasons = [i.message for i in report.errors() if i.row is None]
    all_columns = [str(c) for c in raw.frame.columns]
    columns = _kept_columns(raw, spec)
    kept = set(columns)
    rejected = dict(raw.rejected)
    excluded = set(report.excluded_rows) if report.usable else {f"row {lbl + 2}" for lbl in raw.frame.index}
    excluded |= {f"row {lbl + 2}" for lbl in rejected}
    labels = sorted(int(row.split()[-1]) - 2 for row in excluded)
    body = raw.frame.reindex(pd.Index(labels, dtype="int64"))[columns].astype(object)  # the rows at once
    extra: list[str | None] = []
    for position, label in enumerate(labels):
        cells = rejected.get(label)
        if cells is not None:
            for column, value in zip(all_columns, cells, strict=False):
                if column in kept:
                    body.iat[position, columns.index(column)] = value
        extra.append(" | ".join(cells[len(all_columns) :]) if cells is not None else None)
    body.insert(0, "reasons", ["; ".join(reasons.get(f"row {label + 2}", file_reasons)) for label in labels])
    body.insert(0, "row", [label + 2 for label in labels])
    if rejected:
        body["(extra cells)"] = extra
    table = body.reset_index(drop=True)
    return neutralise_frame(table)


def _kept_columns(raw: RawTable, spec: MappingSpec | None) -> list[str]:
    """The file's columns the mapping uses, in file order (every column when unmapped ones are kept)."""
    columns = [str(c) for c in raw.frame.columns]
    if spec is None or spec.keep_unmapped:
        return columns
    used = {source for _, source in spec.columns}
    return [c for c in columns if c in used]
