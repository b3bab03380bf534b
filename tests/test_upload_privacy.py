"""Uploads belong to one browser session: isolation, HttpOnly cookie, expiry, forget, no patient data in logs.

Two Flask test clients with separate cookie jars play two browsers. They talk
to the real Dash callback endpoint with bodies built from the server's own
``/_dash-dependencies``, so the session cookie, not a callback argument,
decides which data a request sees.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from dash_jobs import dependency_with_input, run_job
from sessionkit import stored
from test_cohort import valid_frame

from analysis.errors import DataError
from analysis.ingest import MappingSpec, read_upload, suggest_mapping
from app import datasets, sessions
from app.ids import Ids
from app.logging_setup import APP_LOGGER, THIRD_PARTY_LOGGERS, configure_logging

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/ is a directory of the repo, not installed
from bench.dash_payloads import CALLBACK_PATH, COX_VIEW, SURVIVAL_VIEW, Dependencies

MARKER_CENTER = "MARKER-UPLOAD-CENTRE-7Q"
MARKER_PATIENT = "MARKER-UPLOAD-PATIENT"


def marker_csv() -> bytes:
    """Five valid patients from a centre and with ids no other data has; one row has a formula and an error."""
    frame = valid_frame()
    frame["center"] = MARKER_CENTER
    frame["patient_id"] = [f"{MARKER_PATIENT}-{k}" for k in range(1, 6)]
    frame.loc[4, "age"] = 200  # excluded: out of range
    frame.loc[4, "center"] = '=HYPERLINK("http://evil.example","x")'
    return frame.to_csv(index=False).encode("utf-8")


def gate(data: bytes, filename: str = "my-hospital.csv") -> dict[str, Any]:
    encoded = base64.b64encode(data).decode("ascii")
    return {"filename": filename, "size": len(data), "contents": f"data:text/csv;base64,{encoded}"}


class Browser:
    """One browser: its own cookie jar, the app's callback list, and helpers that post real callback requests."""

    def __init__(self, app: Any) -> None:
        self.client = app.server.test_client()
        self.app = app
        self.client.get("/data")
        self.deps_json = self.client.get("/_dash-dependencies").get_json()
        self.deps = Dependencies(self.deps_json)

    @property
    def token(self) -> str:
        cookie = self.client.get_cookie(sessions.SESSION_COOKIE)
        assert cookie is not None
        return str(cookie.value)

    def post(self, output: str, values: dict[str, Any], changed: list[str] | None = None) -> Any:
        response = self.client.post(CALLBACK_PATH, json=self.deps.body(output, values, changed))
        assert response.status_code in (200, 204), response.get_data(as_text=True)[:300]
        return response.get_json() if response.status_code == 200 else None

    def upload(self, data: bytes, filename: str = "my-hospital.csv") -> Any:
        """Send the file (the receiving request), then run the read job it starts; the job's answer, if any."""
        values = {f"{Ids.DATA_GATE}.data": gate(data, filename), f"{Ids.DATA_ENCODING}.value": "detect"}
        received = self.post(f"{Ids.DATA_UPLOAD_MESSAGE}.children", values, [f"{Ids.DATA_GATE}.data"])
        request = received["response"].get(Ids.DATA_READ_REQUEST, {}).get("data")
        if not request:
            return received
        return self.read(request)

    def read(self, request: dict[str, Any]) -> Any:
        dependency = dependency_with_input(self.deps_json, f"{Ids.DATA_READ_REQUEST}.data")
        body = Dependencies([dependency]).body(
            f"{Ids.DATA_READ_REQUEST}.data", {f"{Ids.DATA_READ_REQUEST}.data": request}
        )

        def post(payload: dict[str, Any], params: dict[str, str]) -> Any:
            response = self.client.post(CALLBACK_PATH, json=payload, query_string=params)
            assert response.status_code in (200, 204), response.get_data(as_text=True)[:300]
            return response.get_json() if response.status_code == 200 else None

        answer, _ = run_job(post, body)
        return answer

    def use(self, spec: MappingSpec) -> Any:
        return self.post(
            f"{Ids.DATA_RELOAD}.href", {f"{Ids.DATA_USE}.n_clicks": 1, f"{Ids.DATA_SPEC}.data": spec.to_dict()}
        )

    def layout_text(self) -> str:
        return str(self.client.get("/_dash-layout").get_data(as_text=True))

    def n_badge(self, search: str = "") -> str:
        body = self.post(f"{Ids.N_BADGE}.children", {f"{Ids.URL}.search": search})
        return str(body["response"][Ids.N_BADGE]["children"])

    def in_session(self) -> Any:
        return self.app.server.test_request_context(headers={"Cookie": f"{sessions.SESSION_COOKIE}={self.token}"})


