"""The ppx entry point and the data dictionary."""

from pathlib import Path

import pytest

from analysis.schema import COLUMNS, albi_grade, child_pugh_class, data_dictionary_markdown
from cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_help_lists_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for command in ("synth", "validate", "km", "cox", "dictionary"):
        assert command in out


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: ppx" in capsys.readouterr().out


def test_data_readme_holds_the_generated_dictionary() -> None:
    """data/README.md must contain the dictionary generated from analysis/schema.py (run `ppx dictionary`)."""
    readme = (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    assert data_dictionary_markdown() in readme
    for column in COLUMNS:
        assert f"`{column.name}`" in readme


@pytest.mark.parametrize(
    ("score", "expected"),
    [(5, "A"), (6, "A"), (7, "B"), (9, "B"), (10, "C"), (15, "C"), (4, None), (float("nan"), None)],
)
def test_child_pugh_class_cut_points(score: float, expected: str | None) -> None:
    assert child_pugh_class(score) == expected


@pytest.mark.parametrize(
    ("score", "expected"),
    [(-3.0, "1"), (-2.60, "1"), (-2.59, "2a"), (-2.27, "2a"), (-2.26, "2b"), (-1.39, "2b"), (-1.38, "3")],
)
def test_albi_grade_cut_points(score: float, expected: str) -> None:
    assert albi_grade(score) == expected
