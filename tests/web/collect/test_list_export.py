"""The sources table as a spreadsheet (issue 15): the user's sources only, with their health."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.test import Client
from django.urls import reverse

from ..conftest import PASSWORD


def _csv(username: str) -> list[list[str]]:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    response = client.get(reverse("collect:list"), {"export": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_the_sources_table_downloads_scoped_with_its_health(monitored: dict[str, Any]) -> None:
    client = Client()
    assert client.login(username="east_analyst", password=PASSWORD)
    assert "下载此列表" in client.get(reverse("collect:list")).content.decode()
    rows = _csv("east_analyst")
    assert rows[0] == ["信息源"] and rows[2][0] == "筛选条件"
    header = rows[4]
    assert header[:4] == ["信息源", "地址", "类型", "单位"] and len(header) == 10
    body = rows[5:]
    assert [r[0] for r in body] == ["east-论坛"] and body[0][3] == "东街道"
    assert body[0][8] == "0"  # the stream is of 2026-01-01: nothing in the last 24 hours
    assert body[0][4] and not body[0][4].isascii()  # the state in words, in Chinese
    assert "west-论坛" not in {r[0] for r in body}
    assert {"east-论坛", "west-论坛"} <= {r[0] for r in _csv("office_leader")[5:]}
