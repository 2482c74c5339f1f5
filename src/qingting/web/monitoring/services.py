"""Writes for monitoring: sources, schemes, and ingestion (store items, run the engine, persist).

:func:`ingest_items` and :func:`store_items` are the ways items enter the database. Storing is
idempotent (an item is unique by (source, external id)). One engine per organisation (the root
unit of a unit tree) then places every item the organisation collects, once
(:func:`pipeline_catch_up`): events, placements, sentiment, the search index, the daily counts and
the schemes' memberships of a batch are written in ONE transaction (decision 0061).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from qingting.core.types import Assignment, EventSummary, RecordError
from qingting.core.types import Item as CoreItem
from qingting.web.accounts.models import Unit
from qingting.web.audit.services import audit_record
from qingting.web.monitoring import membership, search
from qingting.web.monitoring.membership import organisation_id, organisation_source_ids
from qingting.web.monitoring.models import (
    DailyCount,
    Event,
    Item,
    PipelineState,
    Scheme,
    Source,
    SourceKind,
)
from qingting.web.monitoring.signals import batch_ingested

log = logging.getLogger(__name__)

MAX_TEXT = 20_000
_CHUNK = 500  # rows per IN (...) lookup; SQLite limits bound parameters


# --- sources and schemes ------------------------------------------------------------------------


@transaction.atomic
def source_create(
    *, actor: Any, unit: Unit, name: str, kind: str = SourceKind.OTHER, url: str = "", mainstream: bool = False
) -> Source:
    """Create a source owned by ``unit``."""
    if kind not in SourceKind.values:
        raise ValueError(f"unknown source kind {kind!r}; expected one of {', '.join(SourceKind.values)}")
    source = Source.objects.create(unit=unit, name=name, kind=kind, url=url, mainstream=mainstream)
    audit_record(actor=actor, action="source.create", obj=source, new={"name": name, "kind": kind, "url": url})
    return source


@transaction.atomic
def scheme_create(*, actor: Any, unit: Unit, name: str, expression: str = "", sources: Sequence[Source] = ()) -> Scheme:
    """Create a scheme (监测方案) of ``unit`` following ``sources``; it is applied to stored items
    in the background (``membership.scheme_backfill_run``)."""
    scheme = Scheme.objects.create(unit=unit, name=name, expression=expression)
    if sources:
        scheme.sources.set(sources)
    membership.scheme_backfill_queue_if_needed(scheme)
    audit_record(
        actor=actor,
        action="scheme.create",
        obj=scheme,
        new={"name": name, "expression": expression, "sources": [s.pk for s in sources]},
    )
    return scheme


# --- pseudonyms ---------------------------------------------------------------------------------


def author_pseudonym(handle: str) -> str:
    """A keyed HMAC-SHA256 of the author's handle (32 hex digits); the handle is never stored.

    The same handle always gives the same pseudonym under one key, so "how many distinct people
    wrote about this" can be counted without knowing who they are.
    """
    handle = handle.strip()
    if not handle:
        return ""
    key = hashlib.sha256(("qingting-pseudonym:" + settings.QINGTING_PSEUDONYM_KEY).encode()).digest()
    return hmac.new(key, handle.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


# --- ingestion ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Record:
    external_id: str
    text: str
    title: str
    url: str
    published_at: datetime
    author_pseudonym: str
    engagement: int
    region: str
    lang: str
    parent: str | None


def _parse_time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value, UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        return datetime.fromtimestamp(float(value), tz=UTC)
    if isinstance(value, str):
        parsed = parse_datetime(value.strip())
        if parsed is None:
            raise ValueError(f"not an ISO 8601 date-time: {value[:40]!r}")
        return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, UTC)
    raise ValueError(f"unsupported time value of type {type(value).__name__}")


def _normalise(position: int, raw: Mapping[str, Any], now: datetime) -> _Record | RecordError:
    """One incoming record checked and cleaned, or the reason it cannot be stored."""
    ext = raw.get("external_id", raw.get("id"))
    label = str(ext) if ext not in (None, "") else f"record {position}"
    if ext is None or str(ext).strip() == "":
        return RecordError(label, "external_id", "missing: every item needs the id its source gives it")
    ext = str(ext).strip()
    if len(ext) > 200:
        return RecordError(label, "external_id", "longer than 200 characters")
    text = str(raw.get("text") or "")[:MAX_TEXT]
    title = str(raw.get("title") or "")[:500]
    if not text.strip() and not title.strip():
        return RecordError(label, "text", "empty: an item needs a text or a title")
    try:
        published = _parse_time(raw.get("published_at", raw.get("time"))) or now
    except ValueError as exc:
        return RecordError(label, "published_at", str(exc))
    try:
        engagement = max(0, int(raw.get("engagement") or 0))
    except (TypeError, ValueError):
        return RecordError(label, "engagement", "not a whole number")
    url = str(raw.get("url") or "")[:1000]
    if url and not url.startswith(("http://", "https://")):
        return RecordError(label, "url", "only http and https addresses are kept")
    parent = raw.get("parent")
    return _Record(
        external_id=ext,
        text=text,
        title=title,
        url=url,
        published_at=min(published, now),  # a clock in the future must not pin events there
        # A connector sends ``author_pseudonym`` already keyed (the handle never left it).
        author_pseudonym=author_pseudonym(str(raw.get("author") or "")) or str(raw.get("author_pseudonym") or "")[:32],
        engagement=min(engagement, 2**31 - 1),
        region=str(raw.get("region") or "")[:100],
        lang=str(raw.get("lang") or "")[:16],
        parent=str(parent) if parent not in (None, "") else None,
    )


# The engine writes its checkpoint every this many items or seconds, not every batch; the batches
# in between are replayed from the stored items after a restart (see PipelineState.replay).
CHECKPOINT_ITEMS = 5000
CHECKPOINT_SECONDS = 120.0


class _PipelineCache:
    """The live engine per organisation, valid only for the state version it was left at.

    Restoring a checkpoint for every batch costs time; keeping the engine in memory is safe because
    the cache key includes the persisted version, and any failure drops the entry (the engine has
    then seen items the database never stored). One engine per organisation per process.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._engines: dict[int, tuple[int, Any]] = {}

    def get(self, state: PipelineState) -> tuple[Any, bool]:
        """The engine at ``state``, and whether it was warm (``False``: restored from the database)."""
        with self._lock:
            cached = self._engines.pop(state.organisation_id, None)
        if cached is not None and cached[0] == state.version:
            return cached[1], True
        return _restore(state), False

    def put(self, state: PipelineState, engine: Any) -> None:
        with self._lock:
            self._engines[state.organisation_id] = (state.version, engine)

    def clear(self) -> None:
        with self._lock:
            self._engines.clear()


