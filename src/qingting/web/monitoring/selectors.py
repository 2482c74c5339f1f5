"""Reads for monitoring. Every function takes the user and applies the one scoping rule."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Case, Count, Exists, Max, OuterRef, Q, QuerySet, Sum, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncDate
from django.http import Http404
from django.utils import timezone

from qingting.web.accounts.models import Unit
from qingting.web.accounts.selectors import scope, scope_roots, visible_unit_ids
from qingting.web.monitoring import search
from qingting.web.monitoring.hours import item_counts as item_counts  # re-exported (decision 0110)
from qingting.web.monitoring.hours import item_total as item_total
from qingting.web.monitoring.models import (
    DailyCount,
    Event,
    EventPlace,
    Item,
    Scheme,
    SchemeEvent,
    SchemeItem,
    Source,
)

# A handful of posts is not a rising event, however steep its burst: below this volume an event
# is never shown as rising (dashboard) nor ranked above bigger ones by trend (board). Operators
# may set QINGTING_RISING_MIN_ITEMS.
RISING_MIN_ITEMS = 10

BACKFILL_DAYS = 365  # how far back a new or edited scheme is applied (QINGTING_SCHEME_BACKFILL_DAYS)


def organisation_id(unit: Any) -> int:
    """The root unit of ``unit``'s tree: the organisation whose engine places its sources' items."""
    parts = [p for p in str(unit.path).strip("/").split("/") if p.isdigit()]
    return int(parts[0]) if parts else int(unit.pk)


def backfill_days() -> int:
    """How many days back a new or edited scheme is applied (setting ``QINGTING_SCHEME_BACKFILL_DAYS``)."""
    return max(1, int(getattr(settings, "QINGTING_SCHEME_BACKFILL_DAYS", BACKFILL_DAYS)))


def rising_min_items() -> int:
    """The volume an event needs before it counts as rising (setting ``QINGTING_RISING_MIN_ITEMS``)."""
    from django.conf import settings

    return max(1, int(getattr(settings, "QINGTING_RISING_MIN_ITEMS", RISING_MIN_ITEMS)))


EVENT_SORTS = {"heat": ("-heat", "-last_seen"), "trend": ("-burst_z", "-heat"), "recent": ("-last_seen", "-heat")}


def scheme_source_ids(scheme_ids: Iterable[int]) -> dict[int, set[int]]:
    """The sources each scheme follows: those chosen one by one, and every source of its units and
    of the units under them (a source added to such a unit later is followed from then on).

    >>> scheme_source_ids([7])  # doctest: +SKIP
    {7: {3, 4, 12}}
    """
    ids = sorted(set(scheme_ids))
    out: dict[int, set[int]] = {pk: set() for pk in ids}
    if not ids:
        return out
    links = Scheme.sources.through.objects.filter(scheme_id__in=ids).values_list("scheme_id", "source_id")
    for scheme_id, source_id in links:
        out[scheme_id].add(source_id)
    followed = list(Scheme.units.through.objects.filter(scheme_id__in=ids).values_list("scheme_id", "unit__path"))
    if followed:
        under = Q()
        for path in {path for _, path in followed}:
            under |= Q(unit__path__startswith=path)
        for source_id, unit_path in Source.objects.filter(under).values_list("pk", "unit__path"):
            for scheme_id, path in followed:
                if unit_path.startswith(path):
                    out[scheme_id].add(source_id)
    return out


def schemes_following(source: Source) -> QuerySet[Scheme]:
    """The active schemes that follow ``source``: chosen by itself, or through its unit or a unit above it."""
    above = [int(p) for p in str(source.unit.path).strip("/").split("/") if p.isdigit()]
    following = Q(sources=source) | Q(units__in=above)
    return Scheme.objects.filter(following, is_active=True).distinct()


def sources_for(user: Any) -> QuerySet[Source]:
    """Sources of the units the user may see."""
    return scope(Source.objects.select_related("unit"), user, unit_field="unit")


def schemes_for(user: Any) -> QuerySet[Scheme]:
    """Schemes of the units the user may see (not the deleted ones: ``services.scheme_delete``)."""
    return scope(Scheme.objects.filter(is_active=True).select_related("unit"), user, unit_field="unit")


def _visible_items(user: Any) -> Q | None:
    """Which items the user may see: those of their units' sources, and those about their units'
    places (an item's ``region`` naming one of their units, e.g. 柳湾镇). ``None``: all of them."""
    ids = visible_unit_ids(user)
    if ids is None:
        return None
    if not ids:
        return Q(pk__in=[])
    names = [n for n in Unit.objects.filter(pk__in=ids).values_list("name", flat=True) if n]
    return Q(source__unit_id__in=ids) | Q(region__in=names)


def _whole_organisations(user: Any) -> list[int]:
    """Organisations (root units) the user sees entirely: every event of theirs is visible."""
    ids = visible_unit_ids(user)
    return [] if not ids else list(Unit.objects.filter(pk__in=ids, parent__isnull=True).values_list("pk", flat=True))


def _places_of_units(ids: Any) -> QuerySet[EventPlace]:
    """The event places (decision 0109) of these units' sources or naming their places."""
    ids = list(ids)
    sources = list(Source.objects.filter(unit_id__in=ids).values_list("pk", flat=True))
    names = [n for n in Unit.objects.filter(pk__in=ids).values_list("name", flat=True) if n]
    return EventPlace.objects.filter(Q(source_id__in=sources) | Q(region__in=names))


def events_for(user: Any) -> QuerySet[Event]:
    """Events the user may see: those with at least one item the user may see (decision 0061).

    Read from the events' places (decision 0109: per (event, source, region) item counts kept by
    the engine), never by testing each event's items, which cost seconds at a million items.
    Events merged into another are included (their address redirects); boards exclude them.
    """
    qs = Event.objects.select_related("organisation")
    ids = visible_unit_ids(user)
    if ids is None:
        return qs
    if not ids:
        return qs.none()
    whole = _whole_organisations(user)
    some = Q(pk__in=_places_of_units(ids).values("event_id"))
    return qs.filter(Q(organisation_id__in=whole) | some) if whole else qs.filter(some)


def items_of_units(unit_ids: Any) -> QuerySet[Item]:
    """Items of these units' sources or about their places (an item's region naming one of them)."""
    ids = list(unit_ids)
    names = [n for n in Unit.objects.filter(pk__in=ids).values_list("name", flat=True) if n]
    return Item.objects.filter(Q(source__unit_id__in=ids) | Q(region__in=names))


def events_of_units(unit_ids: Any) -> QuerySet[Event]:
    """Events with an item of these units' sources or about their places (reports count these),
    read from the events' places (decision 0109)."""
    return Event.objects.filter(pk__in=_places_of_units(unit_ids).values("event_id"))


def items_for(user: Any) -> QuerySet[Item]:
    """Items the user may see: of their units' sources or about their units' places."""
    qs = Item.objects.select_related("source")
    visible = _visible_items(user)
    return qs if visible is None else qs.filter(visible)


@dataclass(frozen=True)
class EventView:
    """An event's figures over the items a user may see; ``subset`` when that is not all of them."""

    items: int
    total: int
    negative_share: float
    sources: int
    sentiment: float = 0.5  # mean positivity (corrected items count as 0.2/0.5/0.8)

    @property
    def subset(self) -> bool:
        return self.items < self.total


def event_view(user: Any, event: Event) -> EventView:
    """The event's figures computed over the items ``user`` may see (all of them for most users),
    read from the event's places (decision 0109), whose sentiment counts follow the items' current
    labels — analysts' corrections and re-scores included (decision 0131): one query over the
    event's few place rows, never over its items."""
    places = EventPlace.objects.filter(event=event, n__gt=0)
    total = int(places.aggregate(n=Sum("n"))["n"] or 0)
    visible = _visible_items(user)
    if visible is None or event.organisation_id in _whole_organisations(user):
        return EventView(total, total, float(event.negative_share), event.source_count, float(event.sentiment))
    mine = _places_of_units(visible_unit_ids(user) or []).filter(event=event, n__gt=0)  # as _visible_items
    figures = mine.aggregate(
        n=Sum("n"), neg=Sum("negative"), mood=Sum("positivity"), sources=Count("source_id", distinct=True)
    )
    n = int(figures["n"] or 0)
    return EventView(
        items=n,
        total=total,
        negative_share=(figures["neg"] or 0) / n if n else 0.0,
        sources=int(figures["sources"] or 0),
        sentiment=float(figures["mood"]) / n if n else 0.5,
    )


def attach_scheme_names(user: Any, events: Any) -> None:
    """Set ``scheme_names`` on each event: the schemes (of units the user sees) that match it."""
    events = list(events)
    names: dict[int, list[str]] = {e.pk: [] for e in events}
    rows = SchemeEvent.objects.filter(event_id__in=list(names), scheme__in=schemes_for(user)).order_by("scheme__name")
    for event_id, name in rows.values_list("event_id", "scheme__name"):
        names[event_id].append(name)
    for e in events:
        e.scheme_names = names[e.pk]


def can_edit_events(user: Any, event: Event) -> bool:
    """Whether ``user`` may merge or split the organisation's events (admin or analyst of it all)."""
    from qingting.web.accounts.selectors import has_role

    root = Unit.objects.filter(pk=event.organisation_id).first()
    return root is not None and has_role(user, root, {"admin", "analyst"})


def event_home_path(user: Any, event: Event) -> str:
    """The unit path an event belongs to for ``user``: the unit of the first of the user's schemes
    that match it, else its organisation's."""
    path = (
        SchemeEvent.objects.filter(event=event, scheme__in=schemes_for(user))
        .order_by("-scheme__unit__path")
        .values_list("scheme__unit__path", flat=True)
        .first()
    )
    return path or f"/{event.organisation_id}/"


def scheme_events(scheme_id: int) -> QuerySet[SchemeEvent]:
    """The (scheme, event) memberships of a scheme, with the matched counts (warnings, reports)."""
    return SchemeEvent.objects.filter(scheme_id=scheme_id)


def scheme_events_of(event_id: int) -> QuerySet[SchemeEvent]:
    """The schemes' memberships of one event."""
    return SchemeEvent.objects.filter(event_id=event_id)


def scheme_items(scheme_id: int) -> QuerySet[SchemeItem]:
    """The items a scheme matches."""
    return SchemeItem.objects.filter(scheme_id=scheme_id)


def event_items(event: Event | int) -> QuerySet[Item]:
    """The items in an event (the organisation's engine placed them there, merges followed)."""
    return Item.objects.filter(event_id=getattr(event, "pk", event))


def live_event(event: Event) -> Event:
    """The event that absorbed ``event`` (following merges to the survivor), or ``event`` itself."""
    seen = {event.pk}
    while event.merged_into_id is not None and event.merged_into_id not in seen:
        nxt = Event.objects.filter(pk=event.merged_into_id).first()
        if nxt is None:
            break
        seen.add(nxt.pk)
        event = nxt
    return event


def _day_start(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time.min))


