"""The 直报 inbox as a spreadsheet (issue 15): what the user's units received only, the filter first."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qingting.web.bulletins.models import Adoption, Bulletin, Submission

from ..conftest import PASSWORD


def _client(user: Any) -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


def _csv(client: Client, **params: str) -> list[list[str]]:
    response = client.get(reverse("bulletins:inbox"), {**params, "export": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def _titles(rows: list[list[str]]) -> set[str]:
    return {r[2] for r in rows[5:] if len(r) > 2}


def test_the_inbox_downloads_scoped_with_its_filter(org: dict[str, Any]) -> None:
    from openpyxl import load_workbook

    w, now = org, timezone.now()

    def doc(unit: Any) -> Bulletin:
        return Bulletin.objects.create(unit=unit, title="专报", status="issued")

    Submission.objects.create(
        from_unit=w["east_community"],
        to_unit=w["east"],
        bulletin=doc(w["east_community"]),
        title="社区周报",
        submitted_at=now,
    )
    Submission.objects.create(
        bulletin=doc(w["east_community"]),
        from_unit=w["east_community"],
        to_unit=w["east"],
        title="社区月报",
        submitted_at=now,
        adoption=Adoption.values[1],
        decision_note="已采用",
        decided_at=now,
    )
    Submission.objects.create(
        from_unit=w["east"], to_unit=w["office"], bulletin=doc(w["east"]), title="东街道专报", submitted_at=now
    )
    east = _client(w["east_analyst"])
    page = east.get(reverse("bulletins:inbox"), {"pending": "1"}).content.decode()
    assert "下载此列表" in page and "?pending=1&amp;export=xlsx" in page
    rows = _csv(east, pending="1")
    assert rows[0] == [page.split("<h1>")[1].split("</h1>")[0]]  # the page's title first
    assert rows[1][0] == "导出时间" and rows[2] == ["筛选条件：采用情况", "仅显示待处理"] and rows[3] == []
    assert rows[4][:3] == ["报送单位", "接收单位", "文件"]
    assert _titles(rows) == {"社区周报"} and rows[5][1] == w["east"].name
    assert _titles(_csv(east)) == {"社区周报", "社区月报"}  # the office's inbox never leaves to the east
    book = load_workbook(
        io.BytesIO(b"".join(east.get(reverse("bulletins:inbox"), {"export": "xlsx"}).streaming_content))
    )
    assert "东街道专报" not in {r[2].value for r in book.active.iter_rows() if len(r) > 2}
    assert _titles(_csv(_client(w["west_analyst"]))) == set()
    assert _titles(_csv(_client(w["office_leader"]))) == {"社区周报", "社区月报", "东街道专报"}
