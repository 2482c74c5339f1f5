"""The task ledger as a spreadsheet (issue 15): the user's tasks only, overdue shown as on the page,
the state and unit filters in the first rows."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from qingting.web.ledger import services

from ..conftest import PASSWORD


def _csv(client: Client, **params: str) -> list[list[str]]:
    response = client.get("/ledger/", {**params, "export": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_the_task_ledger_downloads_scoped_with_its_filters(staff: dict[str, Any]) -> None:
    today = timezone.localdate()
    common = {"actor": staff["office_leader"], "issuing_unit": staff["office"], "source": "document"}
    late: dict[str, Any] = {"start": today - timedelta(days=30), "due": today - timedelta(days=1), "working_days": None}
    services.task_create(**common, **late, unit=staff["east"], assignee=staff["east_handler"], title="=核查停水舆情")
    services.task_create(
        **common,
        unit=staff["west"],
        assignee=staff["west_handler"],
        title="西街道路施工答复",
        start=today,
        working_days=10,
    )
    east = Client()
    assert east.login(username="east_handler", password=PASSWORD)
    page = east.get("/ledger/", {"state": "overdue"}).content.decode()
    assert "下载此列表" in page and "state=overdue&amp;unit=&amp;export=xlsx" in page
    rows = _csv(east, state="overdue")
    assert rows[0] == ["任务台账"] and rows[1][0] == "导出时间" and rows[2][0] == "筛选条件：状态"
    body = rows[rows.index([]) + 2 :]
    overdue = rows[2][1]  # the page's word for it
    assert overdue and overdue in page
    assert body == [["'=核查停水舆情", "东街道", "east_handler", body[0][3], str(today - timedelta(days=1)), overdue]]
    assert "西街道路施工答复" not in {r[0] for r in _csv(east) if r}  # another unit's task never leaves
    office = Client()
    assert office.login(username="office_leader", password=PASSWORD)
    everything = {r[0] for r in _csv(office) if r}
    assert {"'=核查停水舆情", "西街道路施工答复"} <= everything
