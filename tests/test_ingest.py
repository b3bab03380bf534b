"""Uploads: reading messy files, mapping columns and values, dates, the merged report, and `ppx validate --mapping`.

The corpus of bad files is built in each test (tmp_path or bytes), so every
case names exactly what it feeds the reader and what message it expects.
"""

from __future__ import annotations

import io
import json
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from test_cohort import valid_frame

from analysis.cohort import bundled_cohort_path, load_bundled_cohort
from analysis.errors import DataError
from analysis.ingest import (
    EXCEL_EPOCH,
    MappingSpec,
    apply_mapping,
    decode_text,
    excluded_rows_table,
    neutralise_formula,
    neutralise_frame,
    prepare_cohort,
    read_upload,
    suggest_columns,
    suggest_mapping,
    suggest_values,
    template_workbook,
)
from analysis.km import km_by_group
from analysis.schema import COLUMNS, DERIVED_COLUMNS, INPUT_COLUMNS
from cli import main

JAPANESE_HEADERS = {
    "patient_id": "患者ID",
    "center": "施設名",
    "first_line": "一次治療",
    "first_line_start": "一次治療開始日",
    "age": "年齢",
    "sex": "性別",
    "etiology": "成因",
    "bclc": "BCLC病期",
    "child_pugh_score": "Child-Pughスコア",
    "albi_score": "ALBIスコア",
    "fib4": "FIB-4",
    "afp": "AFP (ng/mL)",
    "ecog": "ECOG PS",
    "mvi": "脈管侵襲",
    "ehs": "肝外転移",
    "best_response": "最良総合効果",
    "response_criteria": "効果判定基準",
    "progression_date": "増悪日",
    "pp_therapy": "後治療",
    "pp_start": "後治療開始日",
    "last_contact_date": "最終確認日",
    "death_date": "死亡日",
    "child_pugh_score_pd": "増悪時Child-Pugh",
    "albi_score_pd": "増悪時ALBI",
    "ecog_pd": "増悪時PS",
    "afp_pd": "増悪時AFP (ng/mL)",
}
JAPANESE_VALUES = {
    "first_line": {"sorafenib": "ソラフェニブ", "lenvatinib": "レンビマ"},
    "sex": {"M": "男性", "F": "女"},
    "etiology": {"HBV": "B型", "HCV": "C型肝炎", "alcohol": "アルコール性", "MASLD": "NASH", "other": "その他"},
    "mvi": {"1": "あり", "0": "なし"},
    "ehs": {"1": "有", "0": "無"},
    "pp_therapy": {"none": "なし", "regorafenib": "スチバーガ", "atezolizumab_bevacizumab": "Atezo+Bev"},
}


def bundled_text() -> pd.DataFrame:
    """The bundled SYNTHETIC cohort as text cells, input columns only."""
    frame = pd.read_csv(bundled_cohort_path(), dtype=str, keep_default_na=False)
    return frame[list(INPUT_COLUMNS)]


def japanese_date(iso: str) -> str:
    if not iso:
        return ""
    day = date.fromisoformat(iso)
    return f"{day.year}年{day.month}月{day.day}日"


def japanese_frame() -> pd.DataFrame:
    """The bundled cohort as a Japanese hospital export: Japanese headers, values and date styles."""
    frame = bundled_text()
    for column, mapping in JAPANESE_VALUES.items():
        frame[column] = frame[column].map(lambda v, m=mapping: m.get(v, v))
    frame["first_line_start"] = frame["first_line_start"].map(japanese_date)
    for column in ("progression_date", "last_contact_date", "death_date", "pp_start"):
        frame[column] = frame[column].str.replace("-", "/")
    return frame.rename(columns=JAPANESE_HEADERS)


def csv_bytes(frame: pd.DataFrame, encoding: str = "utf-8", sep: str = ",") -> bytes:
    return frame.to_csv(index=False, sep=sep).encode(encoding)


