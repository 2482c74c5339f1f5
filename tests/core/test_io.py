"""Reading records: field mapping, header-less files, bad records named with their line and field."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from qingting.core.io import items, parse_fields, parse_time, read_records, to_item
from qingting.core.types import Item, RecordError


def read(data: bytes, **kw: object) -> list[Item | RecordError]:
    return [it for _, it in items(read_records(io.BytesIO(data), **kw))]  # type: ignore[arg-type]


def test_jsonl_with_field_mapping() -> None:
    data = b'{"Id": "7", "textCleaned": "house kill arizona", "clusterNo": 82}\n'
    [rec] = list(read_records(io.BytesIO(data), fields=parse_fields("id=Id,text=textCleaned,cluster=clusterNo")))
    assert not isinstance(rec, RecordError)
    assert rec.data["cluster"] == 82
    item = to_item(rec)
    assert isinstance(item, Item) and item.id == "7" and item.text == "house kill arizona"


def test_headerless_csv_keeps_commas_in_the_last_column() -> None:
    data = "1,1,好，很好, 真的好\n2,0,差\n".encode()
    out = read(data, fmt="csv", columns=["id", "label", "text"])
    assert [o.text for o in out if isinstance(o, Item)] == ["好，很好, 真的好", "差"]


def test_tsv_with_header_and_bom() -> None:
    data = "\ufefflabel\ttext\n1\t酒店不错\n".encode()
    [rec] = list(read_records(io.BytesIO(data), fmt="tsv"))
    assert not isinstance(rec, RecordError) and rec.data == {"label": "1", "text": "酒店不错"}


@pytest.mark.parametrize(
    ("line", "field", "fragment"),
    [
        (b'{"id": "a"}', "text", "missing"),
        (b'{"id": "a", "text": ["x"]}', "text", "expected a string"),
        (b'{"id": "a", "text": "x", "time": "yesterday"}', "time", "cannot read"),
        (b'{"id": "a", "text": "x", "engagement": "many"}', "engagement", "whole number"),
        (b'{"id": "a", "text": "x", "mainstream": "perhaps"}', "mainstream", "true/false"),
        (b'{"id": "a", "text": ', "line", "not valid JSON"),
        (b'["a", "b"]', "line", "JSON object"),
        (b'{"id": "a", "text": "\xff\xfe"}', "line", "invalid UTF-8"),
    ],
)
def test_bad_records_name_the_field(line: bytes, field: str, fragment: str) -> None:
    [err] = read(line + b"\n")
    assert isinstance(err, RecordError)
    assert err.field == field and fragment in err.message


def test_bad_record_does_not_stop_the_stream() -> None:
    data = b'{"id": "1", "text": "a"}\n{broken\n{"id": "3", "text": "c"}\n'
    out = read(data)
    assert [type(o).__name__ for o in out] == ["Item", "RecordError", "Item"]
    assert isinstance(out[1], RecordError) and out[1].record == "line 2"


def test_missing_id_is_named_by_line() -> None:
    [item] = read(b'{"text": "x"}\n')
    assert isinstance(item, Item) and item.id == "line 1"


def test_short_row_is_an_error() -> None:
    [err] = read(b"id,label,text\n1,0\n", fmt="csv")
    assert isinstance(err, RecordError) and err.field == "text"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-10-01T08:00:00+08:00", 1790812800.0),
        ("2026-10-01T00:00:00Z", 1790812800.0),
        ("2026-10-01 08:00:00", 1790812800.0),  # naive = China Standard Time
        (1790812800, 1790812800.0),
        ("1790812800", 1790812800.0),
        (1790812800123, 1790812800.123),
    ],
)
def test_parse_time(value: object, expected: float) -> None:
    assert parse_time(value) == pytest.approx(expected)


@pytest.mark.parametrize("value", ["", "nan", True, "inf"])
def test_parse_time_refuses(value: object) -> None:
    with pytest.raises(ValueError):
        parse_time(value)


def test_parse_fields_errors() -> None:
    with pytest.raises(ValueError, match="unknown field"):
        parse_fields("colour=Colour")
    with pytest.raises(ValueError, match="ours=theirs"):
        parse_fields("id")


def test_format_guessed_from_name(tmp_path: Path) -> None:
    p = tmp_path / "x.txt"
    p.write_text("label\ttext\n0\t差评\n", encoding="utf-8")
    [rec] = list(read_records(p))
    assert not isinstance(rec, RecordError) and rec.data["text"] == "差评"


def test_constant_memory_streaming(tmp_path: Path) -> None:
    """The reader is a generator: it yields the first record before reading the rest."""
    p = tmp_path / "big.jsonl"
    p.write_bytes(b'{"id": "1", "text": "a"}\n' * 1000)
    gen = read_records(p)
    first = next(gen)
    assert not isinstance(first, RecordError)
    gen.close()
