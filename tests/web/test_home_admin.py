"""The administrator's home (issue 15): channels whose last inspection failed and background work
that failed this week, next to the failing sources — each only within the administrator's units."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from .conftest import PASSWORD


def _admin(org: dict[str, Any], side: str) -> Any:
    from qingting.web.accounts import services
    from qingting.web.accounts.models import Role

    user = services.user_create(actor=None, username=f"{side}_admin", password=PASSWORD)
    services.membership_grant(actor=None, user=user, unit=org[side], role=Role.ADMIN)
    return user


def _home(user: Any) -> str:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    response = client.get("/home/")
    assert response.status_code == 200
    return str(response.content.decode())


def test_admin_home_lists_failing_channels_and_failed_jobs_in_scope(org: dict[str, Any]) -> None:
    from qingting.web.channels.inspections import inspection_run
    from qingting.web.channels.models import Verdict
    from qingting.web.channels.services import channel_save
    from qingting.web.collect.models import ImportRun
    from qingting.web.collect.services import imports_interrupted
    from qingting.web.monitoring import services

    east_admin, west_admin = _admin(org, "east"), _admin(org, "west")
    now = timezone.now()
    source = services.source_create(actor=None, unit=org["east"], name="东街发布源", kind="import")
    # Published every other day until three weeks ago, then nothing: the inspection fails it.
    services.store_items(source=source, records=[
        {"id": f"p{i}", "title": f"第{i}条", "text": f"第{i}条信息。", "time": now - timedelta(days=60 - 2 * i)}
        for i in range(20)
    ])  # fmt: skip
    channel = channel_save(actor=east_admin, unit=org["east"], kind="wechat", name="东街发布", source=source)
    inspection = inspection_run(actor=None, channel=channel, now=now)
    assert inspection.verdict == Verdict.FAIL, inspection.result
    ImportRun.objects.create(source=source, file_name="东街留言.xlsx", started_by=east_admin)
    ImportRun.objects.filter(file_name="东街留言.xlsx").update(started_at=now - timedelta(hours=1))
    assert imports_interrupted(now) == 1

    html = _home(east_admin)
    failing = html[html.index('id="failing-channels"') :]
    assert "东街发布" in failing[: failing.index("</section>")] and f"/channels/{channel.pk}/inspections/" in failing
    jobs = html[html.index('id="failed-jobs"') :]
    assert "文件导入" in jobs and "东街留言.xlsx" in jobs[: jobs.index("</section>")]
    assert "个自有平台检查不合格" in html and "项后台任务本周失败" in html
    # Another township's administrator sees neither (and is told there is nothing).
    west = _home(west_admin)
    assert "东街发布" not in west and "东街留言" not in west and 'id="failed-jobs"' not in west