def workbook_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def prepared(data: bytes, name: str, **spec_options: object) -> tuple[MappingSpec, object]:
    raw = read_upload(data, name)
    spec = suggest_mapping(raw).spec
    if spec_options:
        spec = MappingSpec(**{**spec.__dict__, **spec_options})  # type: ignore[arg-type]
    return spec, prepare_cohort(raw, spec)


# --- formula neutralisation -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x","x")', '\'=HYPERLINK("http://x","x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("-1.5", "-1.5"),
        ("+3", "+3"),
        ("sorafenib", "sorafenib"),
        (7, 7),
        (None, None),
    ],
)
def test_neutralise_formula(value: object, expected: object) -> None:
    assert neutralise_formula(value) == expected


def test_neutralise_frame_touches_text_cells_and_names_only() -> None:
    frame = pd.DataFrame({"=bad": ["=1+1", "ok"], "n": [-1.0, 2.0]})
    out = neutralise_frame(frame)
    assert list(out.columns) == ["'=bad", "n"]
    assert out["'=bad"].tolist() == ["'=1+1", "ok"]
    assert out["n"].tolist() == [-1.0, 2.0]
    assert frame.iloc[0, 0] == "=1+1"  # the input is not changed


# --- encodings ----------------------------------------------------------------------------


def test_encodings_are_detected_and_reported() -> None:
    text = "患者ID,性別\nP1,男性\n"
    assert decode_text(text.encode("utf-8"), "a.csv")[1:] == ("utf-8", True)
    assert decode_text(b"\xef\xbb\xbf" + text.encode("utf-8"), "a.csv") == (text, "utf-8-sig", True)
    assert decode_text(text.encode("cp932"), "a.csv") == (text, "cp932", True)
    assert decode_text(text.encode("utf-16"), "a.csv") == (text, "utf-16", True)
    raw = read_upload(text.encode("cp932"), "a.csv")
    assert raw.encoding == "cp932" and raw.encoding_label == "Shift_JIS (CP932)"
    assert "Shift_JIS (CP932) (detected)" in raw.describe()


def test_encoding_override_is_used_and_a_wrong_one_is_explained() -> None:
    data = "患者ID,性別\nP1,男性\n".encode("cp932")
    raw = read_upload(data, "a.csv", encoding="cp932")
    assert raw.encoding_detected is False and list(raw.frame.columns) == ["患者ID", "性別"]
    with pytest.raises(DataError, match=r"cannot be read as UTF-8: byte 0x\w\w on line 1"):
        read_upload(data, "a.csv", encoding="utf-8")
    with pytest.raises(DataError, match="unknown encoding 'latin-9'"):
        read_upload(data, "a.csv", encoding="latin-9")


def test_undeclared_and_mixed_encodings_get_precise_messages() -> None:
    with pytest.raises(DataError, match=r"is not UTF-8 or Shift_JIS \(CP932\) text: line 2"):
        read_upload("patient_id,center\nP-1,K\xf6ln\n".encode("latin-1"), "latin1.csv")
    mixed = b"patient_id,center\n" + "P-1,神戸\n".encode() + "P-2,大阪\n".encode("cp932")
    with pytest.raises(DataError, match=r"mixes encodings: line\(s\) 2 are UTF-8 but line\(s\) 3 are not"):
        read_upload(mixed, "mixed.csv")


# --- the corpus of bad files ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.csv", "file 'empty.csv' is empty"),
        (b"\n\n  \n", "blank.csv", "file 'blank.csv' is empty"),
        (b"patient_id,center,age\n", "header.csv", "file 'header.csv' has a header but no data rows"),
        (b"patient_id,center\n,\n,\n", "commas.csv", "has a header but no data rows"),
        (b"patient_id center age\nP1 K 70\n", "spaces.csv", "has a single column"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image.csv", "is a PNG image, not a table"),
        (bytes(range(256)) * 8, "binary.csv", "is a binary file, not a text table"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "old.xls", "old Excel (.xls)"),
        (b"PK\x03\x04not really a zip", "broken.xlsx", "is not a readable Excel workbook"),
    ],
)
def test_unreadable_files_get_a_precise_message(data: bytes, name: str, message: str) -> None:
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        read_upload(data, name)


