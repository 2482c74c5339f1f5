"""Items entering the database: :func:`store_items` (stored, pending for the engine) and
:func:`ingest_items` (stored and placed in one transaction).

Storing is idempotent: an item is unique by (source, external id).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from qingting.core.types import RecordError
from qingting.web.audit.services import audit_record
from qingting.web.monitoring.membership import folded_form, organisation_id
from qingting.web.monitoring.models import Item, Scheme, Source
from qingting.web.monitoring.services.bulk import _chunks, _insert_items, _NewItem
from qingting.web.monitoring.services.engine import _catch_up_batch, pipeline_cache
from qingting.web.monitoring.services.indexing import source_hours_add
from qingting.web.monitoring.services.records import _Record, _validated


@dataclass(frozen=True)
class StoreResult:
    """What one call of :func:`store_items` did."""

    created: int
    skipped: int  # already stored (same source and external id), or repeated within the batch
    errors: tuple[RecordError, ...] = ()
    item_ids: tuple[int, ...] = field(default=(), repr=False)
    scheme_ids: tuple[int, ...] = ()  # the active schemes following the source (they will match the items)
    organisation_id: int | None = None  # whose engine now has these items pending


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
                folded=folded_form(r.title, r.text),
            )
            for r in new
        ]
    )
    skipped += len(records) - len(items)
    if items:
        Source.objects.filter(pk=source.pk).update(item_count=F("item_count") + len(items), last_success_at=now)
        source_hours_add(items, now)  # the sources' health: items per hour (decision 0110)
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
