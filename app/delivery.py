"""How the app's files travel: compressed (flask-compress) and, when their URL is versioned, cached for a year.

- **Compression.** Every GET response of a text type (Dash's JavaScript bundles such as plotly.min.js, the
  stylesheets in ``app/assets``, the page HTML, ``_dash-layout`` and ``_dash-dependencies``) is sent with the best
  encoding the browser accepts (zstd, Brotli, gzip). POSTed callback responses are not compressed: they carry the
  session's results beside values the request chose (filters, labels), the pattern that lets a length side
  channel (BREACH) read one through the other; they are small and never cached.
- **Cache lifetimes.** Dash names its component-suite files with a version fingerprint
  (``plotly.v3_1_0m1700000000.min.js``) and links ``app/assets`` files with their modification time
  (``presenter.css?m=1700000000``), so those URLs never change content: they get
  ``Cache-Control: public, max-age=31536000, immutable`` and a warm page load fetches none of them again.
  Anything else keeps Flask's and Dash's own headers (revalidated every time).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from dash import Dash
from dash.fingerprint import check_fingerprint
from flask import Flask, Request, Response, request
from flask_compress import Compress

IMMUTABLE = "public, max-age=31536000, immutable"
COMPONENT_SUITES = "/_dash-component-suites/"
ASSETS = "/assets/"
ALGORITHMS = ["zstd", "br", "gzip"]


def versioned(req: Request) -> bool:
    """True when the URL names one version of a file: a fingerprinted component suite or an asset with ``?m=``."""
    if COMPONENT_SUITES in req.path:
        return bool(check_fingerprint(req.path.rsplit("/", 1)[-1])[1])
    return ASSETS in req.path and bool(req.args.get("m"))


def init_delivery(server: Flask) -> None:
    """Compress GET responses and give versioned static files a year's immutable cache lifetime."""
    server.config.setdefault("COMPRESS_REGISTER", False)  # compression is applied below, to GET responses only
    server.config.setdefault("COMPRESS_ALGORITHM", ALGORITHMS)
    compress = Compress(server)

    def deliver(response: Response) -> Response:
        if request.method != "GET":
            return response
        if response.status_code == 200 and versioned(request):
            response.headers["Cache-Control"] = IMMUTABLE
        return compress.after_request(response)

    server.after_request(deliver)


def serialise_setup(app: Dash) -> None:
    """Make Dash's one-time set-up before a worker's first request complete before any request is served.

    Dash marks the set-up done before doing it (it registers the component-suite files a worker may serve), so
    with threaded workers a request arriving meanwhile skipped it and got a 404 for plotly.min.js and the other
    scripts: a cold page load failed. Here the set-up runs under a lock; later requests only read a flag.
    """
    hooks = app.server.before_request_funcs.setdefault(None, [])
    lock = threading.Lock()
    done = threading.Event()
    for index, hook in enumerate(hooks):
        if getattr(hook, "__func__", None) is Dash._setup_server:

            def setup(_original: Callable[[], None] = hook) -> None:
                if done.is_set():
                    return
                with lock:
                    if not done.is_set():
                        _original()
                        done.set()

            hooks[index] = setup
            return
    raise RuntimeError("Dash's set-up hook was not found: check app.delivery.serialise_setup against this Dash")