def test_header_only_workbook_is_refused() -> None:
    data = workbook_bytes({"cohort": [list(INPUT_COLUMNS)]})
    with pytest.raises(DataError, match=r"sheet 'cohort' of 'h\.xlsx' has a header but no data rows"):
        read_upload(data, "h.xlsx")


def test_wrong_delimiter_is_sniffed_and_said() -> None:
    frame = valid_frame()
    semicolons = read_upload(csv_bytes(frame, sep=";"), "euro.csv")
    assert semicolons.delimiter == ";" and list(semicolons.frame.columns) == list(INPUT_COLUMNS)
    assert "read as semicolon-separated: the header has no commas" in semicolons.notes
    tabs = read_upload(csv_bytes(frame, sep="\t"), "named.csv")
    assert tabs.kind == "tsv" and "read as tab-separated: the header has no commas" in tabs.notes
    prepared_upload = prepare_cohort(semicolons, suggest_mapping(semicolons).spec)
    assert prepared_upload.report.summary() == "5 rows read, 5 used, 0 excluded."


def test_ragged_and_truncated_rows_are_reported_and_nothing_is_dropped_silently() -> None:
    text = csv_bytes(valid_frame()).decode().splitlines()
    text[2] = text[2] + ",surprise,extra"  # row 3: two cells too many
    text[-1] = ",".join(text[-1].split(",")[:10])  # row 6: cut short, no final newline
    raw = read_upload("\n".join(text).encode(), "ragged.csv")
    assert [label for label, _ in raw.rejected] == [1]
    result = prepare_cohort(raw, suggest_mapping(raw).spec)
    report = result.report
    assert (report.n_read, report.n_used, report.n_excluded) == (5, 3, 2)
    assert report.excluded_rows == ("row 3", "row 6")
    ragged = [i for i in report.issues if i.reason == "ragged row"]
    width = len(INPUT_COLUMNS)
    assert ragged[0].row == "row 3" and f"has {width + 2} fields but the header has {width}" in ragged[0].message
    short = [i for i in report.issues if i.reason == "short row"]
    assert short[0].row == "row 6" and short[0].message.endswith("(the file may be truncated)")
    assert "ragged row (1)" in report.summary()
    excluded = excluded_rows_table(result)
    assert excluded["row"].tolist() == [3, 6]
    assert excluded.loc[0, "(extra cells)"] == "surprise | extra"
    assert "patient_id" in excluded.columns and excluded.loc[0, "patient_id"] == "P-002"


def test_formula_cells_are_warned_kept_as_text_and_neutralised_in_the_export() -> None:
    frame = valid_frame()
    frame.loc[0, "center"] = '=HYPERLINK("http://evil.example","click")'
    frame.loc[1, "sex"] = "=1+1"
    raw = read_upload(csv_bytes(frame), "formula.csv")
    result = prepare_cohort(raw, suggest_mapping(raw).spec)
    formulas = [i for i in result.report.issues if i.reason == "formula cell"]
    assert [(i.row, i.column, i.severity) for i in formulas] == [
        ("row 2", "center", "warning"),
        ("row 3", "sex", "warning"),
    ]
    assert result.report.excluded_rows == ("row 3",)  # '=1+1' is not a sex
    assert result.cohort.frame.loc[0, "center"].startswith("=HYPERLINK")
    excluded = excluded_rows_table(result)
    assert excluded.loc[0, "sex"] == "'=1+1"


