"""The releases list as a spreadsheet (issue 15): the user's releases only, the filters first."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.test import Client

from ..conftest import PASSWORD


def _csv(client: Client, **params: str) -> list[list[str]]:
    response = client.get("/releases/", {**params, "export": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def _client(user: Any) -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


def test_the_releases_list_downloads_scoped_with_its_filters(team: dict[str, Any], draft: Any) -> None:
    from openpyxl import load_workbook

    east = _client(team["east_analyst"])
    page = east.get("/releases/", {"status": "draft", "q": "消防"}).text
    assert "下载此列表" in page and "status=draft&amp;q=%E6%B6%88%E9%98%B2&amp;export=xlsx" in page
    rows = _csv(east, status="draft", q="消防")
    assert rows[0][0] and rows[1][0] == "导出时间"
    assert rows[2][0] == "筛选条件：状态" and rows[3] == ["筛选条件：标题", "消防"] and rows[4] == []
    body = rows[6:]
    assert body == [[draft.title, "东街道", rows[2][1], body[0][3], body[0][4]]]
    assert not [r for r in _csv(east, q="不存在的标题")[6:] if r]  # the title filter applies
    book = load_workbook(io.BytesIO(b"".join(east.get("/releases/", {"export": "xlsx"}).streaming_content)))
    assert list(book.active.iter_rows())[-1][0].value == draft.title
    assert draft.title not in {r[0] for r in _csv(_client(team["west_analyst"])) if r}  # never leaves its unit
    assert draft.title in {r[0] for r in _csv(_client(team["office_leader"])) if r}
