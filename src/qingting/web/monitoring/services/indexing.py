"""What is derived from stored items besides events: the full-text index and the daily counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from qingting.web.monitoring import search
from qingting.web.monitoring.models import DailyCount, Item, Source
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
