"""Which cohort a request works on.

The bundled synthetic cohort is loaded once per process (read-only). A cohort
uploaded in a browser session lives in the session store (:mod:`app.sessions`)
under that session's owner key and is never visible to another session. Stored
values are encoded by :mod:`app.codec` (JSON and Parquet, no pickles); a request
decodes its session's cohort once (kept in ``flask.g`` for that request only).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from flask import g, has_request_context

from analysis.cohort import ValidatedCohort, load_bundled_cohort
from analysis.errors import DataError
from analysis.ingest import KeptFile, RawTable
from analysis.messages import Message
from app import codec, sessions
from app.sweeper import delete_derived

COHORT_KEY = "cohort"


class LostUploadError(DataError):
    """This browser's uploaded data is no longer on the server (the page tells its owner)."""


@lru_cache(maxsize=1)
def bundled() -> ValidatedCohort:
    """The bundled SYNTHETIC cohort, loaded and validated once per process."""
    return load_bundled_cohort()


def _read(key: str) -> object | None:
    try:
        blob = sessions.get(key)
    except sessions.StoreUnavailableError as exc:
        raise DataError(f"{exc}. Your uploaded data cannot be reached; try again shortly.") from exc
    except sessions.LostDataError as exc:
        raise LostUploadError(sessions.LOST_MESSAGE) from exc
    if blob is None:
        return None
    try:
        value: object = codec.decode(blob, types=(PendingUpload, KeptFile))
    except codec.CodecError as exc:
        raise LostUploadError(f"{sessions.LOST_MESSAGE} (the stored copy could not be read)") from exc
    return value


def _write(key: str, value: object) -> None:
    try:
        sessions.put(key, codec.encode(value, types=(PendingUpload, KeptFile)))
    except sessions.QuotaError as exc:
        raise DataError(str(exc)) from exc
    except sessions.StoreUnavailableError as exc:
        raise DataError(f"{exc}. Your data could not be kept; try again shortly.") from exc


def session_cohort() -> ValidatedCohort | None:
    """The cohort uploaded in this browser session, if any (DataError if it was lost on the server)."""
    if not has_request_context():
        return None
    if "ppx_cohort" in g:
        cached = g.ppx_cohort
        return cached if isinstance(cached, ValidatedCohort) else None
    cohort = _read(COHORT_KEY)
    g.ppx_cohort = cohort if isinstance(cohort, ValidatedCohort) else None
    return g.ppx_cohort  # type: ignore[no-any-return]


def set_session_cohort(cohort: ValidatedCohort) -> None:
    """Make ``cohort`` this browser session's dataset (until the session expires or it is cleared)."""
    _write(COHORT_KEY, cohort)
    g.ppx_cohort = cohort


def clear_session_cohort() -> None:
    sessions.delete(COHORT_KEY)
    g.ppx_cohort = None


# --- the Data page's pending upload (before "Use this cohort") -----------------------

UPLOAD_KEY = "upload"


@dataclass(frozen=True, eq=False)
class PendingUpload:
    """A file received on the Data page and how it was last read (``raw``; None: unreadable as chosen).

    ``kept`` holds the file without its identifying columns (:class:`analysis.ingest.KeptFile`), which an
    encoding or sheet choice re-reads. A text file is kept so from the receiving request on; a workbook (whose
    columns are known only once its zip is parsed) has ``kept`` None and ``data`` holding the received bytes
    *sealed* (encrypted, :mod:`app.upload_flow`) until the first read job replaces them by ``kept``.
    ``unread``: no read of this file has succeeded yet (a failed or cancelled read then drops it all).
    Kept per browser session only.
    """

    filename: str
    data: bytes
    raw: RawTable | None
    kept: KeptFile | None = None
    unread: bool = False


def set_pending_upload(upload: PendingUpload) -> None:
    _write(UPLOAD_KEY, upload)


def clear_pending_upload() -> None:
    sessions.delete(UPLOAD_KEY)


def pending_upload() -> PendingUpload | None:
    """This session's received file, if any (expired or forgotten: None)."""
    if not has_request_context():
        return None
    upload = _read(UPLOAD_KEY)
    return upload if isinstance(upload, PendingUpload) else None


VALIDATED_KEY = "validated"


def set_validated(key: str, cohort: ValidatedCohort, notes: tuple[Message, ...]) -> None:
    """The Data page's last validation (file digest + reader choices + mapping as ``key``), kept for this session."""
    _write(VALIDATED_KEY, (key, cohort, notes))


def validated(key: str) -> tuple[ValidatedCohort, tuple[Message, ...]] | None:
    """The stored validation for ``key`` (same file and mapping), or None: a mapping change need not re-validate."""
    if not has_request_context():
        return None
    stored = _read(VALIDATED_KEY)
    if not isinstance(stored, tuple) or len(stored) != 3 or stored[0] != key:
        return None
    cohort, notes = stored[1], stored[2]
    if not isinstance(cohort, ValidatedCohort) or not all(isinstance(n, Message) for n in notes):
        return None  # stored by an older version (notes as text): validate again
    return cohort, tuple(notes)


def clear_validated() -> None:
    sessions.delete(VALIDATED_KEY)


def forget_session_data() -> None:
    """Forget my data: delete everything this session stored or derived (cohort, file, cache entries, jobs)
    and give the browser a new session id."""
    owner = sessions.forget()
    g.ppx_cohort = None
    if owner is not None:
        delete_derived(owner)


def active_cohort() -> ValidatedCohort:
    """The cohort the current request works on: this session's upload, else the bundled cohort."""
    return session_cohort() or bundled()


LOST_MESSAGE = sessions.LOST_MESSAGE


def cohort_and_notice() -> tuple[ValidatedCohort, bool]:
    """For the page shell: the cohort in use and whether this browser's upload was found lost (then the
    bundled cohort, and the pages say so until a new upload)."""
    try:
        cohort = active_cohort()
    except LostUploadError:
        return bundled(), True
    return cohort, has_request_context() and sessions.current().lost


def cohort_by_fingerprint(fingerprint: str) -> ValidatedCohort:
    """The cohort with this fingerprint, if this request may see it."""
    cohort = active_cohort()
    if cohort.fingerprint != fingerprint:
        raise DataError("this dataset is no longer available; reload the page")
    return cohort
