"""Optional sign-in for a department server; when on, an upload belongs to the user as well as the browser.

Two ways, chosen by environment (neither: no sign-in, the default):

- ``PPX_AUTH_FILE=/path/users.txt``: HTTP Basic sign-in (dash-auth's ``BasicAuth``)
  against hashed passwords, one ``user:hash`` line each, the hash made by
  Werkzeug (``python -c "from werkzeug.security import generate_password_hash as g;
  print(g('secret'))"``: scrypt or pbkdf2, never the password itself). Serve it
  over HTTPS only (docs/deploy/).
- ``PPX_AUTH_PROXY_HEADER=X-Remote-User`` with ``PPX_AUTH_PROXY_ADDRS=10.0.0.5,...``:
  a reverse proxy that signs users in (SSO, client certificates) names them in
  that header; the header is believed only on a connection from one of those
  addresses (the direct peer, never X-Forwarded-For). Any other request is refused.

The signed-in user becomes part of the session's owner key
(:attr:`app.sessions.Session.owner`) and of the cookie (a tag of the user), so
another user in the same browser sees none of it. ``/healthz`` and ``/readyz``
stay open for health checks.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from dash import Dash
from flask import Response, g, request
from werkzeug.security import check_password_hash

PUBLIC = ("/healthz", "/readyz")


class AuthConfigError(RuntimeError):
    """The sign-in settings are inconsistent or the users file cannot be used."""


def load_users(path: Path) -> dict[str, str]:
    """``user:hash`` lines (blank lines and ``#`` comments skipped); AuthConfigError naming the line otherwise."""
    users: dict[str, str] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise AuthConfigError(f"PPX_AUTH_FILE {path} cannot be read: {exc.strerror}") from exc
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        user, sep, hashed = text.partition(":")
        if not sep or not user or not hashed.startswith(("scrypt:", "pbkdf2:")):
            raise AuthConfigError(
                f"PPX_AUTH_FILE {path}, line {number}: expected user:hash with a Werkzeug password hash "
                "(scrypt:... or pbkdf2:...), never a plain password"
            )
        users[user] = hashed
    if not users:
        raise AuthConfigError(f"PPX_AUTH_FILE {path} names no user")
    return users


def _basic_user() -> str | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    try:
        user, _, _ = base64.b64decode(header[6:], validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user or None


def _refuse(status: int, text: str, challenge: bool = False) -> Response:
    headers = {"Content-Type": "text/plain; charset=utf-8"}
    if challenge:
        headers["WWW-Authenticate"] = 'Basic realm="Post-Progression Explorer"'
    return Response(text, status=status, headers=headers)


def _peer() -> str:
    original = request.environ.get("werkzeug.proxy_fix.orig", {})  # before ProxyFix rewrote it
    return str(original.get("REMOTE_ADDR") or request.environ.get("REMOTE_ADDR") or "")


def _basic_auth(app: Dash, users_file: str) -> None:
    from dash_auth import BasicAuth

    server = app.server
    users = load_users(Path(users_file))

    def well_formed() -> Response | None:  # before dash-auth: a garbled header is a 401, not a 500
        if request.path not in PUBLIC and request.headers.get("Authorization") and _basic_user() is None:
            return _refuse(401, "Sign-in required", challenge=True)
        return None

    server.before_request(well_formed)

    def check(user: str, password: str) -> bool:
        hashed = users.get(user)
        return hashed is not None and check_password_hash(hashed, password)

    BasicAuth(app, auth_func=check, public_routes=list(PUBLIC))

    def remember() -> None:
        g.ppx_user = _basic_user()

    server.before_request(remember)


def _proxy_auth(app: Dash, header: str) -> None:
    trusted = {a.strip() for a in os.environ.get("PPX_AUTH_PROXY_ADDRS", "").split(",") if a.strip()}
    if not trusted:
        raise AuthConfigError("PPX_AUTH_PROXY_HEADER needs PPX_AUTH_PROXY_ADDRS (the proxy's addresses)")

    def from_proxy() -> Response | None:
        if request.path in PUBLIC:
            return None
        user = request.headers.get(header, "").strip()
        if _peer() not in trusted or not user:
            return _refuse(403, "Sign in through the department's proxy.")
        g.ppx_user = user
        return None

    app.server.before_request(from_proxy)


def init_auth(app: Dash) -> str | None:
    """Turn sign-in on as configured; returns its kind ("basic", "proxy") or None."""
    users_file = os.environ.get("PPX_AUTH_FILE")
    header = os.environ.get("PPX_AUTH_PROXY_HEADER")
    if users_file and header:
        raise AuthConfigError("set PPX_AUTH_FILE or PPX_AUTH_PROXY_HEADER, not both")
    if users_file:
        _basic_auth(app, users_file)
        return "basic"
    if header:
        _proxy_auth(app, header)
        return "proxy"
    return None