@dataclass(frozen=True)
class EventFilters:
    """The event board's filters; every field optional."""

    scheme: int | None = None
    source_kind: str = ""
    sentiment: str = ""
    trend: str = ""
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "heat"


def event_board(user: Any, filters: EventFilters) -> QuerySet[Event]:
    """Events for the board: scoped, filtered, sorted by heat, trend (burst) or recency."""
    qs = events_for(user).filter(merged_into__isnull=True)
    if filters.scheme:
        qs = qs.filter(Exists(SchemeEvent.objects.filter(scheme_id=filters.scheme, event_id=OuterRef("pk"))))
    if filters.source_kind:
        qs = qs.filter(Exists_items_of_kind(filters.source_kind))
    # The event's figures follow its items' current labels, corrections included (decision 0131).
    mood = {
        "negative": Q(negative_share__gte=0.5),
        "positive": Q(negative_share__lt=0.5, sentiment__gte=0.6),
        "neutral": Q(negative_share__lt=0.5, sentiment__lt=0.6),
    }.get(filters.sentiment)
    if mood is not None:
        qs = qs.filter(mood)
    if filters.trend:
        qs = qs.filter(trend=filters.trend)
        if filters.trend == "rising":
            qs = qs.filter(item_count__gte=rising_min_items())
    if filters.date_from:
        qs = qs.filter(last_seen__gte=_day_start(filters.date_from))
    if filters.date_to:
        qs = qs.filter(first_seen__lt=_day_start(filters.date_to + timedelta(days=1)))
    if filters.sort == "trend":
        # Events big enough to be rising first, then by burst: a 3-post blip must not top the board.
        big = Case(When(item_count__gte=rising_min_items(), then=Value(1)), default=Value(0))
        return qs.annotate(big_enough=big).order_by("-big_enough", *EVENT_SORTS["trend"])
    return qs.order_by(*EVENT_SORTS.get(filters.sort, EVENT_SORTS["heat"]))


