"""The dashboard's figures: a period (今日/7天/30天/自定义), key figures against the usual level,
the period's keywords, and the daily table behind the charts (also exported).

Everything is read through the same scope as the rest of monitoring (the daily counts of the
user's units' sources), from the daily counts kept by ingestion, so a page costs about the same at
a thousand items as at ten million. Two figures count items by the hour — today's volume *up to
this time of day* against the same hours of earlier days (a partial day is never compared with
whole days), and today's hourly line — from the per-hour counts kept at store time, with only the
partial hours read from the items (``monitoring.hours``, decision 0110).

>>> period = Period.parse({"period": "7d"}, today=date(2026, 12, 7))  # doctest: +SKIP
>>> period.first, period.last
(datetime.date(2026, 12, 1), datetime.date(2026, 12, 7))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from statistics import median
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from qingting.web.accounts.selectors import scope, visible_unit_ids
from qingting.web.monitoring.hours import item_total
from qingting.web.monitoring.models import DailyCount, Event, Item, Source

PERIODS = ("today", "7d", "30d", "custom")
DEFAULT_PERIOD = "7d"
MAX_DAYS = 366  # a custom period longer than a year is cut to its last year
USUAL_DAYS = 14  # "the usual level": the median of the previous two weeks
WORDS = 60  # words in the cloud
CLOUD_EVENTS = 300  # the period's largest events whose keywords make the cloud


@dataclass(frozen=True)
class Period:
    """Local days ``first``..``last`` (inclusive). ``key`` is one of :data:`PERIODS`."""

    key: str
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @classmethod
    def parse(cls, params: Mapping[str, str], *, today: date) -> Period:
        """The period a query string asks for; anything unreadable falls back to the last 7 days.

        ``custom`` takes ``from`` and ``to`` (YYYY-MM-DD); a future end is cut to today, and a
        reversed range is put the right way round.
        """
        key = params.get("period") or DEFAULT_PERIOD
        if key == "today":
            return cls("today", today, today)
        if key == "30d":
            return cls("30d", today - timedelta(days=29), today)
        if key == "custom":
            try:
                first = date.fromisoformat(params.get("from") or "")
                last = date.fromisoformat(params.get("to") or "") if params.get("to") else today
            except ValueError:
                return cls(DEFAULT_PERIOD, today - timedelta(days=6), today)
            first, last = min(first, last), max(first, last)
            last = min(last, today)
            first = min(max(first, last - timedelta(days=MAX_DAYS - 1)), last)
            return cls("custom", first, last)
        return cls(DEFAULT_PERIOD, today - timedelta(days=6), today)

    def label(self) -> str:
        return {"today": _("Today"), "7d": _("Last 7 days"), "30d": _("Last 30 days")}.get(self.key, _("Custom"))


def _start(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time.min))


def daily_counts_for(user: Any) -> Any:
    """The daily counts of the sources of the user's units (the dashboard's scope)."""
    return scope(DailyCount.objects.all(), user, unit_field="source__unit")


def daily_table(user: Any, period: Period) -> list[dict[str, Any]]:
    """One row per day of the period (days without items included): total and per sentiment."""
    rows = (
        daily_counts_for(user)
        .filter(day__gte=period.first, day__lte=period.last)
        .values("day", "sentiment_label")
        .annotate(t=Sum("n"))
    )
    by_day: dict[date, dict[str, int]] = {}
    for r in rows:
        by_day.setdefault(r["day"], {})[r["sentiment_label"] or "unknown"] = r["t"]
    out = []
    for i in range(period.days):
        day = period.first + timedelta(days=i)
        counts = by_day.get(day, {})
        total = sum(counts.values())
        neg = counts.get("negative", 0)
        out.append(
            {
                "day": day,
                "total": total,
                "negative": neg,
                "neutral": counts.get("neutral", 0),
                "positive": counts.get("positive", 0),
                "unknown": counts.get("unknown", 0),
                "negative_share": (neg / total) if total else None,
            }
        )
    return out


def _source_ids(user: Any) -> list[int] | None:
    """The sources of the user's units (``None``: all): the same scope as :func:`daily_counts_for`."""
    ids = visible_unit_ids(user)
    if ids is None:
        return None
    return list(Source.objects.filter(unit_id__in=ids).values_list("pk", flat=True))


TICK = timedelta(microseconds=1)  # an inclusive end ("up to now") as a half-open range


def hourly_today(user: Any, now: datetime) -> list[list[Any]]:
    """Today's items per local hour up to now: ``[["HH:00", n], ...]`` (whole hours from the
    per-hour counts kept at store time, the current one from the items: ``monitoring.hours``)."""
    today = timezone.localtime(now).date()
    hours = timezone.localtime(now).hour + 1
    starts = [timezone.make_aware(datetime.combine(today, time(h))) for h in range(hours)]
    ends = [*starts[1:], now + TICK]
    counts = item_total(_source_ids(user), [(a, min(b, now + TICK)) for a, b in zip(starts, ends, strict=True)])
    return [[f"{h:02d}:00", counts[h]] for h in range(hours)]


@dataclass(frozen=True)
class KeyFigure:
    """A figure and the usual level it is compared with (``usual`` None: nothing to compare)."""

    value: float
    usual: float | None
    high: bool = False  # well above the usual level: shown in red

    @property
    def change_pct(self) -> int | None:
        """Percent above (+) or below (−) the usual level; None when there is no usual level."""
        if self.usual is None or self.usual <= 0:
            return None
        return round(100 * (self.value - self.usual) / self.usual)


