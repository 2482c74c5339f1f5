"""Fixtures for the worker tests: Django (as in tests/web), a loopback HTTP server, a polled source."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "sources"))

from _loopback import TEST_HOST, LoopbackServer

from web.conftest import engine, org

__all__ = ["TEST_HOST", "engine", "org"]


@pytest.fixture()
def server() -> Iterator[LoopbackServer]:
    """A fresh loopback HTTP server; set ``server.routes[path]`` before polling."""
    with LoopbackServer() as s:
        yield s


@pytest.fixture()
def allow_loopback(settings: Any) -> None:
    """Let the platform's fetcher reach the test host (operators do this for intranet portals)."""
    settings.QINGTING_FETCH_ALLOW_HOSTS = [TEST_HOST]


def rss(ids: list[int], title: str = "柳湾镇停水") -> bytes:
    """An RSS 2.0 feed with one entry per id (guid ``n-<id>``), authors given as handles."""
    items = "".join(
        f"<item><title>{title}（{i}）</title><link>http://news.example/a/{i}.html</link>"
        f"<guid>n-{i}</guid><pubDate>Sun, 22 Nov 2026 08:{i % 60:02d}:00 +0800</pubDate>"
        f"<author>reporter{i}@news.example</author>"
        f"<description>第{i}条：柳湾镇今天停水，什么时候恢复供水</description></item>"
        for i in ids
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>新闻</title>'
        f"<language>zh-cn</language>{items}</channel></rss>"
    ).encode()


@pytest.fixture()
def feed_source(org: dict[str, Any], engine: str, server: LoopbackServer, allow_loopback: None) -> Any:
    """An RSS source of the east township, followed by one scheme, pointing at ``/feed``."""
    from qingting.web.monitoring import services
    from qingting.web.monitoring.models import Source

    source = services.source_create(actor=None, unit=org["east"], name="东街道新闻", url=server.url("/feed"))
    services.scheme_create(actor=None, unit=org["east"], name="供水", sources=[source])
    Source.objects.filter(pk=source.pk).update(config={"connector": "rss"}, poll_interval=600)
    source.refresh_from_db()
    return source