def test_workbook_formulas_use_their_saved_value_or_say_there_is_none() -> None:
    rows: list[list[object]] = [list(INPUT_COLUMNS)]
    for record in valid_frame().to_dict("records"):
        rows.append([record[c] for c in INPUT_COLUMNS])
    rows[1][INPUT_COLUMNS.index("age")] = "=70+2"
    data = workbook_bytes({"cohort": rows})
    raw = read_upload(data, "f.xlsx")
    (issue,) = [i for i in raw.issues if i.reason == "formula cell"]
    assert issue.row == "row 2" and issue.column == "age" and "no saved value" in issue.message
    assert raw.frame.loc[0, "age"] is None


def test_binary_named_csv_that_is_a_workbook_is_read_as_one() -> None:
    raw = read_upload(template_workbook(), "renamed.csv")
    assert raw.kind == "xlsx" and raw.notes[0] == "'renamed.csv' is an Excel workbook; it was read as one"


def test_workbook_with_several_sheets_reads_the_first_with_data_and_any_chosen_one() -> None:
    cohort_rows = [list(INPUT_COLUMNS), *[[r[c] for c in INPUT_COLUMNS] for r in valid_frame().to_dict("records")]]
    data = workbook_bytes({"README": [["notes only"]], "patients": cohort_rows, "old": [["patient_id"], ["X"]]})
    raw = read_upload(data, "multi.xlsx")
    assert raw.sheet == "patients" and raw.sheets == ("README", "patients", "old")
    assert "the workbook has 3 sheets (README, patients, old); 'patients' was read" in raw.notes
    assert read_upload(data, "multi.xlsx", sheet="old").frame.shape == (1, 1)
    with pytest.raises(DataError, match="has no sheet 'nope'; its sheets: README, patients, old"):
        read_upload(data, "multi.xlsx", sheet="nope")


def test_duplicated_columns_are_renamed_warned_and_mappable() -> None:
    frame = valid_frame()
    frame.insert(5, "age_copy", frame["age"])
    data = csv_bytes(frame).decode().replace("age_copy", "age", 1).encode()
    raw = read_upload(data, "dup.csv")
    assert "age (2)" in raw.frame.columns
    (issue,) = [i for i in raw.issues if i.reason == "repeated column"]
    assert issue.column == "age" and "read as 'age (2)'" in issue.message
    result = prepare_cohort(raw, suggest_mapping(raw).spec)
    assert result.report.usable and result.report.n_used == 5


def test_a_million_rows_get_a_clear_message_fast_and_without_a_memory_blow_up() -> None:
    data = b"patient_id,age\n" + b"P,70\n" * 1_000_000
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(DataError, match=r"has more than 200,000 data rows, the upload limit"):
        read_upload(data, "huge.csv")
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 10
    assert peak < 250 * 1024 * 1024
    assert len(read_upload(b"a,b\n" + b"1,2\n" * 50, "small.csv", max_rows=50).frame) == 50


# --- dates --------------------------------------------------------------------------------------


def test_three_date_formats_in_one_column_are_all_read() -> None:
    frame = valid_frame()
    frame["first_line_start"] = ["2016-05-10", "2019/02/03", "2015年1月20日", "平成30年7月1日", "20190909"]
    raw = read_upload(csv_bytes(frame), "dates.csv")
    result = prepare_cohort(raw, suggest_mapping(raw).spec)
    assert result.report.summary() == "5 rows read, 5 used, 0 excluded."
    starts = result.cohort.frame["first_line_start"].dt.strftime("%Y-%m-%d").tolist()
    assert starts == ["2016-05-10", "2019-02-03", "2015-01-20", "2018-07-01", "2019-09-09"]
    assert any(n.startswith("first_line_start: dates read in 5 format(s)") for n in result.notes)


def test_excel_serial_numbers_are_dates() -> None:
    frame = valid_frame()
    frame["first_line_start"] = [str((date.fromisoformat(d) - EXCEL_EPOCH).days) for d in frame["first_line_start"]]
    assert frame.loc[0, "first_line_start"] == "42500"  # 2016-05-10
    raw = read_upload(csv_bytes(frame), "serial.csv")
    result = prepare_cohort(raw, suggest_mapping(raw).spec)
    assert result.cohort.frame["first_line_start"].iloc[0] == pd.Timestamp("2016-05-10")