@pytest.fixture()
def captured_logs() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    handler = configure_logging(stream=buffer, level=logging.DEBUG)
    root_handler = logging.StreamHandler(buffer)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(root_handler)
    root.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        root.removeHandler(root_handler)
        root.setLevel(previous)
        for name in (APP_LOGGER, *THIRD_PARTY_LOGGERS):
            logging.getLogger(name).removeHandler(handler)
        configure_logging()  # back to the app's default level


def suggested_spec() -> MappingSpec:
    return suggest_mapping(read_upload(marker_csv(), "my-hospital.csv")).spec


def test_the_session_cookie_is_httponly_and_unguessable(ppx_app: Any) -> None:
    response = ppx_app.server.test_client().get("/data")
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(sessions.SESSION_COOKIE))
    assert "HttpOnly" in header and "SameSite=Lax" in header
    token = header.split(";")[0].split("=", 1)[1]
    assert len(token) >= 43  # 32 random bytes, URL-safe base64


def test_session_a_upload_is_invisible_to_session_b(ppx_app: Any, captured_logs: io.StringIO) -> None:
    alice, bob = Browser(ppx_app), Browser(ppx_app)
    assert alice.token != bob.token
    received = alice.upload(marker_csv())
    assert MARKER_CENTER in str(received)  # the mapping table shows Alice her own file
    assert alice.use(suggested_spec())["response"][Ids.DATA_RELOAD]["href"] == "/"
    with alice.in_session():
        fingerprint = datasets.active_cohort().fingerprint
        assert datasets.active_cohort().name == "my-hospital.csv"
    assert MARKER_CENTER in alice.layout_text() and "Your upload: my-hospital.csv" in alice.layout_text()
    assert alice.n_badge().startswith("n = 4 of 4")

    # Bob still has the bundled cohort, whatever he asks for
    assert MARKER_CENTER not in bob.layout_text() and "SYNTHETIC" in bob.layout_text()
    assert bob.n_badge().startswith("n = 513 of 513")
    for search in (f"?fingerprint={fingerprint}", f"?dataset={fingerprint}", f"?fp={fingerprint[:10]}"):
        assert bob.n_badge(search).startswith("n = 513 of 513")
        page = bob.client.get(f"/survival{search}")
        assert page.status_code == 200 and MARKER_CENTER not in page.get_data(as_text=True)
    with bob.in_session(), pytest.raises(DataError, match="no longer available"):
        datasets.cohort_by_fingerprint(fingerprint)
    # Bob cannot use, download or re-read Alice's upload: his session has none
    refused = bob.use(suggested_spec())
    assert "Upload a file and map it first" in str(refused) and MARKER_CENTER not in str(refused)
    reread = bob.post(
        f"{Ids.DATA_UPLOAD_MESSAGE}.children", {f"{Ids.DATA_ENCODING}.value": "cp932"}, [f"{Ids.DATA_ENCODING}.value"]
    )
    assert "upload a data file first" in str(reread) and MARKER_CENTER not in str(reread)
    excluded = bob.client.post(
        CALLBACK_PATH,
        json=bob.deps.body(
            f"{Ids.DATA_EXCLUDED_DOWNLOAD}.data",
            {f"{Ids.DATA_EXCLUDED_SAVE}.n_clicks": 1, f"{Ids.DATA_SPEC}.data": suggested_spec().to_dict()},
        ),
    )
    assert excluded.status_code == 204  # nothing to download
    with bob.in_session():
        assert datasets.pending_upload() is None and datasets.session_cohort() is None
    # nothing of the file reached any log
    logs = captured_logs.getvalue()
    assert '"event":"request"' in logs
    assert MARKER_CENTER not in logs and MARKER_PATIENT not in logs and "HYPERLINK" not in logs


