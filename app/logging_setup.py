"""Structured logs: one JSON line per request, and JSON for every other log record.

What a request line holds: time, method, path (never the query string), the
Dash callback's output id for ``/_dash-update-component`` (from the request's
``output`` field; never input or state values), status, duration in ms,
response size and worker pid.

No patient data, ever: a log record's exception is written as its type and the
code locations of its traceback, never its message (a message can quote a
row of data). Third-party records keep their message, which is library text.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import traceback
from datetime import UTC, datetime
from typing import IO, Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

REQUEST_LOGGER = "ppx.request"
APP_LOGGER = "ppx"
CALLBACK_PATH = "/_dash-update-component"
_SAFE = re.compile(r"[^A-Za-z0-9_.:+\-{}]")
_MAX_CALLBACK_CHARS = 300
THIRD_PARTY_LOGGERS = ("flask_caching", "dash", "celery")
"""Library loggers whose records also go out as JSON (their exceptions without messages)."""


class JsonFormatter(logging.Formatter):
    """One JSON object per line. Exceptions appear as type plus frames, never their message."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        else:
            entry["msg"] = record.getMessage()
        if record.exc_info and record.exc_info[0] is not None:
            exc_type, _, tb = record.exc_info
            entry["exc_type"] = exc_type.__name__
            entry["exc_frames"] = [
                f"{os.path.basename(frame.filename)}:{frame.lineno}:{frame.name}"
                for frame in traceback.extract_tb(tb)[-12:]
            ]
        return json.dumps(entry, separators=(",", ":"), default=str)


def _component_name(output_id: str) -> str:
    """A pattern-matching id ``{"index":3,"type":"row"}.children`` is logged by its ``type`` only."""
    if not output_id.startswith("{"):
        return output_id
    end = output_id.rfind("}")
    try:
        parsed = json.loads(output_id[: end + 1])
    except ValueError:
        return "{pattern}"
    kind = parsed.get("type") if isinstance(parsed, dict) else None
    return "{" + (kind if isinstance(kind, str) else "pattern") + "}" + output_id[end + 1 :]


def callback_name(output: object) -> str | None:
    """The callback's name as Dash addresses it: its output id(s), e.g. ``surv-figure.figure``.

    A multi-output callback is ``..a.children...b.figure..``; it is logged as
    ``a.children+b.figure``. Only ids and property names are kept.
    """
    if not isinstance(output, str) or not output:
        return None
    parts = [p for p in output.strip(".").split("...") if p] if output.startswith("..") else [output]
    name = "+".join(_component_name(part) for part in parts)
    return _SAFE.sub("_", name)[:_MAX_CALLBACK_CHARS]


def _callback_of_request() -> str | None:
    if request.path != CALLBACK_PATH or not request.is_json:
        return None
    try:
        body = request.get_json(silent=True)  # already parsed (and cached) by Dash
    except HTTPException:  # e.g. the body was over the size limit
        return None
    return callback_name(body.get("output")) if isinstance(body, dict) else None


def _start_timer() -> None:
    g.ppx_started = time.perf_counter()


def _log_request(response: Response) -> Response:
    started = g.get("ppx_started")
    duration_ms = (time.perf_counter() - started) * 1000 if started is not None else None
    fields: dict[str, Any] = {
        "event": "request",
        "method": request.method,
        "path": request.path,
        "callback": _callback_of_request(),
        "status": response.status_code,
        "duration_ms": round(duration_ms, 1) if duration_ms is not None else None,
        "bytes": response.calculate_content_length(),
        "pid": os.getpid(),
    }
    logging.getLogger(REQUEST_LOGGER).info("request", extra={"fields": fields})
    return response


def _log_exception(server: Flask) -> None:
    """Replace Flask's exception log (which prints the message) with type and frames only."""

    def log_exception(exc_info: Any) -> None:
        fields = {"event": "unhandled_exception", "method": request.method, "path": request.path}
        logging.getLogger(APP_LOGGER).error("unhandled exception", exc_info=exc_info, extra={"fields": fields})

    server.log_exception = log_exception  # type: ignore[method-assign]


def configure_logging(stream: IO[str] | None = None, level: int = logging.INFO) -> logging.Handler:
    """Send the ``ppx`` (and library) loggers' records to ``stream`` (default: stderr) as JSON lines; idempotent."""
    app_logger = logging.getLogger(APP_LOGGER)
    found = [h for h in app_logger.handlers if getattr(h, "ppx_target", None) is stream]
    handler = found[0] if found else _json_handler(stream)
    for name in (APP_LOGGER, *THIRD_PARTY_LOGGERS):
        logger = logging.getLogger(name)
        if handler not in logger.handlers:
            logger.addHandler(handler)
        logger.setLevel(level if name == APP_LOGGER else max(level, logging.WARNING))
        logger.propagate = False
    return handler


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record is emitted (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, _: IO[str]) -> None:
        pass


def _json_handler(stream: IO[str] | None) -> logging.Handler:
    handler: logging.Handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.setFormatter(JsonFormatter())
    handler.ppx_target = stream  # type: ignore[attr-defined]
    return handler


def init_request_logging(server: Flask) -> None:
    """One JSON line per request on the ``ppx.request`` logger; sanitized exception logs."""
    configure_logging()
    server.before_request(_start_timer)
    server.after_request(_log_request)
    _log_exception(server)
