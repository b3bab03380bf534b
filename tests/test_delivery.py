"""Static delivery against real gunicorn: compressed JavaScript and CSS, a year's immutable cache on versioned URLs."""

from __future__ import annotations

import gzip
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import brotli
import plotly
import pytest
import requests
from dash.fingerprint import build_fingerprint
from servers import DashClient, start_app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    process, url = start_app(tmp_path_factory.mktemp("delivery"), "app", {})
    try:
        yield url
    finally:
        process.stop()


def _raw(url: str, encoding: str) -> requests.Response:
    """The response as sent (not decoded by requests), asking for one encoding."""
    response = requests.get(url, headers={"Accept-Encoding": encoding}, timeout=30, stream=True)
    response.raw.decode_content = False
    response._content = response.raw.read()
    return response


def _links(base: str) -> list[str]:
    html = requests.get(f"{base}/survival", timeout=30).text
    return [base + link for link in re.findall(r'(?:src|href)="(/(?:_dash-component-suites|assets)/[^"]+)"', html)]


def test_plotly_js_is_compressed_with_gzip_or_brotli_and_cached_for_a_year(base: str) -> None:
    # dcc loads plotly.js itself (async), under the fingerprinted name Dash gives every component-suite file
    name = build_fingerprint("package_data/plotly.min.js", plotly.__version__, 1_700_000_000)
    plotly_js = f"{base}/_dash-component-suites/plotly/{name}"
    plain = _raw(plotly_js, "identity")
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    assert len(plain.content) > 2_000_000
    zipped = _raw(plotly_js, "gzip")
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain.content
    assert len(zipped.content) < len(plain.content) / 3
    squeezed = _raw(plotly_js, "br")
    assert squeezed.headers["Content-Encoding"] == "br"
    assert brotli.decompress(squeezed.content) == plain.content
    assert "Accept-Encoding" in squeezed.headers["Vary"]
    for response in (plain, zipped, squeezed):
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    unversioned = _raw(f"{base}/_dash-component-suites/plotly/package_data/plotly.min.js", "br")
    assert unversioned.headers["Content-Encoding"] == "br"
    assert "immutable" not in unversioned.headers.get("Cache-Control", "")


def _decoded(response: requests.Response) -> bytes:
    encoding = response.headers.get("Content-Encoding")
    if encoding == "gzip":
        return gzip.decompress(response.content)
    return brotli.decompress(response.content) if encoding == "br" else response.content


def test_assets_with_their_version_are_immutable_without_it_revalidated(base: str) -> None:
    css = next(link for link in _links(base) if "/assets/00-bootstrap" in link)
    assert "?m=" in css
    versioned = _raw(css, "gzip, br")  # a file is streamed: Brotli (flask-compress streams no gzip)
    assert versioned.status_code == 200
    assert versioned.headers["Content-Encoding"] == "br"
    assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    bare = _raw(css.split("?")[0], "identity")
    assert bare.status_code == 200 and "immutable" not in bare.headers.get("Cache-Control", "")
    assert _decoded(versioned) == bare.content and len(versioned.content) < len(bare.content) / 3


def test_the_page_is_compressed_and_not_cached_as_immutable(base: str) -> None:
    page = _raw(f"{base}/survival", "gzip")
    assert page.headers["Content-Encoding"] == "gzip"
    assert b"_dash-config" in gzip.decompress(page.content)
    assert "immutable" not in page.headers.get("Cache-Control", "")


def test_callback_responses_are_not_compressed(base: str) -> None:
    client = DashClient(base)
    client.http.headers["Accept-Encoding"] = "gzip, br"
    answer = client.n_badge()
    assert answer.status_code == 200 and "n = 513 of 513" in answer.text
    assert "Content-Encoding" not in answer.headers


def test_a_fresh_worker_serves_its_first_concurrent_requests(tmp_path: pytest.TempPathFactory, ppx_app: Any) -> None:
    """A worker's first requests arrive together (the browser fetches every script at once): none may fail.

    Dash registers the component-suite files a worker may serve during its one-time set-up before the first
    request; a second thread arriving meanwhile used to skip the set-up and get a 404 for plotly.min.js."""
    index = ppx_app.server.test_client().get("/survival").get_data(as_text=True)
    scripts = re.findall(r'src="(/_dash-component-suites/[^"]+)"', index)
    assert len(scripts) >= 5
    for attempt in range(2):
        process, base = start_app(Path(str(tmp_path)), f"fresh{attempt}", {}, untouched=True)
        try:
            urls = [f"{base}/survival", *(base + s for s in scripts)]
            barrier = threading.Barrier(len(urls))

            def get(url: str, barrier: threading.Barrier = barrier) -> tuple[str, int]:
                barrier.wait()
                return url, requests.get(url, timeout=60).status_code

            with ThreadPoolExecutor(len(urls)) as pool:
                failed = [(u, code) for u, code in pool.map(get, urls) if code != 200]
        finally:
            process.stop()
        assert failed == [], f"first requests of a fresh worker failed: {failed}"