def test_excluded_rows_download_has_every_excluded_row_with_formulas_neutralised(ppx_app: Any) -> None:
    alice = Browser(ppx_app)
    alice.upload(marker_csv())
    body = alice.post(
        f"{Ids.DATA_EXCLUDED_DOWNLOAD}.data",
        {f"{Ids.DATA_EXCLUDED_SAVE}.n_clicks": 1, f"{Ids.DATA_SPEC}.data": suggested_spec().to_dict()},
    )
    download = body["response"][Ids.DATA_EXCLUDED_DOWNLOAD]["data"]
    assert download["filename"] == "excluded-rows-my-hospital.csv"
    text = base64.b64decode(download["content"]).decode("utf-8-sig")
    table = pd.read_csv(io.StringIO(text), dtype=str)
    assert table["row"].tolist() == ["6"] and table["patient_id"].tolist() == [f"{MARKER_PATIENT}-5"]
    assert table.loc[0, "center"].startswith("'=HYPERLINK")
    assert "age 200 is outside the allowed range" in table.loc[0, "reasons"]


def test_forget_my_data_deletes_the_upload_and_the_cohort_at_once(ppx_app: Any) -> None:
    alice = Browser(ppx_app)
    alice.upload(marker_csv())
    alice.use(suggested_spec())
    before = alice.token
    assert stored(ppx_app, before, datasets.COHORT_KEY) is not None
    assert stored(ppx_app, before, datasets.UPLOAD_KEY) is not None
    body = alice.post(f"{Ids.DATA_FORGET}.n_clicks", {f"{Ids.DATA_FORGET}.n_clicks": 1})
    assert body["response"][Ids.DATA_RELOAD]["href"] == "/data"
    assert alice.token != before  # a new session id
    assert stored(ppx_app, before, datasets.COHORT_KEY) is None
    assert stored(ppx_app, before, datasets.UPLOAD_KEY) is None
    assert MARKER_CENTER not in alice.layout_text()
    assert alice.n_badge().startswith("n = 513 of 513")


def test_back_to_the_bundled_cohort_is_one_click_and_keeps_the_received_file(ppx_app: Any) -> None:
    alice = Browser(ppx_app)
    alice.upload(marker_csv())
    alice.use(suggested_spec())
    alice.post(f"{Ids.DATA_BUNDLED}.n_clicks", {f"{Ids.DATA_BUNDLED}.n_clicks": 1})
    assert stored(ppx_app, alice.token, datasets.COHORT_KEY) is None
    assert alice.n_badge().startswith("n = 513 of 513")
    assert MARKER_CENTER not in alice.layout_text()
    assert stored(ppx_app, alice.token, datasets.UPLOAD_KEY) is not None  # the file can be mapped again


