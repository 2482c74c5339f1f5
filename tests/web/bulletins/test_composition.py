"""Composition figures cross-checked with direct queries on the seeded data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from django.db.models import Count, Max, Min

from qingting.web.bulletins import composition, services
from qingting.web.monitoring.models import Item

pytestmark = pytest.mark.django_db


def test_figures_match_direct_queries(world: dict[str, Any]) -> None:
    w = world
    from qingting.web.monitoring import services as monitoring

    # Duplicates and a second source in the east, so collapsing and spread have something to show.
    extra = monitoring.source_create(actor=None, unit=w["east"], name="east-微博", kind="social")
    w["east_scheme"].sources.add(extra)
    monitoring.ingest_items(
        scheme=w["east_scheme"],
        source=extra,
        records=[
            {"id": f"d{i}", "text": "柳湾镇停水，什么时候恢复供水（第1条）", "time": 1_767_226_200 + i, "author": "dup"}
            for i in range(4)
        ],
    )
    events = list(w["east_scheme"].events.all())
    f = composition.compose(events)
    items = Item.objects.filter(event__in=events)
    assert f["total_items"] == items.count() > 0
    labels = dict(items.values_list("sentiment_label").annotate(n=Count("id")).values_list("sentiment_label", "n"))
    for key in ("positive", "neutral", "negative"):
        assert f["sentiment"][key] == labels.get(key, 0)
    assert sum(f["sentiment"].values()) == f["total_items"]
    by_source = dict(items.values_list("source__name").annotate(n=Count("id")).values_list("source__name", "n"))
    assert dict(map(tuple, f["sources"])) == by_source
    assert sum(n for _, n in f["source_kinds"]) == f["total_items"] and len(f["source_kinds"]) == 2
    bounds = items.aggregate(first=Min("published_at"), last=Max("published_at"))
    assert datetime.fromisoformat(f["first_seen"]) <= bounds["first"]
    assert datetime.fromisoformat(f["last_seen"]) >= bounds["last"]
    assert datetime.fromisoformat(f["timeline"][0][0]) == bounds["first"]
    assert sum(n for _, n in f["volume"]) == sum(n for e in events for _, n in e.buckets) or not all(
        e.buckets for e in events
    )
    for post in f["posts"]:
        item = Item.objects.get(pk=post["item_id"])
        assert item.duplicate_of_id is None and post["copies"] == Item.objects.filter(duplicate_of=item).count()
        assert post["author"] == (item.author_pseudonym[:8] or "匿名") and "user" not in post["author"]
    assert any(p["copies"] for p in f["posts"])  # the four copies collapse into one post
    assert f["heat"] == round(max(e.heat for e in events), 1)


def test_frozen_at_submission(world: dict[str, Any]) -> None:
    w = world
    b = services.bulletin_create(actor=w["east_analyst"], unit=w["east"], events=w["east_events"])
    b = services.bulletin_submit(actor=w["east_analyst"], bulletin_id=b.pk, to_user=w["east_leader"])
    frozen = b.figures["total_items"]
    from qingting.web.monitoring import services as monitoring

    monitoring.ingest_items(
        scheme=w["east_scheme"],
        source=w["east_source"],
        records=[{"id": "late", "text": "柳湾镇停水还没恢复", "time": 1_767_226_100}],
    )
    b.refresh_from_db()
    assert services.bulletin_live_figures(b)["total_items"] == frozen  # the submitted text does not move
    doc = services.bulletin_document(b)
    assert any(str(frozen) in getattr(block, "text", "") for block in doc.body)


def test_two_events_in_one_bulletin(world: dict[str, Any]) -> None:
    w = world
    events = w["east_events"][:1] + w["west_events"][:1]
    b = services.bulletin_create(actor=w["office_analyst"], unit=w["office"], events=events)
    assert "等2起事件" in b.title
    f = services.bulletin_live_figures(b)
    assert f["total_items"] == Item.objects.filter(event__in=events).count()
    assert {e["id"] for e in f["events"]} == {e.pk for e in events}