def day_month_frame(first_dates: list[str]) -> pd.DataFrame:
    frame = valid_frame()
    frame["first_line_start"] = first_dates
    return frame


def test_ambiguous_day_month_dates_block_until_the_user_chooses() -> None:
    frame = day_month_frame(["10/05/2016", "03/02/2019", "01/01/2015", "01/07/2018", "09/09/2019"])
    raw = read_upload(csv_bytes(frame), "dm.csv")
    spec = suggest_mapping(raw).spec
    result = prepare_cohort(raw, spec)
    assert not result.report.usable and result.report.n_used == 0
    (issue,) = [i for i in result.report.errors() if i.reason == "date order unclear"]
    assert issue.row is None and "3 date(s) like 03/04/2020 could be day/month or month/day" in issue.message
    day_first = prepare_cohort(raw, MappingSpec(spec.columns, spec.values, date_order="dmy"))
    assert day_first.report.usable and day_first.report.n_used == 5
    assert day_first.cohort.frame["first_line_start"].iloc[0] == pd.Timestamp("2016-05-10")
    month_first = prepare_cohort(raw, MappingSpec(spec.columns, spec.values, date_order="mdy"))
    assert month_first.cohort.frame.loc[1, "first_line_start"] == pd.Timestamp("2019-03-02")
    assert month_first.report.excluded_rows == ("row 2",)  # 2016-10-05 is after that patient's progression


def test_an_unambiguous_date_settles_the_order_and_a_contradiction_is_an_error() -> None:
    frame = day_month_frame(["10/05/2016", "03/02/2019", "20/01/2015", "01/07/2018", "09/09/2019"])
    raw = read_upload(csv_bytes(frame), "dm.csv")
    result = prepare_cohort(raw, suggest_mapping(raw).spec)
    assert result.report.usable
    assert any("read as day/month, because of '20/01/2015' in first_line_start" in n for n in result.notes)
    frame.loc[1, "first_line_start"] = "03/25/2019"
    raw = read_upload(csv_bytes(frame), "dm.csv")
    result = prepare_cohort(raw, suggest_mapping(raw).spec)
    (issue,) = [i for i in result.report.errors() if i.reason == "date order unclear"]
    assert "'20/01/2015' in first_line_start is day/month but '03/25/2019' in first_line_start is month/day" in (
        issue.message
    )


# --- column and value mapping ------------------------------------------------------------------------


def test_column_suggestions_from_english_and_japanese_names() -> None:
    names = ["患者ID", "性別", "年齢", "生年月日", "氏名", "Patient No", "Gender", "ECOG PS", "AFP (ng/mL)", "Etiolgy"]
    found = {s.canonical: (s.source, s.how) for s in suggest_columns(names)}
    assert found["patient_id"] == ("患者ID", "synonym")
    assert found["sex"] == ("性別", "synonym")
    assert found["age"] == ("年齢", "synonym")
    assert found["ecog"] == ("ECOG PS", "synonym")
    assert found["afp"] == ("AFP (ng/mL)", "name")
    assert found["etiology"] == ("Etiolgy", "similar")
    assert "生年月日" not in {s for s, _ in found.values()} and "氏名" not in {s for s, _ in found.values()}
    raw = read_upload(csv_bytes(pd.DataFrame({n: ["x"] for n in names})), "names.csv")
    not_needed = dict(suggest_mapping(raw).not_needed)
    assert not_needed["生年月日"].startswith("not needed")
    assert not_needed["氏名"].startswith("looks like patient names")


