"""Packaging: the bundled cohort is package data, the CLI starts lazily, the tree stays clean."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import analysis
from analysis.cohort import bundled_cohort_path
from cli import SUBCOMMAND_MODULES, build_parser, command_summary, lazy_parser

ROOT = Path(__file__).resolve().parents[1]


def test_bundled_cohort_is_package_data_identical_to_the_documented_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PPX_COHORT_PATH", raising=False)
    path = bundled_cohort_path()
    assert path.is_file()
    assert path.resolve().is_relative_to(Path(analysis.__file__).resolve().parent)
    assert path.read_bytes() == (ROOT / "data" / "synthetic_klc.csv").read_bytes()


def test_the_cohort_path_override_still_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PPX_COHORT_PATH", str(tmp_path / "big.csv"))
    assert bundled_cohort_path() == tmp_path / "big.csv"


def test_the_wheel_declares_the_package_data() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'analysis = ["data/*.csv", "reproduce/templates/*"]' in pyproject and 'app = ["assets/*"]' in pyproject


def test_lazy_help_lists_exactly_what_the_full_parser_lists() -> None:
    assert lazy_parser(["--help"]).format_help() == build_parser().format_help()


def test_every_subcommand_module_is_read_without_importing_it() -> None:
    names = [command_summary(module) for module in SUBCOMMAND_MODULES]
    assert all(summary is not None and summary[1] for summary in names), names
    assert [summary[0] for summary in names if summary] == [m.rpartition(".")[2] for m in SUBCOMMAND_MODULES]


@pytest.mark.parametrize("argv", [["--help"], ["dictionary", "--help"], []])
def test_ppx_help_imports_no_numerical_or_web_library(argv: list[str]) -> None:
    code = (
        "import contextlib, io, json, sys\n"
        "from cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        f"    main({argv!r})\n"
        "heavy = ('pandas', 'numpy', 'scipy', 'dash', 'plotly', 'flask')\n"
        "print(json.dumps(sorted(m for m in heavy if m in sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []


def test_a_named_subcommand_is_registered_for_real(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        lazy_parser(["km", "--help"]).parse_args(["km", "--help"])
    assert "--conf-type" in capsys.readouterr().out


def _recipe(target: str) -> list[str]:
    lines = (ROOT / "Makefile").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return recipe


def test_make_test_runs_ruff_mypy_hadolint_then_pytest_and_checks_the_tree() -> None:
    recipe = " ".join(_recipe("test"))
    steps = ["$(BIN)/ruff check .", "$(BIN)/mypy", "$(BIN)/hadolint Dockerfile", "$(BIN)/pytest $(PYTEST_ARGS)"]
    positions = [recipe.find(step) for step in steps]
    assert -1 not in positions and positions == sorted(positions), positions
    assert "git status --porcelain" in recipe


def test_make_data_writes_both_copies_of_the_bundled_cohort() -> None:
    recipe = " ".join(_recipe("data"))
    assert "--out analysis/data/synthetic_klc.csv" in recipe
    assert "cp analysis/data/synthetic_klc.csv data/synthetic_klc.csv" in recipe
