"""Ingestion: idempotent, atomic, pseudonymous, continuing the same events after a restart."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.db import connection

from qingting.web.audit.models import AuditEntry
from qingting.web.monitoring import services
from qingting.web.monitoring.membership import organisation_id
from qingting.web.monitoring.models import Event, Item, PipelineState
from qingting.web.monitoring.services import engine

from .conftest import stream


@pytest.fixture
def setup(org: dict[str, Any], engine: str) -> tuple[Any, Any]:
    source = services.source_create(actor=None, unit=org["east"], name="论坛")
    scheme = services.scheme_create(actor=None, unit=org["east"], name="供水", sources=[source])
    return scheme, source


def test_same_batch_twice_stores_nothing_new(setup: tuple[Any, Any]) -> None:
    scheme, source = setup
    batch = stream("a", 5)
    first = services.ingest_items(scheme=scheme, source=source, records=batch)
    assert (first.created, first.skipped) == (5, 0)
    events_before = list(Event.objects.values_list("engine_event_id", "item_count"))
    second = services.ingest_items(scheme=scheme, source=source, records=batch)
    assert (second.created, second.skipped) == (0, 5)
    assert Item.objects.count() == 5
    assert list(Event.objects.values_list("engine_event_id", "item_count")) == events_before
    # Repeats inside one batch are skipped too.
    third = services.ingest_items(scheme=scheme, source=source, records=[*stream("b", 2), *stream("b", 2)])
    assert (third.created, third.skipped) == (2, 2)


def test_items_get_events_sentiment_and_pseudonyms(setup: tuple[Any, Any]) -> None:
    scheme, source = setup
    services.ingest_items(scheme=scheme, source=source, records=stream("a", 4))
    items = list(Item.objects.all())
    assert all(i.event_id is not None and i.sentiment_label for i in items)
    assert Event.objects.filter(organisation_id=organisation_id(scheme.unit)).exists()
    # The handle never reaches the database, only its keyed hash.
    assert {i.author_pseudonym for i in items} == {services.author_pseudonym(f"user{k}") for k in range(3)}
    with connection.cursor() as c:
        c.execute("SELECT COUNT(*) FROM monitoring_item WHERE author_pseudonym LIKE 'user%%'")
        assert c.fetchone()[0] == 0
    assert services.author_pseudonym("user0") != "user0" and len(services.author_pseudonym("user0")) == 32


def test_invalid_records_are_reported_not_stored(setup: tuple[Any, Any]) -> None:
    scheme, source = setup
    result = services.ingest_items(
        scheme=scheme,
        source=source,
        records=[
            {"text": "没有编号"},
            {"id": "1", "text": ""},
            {"id": "2", "text": "时间不对", "time": "yesterday"},
            {"id": "3", "text": "链接不对", "url": "javascript:alert(1)"},
            {"id": "4", "text": "正常的一条"},
        ],
    )
    assert result.created == 1
    assert [(e.record, e.field) for e in result.errors] == [
        ("record 1", "external_id"),
        ("1", "text"),
        ("2", "published_at"),
        ("3", "url"),
    ]


def test_crash_mid_batch_loses_nothing_and_retry_stores_all(setup: tuple[Any, Any]) -> None:
    scheme, source = setup
    services.ingest_items(scheme=scheme, source=source, records=stream("a", 3))
    state = PipelineState.objects.get(organisation_id=organisation_id(scheme.unit))
    version, snapshot = state.version, bytes(state.snapshot)
    # The process "dies" after the items were inserted, before the snapshot is saved.
    with (
        mock.patch.object(engine, "_index", side_effect=RuntimeError("killed")),
        pytest.raises(RuntimeError, match="killed"),
    ):
        services.ingest_items(scheme=scheme, source=source, records=stream("b", 4))
    assert Item.objects.count() == 3
    state.refresh_from_db()
    assert (state.version, bytes(state.snapshot)) == (version, snapshot)
    result = services.ingest_items(scheme=scheme, source=source, records=stream("b", 4))
    assert result.created == 4 and Item.objects.count() == 7


def test_restart_continues_the_same_events(setup: tuple[Any, Any]) -> None:
    scheme, source = setup
    services.ingest_items(scheme=scheme, source=source, records=stream("a", 4))
    event_ids = set(Item.objects.values_list("event_id", flat=True))
    services.pipeline_cache.clear()  # a new process: only the persisted snapshot remains
    services.ingest_items(scheme=scheme, source=source, records=stream("b", 4, start=1_767_225_600.0 + 600))
    later = set(Item.objects.filter(external_id__startswith="b-").values_list("event_id", flat=True))
    assert later <= event_ids  # the same story joins the same event, not a new one
    assert Event.objects.count() == len(event_ids)
    assert PipelineState.objects.get().items_ingested == 8


def test_exact_repeats_point_to_the_original(setup: tuple[Any, Any]) -> None:
    scheme, source = setup
    records = [
        {"id": "x1", "text": "柳湾镇全镇停水了，什么时候恢复？", "time": 1_767_225_600},
        {"id": "x2", "text": "柳湾镇全镇停水了，什么时候恢复？", "time": 1_767_225_660},
    ]
    services.ingest_items(scheme=scheme, source=source, records=records)
    copy = Item.objects.get(external_id="x2")
    assert copy.duplicate_of is not None and copy.duplicate_of.external_id == "x1"
    assert copy.duplicate_kind


def test_ingestion_is_audited(setup: tuple[Any, Any]) -> None:
    scheme, source = setup
    services.ingest_items(scheme=scheme, source=source, records=stream("a", 2))
    entry = AuditEntry.objects.filter(action="ingest.batch").latest("id")
    assert entry.new == {"schemes": [scheme.pk], "created": 2, "skipped": 0, "errors": 0}


def test_with_the_real_engine(org: dict[str, Any]) -> None:
    """The real core pipeline through the web layer: one story becomes one event, repeats collapse."""
    pytest.importorskip("qingting.core.pipeline")
    services.pipeline_cache.clear()
    source = services.source_create(actor=None, unit=org["east"], name="微博")
    scheme = services.scheme_create(actor=None, unit=org["east"], name="供水", sources=[source])
    texts = [
        "柳湾镇今天全镇停水，什么时候恢复供水？",
        "柳湾镇今天全镇停水，什么时候恢复供水？",
        "柳湾镇停水一整天了，水务局能不能给个说法",
        "柳湾镇还是没有水，小区里老人孩子怎么办",
    ]
    records = [{"id": f"r{i}", "text": t, "time": 1_767_225_600 + 300 * i} for i, t in enumerate(texts)]
    result = services.ingest_items(scheme=scheme, source=source, records=records)
    assert result.created == 4 and not result.errors
    copy = Item.objects.get(external_id="r1")
    assert copy.duplicate_of is not None and copy.duplicate_of.external_id == "r0"
    event = Event.objects.get(pk=Item.objects.get(external_id="r0").event_id)
    assert event.item_count >= 2 and event.title
    services.pipeline_cache.clear()
    more = services.ingest_items(
        scheme=scheme,
        source=source,
        records=[{"id": "r9", "text": "柳湾镇今天全镇停水，什么时候恢复供水？", "time": 1_767_227_000}],
    )
    assert more.created == 1
    assert Item.objects.get(external_id="r9").event_id == event.pk  # restored engine, same event


def test_batch_ingested_is_sent_after_commit_with_the_touched_events(
    setup: tuple[Any, Any], django_capture_on_commit_callbacks: Any
) -> None:
    from qingting.web.monitoring.signals import batch_ingested

    scheme, source = setup
    seen: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        seen.append({k: kwargs[k] for k in ("organisation_id", "scheme_events", "event_ids", "item_ids")})

    batch_ingested.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            result = services.ingest_items(scheme=scheme, source=source, records=stream("s", 4))
        assert seen == []  # not before the commit
        for callback in callbacks:
            callback()
        with django_capture_on_commit_callbacks(execute=True):
            services.ingest_items(scheme=scheme, source=source, records=stream("s", 4))  # nothing new: no signal
    finally:
        batch_ingested.disconnect(receiver)
    assert len(seen) == 1
    assert seen[0]["organisation_id"] == organisation_id(scheme.unit)
    # The scheme matches every item of its source: it is told about every event the batch touched.
    assert set(seen[0]["scheme_events"][scheme.pk]) == set(seen[0]["event_ids"])
    assert sorted(seen[0]["item_ids"]) == sorted(result.item_ids)
    assert set(seen[0]["event_ids"]) == set(Item.objects.filter(pk__in=result.item_ids).values_list("event", flat=True))


def test_between_checkpoints_a_restart_replays_to_the_same_engine(
    setup: tuple[Any, Any], django_capture_on_commit_callbacks: Any
) -> None:
    """Checkpoints are written every few thousand items, not every batch: a restart restores the
    last one and replays the batches placed since, giving back exactly the engine that was lost."""
    scheme, source = setup
    for k, prefix in enumerate(("a", "b", "c")):
        with django_capture_on_commit_callbacks(execute=True):  # as committed: the engine stays warm
            services.ingest_items(
                scheme=scheme, source=source, records=stream(prefix, 5, start=1_767_225_600.0 + 600 * k)
            )
    state = PipelineState.objects.get()
    assert [len(batch) for batch in state.replay] == [5, 5]  # checkpoint after the first batch only
    warm, was_warm = services.pipeline_cache.get(state)
    assert was_warm
    services.pipeline_cache.clear()  # the process dies between checkpoints
    restored = engine._restore(state)
    assert restored.snapshot() == warm.snapshot()  # nothing lost, nothing counted twice
    # The next batch runs on the restored engine and writes a checkpoint (it was cold).
    services.ingest_items(scheme=scheme, source=source, records=stream("d", 5, start=1_767_225_600.0 + 1800))
    state.refresh_from_db()
    assert state.replay == [] and state.items_ingested == 20
    assert not Item.objects.filter(pending=True).exists()


def test_an_unreadable_checkpoint_rebuilds_instead_of_crashing(setup: tuple[Any, Any]) -> None:
    scheme, source = setup
    services.ingest_items(scheme=scheme, source=source, records=stream("a", 3))
    PipelineState.objects.update(snapshot=b"\x80\x04an old pickled snapshot")  # an older format
    services.pipeline_cache.clear()
    result = services.ingest_items(scheme=scheme, source=source, records=stream("b", 3))
    assert result.created == 3 and not Item.objects.filter(pending=True).exists()
