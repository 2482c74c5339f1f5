"""What is derived from stored items besides events: the full-text index, the daily counts,
the events' places (who may see an event, decision 0109) and the events' sentiment figures
derived from them (decision 0131)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from qingting.web.monitoring import search
from qingting.web.monitoring.hours import hour_start, source_hours_since
from qingting.web.monitoring.models import DailyCount, Event, EventPlace, Item, Source, SourceHour
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


def _counts_add(
    model: Any, keys: Sequence[str], rows: Sequence[tuple[Any, ...]], values: Sequence[str] = ("n",)
) -> None:
    """Add each row's last values (one per name in ``values``, ``n`` by default) to ``model``'s
    row with the row's other values as ``keys``, creating the rows that do not exist yet (one
    upsert per row, in the rows' order)."""
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(keys)
    marks = ", ".join(["%s"] * (len(keys) + len(values)))
    added = ", ".join(f"{v} = {table}.{v} + excluded.{v}" for v in values)
    sql = (
        f"INSERT INTO {table} ({columns}, {', '.join(values)}) VALUES ({marks}) "
        f"ON CONFLICT ({columns}) DO UPDATE SET {added}"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


PlaceKey = tuple[int, int, str]  # event id, source id, region


def _positivity(score: float | None) -> float:
    # An item without a positivity counts as neutral (0.5), as the re-score's moves do.
    return 0.5 if score is None else float(score)


def sentiment_change(old_label: str, old_score: float | None, label: str, score: float | None) -> tuple[int, float]:
    """What relabelling an item adds to its place: (change of the negative count, change of the
    summed positivity), for :func:`event_sentiment_move`."""
    return int(label == "negative") - int(old_label == "negative"), _positivity(score) - _positivity(old_score)


def _lock_events(event_ids: Sequence[int]) -> None:
    """On PostgreSQL, lock the events' rows in id order. Every writer of an event's places locks
    the event first, so two writers never deadlock over them, and the figures derived afterwards
    (a new statement, a new snapshot) see every change committed to the places before."""
    if connection.vendor != "postgresql" or not event_ids:
        return
    table = connection.ops.quote_name(Event._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {table} WHERE id = ANY(%s) ORDER BY id FOR UPDATE", [sorted(event_ids)])


_FIGURES_FROM_PLACES = (
    "UPDATE {events} SET negative_share = 1.0 * v.neg / v.n, sentiment = v.pos / v.n "
    "FROM (SELECT event_id, SUM(n) AS n, SUM(negative) AS neg, SUM(positivity) AS pos FROM {places} "
    "{where} GROUP BY event_id) AS v WHERE {events}.id = v.event_id AND v.n > 0"
)


def _derive(event_ids: Sequence[int] | None) -> None:
    """Set the events' ``negative_share`` and ``sentiment`` from their places (of ``event_ids``,
    or of every event): one grouped statement per 500 events. An event without items keeps the
    figures it had (a merged-away event: those it had when it was merged)."""
    qn = connection.ops.quote_name
    events, places = qn(Event._meta.db_table), qn(EventPlace._meta.db_table)
    with connection.cursor() as cursor:
        if event_ids is None:
            cursor.execute(_FIGURES_FROM_PLACES.format(events=events, places=places, where=""))
            return
        ids = sorted(set(event_ids))
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            where = f"WHERE event_id IN ({', '.join(['%s'] * len(part))})"
            cursor.execute(_FIGURES_FROM_PLACES.format(events=events, places=places, where=where), part)


def event_figures_derive(event_ids: Any) -> None:
    """Set the events' negative share and mean positivity from their places, the one rule for
    an event's sentiment figures (decision 0131). The place writers below derive them the same
    way (after locking the events, before touching their places); call this after changing
    places any other way."""
    ids = sorted({int(pk) for pk in event_ids})
    _lock_events(ids)
    _derive(ids)


def event_places_add(items: Sequence[Any]) -> None:
    """Add items just placed in events to their events' places (``EventPlace``): one upsert per
    (event, source, region), in key order, counting the items, their negative labels and their
    positivities; the events' sentiment figures are then derived from their places. Items
    without an event count nowhere. Call in the transaction that placed them; events whose items
    moved are recounted instead (:func:`event_places_refresh`)."""
    gained: dict[PlaceKey, list[Any]] = {}
    for i in items:
        if i.event_id is None:
            continue
        row = gained.setdefault((i.event_id, i.source_id, i.region or ""), [0, 0, 0.0])
        row[0] += 1
        row[1] += int(i.sentiment_label == "negative")
        row[2] += _positivity(i.sentiment)
    if not gained:
        return
    ids = sorted({k[0] for k in gained})
    _lock_events(ids)
    _counts_add(
        EventPlace,
        ("event_id", "source_id", "region"),
        [(*k, *v) for k, v in sorted(gained.items())],
        ("n", "negative", "positivity"),
    )
    _derive(ids)


def event_sentiment_move(deltas: Mapping[PlaceKey, tuple[int, float]]) -> None:
    """Items changed label or positivity in place (an analyst's correction, a re-score): add each
    (event, source, region)'s change of its negative count and of its summed positivity to that
    place, then derive the events' figures. Set-based: one statement for the places and one for
    the events, whatever the number of rows (a re-scoring slice moves hundreds). Only existing
    places move (an item in an event always has one)."""
    rows = sorted((k, int(d[0]), float(d[1])) for k, d in deltas.items() if d[0] or d[1])
    if not rows:
        return
    ids = sorted({k[0] for k, _, _ in rows})
    _lock_events(ids)
    table = connection.ops.quote_name(EventPlace._meta.db_table)
    match = "t.event_id = v.event_id AND t.source_id = v.source_id AND t.region = v.region"
    add = "negative = {}(t.negative + v.neg, 0), positivity = t.positivity + v.pos"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} AS t SET {add.format('GREATEST')} "
                "FROM unnest(%s::bigint[], %s::bigint[], %s::varchar(100)[], %s::int[], %s::float8[]) "
                f"AS v(event_id, source_id, region, neg, pos) WHERE {match}",
                [list(c) for c in zip(*[(*k, neg, pos) for k, neg, pos in rows], strict=True)],
            )
        else:
            values = (
                "(SELECT column1 AS event_id, column2 AS source_id, column3 AS region, column4 AS neg, "
                "column5 AS pos FROM (VALUES {}))"
            )
            for start in range(0, len(rows), 3000):
                chunk = rows[start : start + 3000]
                cursor.execute(
                    f"UPDATE {table} AS t SET {add.format('MAX')} FROM "
                    f"{values.format(', '.join(['(%s, %s, %s, %s, %s)'] * len(chunk)))} AS v WHERE {match}",
                    [x for k, neg, pos in chunk for x in (*k, neg, pos)],
                )
    _derive(ids)


