"""The Data page's work on a session's upload: receive the bytes, read them, validate a mapping (cached).

Called by the page's callbacks (reading and validating run in background
jobs, :mod:`app.pages.data`); everything is stored for the caller's session
only (:mod:`app.datasets`). Nothing here logs a cell, a column name or a file name.

- :func:`receive` keeps the file's bytes (nothing is parsed in the request);
- :func:`read` parses them within the server's bounds
  (:func:`app.components.upload.upload_limits`), with progress, and replaces
  the bytes by the file without its identifying columns
  (:func:`analysis.ingest.read_and_keep`): names and birth dates are stored
  only from the receiving request to the end of the first read (a refused,
  failed or cancelled first read drops the bytes);
- :func:`validate` maps and validates; the result is kept under the file's
  digest and the mapping, so the same mapping is never validated twice
  ("Use this cohort" and the excluded-rows download reuse it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from analysis.cohort import ValidatedCohort
from analysis.errors import DataError
from analysis.ingest import MappingSpec, RawTable, excluded_rows, prepare_cohort, read_and_keep, read_kept
from app import datasets
from app.components.upload import upload_limits

Progress = Callable[[float, str], None]


def receive(filename: str, data: bytes) -> None:
    """Keep a new file for this session (unread yet); the previous file and its validation are dropped."""
    datasets.clear_validated()
    datasets.set_pending_upload(datasets.PendingUpload(filename, data, None))


def discard() -> None:
    """A new upload was refused: nothing of the previous file stays on the page or in the session."""
    datasets.clear_validated()
    datasets.clear_pending_upload()


def require_pending() -> datasets.PendingUpload:
    upload = datasets.pending_upload()
    if upload is None:
        raise DataError("upload a data file first (an earlier upload has expired or was forgotten)")
    return upload


def read(encoding: str | None, sheet: str | None, progress: Progress | None = None) -> RawTable:
    """Read this session's file as chosen and keep the result; DataError if it cannot be read (a file never
    read before is then dropped: nothing is stored for a rejected file)."""
    upload = require_pending()
    try:
        if upload.kept is None:  # the bytes as received: read once, then only the kept file remains
            raw, kept = read_and_keep(upload.data, upload.filename, encoding=encoding, sheet=sheet,
                                      limits=upload_limits(), progress=progress)  # fmt: skip
        else:
            raw, kept = read_kept(upload.kept, upload.filename, encoding=encoding, sheet=sheet,
                                  limits=upload_limits(), progress=progress)  # fmt: skip
    except Exception:
        if upload.kept is None:  # a new file that cannot be read is refused: nothing of it is kept (issue 12)
            discard()
        else:  # a readable file re-read with another encoding or sheet stays, unreadable as chosen
            datasets.set_pending_upload(datasets.PendingUpload(upload.filename, b"", None, upload.kept))
        raise
    datasets.set_pending_upload(datasets.PendingUpload(upload.filename, b"", raw, kept))
    return raw


def drop_unread() -> None:
    """A first read was cancelled: the bytes as received (identifying columns included) are not kept."""
    upload = datasets.pending_upload()
    if upload is not None and upload.kept is None:
        discard()


def validation_key(upload: datasets.PendingUpload, spec: MappingSpec) -> str:
    """The file's digest and the mapping (with its reader choices): equal keys give equal reports."""
    digest = upload.kept.digest if upload.kept is not None else hashlib.sha256(upload.data).hexdigest()
    return hashlib.sha256(f"{digest}\n{spec.to_json()}".encode()).hexdigest()


def validate(spec: MappingSpec) -> tuple[ValidatedCohort, tuple[str, ...]] | None:
    """The validated cohort and the notes for ``spec`` on this session's file (None: no readable file)."""
    upload = datasets.pending_upload()
    if upload is None or upload.raw is None:
        return None
    key = validation_key(upload, spec)
    cached = datasets.validated(key)
    if cached is not None:
        return cached
    prepared = prepare_cohort(upload.raw, spec, name=upload.filename)
    datasets.set_validated(key, prepared.cohort, prepared.notes)
    return prepared.cohort, prepared.notes


def excluded_csv(spec: MappingSpec) -> tuple[bytes, str] | None:
    """The excluded rows (only the columns the mapping uses) as CSV bytes, and a file name."""
    result = validate(spec)
    upload = datasets.pending_upload()
    if result is None or upload is None or upload.raw is None:
        return None
    table = excluded_rows(upload.raw, result[0].report, spec)
    stem = upload.raw.source.rsplit(".", 1)[0] or "upload"
    return table.to_csv(index=False).encode("utf-8-sig"), f"excluded-rows-{stem}.csv"
