"""Schemes as saved views over one engine per organisation (decision 0061), end to end.

Three schemes over the same and over overlapping sources: each raises its own warning on the ONE
event of the story and counts its own items, through warnings, bulletins, reports and the API.
A new or edited scheme is applied to stored items (backfill); a township analyst sees the county
story about the township; items follow merges and merged-away events redirect.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, TestCase

from qingting.web.accounts import services as accounts
from qingting.web.accounts.models import Role
from qingting.web.monitoring import membership, selectors
from qingting.web.monitoring import services as monitoring
from qingting.web.monitoring.models import Event, Item, SchemeEvent, SchemeItem, SourceKind
from qingting.web.monitoring.services.events import _follow_merges
from qingting.web.warnings import services as warnings
from qingting.web.warnings.models import Notification, Warning

from .conftest import PASSWORD

START = 1_767_225_600.0  # 2026-01-01 00:00 UTC
RULES = [{"tier": 4, "min_window_items": 5}, {"tier": 3, "min_window_items": 40}]


def _posts(prefix: str, n: int, text: str, *, start: float = START, region: str = "") -> list[dict[str, Any]]:
    return [
        {"id": f"{prefix}-{i}", "text": f"{text}（{prefix}第{i}条）", "time": start + 20 * i, "region": region}
        for i in range(n)
    ]


def _ingest(source: Any, records: list[dict[str, Any]]) -> Any:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return monitoring.ingest_items(source=source, records=records)


@pytest.fixture
def three(org: dict[str, Any], engine: str) -> dict[str, Any]:
    """East and west forums; "供水" and "全部" (east) follow the east forum, "全县停水" (office)
    follows both: the same and overlapping sources."""
    admin = accounts.user_create(actor=None, username="office_admin", password=PASSWORD)
    accounts.membership_grant(actor=None, user=admin, unit=org["office"], role=Role.ADMIN)
    east_src = monitoring.source_create(actor=None, unit=org["east"], name="东论坛", kind=SourceKind.FORUM)
    west_src = monitoring.source_create(actor=None, unit=org["west"], name="西论坛", kind=SourceKind.FORUM)
    water = monitoring.scheme_create(
        actor=None, unit=org["east"], name="供水", expression="停水 OR 断水", sources=[east_src]
    )
    everything = monitoring.scheme_create(actor=None, unit=org["east"], name="全部", sources=[east_src])
    county = monitoring.scheme_create(
        actor=None, unit=org["office"], name="全县停水", expression="停水", sources=[east_src, west_src]
    )
    for scheme in (water, everything, county):
        warnings.rules_set(actor=admin, scheme=scheme, rules=RULES)
        membership.scheme_backfill(scheme=scheme)  # nothing stored yet: done at once
    out = {**org, "admin": admin, "east_src": east_src, "west_src": west_src}
    return {**out, "water": water, "everything": everything, "county": county}


def _story(three: dict[str, Any]) -> Event:
    _ingest(three["east_src"], _posts("e", 10, "柳湾镇停水，什么时候恢复供水"))
    _ingest(three["west_src"], _posts("w", 6, "柳湾镇停水，什么时候恢复供水", start=START + 5))
    _ingest(three["east_src"], _posts("l", 3, "荷塘乡荷花节开幕，游客很多", start=START + 30))
    event = Event.objects.get(pk=Item.objects.get(external_id="e-0").event_id)
    assert set(Item.objects.filter(external_id__startswith=("w-")).values_list("event_id", flat=True)) == {event.pk}
    return event


def test_three_schemes_each_warn_and_count_their_items_on_one_event(three: dict[str, Any]) -> None:
    event = _story(three)
    # One event for the story, matched by all three schemes with their own counts.
    matched = dict(SchemeEvent.objects.filter(event=event).values_list("scheme__name", "matched"))
    assert matched == {"供水": 10, "全部": 10, "全县停水": 16}
    # Each scheme raised its own warning on that event, counting its own items.
    raised = {w.scheme.name: w for w in Warning.objects.filter(event=event)}
    assert set(raised) == {"供水", "全部", "全县停水"}
    assert raised["供水"].engine_state["item_count"] == 10  # raised on the first batch, as were the others
    county = SchemeEvent.objects.get(scheme=three["county"], event=event)
    assert warnings.event_summary(event, match=county).item_count == 16  # what its rules now see
    assert not any(w.backfill for w in raised.values())
    # The lotus posts match only the scheme without an expression.
    lotus = Item.objects.get(external_id="l-0")
    assert set(SchemeItem.objects.filter(item=lotus).values_list("scheme__name", flat=True)) == {"全部"}


def test_bulletins_reports_and_the_api_read_the_same_memberships(three: dict[str, Any]) -> None:
    from qingting.web.bulletins.composition import compose
    from qingting.web.reporting.figures import period_figures

    event = _story(three)
    figures = compose([event])
    assert figures["total_items"] == 16 == Item.objects.filter(event=event).count()
    assert set(figures["events"][0]["scheme"].split("、")) == {"供水", "全部", "全县停水"}
    # The office's report lists the story once, with all its items; the east's with its own.
    office = period_figures(three["office"], "2026-01")
    assert [e.items for e in office.top_events if e.title == event.title] == [16]
    east = period_figures(three["east"], "2026-01")
    assert [e.items for e in east.top_events if e.title == event.title] == [10]
    # The API: the board per scheme, the items per scheme, the schemes per event.
    client = Client()
    assert client.login(username="office_leader", password=PASSWORD)
    for scheme, n in ((three["water"], 10), (three["everything"], 13), (three["county"], 16)):
        assert event.pk in {e["id"] for e in client.get("/api/events", {"scheme": scheme.pk}).json()["items"]}
        assert client.get("/api/items", {"scheme": scheme.pk, "limit": 1}).json()["count"] == n
    got = client.get(f"/api/events/{event.pk}").json()
    assert set(got["scheme_ids"]) == {three["water"].pk, three["everything"].pk, three["county"].pk}
    assert got["visible_item_count"] == 16
    # The board shows the story once, not once per scheme.
    titles = [e["title"] for e in client.get("/api/events", {"limit": 100}).json()["items"]]
    assert titles.count(event.title) == 1


def test_a_new_scheme_is_applied_to_stored_items_and_its_warnings_are_history(three: dict[str, Any]) -> None:
    event = _story(three)
    Notification.objects.all().delete()
    late = monitoring.scheme_create(
        actor=None, unit=three["office"], name="后来的方案", expression="恢复供水", sources=[three["west_src"]]
    )
    warnings.rules_set(actor=three["admin"], scheme=late, rules=RULES)
    late.refresh_from_db()
    assert late.backfill_status == "queued"
    # The scheme page shows the progress while the background job works through stored items.
    client = Client()
    assert client.login(username="office_admin", password=PASSWORD)
    assert "queued" in client.get(f"/api/schemes/{late.pk}").json()["backfill"]["status"]
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert not membership.scheme_backfill_step(late.pk, budget=4)  # one step of the job
    late.refresh_from_db()
    assert (late.backfill_status, late.backfill_done, late.backfill_total) == ("running", 4, 6)
    page = client.get(f"/warnings/schemes/{late.pk}/")
    assert page.status_code == 200 and "4 / 6" in page.content.decode()
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert membership.scheme_backfill_run() == 1  # the periodic job finishes it
    late.refresh_from_db()
    assert late.backfill_status == "" and late.backfill_done == 6
    assert SchemeEvent.objects.get(scheme=late, event=event).matched == 6
    # Its warning is raised, marked as a backfill, and not pushed as new.
    [w] = Warning.objects.filter(scheme=late)
    assert w.backfill and w.event_id == event.pk
    assert not Notification.objects.filter(warning=w).exists()


def test_editing_a_scheme_re_applies_it(three: dict[str, Any]) -> None:
    _story(three)
    water = three["water"]
    monitoring.scheme_update(actor=None, scheme=water, expression="荷花节")
    membership.scheme_backfill(scheme=water)
    assert set(SchemeItem.objects.filter(scheme=water).values_list("item__external_id", flat=True)) == {
        "l-0",
        "l-1",
        "l-2",
    }
    # Adding a source re-applies it too (over the new source's stored items).
    water.sources.add(three["west_src"])
    water.refresh_from_db()
    assert water.backfill_status == "queued"


def test_a_township_analyst_sees_the_county_story_about_the_township(three: dict[str, Any]) -> None:
    """The county's source carries a story about 东街道: the township's analyst sees the event
    (pages and API) with figures over what they may see; the west analyst sees none of it."""
    county_src = monitoring.source_create(actor=None, unit=three["office"], name="县新闻", kind=SourceKind.NEWS)
    _ingest(county_src, _posts("c", 8, "东街道停水，什么时候恢复供水", region="东街道"))
    _ingest(county_src, _posts("x", 4, "东街道停水，什么时候恢复供水", start=START + 7))  # no region: not theirs
    event = Event.objects.get(pk=Item.objects.get(external_id="c-0").event_id)
    east = Client()
    assert east.login(username="east_analyst", password=PASSWORD)
    page = east.get(f"/events/{event.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="subset-note"' in body and "8" in body
    assert event.pk in {e["id"] for e in east.get("/api/events").json()["items"]}
    assert east.get(f"/api/events/{event.pk}").json()["visible_item_count"] == 8
    assert east.get("/api/items", {"event": event.pk}).json()["count"] == 8
    found = east.get("/search/", {"q": "停水"})
    assert found.status_code == 200 and f"/events/{event.pk}/" in found.content.decode()
    assert east.get("/api/items", {"q": "停水"}).json()["count"] == 8
    # Leak test: the west township's analyst sees nothing of it.
    west = Client()
    assert west.login(username="west_analyst", password=PASSWORD)
    assert west.get(f"/events/{event.pk}/").status_code == 404
    assert west.get(f"/api/events/{event.pk}").status_code == 404
    assert west.get("/api/items", {"event": event.pk}).json()["count"] == 0
    assert west.get("/api/items", {"q": "停水"}).json()["count"] == 0
    assert event.pk not in {e["id"] for e in west.get("/api/events").json()["items"]}
    # The county's leader sees all of it, without the note.
    leader = Client()
    assert leader.login(username="office_leader", password=PASSWORD)
    assert 'id="subset-note"' not in leader.get(f"/events/{event.pk}/").content.decode()


@pytest.mark.parametrize("order", ["a-first", "b-first"])
def test_merges_of_one_batch_chained_end_on_the_last_survivor(three: dict[str, Any], order: str) -> None:
    """The engine reports A merged into B and B into C in one batch: A's and B's items end on C,
    and both point at C, in whichever order the merges come."""
    _story(three)
    _ingest(three["east_src"], _posts("r", 3, "城关镇道路施工，噪音扰民", start=START + 60))
    a, b, c = (Event.objects.get(pk=Item.objects.get(external_id=f"{p}-0").event_id) for p in "lre")
    assert len({a.pk, b.pk, c.pk}) == 3
    merges = {a.pk: b.pk, b.pk: c.pk} if order == "a-first" else {b.pk: c.pk, a.pk: b.pk}
    _follow_merges(merges)
    assert set(Item.objects.filter(external_id__regex=r"^[lre]-").values_list("event_id", flat=True)) == {c.pk}
    assert dict(Event.objects.filter(pk__in=[a.pk, b.pk]).values_list("pk", "merged_into_id")) == {
        a.pk: c.pk,
        b.pk: c.pk,
    }


def test_items_follow_a_merge_and_the_old_address_redirects(three: dict[str, Any]) -> None:
    _story(three)
    water_event = Event.objects.get(pk=Item.objects.get(external_id="e-0").event_id)
    lotus_event = Event.objects.get(pk=Item.objects.get(external_id="l-0").event_id)
    assert water_event.pk != lotus_event.pk
    _follow_merges({lotus_event.pk: water_event.pk})  # as the engine reports a merge
    membership.scheme_events_refresh([lotus_event.pk, water_event.pk])
    assert not Item.objects.filter(event=lotus_event).exists()
    assert SchemeEvent.objects.get(scheme=three["everything"], event=water_event).matched == 13
    assert not SchemeEvent.objects.filter(event=lotus_event).exists()
    client = Client()
    assert client.login(username="office_leader", password=PASSWORD)
    response = client.get(f"/events/{lotus_event.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/events/{water_event.pk}/"
    api = client.get(f"/api/events/{lotus_event.pk}")
    assert api.status_code == 302 and api["Location"] == f"/api/events/{water_event.pk}"
    board = selectors.event_board(three["office_leader"], selectors.EventFilters())
    assert lotus_event not in list(board)


def test_the_engine_keeps_an_analysts_split(three: dict[str, Any]) -> None:
    """An analyst splits a second story out of an event: later posts of it land in the new event."""
    from qingting.web.audit.models import AuditEntry

    water = [
        {"id": f"w-{i}", "text": f"柳湾镇停水了，什么时候恢复供水？第{i}天", "time": START + 60 * i} for i in range(6)
    ]
    truck = [
        {"id": f"t-{i}", "text": f"柳湾镇停水了，什么时候恢复？送水车到了南街 {i}号", "time": START + 600 + 60 * i}
        for i in range(4)
    ]
    _ingest(three["east_src"], water + truck)
    event = Event.objects.get(pk=Item.objects.get(external_id="w-0").event_id)
    assert set(Item.objects.filter(external_id__startswith="t-").values_list("event_id", flat=True)) == {event.pk}
    moved = list(Item.objects.filter(external_id__startswith="t-").values_list("pk", flat=True))
    new = monitoring.event_split(actor=three["admin"], event=event, item_ids=moved, title="南街送水车")
    assert new.engine_event_id >= 0  # the engine's own event now, not an analyst's (negative) one
    entry = AuditEntry.objects.filter(action="event.split").latest("pk")
    assert entry.new["engine_event"] == new.engine_event_id
    _ingest(
        three["east_src"],
        [
            {"id": "t-8", "text": "南街的送水车今天又来了", "time": START + 1200},
            {"id": "w-9", "text": "柳湾镇停水了，什么时候恢复供水？第9天", "time": START + 1260},
        ],
    )
    assert Item.objects.get(external_id="t-8").event_id == new.pk
    assert Item.objects.get(external_id="w-9").event_id == event.pk
    assert Item.objects.filter(event=new).count() == 5


def test_the_engine_follows_an_analysts_merge(three: dict[str, Any]) -> None:
    """An analyst merges two events into one story: the engine merges them too, so the figures
    later batches write on the survivor count the items of both, and posts like either land in it."""
    water = [
        {"id": f"w-{i}", "text": f"柳湾镇停水了，什么时候恢复供水？第{i}天", "time": START + 60 * i} for i in range(6)
    ]
    lotus = [
        {"id": f"l-{i}", "text": f"荷塘乡荷花节开幕，门票免费，游客很多 {i}", "time": START + 30 + 60 * i}
        for i in range(5)
    ]
    _ingest(three["east_src"], water + lotus)
    into = Event.objects.get(pk=Item.objects.get(external_id="w-0").event_id)
    event = Event.objects.get(pk=Item.objects.get(external_id="l-0").event_id)
    assert event.pk != into.pk
    monitoring.event_merge(actor=three["admin"], event=event, into=into)
    _ingest(
        three["east_src"],
        [
            {"id": "w-9", "text": "柳湾镇停水了，什么时候恢复供水？第9天", "time": START + 1200},
            {"id": "l-9", "text": "荷塘乡荷花节开幕，门票免费，游客很多 9", "time": START + 1260},
        ],
    )
    into.refresh_from_db()
    event.refresh_from_db()
    assert set(Item.objects.filter(external_id__in=["w-9", "l-9"]).values_list("event_id", flat=True)) == {into.pk}
    assert into.item_count == Item.objects.filter(event=into).count() == 13
    assert event.merged_into_id == into.pk and event.retired and event.item_count == 0


def test_items_follow_the_engine_when_it_moves_a_storys_first_posts(three: dict[str, Any]) -> None:
    """The road works of the demo's seed 42 began with posts that joined everyday chatter (no
    road-works event yet); once the story has its event, the engine moves them there with their
    copies and replies (decision 0128), and the platform follows: items, counts, schemes' figures."""
    from qingting.demo import generate

    keep = ("id", "text", "title", "time", "parent", "engagement", "lang")
    records = [{k: r[k] for k in keep} for r in generate(seed=42)[:330]]
    for lo in range(0, len(records), 110):
        _ingest(three["east_src"], records[lo : lo + 110])
    first = Item.objects.get(external_id="demo-42-00016")  # 今天路过滨河路与青禾大道路口，一半车道被围起来了
    notice = Item.objects.get(external_id="demo-42-00126")  # 滨河路雨污分流改造工程近日开工…
    chatter = Item.objects.get(external_id="demo-42-00001").event
    assert first.event_id == notice.event_id != chatter.pk
    followers = ["demo-42-00066", "demo-42-00104", "demo-42-00109", "demo-42-00110", "demo-42-00188"]
    assert set(Item.objects.filter(external_id__in=followers).values_list("event_id", flat=True)) == {first.event_id}
    assert not Item.objects.filter(event=chatter, text__contains="滨河路").exists()
    road = Event.objects.get(pk=first.event_id)
    chatter.refresh_from_db()
    for event in (road, chatter):  # the engine's counts and the stored items agree
        assert event.item_count == Item.objects.filter(event=event).count()
        # and so do the sentiment figures, derived from the recounted places (decision 0131)
        labels = list(Item.objects.filter(event=event).values_list("sentiment_label", "sentiment"))
        assert event.negative_share == pytest.approx(sum(lab == "negative" for lab, _ in labels) / len(labels))
        assert event.sentiment == pytest.approx(sum(0.5 if s is None else s for _, s in labels) / len(labels))
    everything = SchemeEvent.objects.get(scheme=three["everything"], event=road)
    assert everything.matched == Item.objects.filter(event=road).count()
