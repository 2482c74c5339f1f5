"""The bulletins list as a spreadsheet (issue 15): the user's bulletins only, the status filter first."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.test import Client
from django.urls import reverse

from qingting.web.bulletins import services

from ..conftest import PASSWORD


def _client(user: Any) -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


def _csv(client: Client, **params: str) -> list[list[str]]:
    response = client.get(reverse("bulletins:list"), {**params, "export": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_the_bulletins_list_downloads_scoped_with_its_filter(world: dict[str, Any]) -> None:
    from openpyxl import load_workbook

    w = world
    b = services.bulletin_create(actor=w["east_analyst"], unit=w["east"], events=w["east_events"])
    east = _client(w["east_analyst"])
    page = east.get(reverse("bulletins:list"), {"status": "draft"}).content.decode()
    assert "下载此列表" in page and "status=draft&amp;export=xlsx" in page
    rows = _csv(east, status="draft")
    assert rows[0] == ["舆情专报"]  # the list's title first
    assert rows[1][0] == "导出时间" and rows[2][0] == "筛选条件：状态" and rows[3] == []
    body = rows[5:]
    assert len(body) == 1 and body[0][1] == b.title and body[0][2] == "东街道" and body[0][3] == rows[2][1]
    book = load_workbook(
        io.BytesIO(b"".join(east.get(reverse("bulletins:list"), {"export": "xlsx"}).streaming_content))
    )
    assert [c.value for c in list(book.active.iter_rows())[-1]][1] == b.title
    assert b.title not in {r[1] for r in _csv(_client(w["west_analyst"])) if len(r) > 1}  # never leaves its unit
    assert b.title in {r[1] for r in _csv(_client(w["office_leader"])) if len(r) > 1}
