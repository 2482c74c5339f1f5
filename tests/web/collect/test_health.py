"""Source health: failing repeatedly, silent far below the source's own normal, and ok."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from qingting.web.collect.health import source_problems, sources_health
from qingting.web.monitoring.models import DailyCount, Source


def _normal(source: Source, per_day: int, today: Any) -> None:
    DailyCount.objects.bulk_create(
        DailyCount(source=source, day=today - timedelta(days=d), n=per_day) for d in range(1, 15)
    )


@pytest.mark.django_db
def test_failing_silent_and_ok_sources_are_told_apart(monitored: dict[str, Any]) -> None:
    now = timezone.now()
    today = timezone.localtime(now).date()
    east, west = monitored["east_source"], monitored["west_source"]
    # east: busy normally (40 a day), nothing in the last 24 hours → silent
    _normal(east, 40, today)
    # west: 3 failed polls in a row → failing, with the last error in the message
    Source.objects.filter(pk=west.pk).update(consecutive_failures=3, last_error="https://x.example/rss: HTTP 500")
    problems = {p.source.pk: p for p in source_problems(now)}
    assert problems[east.pk].kind == "silent" and "40" in problems[east.pk].message
    assert problems[west.pk].kind == "failing" and "HTTP 500" in problems[west.pk].message
    # Recovered and busy as usual: no problems.
    Source.objects.filter(pk=west.pk).update(consecutive_failures=0)
    assert [p.source.pk for p in source_problems(now)] == [east.pk]
    rows = {h.source.pk: h for h in sources_health(now, Source.objects.all())}
    assert rows[east.pk].normal == 40 and rows[east.pk].last_day == 0 and len(rows[east.pk].daily) == 14
    # The normal is the source's own: a quiet source (2 a day) is not silent at 0.
    DailyCount.objects.filter(source=east).update(n=2)
    assert source_problems(now) == []


@pytest.mark.django_db
def test_a_disabled_source_is_never_a_problem(monitored: dict[str, Any]) -> None:
    west = monitored["west_source"]
    Source.objects.filter(pk=west.pk).update(consecutive_failures=9, is_active=False)
    assert source_problems(timezone.now()) == []
    [health] = sources_health(timezone.now(), Source.objects.filter(pk=west.pk))
    assert health.state == "paused"


@pytest.mark.django_db
def test_a_young_source_is_not_judged_silent(monitored: dict[str, Any]) -> None:
    now = timezone.now()
    today = timezone.localtime(now).date()
    east = monitored["east_source"]
    # Three busy days only (created today, counts from 3 days ago): too little history to judge.
    DailyCount.objects.bulk_create(DailyCount(source=east, day=today - timedelta(days=d), n=50) for d in (1, 2, 3))
    assert source_problems(now) == []


@pytest.mark.django_db
def test_items_of_the_last_24_hours_agree_with_the_items_whatever_the_hour(monitored: dict[str, Any]) -> None:
    """The whole hours come from the per-hour counts kept at store time (decision 0110), the
    window's two partial hours from the items: the sum is the items' own count, at any instant."""
    from qingting.web.monitoring import services
    from qingting.web.monitoring.hours import source_hours_since
    from qingting.web.monitoring.models import Item, SourceHour

    now = timezone.now()
    east, west = monitored["east_source"], monitored["west_source"]
    # Posts every 7 minutes over the last 30 hours (east) and every 25 minutes (west).
    for source, step in ((east, 7), (west, 25)):
        records = [
            {"id": f"h{source.pk}-{k}", "text": f"第{k}条停水", "time": (now - timedelta(minutes=m)).timestamp()}
            for k, m in enumerate(range(1, 30 * 60, step))
        ]
        assert services.store_items(source=source, records=records).created == len(records)
    kept = {(r.source_id, r.hour): r.n for r in SourceHour.objects.all()}
    assert kept and all(h >= source_hours_since(now) for _s, h in kept)
    for back in (0, 1, 13, 59, 61, 600):
        at = now - timedelta(minutes=back)
        rows = {h.source.pk: h.last_day for h in sources_health(at, Source.objects.filter(pk__in=[east.pk, west.pk]))}
        for source in (east, west):
            expected = Item.objects.filter(
                source=source, published_at__gt=at - timedelta(hours=24), published_at__lte=at
            ).count()
            assert rows[source.pk] == expected > 0, (back, source.name)
    # Any stretches at all (the dashboard's "today up to now" and "same hours of earlier days"):
    # the hours' counts plus the partial hours' items equal the items' own count.
    from qingting.web.monitoring.hours import item_total

    stretches = [
        (now - timedelta(hours=3, minutes=43), now - timedelta(minutes=61)),
        (now - timedelta(hours=29, minutes=1), now + timedelta(seconds=1)),
        (now - timedelta(minutes=30), now - timedelta(minutes=10)),
        (now - timedelta(days=20), now - timedelta(hours=26)),  # before the kept hours: from the items
    ]
    # Ends early and late in their hours (an end is counted from its shorter side) and a stretch
    # inside one hour, whatever the time the test runs.
    hour = now.replace(minute=0, second=0, microsecond=0)
    stretches += [
        (hour - timedelta(hours=5, minutes=-10), hour - timedelta(hours=2, minutes=10)),
        (hour - timedelta(hours=5, minutes=-50), hour - timedelta(hours=2, minutes=50)),
        (hour - timedelta(hours=3, minutes=-5), hour - timedelta(hours=3, minutes=-40)),
        (hour - timedelta(hours=3, minutes=-40), hour - timedelta(hours=3, minutes=-48)),
    ]
    ids = [east.pk, west.pk]
    expected = [
        Item.objects.filter(source_id__in=ids, published_at__gte=a, published_at__lt=b).count() for a, b in stretches
    ]
    assert item_total(ids, stretches) == expected and all(expected)
    assert item_total([west.pk], stretches[:1]) == [
        Item.objects.filter(source=west, published_at__gte=stretches[0][0], published_at__lt=stretches[0][1]).count()
    ]
    # A rebuild from the items gives the same rows as counting at store time.
    services.source_hours_rebuild(now)
    assert {(r.source_id, r.hour): r.n for r in SourceHour.objects.all()} == kept
