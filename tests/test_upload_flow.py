"""The Data page's flow over HTTP: a refused upload clears the previous one; a mapping is validated once.

Two real callback requests per step (the receiving request, then the read job
it starts), as in tests/test_upload_privacy.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from test_upload_privacy import MARKER_CENTER, Browser, gate, marker_csv, suggested_spec

from app import datasets, upload_flow
from app.ids import Ids


def test_a_refused_upload_clears_the_previous_file_and_its_report(
    ppx_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = Browser(ppx_app)
    read = alice.upload(marker_csv())
    assert read["response"][Ids.DATA_FILE_INFO]["children"] is not None
    # refused by the reader: the receiving request already cleared the page; the job says why
    values = {f"{Ids.DATA_GATE}.data": gate(b"\x89PNG\r\n\x1a\n\x00\x00", "photo.csv")}
    received = alice.post(f"{Ids.DATA_UPLOAD_MESSAGE}.children", values, [f"{Ids.DATA_GATE}.data"])["response"]
    for cleared in (Ids.DATA_FILE_INFO, Ids.DATA_MAPPING_TABLE, Ids.DATA_PREVIEW, Ids.DATA_REPORT):
        assert received[cleared]["children"] is None
    assert received[Ids.DATA_USE]["disabled"] is True
    answer = alice.read(received[Ids.DATA_READ_REQUEST]["data"])["response"]
    assert "is a PNG image" in str(answer) and MARKER_CENTER not in str(answer)
    with alice.in_session():
        assert datasets.pending_upload() is None  # a new file that cannot be read is not kept
    # refused on arrival (over the size limit): nothing of any earlier file is kept
    alice.upload(marker_csv())
    monkeypatch.setenv("PPX_MAX_UPLOAD_MB", "0.0005")
    refused = alice.upload(marker_csv())["response"]
    assert "over the upload limit" in str(refused[Ids.DATA_UPLOAD_MESSAGE])
    assert refused[Ids.DATA_REPORT]["children"] is None and refused[Ids.DATA_FILE_INFO]["children"] is None
    with alice.in_session():
        assert datasets.pending_upload() is None


def test_the_same_file_and_mapping_are_validated_once(ppx_app: Any) -> None:
    alice = Browser(ppx_app)
    alice.upload(marker_csv())
    spec = suggested_spec()
    with alice.in_session():
        upload = datasets.pending_upload()
        assert upload is not None and upload.raw is not None
        key = upload_flow.validation_key(upload, spec)
        assert datasets.validated(key) is None
        first = upload_flow.validate(spec)
        assert first is not None
        stored = datasets.validated(key)
        assert stored is not None and stored[0].fingerprint == first[0].fingerprint
        other = upload_flow.validation_key(upload, spec.__class__(**{**spec.__dict__, "date_order": "dmy"}))
        assert other != key and datasets.validated(other) is None  # another mapping is another validation
    assert alice.use(spec)["response"][Ids.DATA_RELOAD]["href"] == "/"
    with alice.in_session():
        cohort = datasets.session_cohort()
        assert cohort is not None and cohort.fingerprint == first[0].fingerprint


def test_cancel_says_so_instead_of_leaving_a_stale_message(ppx_app: Any) -> None:
    from dash.exceptions import PreventUpdate

    from app.pages import data

    assert "Reading cancelled" in str(data.read_cancelled(1))
    assert "Validation cancelled" in str(data.check_cancelled(1))
    with pytest.raises(PreventUpdate):
        data.read_cancelled(None)
