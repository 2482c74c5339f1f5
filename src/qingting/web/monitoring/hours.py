"""Items per source and hour, counted when stored (``SourceHour``, decision 0110), and counts of
items published in any stretch of time read from them.

A count over ``[start, end)`` takes the whole hours inside it from ``SourceHour`` and only the
partial hours at its two ends from the items (short ranges of the (source, published_at) index),
so "items today up to now" or "in the last 24 hours" costs about the same at 09:00 as at 23:00 and
at a thousand items a day as at a hundred thousand. Stretches older than the kept hours are
counted from the items alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Count, IntegerField, Sum, Value
from django.utils import timezone

from qingting.web.monitoring.models import Item, SourceHour

# The dashboard compares today with the same hours of the previous 14 days, the sources' health
# reads the last 24 hours: 16 days of hours are kept (older rows are removed as items are stored).
SOURCE_HOURS_KEPT = 16 * 24

HOUR = timedelta(hours=1)


def hour_start(t: datetime) -> datetime:
    """The UTC hour ``t`` falls in (the key of ``SourceHour``)."""
    return t.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def source_hours_since(now: datetime) -> datetime:
    """The first hour whose ``SourceHour`` rows are complete at ``now`` (older ones are removed)."""
    return hour_start(now) - timedelta(hours=SOURCE_HOURS_KEPT - 1)


def _plan(
    start: datetime, end: datetime, since: datetime, now: datetime
) -> tuple[tuple[datetime, datetime] | None, list[tuple[datetime, datetime, int]]]:
    """How to count ``[start, end)``: the hours ``[first, last)`` read from ``SourceHour`` (None:
    none) and the item ranges to add (+1) or take away (-1).

    A range end inside an hour is counted from whichever side of it is shorter: the items from
    the hour's start to the end, or the whole hour's count less the items from the end to the
    hour's end. So at most half an hour of items is read per end; "up to now" reads nothing (no
    item is published after now), nor does an end on the hour (local midnight in China)."""
    if start >= end:
        return None, []
    first, last = hour_start(start), hour_start(end)
    edges: list[tuple[datetime, datetime, int]] = []
    if first < start:
        if start - first <= first + HOUR - start:
            edges.append((first, start, -1))
        else:
            first += HOUR
            edges.append((start, first, 1))
    if last < end:
        if end >= now or last + HOUR - end < end - last:
            edges.append((end, last + HOUR, -1))
            last += HOUR
        else:
            edges.append((last, end, 1))
    if first >= last or first < since:
        return None, [(start, end, 1)]
    return (first, last), edges


def item_counts(source_ids: Sequence[int] | None, ranges: Sequence[tuple[datetime, datetime]]) -> list[dict[int, int]]:
    """Items published in each ``[start, end)`` of ``ranges``, per source: ``[{source id: n}, ...]``.

    ``source_ids`` None: every source. Two statements whatever the number of ranges, each a
    UNION ALL of one indexed range per part: the hours' counts summed, and the items of the
    partial hours at the ranges' ends (see :func:`_plan`). A range starting before the kept hours
    is counted from the items alone.
    """
    now = timezone.now()
    since = source_hours_since(now)
    plans = [_plan(a, b, since, now) for a, b in ranges]
    out: list[dict[int, int]] = [defaultdict(int) for _ in ranges]
    ids = None if source_ids is None else list(source_ids)
    hours: Any = SourceHour.objects.all() if ids is None else SourceHour.objects.filter(source_id__in=ids)
    items: Any = Item.objects.all() if ids is None else Item.objects.filter(source_id__in=ids)
    whole = [
        hours.filter(hour__gte=span[0], hour__lt=span[1])
        .order_by()
        .values("source_id")
        .annotate(n=Sum("n"), k=Value(i, output_field=IntegerField()))
        .values_list("source_id", "n", "k")
        for i, (span, _edges) in enumerate(plans)
        if span is not None
    ]
    # The partial hours: one indexed range count each, in one statement (a single count over
    # OR-ed ranges let PostgreSQL scan a source's every item when its statistics were stale).
    signed = [(i, a, b, sign) for i, (_span, edges) in enumerate(plans) for a, b, sign in edges]
    parts = [
        items.filter(published_at__gte=a, published_at__lt=b)
        .order_by()
        .values("source_id")
        .annotate(n=Count("*"), k=Value(j, output_field=IntegerField()))
        .values_list("source_id", "n", "k")
        for j, (_i, a, b, _sign) in enumerate(signed)
    ]
    for queries, weight in ((whole, None), (parts, signed)):
        if not queries:
            continue
        rows = queries[0].union(*queries[1:], all=True) if len(queries) > 1 else queries[0]
        for source_id, n, key in rows:
            if weight is None:
                out[int(key)][source_id] += int(n or 0)
            else:
                i, _a, _b, sign = weight[int(key)]
                out[i][source_id] += sign * int(n or 0)
    return [{s: n for s, n in d.items() if n} for d in out]


def item_total(source_ids: Sequence[int] | None, ranges: Sequence[tuple[datetime, datetime]]) -> list[int]:
    """Items published in each ``[start, end)`` of ``ranges``, all the sources together."""
    return [sum(d.values()) for d in item_counts(source_ids, ranges)]