def Exists_items_of_kind(kind: str) -> Q:
    """Events with at least one item from a source of ``kind``."""
    return Q(Exists(Item.objects.filter(event_id=OuterRef("pk"), source__kind=kind)))


def event_get(user: Any, pk: int) -> Event:
    """One event the user may see, else 404 (never 403: do not confirm that it exists)."""
    event = events_for(user).filter(pk=pk).first()
    if event is None:
        raise Http404("no such event")
    return event


def event_at(user: Any, pk: int) -> Event:
    """What the address of event ``pk`` shows the user: the event, or — when it was merged into
    another — the live event that absorbed it. A merged event's items moved to the survivor, so a
    unit's user may no longer see the old event itself; its address still leads to the story when
    the user may see the survivor. Otherwise 404, as :func:`event_get`."""
    event = events_for(user).filter(pk=pk).first()
    if event is None:
        merged = Event.objects.filter(pk=pk, merged_into__isnull=False).first()
        live = live_event(merged) if merged is not None else None
        if live is None or live.merged_into_id is not None or not events_for(user).filter(pk=live.pk).exists():
            raise Http404("no such event")
        return live
    return live_event(event)


def event_posts(event: Event, *, limit: int = 20, user: Any = None) -> list[Item]:
    """Representative posts: originals (not duplicates) with how many copies each has, most copied
    first. ``visible`` (a user's item filter) limits them to what the user may see.

    Two indexed queries over the event's items instead of one GROUP BY over a self-join,
    which SQLite plans badly when few items have duplicates.
    """
    placements = Item.objects.filter(event=event)
    if user is not None:
        visible = _visible_items(user)
        if visible is not None:
            placements = placements.filter(visible)
    copies = dict(
        placements.filter(duplicate_of__isnull=False)
        .values_list("duplicate_of")
        .annotate(n=Count("id"))
        .values_list("duplicate_of", "n")
    )
    top = sorted((pk for pk in copies if pk is not None), key=lambda pk: -copies[pk])[:limit]
    posts = list(Item.objects.filter(pk__in=top).select_related("source")) if top else []
    posts.sort(key=lambda item: -copies.get(item.pk, 0))
    if len(posts) < limit:
        originals = placements.filter(duplicate_of__isnull=True).exclude(pk__in=top).values("pk")
        posts += list(
            Item.objects.filter(pk__in=originals)
            .select_related("source")
            .order_by("-engagement", "published_at")[: limit - len(posts)]
        )
    for item in posts:
        item.copies = copies.get(item.pk, 0)  # type: ignore[attr-defined]
    return posts


