"""What is derived from stored items besides events: the full-text index, the daily counts and
the events' places (who may see an event, decision 0109)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
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
    """Add each delta to its daily count, set-based: one statement for the losses (lowered, never
    below 0), one removing the rows they emptied, one upsert for the gains — however many rows
    they touch (a re-scoring slice moves hundreds). On PostgreSQL the existing rows are locked in
    key order first and the gains inserted in key order, so concurrent engines never deadlock."""
    keys = sorted(k for k, n in deltas.items() if n)
    if not keys:
        return
    losses = [(*k, deltas[k]) for k in keys if deltas[k] < 0]
    gains = [(*k, deltas[k]) for k in keys if deltas[k] > 0]
    table = connection.ops.quote_name(DailyCount._meta.db_table)
    match = "t.source_id = v.source_id AND t.day = v.day AND t.sentiment_label = v.label AND t.region = v.region"
    upsert = f"ON CONFLICT (source_id, day, sentiment_label, region) DO UPDATE SET n = {table}.n + excluded.n"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            unnest = "unnest(%s::int[], %s::date[], %s::varchar(12)[], %s::varchar(100)[], %s::int[])"
            cols = "v(source_id, day, label, region, n)"

            def arrays(rows: list[tuple[Any, ...]]) -> list[list[Any]]:
                return [list(c) for c in zip(*rows, strict=True)]

            cursor.execute(
                f"SELECT 1 FROM {table} AS t JOIN {unnest} AS {cols} ON {match} "
                "ORDER BY t.source_id, t.day, t.sentiment_label, t.region FOR UPDATE OF t",
                arrays([(*k, 0) for k in keys]),
            )
            if losses:
                cursor.execute(
                    f"UPDATE {table} AS t SET n = GREATEST(t.n + v.n, 0) FROM {unnest} AS {cols} WHERE {match}",
                    arrays(losses),
                )
                cursor.execute(
                    f"DELETE FROM {table} AS t USING {unnest} AS {cols} WHERE {match} AND t.n <= 0", arrays(losses)
                )
            if gains:
                cursor.execute(
                    f"INSERT INTO {table} (source_id, day, sentiment_label, region, n) "
                    f"SELECT * FROM {unnest} AS {cols} ORDER BY 1, 2, 3, 4 {upsert}",
                    arrays(gains),
                )
            return
        # SQLite (≥ 3.33: UPDATE … FROM); the IMMEDIATE transaction already holds the write lock.
        values = (
            "(SELECT column1 AS source_id, column2 AS day, column3 AS label, column4 AS region, column5 AS n "
            "FROM (VALUES {}))"
        )
        for start in range(0, len(losses), 3000):
            chunk = losses[start : start + 3000]
            rows = values.format(", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk)))
            params = [x for r in chunk for x in r]
            cursor.execute(f"UPDATE {table} AS t SET n = MAX(t.n + v.n, 0) FROM {rows} AS v WHERE {match}", params)
            cursor.execute(
                f"DELETE FROM {table} WHERE n <= 0 AND (source_id, day, sentiment_label, region) IN "
                f"(SELECT source_id, day, label, region FROM {rows})",
                params,
            )
        for start in range(0, len(gains), 3000):
            chunk = gains[start : start + 3000]
            cursor.execute(
                f"INSERT INTO {table} (source_id, day, sentiment_label, region, n) "
                f"VALUES {', '.join(['(%s, %s, %s, %s, %s)'] * len(chunk))} {upsert}",
                [x for r in chunk for x in r],
            )


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


def _counts_add(model: Any, keys: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Add each row's last value to the ``n`` of ``model``'s row with the row's other values as
    ``keys``, creating the rows that do not exist yet (one upsert per row, in the rows' order)."""
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(keys)
    marks = ", ".join(["%s"] * (len(keys) + 1))
    sql = (
        f"INSERT INTO {table} ({columns}, n) VALUES ({marks}) "
        f"ON CONFLICT ({columns}) DO UPDATE SET n = {table}.n + excluded.n"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def event_places_add(items: Sequence[Any]) -> None:
    """Add items just placed in events to their events' places (``EventPlace``): one upsert per
    (event, source, region), in key order. Items without an event count nowhere. Call in the
    transaction that placed them; events whose items moved are recounted instead
    (:func:`event_places_refresh`)."""
    gained = Counter((i.event_id, i.source_id, i.region or "") for i in items if i.event_id is not None)
    if gained:
        _counts_add(EventPlace, ("event_id", "source_id", "region"), [(*k, n) for k, n in sorted(gained.items())])


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
    if gained:
        adapt = connection.ops.adapt_datetimefield_value
        _counts_add(SourceHour, ("source_id", "hour"), [(s, adapt(h), n) for (s, h), n in sorted(gained.items())])


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
