"""Events merged and split: following the engine's merges, and an analyst's corrections."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection, transaction

from qingting.web.accounts.models import Unit
from qingting.web.audit.services import audit_record
from qingting.web.monitoring import membership
from qingting.web.monitoring.models import Event, Item
from qingting.web.monitoring.services.indexing import event_places_refresh


def _follow_merges(merges: Mapping[int, int]) -> None:
    """Items of events the engine merged away now belong to the survivor (``merged → survivor`` pks).

    A survivor merged away in the same batch (A → B, B → C) hands everything to the last one
    (A → C), whatever order the merges come in. Three statements, each run for every merge in
    one round trip (a batch reports tens of merges).
    """
    final: dict[int, int] = {}
    for merged, survivor in merges.items():
        seen = {merged}
        while survivor in merges and survivor not in seen:
            seen.add(survivor)
            survivor = merges[survivor]
        if survivor != merged:
            final[merged] = survivor
    if not final:
        return
    moves = [(survivor, merged) for merged, survivor in sorted(final.items())]
    qn = connection.ops.quote_name
    items, events = qn(Item._meta.db_table), qn(Event._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {items} SET event_id = %s WHERE event_id = %s", moves)
        cursor.executemany(f"UPDATE {events} SET merged_into_id = %s WHERE id = %s", moves)
        # An event merged into one of these earlier now points at the survivor too (no chains).
        cursor.executemany(f"UPDATE {events} SET merged_into_id = %s WHERE merged_into_id = %s", moves)


def _follow_moves(moves: Sequence[tuple[Sequence[int], int, int]]) -> set[int]:
    """Items the engine moved from one event to another (decision 0128): ``(item pks, from, to)``
    event pks, each already following merges. An item is re-pointed only while it is still where
    the engine placed it (an analyst may have moved it since). Returns the events whose items
    changed, to be recounted."""
    changed: set[int] = set()
    for pks, source, target in moves:
        if source == target or not pks:
            continue
        if Item.objects.filter(pk__in=list(pks), event_id=source).update(event_id=target):
            changed |= {source, target}
    return changed


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
    """An event's figures from its items, after an analyst moved items in or out. (Its sentiment
    figures follow from its places, recounted by ``event_places_refresh``: decision 0131.)"""
    from django.db.models import Count, Max, Min, Q, Sum

    f = Item.objects.filter(event=event).aggregate(
        n=Count("id"),
        dups=Count("id", filter=Q(duplicate_of__isnull=False)),
        sources=Count("source", distinct=True),
        first=Min("published_at"),
        last=Max("published_at"),
        engagement=Sum("engagement"),
    )
    n = f["n"] or 0
    event.item_count, event.duplicate_count, event.source_count = n, f["dups"] or 0, f["sources"] or 0
    event.engagement = f["engagement"] or 0
    if f["first"] is not None:
        event.first_seen, event.last_seen = f["first"], f["last"]
    event.buckets = []  # the engine's buckets no longer describe it; the page counts per day
    event.save(
        update_fields=[
            "item_count", "duplicate_count", "source_count", "engagement", "first_seen", "last_seen", "buckets",
            "updated_at",
        ]
    )  # fmt: skip


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
    from qingting.web.monitoring.services.engine import _event_fields, engine_merge  # engine imports this module

    moved = list(Item.objects.filter(event=event).values_list("pk", flat=True))
    _follow_merges({event.pk: into.pk})
    # The engine follows (later batches then write figures that count both events' items).
    summary = engine_merge(event=event, into=into)
    _recount(into)
    if summary is not None:  # the engine's view of the merged story: its heat, trend and buckets
        fields = _event_fields(summary)
        Event.objects.filter(pk=into.pk).update(**{k: fields[k] for k in ("heat", "trend", "burst_z", "buckets")})
    Event.objects.filter(pk=event.pk).update(item_count=0, retired=True)
    membership.scheme_events_refresh([event.pk, into.pk])
    event_places_refresh([event.pk, into.pk])
    audit_record(
        actor=actor,
        action="event.merge",
        obj=event,
        old={"items": moved},
        new={"merged_into": into.pk, "engine_followed": summary is not None},
    )
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
    # The engine follows (decision 0066): the moved items become its own event, kept apart from
    # this one, so later posts of that story land in the new event and no merge undoes the split.
    from qingting.web.monitoring.services.engine import engine_split_off  # engine imports this module

    moved = list(Item.objects.filter(event=new).values_list("pk", flat=True))
    engine_id = engine_split_off(event=event, item_pks=moved)
    if engine_id is not None:
        Event.objects.filter(pk=new.pk).update(engine_event_id=engine_id)
    new.refresh_from_db()
    _recount(new)
    _recount(event)
    membership.scheme_events_refresh([event.pk, new.pk])
    event_places_refresh([event.pk, new.pk])
    audit_record(
        actor=actor,
        action="event.split",
        obj=event,
        new={"event": new.pk, "items": moved, "engine_event": engine_id},
    )
    return new
