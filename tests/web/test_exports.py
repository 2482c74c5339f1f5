"""Search results and an event's items as spreadsheets: scoped like the pages, filters first."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.test import Client

from .conftest import PASSWORD, stream


def _client(name: str) -> Client:
    client = Client()
    assert client.login(username=name, password=PASSWORD)
    return client


def _csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.content[:300]
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_search_and_event_exports_are_scoped(org: dict[str, Any], engine: str) -> None:
    from openpyxl import load_workbook

    from qingting.web.monitoring import services
    from qingting.web.monitoring.models import Event

    east = services.source_create(actor=None, unit=org["east"], name="东街论坛")
    west = services.source_create(actor=None, unit=org["west"], name="西街论坛")
    # One story in each township (one organisation: the same story would be one shared event).
    for unit, source, prefix, text in (
        (org["east"], east, "e", "柳湾镇停水，什么时候恢复供水"),
        (org["west"], west, "w", "西街道菜市场排水沟堵塞，什么时候疏通"),
    ):
        scheme = services.scheme_create(actor=None, unit=unit, name=f"供水{prefix}", sources=[source])
        services.ingest_items(scheme=scheme, source=source, records=stream(prefix, 6, text=text))
    client = _client("east_analyst")
    rows = _csv(client.get("/exports/search/", {"q": "停水", "source": east.pk, "format": "csv"}))
    assert rows[0] == ["检索结果"] and rows[1][0] == "导出时间"
    assert ["筛选条件：检索", "停水"] in rows[:6] and ["筛选条件：信息源", "东街论坛"] in rows[:6]
    assert rows[5][:2] == ["发布时间", "来源"]
    sources = {r[1] for r in rows[6:] if len(r) > 2}
    assert sources == {"东街论坛"}
    everything = _csv(client.get("/exports/search/", {"q": "什么时候", "format": "csv"}))
    assert "西街论坛" not in {r[1] for r in everything if len(r) > 2}  # another unit's items never leave

    event = Event.objects.filter(unit=org["east"]).first() if hasattr(Event, "unit") else None
    event = event or Event.objects.filter(items__source=east).distinct().first()
    assert event is not None
    book = load_workbook(io.BytesIO(b"".join(client.get(f"/exports/events/{event.pk}/").streaming_content)))
    values = [[c.value for c in r] for r in book.active.iter_rows()]
    assert values[0][0].startswith("事件") and any(r[1] == "东街论坛" for r in values if len(r) > 1)
    assert not any(r[1] == "西街论坛" for r in values if len(r) > 1)
    other = Event.objects.filter(items__source=west).exclude(items__source=east).distinct().first()
    assert other is not None and client.get(f"/exports/events/{other.pk}/").status_code == 404
    assert client.get("/exports/search/", {"q": "停水", "format": "exe"}).status_code == 404
