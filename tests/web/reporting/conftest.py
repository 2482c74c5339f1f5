"""Seeded data for the reporting tests: items across units, days (Shanghai midnight) and regions."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

SH = ZoneInfo("Asia/Shanghai")
TEXTS = [
    "柳湾镇停水三天了，什么时候恢复供水，太糟糕了",
    "感谢水务局连夜抢修，点赞，服务很好",
    "东街道学校招生政策发布，家长关注",
    "西街道道路施工噪音扰民，投诉无人处理",
]


def records(prefix: str, when: list[datetime], regions: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "id": f"{prefix}-{i}",
            "text": f"{TEXTS[i % len(TEXTS)]}（{prefix}{i}）",
            "time": t.isoformat(),
            "author": f"u{i % 5}",
            "region": regions[i % len(regions)],
            "engagement": i,
        }
        for i, t in enumerate(when)
    ]


@pytest.fixture
def seeded(org: dict[str, Any], engine: str) -> dict[str, Any]:
    """Sources in the office, both townships and the east community; items from 2026-01-30 to
    2026-02-02 Shanghai time, some at 00:30 and 23:30 local (the UTC date differs)."""
    from qingting.web.monitoring import services
    from qingting.web.monitoring.models import SourceKind

    out = dict(org)
    plan = {
        "office": (SourceKind.NEWS, ["", "青禾县"]),
        "east": (SourceKind.SOCIAL, ["东街道", "东一社区"]),
        "west": (SourceKind.FORUM, ["西街道"]),
        "east_community": (SourceKind.SOCIAL, ["东一社区", ""]),
    }
    for n, (key, (kind, regions)) in enumerate(plan.items()):
        unit = org[key]
        source = services.source_create(actor=None, unit=unit, name=f"{unit.name}来源", kind=kind)
        scheme = services.scheme_create(actor=None, unit=unit, name=f"{unit.name}方案", sources=[source])
        when = []
        for day in (30, 31):
            when += [datetime(2026, 1, day, h, 30, tzinfo=SH) for h in (0, 9, 23)][: 2 + n % 2]
        for day in (1, 2):
            when += [datetime(2026, 2, day, h, 30, tzinfo=SH) for h in (0, 12, 23)][: 1 + n]
        services.ingest_items(scheme=scheme, source=source, records=records(key, when, regions))
        out[f"{key}_source"], out[f"{key}_scheme"] = source, scheme
    return out
