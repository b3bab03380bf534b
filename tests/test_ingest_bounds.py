"""Hostile and odd files at the reader: every bound gives its message fast, before the work, naming how to lift it.

Each file is generated small at test time. The same files go through real
gunicorn in tests/test_upload_hostile.py; here the reader itself is checked.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
import zipfile
from datetime import date
from pathlib import Path

import pytest
from test_cohort import valid_frame
from test_ingest import csv_bytes, workbook_bytes

from analysis.cohort import validate_cohort
from analysis.errors import DataError
from analysis.ingest import ReadLimits, prepare_cohort, read_upload, suggest_mapping
from analysis.schema import INPUT_COLUMNS

ROOT = Path(__file__).resolve().parents[1]


def wide_csv(columns: int) -> bytes:
    header = ",".join(f"c{k}" for k in range(columns))
    return (header + "\n" + ",".join("1" for _ in range(columns)) + "\n").encode()


def bomb_workbook(decompressed_mb: int, member: str = "xl/worksheets/sheet9.xml") -> bytes:
    """A real workbook plus one member of repeated bytes that decompresses to ``decompressed_mb`` MB."""
    base = workbook_bytes({"cohort": [["patient_id", "age"], ["P1", 70]]})
    buffer = io.BytesIO(base)
    block = b"<c><v>1</v></c>" * 70_000  # ~1 MB
    with (
        zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open(member, "w", force_zip64=True) as handle,
    ):
        for _ in range(decompressed_mb):
            handle.write(block)
    return buffer.getvalue()


def elapsed(fn: object) -> tuple[str, float]:
    started = time.perf_counter()
    with pytest.raises(DataError) as caught:
        fn()  # type: ignore[operator]
    return str(caught.value), time.perf_counter() - started


def test_a_hundred_thousand_columns_are_refused_from_the_header_alone() -> None:
    data = wide_csv(100_000)
    message, seconds = elapsed(lambda: read_upload(data, "wide.csv"))
    assert "'wide.csv' has 100,000 columns, more than the limit of 1,000" in message
    assert "--max-columns" in message and "PPX_MAX_UPLOAD_COLUMNS" in message
    assert seconds < 5
    assert read_upload(wide_csv(1_200), "wide.csv", limits=ReadLimits(max_columns=2_000)).frame.shape == (1, 1_200)


def test_a_million_columns_are_refused_as_fast() -> None:
    message, seconds = elapsed(lambda: read_upload(wide_csv(1_000_000), "wider.csv"))
    assert "1,000,000 columns" in message and seconds < 10


def test_a_cell_longer_than_the_limit_names_its_row_and_column() -> None:
    frame = valid_frame()
    frame.loc[2, "center"] = "x" * 40_000
    message, _ = elapsed(lambda: read_upload(csv_bytes(frame), "long.csv"))
    assert "'long.csv': row 4, column 'center' holds 40,000 characters, more than the limit of 32,767" in message
    assert "--max-cell-chars" in message
    raw = read_upload(csv_bytes(frame), "long.csv", limits=ReadLimits(max_cell_chars=50_000))
    assert len(raw.frame.loc[2, "center"]) == 40_000


def test_a_workbook_that_decompresses_far_beyond_its_size_is_refused_from_the_zip_directory() -> None:
    data = bomb_workbook(120)
    assert len(data) < 3 * 1024 * 1024
    message, seconds = elapsed(lambda: read_upload(data, "bomb.xlsx"))
    assert "'bomb.xlsx' is " in message and "times), more than the limit of 100 times" in message
    assert "--max-xlsx-ratio" in message and seconds < 3
    message, _ = elapsed(lambda: read_upload(data, "bomb.xlsx", limits=ReadLimits(max_xlsx_mb=50)))
    assert "decompresses to 120 MB, more than the limit of 50 MB" in message and "--max-xlsx-mb" in message


def test_the_wall_clock_budget_stops_a_slow_read_and_says_how_to_raise_it() -> None:
    data = csv_bytes(valid_frame())
    message, _ = elapsed(lambda: read_upload(data, "slow.csv", limits=ReadLimits(time_budget_s=-1)))
    assert "reading 'slow.csv' took longer than the -1 s budget" in message and "--time-budget" in message


def test_workbooks_are_read_by_calamine_with_dates_numbers_and_the_header_row_kept() -> None:
    rows: list[list[object]] = [[], ["patient_id", "first_line_start", "age", "mvi"]]
    rows += [["P1", date(2019, 4, 25), 72, True], ["P2", date(2016, 1, 12), 68.5, False]]
    raw = read_upload(workbook_bytes({"cohort": rows}), "c.xlsx")
    assert raw.frame.to_dict("index") == {
        1: {"patient_id": "P1", "first_line_start": "2019-04-25", "age": "72", "mvi": "1"},
        2: {"patient_id": "P2", "first_line_start": "2016-01-12", "age": "68.5", "mvi": "0"},
    }
    assert "the header is on row 2; the rows above it are empty" in raw.notes


def test_utf16_without_a_byte_order_mark_is_read_detected_or_chosen() -> None:
    text = valid_frame().to_csv(index=False)
    for codec in ("utf-16-le", "utf-16-be"):
        data = text.encode(codec)
        assert read_upload(data, "u16.csv").encoding == "utf-16"
        chosen = read_upload(data, "u16.csv", encoding="utf-16")
        assert chosen.frame.shape == (5, len(INPUT_COLUMNS)) and not chosen.encoding_detected


def test_a_nul_byte_is_reported_with_its_offset_and_line() -> None:
    data = csv_bytes(valid_frame())
    offset = data.index(b"\n", data.index(b"\n") + 1) + 5  # on line 3
    damaged = data[:offset] + b"\x00" + data[offset:]
    message, _ = elapsed(lambda: read_upload(damaged, "nul.csv"))
    assert f"'nul.csv' has a NUL byte (0x00) at byte offset {offset:,} (line 3)" in message


def test_kouka_hantei_is_suggested_for_response_criteria() -> None:
    frame = valid_frame().rename(columns={"response_criteria": "効果判定"})
    raw = read_upload(csv_bytes(frame), "jp.csv")
    assert suggest_mapping(raw).spec.column_map()["response_criteria"] == "効果判定"


def test_implausible_dates_are_errors_naming_row_and_column_and_long_follow_up_a_warning() -> None:
    frame = valid_frame()
    frame["first_line_start"] = frame["first_line_start"].astype(object)
    frame.loc[0, "first_line_start"] = "1850-03-01"
    frame.loc[1, "first_line_start"] = "1899-12-31"
    frame.loc[2, "last_contact_date"] = "2099-01-01"
    frame.loc[3, "death_date"] = "2090-05-05"
    frame.loc[3, "last_contact_date"] = "2090-05-05"
    cohort = validate_cohort(frame, source="dates.csv", today=date(2026, 12, 1))
    errors = {(i.row, i.column, i.reason) for i in cohort.report.errors()}
    assert ("row 2", "first_line_start", "date before 2005") in errors
    assert ("row 3", "first_line_start", "date before 2005") in errors
    assert ("row 4", "last_contact_date", "date after today") in errors
    assert ("row 5", "death_date", "date after today") in errors
    assert cohort.report.n_used == 1 and cohort.report.n_excluded == 4
    (before,) = [i for i in cohort.report.errors() if i.row == "row 2" and i.reason == "date before 2005"]
    assert before.message.startswith("first_line_start 1850-03-01 is before 2005-01-01")
    long = valid_frame()
    long["first_line_start"] = long["first_line_start"].astype(object)
    long.loc[0, "first_line_start"] = "2005-02-01"
    long.loc[0, ["progression_date", "pp_start", "death_date"]] = None
    long.loc[0, "pp_therapy"] = "none"
    long.loc[0, "last_contact_date"] = "2026-03-01"
    warned = validate_cohort(long, source="long.csv", today=date(2026, 12, 1)).report
    (warning,) = [i for i in warned.warnings() if i.reason == "follow-up over 20 years"]
    assert warning.row == "row 2" and "follow-up of 21.1 years" in warning.message
    assert warned.n_used == 5


def test_ppx_validate_has_the_same_bounds_and_options_to_raise_them(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_bytes(wide_csv(1_500))
    argv = [sys.executable, "-m", "cli", "validate", str(path), "--json"]
    refused = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert refused.returncode == 2
    assert "1,500 columns, more than the limit of 1,000; raise the limit with --max-columns N" in refused.stderr
    assert "Traceback" not in refused.stderr and "PerformanceWarning" not in refused.stderr
    raised = subprocess.run([*argv, "--max-columns", "2000"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert raised.returncode in (0, 1), raised.stderr
    assert json.loads(raised.stdout)["n_read"] == 1
    assert "PerformanceWarning" not in raised.stderr


def test_the_report_of_a_mapped_upload_is_unchanged_by_the_fast_reader() -> None:
    frame = valid_frame()
    frame.loc[1, "age"] = "  71 "
    frame.loc[3, "center"] = "NA"
    data = csv_bytes(frame)
    text = data.decode().splitlines()
    text.insert(3, "")  # a blank line
    text.append("X9,extra")  # a short row at the end without a newline
    raw = read_upload("\n".join(text).encode(), "mixed.csv")
    assert list(raw.frame.index) == [0, 1, 3, 4, 5, 6]
    assert raw.frame.loc[1, "age"] == "71" and raw.frame.loc[4, "center"] is None
    (short,) = [i for i in raw.issues if i.reason == "short row"]
    assert short.row == "row 8" and short.message.endswith("(the file may be truncated)")
    result = prepare_cohort(raw, suggest_mapping(raw).spec)
    assert result.report.n_read == 6