def event_sources(event: Event, *, user: Any = None) -> list[dict[str, Any]]:
    """The event's sources with their item counts."""
    qs = Item.objects.filter(event=event)
    if user is not None:
        visible = _visible_items(user)
        if visible is not None:
            qs = qs.filter(visible)
    rows = qs.values("source__name", "source__kind").annotate(n=Count("id")).order_by("-n")[:20]
    return [dict(r) for r in rows]


def event_timeline(event: Event) -> list[list[Any]]:
    """``[[iso time, count], ...]``: the engine's buckets, else item counts per day."""
    if event.buckets:
        return [
            [datetime.fromtimestamp(t, tz=timezone.get_current_timezone()).isoformat(), c] for t, c in event.buckets
        ]
    rows = (
        Item.objects.filter(event=event)
        .annotate(d=TruncDate("published_at"))
        .values("d")
        .annotate(n=Count("id"))
        .order_by("d")
    )
    return [[r["d"].isoformat(), r["n"]] for r in rows]


def dashboard(user: Any, *, days: int = 14) -> dict[str, Any]:
    """Figures for the dashboard over the last ``days`` days of data the user may see.

    Volumes come from the daily counts kept by ingestion, so the cost does not grow with items.
    """
    counts = scope(DailyCount.objects.all(), user, unit_field="source__unit")
    last_day = counts.aggregate(m=Max("day"))["m"] or timezone.localdate()
    return dashboard_period(user, last_day - timedelta(days=days - 1), last_day)


