"""An event's sentiment figures follow its stored items' current labels (decision 0131): the
engine's label, an analyst's correction, a re-score after a retrained model — through the next
engine batch, a merge and a split, and over the subset of items a township user may see."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from qingting.web.monitoring import selectors as monitoring_selectors
from qingting.web.monitoring import services as monitoring
from qingting.web.monitoring.models import Event, EventPlace, Item
from qingting.web.sentiment import services
from qingting.web.sentiment.models import RescoreJob, VersionStatus

from ..conftest import PASSWORD
from .helpers import house_word_posts, office_admin

pytestmark = pytest.mark.django_db


def _from_items(event_id: int, items: Any = None) -> tuple[int, float, float]:
    """(items, negative share, mean positivity) of the event's items as labelled now."""
    rows = list((items if items is not None else Item.objects).filter(event_id=event_id).values_list(
        "sentiment_label", "sentiment"
    ))  # fmt: skip
    n = len(rows)
    if not n:
        return 0, 0.0, 0.5
    neg = sum(label == "negative" for label, _ in rows)
    return n, neg / n, sum(0.5 if s is None else s for _, s in rows) / n


def _assert_follows(event: Event | int) -> Event:
    stored = Event.objects.get(pk=getattr(event, "pk", event))
    n, share, mood = _from_items(stored.pk)
    assert n, "the event has no items"
    assert stored.negative_share == pytest.approx(share, abs=1e-9)
    assert stored.sentiment == pytest.approx(mood, abs=1e-9)
    return stored


def _assert_all_follow() -> None:
    ids = set(Item.objects.exclude(event=None).values_list("event_id", flat=True))
    assert ids
    for pk in ids:
        _assert_follows(pk)
    # the places (who sees an event, and its counts) equal a recount from the items
    stored = {
        (p.event_id, p.source_id, p.region): (p.n, p.negative, round(p.positivity, 6))
        for p in EventPlace.objects.filter(n__gt=0)
    }
    recount: dict[tuple[int, int, str], list[Any]] = {}
    for event_id, source_id, region, label, score in Item.objects.exclude(event=None).values_list(
        "event_id", "source_id", "region", "sentiment_label", "sentiment"
    ):
        row = recount.setdefault((event_id, source_id, region), [0, 0, 0.0])
        row[0] += 1
        row[1] += int(label == "negative")
        row[2] += 0.5 if score is None else score
    assert stored == {k: (n, neg, round(pos, 6)) for k, (n, neg, pos) in recount.items()}


def _flip(label: str) -> str:
    return "neutral" if label == "negative" else "negative"


def _east_event(monitored: dict[str, Any]) -> Event:
    ids = set(
        Item.objects.filter(source=monitored["east_source"], text__contains="柳湾镇停水").values_list(
            "event", flat=True
        )
    )
    assert len(ids) == 1
    return Event.objects.get(pk=ids.pop())


def _one_more(monitored: dict[str, Any], external_id: str, text: str, time: float) -> Item:
    """One record into east's source through storing and the organisation's engine."""
    monitoring.ingest_items(
        scheme=monitored["east_scheme"],
        source=monitored["east_source"],
        records=[{"id": external_id, "text": text, "time": time, "region": "柳湾镇"}],
    )
    return Item.objects.get(external_id=external_id)


def test_a_correction_moves_its_events_negative_share_and_the_next_batch_keeps_it(
    monitored: dict[str, Any],
) -> None:
    from qingting.web.warnings.services import event_summary

    event = _assert_follows(_east_event(monitored))
    items = list(Item.objects.filter(event=event).order_by("pk"))
    n = len(items)
    target = items[0]
    before = event.negative_share
    services.correct(monitored["east_analyst"], target.pk, _flip(target.sentiment_label))
    event = _assert_follows(event)
    step = 1 / n if target.sentiment_label != "negative" else -1 / n
    assert event.negative_share == pytest.approx(before + step)
    # every reader gets the same figure: warnings, the board's label, the event page, the API
    assert event_summary(event).negative_share == event.negative_share
    label = "negative" if event.negative_share >= 0.5 else event.sentiment_label
    assert event.sentiment_label == label
    office = Client()
    assert office.login(username="office_leader", password=PASSWORD)
    api = office.get(f"/api/events/{event.pk}").json()
    assert api["negative_share"] == pytest.approx(event.negative_share)
    listed = {e["id"]: e for e in office.get("/api/events").json()["items"]}
    assert listed[event.pk]["negative_share"] == pytest.approx(event.negative_share)
    board = office.get("/events/", {"sentiment": str(event.sentiment_label)}).content.decode()
    assert f"/events/{event.pk}/" in board

    # The engine places one more post in the event: its sums never saw the correction, and the
    # figures must still be the items'.
    last = max(i.published_at for i in items).timestamp()
    new = _one_more(monitored, "e-more", "柳湾镇停水，什么时候恢复供水（第99条）", last + 60)
    assert new.event_id == event.pk
    _assert_follows(event)
    _assert_all_follow()