_PLACES_FROM_ITEMS = (
    "INSERT INTO {table} (event_id, source_id, region, n, negative, positivity) "
    "SELECT event_id, source_id, region, COUNT(*), SUM(CASE WHEN sentiment_label = 'negative' THEN 1 ELSE 0 END), "
    "SUM(COALESCE(sentiment, 0.5)) FROM {items} WHERE {where} GROUP BY event_id, source_id, region"
)


def event_places_refresh(event_ids: Any) -> None:
    """Recount the places of ``event_ids`` from their items (after items moved between events),
    and derive their sentiment figures from them."""
    ids = sorted({int(pk) for pk in event_ids})
    table = connection.ops.quote_name(EventPlace._meta.db_table)
    items = connection.ops.quote_name(Item._meta.db_table)
    _lock_events(ids)
    for i in range(0, len(ids), 500):
        part = ids[i : i + 500]
        EventPlace.objects.filter(event_id__in=part).delete()
        marks = ", ".join(["%s"] * len(part))
        with connection.cursor() as cursor:
            cursor.execute(_PLACES_FROM_ITEMS.format(table=table, items=items, where=f"event_id IN ({marks})"), part)
    _derive(ids)


def event_places_rebuild() -> int:
    """Recompute every event's places from the items, and every event's sentiment figures from
    them (after a bulk load that bypassed the engine); returns the rows written."""
    table = connection.ops.quote_name(EventPlace._meta.db_table)
    items = connection.ops.quote_name(Item._meta.db_table)
    with transaction.atomic():
        EventPlace.objects.all().delete()
        with connection.cursor() as cursor:
            cursor.execute(_PLACES_FROM_ITEMS.format(table=table, items=items, where="event_id IS NOT NULL"))
        _derive(None)
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