def dashboard_period(user: Any, first_day: date, last_day: date) -> dict[str, Any]:
    """The dashboard's figures for the local days ``first_day``..``last_day`` (inclusive)."""
    counts = scope(DailyCount.objects.all(), user, unit_field="source__unit")
    recent = counts.filter(day__gte=first_day, day__lte=last_day)
    volume = [[r["day"].isoformat(), r["t"]] for r in recent.values("day").annotate(t=Sum("n")).order_by("day")]
    sentiment = {
        r["sentiment_label"] or "unknown": r["t"] for r in recent.values("sentiment_label").annotate(t=Sum("n"))
    }
    sources = [[r["source__kind"], r["t"]] for r in recent.values("source__kind").annotate(t=Sum("n")).order_by("-t")]
    regions = [
        [r["region"], r["t"]]
        for r in recent.exclude(region="").values("region").annotate(t=Sum("n")).order_by("-t")[:10]
    ]
    start = _day_start(first_day)
    events = events_for(user).filter(
        last_seen__gte=start, first_seen__lt=_day_start(last_day + timedelta(days=1)), merged_into__isnull=True
    )
    return {
        "start": start,
        "end": _day_start(last_day),
        "total": sum(n for _, n in volume),
        "volume": volume,
        "sentiment": sentiment,
        "sources": sources,
        "regions": regions,
        "top_events": list(events.order_by("-heat")[:8]),
        # A few posts are not a rising event: require a minimum volume before ranking by burst.
        "rising_events": list(
            events.filter(trend__in=["new", "rising"], item_count__gte=rising_min_items()).order_by(
                "-burst_z", "-heat"
            )[:8]
        ),
    }


@dataclass(frozen=True)
class ItemFilters:
    """Search filters; every field optional. Dates are local days; ``since``/``until`` instants."""

    q: str = ""
    source: int | None = None
    source_kind: str = ""
    sentiment: str = ""
    date_from: date | None = None
    date_to: date | None = None
    since: datetime | None = None
    until: datetime | None = None
    event: int | None = None
    scheme: int | None = None

    def only_indexed(self) -> bool:
        """Whether every filter set can be answered by the full-text index alone.

        Not a sentiment filter: the index's sentiment token is written when the engine scores an
        item, and neither an analyst's correction nor a re-scoring rewrites it, so the label the
        filter must use (the corrected one, decision 0104) is read from the items."""
        return not (
            self.date_from or self.date_to or self.since or self.until or self.event or self.scheme or self.sentiment
        )


_SEARCH_SQL = {
    # (table, id column, condition) per database; the expression is the dialect's from search.py.
    "sqlite": ("monitoring_item_fts", "rowid", "monitoring_item_fts MATCH %s"),
    "postgresql": ("monitoring_item_search", "item_id", "tsv @@ to_tsquery('simple', %s)"),
}


# Counting every match of a common word among ten million items costs seconds; beyond this many
# the pages say "more than 1,000" (a query that finds more needs narrowing anyway). Pages past
# the count can still be read (the API's offset is not bounded by it).
SEARCH_COUNT_LIMIT = 1000


class FtsResults:
    """Full-text matches read straight from the index (FTS5 or PostgreSQL GIN), newest stored first.

    Scope and the source/kind/sentiment filters are facet tokens in the index, so neither the
    page nor the count joins the item table: a page costs about the same for ten matches or a
    million. The count stops at :data:`SEARCH_COUNT_LIMIT` (``capped`` tells). Sliceable and
    countable, so Django's and django-ninja's paginators accept it.
    """

    def __init__(self, expression: str, count_limit: int | None = None) -> None:
        self.expression = expression
        self.count_limit = SEARCH_COUNT_LIMIT if count_limit is None else count_limit
        self.table, self.id_column, self.condition = _SEARCH_SQL[connection.vendor]
        self._count: int | None = None
        self.capped = False

    def count(self) -> int:
        if self._count is None:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT COUNT(*) FROM (SELECT 1 FROM {self.table} WHERE {self.condition} LIMIT %s) AS m",
                    [self.expression, self.count_limit + 1],
                )
                found = int(cursor.fetchone()[0])
            self.capped = found > self.count_limit
            self._count = min(found, self.count_limit)
        return self._count

    def all(self) -> FtsResults:
        return self

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Item]:
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("FtsResults supports plain slices only")
        start = max(0, index.start or 0)
        stop = index.stop if index.stop is not None else start + 100
        if stop <= start:
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {self.id_column} FROM {self.table} WHERE {self.condition} "
                f"ORDER BY {self.id_column} DESC LIMIT %s OFFSET %s",
                [self.expression, stop - start, start],
            )
            ids = [row[0] for row in cursor.fetchall()]
        found = Item.objects.select_related("source").in_bulk(ids)
        return [found[pk] for pk in ids if pk in found]


def _index_scopes(user: Any) -> bool:
    """Whether the index's unit facets alone give exactly the items the user may see."""
    ids = visible_unit_ids(user)
    if ids is None or not ids:
        return True
    return (
        not Item.objects.filter(region__in=list(Unit.objects.filter(pk__in=ids).values_list("name", flat=True)))
        .exclude(source__unit_id__in=ids)
        .exists()
    )


