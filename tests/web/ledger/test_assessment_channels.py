"""The assessment's metrics from the channels and releases apps: own channels failing their
inspection and 信息准确率, each cross-checked against a direct query and traced to its rows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from qingting.web.channels import inspections
from qingting.web.channels import services as channels
from qingting.web.channels.models import Inspection
from qingting.web.ledger import assessment
from qingting.web.releases.models import Correction, Release


def _silent_channel(unit: Any, name: str, days: float) -> Any:
    from qingting.web.monitoring import services as monitoring

    source = monitoring.source_create(actor=None, unit=unit, name=f"{name}源", kind="import")
    monitoring.store_items(
        source=source, records=[{"id": "1", "text": "动态", "time": timezone.now() - timedelta(days=days)}]
    )
    return channels.channel_save(actor=None, unit=unit, kind="wechat", name=name, source=source)


def _published(unit: Any, chans: list[Any], corrected: bool) -> Release:
    r = Release.objects.create(
        unit=unit, title="稿", body="正文", status="published", published_at=timezone.now() - timedelta(days=1)
    )
    r.channels.set(chans)
    if corrected:
        Correction.objects.create(release=r, channel=chans[0], what_was_wrong="日期写错")
    return r


def test_channel_and_accuracy_metrics_match_direct_queries(staff: dict[str, Any]) -> None:
    east, west = staff["east"], staff["west"]
    east_fail = _silent_channel(east, "东街道发布", 21)
    east_ok = _silent_channel(staff["east_community"], "东一社区发布", 1)
    west_ok = _silent_channel(west, "西街道发布", 2)
    for c in (east_fail, east_ok, west_ok):
        inspections.inspection_run(actor=None, channel=c)
    _published(east, [east_fail, east_ok], corrected=True)  # counts on 2 channels, corrected on one
    _published(east, [east_ok], corrected=False)
    _published(west, [west_ok], corrected=False)
    year = timezone.localdate().year
    scheme = assessment.scheme_save(
        actor=staff["office_admin"],
        office=staff["office"],
        year=year,
        level="township",
        name="阵地考核",
        indicators=[
            {"name": "信息准确率", "metric": "release_accuracy", "role": "score", "weight": 100, "full_at": 100,
             "zero_at": 80},
            {"name": "平台不合格", "metric": "channels_failed", "role": "deduction", "weight": 10, "per": 5},
        ],
    )  # fmt: skip
    result = assessment.compute(scheme, str(year))
    cards = {c["unit"]: {s["metric"]: s for s in c["scores"]} for c in result["units"]}
    # Direct queries: the latest verdict of each channel under each township.
    failed_east = sum(
        1
        for ch in (east_fail, east_ok)
        if Inspection.objects.filter(channel=ch).order_by("-checked_at").first().verdict == "fail"  # type: ignore[union-attr]
    )
    assert cards["东街道"]["channels_failed"]["value"] == failed_east == 1
    assert cards["西街道"]["channels_failed"]["value"] == 0
    # 信息准确率: per channel a release counts once; east published 3 (2 + 1), one corrected.
    assert cards["东街道"]["release_accuracy"]["num"] == 2 and cards["东街道"]["release_accuracy"]["den"] == 3
    assert cards["西街道"]["release_accuracy"]["value"] == 100.0
    rank = {c["unit"]: c["rank"] for c in result["units"]}
    assert rank["西街道"] < rank["东街道"]  # units ranked, never people
    header, rows = assessment.metric_rows(staff["office_leader"], "channels_failed", east, str(year))
    assert header[0] == "平台" and rows[0][0] == "东街道发布" and len(rows) == 2
    header, rows = assessment.metric_rows(staff["office_leader"], "release_accuracy", east, str(year))
    assert sum(r[2] for r in rows) == 3 and sum(r[3] for r in rows) == 1
