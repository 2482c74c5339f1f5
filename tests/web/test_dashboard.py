"""The dashboard (issue 15): a period selector, key figures against the usual level, the period's
keywords, the last partial day marked as such, the daily table as a spreadsheet — each in the
user's scope, on the real database with the real engine placing the items."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from qingting.web.monitoring.dashboard import Period

from .conftest import PASSWORD


def _client(name: str) -> Client:
    client = Client()
    assert client.login(username=name, password=PASSWORD)
    return client


def _charts(html: str) -> dict[str, Any]:
    found = re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', html, re.S)
    assert found, "no chart data on the page"
    return dict(json.loads(found.group(1)))


def _tile(html: str, title: str) -> str:
    start = html.index('id="key-figures"')
    block = html[start : html.index('</div>\n\n<div class="grid">', start)]
    tile = next(t for t in block.split('class="tile"') if title in t)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", tile))


def test_period_parse() -> None:
    today = date(2026, 12, 7)
    assert Period.parse({}, today=today) == Period("7d", date(2026, 12, 1), today)
    assert Period.parse({"period": "today"}, today=today) == Period("today", today, today)
    assert Period.parse({"period": "30d"}, today=today).first == date(2026, 11, 8)
    custom = Period.parse({"period": "custom", "from": "2026-12-05", "to": "2026-11-20"}, today=today)
    assert (custom.first, custom.last, custom.days) == (date(2026, 11, 20), date(2026, 12, 5), 16)
    assert Period.parse({"period": "custom", "from": "2026-12-01", "to": "2027-01-01"}, today=today).last == today
    assert Period.parse({"period": "custom", "from": "2020-01-01"}, today=today).days == 366  # a year at most
    assert Period.parse({"period": "custom", "from": "soon"}, today=today).key == "7d"
    assert Period.parse({"period": "bogus"}, today=today).key == "7d"


@pytest.fixture
def busy(org: dict[str, Any], engine: str) -> dict[str, Any]:
    """East: two posts at the same hours on each of the previous 14 days, six today; west: one
    story today about another subject. Both before now, whatever time the test runs."""
    from qingting.web.monitoring import services

    now = timezone.now()
    # Posts an hour before now, or just past midnight when the day is younger than that (today's
    # six are then a second apart: the test may run at any time of day but the first seconds).
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    at = max(midnight + timedelta(seconds=1), now - timedelta(hours=1))
    offset = at - midnight
    out = dict(org)
    for side in ("east", "west"):
        source = services.source_create(actor=None, unit=org[side], name=f"{side}论坛")
        out[f"{side}_source"] = source
        out[f"{side}_scheme"] = services.scheme_create(actor=None, unit=org[side], name=f"{side}方案", sources=[source])
    records = []
    for back in range(1, 15):
        day = midnight - timedelta(days=back) + offset
        for i in range(2):
            records.append({"id": f"e{back}-{i}", "text": f"柳湾镇停水，自来水公司抢修管道（{back}-{i}）",
                            "time": (day + timedelta(seconds=i)).timestamp()})  # fmt: skip
    for i in range(6):
        records.append({"id": f"t{i}", "text": f"柳湾镇停水，自来水公司抢修管道，今天第{i}条",
                        "time": (at + timedelta(seconds=i)).timestamp()})  # fmt: skip
    services.ingest_items(scheme=out["east_scheme"], source=out["east_source"], records=records)
    services.ingest_items(
        scheme=out["west_scheme"],
        source=out["west_source"],
        records=[
            {
                "id": f"w{i}",
                "text": f"西街道学校招生争议，家长不满意（{i}）",
                "time": (at + timedelta(seconds=i)).timestamp(),
            }
            for i in range(9)
        ],
    )
    return out


def test_tiles_compare_today_with_the_same_hours_of_earlier_days_in_scope(busy: dict[str, Any]) -> None:
    east = _client("east_analyst").get("/")
    assert east.status_code == 200
    html = east.content.decode()
    volume = _tile(html, "今日信息量")
    # Six today against two at the same hours on each earlier day: +200 %, marked as well above.
    assert re.search(r"\b6\b", volume) and "+200%" in volume and "常态 2" in volume, volume
    assert 'class="cmp up"' in html[html.index('id="key-figures"') :]
    assert "今日负面占比" in html and "未处置预警" in html and "超期诉求" in html
    # The office sees both townships: west's nine posts today have no earlier days beside them.
    office = _tile(_client("office_leader").get("/").content.decode(), "今日信息量")
    assert re.search(r"\b15\b", office) and "+650%" in office, office
    west = _tile(_client("west_analyst").get("/").content.decode(), "今日信息量")
    assert re.search(r"\b9\b", west) and "尚无常态可比" in west, west


def test_period_selector_word_cloud_and_partial_day(busy: dict[str, Any]) -> None:
    client = _client("east_analyst")
    html = client.get("/", {"period": "7d"}).content.decode()
    charts = _charts(html)
    assert len(charts["volume"]) == 7 and charts["volume"][-1][1] == 6 and charts["volume"][0][1] == 2
    assert charts["partial"] and charts["partial"]["label"].startswith("截至")  # today so far, drawn dashed
    words = [w for w, _n in charts["words"]]
    assert words and any("停水" in w or "自来水" in w or "抢修" in w for w in words), words
    assert not any("招生" in w or "家长" in w for w in words)  # west's story is not in east's cloud
    assert "echarts-wordcloud.min.js" in html
    assert 'aria-current="true"' in html and 'data-period="7d"' in html
    assert "7 天" not in html and "7天" in html and "自定义" in html
    month = _charts(client.get("/", {"period": "30d"}).content.decode())
    assert len(month["volume"]) == 30 and sum(n for _d, n in month["volume"]) == 34
    today = _charts(client.get("/", {"period": "today"}).content.decode())
    assert today["volume"][-1][0].endswith(":00") and sum(n for _h, n in today["volume"]) == 6  # by the hour
    yesterday = timezone.localdate() - timedelta(days=1)
    past = client.get("/", {"period": "custom", "from": str(yesterday - timedelta(days=2)), "to": str(yesterday)})
    past_charts = _charts(past.content.decode())
    assert [n for _d, n in past_charts["volume"]] == [2, 2, 2] and past_charts["partial"] is None
    assert "6 条信息" in past.content.decode()


def test_daily_figures_export_is_scoped_with_the_period_first(busy: dict[str, Any]) -> None:
    from openpyxl import load_workbook

    response = _client("east_analyst").get("/", {"period": "7d", "export": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["综合看板：每日数据"] and rows[1][0] == "导出时间"
    assert rows[2][0] == "筛选条件：统计期间" and "近 7 天" in rows[2][1], rows[:4]
    header = rows.index(next(r for r in rows if r and r[0] == "日期"))
    days = rows[header + 1 :]
    assert len(days) == 7 and [int(r[1]) for r in days] == [2, 2, 2, 2, 2, 2, 6]  # east only, not west's 9
    office = _client("office_leader").get("/", {"period": "today", "export": "xlsx"})
    book = load_workbook(io.BytesIO(b"".join(office.streaming_content)))
    values = [[c.value for c in r] for r in book.active.iter_rows()]
    assert values[-1][1] == 15 and values[-1][0] == timezone.localdate().isoformat()


def test_every_role_opens_the_dashboard(org: dict[str, Any]) -> None:
    from qingting.web.accounts import services
    from qingting.web.accounts.models import Role

    for role in (Role.ADMIN, Role.HANDLER, Role.REVIEWER, Role.LEADER):
        user = services.user_create(actor=None, username=f"east_{role}", password=PASSWORD)
        services.membership_grant(actor=None, user=user, unit=org["east"], role=role)
        response = _client(user.username).get("/", {"period": "today"})
        assert response.status_code == 200, role
        html = response.content.decode()
        assert "尚无常态可比" in html and "本期暂无关键词" in html  # nothing stored yet: said, not blank
