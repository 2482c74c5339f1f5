"""What is derived from stored items besides events: the full-text index, the daily counts and
the events' places (who may see an event, decision 0109)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from qingting.web.monitoring import search
from qingting.web.monitoring.hours import hour_start, source_hours_since
from qingting.web.monitoring.models import DailyCount, EventPlace, Item, Source, SourceHour
from qingting.web.monitoring.services.bulk import _insert_rows

DailyKey = tuple[int, str, str, str]  # source id, ISO day (local time), sentiment label, region


def daily_key(item: Any, label: str | None = None) -> DailyKey:
    """The daily-count row ``item`` counts in (under ``label``, by default its own)."""
    day = timezone.localtime(item.published_at).date().isoformat()
    return (item.source_id, day, item.sentiment_label if label is None else label, item.region)


def daily_counts_add(deltas: Mapping[DailyKey, int]) -> None:
    """Add each delta to its daily count: an upsert for gains (works on SQLite and PostgreSQL);
    losses lower the count, never below 0, and a row that reaches 0 is removed. One statement per
    row touched, however many items share it."""
    for (source_id, day, label, region), n in sorted(deltas.items()):
        if n < 0:
            row = DailyCount.objects.filter(source_id=source_id, day=day, sentiment_label=label, region=region)
            row.update(n=Greatest(F("n") + n, Value(0)))
            row.filter(n__lte=0).delete()
    gained = [(*key, n) for key, n in sorted(deltas.items()) if n > 0]
    if not gained:
        return
    table = connection.ops.quote_name(DailyCount._meta.db_table)
    sql = (
        f"INSERT INTO {table} (source_id, day, sentiment_label, region, n) VALUES (%s, %s, %s, %s, %s) "
        f"ON CONFLICT (source_id, day, sentiment_label, region) DO UPDATE SET n = {table}.n + excluded.n"
    )
    with connection.cursor() as cursor:
        # In key order, so that concurrent engines take the rows' locks in the same order.
        cursor.executemany(sql, gained)


def _count_daily(items: Sequence[Any]) -> None:
    """Add the items to the dashboard's daily counts."""
    daily_counts_add(Counter(daily_key(item) for item in items))


def daily_counts_rebuild() -> int:
    """Recompute the daily counts from the items (after a bulk load that bypassed ingestion)."""
    with transaction.atomic():
        DailyCount.objects.all().delete()
        batch: list[Item] = []
        total = 0
        for item in Item.objects.only("source_id", "published_at", "sentiment_label", "region").iterator(
            chunk_size=5000
        ):
            batch.append(item)
            if len(batch) >= 5000:
                _count_daily(batch)
                total += len(batch)
                batch = []
        _count_daily(batch)
        return total + len(batch)


def event_places_add(items: Sequence[Any]) -> None:
    """Add items just placed in events to their events' places (``EventPlace``): one upsert per
    (event, source, region), in key order. Items without an event count nowhere. Call in the
    transaction that placed them; events whose items moved are recounted instead
    (:func:`event_places_refresh`)."""
    gained = Counter((i.event_id, i.source_id, i.region or "") for i in items if i.event_id is not None)
    if not gained:
        return
    table = connection.ops.quote_name(EventPlace._meta.db_table)
    sql = (
        f"INSERT INTO {table} (event_id, source_id, region, n) VALUES (%s, %s, %s, %s) "
        f"ON CONFLICT (event_id, source_id, region) DO UPDATE SET n = {table}.n + excluded.n"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(*key, n) for key, n in sorted(gained.items())])


_PLACES_FROM_ITEMS = (
    "INSERT INTO {table} (event_id, source_id, region, n) "
    "SELECT event_id, source_id, region, COUNT(*) FROM {items} WHERE {where} GROUP BY event_id, source_id, region"
)


def event_places_refresh(event_ids: Any) -> None:
    """Recount the places of ``event_ids`` from their items (after items moved between events)."""
    ids = sorted({int(pk) for pk in event_ids})
    table = connection.ops.quote_name(EventPlace._meta.db_table)
    items = connection.ops.quote_name(Item._meta.db_table)
    for i in range(0, len(ids), 500):
        part = ids[i : i + 500]
        EventPlace.objects.filter(event_id__in=part).delete()
        marks = ", ".join(["%s"] * len(part))
        with connection.cursor() as cursor:
            cursor.execute(_PLACES_FROM_ITEMS.format(table=table, items=items, where=f"event_id IN ({marks})"), part)