def key_figures(user: Any, now: datetime) -> dict[str, Any]:
    """Today's volume and negative share against the usual level of the previous two weeks.

    - volume: items published today up to now, against the median of the same hours
      (midnight to this time of day) of each of the previous :data:`USUAL_DAYS` days;
    - negative share: today's share of negative items against the median of the previous days'
      shares (a share needs no time-of-day correction); days without items are left out.
    """
    local = timezone.localtime(now)
    today = local.date()
    elapsed = local - _start(today)
    # Today up to now and the same hours of each earlier day: whole hours from the per-hour counts
    # kept at store time, the partial hour at each end from the items (``monitoring.hours``).
    starts = [_start(today - timedelta(days=back)) for back in range(USUAL_DAYS + 1)]
    volume, *earlier = item_total(_source_ids(user), [(start, start + elapsed + TICK) for start in starts])
    first = today - timedelta(days=USUAL_DAYS)
    rows = (
        daily_counts_for(user)
        .filter(day__gte=first, day__lte=today)
        .values("day")
        .annotate(t=Sum("n"), neg=Sum("n", filter=Q(sentiment_label="negative")))
    )
    shares = {r["day"]: (r["neg"] or 0) / r["t"] for r in rows if r["t"]}
    previous = [s for d, s in shares.items() if d < today]
    usual_volume = median(earlier) if any(earlier) else None
    share = shares.get(today, 0.0)
    usual_share = median(previous) if previous else None
    return {
        "at": local,
        # "Well above": half again the usual volume; ten points above the usual negative share.
        "volume": KeyFigure(volume, usual_volume, usual_volume is not None and volume >= 1.5 * usual_volume),
        "negative_share": KeyFigure(share, usual_share, usual_share is not None and share >= usual_share + 0.1),
        "usual_days": USUAL_DAYS,
    }


def word_cloud(user: Any, period: Period) -> list[list[Any]]:
    """The period's keywords, weighted by the items of the events that carry them.

    Events in the dashboard's scope (the sources of the user's units): for an organisation the
    user sees whole, its :data:`CLOUD_EVENTS` hottest events of the period (the indexed heat
    order, so the read stops there); for units seen without their organisation (a township), the
    events of their own sources' items of the period (the (source, published_at) index), never
    an existence test per event over all items, which cost seconds at a million items.
    Returns ``[[word, weight], ...]``, heaviest first.
    """
    from qingting.web.accounts.models import Unit

    start, end = _start(period.first), _start(period.last + timedelta(days=1))
    active = Event.objects.filter(last_seen__gte=start, first_seen__lt=end, merged_into__isnull=True)
    ids = visible_unit_ids(user)
    rows: list[tuple[Any, int]] = []
    if ids is None:
        rows += list(active.order_by("-heat").values_list("keywords", "item_count")[:CLOUD_EVENTS])
    elif ids:
        units = list(Unit.objects.filter(pk__in=ids).values_list("pk", "path", "parent_id"))
        roots = [(pk, path) for pk, path, parent in units if parent is None]
        if roots:
            by_org = active.filter(organisation_id__in=[pk for pk, _p in roots]).order_by("-heat")
            rows += list(by_org.values_list("keywords", "item_count")[:CLOUD_EVENTS])
        partial = [pk for pk, path, _parent in units if not any(path.startswith(r) for _r, r in roots)]
        if partial:
            sources = list(Source.objects.filter(unit_id__in=partial).values_list("pk", flat=True))
            items = Item.objects.filter(source_id__in=sources, published_at__gte=start, published_at__lt=end)
            top = items.exclude(event=None).values("event_id").annotate(n=Count("id")).order_by("-n")[:CLOUD_EVENTS]
            counts = {r["event_id"]: r["n"] for r in top}
            mine = Event.objects.filter(pk__in=list(counts)).exclude(merged_into__isnull=False)
            rows += [(kw, counts[pk]) for pk, kw in mine.values_list("pk", "keywords")]
    weights: dict[str, int] = {}
    for keywords, n in rows:
        for word in keywords or []:
            word = str(word).strip()
            if len(word) >= 2:
                weights[word] = weights.get(word, 0) + max(1, int(n))
    ranked = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:WORDS]
    return [[w, n] for w, n in ranked]


def period_events(events: Any, period: Period) -> Any:
    """Events (not merged away) active during the period."""
    return events.filter(
        last_seen__gte=_start(period.first),
        first_seen__lt=_start(period.last + timedelta(days=1)),
        merged_into__isnull=True,
    )


def alert_figures(user: Any, now: datetime) -> dict[str, Any]:
    """Open event warnings per tier (all four, gravest first) and overdue cases, in the user's scope."""
    from qingting.web.cases import selectors as cases
    from qingting.web.warnings import selectors as warnings
    from qingting.web.warnings.models import TIER_COLOURS, TierChoice

    qs = warnings.warning_list(user, status="open", kind="event").order_by()
    counts = dict(qs.values_list("tier").annotate(n=Count("pk")).values_list("tier", "n"))
    tiers = [
        {"tier": t, "label": str(label), "colour": TIER_COLOURS[t], "count": counts.get(t, 0)}
        for t, label in sorted(TierChoice.choices)
    ]
    return {
        "tiers": tiers,
        "open": sum(t["count"] for t in tiers),
        "overdue": cases.queue(user, "overdue", now=now).count(),
    }