def test_value_suggestions_cover_the_issue_examples() -> None:
    values = ["Sor", "SOR", "ソラフェニブ", "Lenvima", "Atezo+Bev", "atezo / bev", "sorafenib", "aspirin"]
    suggested = suggest_values("first_line", values)
    assert suggested == {
        "Sor": "sorafenib",
        "SOR": "sorafenib",
        "ソラフェニブ": "sorafenib",
        "Lenvima": "lenvatinib",
        "Atezo+Bev": "atezolizumab_bevacizumab",
        "atezo / bev": "atezolizumab_bevacizumab",
    }
    assert suggest_values("pp_therapy", ["BSC", "なし", "TACE", "Rego"]) == {
        "BSC": "none",
        "なし": "none",
        "TACE": "tace",
        "Rego": "regorafenib",
    }
    assert suggest_values("sex", ["男", "女性", "M"]) == {"男": "M", "女性": "F"}
    assert suggest_values("mvi", ["あり", "なし", "1", "yes"]) == {"あり": "1", "なし": "0"}
    assert suggest_values("os_event", ["死亡", "生存"]) == {"死亡": "1", "生存": "0"}
    assert suggest_values("center", ["Kobe"]) == {}


def test_mapping_json_round_trip_and_strict_loading() -> None:
    spec = MappingSpec.build(
        {"sex": "性別", "age": "年齢", "bclc": None},
        {"sex": {"男": "M", "女": "F", "?": None}},
        date_order="mdy",
        encoding="cp932",
        sheet="patients",
    )
    assert spec.columns == (("age", "年齢"), ("sex", "性別"))
    assert MappingSpec.from_json(spec.to_json()) == spec
    assert json.loads(spec.to_json())["values"] == {"sex": {"女": "F", "男": "M"}}
    with pytest.raises(DataError, match="not a ppx mapping file"):
        MappingSpec.from_json("{}")
    with pytest.raises(DataError, match="not valid JSON"):
        MappingSpec.from_json("{nope")
    with pytest.raises(DataError, match="not canonical: gender"):
        MappingSpec.from_dict({"format": "ppx-mapping", "version": 1, "columns": {"gender": "x"}})
    with pytest.raises(DataError, match="date_order must be one of"):
        MappingSpec.from_dict({"format": "ppx-mapping", "version": 1, "date_order": "ymd"})


def test_a_mapping_naming_a_missing_column_warns_and_the_column_counts_as_missing() -> None:
    raw = read_upload(csv_bytes(valid_frame().drop(columns=["ecog"])), "no-ecog.csv")
    spec = MappingSpec.build({**dict(suggest_mapping(raw).spec.columns), "ecog": "PS"})
    result = prepare_cohort(raw, spec)
    reasons = {i.reason for i in result.report.issues}
    assert {"mapped column not in file", "missing required column"} <= reasons
    assert not result.report.usable


# --- good files, end to end ----------------------------------------------------------------------------


def test_shift_jis_csv_with_japanese_headers_maps_and_analyses_like_the_bundled_cohort() -> None:
    data = csv_bytes(japanese_frame(), encoding="cp932")
    raw = read_upload(data, "kobe_export.csv")
    assert raw.encoding == "cp932"
    suggestion = suggest_mapping(raw)
    assert dict(suggestion.spec.columns) == JAPANESE_HEADERS
    result = prepare_cohort(raw, suggestion.spec)
    assert result.report.summary() == "513 rows read, 513 used, 0 excluded."
    bundled = load_bundled_cohort()
    assert result.cohort.fingerprint == bundled.fingerprint
    ours = km_by_group(result.cohort.frame, "os_months", "os_event", "first_line")
    theirs = km_by_group(bundled.frame, "os_months", "os_event", "first_line")
    assert [g.median for g in ours.groups] == [g.median for g in theirs.groups]