def event_places_rebuild() -> int:
    """Recompute every event's places from the items (after a bulk load that bypassed the engine);
    returns the rows written."""
    table = connection.ops.quote_name(EventPlace._meta.db_table)
    items = connection.ops.quote_name(Item._meta.db_table)
    with transaction.atomic():
        EventPlace.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute(_PLACES_FROM_ITEMS.format(table=table, items=items, where="event_id IS NOT NULL"))
    return EventPlace.objects.count()


def source_hours_add(items: Sequence[Any], now: datetime) -> None:
    """Count items just stored in their (source, hour) rows; rows older than the kept hours
    (``hours.SOURCE_HOURS_KEPT``) of the sources touched are removed. Call in the transaction that
    stored them. Items published before the kept hours count nowhere (nothing reads those hours)."""
    since = source_hours_since(now)
    gained = Counter((i.source_id, hour_start(i.published_at)) for i in items if i.published_at >= since)
    sources = sorted({i.source_id for i in items})
    if sources:
        SourceHour.objects.filter(source_id__in=sources, hour__lt=since).delete()
    if not gained:
        return
    table = connection.ops.quote_name(SourceHour._meta.db_table)
    sql = (
        f"INSERT INTO {table} (source_id, hour, n) VALUES (%s, %s, %s) "
        f"ON CONFLICT (source_id, hour) DO UPDATE SET n = {table}.n + excluded.n"
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            sql, [(s, connection.ops.adapt_datetimefield_value(h), n) for (s, h), n in sorted(gained.items())]
        )


def source_hours_rebuild(now: datetime | None = None) -> int:
    """Recompute the kept hours' ``SourceHour`` rows from the items (after a bulk load that bypassed
    storing); returns the rows written."""
    from django.db.models import Count
    from django.db.models.functions import TruncHour

    since = source_hours_since(now or timezone.now())
    rows = (
        Item.objects.filter(published_at__gte=since)
        .annotate(h=TruncHour("published_at", tzinfo=UTC))
        .values("source_id", "h")
        .annotate(n=Count("id"))
        .order_by()
    )
    with transaction.atomic():
        SourceHour.objects.all().delete()
        made = SourceHour.objects.bulk_create(
            [SourceHour(source_id=r["source_id"], hour=r["h"], n=r["n"]) for r in rows], batch_size=2000
        )
    return len(made)


def _unit_ids(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part.isdigit()]


# Where each database keeps the full-text rows (see migrations 0002 and 0004).
SEARCH_TABLES = {"sqlite": ("monitoring_item_fts", "rowid"), "postgresql": ("monitoring_item_search", "item_id")}


def _index(items: Sequence[Any], source: Source | None = None) -> None:
    """Add items to the full-text index: segmented words plus facet tokens (unit ancestors, source,
    kind, sentiment) so that search is scoped and filtered inside the index."""
    if connection.vendor not in SEARCH_TABLES or not items:
        return
    sources: dict[int, Source] = {source.pk: source} if source is not None else {}
    missing = {item.source_id for item in items} - set(sources)
    if missing:
        sources.update(Source.objects.select_related("unit").in_bulk(list(missing)))
    rows = []
    for item in items:
        src = sources[item.source_id]
        facets = search.facet_tokens(
            unit_ids=_unit_ids(src.unit.path),
            source_id=src.pk,
            source_kind=src.kind,
            sentiment=item.sentiment_label or "",
        )
        folded = getattr(item, "folded", None)
        body = (
            search.index_body_folded(folded, item.lang or None)
            if folded is not None
            else search.index_body(item.title, item.text, item.lang or None)
        )
        rows.append((item.pk, body + " " + " ".join(facets)))
    table, id_column = SEARCH_TABLES[connection.vendor]
    _insert_rows(table, [id_column, "body"], ["bigint", "text"], rows)


def search_index_rebuild() -> int:
    """Re-segment every item into the full-text index (after the segmenter changed); returns rows."""
    if connection.vendor not in SEARCH_TABLES:
        return 0
    count = 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                # Contentless FTS5 tables cannot DELETE rows by rowid; 'delete-all' empties them.
                cursor.execute("INSERT INTO monitoring_item_fts(monitoring_item_fts) VALUES ('delete-all')")
            else:
                cursor.execute("DELETE FROM monitoring_item_search")
        batch: list[Item] = []
        for item in Item.objects.only("pk", "title", "text", "lang", "source_id", "sentiment_label").iterator(
            chunk_size=2000
        ):
            batch.append(item)
            if len(batch) >= 2000:
                _index(batch)
                count += len(batch)
                batch = []
        _index(batch)
        count += len(batch)
    return count
