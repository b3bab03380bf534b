"""`ppx validate FILE [--json]`: report text, JSON contract and exit codes 0/1/2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cohort import valid_frame

from cli import main


def write(tmp_path: Path, name: str, changes: dict[tuple[int, str], object] | None = None) -> Path:
    frame = valid_frame()
    for (position, column), value in (changes or {}).items():
        frame.loc[position, column] = value
    path = tmp_path / name
    frame.to_csv(path, index=False, sep="\t" if name.endswith(".tsv") else ",")
    return path


def test_valid_file_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "good.csv")
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"{path}: 5 rows read, 5 used, 0 excluded."
    assert "Fingerprint: " in out


def test_warnings_alone_still_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "warn.tsv", {(3, "first_line_start"): "2017-12-01"})
    assert main(["validate", str(path)]) == 0
    assert "row 5 (patient P-004), column first_line_start:" in capsys.readouterr().out


def test_row_errors_exit_1_and_print_each_issue(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(
        tmp_path,
        "broken.csv",
        {(3, "death_date"): "2018-06-01", (3, "last_contact_date"): "2018-06-01", (1, "sex"): "X"},
    )
    assert main(["validate", str(path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith(
        "5 rows read, 3 used, 2 excluded, because: sex not allowed (1), death before start (1), "
        "last contact before start (1)."
    )
    assert (
        "row 5 (patient P-004), column death_date: death_date 2018-06-01 is before first_line_start 2018-07-01 [error]"
        in lines
    )
    assert any(line.startswith("row 3 (patient P-002), column sex: sex 'X'") for line in lines)


def test_missing_column_exits_1_and_lists_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cols.csv"
    valid_frame().drop(columns=["ecog"]).to_csv(path, index=False)
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "the file cannot be used" in out
    assert "file, column ecog: required column 'ecog' is missing [error]" in out
    assert "Fingerprint" not in out


def test_unreadable_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "missing.csv")]) == 2
    assert "file not found" in capsys.readouterr().err
    binary = tmp_path / "latin1.csv"
    binary.write_bytes("patient_id,center\nP-1,K\xf6ln\n".encode("latin-1"))
    assert main(["validate", str(binary)]) == 2
    assert "not UTF-8" in capsys.readouterr().err


def test_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "broken.csv", {(0, "age"): 200})
    assert main(["validate", str(path), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert (data["n_read"], data["n_used"], data["n_excluded"], data["usable"]) == (5, 4, 1, True)
    assert data["excluded_rows"] == ["row 2"]
    (issue,) = data["issues"]
    assert issue["row"] == "row 2" and issue["patient_id"] == "P-001" and issue["column"] == "age"
    assert issue["value"] == "200" and issue["severity"] == "error"
    assert len(data["fingerprint"]) == 64


def test_json_fingerprint_is_null_when_unusable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cols.csv"
    valid_frame().drop(columns=["patient_id"]).to_csv(path, index=False)
    assert main(["validate", "--json", str(path)]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["usable"] is False and data["fingerprint"] is None and data["n_errors"] == 1
