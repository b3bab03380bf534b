"""Patient-data isolation, fast checks in one process (issue 12): sessions, stores, codec, cache, helper.

The slow ones with real servers and browsers are in test_isolation_jobs.py,
test_isolation_http.py and test_redis.py.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import dash
import pytest
from flask import g

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


# ----------------------------------------------------------------------------- planted files


class _Planted:
    """A pickle that would create a file when unpickled (what a hostile local user would plant)."""

    def __init__(self, target: str) -> None:
        self.target = target

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (self.target, "w"))


def test_a_planted_pickle_is_never_unpickled_from_the_cache_or_the_session_store(tmp_path: Path, ppx_app: Any) -> None:
    import pickle

    from app import codec, datasets, sessions
    from app.cache import PrivateFileCache

    target = tmp_path / "pwned"
    bomb = pickle.dumps(_Planted(str(target)))
    cache = PrivateFileCache(tmp_path / "cache", 60)
    with ppx_app.server.test_request_context("/"):
        cache.set("key", {"ok": 1})
        path = cache._path("key")
        assert cache.get("key") == {"ok": 1}
        expiry = path.read_bytes()[:8]
        path.write_bytes(expiry + b"\x00" * 32 + bomb)  # a value without the server's signature
        assert cache.get("key") is None and not target.exists()
        with pytest.raises(codec.CodecError):
            codec.decode(bomb)
        datasets.set_session_cohort(datasets.bundled())
        store = sessions.store()
        store.put(sessions.owner(), datasets.COHORT_KEY, bomb, 60)
        g.pop("ppx_cohort", None)
        with pytest.raises(datasets.LostUploadError, match="upload it again"):
            datasets.session_cohort()
    assert not target.exists()


def test_a_state_directory_owned_by_another_user_is_refused(tmp_path: Path) -> None:
    from app.statedir import StateDirError, private_dir

    foreign = tmp_path / "foreign"
    foreign.mkdir(mode=0o700)
    if os.getuid() != 0:
        pytest.skip("needs root to give a directory to another user")  # the suite runs as root in CI
    os.chown(foreign, 65534, 65534)
    with pytest.raises(StateDirError, match=r"belongs to another user \(uid 65534"):
        private_dir(foreign, "the session directory (PPX_SESSION_DIR)")
    link = tmp_path / "link"
    link.symlink_to(tmp_path)
    with pytest.raises(StateDirError, match="not a directory of its own"):
        private_dir(link)


def test_files_are_created_0600_whatever_the_umask(tmp_path: Path) -> None:
    from app.statedir import write_private

    previous = os.umask(0)
    try:
        write_private(tmp_path / "f", b"x")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "f").stat().st_mode) == 0o600


# ----------------------------------------------------------------------------- Forget while a job runs


def test_a_job_still_running_after_forget_stores_nothing_and_says_why(ppx_app: Any) -> None:
    """Forget my data during a job that stores data (the upload read): the job, still holding the old cookie,
    must not re-create the session (under a new id nobody holds, kept until expiry) nor store anything."""
    from sessionkit import in_session, plant_cohort

    from app import datasets, sessions

    cookie = plant_cohort(ppx_app, datasets.bundled())
    with in_session(ppx_app, cookie):
        old_owner = sessions.owner()
        datasets.forget_session_data()  # the Forget request
    before = sessions.store().total_usage()
    with in_session(ppx_app, cookie):  # the job's request context: the cookie it started with
        g.ppx_in_job = True
        with pytest.raises(sessions.LostDataError, match="Forget my data"):
            sessions.put("pending", b"MARKER-AFTER-FORGET")
        assert sessions.current().owner == old_owner  # no new session was minted for the job
    assert not sessions.store().exists(old_owner)
    assert sessions.store().total_usage() == before  # nothing stored under any owner
