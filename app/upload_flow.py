"""The Data page's work on a session's upload: receive the bytes, read them, validate a mapping (cached).

Called by the page's callbacks (reading and validating run in background
jobs, :mod:`app.pages.data`); everything is stored for the caller's session
only (:mod:`app.datasets`). Nothing here logs a cell, a column name or a file name.

- :func:`receive` stores the file without its identifying columns (names,
  birth dates), so they are never written anywhere: a text file's header is
  decoded in the receiving request and those columns are cut from it there
  (:func:`analysis.ingest.keep_received`). A workbook's columns are known only
  once its zip is parsed, which is the read job's work: its bytes are stored
  *sealed* with Fernet (AES-128-CBC with HMAC-SHA256, the ``cryptography``
  package) under a fresh key that is returned to the page, travels in the read
  request (the browser's memory and the job's arguments) and is never stored
  with the data; the job opens them, reads them, and stores only the file
  without those columns. A refused, failed or cancelled first read drops the
  sealed bytes; a key lost with the page leaves them unreadable, and they
  expire with the session.
- :func:`read` parses the file within the server's bounds
  (:func:`app.components.upload.upload_limits`), with progress
  (:func:`analysis.ingest.read_and_keep` / :func:`analysis.ingest.read_kept`);
- :func:`validate` maps and validates; the result is kept under the file's
  digest and the mapping, so the same mapping is never validated twice
  ("Use this cohort" and the excluded-rows download reuse it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from analysis.cohort import ValidatedCohort
from analysis.errors import DataError
from analysis.ingest import (
    MappingSpec,
    RawTable,
    excluded_rows,
    keep_received,
    prepare_cohort,
    read_and_keep,
    read_kept,
)
from analysis.messages import Message
from app import datasets
from app.components.upload import megabytes, upload_limits
from app.i18n import N_

Progress = Callable[[float, Message], None]


TOO_LARGE = N_(
    "{filename} is {size}, over the upload limit of {limit}. Remove columns you do not need, split the file, or ask "
    "the administrator to raise PPX_MAX_UPLOAD_MB."
)
INCOMPLETE = N_("{filename} arrived empty or incomplete; upload it again")
GARBLED = N_("{filename} arrived garbled; upload it again")


def too_large(filename: str, size: int, limit: int) -> DataError:
    return DataError.of(TOO_LARGE, filename=repr(filename), size=megabytes(size), limit=megabytes(limit))


def decode_upload(gate: dict[str, Any], limit: int) -> tuple[str, bytes]:
    """The file name and bytes the gate passed on; DataError for a refused, oversized or garbled upload."""
    filename = str(gate.get("filename") or "upload")
    if gate.get("too_large"):
        raise too_large(filename, int(gate.get("size") or 0), limit)
    contents = gate.get("contents")
    if not isinstance(contents, str) or "," not in contents:
        raise DataError.of(INCOMPLETE, filename=repr(filename))
    encoded = contents.split(",", 1)[1]
    if len(encoded) * 3 // 4 > limit + 3:
        raise too_large(filename, len(encoded) * 3 // 4, limit)
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DataError.of(GARBLED, filename=repr(filename)) from exc
    return filename, data


def receive(filename: str, data: bytes) -> str | None:
    """Keep a new file for this session (unread yet); the previous file and its validation are dropped.

    Returns the key that opens the sealed bytes (a workbook), for the read request; None when the file is
    already kept without its identifying columns (a text file).
    """
    datasets.clear_validated()
    kept = keep_received(data, filename, upload_limits())
    if kept is not None:
        datasets.set_pending_upload(datasets.PendingUpload(filename, b"", None, kept, unread=True))
        return None
    key = Fernet.generate_key()
    sealed = Fernet(key).encrypt(data)
    del data
    datasets.set_pending_upload(datasets.PendingUpload(filename, sealed, None, None, unread=True))
    return key.decode("ascii")


SEAL_LOST = N_(
    "The file cannot be read any more (the page that received it was reloaded or closed before reading it); "
    "upload it again."
)


def _opened(upload: datasets.PendingUpload, key: str | None) -> bytes:
    """The sealed bytes of a workbook not yet read, opened with the read request's key."""
    try:
        return Fernet(key.encode("ascii")).decrypt(upload.data) if key else b""
    except (InvalidToken, ValueError):
        return b""


