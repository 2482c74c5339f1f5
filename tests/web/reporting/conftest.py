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


@pytest.fixture
def with_cases(seeded: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Cases received in January 2026 in east, its community and west; some closed (at set times)."""
    from datetime import timedelta

    from qingting.web.accounts import services as accounts
    from qingting.web.accounts.models import Role
    from qingting.web.cases import services as cases

    people = {}
    for name, role in (("dispatcher", Role.REVIEWER), ("handler", Role.HANDLER)):
        people[name] = accounts.user_create(actor=None, username=f"r_{name}", password="Qt-test-pass-2026!")
        accounts.membership_grant(actor=None, user=people[name], unit=seeded["office"], role=role)
    d, h = people["dispatcher"], people["handler"]
    plan = [  # (unit, received day/hour, hours until closed or None)
        ("east", (5, 9), 20),
        ("east", (6, 10), 200),
        ("east", (7, 11), None),
        ("east_community", (8, 9), 30),
        ("east_community", (30, 22), 3),
        ("west", (12, 8), 48),
        ("west", (20, 8), None),
    ]
    made = []
    for i, (key, (day, hour), hours) in enumerate(plan):
        received = datetime(2026, 1, day, hour, tzinfo=SH)
        monkeypatch.setattr(cases, "_now", lambda t=received: t)
        case = cases.case_create(
            actor=None,
            unit=seeded[key],
            channel="web",
            category="complaint",
            summary=f"诉求{i}",
            received_at=received,
        )
        if hours is not None:
            for who, action, kw, after in (
                (d, "register", {}, 1),
                (d, "assign", {"assignee_id": h.pk}, 1),
                (h, "claim", {}, 1),
                (h, "answer", {"reply": "已处理。"}, hours),
                (d, "close", {}, hours),
            ):
                monkeypatch.setattr(cases, "_now", lambda t=received + timedelta(hours=after): t)
                case = cases.case_act(actor=who, case_id=case.pk, action=action, **kw)
        made.append(case)
    monkeypatch.undo()
    return {**seeded, "cases": made}


# (unit, Shanghai time raised, tier, status): in and out of January 2026, in and out of each subtree.
WARNING_PLAN = [
    ("east", datetime(2026, 1, 1, 0, 10, tzinfo=SH), 4, "new"),  # first minutes of the month
    ("east", datetime(2026, 1, 9, 12, 0, tzinfo=SH), 3, "dismissed"),  # dismissed still counts as raised
    ("east_community", datetime(2026, 1, 15, 9, 0, tzinfo=SH), 4, "promoted"),
    ("east_community", datetime(2026, 1, 31, 23, 50, tzinfo=SH), 1, "acknowledged"),  # last minutes
    ("west", datetime(2026, 1, 20, 8, 0, tzinfo=SH), 2, "new"),
    ("west", datetime(2026, 1, 21, 8, 0, tzinfo=SH), 4, "superseded"),
    ("office", datetime(2026, 1, 3, 8, 0, tzinfo=SH), 3, "new"),
    ("east", datetime(2025, 12, 31, 23, 59, tzinfo=SH), 1, "new"),  # the day before (UTC: still 31 Dec)
    ("east", datetime(2026, 2, 1, 0, 1, tzinfo=SH), 2, "new"),  # the day after (UTC: still 31 Jan)
    ("west", datetime(2026, 2, 14, 9, 0, tzinfo=SH), 4, "new"),
]


@pytest.fixture
def with_warnings(seeded: dict[str, Any]) -> dict[str, Any]:
    """Warning rows of every tier in and around January 2026 (see ``WARNING_PLAN``)."""
    from qingting.web.warnings.models import Warning, WarningKind

    made = []
    for i, (key, raised, tier, status) in enumerate(WARNING_PLAN):
        made.append(
            Warning.objects.create(
                unit=seeded[key],
                scheme=seeded[f"{key}_scheme"],
                kind=WarningKind.EVENT,
                tier=tier,
                status=status,
                title=f"预警{i}",
                reason="测试预警",
                raised_at=raised,
            )
        )
    return {**seeded, "warnings": made}


# (sending unit, Shanghai time submitted, adoption): in and out of January 2026.
SUBMISSION_PLAN = [
    ("east", datetime(2026, 1, 4, 10, 0, tzinfo=SH), "full"),
    ("east", datetime(2026, 1, 10, 10, 0, tzinfo=SH), "summary"),
    ("east_community", datetime(2026, 1, 12, 10, 0, tzinfo=SH), "not_adopted"),
    ("east_community", datetime(2026, 1, 31, 23, 30, tzinfo=SH), "pending"),
    ("west", datetime(2026, 1, 18, 10, 0, tzinfo=SH), "full"),
    ("east", datetime(2026, 2, 1, 0, 30, tzinfo=SH), "full"),  # February
    ("west", datetime(2025, 12, 31, 22, 0, tzinfo=SH), "summary"),  # December
]


@pytest.fixture
def with_submissions(seeded: dict[str, Any]) -> dict[str, Any]:
    """Upward submissions (直报) of bulletins to the parent unit (see ``SUBMISSION_PLAN``)."""
    from qingting.web.bulletins.models import Bulletin, Submission

    made = []
    for i, (key, when, adoption) in enumerate(SUBMISSION_PLAN):
        unit = seeded[key]
        bulletin = Bulletin.objects.create(unit=unit, title=f"专报{i}")
        made.append(
            Submission.objects.create(
                from_unit=unit,
                to_unit=unit.parent,
                bulletin=bulletin,
                title=bulletin.title,
                submitted_at=when,
                adoption=adoption,
            )
        )
    return {**seeded, "submissions": made}
