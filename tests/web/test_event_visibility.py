"""Who sees an event (decisions 0061, 0109): a unit's users see an event when any of its items is
theirs — of one of their sources, or about one of their places — on every event list (dashboard,
board, event page, API, reports), read from the events' places the engine keeps. Real database,
real engine; the places are checked against the items after ingestion, a merge and a split."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Count, Q, Sum
from django.test import Client

from qingting.web.monitoring.models import Event, EventPlace, Item

from .conftest import PASSWORD, stream

# The stream's posts are on 2026-01-01 (local time): a custom period around that day.
PERIOD = {"period": "custom", "from": "2025-12-31", "to": "2026-01-02"}


def _client(name: str) -> Client:
    client = Client()
    assert client.login(username=name, password=PASSWORD)
    return client


def _places_from_items() -> dict[tuple[int, int, str], tuple[int, int, float]]:
    """Per (event, source, region): items, of them negative, their positivities summed (0131)."""
    rows = (
        Item.objects.exclude(event=None)
        .values("event_id", "source_id", "region")
        .annotate(n=Count("id"), neg=Count("id", filter=Q(sentiment_label="negative")), pos=Sum("sentiment"))
    )
    return {(r["event_id"], r["source_id"], r["region"]): (r["n"], r["neg"], round(r["pos"], 6)) for r in rows}


def _places_stored() -> dict[tuple[int, int, str], tuple[int, int, float]]:
    return {
        (p.event_id, p.source_id, p.region): (p.n, p.negative, round(p.positivity, 6)) for p in EventPlace.objects.all()
    }


def _event_of(source: Any) -> Event:
    ids = set(Item.objects.filter(source=source).exclude(event=None).values_list("event_id", flat=True))
    assert len(ids) == 1, f"expected one event for {source}, got {ids}"
    return Event.objects.get(pk=ids.pop())


@pytest.fixture
def stories(monitored: dict[str, Any]) -> dict[str, Any]:
    """East's and west's own stories (their sources), and a county story on the office's source
    whose posts name the east township (region 东街道): east sees it by place, west does not."""
    from qingting.web.accounts import services as accounts
    from qingting.web.accounts.models import Role
    from qingting.web.monitoring import services

    out = dict(monitored)
    county = services.source_create(actor=None, unit=monitored["office"], name="县融媒体", kind="news")
    scheme = services.scheme_create(actor=None, unit=monitored["office"], name="县方案", sources=[county])
    records = stream("c", 5, text="东街道菜市场改造施工，占道影响出行")
    for r in records:
        r["region"] = "东街道"
    services.ingest_items(scheme=scheme, source=county, records=records)
    analyst = accounts.user_create(actor=None, username="office_analyst", password=PASSWORD)
    accounts.membership_grant(actor=None, user=analyst, unit=monitored["office"], role=Role.ANALYST)
    out.update(county_source=county, office_analyst=analyst)
    east_items = Item.objects.filter(source=monitored["east_source"], text__contains="柳湾镇停水")
    east_events = set(east_items.values_list("event", flat=True))
    assert len(east_events) == 1
    out["east_event"] = Event.objects.get(pk=east_events.pop())
    out["west_event"] = _event_of(monitored["west_source"])
    out["county_event"] = _event_of(county)
    return out


def _dashboard_events(name: str) -> str:
    response = _client(name).get("/", PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index('class="eventlist"') :] if 'class="eventlist"' in html else ""


def test_places_follow_the_items_through_ingestion(stories: dict[str, Any]) -> None:
    assert _places_stored() == _places_from_items()
    assert EventPlace.objects.filter(event=stories["county_event"], region="东街道").exists()


def test_a_township_sees_its_own_and_its_places_stories_and_nothing_else(stories: dict[str, Any]) -> None:
    east, west, county = stories["east_event"], stories["west_event"], stories["county_event"]
    link = "/events/{}/".format
    board = _dashboard_events("east_analyst")
    assert link(east.pk) in board and link(county.pk) in board  # its source's story, its place's story
    assert link(west.pk) not in board  # the leak test: no item of west's story is east's
    board = _dashboard_events("west_analyst")
    assert link(west.pk) in board and link(east.pk) not in board and link(county.pk) not in board
    office = _dashboard_events("office_leader")
    assert all(link(e.pk) in office for e in (east, west, county))

    # The same rule on the board, the event page and the API.
    client = _client("west_analyst")
    listed = client.get("/events/").content.decode()
    assert link(west.pk) in listed and link(east.pk) not in listed and link(county.pk) not in listed
    assert client.get(link(east.pk)).status_code == 404
    assert client.get(link(county.pk)).status_code == 404
    assert client.get(f"/api/events/{county.pk}").status_code == 404
    assert {e["id"] for e in client.get("/api/events").json()["items"]} == {west.pk}
    east_api = {e["id"] for e in _client("east_analyst").get("/api/events").json()["items"]}
    assert {east.pk, county.pk} <= east_api and west.pk not in east_api
    assert _client("east_analyst").get(link(county.pk)).status_code == 200


def test_a_merge_and_a_split_move_who_sees_the_event(stories: dict[str, Any]) -> None:
    from qingting.web.monitoring import services

    east, west = stories["east_event"], stories["west_event"]
    analyst = stories["office_analyst"]
    services.event_merge(actor=analyst, event=west, into=east)
    assert _places_stored() == _places_from_items()
    # West's posts are now in east's event: west sees that event.
    client = _client("west_analyst")
    assert client.get(f"/events/{east.pk}/").status_code == 200
    assert f"/events/{east.pk}/" in _dashboard_events("west_analyst")
    # West's old address leads its analyst to the story, though west's own event has no item left.
    response = client.get(f"/events/{west.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/events/{east.pk}/"
    response = client.get(f"/api/events/{west.pk}")
    assert response.status_code == 302 and response["Location"] == f"/api/events/{east.pk}"

    west_items = list(Item.objects.filter(source=stories["west_source"]).values_list("pk", flat=True))
    new = services.event_split(actor=analyst, event=Event.objects.get(pk=east.pk), item_ids=west_items)
    assert _places_stored() == _places_from_items()
    # Split back out: west sees the new event and no longer east's.
    assert client.get(f"/events/{east.pk}/").status_code == 404
    # The leak test: west's old address no longer leads to east's event, which west may not see.
    assert client.get(f"/events/{west.pk}/").status_code == 404
    assert client.get(f"/api/events/{west.pk}").status_code == 404
    assert client.get(f"/events/{new.pk}/").status_code == 200
    board = _dashboard_events("west_analyst")
    assert f"/events/{new.pk}/" in board and f"/events/{east.pk}/" not in board
    assert f"/events/{new.pk}/" not in _dashboard_events("east_analyst")


def test_rebuild_recomputes_the_places(stories: dict[str, Any]) -> None:
    from qingting.web.monitoring import services

    expected = _places_from_items()
    EventPlace.objects.all().delete()
    assert _client("east_analyst").get(f"/events/{stories['east_event'].pk}/").status_code == 404
    assert services.event_places_rebuild() == len(expected)
    assert _places_stored() == expected
    assert _client("east_analyst").get(f"/events/{stories['east_event'].pk}/").status_code == 200
