"""The fast CSV path (pyarrow, :mod:`analysis.ingest.arrowcsv`) gives what the csv module's reading gives.

The csv-module reader stays in the product (files that are not regular go through it), so it is the oracle:
on a messy generated file the frame, the reader's issues, the validated frame, the report and the fingerprint
must be identical both ways.
"""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.cohort import bundled_cohort_path
from analysis.ingest import RawTable, ReadLimits, prepare_cohort, read_upload, suggest_mapping
from analysis.ingest.arrowcsv import read_regular
from analysis.ingest.bounds import Deadline
from analysis.ingest.delimited import formula_issues, read_delimited
from analysis.ingest.encodings import decode_text
from analysis.ingest.table import Rows
from analysis.schema import INPUT_COLUMNS


def messy_csv(n: int = 300) -> str:
    """The bundled cohort's first ``n`` rows made messy: Japanese headers, mixed date formats, blanks, NA words,
    padded cells, bad values, a repeated id, quoted delimiters, quotes and line breaks, a formula, a row of
    empty cells; CRLF line ends."""
    frame = pd.read_csv(bundled_cohort_path(), dtype=str, keep_default_na=False)[list(INPUT_COLUMNS)].head(n)
    dates = [c for c in INPUT_COLUMNS if c.endswith(("_date", "_start"))]
    for k in range(n):
        fmt = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y%m%d"][k % 4]
        for column in dates:
            value = frame.at[k, column]
            if value and k % 2:
                frame.at[k, column] = pd.Timestamp(str(value)).strftime(fmt)
    frame.loc[3, "patient_id"] = frame.loc[4, "patient_id"]
    frame.loc[7, "first_line_start"] = "2099-01-01"
    frame.loc[11, "age"] = "abc"
    frame.loc[13, "age"] = " 150 "
    frame.loc[17, "sex"] = "x"
    frame.loc[19, "fib4"] = "NA"
    frame.loc[23, "sex"] = "女"
    frame.loc[29, "first_line"] = " ソラフェニブ "
    frame.loc[31, "first_line"] = "unknown drug"
    frame["comment"] = [["a, b", "line\r\nbreak", "=1+1", "ok", 'said "no"', "n/a"][k % 6] for k in range(n)]
    frame = frame.rename(columns={"patient_id": "患者ID", "sex": "性別"})
    text = frame.to_csv(index=False, lineterminator="\r\n")
    lines = text.split("\r\n")
    lines.insert(40, "," * (frame.shape[1] - 1))
    return "\r\n".join(lines)


Read = tuple[pd.DataFrame, str, list[str], Rows]


def _both(text: str, source: str = "messy.csv") -> tuple[Read, Read]:
    limits = ReadLimits()
    fast = read_delimited(text, source, limits, Deadline(source, limits, None))
    slow = read_delimited(text, source, limits, Deadline(source, limits, None), fast=False)
    return fast, slow


def _table(parts: Read, source: str) -> RawTable:
    frame, delimiter, notes, rows = parts
    issues = (*rows.issues, *formula_issues(frame))
    return RawTable(frame=frame, source=source, kind="csv", encoding="utf-8", delimiter=delimiter,
                    issues=issues, messages=tuple(notes), rejected=tuple(rows.rejected))  # fmt: skip


def test_a_messy_file_is_read_and_validated_identically_by_both_readers() -> None:
    text = messy_csv()
    assert read_regular(text, ",", "messy.csv", ReadLimits()) is not None, "the fast path must take this file"
    fast, slow = _both(text)
    pd.testing.assert_frame_equal(fast[0], slow[0])
    assert list(fast[0].index) == list(slow[0].index)
    assert fast[1:3] == slow[1:3]
    assert (fast[3].issues, fast[3].rejected, fast[3].blank) == (slow[3].issues, slow[3].rejected, slow[3].blank)
    raw_fast, raw_slow = _table(fast, "messy.csv"), _table(slow, "messy.csv")
    spec = suggest_mapping(raw_slow).spec
    assert suggest_mapping(raw_fast).spec == spec
    a, b = prepare_cohort(raw_fast, spec), prepare_cohort(raw_slow, spec)
    pd.testing.assert_frame_equal(a.cohort.frame, b.cohort.frame)
    assert a.report == b.report and a.cohort.fingerprint == b.cohort.fingerprint
    assert a.report.errors() and a.report.warnings() and a.report.n_used > 0  # the file is messy enough


def test_shift_jis_bytes_take_the_fast_path_with_the_same_result() -> None:
    text = messy_csv(60)
    data = text.replace("\r\n", "\n").encode("cp932")
    decoded, used, _ = decode_text(data, "sjis.csv")
    assert used == "cp932"
    fast, slow = _both(decoded, "sjis.csv")
    pd.testing.assert_frame_equal(fast[0], slow[0])
    table = read_upload(data, "sjis.csv")
    pd.testing.assert_frame_equal(table.frame, slow[0])


@pytest.mark.parametrize(
    "text",
    [
        "a,b\n1,2\n\n3,4\n",  # a blank line: the csv reader numbers it
        "a,b\n1,2,3\n4,5\n",  # ragged
        "a,b\n1\n4,5\n",  # short
        "\n\na,b\n1,2\n",  # the header lower down
        "a;b\n1;2\n",  # another delimiter, regular
    ],
)
def test_irregular_files_fall_back_and_read_as_before(text: str) -> None:
    delimiter = ";" if ";" in text else ","
    fast, slow = _both(text.replace(";", delimiter))
    pd.testing.assert_frame_equal(fast[0], slow[0])
    assert fast[2] == slow[2] and fast[3].issues == slow[3].issues
