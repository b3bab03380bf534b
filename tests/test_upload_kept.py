"""Identifying columns are never stored (issue 13): the session keeps the file without names and birth dates.

A marker in a name column and in a birth-date column is looked for in what the
reader keeps (bytes, sheets), in the session store's files under the state
directory, and through the real Dash callbacks after upload, an encoding
change, a sheet change and "Use this cohort". Re-reading what is kept must give
what reading the received bytes gives, for every encoding and sheet choice.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from test_cohort import valid_frame
from test_upload_privacy import Browser

from analysis.errors import DataError
from analysis.ingest import KeptFile, read_and_keep, read_kept, read_upload, suggest_mapping
from app import codec, datasets, sessions
from app.ids import Ids

NAME = "MARKERNAMEKEPT"
BIRTH = "1931-07-13"  # a birth date no other column holds
NAME_JA = "氏名"


def marked_frame() -> pd.DataFrame:
    frame = valid_frame()
    frame.insert(1, "patient name", [f"{NAME}-{k}" for k in range(len(frame))])
    frame.insert(3, "date of birth", BIRTH)
    return frame


def csv_bytes(frame: pd.DataFrame, encoding: str = "utf-8") -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode(encoding)


def workbook_bytes() -> bytes:
    """Two sheets with names and birth dates; the second has a formula right of a dropped column."""
    book = openpyxl.Workbook()
    cohort = book.active
    cohort.title = "cohort"
    notes = book.create_sheet("notes")
    notes.append(["written by", "patient name"])
    notes.append(["someone", f"{NAME}-notes"])
    notes.append(["other", f"{NAME}-notes2"])
    frame = marked_frame()
    cohort.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        cohort.append(list(row))
    cohort.cell(row=2, column=frame.shape[1] + 0).value = "=1+1"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def kept_text(kept: KeptFile) -> str:
    """Everything a kept file holds, as text (frames cell by cell)."""
    parts = [kept.data.decode("latin-1"), repr(kept.dropped)]
    for name, cells, formulas in kept.sheets:
        parts += [name, cells.to_csv(), formulas.to_csv()]
    return "\n".join(parts)


def assert_same_reading(a: Any, b: Any) -> None:
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert (a.issues, a.notes, a.rejected, a.dropped) == (b.issues, b.notes, b.rejected, b.dropped)
    assert (a.encoding, a.delimiter, a.sheet, a.sheets) == (b.encoding, b.delimiter, b.sheet, b.sheets)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932", "utf-16"])
def test_kept_text_has_no_identifying_column_and_reads_as_the_received_bytes(encoding: str) -> None:
    frame = marked_frame()
    frame.insert(5, NAME_JA, "山田太郎")  # a Japanese name column, recognised as a name
    frame["center"] = "大学病院"
    data = csv_bytes(frame, encoding)
    table, kept = read_and_keep(data, "marked.csv")
    assert {name for name, _ in table.dropped} == {"patient name", "date of birth", NAME_JA}
    for marker in (NAME, BIRTH, "山田太郎"):
        assert marker.encode(encoding) not in kept.data and marker not in kept_text(kept)
    # what is kept is the received bytes minus those columns, in the same encoding and byte-order mark
    expected = csv_bytes(frame.drop(columns=["patient name", "date of birth", NAME_JA]), encoding)
    assert kept.data == expected
    for choice in (None, encoding):
        again, same = read_kept(kept, "marked.csv", encoding=choice)
        assert_same_reading(again, read_upload(data, "marked.csv", encoding=choice))
        assert same.data == kept.data


def test_a_column_recognised_only_under_another_encoding_is_removed_then() -> None:
    """A CP932 file chosen as CP932 after a first read that did not see its name column (bytes kept as read)."""
    frame = valid_frame()
    frame.insert(1, NAME_JA, "山田太郎")
    data = csv_bytes(frame, "cp932")
    kept = KeptFile("text", "digest", data)  # as if the first reading had not recognised the column
    table, kept = read_kept(kept, "marked.csv", encoding="cp932")
    assert table.dropped and "山田太郎".encode("cp932") not in kept.data
    assert_same_reading(table, read_upload(data, "marked.csv", encoding="cp932"))


def test_undecodable_bytes_survive_the_rewrite_so_a_later_choice_reads_them() -> None:
    """Read as UTF-8 the CP932 bytes would be refused; kept with surrogateescape they come back intact."""
    frame = valid_frame()
    frame.insert(1, "patient name", NAME)
    frame["center"] = "大学病院"
    data = csv_bytes(frame, "cp932")
    _, kept = read_and_keep(data, "marked.csv")
    with pytest.raises(DataError, match="cannot be read as UTF-8"):
        read_kept(kept, "marked.csv", encoding="utf-8")
    again, _ = read_kept(kept, "marked.csv", encoding="cp932")
    assert set(again.frame["center"]) == {"大学病院"}


def test_kept_workbook_has_no_identifying_column_and_reads_as_the_received_bytes() -> None:
    data = workbook_bytes()
    table, kept = read_and_keep(data, "marked.xlsx")
    assert table.sheet == "cohort" and {c for c, _ in table.dropped} == {"patient name", "date of birth"}
    assert kept.data == b"" and NAME not in kept_text(kept) and "1931" not in kept_text(kept)
    for sheet in ("notes", None, "cohort"):
        again, _ = read_kept(kept, "marked.xlsx", sheet=sheet)
        assert_same_reading(again, read_upload(data, "marked.xlsx", sheet=sheet))
    assert any(i.reason == "formula cell" for i in again.issues)  # the formula moved with its column


def _state_files_with(marker: bytes) -> list[str]:
    """Files of the session store holding ``marker`` (the job store is not read: reading it disturbs jobs)."""
    store = sessions.store()
    assert isinstance(store, sessions.FileStore)
    return [str(p) for p in Path(store.root).rglob("*") if p.is_file() and marker in p.read_bytes()]


def _stored_upload(browser: Browser) -> str:
    with browser.in_session():
        upload = datasets.pending_upload()
    assert upload is not None
    text = [upload.data.decode("latin-1")]
    if upload.kept is not None:
        text.append(kept_text(upload.kept))
    if upload.raw is not None:
        text.append(upload.raw.frame.to_csv())
    return "\n".join(text) + codec.encode(upload, types=(datasets.PendingUpload, KeptFile)).decode("latin-1")


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_names_and_birth_dates_are_nowhere_after_upload_rereads_and_use(ppx_app: Any, kind: str) -> None:
    data, filename = (csv_bytes(marked_frame()), "marked.csv") if kind == "csv" else (workbook_bytes(), "marked.xlsx")
    browser = Browser(ppx_app)
    values = {f"{Ids.DATA_GATE}.data": __import__("test_upload_privacy").gate(data, filename),
              f"{Ids.DATA_ENCODING}.value": "detect"}  # fmt: skip
    received = browser.post(f"{Ids.DATA_UPLOAD_MESSAGE}.children", values, [f"{Ids.DATA_GATE}.data"])

    def nowhere() -> None:
        stored = _stored_upload(browser)
        assert NAME not in stored and BIRTH not in stored
        assert not _state_files_with(NAME.encode()) and not _state_files_with(BIRTH.encode())

    nowhere()  # from the receiving request on: a text file without those columns, a workbook sealed
    assert _state_files_with(b"marked.csv" if kind == "csv" else b"marked.xlsx")  # the scan sees the store
    request = received["response"][Ids.DATA_READ_REQUEST]["data"]
    assert (request["key"] is None) == (kind == "csv")
    answer = browser.read(request)
    assert NAME not in str(answer) and BIRTH not in str(answer)
    nowhere()
    choices = ((Ids.DATA_ENCODING, "utf-8"), (Ids.DATA_SHEET, "notes"), (Ids.DATA_SHEET, "cohort"))
    for trigger, value in (*choices, (Ids.DATA_ENCODING, "detect")):
        if trigger == Ids.DATA_SHEET and kind == "csv":
            continue
        prop = f"{trigger}.value"
        again = browser.post(f"{Ids.DATA_UPLOAD_MESSAGE}.children", {prop: value}, [prop])
        request = again["response"][Ids.DATA_READ_REQUEST]["data"]
        answer = browser.read(request)
        assert NAME not in str(answer)
        nowhere()
    with browser.in_session():
        upload = datasets.pending_upload()
        assert upload is not None and upload.raw is not None
        spec = suggest_mapping(upload.raw).spec
    assert browser.use(spec)["response"][Ids.DATA_RELOAD]["href"] == "/"
    nowhere()
