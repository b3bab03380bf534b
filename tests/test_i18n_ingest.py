"""The Data page after an upload, and the Cox page's AFT reasons, in Japanese.

The reader's and mapper's notes, issues and refusals (:mod:`analysis.ingest.messages`), the cohort's course and
file-level lines (:mod:`analysis.messages`) and the AFT models' reasons (:data:`analysis.parametric.AFT_TEMPLATES`)
are templates with parameters: English stays exactly the analysis text (``ppx validate`` prints it), Japanese has
no English word outside the i18n sweep's allow-list, and a refusal still names the file, row and column it named.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from test_browser_i18n_sweep import english_words
from test_ingest import csv_bytes, japanese_frame, workbook_bytes

from analysis import messages as cohort_messages
from analysis.errors import DataError
from analysis.ingest import ReadLimits, prepare_cohort, read_upload, suggest_mapping
from analysis.ingest import messages as ingest_messages
from analysis.messages import Message
from analysis.parametric import AFT_TEMPLATES, aft_regression
from app import upload_flow
from app.components import aft_check, upload
from app.i18n import catalog
from app.i18n import ingest as ingest_i18n
from app.i18n.report import WORDED_AS, issue_text, word
from app.parametric_views import AFTView

PLACEHOLDER = re.compile(r"\{\w+\}")
NOTATION = re.compile(r"(?<![A-Za-z])(?:YYYY|MM|DD|M|D)(?![A-Za-z])")
"""Date notation (YYYY/MM/DD, 日/月 aside): the formats a file's dates are written in, not English words."""


def prose(text: str, *data: str) -> list[str]:
    """The sweep's English words of ``text`` without its data (the file's names and values, a class name) and the
    date notation."""
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, " ")
    return english_words(NOTATION.sub(" ", text))


def _japanese(msgid: str) -> str:
    ja = catalog("ja")
    assert ja is not None
    entry = ja.get(msgid)
    assert entry is not None and entry.string, msgid
    return str(entry.string)


def test_every_template_is_marked_for_extraction_and_worded_in_japanese() -> None:
    assert ingest_i18n.TEMPLATES == ingest_messages.TEMPLATES
    assert set(AFT_TEMPLATES) <= {*aft_check.REASONS, *aft_check.LIBRARY_WORDING}
    app_own = (upload_flow.TOO_LARGE, upload_flow.INCOMPLETE, upload_flow.GARBLED, upload_flow.NO_UPLOAD,
               upload.SERVER_HINT, upload.NOT_NEEDED, upload.NOT_NEEDED_DROPPED)  # fmt: skip
    first_new = cohort_messages.TEMPLATES.index(cohort_messages.PP_START_WITHOUT_PROGRESSION)
    new_lines = cohort_messages.TEMPLATES[first_new:]
    msgids = (*ingest_messages.TEMPLATES, *new_lines, *ingest_i18n.LABELS, *WORDED_AS.values(),
              *aft_check.REASONS, *aft_check.LIBRARY_WORDING.values(), *app_own)  # fmt: skip
    untranslated = {m: prose(PLACEHOLDER.sub("〇", _japanese(m))) for m in msgids}
    assert {m: w for m, w in untranslated.items() if w} == {}


def _values(message: Message) -> Iterator[str]:
    """The parameters a line shows (the library's own text, ``detail``, is named by its class in Japanese)."""
    for key, value in message.params:
        if isinstance(value, Message):
            yield from _values(value)
        elif key != "detail":
            yield str(value)


def _refused(data: bytes, source: str, limits: ReadLimits | None = None) -> DataError:
    with pytest.raises(DataError) as caught:
        read_upload(data, source, limits=limits)
    return caught.value


