"""Items in several schemes, the store-first bulk path with engines catching up, rising volume."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.test import Client

from qingting.web.monitoring import selectors, services
from qingting.web.monitoring.membership import organisation_id
from qingting.web.monitoring.models import DailyCount, Event, Item, PipelineState, SchemeEvent, SchemeItem
from qingting.web.monitoring.services import engine

from .conftest import PASSWORD, stream


@pytest.fixture
def two(org: dict[str, Any], engine: str) -> dict[str, Any]:
    """One source followed by two schemes of the east township (and a west scheme that does not follow it)."""
    source = services.source_create(actor=None, unit=org["east"], name="论坛", kind="forum")
    water = services.scheme_create(actor=None, unit=org["east"], name="供水", sources=[source])
    all_ = services.scheme_create(actor=None, unit=org["east"], name="全部", sources=[source])
    other = services.scheme_create(actor=None, unit=org["west"], name="西", sources=[])
    return {**org, "source": source, "water": water, "all": all_, "other": other}


def _placed(scheme: Any) -> set[str]:
    return set(
        Item.objects.filter(scheme_matches__scheme=scheme, pending=False, event__isnull=False).values_list(
            "external_id", flat=True
        )
    )


def test_every_scheme_following_the_source_sees_every_item(two: dict[str, Any]) -> None:
    batch = stream("a", 6)
    result = services.ingest_items(scheme=two["water"], source=two["source"], records=batch)
    assert result.created == 6 and result.events_touched >= 1
    ids = {r["id"] for r in batch}
    assert _placed(two["water"]) == ids
    assert _placed(two["all"]) == ids  # matched although the batch came in for "water"
    assert not SchemeItem.objects.filter(scheme=two["other"]).exists()
    assert services.pending_count() == 0
    # One engine for the organisation: an item is in ONE event, which both schemes match.
    item = Item.objects.get(external_id="a-0")
    assert set(SchemeEvent.objects.filter(event=item.event).values_list("scheme_id", flat=True)) == {
        two["water"].pk,
        two["all"].pk,
    }
    matched = dict(SchemeEvent.objects.filter(scheme=two["all"]).values_list("event_id", "matched"))
    assert sum(matched.values()) == 6
    # The engine analysed each item once, and so did sentiment, the index and the daily counts.
    assert PipelineState.objects.get().items_ingested == 6
    assert PipelineState.objects.get().organisation_id == two["office"].pk
    assert sum(DailyCount.objects.values_list("n", flat=True)) == 6


def test_the_same_batch_for_the_other_scheme_duplicates_nothing(two: dict[str, Any]) -> None:
    batch = stream("a", 5)
    services.ingest_items(scheme=two["water"], source=two["source"], records=batch)
    again = services.ingest_items(scheme=two["all"], source=two["source"], records=batch)
    assert (again.created, again.skipped) == (0, 5)
    assert SchemeItem.objects.count() == 10
    assert PipelineState.objects.get().items_ingested == 5


def test_event_pages_search_and_api_follow_each_scheme(two: dict[str, Any]) -> None:
    services.ingest_items(scheme=two["water"], source=two["source"], records=stream("a", 6))
    client = Client()
    assert client.login(username="east_analyst", password=PASSWORD)
    for scheme in (two["water"], two["all"]):
        event = Event.objects.filter(scheme_matches__scheme=scheme).order_by("-item_count").first()
        assert event is not None
        page = client.get(f"/events/{event.pk}/")
        assert page.status_code == 200 and scheme.name in page.content.decode()
        posts = selectors.event_posts(event)
        assert posts and all(p.event_id == event.pk for p in posts)
        assert sum(r["n"] for r in selectors.event_sources(event)) == event.items.count()
        # Search and the API filter by the event and by the scheme itself.
        found = client.get("/api/items", {"event": event.pk, "limit": 100}).json()
        assert {i["id"] for i in found["items"]} == set(event.items.values_list("pk", flat=True))
        in_scheme = client.get("/api/items", {"scheme": scheme.pk, "limit": 100}).json()
        assert in_scheme["count"] == 6
        board = client.get("/api/events", {"scheme": scheme.pk}).json()
        assert event.pk in {e["id"] for e in board["items"]}
    # The west analyst sees neither scheme's events.
    west = Client()
    assert west.login(username="west_analyst", password=PASSWORD)
    event = Event.objects.filter(scheme_matches__scheme=two["all"]).first()
    assert west.get(f"/events/{event.pk}/").status_code == 404
    assert west.get("/api/items", {"scheme": two["all"].pk}).json()["count"] == 0


def test_store_first_then_catch_up(two: dict[str, Any]) -> None:
    stored = services.store_items(source=two["source"], records=stream("b", 30))
    assert stored.created == 30 and set(stored.scheme_ids) == {two["water"].pk, two["all"].pk}
    assert stored.organisation_id == two["office"].pk
    assert services.pending_count(two["water"]) == 30
    assert not Event.objects.exists()
    assert Item.objects.filter(sentiment_label="").count() == 30  # not analysed yet
    # Idempotent before the engine ran too.
    assert services.store_items(source=two["source"], records=stream("b", 30)).skipped == 30
    assert services.pending_count() == 30

    first = services.pipeline_catch_up(scheme=two["water"], batch=7)
    assert (first.items, first.batches) == (30, 5)
    # One engine: the other scheme has nothing left to wait for.
    assert services.pending_count(two["water"]) == 0 and services.pending_count(two["all"]) == 0
    assert Item.objects.filter(sentiment_label="").count() == 0
    assert sum(DailyCount.objects.values_list("n", flat=True)) == 30
    assert _placed(two["all"]) == {f"b-{i}" for i in range(30)}
    assert services.pipeline_catch_up_all() == 0
    # Search finds them once analysed (the index is written with the analysis).
    client = Client()
    assert client.login(username="east_analyst", password=PASSWORD)
    assert client.get("/api/items", {"q": "停水"}).json()["count"] == 30


def test_a_crash_while_catching_up_loses_nothing(two: dict[str, Any]) -> None:
    services.store_items(source=two["source"], records=stream("c", 20))
    failing = mock.patch.object(engine, "_count_daily", side_effect=RuntimeError("disk gone"))
    with failing, pytest.raises(RuntimeError):
        services.pipeline_catch_up(scheme=two["water"], batch=10)
    assert services.pending_count(two["water"]) == 20  # the failed batch rolled back
    assert not PipelineState.objects.filter(items_ingested__gt=0).exists()
    assert services.pipeline_catch_up(scheme=two["water"], batch=10).items == 20
    assert PipelineState.objects.get().items_ingested == 20
    assert SchemeItem.objects.filter(scheme=two["water"]).count() == 20


def test_a_source_no_scheme_follows_is_still_analysed_and_searchable(org: dict[str, Any], engine: str) -> None:
    source = services.source_create(actor=None, unit=org["east"], name="无人关注")
    stored = services.store_items(source=source, records=stream("d", 3))
    assert stored.created == 3 and stored.scheme_ids == ()
    assert services.pipeline_catch_up_all() == 3  # the organisation's engine places every item it collects
    assert sum(DailyCount.objects.values_list("n", flat=True)) == 3
    assert not Item.objects.filter(event__isnull=True).exists()
    client = Client()
    assert client.login(username="east_analyst", password=PASSWORD)
    assert client.get("/api/items", {"q": "停水"}).json()["count"] == 3


# Concurrent batches of one scheme on PostgreSQL (SKIP LOCKED, nothing stranded) are tested with
# two real Celery workers in tests/workers/test_celery.py.


def _event(scheme: Any, engine_id: int, *, items: int, burst: float, heat: float) -> Event:
    from django.utils import timezone

    now = timezone.now()
    return Event.objects.create(
        organisation_id=organisation_id(scheme.unit), engine_event_id=engine_id, title=f"事件{engine_id}",
        first_seen=now, last_seen=now,
        item_count=items, burst_z=burst, heat=heat, trend="rising",
    )  # fmt: skip


def test_a_three_item_event_does_not_top_rising(two: dict[str, Any]) -> None:
    small = _event(two["water"], 1, items=3, burst=50.0, heat=1.0)
    big = _event(two["water"], 2, items=40, burst=4.0, heat=20.0)
    user = two["office_leader"]  # sees the whole organisation (these events have no items)
    data = selectors.dashboard(user)
    assert big in data["rising_events"] and small not in data["rising_events"]
    board = list(selectors.event_board(user, selectors.EventFilters(sort="trend")))
    assert board.index(big) < board.index(small)
    rising = list(selectors.event_board(user, selectors.EventFilters(trend="rising")))
    assert rising == [big]


def test_rising_minimum_is_a_setting(two: dict[str, Any], settings: Any) -> None:
    small = _event(two["water"], 1, items=3, burst=50.0, heat=1.0)
    settings.QINGTING_RISING_MIN_ITEMS = 3
    assert small in selectors.dashboard(two["office_leader"])["rising_events"]