def test_a_retrain_and_rescore_move_the_figures_and_the_next_engine_batch_keeps_them(
    monitored: dict[str, Any],
) -> None:
    """Corrections, a retrained model activated, its re-score, then one more item into an event
    the re-score changed: the engine still holds the old model's sums for that event."""
    admin = office_admin(monitored)
    org = monitored["office"]
    records = house_word_posts()
    monitoring.ingest_items(scheme=monitored["east_scheme"], source=monitored["east_source"], records=records)
    held = list(Item.objects.filter(external_id__startswith="h").order_by("pk"))
    for item in held[:60]:  # the analyst labels most of them; the rest are left to the model
        label = "negative" if int(item.external_id[1:]) % 2 else "positive"
        services.correct(monitored["east_analyst"], item.pk, label)
    _assert_all_follow()
    v = services.retrain(org, user=admin).version
    assert v is not None and v.data is not None
    if v.status != VersionStatus.ACTIVE:
        services.activate(admin, v)
    before = {i.pk: i.sentiment_label for i in Item.objects.filter(pk__in=[i.pk for i in held[60:]])}
    job = RescoreJob.objects.filter(organisation=org).order_by("-pk").first()
    assert job is not None
    for _ in range(100):
        job = services.rescore_step(job, batch=25)
        if job.status == RescoreJob.Status.DONE:
            break
    assert job.status == RescoreJob.Status.DONE
    _assert_all_follow()
    changed = [
        i for i in Item.objects.filter(pk__in=list(before)).order_by("pk")
        if i.sentiment_label != before[i.pk] and i.event_id is not None
    ]  # fmt: skip
    assert changed, "the retrained model changed no uncorrected item's label: nothing to test"
    x = changed[0]

    # A copy of the re-scored post joins its event through the engine, whose sums still count
    # the old model's labels of that event's items.
    last = Item.objects.order_by("-published_at").first()
    assert last is not None
    copy = _one_more(monitored, "h-copy", x.text, last.published_at.timestamp() + 60)
    assert copy.event_id == x.event_id
    _assert_follows(x.event_id)  # type: ignore[arg-type]
    _assert_all_follow()


def test_merge_and_split_keep_the_figures_with_corrections(monitored: dict[str, Any]) -> None:
    admin = office_admin(monitored)
    east = _east_event(monitored)
    west_ids = set(Item.objects.filter(source=monitored["west_source"]).values_list("event", flat=True))
    assert len(west_ids) == 1
    west = Event.objects.get(pk=west_ids.pop())
    for event, analyst in ((east, "east_analyst"), (west, "west_analyst")):
        item = Item.objects.filter(event=event).order_by("pk").first()
        assert item is not None
        services.correct(monitored[analyst], item.pk, _flip(item.sentiment_label))
    _assert_all_follow()
    survivor = monitoring.event_merge(actor=admin, event=west, into=east)
    _assert_follows(survivor)
    _assert_all_follow()
    west_items = list(Item.objects.filter(source=monitored["west_source"]).values_list("pk", flat=True))
    new = monitoring.event_split(actor=admin, event=Event.objects.get(pk=east.pk), item_ids=west_items)
    _assert_follows(new)
    _assert_follows(east)
    _assert_all_follow()
    # and a correction after the split moves the split-off event
    moved = Item.objects.filter(event=new).order_by("pk").last()
    assert moved is not None
    services.correct(monitored["west_analyst"], moved.pk, _flip(moved.sentiment_label))
    _assert_all_follow()


def test_a_township_reads_the_figures_of_the_items_it_may_see(monitored: dict[str, Any]) -> None:
    """West's story merged into east's: the east analyst sees only east's posts of it; the figures
    on the page are over those, and move with a correction of one of them."""
    admin = office_admin(monitored)
    east = _east_event(monitored)
    west = Event.objects.get(pk=Item.objects.filter(source=monitored["west_source"]).values("event")[:1])
    monitoring.event_merge(actor=admin, event=west, into=east)
    mine = Item.objects.filter(source=monitored["east_source"])

    def check() -> monitoring_selectors.EventView:
        view = monitoring_selectors.event_view(monitored["east_analyst"], east)
        n, share, mood = _from_items(east.pk, mine)
        assert view.subset and view.items == n and view.total == _from_items(east.pk)[0]
        assert view.negative_share == pytest.approx(share) and view.sentiment == pytest.approx(mood)
        assert view.sources == 1
        return view

    before = check()
    item = mine.filter(event=east).order_by("pk").first()
    assert item is not None
    services.correct(monitored["east_analyst"], item.pk, _flip(item.sentiment_label))
    after = check()
    assert after.negative_share != before.negative_share
    # the whole organisation sees every item's figures: the event's own
    stored = _assert_follows(east)
    whole = monitoring_selectors.event_view(monitored["office_leader"], stored)
    assert not whole.subset
    assert whole.negative_share == stored.negative_share
    page = Client()
    assert page.login(username="east_analyst", password=PASSWORD)
    assert page.get(f"/events/{east.pk}/").status_code == 200
