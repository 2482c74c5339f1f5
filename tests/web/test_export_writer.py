"""The export writer (decision 0112): the same cells from the Rust writer and openpyxl, text never a
formula, the filters first, long lists streamed in pieces and cut at MAX_ROWS with a last row saying so."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from qingting.web.exports import writer

from .conftest import PASSWORD, stream

HOSTILE_CELLS = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "bell\x07 and\x1f unit", "普通文本"]


def _book(data: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    return [[c.value for c in r] for r in book.active.iter_rows()]


@pytest.mark.parametrize("engine", ["rvgsrust", "openpyxl"])
def test_both_xlsx_writers_write_the_same_cells_and_never_a_formula(engine: str) -> None:
    from openpyxl import load_workbook

    if engine == "rvgsrust":
        pytest.importorskip("rvgsrust_xlsxwriter", reason="no wheel of rvgsrust-xlsxwriter for this platform")
    write = writer.write_xlsx_rvgsrust if engine == "rvgsrust" else writer.write_xlsx_openpyxl
    preamble = [["检索结果"], ["导出时间", "2026-12-07 19:00", "analyst"], ["筛选条件：检索", "=1+1"], []]
    when = datetime(2026, 12, 7, 1, 2, tzinfo=UTC)  # 09:02 in Asia/Shanghai
    rows = [[when, *HOSTILE_CELLS, 42, 0.25, None, date(2026, 12, 1)]]
    handle = io.BytesIO()
    write(handle, "检索结果", preamble, ["时间", "a", "b", "c", "d", "e", "f", "n", "x", "空", "日"], rows)
    book = load_workbook(io.BytesIO(handle.getvalue()))
    sheet = book.active
    assert sheet.title == "检索结果"
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert values[0][0] == "检索结果" and values[2][:2] == ["筛选条件：检索", "=1+1"]
    assert values[4][0] == "时间" and sheet.cell(row=5, column=1).font.b  # the header row, bold
    data = values[5]
    assert data[0] == "2026-12-07 09:02"
    assert data[1:7] == [*HOSTILE_CELLS[:4], "bell and unit", "普通文本"]  # control characters dropped
    assert data[7] == 42 and data[8] == 0.25 and data[9] in (None, "") and data[10] == "2026-12-01"
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.value  # nothing a spreadsheet would run


def test_a_long_csv_streams_in_pieces_and_stops_at_the_limit_saying_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer, "MAX_ROWS", 5000)
    rows = ([i, f"第{i}行", "=cmd|' /C calc'!A0"] for i in range(6000))
    pieces = list(writer.csv_lines([["标题"], []], ["n", "文本", "公式"], rows))
    assert len(pieces) > 2 and all(len(p) < 2 * 64 * 1024 for p in pieces)
    table = list(csv.reader(io.StringIO("".join(pieces).lstrip("\ufeff"))))
    assert table[0] == ["标题"] and table[2] == ["n", "文本", "公式"]
    body = table[3:]
    assert [int(r[0]) for r in body[:-1]] == list(range(5000))  # every row once, in order, across pieces
    assert body[0][2] == "'=cmd|' /C calc'!A0"
    assert "5000" in body[-1][0] and len(body[-1]) == 1


def test_a_search_export_over_http_has_every_row_in_the_page_order(org: dict[str, Any], engine: str) -> None:
    from qingting.web.monitoring import services

    source = services.source_create(actor=None, unit=org["east"], name="东街论坛")
    scheme = services.scheme_create(actor=None, unit=org["east"], name="供水", sources=[source])
    services.ingest_items(scheme=scheme, source=source, records=stream("e", 40))
    client = Client()
    assert client.login(username="east_analyst", password=PASSWORD)
    for query in ({"q": "停水"}, {"date_from": "2025-01-01"}):  # the index alone; the item table
        response = client.get("/exports/search/", {**query, "format": "csv"})
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
        body = table[table.index(["发布时间", "来源", "标题", "正文", "情感倾向", "互动量", "地区", "链接"]) + 1 :]
        assert len(body) == 40 and {r[1] for r in body} == {"东街论坛"}
        times = [r[0] for r in body]
        assert times == sorted(times, reverse=True)  # newest first, as the page lists them
        assert body[0][0] == timezone.localtime(datetime.fromtimestamp(1_767_225_600 + 60 * 39, UTC)).strftime(
            "%Y-%m-%d %H:%M"
        )
        xlsx = client.get("/exports/search/", {**query, "format": "xlsx"})
        values = _book(b"".join(xlsx.streaming_content))
        assert [r[0] for r in values[-40:]] == times and values[-1][1] == "东街论坛"