pipeline_cache = _PipelineCache()


def _restore(state: PipelineState) -> Any:
    """The engine at the state's last checkpoint, with the batches placed since replayed.

    Replayed batches are fed in the order the engine first saw them and their results dropped
    (their placements are stored already), so the engine continues exactly where it was: nothing
    is lost and nothing is counted twice. A checkpoint the engine cannot read (an older format)
    is not a crash: the engine starts afresh (decision 0060).
    """
    from qingting.core.pipeline import Pipeline, PipelineConfig

    engine: Any = None
    if state.snapshot:
        try:
            engine = Pipeline.restore(bytes(state.snapshot))
        except ValueError as exc:
            log.warning(
                "organisation %s: engine checkpoint not readable (%s); starting afresh", state.organisation_id, exc
            )
    if engine is None:
        engine = Pipeline(PipelineConfig())
    for batch in state.replay or []:
        rows = {r["pk"]: r for part in _chunks(batch) for r in Item.objects.filter(pk__in=part).values(*_ITEM_FIELDS)}
        engine.partial_fit([_core_item(rows[pk]) for pk in batch if pk in rows])
    return engine


def _key(source_id: int, external_id: str) -> str:
    # The engine's item id: unique across the scheme's sources, and decodable without a lookup.
    return f"{source_id}:{external_id}"


def _from_unix(t: float) -> datetime:
    return datetime.fromtimestamp(t, tz=UTC)


