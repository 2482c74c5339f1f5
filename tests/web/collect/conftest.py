"""Fixtures for the collect tests: unit administrators, a loopback feed server, feed bodies."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "sources"))

from _loopback import TEST_HOST, LoopbackServer

from web.conftest import PASSWORD


@pytest.fixture()
def admins(monitored: dict[str, Any]) -> dict[str, Any]:
    """``monitored`` plus an administrator of each township (``east_admin``, ``west_admin``)."""
    from qingting.web.accounts import services
    from qingting.web.accounts.models import Role

    out = dict(monitored)
    for side in ("east", "west"):
        user = services.user_create(actor=None, username=f"{side}_admin", password=PASSWORD)
        services.membership_grant(actor=None, user=user, unit=monitored[side], role=Role.ADMIN)
        out[f"{side}_admin"] = user
    return out


@pytest.fixture()
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as s:
        yield s


@pytest.fixture()
def allow_loopback(settings: Any) -> str:
    settings.QINGTING_FETCH_ALLOW_HOSTS = [TEST_HOST]
    return TEST_HOST


def rss(ids: list[int], title: str = "柳湾镇停水", extra: str = "") -> bytes:
    items = "".join(
        f"<item><title>{title}（{i}）</title><link>http://news.example/a/{i}.html</link>"
        f"<guid>n-{i}</guid><pubDate>Sun, 22 Nov 2026 08:{i % 60:02d}:00 +0800</pubDate>"
        f"<description>第{i}条：柳湾镇今天停水，什么时候恢复供水{extra}</description></item>"
        for i in ids
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>新闻</title>'
        f"<language>zh-cn</language>{items}</channel></rss>"
    ).encode()


def serve_django(ssl_context: Any = None) -> Iterator[int]:
    """Serve the Django app on 127.0.0.1 (optionally TLS-wrapped) in a thread; yields the port.

    The server thread uses the test's own database connection, as Django's live server does for
    in-memory SQLite, so it sees the test's data under the ``db`` fixture — on SQLite and
    PostgreSQL alike — and the test's transaction is rolled back afterwards as usual.
    """
    import threading
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connections

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = make_server("127.0.0.1", 0, StaticFilesHandler(WSGIHandler()), handler_class=Quiet)
    if ssl_context is not None:
        server.socket = ssl_context.wrap_socket(server.socket, server_side=True)
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    conn = connections["default"]
    conn.inc_thread_sharing()
    # Requests must not close the shared connection (it holds the test's transaction), as
    # Django's test client also arranges.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)

    def serve() -> None:
        connections["default"] = conn
        server.serve_forever(0.05)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        conn.dec_thread_sharing()
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
