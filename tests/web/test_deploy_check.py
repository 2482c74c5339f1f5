"""`check --deploy --fail-level WARNING` is clean in server mode (issue 16, audit finding 10): every
remaining id is silenced in settings/server.py with its reason (docs/production.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _server_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QINGTING_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="qingting.web.config.settings.server",
        QINGTING_DATA_DIR=str(tmp_path),
        QINGTING_DATABASE_URL="postgres://qingting@127.0.0.1:1/qingting",  # parsed, never connected
        QINGTING_SECRET_KEY="x" * 64 + "-production-like-key-of-enough-length-and-variety-0123456789",
        QINGTING_ALLOWED_HOSTS="yq.example.gov.cn",
        **extra,
    )
    return env


def _check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_check_deploy_is_clean_in_server_mode(tmp_path: Path) -> None:
    done = _check(_server_env(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_turning_hsts_off_is_reported(tmp_path: Path) -> None:
    """The silencing is per id and with reasons, not a blanket: HSTS off shows up again."""
    done = _check(_server_env(tmp_path, QINGTING_HSTS_SECONDS="0"))
    assert done.returncode != 0 and "security.W004" in done.stdout + done.stderr


def test_behind_the_trusted_proxy_the_client_address_is_the_forwarded_one(monkeypatch: object) -> None:
    """Sign-in throttling per address needs the client's address, not the proxy's."""
    import http.client
    import threading

    import waitress.server

    from qingting.web.cli import proxy_options

    def app(environ: dict[str, str], start_response: object) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])  # type: ignore[operator]
        return [f"{environ['REMOTE_ADDR']} {environ['wsgi.url_scheme']}".encode()]

    monkeypatch.setenv("QINGTING_TRUSTED_PROXY", "127.0.0.1")  # type: ignore[attr-defined]
    server = waitress.server.create_server(app, host="127.0.0.1", port=0, **proxy_options())
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=10)
        conn.request("GET", "/", headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
        assert conn.getresponse().read() == b"203.0.113.7 https"
    finally:
        server.close()
    monkeypatch.delenv("QINGTING_TRUSTED_PROXY")  # type: ignore[attr-defined]
    assert proxy_options() == {}  # no proxy trusted: the peer is the client
