"""Writes for monitoring: sources, schemes, ingestion (store items, run the engine, persist), events.

This package is the monitoring app's write interface; other apps import from here (or from
``monitoring.selectors`` for reads). Its modules, by concern:

- :mod:`.schemes` — sources and schemes (监测方案): create, edit
- :mod:`.records` — incoming records checked and cleaned; authors' pseudonyms
- :mod:`.ingestion` — :func:`store_items` and :func:`ingest_items`: how items enter the database
- :mod:`.engine` — the organisation's engine over its pending items (:func:`pipeline_catch_up`)
- :mod:`.indexing` — the full-text index, the daily counts and the events' places (who sees an
  event, and its sentiment figures: decision 0131)
- :mod:`.events` — merges followed, an analyst's merge and split
- :mod:`.bulk` — bulk SQL (insert/update many rows per statement)

Storing is idempotent (an item is unique by (source, external id)). One engine per organisation
(the root unit of a unit tree) then places every item the organisation collects, once: events,
placements, sentiment, the search index, the daily counts and the schemes' memberships of a batch
are written in ONE transaction (decision 0061). Schemes' memberships and backfills are in
``monitoring.membership``.
"""

from qingting.web.monitoring.services.engine import (
    CHECKPOINT_ITEMS,
    CHECKPOINT_SECONDS,
    CatchUpResult,
    pending_count,
    pipeline_cache,
    pipeline_catch_up,
    pipeline_catch_up_all,
)
from qingting.web.monitoring.services.events import EVENT_EDIT_ROLES, event_merge, event_split
from qingting.web.monitoring.services.indexing import (
    SEARCH_TABLES,
    DailyKey,
    daily_counts_add,
    daily_counts_rebuild,
    daily_key,
    event_figures_derive,
    event_places_add,
    event_places_rebuild,
    event_places_refresh,
    event_sentiment_move,
    search_index_rebuild,
    sentiment_change,
    source_hours_add,
    source_hours_rebuild,
)
from qingting.web.monitoring.services.ingestion import (
    IngestResult,
    StoreResult,
    ingest_items,
    ingest_items_by_ids,
    store_items,
)
from qingting.web.monitoring.services.records import MAX_TEXT, author_pseudonym
from qingting.web.monitoring.services.schemes import scheme_create, scheme_delete, scheme_update, source_create

__all__ = [
    "CHECKPOINT_ITEMS",
    "CHECKPOINT_SECONDS",
    "EVENT_EDIT_ROLES",
    "MAX_TEXT",
    "SEARCH_TABLES",
    "CatchUpResult",
    "DailyKey",
    "IngestResult",
    "StoreResult",
    "author_pseudonym",
    "daily_counts_add",
    "daily_counts_rebuild",
    "daily_key",
    "event_figures_derive",
    "event_merge",
    "event_places_add",
    "event_places_rebuild",
    "event_places_refresh",
    "event_sentiment_move",
    "event_split",
    "ingest_items",
    "ingest_items_by_ids",
    "pending_count",
    "pipeline_cache",
    "pipeline_catch_up",
    "pipeline_catch_up_all",
    "scheme_create",
    "scheme_delete",
    "scheme_update",
    "search_index_rebuild",
    "sentiment_change",
    "source_create",
    "source_hours_add",
    "source_hours_rebuild",
    "store_items",
]
