"""Sessions for tests: store data for a new browser session exactly as a request does, and read it back.

The test process signs cookies with the same ``PPX_SECRET_KEY`` as the servers it
starts (tests/conftest.py), so a cookie made here is one the server issued.
"""

from __future__ import annotations

from typing import Any

from analysis.cohort import ValidatedCohort
from app import datasets, sessions


def plant_cohort(app: Any, cohort: ValidatedCohort) -> str:
    """What "Use this cohort" does in a request of a new browser; returns the cookie value that browser gets."""
    with app.server.test_request_context("/"):
        datasets.set_session_cohort(cohort)
        return sessions.cookie_value()


def stored(app: Any, cookie: str, key: str) -> bytes | None:
    """The raw stored value under ``key`` of the session this cookie names (None: nothing, or no such session)."""
    with app.server.test_request_context("/", headers={"Cookie": f"{sessions.SESSION_COOKIE}={cookie}"}):
        session = sessions.current()
        return sessions.store().get(session.owner, key) if session.has_data else None


def in_session(app: Any, cookie: str) -> Any:
    return app.server.test_request_context("/", headers={"Cookie": f"{sessions.SESSION_COOKIE}={cookie}"})