def _chunks(seq: Sequence[Any], n: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


def _resolve_keys(keys: Iterable[str], known: Mapping[str, int]) -> dict[str, int]:
    """Engine item ids → Item primary keys (this batch's from ``known``, earlier ones from the DB)."""
    out: dict[str, int] = {}
    missing: dict[int, list[str]] = {}
    for key in keys:
        if key in known:
            out[key] = known[key]
            continue
        prefix, _, ext = key.partition(":")
        if prefix.isdigit():
            missing.setdefault(int(prefix), []).append(ext)
    for source_id, exts in missing.items():
        for part in _chunks(exts):
            for pk, stored_ext in Item.objects.filter(source_id=source_id, external_id__in=part).values_list(
                "pk", "external_id"
            ):
                out[_key(source_id, stored_ext)] = pk
    return out


@dataclass(slots=True)
class _NewItem:
    """An item row about to be inserted: plain attributes named like Item's columns.

    Building 1,000 Django model instances per batch cost more than inserting them.
    """

    pk: int
    source_id: int
    external_id: str
    url: str
    title: str
    text: str
    lang: str
    published_at: datetime
    collected_at: datetime
    author_pseudonym: str
    engagement: int
    region: str
    parent: str
    pending: bool = True
    event_id: int | None = None
    duplicate_of_id: int | None = None
    duplicate_kind: str = ""
    sentiment: float | None = None
    sentiment_label: str = ""
    folded: str | None = None


def _pg_type(field: Any) -> str:
    """The column's PostgreSQL type for an array cast (``varchar(200)``, ``timestamp with time zone``)."""
    return str(field.db_type(connection) or "text")


def _insert_items(items: Sequence[_NewItem]) -> list[_NewItem]:
    """Insert the items not stored yet and set their primary keys; returns those inserted.

    ``INSERT … ON CONFLICT (source_id, external_id) DO NOTHING RETURNING``: an item a concurrent
    batch stored meanwhile is skipped rather than an error. PostgreSQL gets one statement over
    ``unnest`` of one array per column (a multi-row ``VALUES`` with thousands of placeholders costs
    psycopg more to parse than the database to run); SQLite (≥ 3.35) gets multi-row ``VALUES``.
    What ``bulk_create`` does, without model instances. The items of one call are of one source,
    with distinct external ids.
    """
    if not items:
        return []
    from django.db import models

    meta = Item._meta
    qn = connection.ops.quote_name
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    adapt = [connection.ops.adapt_datetimefield_value if isinstance(f, models.DateTimeField) else None for f in fields]
    columns = ", ".join(qn(f.column or f.attname) for f in fields)
    pk_column = qn((meta.pk.column if meta.pk is not None else None) or "id")
    tail = f"ON CONFLICT (source_id, external_id) DO NOTHING RETURNING {pk_column}, external_id"
    inserted: list[_NewItem] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = [[getattr(item, f.attname) for item in items] for f in fields]
            unnest = ", ".join(f"%s::{_pg_type(f)}[]" for f in fields)
            cursor.execute(f"INSERT INTO {qn(meta.db_table)} ({columns}) SELECT * FROM unnest({unnest}) {tail}", arrays)
            returned = cursor.fetchall()
        else:
            row = "(" + ", ".join(["%s"] * len(fields)) + ")"
            returned = []
            # Stay far below SQLite's bound-parameter limit (32766 since 3.32).
            for chunk in _chunks(items, max(1, 20000 // len(fields))):
                params: list[Any] = []
                for item in chunk:
                    for f, conv in zip(fields, adapt, strict=True):
                        value = getattr(item, f.attname)
                        params.append(conv(value) if conv is not None and value is not None else value)
                cursor.execute(
                    f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES {', '.join([row] * len(chunk))} {tail}",
                    params,
                )
                returned += cursor.fetchall()
    by_ext = {item.external_id: item for item in items}
    for pk, ext in returned:
        item = by_ext[ext]
        item.pk = pk
        inserted.append(item)
    return inserted


def _insert_rows(table: str, columns: Sequence[str], types: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert plain-valued rows: ``unnest`` of arrays on PostgreSQL (``types`` name the columns'
    types), multi-row ``VALUES`` on SQLite."""
    if not rows:
        return
    qn = connection.ops.quote_name
    head = f"INSERT INTO {qn(table)} ({', '.join(qn(c) for c in columns)}) "
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = [list(column) for column in zip(*rows, strict=True)]
            cursor.execute(head + "SELECT * FROM unnest(" + ", ".join(f"%s::{t}[]" for t in types) + ")", arrays)
            return
        row = "(" + ", ".join(["%s"] * len(columns)) + ")"
        for chunk in _chunks(rows, max(1, 20000 // len(columns))):
            cursor.execute(head + "VALUES " + ", ".join([row] * len(chunk)), [v for r in chunk for v in r])


def _update_rows(
    table: str, columns: Sequence[str], types: Sequence[str], rows: Sequence[Sequence[Any]], *, where: str = ""
) -> set[int] | None:
    """``UPDATE table SET columns… WHERE id = … [AND where]`` for rows ``(values…, id)``: one
    statement joining ``unnest`` of arrays on PostgreSQL (returns the ids it updated), an
    ``executemany`` on SQLite (returns ``None``: SQLite serialises writers, so the caller's read
    inside its write transaction already tells)."""
    if not rows:
        return set()
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = [list(column) for column in zip(*rows, strict=True)]
            # Lock in id order first: two engines updating the same rows then never deadlock.
            cursor.execute(f"SELECT id FROM {qn(table)} WHERE id = ANY(%s) ORDER BY id FOR UPDATE", [arrays[-1]])
            names = [f"v{k}" for k in range(len(columns))]
            cursor.execute(
                f"UPDATE {qn(table)} AS t SET "
                + ", ".join(f"{qn(c)} = v.{n}" for c, n in zip(columns, names, strict=True))
                + " FROM unnest("
                + ", ".join(f"%s::{t}[]" for t in [*types, "bigint"])
                + f") AS v({', '.join(names)}, vid) WHERE t.id = v.vid{f' AND t.{where}' if where else ''}"
                + " RETURNING t.id",
                arrays,
            )
            return {row[0] for row in cursor.fetchall()}
        cursor.executemany(
            f"UPDATE {qn(table)} SET "
            + ", ".join(f"{qn(c)} = %s" for c in columns)
            + f" WHERE id = %s{f' AND {where}' if where else ''}",
            rows,
        )
        return None


def _fast_update(objs: Sequence[Any], fields: Sequence[str], *, model: Any = None) -> None:
    """``UPDATE … WHERE id = %s`` for each object, as one executemany.

    Django's ``bulk_update`` builds a ``CASE WHEN`` per field and row, which costs far more than
    the database work for the few hundred rows a batch touches.
    """
    if not objs:
        return
    meta = (model or type(objs[0]))._meta
    qn = connection.ops.quote_name
    model_fields = [meta.get_field(name) for name in fields]
    sql = (
        f"UPDATE {qn(meta.db_table)} SET "
        + ", ".join(f"{qn(f.column)} = %s" for f in model_fields)
        + f" WHERE {qn(meta.pk.column)} = %s"
    )
    params = [
        [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in model_fields] + [obj.pk] for obj in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _event_fields(summary: EventSummary) -> dict[str, Any]:
    return {
        "title": summary.title[:300],
        "keywords": list(summary.keywords),
        "first_seen": _from_unix(summary.first_seen),
        "last_seen": _from_unix(summary.last_seen),
        "item_count": summary.item_count,
        "duplicate_count": summary.duplicate_count,
        "source_count": summary.source_count,
        "mainstream_count": summary.mainstream_count,
        "engagement": summary.engagement,
        "heat": float(summary.heat),
        "trend": str(summary.trend),
        "burst_z": float(summary.burst_z) if math.isfinite(summary.burst_z) else 0.0,
        "sentiment": float(summary.sentiment),
        "negative_share": float(summary.negative_share),
        "lang": summary.lang[:16],
        "buckets": [[float(t), int(c)] for t, c in summary.buckets],
        "retired": summary.retired,
    }


def _persist_events(org_id: int, summaries: Sequence[EventSummary]) -> dict[int, Event]:
    """Create or update the organisation's events from the engine's summaries; engine id → Event."""
    by_id = {s.event_id: s for s in summaries}
    existing: dict[int, Event] = {}
    for part in _chunks(list(by_id)):
        for event in Event.objects.filter(organisation_id=org_id, engine_event_id__in=part):
            existing[event.engine_event_id] = event
    to_update: list[Event] = []
    to_create: list[Event] = []
    for engine_id, summary in by_id.items():
        fields = _event_fields(summary)
        found = existing.get(engine_id)
        if found is None:
            to_create.append(Event(organisation_id=org_id, engine_event_id=engine_id, **fields))
        else:
            for name, value in fields.items():
                setattr(found, name, value)
            to_update.append(found)
    if to_create:
        Event.objects.bulk_create(to_create, batch_size=_CHUNK)
        for event in to_create:
            existing[event.engine_event_id] = event
    if to_update:
        now = timezone.now()
        for event in to_update:
            event.updated_at = now
        _fast_update(to_update, [*_event_fields(summaries[0]).keys(), "updated_at"])
    return existing


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
        rows.append((item.pk, search.index_body(item.title, item.text, item.lang or None) + " " + " ".join(facets)))
    table, id_column = SEARCH_TABLES[connection.vendor]
    _insert_rows(table, [id_column, "body"], ["bigint", "text"], rows)


# --- ingestion: store, then let the organisation's engine catch up ------------------------------


@dataclass(frozen=True)
class StoreResult:
    """What one call of :func:`store_items` did."""

    created: int
    skipped: int  # already stored (same source and external id), or repeated within the batch
    errors: tuple[RecordError, ...] = ()
    item_ids: tuple[int, ...] = field(default=(), repr=False)
    scheme_ids: tuple[int, ...] = ()  # the active schemes following the source (they will match the items)
    organisation_id: int | None = None  # whose engine now has these items pending


@dataclass(frozen=True)
class CatchUpResult:
    """What :func:`pipeline_catch_up` did for one organisation's engine."""

    scheme_id: int | None = None  # the scheme the caller asked for, if any
    items: int = 0
    batches: int = 0
    event_ids: tuple[int, ...] = field(default=(), repr=False)
    item_ids: tuple[int, ...] = field(default=(), repr=False)
    busy: bool = False  # another process holds this organisation's engine (it will take the items)
    organisation_id: int | None = None


def _validated(records: Iterable[Mapping[str, Any]], now: datetime) -> tuple[list[_Record], list[RecordError], int]:
    records_ok: list[_Record] = []
    errors: list[RecordError] = []
    seen: set[str] = set()
    skipped = 0
    for position, raw in enumerate(records, start=1):
        rec = _normalise(position, raw, now)
        if isinstance(rec, RecordError):
            errors.append(rec)
        elif rec.external_id in seen:
            skipped += 1
        else:
            seen.add(rec.external_id)
            records_ok.append(rec)
    return records_ok, errors, skipped


def _following(source: Source, extra: Sequence[Scheme] = ()) -> list[int]:
    """The active schemes following ``source``, plus ``extra`` (a scheme a caller ingests for)."""
    ids = set(Scheme.objects.filter(sources=source, is_active=True).values_list("pk", flat=True))
    ids.update(s.pk for s in extra)
    return sorted(ids)


def _store(
    source: Source,
    records: list[_Record],
    errors: list[RecordError],
    skipped: int,
    scheme_ids: list[int],
    actor: Any,
    now: datetime,
) -> StoreResult:
    """Insert new items, pending for the organisation's engine; call inside a transaction."""
    stored: set[str] = set()
    for part in _chunks([r.external_id for r in records]):
        stored.update(Item.objects.filter(source=source, external_id__in=part).values_list("external_id", flat=True))
    new = [r for r in records if r.external_id not in stored]
    new.sort(key=lambda r: r.published_at)  # pk order is the order the engine reads them in
    items = _insert_items(
        [
            _NewItem(
                pk=0,
                source_id=source.pk,
                external_id=r.external_id,
                url=r.url,
                title=r.title,
                text=r.text,
                lang=r.lang,
                published_at=r.published_at,
                collected_at=now,
                author_pseudonym=r.author_pseudonym,
                engagement=r.engagement,
                region=r.region,
                parent=r.parent or "",
                folded=membership.folded_form(r.title, r.text),
            )
            for r in new
        ]
    )
    skipped += len(records) - len(items)
    if items:
        Source.objects.filter(pk=source.pk).update(item_count=F("item_count") + len(items), last_success_at=now)
    if items or errors:
        audit_record(
            actor=actor,
            action="ingest.batch",
            obj=source,
            new={"schemes": scheme_ids, "created": len(items), "skipped": skipped, "errors": len(errors)},
        )
    return StoreResult(
        created=len(items),
        skipped=skipped,
        errors=tuple(errors),
        item_ids=tuple(item.pk for item in items),
        scheme_ids=tuple(scheme_ids) if items else (),
        organisation_id=organisation_id(source.unit),
    )


def store_items(
    *, source: Source, records: Iterable[Mapping[str, Any]], schemes: Sequence[Scheme] = (), actor: Any = None
) -> StoreResult:
    """Store new items of ``source`` without running the engine: the fast path for bulk imports.

    Each new item is *pending* for the organisation's engine; :func:`pipeline_catch_up` (called by
    the caller, by a worker, or by the periodic job ``monitoring.catch_up``) later places them in
    order and matches them against the organisation's schemes. Idempotent like
    :func:`ingest_items`: a stored (source, external id) is skipped. ``schemes`` is accepted for
    callers written before decision 0061 and only reported back.
    """
    if source.unit_id is None:
        raise ValueError("the source has no unit")
    now = timezone.now()
    records_ok, errors, skipped = _validated(records, now)
    with transaction.atomic():
        return _store(source, records_ok, errors, skipped, _following(source, schemes), actor, now)


_ITEM_FIELDS = (
    "pk", "source_id", "external_id", "text", "title", "lang", "published_at", "engagement", "region",
    "parent", "source__mainstream", "folded",
)  # fmt: skip


def _core_item(r: Mapping[str, Any]) -> CoreItem:
    return CoreItem(
        id=_key(r["source_id"], r["external_id"]),
        text=r["text"],
        time=r["published_at"].timestamp(),
        source=str(r["source_id"]),
        lang=r["lang"] or None,
        title=r["title"],
        engagement=r["engagement"],
        mainstream=r["source__mainstream"],
        parent=_key(r["source_id"], r["parent"]) if r["parent"] else None,
    )


def _follow_merges(merges: Mapping[int, int]) -> None:
    """Items of events the engine merged away now belong to the survivor (``merged → survivor`` pks)."""
    for merged, survivor in merges.items():
        Item.objects.filter(event_id=merged).update(event_id=survivor)
        Event.objects.filter(pk=merged).update(merged_into_id=survivor)
        # An event merged into this one earlier now points at the survivor too (no chains).
        Event.objects.filter(merged_into_id=merged).update(merged_into_id=survivor)


def _catch_up_batch(org_id: int, limit: int, *, wait: bool) -> CatchUpResult | None:
    """Run the organisation's engine over up to ``limit`` of its pending items, persist, in ONE transaction.

    ``None`` when the engine is busy (``wait=False`` and another process holds it). Call inside
    ``transaction.atomic()``.
    """
    # Lock the organisation's engine state first: its batches run one at a time (PostgreSQL row
    # lock; SQLite's IMMEDIATE transaction already holds the write lock).
    locking = PipelineState.objects.select_for_update(
        skip_locked=not wait and connection.features.has_select_for_update_skip_locked
    )
    state = locking.filter(organisation_id=org_id).first()
    if state is None:
        if not wait and PipelineState.objects.filter(organisation_id=org_id).exists():
            return None
        state, _ = locking.get_or_create(organisation_id=org_id)
    source_ids = organisation_source_ids(org_id)
    pending = list(
        Item.objects.filter(pending=True, source_id__in=source_ids).order_by("pk").values_list("pk", flat=True)[:limit]
    )
    if not pending:
        return CatchUpResult(organisation_id=org_id)
    rows: dict[int, dict[str, Any]] = {}
    for part in _chunks(pending):
        for row in Item.objects.filter(pk__in=part).values(*_ITEM_FIELDS):
            rows[row["pk"]] = row
    ordered = sorted(rows.values(), key=lambda r: (r["published_at"], r["pk"]))  # the engine wants a stream
    from qingting.web.sentiment.selectors import engine_analyzer

    engine, warm = pipeline_cache.get(state)
    engine.analyzer = engine_analyzer(org_id)  # the organisation's active sentiment model
    result = engine.partial_fit([_core_item(r) for r in ordered])
    assignments: tuple[Assignment, ...] = result.assignments
    if len(assignments) != len(ordered):
        raise RuntimeError(f"the engine returned {len(assignments)} assignments for {len(ordered)} items")
    events = _persist_events(org_id, result.events)
    wanted = {a.event_id for a in assignments if a.event_id is not None}
    wanted |= {s.merged_into for s in result.events if s.merged_into is not None}
    missing = wanted - set(events)
    if missing:
        for event in Event.objects.filter(organisation_id=org_id, engine_event_id__in=list(missing)):
            events[event.engine_event_id] = event

    known = {_key(r["source_id"], r["external_id"]): r["pk"] for r in ordered}
    dup_keys = {a.duplicate_of for a in assignments if a.duplicate_of}
    rep_keys = {s.representative_id for s in result.events if s.representative_id}
    pks = _resolve_keys(dup_keys | rep_keys, known)
    placed: list[_NewItem] = []
    for r, a in zip(ordered, assignments, strict=True):
        placed_in = events.get(a.event_id) if a.event_id is not None else None
        dup = pks.get(a.duplicate_of) if a.duplicate_of else None
        if dup == r["pk"]:
            dup = None
        placed.append(
            _NewItem(
                pk=r["pk"],
                source_id=r["source_id"],
                external_id=r["external_id"],
                url="",
                title=r["title"],
                text=r["text"],
                lang=(a.lang or r["lang"])[:16],
                published_at=r["published_at"],
                collected_at=r["published_at"],
                author_pseudonym="",
                engagement=r["engagement"],
                region=r["region"],
                parent=r["parent"],
                pending=False,
                # An event merged away (by the engine earlier, or by an analyst) takes no items:
                # they go to the event it was merged into.
                event_id=(placed_in.merged_into_id or placed_in.pk) if placed_in else None,
                duplicate_of_id=dup,
                duplicate_kind=str(a.duplicate_kind) if a.duplicate_kind else "",
                sentiment=float(a.sentiment),
                sentiment_label=str(a.sentiment_label),
            )
        )
    claimed = _update_rows(
        Item._meta.db_table,
        ["event_id", "duplicate_of_id", "duplicate_kind", "sentiment", "sentiment_label", "lang", "pending"],
        ["bigint", "bigint", "text", "double precision", "text", "text", "boolean"],
        [
            (i.event_id, i.duplicate_of_id, i.duplicate_kind, i.sentiment, i.sentiment_label, i.lang, False, i.pk)
            for i in placed
        ],
        where="pending",
    )
    if claimed is not None:
        placed = [i for i in placed if i.pk in claimed]
    merges = {
        events[s.event_id].pk: events[s.merged_into].pk
        for s in result.events
        if s.merged_into is not None and s.event_id in events and s.merged_into in events
    }
    if merges:
        _follow_merges(merges)
    reps = []
    for summary in result.events:
        rep_event = events.get(summary.event_id)
        rep = pks.get(summary.representative_id)
        if rep_event is not None and rep is not None and rep_event.representative_id != rep:
            rep_event.representative_id = rep
            reps.append(rep_event)
    if reps:
        _fast_update(reps, ["representative"])
    _index(placed)
    _count_daily(placed)
    membership.match_items(org_id, [r for r in ordered if r["pk"] in {i.pk for i in placed}])
    touched = tuple(
        dict.fromkeys(
            [events[s.event_id].pk for s in result.events if s.event_id in events]
            + [i.event_id for i in placed if i.event_id is not None]
        )
    )
    scheme_events = membership.scheme_events_refresh(touched)

    # A checkpoint every CHECKPOINT_ITEMS items or CHECKPOINT_SECONDS; the batches in between are
    # listed for replay, in the order the engine saw them, in this same transaction.
    now = timezone.now()
    replay = [*(state.replay or []), [r["pk"] for r in ordered]]
    due = state.checkpoint_at is None or (now - state.checkpoint_at).total_seconds() >= CHECKPOINT_SECONDS
    # A cold engine (another process had it, or a restart) paid for a restore: checkpoint now, so
    # processes taking turns never replay more than one batch.
    if due or not warm or sum(len(b) for b in replay) >= CHECKPOINT_ITEMS:
        state.snapshot = engine.snapshot()
        state.checkpoint_at = now
        state.replay = []
    else:
        state.replay = replay
    state.version += 1
    state.last_item_id = max(state.last_item_id, max(rows))
    state.items_ingested += len(ordered)
    state.save()
    # Hand the engine to the next batch only once this transaction has really committed.
    transaction.on_commit(lambda: pipeline_cache.put(state, engine))
    item_ids = tuple(r["pk"] for r in ordered)
    transaction.on_commit(
        lambda: batch_ingested.send_robust(
            sender=Scheme,
            organisation_id=org_id,
            event_ids=list(touched),
            item_ids=list(item_ids),
            scheme_events=scheme_events,
            now=now,
        )
    )
    return CatchUpResult(organisation_id=org_id, items=len(ordered), batches=1, event_ids=touched, item_ids=item_ids)


def _merge(total: CatchUpResult, step: CatchUpResult) -> CatchUpResult:
    return CatchUpResult(
        scheme_id=total.scheme_id,
        organisation_id=total.organisation_id,
        items=total.items + step.items,
        batches=total.batches + step.batches,
        event_ids=tuple(dict.fromkeys(total.event_ids + step.event_ids)),
        item_ids=total.item_ids + step.item_ids,
    )


def _pending_in(org_id: int) -> bool:
    return Item.objects.filter(pending=True, source_id__in=organisation_source_ids(org_id)).exists()


def pipeline_catch_up(
    *,
    scheme: Scheme | None = None,
    organisation: Unit | int | None = None,
    batch: int = 1000,
    max_items: int | None = None,
    wait: bool = True,
) -> CatchUpResult:
    """Run the organisation's engine (of ``organisation``, or of ``scheme``'s unit) over its
    pending items in order, ``batch`` items per transaction.

    Each batch persists events, placements, sentiment, the search index, the daily counts, the
    schemes' memberships and the engine's state in ONE transaction, so a crash loses nothing and
    a restart continues from the next pending item. ``wait=False`` returns at once (``busy``) when
    another process is running this engine; that process takes the items (it looks again after
    releasing the engine, so nothing is stranded).
    """
    if organisation is None:
        if scheme is None:
            raise ValueError("pipeline_catch_up needs a scheme or an organisation")
        org_id = organisation_id(scheme.unit)
    else:
        org_id = organisation if isinstance(organisation, int) else organisation_id(organisation)
    total = CatchUpResult(scheme_id=scheme.pk if scheme is not None else None, organisation_id=org_id)
    while max_items is None or total.items < max_items:
        limit = batch if max_items is None else min(batch, max_items - total.items)
        try:
            with transaction.atomic():
                step = _catch_up_batch(org_id, limit, wait=wait)
        except BaseException:
            pipeline_cache.clear()  # the engine may have seen items the database did not keep
            raise
        if step is None:
            return CatchUpResult(**{**total.__dict__, "busy": True})
        total = _merge(total, step)
        # Released the engine with nothing left; a batch stored while we held it is seen now.
        if step.items == 0 and not _pending_in(org_id):
            break
    return total


def _organisations_pending() -> list[int]:
    source_ids = set(Item.objects.filter(pending=True).values_list("source_id", flat=True).distinct())
    paths = Source.objects.filter(pk__in=list(source_ids)).values_list("unit__path", flat=True)
    return sorted({int(p.strip("/").split("/")[0]) for p in paths if p.strip("/")})


def pipeline_catch_up_all(now: datetime | None = None) -> int:
    """Catch up every organisation with pending items (the periodic job ``monitoring.catch_up``); returns items."""
    return sum(pipeline_catch_up(organisation=org_id, wait=False).items for org_id in _organisations_pending())


def pending_count(scheme: Scheme | None = None) -> int:
    """Items stored but not yet placed by the engine (of ``scheme``'s sources, or of all)."""
    qs = Item.objects.filter(pending=True)
    return (qs.filter(source__in=scheme.sources.all()) if scheme is not None else qs).count()


@dataclass(frozen=True)
class IngestResult:
    """What one call of :func:`ingest_items` did."""

    created: int
    skipped: int  # already stored (same source and external id), or repeated within the batch
    errors: tuple[RecordError, ...] = ()
    events_touched: int = 0
    item_ids: tuple[int, ...] = field(default=(), repr=False)


def ingest_items(
    *, scheme: Scheme | None = None, source: Source, records: Iterable[Mapping[str, Any]], actor: Any = None
) -> IngestResult:
    """Store new items of ``source``, run the organisation's engine on them, persist everything.

    ``records`` are mappings with ``external_id`` (or ``id``), ``text``, and optionally
    ``title``, ``url``, ``published_at`` (or ``time``: datetime, ISO 8601 or unix seconds),
    ``author`` (a handle: only its keyed pseudonym is stored), ``engagement``, ``region``, ``lang``,
    ``parent`` (the external id of the item this one reposts). Records already stored, or repeated
    within the batch, are skipped; invalid ones are reported in ``errors`` and not stored.

    The items and their placements by the organisation's engine (and every scheme's matches)
    are written in ONE transaction. ``scheme`` is accepted for callers written before decision
    0061 (it no longer selects an engine). For bulk imports, :func:`store_items` and a later
    :func:`pipeline_catch_up` are faster.

    >>> ingest_items(source=src, records=[{"id": "1", "text": "柳湾镇停水了"}])  # doctest: +SKIP
    IngestResult(created=1, skipped=0, errors=(), events_touched=1)
    """
    if source.unit_id is None:
        raise ValueError("the source has no unit")
    now = timezone.now()
    records_ok, errors, skipped = _validated(records, now)
    scheme_ids = _following(source, [scheme] if scheme is not None else [])
    org_id = organisation_id(source.unit)
    touched: tuple[int, ...] = ()
    try:
        with transaction.atomic():
            stored = _store(source, records_ok, errors, skipped, scheme_ids, actor, now)
            if stored.created:
                # Normally nothing else is pending, so this is one batch; a backlog is taken too.
                limit = max(1000, stored.created)
                while (step := _catch_up_batch(org_id, limit, wait=True)) is not None:
                    touched += step.event_ids
                    if step.items < limit:
                        break
    except BaseException:
        # The engine may have seen items the database did not keep: never reuse it.
        pipeline_cache.clear()
        raise
    return IngestResult(
        created=stored.created,
        skipped=stored.skipped,
        errors=stored.errors,
        events_touched=len(set(touched)),
        item_ids=stored.item_ids,
    )


def ingest_items_by_ids(
    *, source_id: int, records: Iterable[Mapping[str, Any]], scheme_id: int | None = None
) -> IngestResult:
    """:func:`ingest_items` for a task queue: takes ids, loads the rows itself."""
    scheme = Scheme.objects.filter(pk=scheme_id).first() if scheme_id else None
    source = Source.objects.select_related("unit").get(pk=source_id)
    return ingest_items(scheme=scheme, source=source, records=records)


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


# --- scheme edits (appended by the warnings app) --------------------------------------------------


@transaction.atomic
def scheme_update(*, actor: Any, scheme: Scheme, name: str | None = None, expression: str | None = None) -> Scheme:
    """Change a scheme's name or expression (the expression must parse: ``ValueError`` names where not).

    Permission checks are the caller's (the warnings app lets a unit's admins and analysts edit).
    """
    old = {"name": scheme.name, "expression": scheme.expression}
    if expression is not None and expression.strip() not in ("", "*"):
        from qingting.core.rules import parse

        parse(expression)  # raises ParseError (a ValueError) with the position
    if name is not None:
        if not name.strip():
            raise ValueError("a scheme needs a name")
        scheme.name = name.strip()[:200]
    if expression is not None:
        scheme.expression = expression.strip()
    scheme.save(update_fields=["name", "expression"])
    if old["expression"] != scheme.expression:
        membership.scheme_backfill_queue(scheme)  # applied to stored items in the background
    audit_record(
        actor=actor,
        action="scheme.update",
        obj=scheme,
        old=old,
        new={"name": scheme.name, "expression": scheme.expression},
    )
    return scheme


# --- an analyst's corrections: merge and split events (decision 0061) ------------------------------

EVENT_EDIT_ROLES = {"admin", "analyst"}


def _organisation_unit(event: Event) -> Unit:
    return Unit.objects.get(pk=event.organisation_id)


def _require_event_editor(actor: Any, event: Event) -> None:
    from django.core.exceptions import PermissionDenied

    from qingting.web.accounts.selectors import has_role

    if not has_role(actor, _organisation_unit(event), EVENT_EDIT_ROLES):
        raise PermissionDenied("merging or splitting events needs the analyst role for the whole organisation")


def _recount(event: Event) -> None:
    """An event's figures from its items, after an analyst moved items in or out."""
    from django.db.models import Count, Max, Min, Q, Sum

    f = Item.objects.filter(event=event).aggregate(
        n=Count("id"),
        dups=Count("id", filter=Q(duplicate_of__isnull=False)),
        sources=Count("source", distinct=True),
        neg=Count("id", filter=Q(sentiment_label="negative")),
        first=Min("published_at"),
        last=Max("published_at"),
        engagement=Sum("engagement"),
    )
    n = f["n"] or 0
    event.item_count, event.duplicate_count, event.source_count = n, f["dups"] or 0, f["sources"] or 0
    event.negative_share = (f["neg"] or 0) / n if n else 0.0
    event.engagement = f["engagement"] or 0
    if f["first"] is not None:
        event.first_seen, event.last_seen = f["first"], f["last"]
    event.buckets = []  # the engine's buckets no longer describe it; the page counts per day
    event.save()


@transaction.atomic
def event_merge(*, actor: Any, event: Event, into: Event) -> Event:
    """Merge ``event`` into ``into`` (an analyst found they are one story): its items move, its
    address redirects, the schemes' counts follow. Reversible with :func:`event_split` (the
    audit entry lists the items moved)."""
    if event.pk == into.pk or event.organisation_id != into.organisation_id:
        raise ValueError("an event can only be merged into another event of the same organisation")
    if into.merged_into_id is not None:
        raise ValueError("that event has itself been merged into another")
    _require_event_editor(actor, event)
    moved = list(Item.objects.filter(event=event).values_list("pk", flat=True))
    _follow_merges({event.pk: into.pk})
    _recount(into)
    Event.objects.filter(pk=event.pk).update(item_count=0, retired=True)
    membership.scheme_events_refresh([event.pk, into.pk])
    audit_record(actor=actor, action="event.merge", obj=event, old={"items": moved}, new={"merged_into": into.pk})
    into.refresh_from_db()
    return into


@transaction.atomic
def event_split(*, actor: Any, event: Event, item_ids: Sequence[int], title: str = "") -> Event:
    """Move ``item_ids`` of ``event`` into a new event (an analyst found a second story in it)."""
    _require_event_editor(actor, event)
    items = list(Item.objects.filter(event=event, pk__in=list(item_ids)).order_by("published_at", "pk"))
    if not items:
        raise ValueError("choose items of this event to split off")
    if len(items) == Item.objects.filter(event=event).count():
        raise ValueError("leave at least one item in the event")
    first = items[0]
    new = Event.objects.create(
        organisation_id=event.organisation_id,
        engine_event_id=-(2**62) - first.pk,  # replaced by -pk below; negative ids are never the engine's
        title=(title.strip() or first.title or first.text)[:300],
        keywords=list(event.keywords or []),
        first_seen=first.published_at,
        last_seen=items[-1].published_at,
        representative=first,
    )
    Event.objects.filter(pk=new.pk).update(engine_event_id=-new.pk)
    Item.objects.filter(pk__in=[i.pk for i in items]).update(event=new)
    # A copy points at its original: copies follow their original into the new event.
    Item.objects.filter(event=event, duplicate_of__in=[i.pk for i in items]).update(event=new)
    new.refresh_from_db()
    _recount(new)
    _recount(event)
    membership.scheme_events_refresh([event.pk, new.pk])
    audit_record(
        actor=actor,
        action="event.split",
        obj=event,
        new={"event": new.pk, "items": list(Item.objects.filter(event=new).values_list("pk", flat=True))},
    )
    return new
