"""Compose a bulletin's figures from the database: every number comes from a query here.

:func:`compose` reads the chosen events, their items and buckets, and returns a plain JSON-able
dict (frozen into ``Bulletin.figures`` at submission); :func:`bulletin_figures` turns that dict and
the analyst's texts into :class:`qingting.reports.figures.BulletinFigures` for the builder.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from qingting.web.monitoring import selectors as monitoring_selectors
from qingting.web.monitoring.models import Event, Item, Source, SourceKind
from qingting.web.sentiment import selectors as sentiment_selectors

POSTS_PER_EVENT = 5
POSTS_SHOWN = 6
POST_CHARS = 200
PSEUDONYM_CHARS = 8  # the first hex digits of the keyed hash: enough to tell voices apart
SCHEMA = 1


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t is not None else None


def _local(t: datetime) -> datetime:
    return timezone.localtime(t)


def _moment(t: datetime) -> str:
    t = _local(t)
    return f"{t.month}月{t.day}日{t.hour}时" + (f"{t.minute}分" if t.minute else "")


def _excerpt(item: Item, chars: int = 40) -> str:
    text = (item.title or item.text).strip().replace("\n", " ")
    return text if len(text) <= chars else text[:chars] + "…"


def _volume(events: Sequence[Event], items: Any) -> tuple[list[list[Any]], str]:
    """``[[label, count], ...]`` in time order and the granularity ("hour" or "day").

    The engine's buckets (summed over the events) when every event has them; otherwise item
    counts per local day. Buckets are labelled by hour when the whole span is at most two days.
    """
    if events and all(e.buckets for e in events):
        sums: Counter[int] = Counter()
        for e in events:
            for start, n in e.buckets:
                sums[int(start)] += int(n)
        starts = sorted(sums)
        tz = timezone.get_current_timezone()
        span = starts[-1] - starts[0] if starts else 0
        if span <= 2 * 86400:
            return [[_moment(datetime.fromtimestamp(s, tz=tz)), sums[s]] for s in starts], "hour"
        days: Counter[str] = Counter()
        order: list[str] = []
        for s in starts:
            d = datetime.fromtimestamp(s, tz=tz)
            label = f"{d.month}月{d.day}日"
            if label not in days:
                order.append(label)
            days[label] += sums[s]
        return [[label, days[label]] for label in order], "day"
    rows = items.annotate(d=TruncDate("published_at")).values("d").annotate(n=Count("id")).order_by("d")
    return [[f"{r['d'].month}月{r['d'].day}日", r["n"]] for r in rows], "day"


def _peak(event: Event) -> tuple[datetime, int] | None:
    if not event.buckets:
        return None
    start, n = max(event.buckets, key=lambda b: (b[1], -b[0]))
    return datetime.fromtimestamp(start, tz=timezone.get_current_timezone()), int(n)


def compose(events: Sequence[Event], *, now: datetime | None = None) -> dict[str, Any]:
    """The figures of a bulletin on ``events`` (already scoped to the user), as of ``now``.

    Keys: ``events`` (id, title, scheme, first/last seen, items, heat, trend), ``total_items``,
    ``sentiment`` (positive/neutral/negative/unlabelled item counts), ``sources`` and
    ``source_kinds`` ([name, items] by items), ``first_seen``, ``last_seen``, ``trend``, ``heat``,
    ``volume`` ([label, items]), ``timeline`` ([iso time, text]) and ``posts`` (representative
    originals with how many duplicates each collapses).
    """
    now = now or timezone.now()
    events = sorted(events, key=lambda e: (-e.heat, e.pk))
    if not events:
        raise ValueError("a bulletin needs at least one event")
    items = Item.objects.filter(event__in=[e.pk for e in events])
    # Two passes over the items: one aggregate with conditional counts, one GROUP BY source.
    agg = items.aggregate(
        total=Count("id"),
        positive=Count("id", filter=Q(sentiment_label="positive")),
        neutral=Count("id", filter=Q(sentiment_label="neutral")),
        negative=Count("id", filter=Q(sentiment_label="negative")),
        first=Min("published_at"),
        last=Max("published_at"),
        engagement=Sum("engagement"),
    )
    total = agg["total"]
    sentiment = {k: agg[k] for k in ("positive", "neutral", "negative")}
    sentiment["unlabelled"] = total - sum(sentiment.values())
    per_source = dict(items.order_by().values_list("source_id").annotate(n=Count("id")).values_list("source_id", "n"))
    known = {s.pk: s for s in Source.objects.filter(pk__in=list(per_source))}
    ranked = sorted(((known[pk].name, n) for pk, n in per_source.items()), key=lambda r: (-r[1], r[0]))
    sources = [[name, n] for name, n in ranked]
    kind_labels = dict(SourceKind.choices)
    by_kind: Counter[str] = Counter()
    for pk, n in per_source.items():
        by_kind[str(kind_labels.get(known[pk].kind, known[pk].kind))] += n
    kinds = [[k, n] for k, n in sorted(by_kind.items(), key=lambda r: (-r[1], r[0]))]
    bounds = agg
    first_seen = min([e.first_seen for e in events] + ([bounds["first"]] if bounds["first"] else []))
    last_seen = max([e.last_seen for e in events] + ([bounds["last"]] if bounds["last"] else []))

    timeline: list[tuple[datetime, str]] = []
    first_item = items.select_related("source").order_by("published_at", "pk").first()
    if first_item is not None:
        timeline.append((first_item.published_at, f"{first_item.source.name}最早出现相关信息“{_excerpt(first_item)}”"))
    for e in events:
        peak = _peak(e)
        if peak is not None:
            label = f"“{e.title}”" if len(events) > 1 else "相关信息"
            timeline.append((peak[0], f"{label}传播达到高峰，该时段新增{peak[1]}条"))
    last_item = items.select_related("source").order_by("-published_at", "-pk").first()
    if last_item is not None and last_item.pk != getattr(first_item, "pk", None):
        timeline.append((last_item.published_at, f"最新信息来自{last_item.source.name}“{_excerpt(last_item)}”"))
    timeline.sort(key=lambda t: t[0])

    posts: list[dict[str, Any]] = []
    for e in events:
        for item in monitoring_selectors.event_posts(e, limit=POSTS_PER_EVENT):
            text = item.text.strip()
            posts.append(
                {
                    "item_id": item.pk,
                    "source": item.source.name,
                    "author": item.author_pseudonym[:PSEUDONYM_CHARS] or "匿名",
                    "published": _iso(item.published_at),
                    "text": text if len(text) <= POST_CHARS else text[:POST_CHARS] + "…",
                    "engagement": item.engagement,
                    "copies": getattr(item, "copies", 0),
                }
            )
    posts.sort(key=lambda p: (-p["copies"], -p["engagement"], p["published"] or ""))
    hottest = events[0]
    volume, granularity = _volume(events, items)
    model = sentiment_selectors.model_in_use(hottest.organisation)
    return {
        "schema": SCHEMA,
        "as_of": _iso(now),
        "events": [
            {
                "id": e.pk,
                "title": e.title,
                "scheme": e.scheme_label,
                "first_seen": _iso(e.first_seen),
                "last_seen": _iso(e.last_seen),
                "items": e.item_count,
                "heat": round(e.heat, 1),
                "trend": e.trend,
            }
            for e in events
        ],
        "total_items": total,
        "engagement": bounds["engagement"] or 0,
        "sentiment": sentiment,
        # Which model scored the figures (frozen with them at submission): documents and the page name it.
        "sentiment_model": {"number": model.number, "activated_at": _iso(model.activated_at)},
        "sources": sources,
        "source_kinds": kinds,
        "first_seen": _iso(first_seen),
        "last_seen": _iso(last_seen),
        "trend": hottest.trend,
        "heat": round(max(e.heat for e in events), 1),
        "volume": volume,
        "volume_granularity": granularity,
        "timeline": [[_iso(t), text] for t, text in timeline],
        "posts": posts[:POSTS_SHOWN],
    }


def default_title(events: Sequence[Event]) -> str:
    """关于…的舆情专报 from the hottest event (and how many more there are)."""
    ranked = sorted(events, key=lambda e: (-e.heat, e.pk))
    if not ranked:
        return ""
    first = ranked[0].title.strip()[:60]
    if len(ranked) == 1:
        return f"关于{first}的舆情专报"
    return f"关于{first}等{len(ranked)}起事件的舆情专报"


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _dt(text: str | None, fallback: datetime) -> datetime:
    if not text:
        return _local(fallback)
    return _local(datetime.fromisoformat(text))


def bulletin_figures(
    figures: dict[str, Any], *, title: str, summary: str, assessment: str, recommendations: str
) -> Any:
    """:class:`BulletinFigures` from a :func:`compose` dict and the analyst's texts.

    Times are given in local time (Asia/Shanghai), as the document prints them. Duplicate counts
    go with the source, e.g. "微博，同类内容另有12条", so the reader sees how widely a voice spread.
    """
    from qingting.reports.figures import BulletinFigures, RepresentativePost, SentimentMix, TimelineEntry

    as_of = _dt(figures.get("as_of"), timezone.now())
    s = figures["sentiment"]
    posts = tuple(
        RepresentativePost(
            source=p["source"] + (f"，同类内容另有{p['copies']}条" if p.get("copies") else ""),
            author_pseudonym=p["author"],
            published=_dt(p.get("published"), as_of),
            text=p["text"],
            engagement=int(p.get("engagement") or 0),
        )
        for p in figures.get("posts", [])
    )
    summary_text = summary.strip() or _auto_summary(figures)
    return BulletinFigures(
        event_title=title.strip() or "舆情专报",
        as_of=as_of,
        summary=summary_text,
        total_items=int(figures["total_items"]),
        sentiment=SentimentMix(
            int(s["positive"]), int(s["neutral"]), int(s["negative"]), model=sentiment_model_text(figures)
        ),
        trend=str(figures.get("trend", "")),
        heat=float(figures.get("heat", 0.0)),
        first_seen=_dt(figures.get("first_seen"), as_of),
        timeline=tuple(TimelineEntry(_dt(t, as_of), text) for t, text in figures.get("timeline", [])),
        posts=posts,
        sources=tuple((str(n), int(c)) for n, c in figures.get("sources", [])),
        volume=tuple((str(label), int(n)) for label, n in figures.get("volume", [])),
        assessment=_lines(assessment),
        recommendations=_lines(recommendations),
    )


def sentiment_model(figures: dict[str, Any]) -> Any:
    """The sentiment model a bulletin's figures name (``None`` for figures composed before it was recorded)."""
    stored = figures.get("sentiment_model")
    if not isinstance(stored, dict):
        return None
    at = stored.get("activated_at")
    return sentiment_selectors.ModelInUse(stored.get("number"), datetime.fromisoformat(at) if at else None)


def sentiment_model_text(figures: dict[str, Any]) -> str:
    """情感判定's model for the document, "" when the figures do not say."""
    model = sentiment_model(figures)
    return "" if model is None else str(model.text())


def _auto_summary(figures: dict[str, Any]) -> str:
    """A factual one-line summary when the analyst has not written one: the events' names."""
    titles = [f"“{e['title']}”" for e in figures.get("events", [])]
    if not titles:
        return "近期监测到相关网络信息"
    return f"近期监测到{'、'.join(titles[:3])}{'等' if len(titles) > 3 else ''}相关网络信息"
