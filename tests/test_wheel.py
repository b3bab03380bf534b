"""Acceptance: the wheel works installed, away from the checkout.

The wheel is built from a copy of the repository's files (``git ls-files``: tracked, plus new files not ignored),
installed into a fresh virtual environment with its declared dependencies pinned by ``requirements.lock``
(``pip install -c requirements.lock WHEEL``: the lock constrains, the wheel's own metadata decides what is installed,
so a runtime dependency missing from ``pyproject.toml`` fails here; the dependencies' wheels are downloaded once
into the ignored ``build/wheelhouse``, sdists built to wheels, and installed offline from there afterwards), and run
from an empty directory with no ``PYTHONPATH``: ``ppx export``, ``ppx synth``, ``ppx validate`` and
``create_app()`` all default to the package data.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
BASE_PYTHON = Path(getattr(sys, "_base_executable", sys.executable))
# Wheels of the locked runtime dependencies, downloaded on the first run and reused (build/ is git-ignored).
WHEELHOUSE = ROOT / "build" / "wheelhouse"


def _run(argv: list[str], cwd: Path, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    command = " ".join(argv)
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


def _clean_env() -> dict[str, str]:
    """The environment without anything pointing back at the checkout or changing the app's defaults."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith(("PPX_", "VIRTUAL_ENV"))}


def _install(python: Path, wheel: Path, env: dict[str, str]) -> None:
    """``pip install -c requirements.lock WHEEL``, offline from the ignored wheelhouse, which is filled once."""
    lock = str(ROOT / "requirements.lock")
    offline = [str(python), "-m", "pip", "install", "-q", "--no-compile", "--no-index", "--find-links", str(WHEELHOUSE)]
    offline += ["-c", lock, str(wheel)]
    if WHEELHOUSE.is_dir() and subprocess.run(offline, env=env, capture_output=True, timeout=900).returncode == 0:
        return
    WHEELHOUSE.mkdir(parents=True, exist_ok=True)
    download = [str(python), "-m", "pip", "wheel", "-q", "-w", str(WHEELHOUSE), "-c", lock, str(wheel)]
    _run(download, WHEELHOUSE.parent, env, timeout=1500)
    for own in WHEELHOUSE.glob("post_progression_explorer-*"):
        own.unlink()
    _run(offline, WHEELHOUSE.parent, env)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(bin directory of the fresh venv, an empty working directory)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    files = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    env = _clean_env()
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp / "dist"),
          str(source)], tmp, env)  # fmt: skip
    wheel = next((tmp / "dist").glob("post_progression_explorer-*.whl"))
    _run([str(BASE_PYTHON), "-m", "venv", str(tmp / "venv")], tmp, env)
    bin_dir = tmp / "venv" / "bin"
    _install(bin_dir / "python", wheel, env)
    empty = tmp / "empty"
    empty.mkdir()
    yield bin_dir, empty


def test_the_wheel_carries_the_cohort_and_the_assets(installed: tuple[Path, Path]) -> None:
    bin_dir, empty = installed
    code = (
        "import analysis, app; from analysis.cohort import bundled_cohort_path; "
        "print(analysis.__file__); print(bundled_cohort_path()); print(app.APP_DIR)"
    )
    lines = _run([str(bin_dir / "python"), "-c", code], empty, _clean_env()).stdout.splitlines()
    venv = bin_dir.parent
    assert all(Path(line).resolve().is_relative_to(venv) for line in lines), lines
    assert Path(lines[1]).read_bytes() == (ROOT / "data" / "synthetic_klc.csv").read_bytes()
    assert (Path(lines[2]) / "assets" / "presenter.css").is_file()


def test_ppx_export_synth_and_validate_run_from_an_empty_directory(installed: tuple[Path, Path]) -> None:
    bin_dir, empty = installed
    ppx, env = str(bin_dir / "ppx"), _clean_env()
    _run([ppx, "export", "--view", "survival", "--format", "csv", "--out", "km.csv"], empty, env)
    table = (empty / "km.csv").read_text(encoding="utf-8-sig").splitlines()
    assert table[1].startswith("Group,n,Events") and any(line.startswith("Sorafenib,309,") for line in table)
    _run([ppx, "synth", "--n", "60", "--seed", "3", "--out", "synthetic.csv"], empty, env)
    report = _run([ppx, "validate", "synthetic.csv"], empty, env).stdout
    assert "60 rows read, 60 used, 0 excluded" in report
    assert "usage: ppx" in _run([ppx, "--help"], empty, env).stdout


def test_create_app_serves_pages_and_assets_when_installed(installed: tuple[Path, Path]) -> None:
    bin_dir, empty = installed
    code = (
        "from app import create_app\n"
        "client = create_app().server.test_client()\n"
        "page = client.get('/survival')\n"
        "css = client.get('/assets/presenter.css')\n"
        "print(page.status_code, b'_dash-config' in page.data, css.status_code, len(css.data))\n"
    )
    out = _run([str(bin_dir / "python"), "-c", code], empty, _clean_env()).stdout.split()
    assert out[:3] == ["200", "True", "200"] and int(out[3]) > 100
