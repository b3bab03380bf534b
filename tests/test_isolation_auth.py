"""Optional sign-in (issue 12): Basic sign-in against hashed passwords through a real gunicorn app, and a
reverse proxy's user header believed only from the configured proxy address. With sign-in on, an upload
belongs to the user as well as the browser: another user in the same browser sees none of it."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from flask import Flask, g
from servers import DashClient, start_app
from test_isolation_http import upload, use
from test_upload_privacy import MARKER_CENTER, marker_csv
from werkzeug.security import generate_password_hash

from app import sessions
from app.auth import AuthConfigError, init_auth, load_users

pytestmark = pytest.mark.slow


def users_file(tmp_path: Path) -> Path:
    path = tmp_path / "users.txt"
    path.write_text(
        f"# user:werkzeug hash\nalice:{generate_password_hash('alice-pw')}\nbob:{generate_password_hash('bob-pw')}\n",
        encoding="utf-8",
    )
    return path


def test_basic_sign_in_with_hashed_passwords_and_uploads_per_user(tmp_path: Path) -> None:
    process, base = start_app(tmp_path, "app", {"PPX_AUTH_FILE": str(users_file(tmp_path))})
    try:
        assert requests.get(f"{base}/healthz", timeout=10).status_code == 200  # health checks stay open
        assert requests.get(f"{base}/survival", timeout=10).status_code == 401
        assert requests.get(f"{base}/survival", auth=("alice", "wrong"), timeout=10).status_code == 401
        garbled = requests.get(f"{base}/survival", headers={"Authorization": "Basic @@@"}, timeout=10)
        assert garbled.status_code == 401 and "WWW-Authenticate" in garbled.headers
        alice = DashClient(base, page="/data", auth=("alice", "alice-pw"))
        assert MARKER_CENTER in upload(alice, marker_csv())
        use(alice)
        assert "n = 4 of 4" in alice.n_badge().text
        # Bob signs in in the same browser (Alice's cookie): none of Alice's upload
        bob = DashClient(base, cookie=str(alice.http.cookies.get(sessions.SESSION_COOKIE)), auth=("bob", "bob-pw"))
        assert "n = 513 of 513" in bob.n_badge().text
        assert MARKER_CENTER not in bob.http.get(f"{base}/_dash-layout", timeout=30).text
        assert "n = 4 of 4" in alice.n_badge().text
        log = process.output()
        assert "Traceback" not in log and "alice-pw" not in log
    finally:
        process.stop()


def test_a_users_file_with_a_plain_password_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "users.txt"
    path.write_text("carol:hunter2\n", encoding="utf-8")
    with pytest.raises(AuthConfigError, match=r"line 1: expected user:hash .* never a plain password"):
        load_users(path)


def test_the_proxy_user_header_is_believed_only_from_the_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PPX_AUTH_PROXY_HEADER", "X-Remote-User")
    monkeypatch.setenv("PPX_AUTH_PROXY_ADDRS", "10.0.0.5")
    server = Flask("proxy-auth")  # the app's before_request hook on a bare server (no second Dash app)
    server.add_url_rule("/survival", "survival", lambda: f"user {g.ppx_user}")
    server.add_url_rule("/healthz", "healthz", lambda: "ok")
    assert init_auth(SimpleNamespace(server=server)) == "proxy"  # type: ignore[arg-type]
    client = server.test_client()
    assert client.get("/survival", headers={"X-Remote-User": "mallory"}).status_code == 403  # from 127.0.0.1
    via_proxy = client.get("/survival", headers={"X-Remote-User": "alice"}, environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert via_proxy.status_code == 200 and via_proxy.get_data(as_text=True) == "user alice"
    assert client.get("/survival", environ_base={"REMOTE_ADDR": "10.0.0.5"}).status_code == 403  # no user named
    assert client.get("/healthz").status_code == 200
    monkeypatch.setenv("PPX_AUTH_PROXY_ADDRS", "")
    with pytest.raises(AuthConfigError, match="needs PPX_AUTH_PROXY_ADDRS"):
        init_auth(SimpleNamespace(server=Flask("x")))  # type: ignore[arg-type]
