"""Stored events get their places' sentiment counts and their figures from their items (decision
0131): the database is taken back to before the change, filled with an event whose figures are
the engine's sums (a correction the engine never saw), and migrated forward."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from .concurrency import allow_flush

BEFORE = [("monitoring", "0015_source_hours")]


@pytest.fixture
def flushable() -> Any:
    """A transactional test is emptied by TRUNCATE, which the append-only tables refuse on
    PostgreSQL: let the flush through for this session, as the concurrency tests do."""
    yield
    if connection.vendor == "postgresql":
        allow_flush()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS))
def test_places_count_sentiment_and_events_take_their_items_figures(flushable: Any) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Unit = old.get_model("accounts", "Unit")
    Source = old.get_model("monitoring", "Source")
    Event = old.get_model("monitoring", "Event")
    Item = old.get_model("monitoring", "Item")
    EventPlace = old.get_model("monitoring", "EventPlace")

    office = Unit.objects.create(code="o", name="县", kind="office")
    Unit.objects.filter(pk=office.pk).update(path=f"/{office.pk}/")
    forum = Source.objects.create(unit=office, name="论坛")
    news = Source.objects.create(unit=office, name="新闻")
    now = datetime(2026, 1, 1, tzinfo=UTC)
    # The engine counted 3 negative of 4 (0.75); an analyst has since corrected one to neutral.
    event = Event.objects.create(
        organisation=office, engine_event_id=1, title="停水", first_seen=now, last_seen=now, item_count=4,
        negative_share=0.75, sentiment=0.3,
    )  # fmt: skip
    empty = Event.objects.create(
        organisation=office, engine_event_id=2, title="并入", first_seen=now, last_seen=now, negative_share=0.4
    )
    rows = [
        (forum, "柳湾镇", "negative", 0.1),
        (forum, "柳湾镇", "negative", 0.2),
        (forum, "柳湾镇", "neutral", 0.5),  # the corrected one
        (news, "", "positive", 0.9),
    ]
    for k, (source, region, label, score) in enumerate(rows):
        Item.objects.create(
            source=source, external_id=str(k), text="柳湾镇停水", published_at=now, region=region, event=event,
            pending=False, sentiment_label=label, sentiment=score,
        )  # fmt: skip
    EventPlace.objects.create(event=event, source=forum, region="柳湾镇", n=3)
    EventPlace.objects.create(event=event, source=news, region="", n=1)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    from qingting.web.monitoring.models import Event as NewEvent
    from qingting.web.monitoring.models import EventPlace as NewPlace

    places = {(p.source_id, p.region): (p.n, p.negative, round(p.positivity, 6)) for p in NewPlace.objects.all()}
    assert places == {(forum.pk, "柳湾镇"): (3, 2, 0.8), (news.pk, ""): (1, 0, 0.9)}
    stored = NewEvent.objects.get(pk=event.pk)
    assert stored.negative_share == pytest.approx(0.5)  # 2 of 4 as labelled now, not the engine's 0.75
    assert stored.sentiment == pytest.approx(1.7 / 4)
    assert NewEvent.objects.get(pk=empty.pk).negative_share == pytest.approx(0.4)  # no items: kept