def test_excel_file_with_serial_dates_maps_and_analyses_like_the_bundled_cohort() -> None:
    frame = bundled_text()
    headers = {
        "patient_id": "Patient ID", "first_line": "First-line drug", "first_line_start": "Start date",
        "sex": "Gender", "last_contact_date": "Last follow-up", "death_date": "Date of death",
    }  # fmt: skip
    rows: list[list[object]] = [[headers.get(c, c) for c in INPUT_COLUMNS]]
    for record in frame.to_dict("records"):
        row: list[object] = []
        for column in INPUT_COLUMNS:
            value = record[column]
            if column in ("first_line_start", "progression_date", "pp_start", "last_contact_date", "death_date"):
                row.append((date.fromisoformat(value) - EXCEL_EPOCH).days if value else None)
            elif column in ("age", "albi_score", "fib4", "afp", "child_pugh_score", "ecog", "mvi", "ehs"):
                row.append(float(value))
            else:
                row.append(value)
        rows.append(row)
    data = workbook_bytes({"Sheet1": rows})
    raw = read_upload(data, "consortium.xlsx")
    result = prepare_cohort(raw, suggest_mapping(raw).spec)
    assert result.report.summary() == "513 rows read, 513 used, 0 excluded."
    assert result.cohort.fingerprint == load_bundled_cohort().fingerprint


def test_template_has_the_canonical_columns_a_dictionary_and_two_usable_examples() -> None:
    data = template_workbook()
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["cohort", "dictionary"]
    header = [c.value for c in book["cohort"][1]]
    assert header == list(INPUT_COLUMNS)
    assert book["dictionary"].max_row == 1 + len(COLUMNS)
    raw = read_upload(data, "template.xlsx")
    result = prepare_cohort(raw, suggest_mapping(raw).spec)
    assert result.report.summary() == "2 rows read, 2 used, 0 excluded."
    assert result.cohort.frame["pp_ici"].tolist() == [1, 0]


# --- files with the endpoints but not the dates ---------------------------------------------------------


def endpoint_only_frame() -> pd.DataFrame:
    cohort = load_bundled_cohort().frame.head(60)
    keep = [c for c in INPUT_COLUMNS if c not in ("progression_date", "pp_start", "last_contact_date", "death_date")]
    frame = cohort[[*keep, "os_months", "os_event", "pfs_months", "pfs_event", "pps_months"]].copy()
    frame["first_line_start"] = frame["first_line_start"].dt.strftime("%Y-%m-%d")
    return frame


def test_a_file_with_endpoints_and_no_follow_up_dates_is_used_directly() -> None:
    frame = endpoint_only_frame()
    raw = read_upload(csv_bytes(frame), "endpoints.csv")
    result = prepare_cohort(raw, suggest_mapping(raw).spec)
    assert result.report.usable and result.report.n_used == 60, result.report.summary()
    assert not [i for i in result.report.issues if i.reason.endswith("recomputed")]
    assert any("rebuilt from the stored endpoints" in n for n in result.notes)
    got = result.cohort.frame.reset_index(drop=True)
    for column in ("os_months", "pfs_months"):
        assert (got[column] - frame[column].to_numpy()).abs().max() <= 0.5 / 30.4375 + 1e-9
    assert got["pps_months"].notna().tolist() == frame["pps_months"].notna().tolist()
    assert got["os_event"].tolist() == frame["os_event"].tolist()


def test_endpoints_without_a_start_date_are_blocked_with_the_reason() -> None:
    frame = endpoint_only_frame().drop(columns=["first_line_start"])
    raw = read_upload(csv_bytes(frame), "endpoints.csv")
    result = prepare_cohort(raw, suggest_mapping(raw).spec)
    assert not result.report.usable
    assert any("time zero is needed as a date" in i.message for i in result.report.errors())