def test_uploads_expire_when_idle_and_a_read_restarts_the_clock(ppx_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    alice = Browser(ppx_app)
    alice.upload(marker_csv())
    alice.use(suggested_spec())
    ttl = sessions.session_ttl()
    assert ttl == 2 * 3600 or "PPX_SESSION_TTL" in __import__("os").environ
    start = time.time()
    monkeypatch.setattr(sessions.time, "time", lambda: start + ttl - 60)
    assert stored(ppx_app, alice.token, datasets.COHORT_KEY) is not None  # used just before expiry: clock restarts
    monkeypatch.setattr(sessions.time, "time", lambda: start + 2 * ttl - 120)
    assert stored(ppx_app, alice.token, datasets.COHORT_KEY) is not None
    monkeypatch.setattr(sessions.time, "time", lambda: start + 4 * ttl)
    assert stored(ppx_app, alice.token, datasets.COHORT_KEY) is None
    assert stored(ppx_app, alice.token, datasets.UPLOAD_KEY) is None
    assert "no longer on the server" in str(alice.post(f"{Ids.N_BADGE}.children", {f"{Ids.URL}.search": ""}))
    assert alice.n_badge().startswith("n = 513 of 513")  # told once; then the bundled cohort


def test_oversized_and_garbled_uploads_get_a_clear_message(ppx_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    alice = Browser(ppx_app)
    too_large = {"filename": "big.csv", "size": 80 * 1024 * 1024, "too_large": True}
    body = alice.post(
        f"{Ids.DATA_UPLOAD_MESSAGE}.children", {f"{Ids.DATA_GATE}.data": too_large}, [f"{Ids.DATA_GATE}.data"]
    )
    assert "'big.csv' is 80 MB, over the upload limit of 50 MB" in str(body)
    monkeypatch.setenv("PPX_MAX_UPLOAD_MB", "0.0005")  # the server's own limit holds whatever the browser says
    assert "over the upload limit of 1 kB" in str(alice.upload(marker_csv()))
    monkeypatch.delenv("PPX_MAX_UPLOAD_MB")
    garbled = {"filename": "x.csv", "contents": "data:text/csv;base64,@@@not-base64@@@"}
    body = alice.post(
        f"{Ids.DATA_UPLOAD_MESSAGE}.children", {f"{Ids.DATA_GATE}.data": garbled}, [f"{Ids.DATA_GATE}.data"]
    )
    assert "'x.csv' arrived garbled" in str(body)
    assert "is empty" in str(alice.upload(b"", "empty.csv"))
    assert "is a PNG image" in str(alice.upload(b"\x89PNG\r\n\x1a\n\x00\x00", "photo.csv"))


@pytest.mark.slow
def test_every_callback_of_every_page_keeps_an_upload_to_its_session(ppx_app: Any) -> None:
    """Bob posts every (non-background) callback of the app with plausible inputs after Alice used her upload:
    no response of his carries Alice's marker; the same sweep for Alice shows it is a real sweep."""
    alice, bob = Browser(ppx_app), Browser(ppx_app)
    alice.upload(marker_csv())
    alice.use(suggested_spec())
    background = {name for name, spec in ppx_app.callback_map.items() if spec.get("background")}

    def value(prop: str) -> Any:
        if prop.endswith(".n_clicks"):
            return 1
        if prop == f"{Ids.URL}.search":  # the Survival view reads its grouping from the URL
            return "?group=center"
        if prop.endswith(".pathname"):
            return "/survival"
        for suffix, default in SUFFIX_DEFAULTS.items():
            if prop.endswith(suffix) and (suffix.endswith("group.value") or prop not in VIEW_DEFAULTS):
                return default
        return VIEW_DEFAULTS.get(prop)

    def sweep(browser: Browser) -> list[str]:
        texts = []
        for dependency in browser.deps_json:
            if dependency["output"] in background:
                continue
            inputs = [f"{i['id']}.{i['property']}" for i in dependency["inputs"] + dependency.get("state", [])]
            body = _raw_body(dependency, {k: value(k) for k in inputs})
            response = browser.client.post(CALLBACK_PATH, json=body)
            texts.append(response.get_data(as_text=True))
        return texts

    seen_by_alice = sweep(alice)
    assert sum(MARKER_CENTER in t for t in seen_by_alice) >= 2  # the KM figure and Table 1 at least
    for text in sweep(bob):
        assert MARKER_CENTER not in text and MARKER_PATIENT not in text


SUFFIX_DEFAULTS: dict[str, Any] = {
    "-group.value": "center",
    "-grouping.value": "center",
    "-endpoint.value": "os",
    "-test.value": "logrank",
    "-conf.value": "log-log",
    "-options.value": ["ci"],
    "-covariates.value": ["fib4"],
    "-exposure.value": "ici",
    "-landmark.value": 6.0,
    "-mask.value": False,
}
VIEW_DEFAULTS: dict[str, Any] = {**SURVIVAL_VIEW, **COX_VIEW}


def _raw_body(dependency: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The renderer's request body for any callback (multi-output, duplicate and pattern-matching ids too)."""
    output = str(dependency["output"])
    multi = output.startswith("..")
    outputs = []
    for part in output.strip(".").split("...") if multi else [output]:
        ident, _, prop = part.rpartition(".")
        outputs.append({"id": json.loads(ident) if ident.startswith("{") else ident, "property": prop.split("@")[0]})

    def props(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {"id": i["id"], "property": i["property"], "value": values.get(f"{i['id']}.{i['property']}")} for i in items
        ]

    inputs = props(dependency["inputs"])
    return {
        "output": output,
        "outputs": outputs if multi else outputs[0],
        "inputs": inputs,
        "changedPropIds": [f"{i['id']}.{i['property']}" for i in inputs],
        "state": props(dependency.get("state", [])),
    }
