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
