"""The channels list as a spreadsheet (issue 15): the user's channels only, the kind and state filters first."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qingting.web.channels import services
from qingting.web.channels.models import Inspection, InspectionTrigger

from ..conftest import PASSWORD


def _client(user: Any) -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


def _csv(client: Client, **params: str) -> list[list[str]]:
    response = client.get(reverse("channels:list"), {**params, "export": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_the_channels_list_downloads_scoped_with_its_filters(org: dict[str, Any]) -> None:
    from openpyxl import load_workbook

    w = org
    east = services.channel_save(actor=None, unit=w["east_community"], kind="screen", name="东一社区LED屏")
    services.channel_save(actor=None, unit=w["east"], kind="website", name="东街道网站")
    services.channel_save(actor=None, unit=w["west"], kind="screen", name="西街道大屏")
    Inspection.objects.create(
        channel=east, checked_at=timezone.now(), trigger=InspectionTrigger.values[0], verdict="fail", score=61.6
    )
    client = _client(w["east_analyst"])
    page = client.get(reverse("channels:list"), {"kind": "screen"}).content.decode()
    assert "下载此列表" in page and "kind=screen&amp;state=&amp;export=xlsx" in page
    rows = _csv(client, kind="screen")
    assert rows[0] == ["自有平台"]  # the list's title first
    assert rows[1][0] == "导出时间" and rows[2][0] == "筛选条件：类型" and rows[3] == []
    body = rows[5:]
    assert [r[0] for r in body] == ["东一社区LED屏"]  # the filter applies, the website is left out
    assert body[0][2] == w["east_community"].name and rows[4][6] == "结论"
    assert body[0][5] == "62" and body[0][6] == "不合格"
    assert {r[0] for r in _csv(client)[5:]} == {"东一社区LED屏", "东街道网站"}  # never the west's screen
    book = load_workbook(
        io.BytesIO(b"".join(client.get(reverse("channels:list"), {"export": "xlsx"}).streaming_content))
    )
    assert "西街道大屏" not in {r[0].value for r in book.active.iter_rows()}
    assert "西街道大屏" in {r[0] for r in _csv(_client(w["office_leader"])) if r}
    assert "东一社区LED屏" not in {r[0] for r in _csv(_client(w["west_analyst"])) if r}
