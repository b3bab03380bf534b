"""The request body limit, enforced before the application reads a byte past it.

:class:`BodyLimit` wraps the WSGI application:

- a declared ``Content-Length`` over the limit gets a 413 at once, before any
  of the body is read;
- a chunked body (no declared length) is read through a counter that stops at
  the limit, and the request gets a 413 there (marked ``wsgi.input_terminated``:
  without it werkzeug reads a chunked body as empty, and Dash answers 400).

What the application leaves unread, gunicorn's gthread worker drains for at
most 64 kB before it closes the connection instead of keeping it alive.
Flask's ``MAX_CONTENT_LENGTH`` stays set as a second line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import RequestEntityTooLarge

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def too_large_body(limit: int) -> bytes:
    return (
        f"The request is larger than this server accepts ({limit / 1024 / 1024:.0f} MB). Upload a smaller file, or "
        "ask the administrator to raise PPX_MAX_UPLOAD_MB."
    ).encode()


class _CappedInput:
    """``wsgi.input`` that raises 413 once more than ``limit`` bytes would have been read."""

    def __init__(self, stream: Any, limit: int) -> None:
        self.stream = stream
        self.limit = limit
        self.count = 0

    def _take(self, data: bytes) -> bytes:
        """Count ``data``; at the limit, one more byte means the body is over it (werkzeug would truncate)."""
        self.count += len(data)
        if self.count > self.limit or (self.count == self.limit and data and self.stream.read(1)):
            raise RequestEntityTooLarge()
        return data

    def read(self, size: int | None = -1) -> bytes:
        if size is not None and size >= 0:
            return self._take(self.stream.read(min(size, self.limit - self.count + 1)))
        parts = []
        while part := self._take(self.stream.read(min(65_536, self.limit - self.count + 1))):
            parts.append(part)
        return b"".join(parts)

    def readline(self, size: int | None = -1) -> bytes:
        room = self.limit - self.count + 1
        wanted = room if size is None or size < 0 else min(size, room)
        return self._take(self.stream.readline(wanted))

    def __iter__(self) -> _CappedInput:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


class BodyLimit:
    """WSGI middleware: request bodies larger than ``limit`` bytes get a 413 without being read past the limit."""

    def __init__(self, app: WSGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        declared = (environ.get("CONTENT_LENGTH") or "").strip()
        if declared:
            if declared.isdigit() and int(declared) > self.limit:  # a malformed length is werkzeug's 400
                return self._too_large(start_response)
        elif "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            environ["wsgi.input"] = _CappedInput(environ["wsgi.input"], self.limit)
            environ["wsgi.input_terminated"] = True  # the stream ends with the body: werkzeug reads it (not b"")
        return self.app(environ, start_response)

    def _too_large(self, start_response: StartResponse) -> Iterable[bytes]:
        body = too_large_body(self.limit)
        start_response(
            "413 Request Entity Too Large",
            [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
        )
        return [body]