def discard() -> None:
    """A new upload was refused: nothing of the previous file stays on the page or in the session."""
    datasets.clear_validated()
    datasets.clear_pending_upload()


NO_UPLOAD = N_("upload a data file first (an earlier upload has expired or was forgotten)")


def require_pending() -> datasets.PendingUpload:
    upload = datasets.pending_upload()
    if upload is None:
        raise DataError(NO_UPLOAD)
    return upload


def read(encoding: str | None, sheet: str | None, progress: Progress | None = None, key: str | None = None) -> RawTable:
    """Read this session's file as chosen and keep the result; DataError if it cannot be read (a file never
    read before is then dropped: nothing is stored for a rejected file). ``key``: the read request's key for a
    sealed workbook (:func:`receive`)."""
    upload = require_pending()
    try:
        if upload.kept is None:  # a sealed workbook: read once, then only the kept file remains
            data = _opened(upload, key)
            if not data:
                raise DataError(SEAL_LOST)
            raw, kept = read_and_keep(data, upload.filename, encoding=encoding, sheet=sheet,
                                      limits=upload_limits(), progress=progress)  # fmt: skip
            del data
        else:
            raw, kept = read_kept(upload.kept, upload.filename, encoding=encoding, sheet=sheet,
                                  limits=upload_limits(), progress=progress)  # fmt: skip
    except Exception:
        if upload.unread:  # a new file that cannot be read is refused: nothing of it is kept (issue 12)
            discard()
        else:  # a readable file re-read with another encoding or sheet stays, unreadable as chosen
            datasets.set_pending_upload(datasets.PendingUpload(upload.filename, b"", None, upload.kept))
        raise
    datasets.set_pending_upload(datasets.PendingUpload(upload.filename, b"", raw, kept))
    return raw


def drop_unread() -> None:
    """A first read was cancelled: nothing of a file never read is kept (sealed bytes included)."""
    upload = datasets.pending_upload()
    if upload is not None and upload.unread:
        discard()


def validation_key(upload: datasets.PendingUpload, spec: MappingSpec) -> str:
    """The file's digest and the mapping (with its reader choices): equal keys give equal reports."""
    digest = upload.kept.digest if upload.kept is not None else hashlib.sha256(upload.data).hexdigest()
    return hashlib.sha256(f"{digest}\n{spec.to_json()}".encode()).hexdigest()


def validate(spec: MappingSpec) -> tuple[ValidatedCohort, tuple[Message, ...]] | None:
    """The validated cohort and the notes (templates, :mod:`app.i18n.ingest` words them) for ``spec`` on this
    session's file (None: no readable file)."""
    upload = datasets.pending_upload()
    if upload is None or upload.raw is None:
        return None
    key = validation_key(upload, spec)
    cached = datasets.validated(key)
    if cached is not None:
        return cached
    prepared = prepare_cohort(upload.raw, spec, name=upload.filename)
    datasets.set_validated(key, prepared.cohort, prepared.messages)
    return prepared.cohort, prepared.messages


def excluded_csv(spec: MappingSpec) -> tuple[bytes, str] | None:
    """The excluded rows (only the columns the mapping uses) as CSV bytes, and a file name."""
    result = validate(spec)
    upload = datasets.pending_upload()
    if result is None or upload is None or upload.raw is None:
        return None
    table = excluded_rows(upload.raw, result[0].report, spec)
    stem = upload.raw.source.rsplit(".", 1)[0] or "upload"
    return table.to_csv(index=False).encode("utf-8-sig"), f"excluded-rows-{stem}.csv"