def item_search(user: Any, filters: ItemFilters) -> QuerySet[Item] | FtsResults:
    """Items matching the query (full text over segmented text) and filters.

    A query whose filters the index can answer is served from the index alone
    (:class:`FtsResults`, newest stored first); otherwise a scoped queryset, newest published first.
    """
    q = filters.q.strip()
    dialect = connection.vendor if connection.vendor in _SEARCH_SQL else ""
    expr = search.match_expression(q, dialect or "sqlite") if q else None
    if q and expr is None:
        return items_for(user).none()
    # The index knows units, not places: a user who sees items by their region (a township's
    # analyst on a county source) is served by the scoped queryset instead.
    if expr is not None and dialect and filters.only_indexed() and _index_scopes(user):
        roots = scope_roots(user)
        if roots is not None and not roots:
            return items_for(user).none()
        facets = search.facet_expression(
            unit_ids=roots,
            source_id=filters.source,
            source_kind=filters.source_kind,
            sentiment=filters.sentiment,
            dialect=dialect,
        )
        joiner = " AND " if dialect == "sqlite" else " & "
        return FtsResults(f"{expr}{joiner}{facets}" if facets else expr)
    qs = items_for(user)
    if expr is not None:
        if dialect:
            table, id_column, condition = _SEARCH_SQL[dialect]
            qs = qs.filter(pk__in=RawSQL(f"SELECT {id_column} FROM {table} WHERE {condition}", [expr]))
        else:
            qs = qs.filter(Q(text__icontains=q) | Q(title__icontains=q))
    if filters.source:
        qs = qs.filter(source_id=filters.source)
    if filters.source_kind:
        qs = qs.filter(source__kind=filters.source_kind)
    if filters.sentiment:
        qs = qs.filter(sentiment_label=filters.sentiment)
    if filters.date_from:
        qs = qs.filter(published_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        qs = qs.filter(published_at__lt=_day_start(filters.date_to + timedelta(days=1)))
    if filters.since:
        qs = qs.filter(published_at__gte=filters.since)
    if filters.until:
        qs = qs.filter(published_at__lt=filters.until)
    # One placement per item (the organisation's engine); a scheme's items are its matches.
    if filters.event is not None:
        qs = qs.filter(event_id=filters.event)
    if filters.scheme is not None:
        qs = qs.filter(pk__in=SchemeItem.objects.filter(scheme_id=filters.scheme).values("item_id"))
    return qs.order_by("-published_at", "-pk")


def source_health(user: Any) -> list[Source]:
    """Sources with their latest item time and ``health`` (ok, failing, paused, idle)."""
    sources: list[Source] = list(
        sources_for(user).annotate(latest=Max("items__published_at")).order_by("unit__path", "name")
    )
    for s in sources:
        if not s.is_active:
            s.health = "paused"  # type: ignore[attr-defined]
        elif s.last_error_at and (s.last_success_at is None or s.last_error_at > s.last_success_at):
            s.health = "failing"  # type: ignore[attr-defined]
        else:
            s.health = "ok" if s.last_success_at else "idle"  # type: ignore[attr-defined]
    return sources


def item_rows(user: Any, filters: ItemFilters, columns: tuple[str, ...], *, limit: int, chunk: int = 2000) -> Any:
    """The items :func:`item_search` finds for ``user``, as tuples of ``columns`` (``values_list``
    names, e.g. ``source__name``), in the same order, at most ``limit``: for exports.

    No model instances and no query per row; rows are read ``chunk`` at a time (a server-side
    cursor on PostgreSQL), so memory does not grow with the list. Index-only searches read their ids
    once, newest stored first, then the rows a chunk at a time (not ``OFFSET`` pages, which cost
    more the further they go).
    """
    found = item_search(user, filters)
    if not isinstance(found, FtsResults):
        yield from found.values_list(*columns)[:limit].iterator(chunk_size=chunk)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {found.id_column} FROM {found.table} WHERE {found.condition} "
            f"ORDER BY {found.id_column} DESC LIMIT %s",
            [found.expression, limit],
        )
        ids = [row[0] for row in cursor.fetchall()]
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        rows = {row[0]: row[1:] for row in Item.objects.filter(pk__in=part).values_list("pk", *columns)}
        yield from (rows[pk] for pk in part if pk in rows)
