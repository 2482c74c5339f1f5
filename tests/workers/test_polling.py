"""``source_poll``: fetch a real loopback feed, store its items, keep the source's health honest."""

from __future__ import annotations

from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from unittest import mock

import pytest
from _loopback import LoopbackServer, make_fetcher, send
from django.utils import timezone

from qingting.sources.types import pseudonymise
from qingting.web.audit.models import AuditEntry
from qingting.web.monitoring.models import Item, Source
from qingting.web.monitoring.services import pipeline_catch_up_all, polling

from .conftest import rss


def serve_feed(server: LoopbackServer, ids: list[int], etag: str = '"v1"') -> None:
    def handler(h: BaseHTTPRequestHandler) -> None:
        if h.headers.get("If-None-Match") == etag:
            send(h, 304, headers={"ETag": etag})
        else:
            send(h, 200, rss(ids), "application/rss+xml", headers={"ETag": etag})

    server.routes["/feed"] = handler


def test_poll_stores_new_items_then_304_stores_nothing(feed_source: Any, server: LoopbackServer) -> None:
    serve_feed(server, [1, 2, 3])
    now = timezone.now()
    report = polling.source_poll(source_id=feed_source.pk, now=now)
    assert (report.polled, report.failed, report.created, report.skipped) == (True, False, 3, 0)
    items = Item.objects.filter(source=feed_source).order_by("external_id")
    assert [i.external_id for i in items] == ["n-1", "n-2", "n-3"]
    # Stored only: each following scheme's engine catches up later (monitoring.catch_up).
    assert items[0].event_id is None and report.scheme_ids
    assert pipeline_catch_up_all() == 3 and Item.objects.get(pk=items[0].pk).event_id is not None
    # Authors arrive as the connector's keyed pseudonym; the handle is stored nowhere.
    assert items[0].author_pseudonym == pseudonymise("reporter1@news.example", polling.pseudonym_key())
    src = Source.objects.get(pk=feed_source.pk)
    assert src.last_success_at == now and src.consecutive_failures == 0 and src.item_count == 3
    assert src.fetch_state == {"etag": '"v1"'}
    assert now + timedelta(seconds=540) <= src.next_run_at <= now + timedelta(seconds=660)  # 600 s ± 10 %
    assert report.next_run_at == src.next_run_at
    assert AuditEntry.objects.filter(action="source.poll", object_id=str(src.pk)).count() == 1

    # The stored ETag goes back as If-None-Match: a 304 stores nothing and is a success.
    again = polling.source_poll(source_id=feed_source.pk)
    assert server.last_headers["/feed"]["if-none-match"] == '"v1"'
    assert (again.failed, again.not_modified, again.created) == (False, True, 0)
    assert Item.objects.filter(source=feed_source).count() == 3

    # A changed feed with old and new entries: only the new ones are stored.
    serve_feed(server, [2, 3, 4, 5], etag='"v2"')
    third = polling.source_poll(source_id=feed_source.pk)
    assert (third.created, third.skipped) == (2, 2)
    assert Item.objects.filter(source=feed_source).count() == 5