def test_unmapped_columns_are_dropped_and_said() -> None:
    frame = valid_frame()
    frame["備考"] = ["memo"] * 5
    raw = read_upload(csv_bytes(frame), "memo.csv")
    mapped = apply_mapping(raw, suggest_mapping(raw).spec)
    assert "備考" not in mapped.frame.columns
    assert "1 file column(s) not mapped and not kept: '備考'" in mapped.notes
    result = prepare_cohort(raw, suggest_mapping(raw).spec)
    assert "備考" not in result.cohort.frame.columns
    assert set(result.cohort.frame.columns) == {*INPUT_COLUMNS, *DERIVED_COLUMNS}


def test_identifying_columns_are_dropped_when_the_file_is_read() -> None:
    frame = valid_frame()
    frame.insert(1, "氏名", ["山田太郎"] * 5)
    frame["生年月日"] = ["1950-01-01"] * 5
    frame.loc[2, "age"] = 300  # an excluded row: its download must not carry the name either
    raw = read_upload(csv_bytes(frame), "names.csv")
    assert "氏名" not in raw.frame.columns and "生年月日" not in raw.frame.columns
    assert [name for name, _ in raw.dropped] == ["氏名", "生年月日"]
    assert dict(suggest_mapping(raw).not_needed)["氏名"].startswith("looks like patient names")
    result = prepare_cohort(raw, suggest_mapping(raw).spec)
    excluded = excluded_rows_table(result)
    assert list(excluded["row"]) == [4]
    assert "山田太郎" not in excluded.to_csv() and "1950-01-01" not in excluded.to_csv()


# --- ppx validate with a mapping and an encoding -----------------------------------------------------------


def test_cli_validate_with_mapping_and_encoding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frame = japanese_frame().head(40)
    path = tmp_path / "export.csv"
    path.write_bytes(csv_bytes(frame, encoding="cp932"))
    assert main(["validate", str(path)]) == 1  # canonical names expected without a mapping
    assert "required column 'patient_id' is missing" in capsys.readouterr().out
    raw = read_upload(path.read_bytes(), path.name)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(suggest_mapping(raw).spec.to_json(), encoding="utf-8")
    assert main(["validate", str(path), "--mapping", str(mapping)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"{path}: 40 rows read, 40 used, 0 excluded."
    assert "Encoding: Shift_JIS (CP932) (detected)" in out
    assert main(["validate", str(path), "--mapping", "auto", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["n_used"] == 40 and data["encoding"] == "cp932"
    assert main(["validate", str(path), "--mapping", str(mapping), "--encoding", "utf-8"]) == 2
    assert "cannot be read as UTF-8" in capsys.readouterr().err


def test_cli_validate_date_order_and_unreadable_mapping(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "dm.csv"
    path.write_bytes(csv_bytes(day_month_frame(["10/05/2016", "03/02/2019", "01/01/2015", "01/07/2018", "09/09/2019"])))
    assert main(["validate", str(path)]) == 1
    assert "choose the order" in capsys.readouterr().out
    assert main(["validate", str(path), "--date-order", "dmy"]) == 0
    capsys.readouterr()
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    assert main(["validate", str(path), "--mapping", str(bad)]) == 2
    assert "not a ppx mapping file" in capsys.readouterr().err
    workbook = tmp_path / "t.xlsx"
    workbook.write_bytes(template_workbook())
    assert main(["validate", str(workbook)]) == 0


def test_dates_written_one_day_apart_stay_apart() -> None:
    """Rebuilt and normalised dates never shift by a day (no timezone or rounding drift)."""
    start = date(2020, 2, 28)
    days = [start + timedelta(days=k) for k in range(4)]
    frame = valid_frame().head(4).copy()
    frame["first_line_start"] = [f"{d.year}年{d.month}月{d.day}日" for d in days]
    frame["last_contact_date"] = "2022-01-01"
    frame["death_date"] = ""
    frame["progression_date"] = ""
    frame["pp_therapy"] = "none"
    frame["pp_start"] = ""
    raw = read_upload(csv_bytes(frame), "leap.csv")
    result = prepare_cohort(raw, suggest_mapping(raw).spec)
    assert result.cohort.frame["first_line_start"].dt.date.tolist() == days
