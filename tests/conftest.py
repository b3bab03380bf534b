"""Shared fixtures: headless Debian Chromium for dash[testing], and one Dash app per test session.

Dash moves ``@callback`` registrations into the first app that serves a
request, so the browser tests share a single app built once per session.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("PPX_CACHE_TYPE", "SimpleCache")
# every process a test starts (gunicorn, Celery) signs and verifies session cookies with the same secret
os.environ.setdefault("PPX_SECRET_KEY", "tests-only-secret-0123456789abcdef0123456789")
# this run's own private state directory (sessions, cache, jobs), never another run's
os.environ.setdefault("PPX_STATE_DIR", tempfile.mkdtemp(prefix="ppx-test-state-"))
# the host's export service (app/export_service.py) started by an in-process test ends soon after the run
os.environ.setdefault("PPX_EXPORT_IDLE_S", "60")


def _spread_dash_test_ports() -> None:
    """dash[testing] numbers its servers from 58050 in every process; two pytest runs on one host would collide."""
    from dash.testing.application_runners import BaseDashRunner

    BaseDashRunner._next_port = 20000 + (os.getpid() * 97) % 30000


_spread_dash_test_ports()

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1100",
)


def pytest_setup_options() -> Any:
    """Chrome options for dash[testing]: Debian's Chromium, headless, no calls to the outside network."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    binary = shutil.which("chromium") or "/usr/bin/chromium"
    options.binary_location = binary
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    return options


@pytest.fixture(scope="session")
def ppx_app() -> Iterator[Any]:
    from app import create_app

    yield create_app()
