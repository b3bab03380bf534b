"""Which cohort a request works on.

The bundled synthetic cohort is loaded once per process (read-only). A cohort
uploaded in a browser session lives in the session store (:mod:`app.sessions`)
under that session's cookie token and is never visible to another session.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from functools import lru_cache

from flask import has_request_context

from analysis.cohort import ValidatedCohort, load_bundled_cohort
from analysis.errors import DataError
from analysis.ingest import RawTable
from app import sessions

COHORT_KEY = "cohort"


@lru_cache(maxsize=1)
def bundled() -> ValidatedCohort:
    """The bundled SYNTHETIC cohort, loaded and validated once per process."""
    return load_bundled_cohort()


def session_cohort() -> ValidatedCohort | None:
    """The cohort uploaded in this browser session, if any."""
    if not has_request_context():
        return None
    sid = sessions.session_id()
    if sid is None:
        return None
    try:
        blob = sessions.store().get(sid, COHORT_KEY)
    except sessions.StoreUnavailableError as exc:
        raise DataError(f"{exc}. Your uploaded data cannot be reached; try again shortly.") from exc
    if blob is None:
        return None
    cohort = pickle.loads(blob)  # our own server-side pickle, never client input
    return cohort if isinstance(cohort, ValidatedCohort) else None


def set_session_cohort(cohort: ValidatedCohort) -> None:
    """Make ``cohort`` this browser session's dataset (until the session expires or it is cleared)."""
    sid = sessions.session_id()
    if sid is None:
        raise DataError("this browser has no session cookie; reload the page and upload again")
    sessions.store().put(sid, COHORT_KEY, pickle.dumps(cohort, protocol=pickle.HIGHEST_PROTOCOL))


def clear_session_cohort() -> None:
    sid = sessions.session_id()
    if sid is not None:
        sessions.store().delete(sid, COHORT_KEY)


# --- the Data page's pending upload (before "Use this cohort") -----------------------

UPLOAD_KEY = "upload"


@dataclass(frozen=True, eq=False)
class PendingUpload:
    """A file received on the Data page: its bytes and how they were last read (None: unreadable as chosen).

    Kept per browser session only, so that an encoding or sheet choice can re-read it.
    """

    filename: str
    data: bytes
    raw: RawTable | None


def _session_or_error() -> str:
    sid = sessions.session_id()
    if sid is None:
        raise DataError("this browser has no session cookie; reload the page and upload again")
    return sid


def set_pending_upload(upload: PendingUpload) -> None:
    sessions.store().put(_session_or_error(), UPLOAD_KEY, pickle.dumps(upload, protocol=pickle.HIGHEST_PROTOCOL))


def pending_upload() -> PendingUpload | None:
    """This session's received file, if any (expired or forgotten: None)."""
    sid = sessions.session_id() if has_request_context() else None
    if sid is None:
        return None
    blob = sessions.store().get(sid, UPLOAD_KEY)
    if blob is None:
        return None
    upload = pickle.loads(blob)  # our own server-side pickle, never client input
    return upload if isinstance(upload, PendingUpload) else None


def forget_session_data() -> None:
    """Forget my data: delete this session's cohort and received file at once."""
    sid = sessions.session_id()
    if sid is not None:
        store = sessions.store()
        store.delete(sid, COHORT_KEY)
        store.delete(sid, UPLOAD_KEY)


def active_cohort() -> ValidatedCohort:
    """The cohort the current request works on: this session's upload, else the bundled cohort."""
    return session_cohort() or bundled()


def cohort_by_fingerprint(fingerprint: str) -> ValidatedCohort:
    """The cohort with this fingerprint, if this request may see it."""
    cohort = active_cohort()
    if cohort.fingerprint != fingerprint:
        raise DataError("this dataset is no longer available; reload the page")
    return cohort
