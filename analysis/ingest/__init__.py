"""Bringing a user's own cohort file into the canonical schema.

The path of an upload (the Data page and ``ppx validate``)::

    bytes --read_upload--> RawTable --apply_mapping(MappingSpec)--> MappedTable
          --analysis.cohort.validate_cohort--> PreparedUpload (cohort + one merged report)

- :func:`read_upload` reads CSV, TSV or XLSX bytes. Text encodings are detected
  (UTF-8, UTF-8 with BOM, Shift_JIS/CP932, UTF-16 with BOM) or given; the
  delimiter is sniffed from the header. Every cell stays text: nothing is
  guessed before the mapping says what a column is. Rows the reader cannot
  place (more fields than the header) are excluded and reported, never dropped
  silently; short rows are padded and reported.
- :func:`suggest_mapping` matches the file's columns to the canonical ones by
  name and by English and Japanese synonyms (性別 → sex), and suggests value
  mappings (ソラフェニブ → sorafenib). A :class:`MappingSpec` is saved and
  loaded as JSON.
- :func:`apply_mapping` renames, maps values and normalises dates (ISO,
  ``2020/03/01``, ``2020年3月1日``, Japanese eras, ``20200301``, Excel serial
  numbers, and ``03/04/2020`` with a day/month order that is inferred from
  unambiguous values or chosen by the user). Validation itself is
  :func:`analysis.cohort.validate_cohort`: no rule is duplicated here.

**A file with the endpoints but without the follow-up dates** (``os_months``,
``os_event``, ``pfs_months``, ``pfs_event``, optionally ``pps_months``) is used
directly when it has ``first_line_start``: the dates are rebuilt from the
months (days = months x 30.4375, rounded to whole days), so the recomputed
endpoints equal the file's to within half a day, which the validator checks.
Death is dated at the end of OS when ``os_event`` is 1; progression at the end
of PFS when the PFS event is not the death itself (with ``pps_months``:
wherever PPS is given). Without ``first_line_start`` the file is blocked: the
calendar checks, the year filter and the time-varying analyses need time zero
as a date (the message says so). ``pp_start`` then may be missing; the
post-progression therapy is kept and its start reported as unknown.

The package, one job per module: ``reader`` (what kind of file, then the
reader), ``encodings``, ``delimited`` (CSV/TSV), ``workbook`` (XLSX),
``table`` (:class:`RawTable` and row placement), ``cells`` (cell text and
issues), ``synonyms``, ``spec`` (:class:`MappingSpec`), ``suggest``,
``dates``, ``endpoints`` (dates rebuilt from months), ``mapping``
(:func:`apply_mapping`), ``report`` (validation, merged report, excluded
rows), ``kept`` (what a session keeps of a file: no identifying column),
``neutralise`` (spreadsheet formulas) and ``template``.

Privacy: nothing here logs or prints cell values; :func:`neutralise_frame`
makes every export of user text safe to open in a spreadsheet.
"""

from __future__ import annotations

from analysis.ingest.bounds import (
    DEFAULT_MAX_CELL_CHARS,
    DEFAULT_MAX_COLUMNS,
    DEFAULT_MAX_ROWS,
    DEFAULT_MAX_XLSX_MB,
    DEFAULT_MAX_XLSX_RATIO,
    DEFAULT_TIME_BUDGET_S,
    Progress,
    ReadLimits,
)
from analysis.ingest.cells import NA_TEXT
from analysis.ingest.dates import DATE_ORDERS, EXCEL_EPOCH, EXCEL_SERIAL_RANGE, DateOrder, DateOrderDecision
from analysis.ingest.encodings import ENCODINGS, decode_text
from analysis.ingest.kept import KeptFile, keep_received, read_and_keep, read_kept
from analysis.ingest.mapping import MappedTable, apply_mapping
from analysis.ingest.neutralise import neutralise_formula, neutralise_frame
from analysis.ingest.reader import read_upload
from analysis.ingest.report import PreparedUpload, excluded_rows, excluded_rows_table, prepare_cohort
from analysis.ingest.spec import MAPPING_FORMAT, MAPPING_VERSION, MappingSpec
from analysis.ingest.suggest import (
    ColumnSuggestion,
    MappingSuggestion,
    distinct_values,
    suggest_columns,
    suggest_mapping,
    suggest_values,
)
from analysis.ingest.synonyms import (
    COLUMN_SYNONYMS,
    MAPPABLE_VALUE_COLUMNS,
    NOT_NEEDED_COLUMNS,
    VALUE_SYNONYMS,
    column_key,
    value_key,
)
from analysis.ingest.table import RawTable
from analysis.ingest.template import TEMPLATE_EXAMPLE_ROWS, template_workbook

__all__ = [
    "COLUMN_SYNONYMS",
    "DATE_ORDERS",
    "DEFAULT_MAX_CELL_CHARS",
    "DEFAULT_MAX_COLUMNS",
    "DEFAULT_MAX_ROWS",
    "DEFAULT_MAX_XLSX_MB",
    "DEFAULT_MAX_XLSX_RATIO",
    "DEFAULT_TIME_BUDGET_S",
    "ENCODINGS",
    "EXCEL_EPOCH",
    "EXCEL_SERIAL_RANGE",
    "MAPPABLE_VALUE_COLUMNS",
    "MAPPING_FORMAT",
    "MAPPING_VERSION",
    "NA_TEXT",
    "NOT_NEEDED_COLUMNS",
    "TEMPLATE_EXAMPLE_ROWS",
    "VALUE_SYNONYMS",
    "ColumnSuggestion",
    "DateOrder",
    "DateOrderDecision",
    "KeptFile",
    "MappedTable",
    "MappingSpec",
    "MappingSuggestion",
    "PreparedUpload",
    "Progress",
    "RawTable",
    "ReadLimits",
    "apply_mapping",
    "column_key",
    "decode_text",
    "distinct_values",
    "excluded_rows",
    "excluded_rows_table",
    "keep_received",
    "neutralise_formula",
    "neutralise_frame",
    "prepare_cohort",
    "read_and_keep",
    "read_kept",
    "read_upload",
    "suggest_columns",
    "suggest_mapping",
    "suggest_values",
    "template_workbook",
    "value_key",
]
