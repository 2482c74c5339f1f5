"""File imports: JSONL, CSV, Excel with a field mapping, streamed."""

from __future__ import annotations

import datetime as dt
import tracemalloc
from pathlib import Path

import openpyxl
import orjson
import pytest

from qingting.sources.files import parse_mapping, read_file_items
from qingting.sources.types import FetchedItem, FetchError, pseudonymise

KEY = b"k"


def test_jsonl_with_mapping_and_per_record_errors(tmp_path: Path) -> None:
    p = tmp_path / "export.jsonl"
    rows = [
        {"编号": "a1", "内容": "路灯坏了", "发布时间": "2026-11-01 08:00:00", "网名": "张三", "链接": "http://x/1"},
        {"编号": "a2", "发布时间": "2026-11-01"},
        {"编号": "a3", "内容": "噪音扰民", "发布时间": "not a time"},
    ]
    p.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n{broken\n")
    mapping = parse_mapping("id=编号,text=内容,time=发布时间,author=网名,url=链接")
    out = list(read_file_items(p, key=KEY, fields=mapping))
    assert isinstance(out[0], FetchedItem)
    assert out[0].external_id == "a1" and out[0].text == "路灯坏了" and out[0].url == "http://x/1"
    assert out[0].published_at == 1793491200.0 and out[0].author_pseudonym == pseudonymise("张三", KEY)
    assert "张三" not in repr(out[0])
    record = out[0].as_record()  # what the platform's ingestion service receives
    assert record["external_id"] == "a1" and record["author_pseudonym"] == out[0].author_pseudonym
    assert "张三" not in repr(record)
    errs = [o for o in out if isinstance(o, FetchError)]
    assert [(e.where, e.what.split(":")[0]) for e in errs] == [
        ("line 2 (id a2)", "text"),
        ("line 3 (id a3)", "time"),
        ("line 4", "line"),
    ]


def test_csv_with_chinese_header(tmp_path: Path) -> None:
    p = tmp_path / "留言.csv"
    p.write_text('编号,标题,内容\n1,停车,"老城区停车难, 请解决"\n2,噪音,夜间施工\n', encoding="utf-8-sig")
    out = list(read_file_items(p, key=KEY, fields=parse_mapping("id=编号,title=标题,text=内容")))
    assert [(i.external_id, i.title, i.text) for i in out if isinstance(i, FetchedItem)] == [
        ("1", "停车", "老城区停车难, 请解决"),
        ("2", "噪音", "夜间施工"),
    ]


def test_excel_rows_with_dates_and_blank_rows(tmp_path: Path) -> None:
    p = tmp_path / "台账.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "留言"
    ws.append(["编号", "内容", "时间", "点赞"])
    ws.append(["m1", "公交改线不方便", dt.datetime(2026, 11, 1, 8, 0), 12])
    ws.append([None, None, None, None])
    ws.append(["m2", None, dt.datetime(2026, 11, 2, 9, 0), 3])
    wb.save(p)
    out = list(read_file_items(p, key=KEY, fields={"id": "编号", "text": "内容", "time": "时间", "engagement": "点赞"}))
    assert isinstance(out[0], FetchedItem) and out[0].engagement == 12 and out[0].published_at == 1793491200.0
    assert isinstance(out[1], FetchError) and out[1].where == "row 4 (id m2)" and "text" in out[1].what
    assert len(out) == 2
    named = list(read_file_items(p, key=KEY, sheet="留言", fields={"id": "编号", "text": "内容"}))
    assert isinstance(named[0], FetchedItem) and named[0].external_id == "m1"
    bad = list(read_file_items(p, key=KEY, sheet="nope"))
    assert isinstance(bad[0], FetchError) and "no sheet 'nope'" in bad[0].what


def test_unknown_mapping_field_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown field 'body'"):
        parse_mapping("body=内容")


def test_streaming_keeps_memory_flat(tmp_path: Path) -> None:
    p = tmp_path / "big.jsonl"
    line = orjson.dumps({"id": 0, "text": "市民反映" * 50}) + b"\n"
    with p.open("wb") as f:
        for i in range(15_000):
            f.write(line.replace(b'"id":0', b'"id":%d' % i))
    assert p.stat().st_size > 8_000_000
    tracemalloc.start()
    n = sum(1 for o in read_file_items(p, key=KEY) if isinstance(o, FetchedItem))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert n == 15_000 and peak < 5_000_000