def test_failures_back_off_and_recovery_resets(feed_source: Any, server: LoopbackServer) -> None:
    server.routes["/feed"] = lambda h: send(h, 503, b"maintenance")
    now = timezone.now()
    first = polling.source_poll(source_id=feed_source.pk, now=now, fetcher=make_fetcher())
    assert first.failed and not first.created
    src = Source.objects.get(pk=feed_source.pk)
    assert src.consecutive_failures == 1 and "503" in src.last_error and src.last_error_at == now
    assert src.last_success_at is None
    assert now + timedelta(seconds=1080) <= src.next_run_at <= now + timedelta(seconds=1320)  # doubled
    polling.source_poll(source_id=feed_source.pk, now=now, fetcher=make_fetcher())
    src.refresh_from_db()
    assert src.consecutive_failures == 2
    assert now + timedelta(seconds=2160) <= src.next_run_at <= now + timedelta(seconds=2640)

    serve_feed(server, [1])
    ok = polling.source_poll(source_id=feed_source.pk, now=now, fetcher=make_fetcher())
    src.refresh_from_db()
    assert not ok.failed and ok.created == 1 and src.consecutive_failures == 0 and src.last_success_at == now
    audit = AuditEntry.objects.filter(action="source.poll", object_id=str(src.pk)).order_by("pk")
    assert [e.new["failed"] for e in audit] == [True, True, False]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, "connector"),
        ({"connector": "ftp"}, "connector"),
        ({"connector": "page"}, "link_pattern"),
        ({"connector": "rss", "max_items": "lots"}, "invalid connector options"),
    ],
)
def test_bad_configuration_is_a_recorded_failure_not_an_exception(
    feed_source: Any, server: LoopbackServer, config: dict[str, Any], message: str
) -> None:
    Source.objects.filter(pk=feed_source.pk).update(config=config)
    report = polling.source_poll(source_id=feed_source.pk)
    assert report.failed and message in report.errors[0]
    src = Source.objects.get(pk=feed_source.pk)
    assert src.consecutive_failures == 1 and message in src.last_error
    assert server.hits["/feed"] == 0


def test_private_address_is_refused_unless_the_operator_allows_it(
    feed_source: Any, server: LoopbackServer, settings: Any
) -> None:
    serve_feed(server, [1])
    settings.QINGTING_FETCH_ALLOW_HOSTS = []  # a source's own config cannot open the intranet
    Source.objects.filter(pk=feed_source.pk).update(config={"connector": "rss", "allow_hosts": ["localhost"]})
    report = polling.source_poll(source_id=feed_source.pk)
    assert report.failed and server.hits["/feed"] == 0
    assert Item.objects.count() == 0


def test_no_scheme_inactive_or_missing_source(feed_source: Any, server: LoopbackServer) -> None:
    serve_feed(server, [1])
    feed_source.schemes.update(is_active=False)
    # Schemes are views (decision 0061): pausing the only scheme does not stop collecting.
    report = polling.source_poll(source_id=feed_source.pk)
    assert not report.failed and report.created == 1 and server.hits["/feed"] == 1
    assert report.scheme_ids == () and Item.objects.filter(source=feed_source, pending=True).count() == 1
    Source.objects.filter(pk=feed_source.pk).update(is_active=False)
    assert not polling.source_poll(source_id=feed_source.pk).polled
    assert not polling.source_poll(source_id=999_999).polled


def test_storage_failure_keeps_the_old_fetch_state_so_nothing_is_lost(feed_source: Any, server: LoopbackServer) -> None:
    serve_feed(server, [1, 2])
    with mock.patch.object(polling, "store_items", side_effect=RuntimeError("disk full")):
        report = polling.source_poll(source_id=feed_source.pk)
    assert report.failed and "disk full" in report.errors[-1]
    src = Source.objects.get(pk=feed_source.pk)
    assert src.fetch_state == {} and src.consecutive_failures == 1 and Item.objects.count() == 0
    # The ETag was not kept, so the next poll fetches the full feed again and stores it.
    again = polling.source_poll(source_id=feed_source.pk)
    assert "if-none-match" not in server.last_headers["/feed"]
    assert again.created == 2 and Item.objects.count() == 2


def test_claim_due_hands_each_due_source_out_once(feed_source: Any) -> None:
    now = timezone.now()
    other = Source.objects.create(unit=feed_source.unit, name="未到期", config={"connector": "rss"},
                                  next_run_at=now + timedelta(hours=1))  # fmt: skip
    Source.objects.create(unit=feed_source.unit, name="手工导入")  # no connector: never polled
    assert polling.sources_claim_due(now=now) == [feed_source.pk]
    assert polling.sources_claim_due(now=now) == []  # claimed while its poll runs
    later = now + timedelta(hours=2)
    assert sorted(polling.sources_claim_due(now=later)) == sorted([feed_source.pk, other.pk])
