"""The reports demo archives reports with data in them: last month's only when the demo stream
reaches into last month, else yesterday's daily report; and the last complete week's."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_demo_archives_no_empty_month(engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from qingting.web import demo
    from qingting.web.reporting import demo as reporting_demo
    from qingting.web.reporting.models import IssuedReport

    setup = demo.demo_setup()
    demo.demo_ingest(setup, demo.demo_records(days=3, scale=0.2))
    today = timezone.localdate()
    line = reporting_demo.seed(setup)
    yesterday = (today - timedelta(days=1)).isoformat()
    if today.day > 4:  # a 3-day stream does not reach last month
        assert f"daily {yesterday}" in line and "monthly" not in line.split("archived")[1], line
        assert not IssuedReport.objects.filter(kind="monthly").exists()
    daily = IssuedReport.objects.get(kind="daily", period_label=yesterday) if today.day > 4 else None
    if daily is not None:
        assert sum(n for _, n in daily.figures["volume"]) > 0  # a report with something in it
    assert IssuedReport.objects.filter(kind="weekly").count() == 1
    assert reporting_demo.seed(setup) == line  # idempotent
    assert IssuedReport.objects.exclude(kind="bulletin").count() == 2


def test_demo_archives_last_month_when_the_stream_covers_it(engine: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from qingting.web import demo
    from qingting.web.reporting import demo as reporting_demo
    from qingting.web.reporting.models import IssuedReport

    setup = demo.demo_setup()
    demo.demo_ingest(setup, demo.demo_records(days=3, scale=0.2))
    now = timezone.localdate()
    later = (now.replace(day=1) + timedelta(days=40)).replace(day=2)  # "today" early next month
    monkeypatch.setattr(reporting_demo.timezone, "localdate", lambda *a: later)
    line = reporting_demo.seed(setup)
    label = f"{now.year}-{now.month:02d}"
    assert f"monthly {label}" in line, line
    report: Any = IssuedReport.objects.get(kind="monthly", period_label=label)
    assert sum(n for _, n in report.figures["volume"]) > 0
