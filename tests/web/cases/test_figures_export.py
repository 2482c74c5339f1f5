"""The case figures table as a spreadsheet (issue 15): the user's units only, the period first."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qingting.web.cases import services

from ..conftest import PASSWORD


def _rows(client: Client, **params: str) -> list[list[str]]:
    response = client.get(reverse("cases:metrics"), params)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_case_figures_export_is_scoped_with_the_period_first(people: dict[str, Any]) -> None:
    from openpyxl import load_workbook

    d = people["dispatcher"]
    for unit, n in ((people["east"], 2), (people["west"], 3)):
        for i in range(n):
            services.case_create(actor=d, unit=unit, channel="hotline", category="complaint", summary=f"第{i}件")
    page = Client()
    assert page.login(username="leader", password=PASSWORD)
    html = page.get(reverse("cases:metrics"), {"period": "month"}).content.decode()
    assert "period=month&amp;export=xlsx" in html and "下载本表" in html
    office = _rows(page, period="month", export="csv")
    assert office[0] == ["办理统计"] and office[1][0] == "导出时间"
    assert office[2][0] == "筛选条件：统计期间" and office[2][1].endswith(str(timezone.localdate()))
    by_unit = {r[0]: r for r in office if len(r) > 2}
    assert by_unit["西街道"][1] == "3" and by_unit["东街道"][1] == "2" and by_unit["合计"][1] == "5"
    east = Client()
    assert east.login(username="east_analyst", password=PASSWORD)
    mine = {r[0]: r for r in _rows(east, export="csv") if len(r) > 2}
    assert "西街道" not in mine and mine["东街道"][1] == "2" and mine["合计"][1] == "2"  # the township's own
    book = load_workbook(io.BytesIO(b"".join(east.get(reverse("cases:metrics"), {"export": "xlsx"}).streaming_content)))
    values = [[c.value for c in r] for r in book.active.iter_rows()]
    assert values[-1][0] == "合计" and values[-1][1] == 2