REFUSALS: dict[str, tuple[bytes, str, ReadLimits | None, str]] = {
    "empty": (b"", "empty.csv", None, "file 'empty.csv' is empty"),
    "header only": (b"a,b\n", "head.csv", None, "file 'head.csv' has a header but no data rows"),
    "pdf": (b"%PDF-1.4 binary", "scan.csv", None,
            "file 'scan.csv' is a PDF document, not a table; upload a CSV, TSV or XLSX file"),
    "nul byte": (b"a,b\n" + b"1,2\n" * 50 + b"3,\x004\n", "nul.csv", None,
                 "file 'nul.csv' has a NUL byte (0x00) at byte offset 206 (line 52)"),
    "mixed": ("患者,年齢\n".encode() + "山田,70\n".encode("cp932"), "mixed.csv", None,
              "file 'mixed.csv' cannot be read: the file mixes encodings: line(s) 1 are UTF-8 but line(s) 2 are not"),
    "single column": (b"a\n1\n2\n", "one.csv", None, "file 'one.csv' has a single column ('a')"),
    "not a workbook": (b"PK\x03\x04 not a zip", "book.xlsx", None,
                       "file 'book.xlsx' is not a readable Excel workbook (.xlsx): BadZipFile"),
    "too many columns": (b"a,b,c,d\n1,2,3,4\n", "wide.csv", ReadLimits(max_columns=3),
                         "file 'wide.csv' has 4 columns, more than the limit of 3; remove the columns you do not need"),
    "long cell": (b"a,b\n1," + b"x" * 20 + b"\n", "long.csv", ReadLimits(max_cell_chars=10),
                  "file 'long.csv': row 2, column 'b' holds 20 characters, more than the limit of 10 for one cell"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_refusal_is_english_as_before_and_japanese_with_its_file_row_and_column(case: str) -> None:
    data, source, limits, english = REFUSALS[case]
    error = _refused(data, source, limits)
    assert str(error).startswith(english) and error.wording is not None
    assert ingest_i18n.error_text("en", error) == str(error)
    japanese = ingest_i18n.error_text("ja", error)
    shown = list(_values(error.wording))
    assert all(value in japanese for value in shown), (japanese, error.wording)
    assert prose(japanese, *shown) == [], japanese


def test_the_servers_limits_say_who_can_lift_them_in_both_languages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PPX_MAX_UPLOAD_ROWS", "2")
    error = _refused(b"a,b\n1,2\n3,4\n5,6\n", "rows.csv", upload.upload_limits())
    assert str(error) == (
        "file 'rows.csv' has more than 2 data rows, the upload limit; if the file is right, ask the administrator to "
        "raise PPX_MAX_UPLOAD_ROWS (ppx validate has options for it)"
    )
    japanese = ingest_i18n.error_text("ja", error)
    assert "PPX_MAX_UPLOAD_ROWS" in japanese and "管理者" in japanese and english_words(japanese) == [], japanese


def test_the_apps_own_refusals_and_a_plain_message_id() -> None:
    error = upload_flow.too_large("big.csv", 80 * 1024 * 1024, 50 * 1024 * 1024)
    assert str(error).startswith("'big.csv' is 80 MB, over the upload limit of 50 MB. Remove columns")
    assert "'big.csv' は 80 MB" in ingest_i18n.error_text("ja", error)
    plain = DataError(upload_flow.NO_UPLOAD)
    assert ingest_i18n.error_text("ja", plain).startswith("先にデータファイルを")


def messy_export() -> bytes:
    """A Japanese export with two blank lines above a semicolon-separated header, a formula, ragged and short
    rows, a course inconsistency, a repeated header and more unmapped columns than are listed."""
    frame = japanese_frame().head(30).reset_index(drop=True)
    frame["年齢"] = frame["年齢"].astype(object)
    frame.loc[10, "年齢"] = "=1+1"
    frame.loc[0, "増悪日"] = None  # post-progression therapy without a progression
    for k in range(7):
        frame[f"メモ{k}"] = "x"
    frame["年齢 "] = frame["年齢"]
    text = csv_bytes(frame, sep=";").decode("utf-8").splitlines()
    text[4] += ";extra;cells"
    text[6] = ";".join(text[6].split(";")[:5])
    return ("\n\n" + "\n".join(text) + "\n").encode("utf-8")


def test_the_reader_and_mapper_notes_and_lines_are_english_as_before_and_japanese() -> None:
    raw = read_upload(messy_export(), "病院.csv")
    prepared = prepare_cohort(raw, suggest_mapping(raw).spec)
    assert prepared.notes == tuple(m.text() for m in prepared.messages) and raw.notes
    assert ingest_i18n.notes("en", prepared.messages) == list(prepared.notes)
    japanese = ingest_i18n.notes("ja", prepared.messages)
    assert prose("\n".join(japanese)) == [], japanese
    assert any("セミコロン区切り" in n for n in japanese) and any("3 行目" in n for n in japanese), japanese
    assert any("ほか" in n for n in japanese), japanese  # "and 2 more"
    issues = prepared.report.issues
    reasons = {i.reason for i in issues}
    assert {"formula cell", "ragged row", "short row", "pp_therapy without progression"} <= reasons, reasons
    assert all(i.text is not None and i.why is not None for i in issues)
    assert [issue_text(i, "en") for i in issues] == [i.message for i in issues]
    lines = [issue_text(i, "ja") for i in issues]
    shown = re.sub(r"'[^']*'", " ", "\n".join(lines))  # the file's own cells and column names are its data
    assert prose(shown) == [], lines


def test_a_workbooks_sheets_and_a_mapping_file_are_worded_in_japanese() -> None:
    book = workbook_bytes({"README": [["about"], ["this file"]], "data": [["id", "age"], ["P1", 70], ["P2", 71]]})
    raw = read_upload(book, "export.csv", sheet="data")
    japanese = ingest_i18n.notes("ja", raw.messages)
    assert raw.notes[0] == "'export.csv' is an Excel workbook; it was read as one"
    assert prose("\n".join(japanese), "'export.csv'", "'data'", "README, data") == [], japanese
    from analysis.ingest import MappingSpec

    with pytest.raises(DataError) as caught:
        MappingSpec.from_json("{not json")
    assert str(caught.value).startswith("the mapping file is not valid JSON: Expecting property name")
    japanese = ingest_i18n.error_text("ja", caught.value)
    assert japanese == "対応付けファイルが正しい JSON ではありません（JSONDecodeError）"


def test_an_aft_model_not_fitted_names_the_covariate_by_its_label_in_japanese() -> None:
    rng = np.random.default_rng(1)
    x = np.r_[np.zeros(60), np.ones(20)]
    frame = pd.DataFrame({"t": np.where(x == 1, rng.uniform(50, 60, 80), rng.exponential(10, 80)),
                          "e": np.where(x == 1, 0, 1), "mvi": x, "age": rng.normal(60, 10, 80)})  # fmt: skip
    result = aft_regression(frame, "t", "e", ["mvi", "age"])
    assert all(not m.fitted and m.why is not None and m.reason == m.why.text() for m in result.models)
    view = AFTView("os", ("mvi", "age"), result, (), (), (), None)
    english = aft_check.model_lines(view, "en")
    assert english[0] == f"Weibull: not fitted: {result.models[0].reason}."
    japanese = aft_check.model_lines(view, "ja")
    assert english_words("\n".join(japanese)) == [], japanese
    assert all("主要脈管侵襲" in line for line in japanese), japanese


def test_a_library_error_is_named_by_its_class_only_in_japanese() -> None:
    from analysis.parametric import LIBRARY_FAILURE, LIBRARY_WARNING, AFTModel

    secret = "P-0042 had 12.3 months"  # whatever a library puts in its text never reaches a Japanese page
    failed = AFTModel.not_fitted("weibull", Message.of(LIBRARY_FAILURE, kind="ConvergenceError", detail=secret),
                                 (Message.of(LIBRARY_WARNING, kind="RuntimeWarning", detail=secret),))  # fmt: skip
    assert failed.reason == f"did not converge (ConvergenceError: {secret})"
    assert failed.notes == (f"RuntimeWarning: {secret}",)
    view = AFTView("os", ("age",), None, (), (), (), None)
    line = aft_check._worded(failed, failed.why or Message(""), "ja")
    note = aft_check._worded(failed, failed.wording[0], "ja")
    assert "ConvergenceError" in line and "RuntimeWarning" in note and secret not in line + note
    assert english_words(line + note) == ["ConvergenceError", "RuntimeWarning"]
    assert view.result is None and word("en", failed.why or Message("")) == failed.reason
