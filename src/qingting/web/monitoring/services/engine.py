"""The organisation's listening engine run over its pending items (decision 0061).

One engine per organisation (the root unit of a unit tree) places every item the organisation
collects, once (:func:`pipeline_catch_up`): events, placements, sentiment, the search index, the
daily counts and the schemes' memberships of a batch are written in ONE transaction. The events'
sentiment figures are derived from their places (decision 0131), not from the engine's sums.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from django.db import connection, transaction
from django.utils import timezone

from qingting.core.types import Assignment, EventSummary
from qingting.core.types import Item as CoreItem
from qingting.web.accounts.models import Unit
from qingting.web.monitoring import membership
from qingting.web.monitoring.membership import organisation_id, organisation_source_ids
from qingting.web.monitoring.models import Event, Item, PipelineState, Scheme, Source
from qingting.web.monitoring.selectors import scheme_source_ids
from qingting.web.monitoring.services.bulk import _CHUNK, _chunks, _fast_update, _NewItem, _update_rows
from qingting.web.monitoring.services.events import _follow_merges, _follow_moves
from qingting.web.monitoring.services.indexing import (
    _count_daily,
    _index,
    event_places_add,
    event_places_refresh,
)
from qingting.web.monitoring.signals import batch_ingested

log = logging.getLogger(__name__)
_T = TypeVar("_T")


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


def _event_fields(summary: EventSummary) -> dict[str, Any]:
    # Not the summary's sentiment and negative share: the engine's in-memory sums keep the labels
    # it gave, while the stored items' labels move (corrections, re-scores). An event's sentiment
    # figures are derived from its places, which follow the items (decision 0131).
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
    wanted |= {e for mv in result.moves for e in (mv.source, mv.target)}
    missing = wanted - set(events)
    if missing:
        for event in Event.objects.filter(organisation_id=org_id, engine_event_id__in=list(missing)):
            events[event.engine_event_id] = event

    known = {_key(r["source_id"], r["external_id"]): r["pk"] for r in ordered}
    dup_keys = {a.duplicate_of for a in assignments if a.duplicate_of}
    rep_keys = {s.representative_id for s in result.events if s.representative_id}
    move_keys = {k for mv in result.moves for k in mv.items}
    pks = _resolve_keys(dup_keys | rep_keys | move_keys, known)
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
                folded=r["folded"],
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
    # Items the engine moved to another event (decision 0128), after the merges: both ends as
    # they are once this batch's merges are followed.
    shifted = _follow_moves(
        [
            (
                [pks[k] for k in mv.items if k in pks],
                _final(events[mv.source].pk, merges),
                _final(events[mv.target].pk, merges),
            )
            for mv in result.moves
            if mv.source in events and mv.target in events
        ]
    )
    moved_pks = {pks[k] for k in move_keys if k in pks}
    reps = []
    for summary in result.events:
        rep_event = events.get(summary.event_id)
        rep = pks.get(summary.representative_id)
        if rep_event is not None and rep is not None and rep_event.representative_id != rep:
            rep_event.representative_id = rep
            reps.append(rep_event)
        elif rep_event is not None and rep is None and rep_event.representative_id in moved_pks:
            rep_event.representative_id = None  # its headline item moved to another event
            reps.append(rep_event)
    if reps:
        _fast_update(reps, ["representative"])
    _index(placed)
    _count_daily(placed)
    placed_ids = {i.pk for i in placed}
    pairs = membership.match_items(org_id, [r for r in ordered if r["pk"] in placed_ids])
    touched = tuple(
        dict.fromkeys(
            [events[s.event_id].pk for s in result.events if s.event_id in events]
            + [i.event_id for i in placed if i.event_id is not None]
        )
    )
    # Schemes' figures: events whose items moved (merges) are recounted from their items; the
    # others only gained this batch's items, which are added to their figures (re-reading an
    # event of thousands of items every batch cost more than the engine).
    moved = set(merges) | set(merges.values()) | shifted
    membership.scheme_events_add(
        pairs,
        {i.pk: (i.event_id, i.published_at) for i in placed if i.event_id is not None and i.event_id not in moved},
    )
    if moved:
        membership.scheme_events_refresh(moved)
    # Who may see each event (decision 0109) and its sentiment figures (decision 0131): the same
    # split, gains added, moved events recounted.
    event_places_add([i for i in placed if i.event_id not in moved])
    if moved:
        event_places_refresh(moved)
    scheme_events = membership.schemes_matching(touched)

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


def _final(pk: int, merges: Mapping[int, int]) -> int:
    """The event ``pk`` ends in once a batch's merges (``merged → survivor`` pks) are followed."""
    seen = {pk}
    while pk in merges and merges[pk] not in seen:
        pk = merges[pk]
        seen.add(pk)
    return pk


def _engine_follows(org_id: int, change: Callable[[Any], _T]) -> _T | None:
    """Apply an analyst's correction to the organisation's engine and checkpoint it at once, in the
    caller's transaction; ``None`` (engine unchanged) when there is no engine yet or ``change``
    raises ``KeyError``/``ValueError`` (nothing for the engine to follow)."""
    state = PipelineState.objects.select_for_update().filter(organisation_id=org_id).first()
    if state is None:
        return None
    engine, _ = pipeline_cache.get(state)
    try:
        out = change(engine)
    except (KeyError, ValueError):
        pipeline_cache.put(state, engine)  # unchanged
        return None
    state.snapshot = engine.snapshot()
    state.checkpoint_at = timezone.now()
    state.replay = []
    state.version += 1
    state.save()
    transaction.on_commit(lambda: pipeline_cache.put(state, engine))
    return out


def engine_split_off(*, event: Event, item_pks: Sequence[int]) -> int | None:
    """Tell the organisation's engine that an analyst moved these items out of ``event``.

    The engine makes them an event of its own and keeps the two apart from then on (no merge joins
    them again; later posts like the moved ones join the new event). Returns the engine's id of the
    new event, or ``None`` when the engine has nothing to follow: ``event`` is not the engine's
    (an analyst's own event), or has retired from it, or the items have no words. Checkpoints the
    engine at once, in the caller's transaction (call inside ``transaction.atomic()``).
    """
    if event.engine_event_id < 0:
        return None
    rows = Item.objects.filter(pk__in=list(item_pks)).order_by("published_at", "pk").values(*_ITEM_FIELDS)
    items = [_core_item(r) for r in rows]
    new = _engine_follows(event.organisation_id, lambda engine: engine.split_off(event.engine_event_id, items)[1])
    return None if new is None else int(new.event_id)


def engine_merge(*, event: Event, into: Event) -> EventSummary | None:
    """Tell the organisation's engine that an analyst merged ``event`` into ``into``.

    The engine merges its two events, so the figures later batches write on ``into`` count the
    items of both and posts like either land in it. Returns the engine's summary of the merged
    event, or ``None`` when the engine has nothing to follow (either is an analyst's own event or
    has retired from the engine). Call inside ``transaction.atomic()``.
    """
    if event.engine_event_id < 0 or into.engine_event_id < 0:
        return None
    return _engine_follows(
        event.organisation_id, lambda engine: engine.merge_events(event.engine_event_id, into.engine_event_id)
    )


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
    if scheme is not None:
        qs = qs.filter(source_id__in=sorted(scheme_source_ids([scheme.pk])[scheme.pk]))
    return qs.count()
