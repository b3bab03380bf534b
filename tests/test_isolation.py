"""Patient-data isolation, fast checks in one process (issue 12): sessions, stores, codec, cache, helper.

The slow ones with real servers and browsers are in test_isolation_jobs.py,
test_isolation_http.py and test_redis.py.
"""

from __future__ import annotations

from typing import Any

import dash
import pytest

from app import background


def test_every_background_callback_goes_through_the_session_bound_helper(ppx_app: Any) -> None:
    registered = [(name, spec) for name, spec in dash._callback.GLOBAL_CALLBACK_MAP.items() if spec.get("background")]
    registered += [(name, spec) for name, spec in ppx_app.callback_map.items() if spec.get("background")]
    assert len({name for name, _ in registered}) >= 3  # bootstrap, Cox Compute, slide deck at least
    for name, spec in registered:
        assert getattr(spec["callback"], background.BACKGROUND_MARK, False), f"{name} bypasses background_callback"
        manager = spec["background"].get("manager")
        assert isinstance(manager, background.SessionDiskcacheManager | background.SessionCeleryManager), name


def test_background_callback_refuses_its_own_manager() -> None:
    with pytest.raises(TypeError, match="session-bound manager"):
        background.background_callback(dash.Output("x", "children"), dash.Input("y", "n_clicks"), manager=object())
