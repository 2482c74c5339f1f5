"""End to end: a feed that keeps failing raises one Ⅳ (blue) source warning, once.

Real polls of a loopback feed (HTTP 500, then a good feed) through ``source_poll``; the periodic
job ``collect.source_warnings`` run by name as the scheduler runs it; the warning closed by a
person as the warnings lifecycle has it (a recovered source does not close it by itself).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from _loopback import LoopbackServer, send
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qingting.web import periodic
from qingting.web.monitoring.models import Source
from qingting.web.monitoring.services.polling import source_poll
from qingting.web.warnings import services as warnings
from qingting.web.warnings.models import Warning, WarningKind, WarningStatus

from ..conftest import PASSWORD
from .conftest import rss

pytestmark = pytest.mark.django_db


def _open(source: Source) -> Any:
    return Warning.objects.filter(source=source, kind=WarningKind.SOURCE, status__in=["new", "acknowledged"])


def test_a_failing_feed_raises_one_source_warning_once(
    admins: dict[str, Any], server: LoopbackServer, allow_loopback: str, settings: Any
) -> None:
    assert settings.QINGTING_SOURCE_FAILURES == 3
    state = {"ok": False}

    def feed(h: Any) -> None:
        if state["ok"]:
            send(h, 200, rss([1, 2]), "application/rss+xml")
        else:
            send(h, 500, b"oops")

    server.routes["/feed"] = feed
    east = Client()
    assert east.login(username="east_admin", password=PASSWORD)
    form = {"name": "镇政府新闻", "unit": admins["east"].pk, "connector": "rss", "url": server.url("/feed"),
            "poll_minutes": 15, "is_active": "on", "respect_robots": "on"}  # fmt: skip
    assert east.post(reverse("collect:add"), form).status_code == 302
    source = Source.objects.get(name="镇政府新闻")
    now = timezone.now()

    def poll_and_check(minutes: int) -> int:
        report = source_poll(source_id=source.pk, now=now + timedelta(minutes=minutes))
        assert report.polled
        return int(periodic.run("collect.source_warnings", now + timedelta(minutes=minutes)))

    # two failures: not yet a problem; the third: one Ⅳ source warning of the source's unit
    assert [poll_and_check(m) for m in (0, 5)] == [0, 0]
    assert not Warning.objects.filter(source=source).exists()
    assert poll_and_check(10) == 1
    [w] = _open(source)
    assert (w.tier, w.unit_id, w.event_id, w.status) == (4, admins["east"].pk, None, WarningStatus.NEW)
    assert "500" in w.reason and source.name in w.title
    # still failing, the job runs again (and twice at once): no second warning
    assert poll_and_check(15) == 0
    assert periodic.run("collect.source_warnings", now + timedelta(minutes=15)) == 0
    assert Warning.objects.filter(source=source).count() == 1
    # acknowledged is still open: nothing new
    warnings.warning_acknowledge(actor=admins["east_admin"], warning_id=w.pk)
    assert poll_and_check(20) == 0
    # recovery: the source is fine again, the job raises nothing; the warning waits for a person
    state["ok"] = True
    assert poll_and_check(25) == 0
    source.refresh_from_db()
    assert source.consecutive_failures == 0 and source.items.count() == 2
    assert _open(source).count() == 1
    warnings.warning_dismiss(actor=admins["east_admin"], warning_id=w.pk, reason="源站已恢复")
    assert poll_and_check(30) == 0 and not _open(source).exists()
    # failing again later: a new warning, once
    state["ok"] = False
    assert [poll_and_check(m) for m in (35, 40, 45, 50)] == [0, 0, 1, 0]
    assert Warning.objects.filter(source=source).count() == 2 and _open(source).count() == 1
    # the east analyst sees it in the list; the west analyst does not
    page = reverse("warnings:detail", args=[_open(source).get().pk])
    analyst = Client()
    assert analyst.login(username="east_analyst", password=PASSWORD)
    assert analyst.get(page).status_code == 200
    assert analyst.login(username="west_analyst", password=PASSWORD)
    assert analyst.get(page).status_code == 404
