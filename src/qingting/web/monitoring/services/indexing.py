"""What is derived from stored items besides events: the full-text index and the daily counts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from qingting.web.monitoring import search
from qingting.web.monitoring.models import DailyCount, Item, Source
from qingting.web.monitoring.services.bulk import _insert_rows


def _count_daily(items: Sequence[Any]) -> None:
    """Add the items to the dashboard's daily counts (an upsert that works on SQLite and PostgreSQL)."""
    counts: dict[tuple[int, str, str, str], int] = {}
    for item in items:
        key = (
            item.source_id,
            timezone.localtime(item.published_at).date().isoformat(),
            item.sentiment_label,
            item.region,
        )
        counts[key] = counts.get(key, 0) + 1
    if not counts:
        return
    table = connection.ops.quote_name(DailyCount._meta.db_table)
    sql = (
        f"INSERT INTO {table} (source_id, day, sentiment_label, region, n) VALUES (%s, %s, %s, %s, %s) "
        f"ON CONFLICT (source_id, day, sentiment_label, region) DO UPDATE SET n = {table}.n + excluded.n"
    )
    with connection.cursor() as cursor:
        # In key order, so that concurrent engines take the rows' locks in the same order.
        cursor.executemany(sql, [(*key, n) for key, n in sorted(counts.items())])


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
