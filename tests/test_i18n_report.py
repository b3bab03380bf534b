"""The validation report in Japanese: each line's template is its message id, filled with the same parameters.

The analysis layer words report lines in English only (``ppx validate`` stays English); the app words them from
:attr:`analysis.cohort.Issue.text` (:mod:`app.i18n.report`).
"""

from __future__ import annotations

import re

import pandas as pd
from test_browser_i18n_sweep import english_words as sweep_english_words
from test_ingest import csv_bytes, japanese_frame

from analysis import messages
from analysis.ingest import PreparedUpload, prepare_cohort, read_upload, suggest_mapping
from app import codec
from app.i18n import catalog
from app.i18n.report import TEMPLATES, describe, issue_text, summary


def english_words(text: str) -> list[str]:
    """:func:`test_browser_i18n_sweep.english_words` of a report, without its user data (the file's patient ids)
    and the date notation ``YYYY-MM-DD`` that the messages teach."""
    return sweep_english_words(re.sub(r"SYN-\d+|YYYY-MM-DD", " ", text))


def bad_rows() -> pd.DataFrame:
    """A Japanese export with one bad row per kind of check the page shows most."""
    frame = japanese_frame().head(40).reset_index(drop=True)
    frame.loc[2, "年齢"] = "不明"  # not a number
    frame.loc[4, "年齢"] = "150"  # out of range
    frame.loc[6, "性別"] = "不明"  # not an allowed value
    frame.loc[8, "一次治療開始日"] = "2099/01/01"  # after today, and the other dates before it
    frame.loc[10, "死亡日"] = "不明"  # not a date
    frame.loc[12, "患者ID"] = frame.loc[13, "患者ID"]  # duplicate
    return frame


def prepared() -> PreparedUpload:
    raw = read_upload(csv_bytes(bad_rows(), encoding="cp932"), "病院.csv")
    return prepare_cohort(raw, suggest_mapping(raw).spec)


def test_every_analysis_template_is_marked_for_extraction_and_translated() -> None:
    assert set(TEMPLATES) == set(messages.TEMPLATES)
    ja = catalog("ja")
    assert ja is not None
    for template in messages.TEMPLATES:
        entry = ja.get(template)
        assert entry is not None and entry.string, template
        assert set(re.findall(r"\{(\w+)\}", str(entry.string))) == set(re.findall(r"\{(\w+)\}", template)), template


def test_the_report_is_english_as_before_and_japanese_with_the_same_values() -> None:
    report = prepared().report
    assert report.errors() and all(i.text is not None for i in report.errors())
    for issue in report.issues:
        assert issue_text(issue, "en") == issue.message
        assert issue.text is None or issue.text.text() == issue.message
    assert summary(report, "en") == report.summary()
    lines = [summary(report, "ja"), *(issue_text(i, "ja") for i in report.errors())]
    assert english_words("\n".join(lines)) == [], lines
    assert any("'不明'" in line for line in lines) and any("2099-01-01" in line for line in lines)
    assert lines[0].startswith("40 行を読み込み")


def test_a_report_with_templates_survives_the_session_store() -> None:
    report = prepared().report
    again = codec.decode(codec.encode(report))
    assert again == report and again.issues[0].text == report.issues[0].text


def test_how_the_file_was_read_is_said_in_japanese() -> None:
    raw = prepared().raw
    assert describe(raw, "en") == raw.describe()
    text = describe(raw, "ja")
    assert text == "病院.csv: CSV、Shift_JIS (CP932)（自動判定）、カンマ区切り、データ 40 行、26 列", text
