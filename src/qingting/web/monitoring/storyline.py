"""An event at the point of use: its sentiment over time, its storyline (脉络) and what was done
about it — always over the items and records the viewing user may see (decision 0104).

- :func:`sentiment_over_time` — the share of negative/neutral/positive items per time bucket, read
  from ``Item.sentiment_label`` (an analyst's correction is written through to it, decision 0096,
  so corrected labels win), with the official response and the first mainstream report marked and
  the negative share before and after the response.
- :func:`storyline` — the key moments: first post, first mainstream report, official response,
  peak, decline.
- :func:`related` — the event's warnings, cases and bulletins, read through those apps' selectors
  (each applies its own scope).

An *official response* is the earliest of: an item from a source marked official (政务/官方账号,
``Source.official``) and a public reply on a case about the event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncHour
from django.urls import reverse
from django.utils import timezone

from qingting.web.monitoring.models import Event, Item
from qingting.web.monitoring.selectors import _visible_items, _whole_organisations

# Bucket sizes in hours; the smallest that keeps an event within MAX_BUCKETS is used.
BUCKET_HOURS = (1, 2, 3, 6, 12, 24, 48, 168)
MAX_BUCKETS = 48
LABELS = ("negative", "neutral", "positive")
# A decline: from this bucket on, every bucket holds less than this share of the peak's volume.
DECLINE_SHARE = 0.5


def visible_items(user: Any, event: Event) -> QuerySet[Item]:
    """The event's items ``user`` may see (all of them for whole-organisation users)."""
    qs = Item.objects.filter(event=event)
    visible = _visible_items(user)
    if visible is None or event.organisation_id in _whole_organisations(user):
        return qs
    return qs.filter(visible)


@dataclass(frozen=True)
class Moment:
    """One key moment of an event's story."""

    kind: str  # first_post, first_mainstream, official_response, peak, decline
    at: datetime
    text: str = ""  # the post's title or opening words, or the reply's
    source: str = ""  # where it was said
    url: str = ""  # the original, the case page …
    count: int = 0  # peak and decline: items in that bucket


@dataclass(frozen=True)
class SentimentSeries:
    """Sentiment per time bucket over the items a user may see."""

    bucket_hours: int
    starts: list[datetime]
    counts: list[dict[str, int]]  # per bucket: {"negative": n, "neutral": n, "positive": n, "unscored": n}
    official: Moment | None = None
    mainstream: Moment | None = None
    before: tuple[int, int] | None = None  # (negative, scored) before the official response
    after: tuple[int, int] | None = None  # … and from it on
    items: int = 0

    def totals(self) -> list[int]:
        return [sum(c.values()) for c in self.counts]

    def shares(self) -> dict[str, list[float | None]]:
        """Per label, the share (percent, one decimal) of the bucket's scored items; ``None`` for
        a bucket without scored items (the chart leaves a gap rather than drawing a 0)."""
        out: dict[str, list[float | None]] = {k: [] for k in LABELS}
        for c in self.counts:
            scored = sum(c[k] for k in LABELS)
            for k in LABELS:
                out[k].append(round(100.0 * c[k] / scored, 1) if scored else None)
        return out

    @staticmethod
    def _share(pair: tuple[int, int] | None) -> float | None:
        return None if pair is None or not pair[1] else pair[0] / pair[1]

    @property
    def negative_before_percent(self) -> int | None:
        share = self.negative_before
        return None if share is None else round(100 * share)

    @property
    def negative_after_percent(self) -> int | None:
        share = self.negative_after
        return None if share is None else round(100 * share)

    @property
    def negative_before(self) -> float | None:
        return self._share(self.before)

    @property
    def negative_after(self) -> float | None:
        return self._share(self.after)

    def bucket_of(self, at: datetime) -> int | None:
        """The index of the bucket holding ``at``."""
        if not self.starts:
            return None
        step = timedelta(hours=self.bucket_hours)
        for i, start in enumerate(self.starts):
            if start <= at < start + step:
                return i
        return None


def _hourly(items: QuerySet[Item]) -> dict[datetime, dict[str, int]]:
    rows = (
        items.annotate(h=TruncHour("published_at", tzinfo=timezone.get_current_timezone()))
        .values("h", "sentiment_label")
        .annotate(n=Count("id"))
    )
    hours: dict[datetime, dict[str, int]] = {}
    for r in rows:
        label = r["sentiment_label"] if r["sentiment_label"] in LABELS else "unscored"
        slot = hours.setdefault(timezone.localtime(r["h"]), dict.fromkeys((*LABELS, "unscored"), 0))
        slot[label] += r["n"]
    return hours


def _buckets(hours: dict[datetime, dict[str, int]]) -> tuple[int, list[datetime], list[dict[str, int]]]:
    if not hours:
        return 1, [], []
    first, last = min(hours), max(hours)
    span = int((last - first).total_seconds() // 3600) + 1
    step = next((h for h in BUCKET_HOURS if span / h <= MAX_BUCKETS), BUCKET_HOURS[-1])
    # Buckets start at local midnight plus a multiple of the step (days at midnight), so the
    # axis reads 00:00, 06:00, 12:00 … rather than wherever the first post fell.
    midnight = first.replace(hour=0, minute=0, second=0, microsecond=0)
    origin = midnight + timedelta(hours=((first - midnight).seconds // 3600 // step) * step) if step < 24 else midnight
    n = int((last - origin).total_seconds() // 3600 // step) + 1
    starts = [origin + timedelta(hours=i * step) for i in range(n)]
    counts = [dict.fromkeys((*LABELS, "unscored"), 0) for _ in range(n)]
    for h, c in hours.items():
        i = int((h - origin).total_seconds() // 3600 // step)
        for k, v in c.items():
            counts[i][k] += v
    return step, starts, counts


def _item_moment(kind: str, item: Item | None) -> Moment | None:
    if item is None:
        return None
    text = (item.title or item.text or "").strip().replace("\n", " ")
    return Moment(kind, item.published_at, text[:80], item.source.name, item.url)


def _first(items: QuerySet[Item], condition: Q) -> Item | None:
    return items.filter(condition).select_related("source").order_by("published_at", "pk").first()


def official_response(user: Any, event: Event, items: QuerySet[Item] | None = None) -> Moment | None:
    """The first official response the user may see: a post from an official source, or a
    public reply on a case about the event, whichever came first."""
    from qingting.web.cases import selectors as cases

    items = visible_items(user, event) if items is None else items
    post = _item_moment("official_response", _first(items, Q(source__official=True)))
    reply = cases.first_public_reply(user, event_ids(event))
    if reply is not None and (post is None or reply[0] < post.at):
        at, case, body = reply
        text = body.strip().replace("\n", " ")[:80]
        return Moment("official_response", at, text, case.number, reverse("cases:detail", args=[case.pk]))
    return post


def event_ids(event: Event) -> list[int]:
    """The event and the events merged into it (their warnings and cases are about this story)."""
    return [event.pk, *Event.objects.filter(merged_into=event).values_list("pk", flat=True)]


def sentiment_over_time(user: Any, event: Event) -> SentimentSeries:
    """The share of negative/neutral/positive per time bucket over the items ``user`` may see.

    Buckets are whole local hours, grouped so that an event spans at most :data:`MAX_BUCKETS`.
    """
    items = visible_items(user, event)
    step, starts, counts = _buckets(_hourly(items))
    official = official_response(user, event, items)
    mainstream = _item_moment("first_mainstream", _first(items, Q(source__mainstream=True)))
    before = after = None
    if official is not None:
        f = items.aggregate(
            nb=Count("id", filter=Q(published_at__lt=official.at, sentiment_label="negative")),
            sb=Count("id", filter=Q(published_at__lt=official.at, sentiment_label__in=LABELS)),
            na=Count("id", filter=Q(published_at__gte=official.at, sentiment_label="negative")),
            sa=Count("id", filter=Q(published_at__gte=official.at, sentiment_label__in=LABELS)),
        )
        before, after = (f["nb"], f["sb"]), (f["na"], f["sa"])
    return SentimentSeries(
        bucket_hours=step,
        starts=starts,
        counts=counts,
        official=official,
        mainstream=mainstream,
        before=before,
        after=after,
        items=sum(sum(c.values()) for c in counts),
    )


def storyline(user: Any, event: Event, series: SentimentSeries | None = None) -> list[Moment]:
    """The key moments of the event the user may see, in time order: the first post, the first
    mainstream report, the official response, the peak and (when volume has fallen below half the
    peak for good) the decline."""
    series = sentiment_over_time(user, event) if series is None else series
    items = visible_items(user, event)
    moments: list[Moment] = []
    first = _item_moment("first_post", _first(items, Q()))
    moments += [m for m in (first, series.mainstream, series.official) if m is not None]
    totals = series.totals()
    if totals and len(totals) > 1:
        peak = max(range(len(totals)), key=lambda i: (totals[i], -i))
        step = timedelta(hours=series.bucket_hours)
        start = series.starts[peak]
        top = (
            items.filter(published_at__gte=start, published_at__lt=start + step, duplicate_of__isnull=True)
            .select_related("source")
            .order_by("-engagement", "published_at")
            .first()
        )
        m = _item_moment("peak", top) or Moment("peak", start)
        # The peak is a period; it cannot begin before the story's first post (same bucket).
        at = max(start, first.at) if first is not None else start
        moments.append(Moment("peak", at, m.text, m.source, m.url, totals[peak]))
        after = range(peak + 1, len(totals))
        low = [i for i in after if all(totals[j] < DECLINE_SHARE * totals[peak] for j in range(i, len(totals)))]
        if low:
            i = low[0]
            moments.append(Moment("decline", series.starts[i], count=totals[i]))
    order = {"first_post": 0, "first_mainstream": 1, "official_response": 2, "peak": 3, "decline": 4}
    moments.sort(key=lambda m: (m.at, order[m.kind]))
    return moments


@dataclass(frozen=True)
class Related:
    """What was done about an event, as far as the user may see it."""

    warnings: list[Any] = field(default_factory=list)
    cases: list[Any] = field(default_factory=list)
    bulletins: list[Any] = field(default_factory=list)


def related(user: Any, event: Event, *, limit: int = 20) -> Related:
    """The event's warnings, cases and bulletins the user may see (each app's own scope)."""
    from qingting.web.bulletins import selectors as bulletins
    from qingting.web.cases import selectors as cases
    from qingting.web.warnings import selectors as warnings

    ids = event_ids(event)
    return Related(
        warnings=list(warnings.event_warnings(user, ids)[:limit]),
        cases=list(cases.event_cases(user, ids)[:limit]),
        bulletins=list(bulletins.event_bulletins(user, ids)[:limit]),
    )


def chart_data(series: SentimentSeries, names: dict[str, str]) -> dict[str, Any]:
    """What the page's chart script draws (JSON; every word comes translated in ``names``)."""
    fmt = "%m-%d" if series.bucket_hours >= 24 else "%m-%d %H:%M"
    labels = [s.strftime(fmt) for s in series.starts]
    marks = []
    for moment, key in ((series.official, "official_response"), (series.mainstream, "first_mainstream")):
        i = series.bucket_of(timezone.localtime(moment.at)) if moment is not None else None
        if i is not None:
            marks.append({"at": labels[i], "name": names[key]})
    return {
        "labels": labels,
        "shares": series.shares(),
        "totals": series.totals(),
        "marks": marks,
        "names": {k: names[k] for k in (*LABELS, "items", "share")},
    }
