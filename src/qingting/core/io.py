"""Reading input records (JSONL, CSV, TSV) into items, streaming, with clear per-record errors.

The engine's input format is one record per line (JSONL) or per row (CSV/TSV) with the fields
``id``, ``text``, and optionally ``time`` (ISO 8601 or unix seconds), ``source``, ``lang``,
``title``, ``engagement``, ``mainstream``, ``parent``, and ``label`` or ``cluster`` for evaluation.
Other field names are mapped with ``fields={"id": "Id", "text": "textCleaned"}`` (our name → theirs).
Files without a header name their columns with ``columns=["id", "label", "text"]``; the last
column takes the rest of the row, so a text containing the delimiter stays whole.

A record that cannot become an item yields a :class:`~qingting.core.types.RecordError` naming the
record (its id, else its line) and the field — it is never dropped silently.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from qingting.core.types import Item, RecordError

__all__ = ["Record", "items", "parse_fields", "parse_time", "read_records", "to_item"]

KNOWN_FIELDS = (
    "id",
    "text",
    "time",
    "source",
    "lang",
    "title",
    "engagement",
    "mainstream",
    "parent",
    "label",
    "cluster",
)
MAX_LINE_BYTES = 64 * 1024 * 1024  # a single record larger than this is refused, not read


@dataclass(frozen=True, slots=True)
class Record:
    """One input record with our field names, and where it came from (``line N``)."""

    where: str
    data: Mapping[str, Any]


def parse_fields(spec: str | None) -> dict[str, str]:
    """Parse ``"id=Id,text=textCleaned"`` into ``{"id": "Id", "text": "textCleaned"}``.

    >>> parse_fields("id=Id,text=textCleaned,cluster=clusterNo")
    {'id': 'Id', 'text': 'textCleaned', 'cluster': 'clusterNo'}
    """
    if not spec:
        return {}
    out: dict[str, str] = {}
    for part in spec.split(","):
        ours, sep, theirs = part.partition("=")
        ours, theirs = ours.strip(), theirs.strip()
        if not sep or not ours or not theirs:
            raise ValueError(f"--fields: expected ours=theirs, got {part!r}")
        if ours not in KNOWN_FIELDS:
            raise ValueError(f"--fields: unknown field {ours!r}; known: {', '.join(KNOWN_FIELDS)}")
        out[ours] = theirs
    return out


def parse_time(value: Any) -> float:
    """Unix seconds from ISO 8601 text, unix seconds (int, float or digits), or milliseconds.

    Naive ISO times are taken as China Standard Time (UTC+8), the common case for our sources.

    >>> parse_time("2026-10-01T08:00:00+08:00")
    1790812800.0
    >>> parse_time("2026-10-01 08:00:00")
    1790812800.0
    >>> parse_time(1790812800000)
    1790812800.0
    """
    if isinstance(value, bool):
        raise ValueError("a boolean is not a time")
    if isinstance(value, int | float):
        t = float(value)
    else:
        s = str(value).strip()
        if not s:
            raise ValueError("empty time")
        try:
            t = float(s)
        except ValueError:
            d = dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
            if d.tzinfo is None:
                d = d.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))
            return d.timestamp()
    if not math.isfinite(t):
        raise ValueError(f"time is not finite: {value!r}")
    if t > 1e11:  # milliseconds since the epoch
        t /= 1000.0
    return t


def _int(value: Any) -> int:
    if value in (None, ""):
        return 0
    if isinstance(value, bool):
        raise ValueError("expected a number, got a boolean")
    return int(float(value))


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        v = value.strip().lower()
        if v in ("", "0", "false", "no", "n"):
            return False
        if v in ("1", "true", "yes", "y"):
            return True
        raise ValueError(f"expected true/false, got {value!r}")
    return bool(value)


def to_item(record: Record) -> Item | RecordError:
    """Turn a record into an :class:`Item`, or an error naming the record and the field."""
    d = record.data
    rid = d.get("id")
    name = str(rid) if rid not in (None, "") else record.where
    text = d.get("text")
    if text is None:
        return RecordError(name, "text", "missing")
    if not isinstance(text, str):
        if isinstance(text, int | float) and not isinstance(text, bool):
            text = str(text)
        else:
            return RecordError(name, "text", f"expected a string, got {type(text).__name__}")
    try:
        time = parse_time(d["time"]) if d.get("time") not in (None, "") else None
    except (ValueError, TypeError, OverflowError) as e:
        return RecordError(name, "time", f"cannot read {d.get('time')!r} as a time: {e}")
    try:
        engagement = _int(d.get("engagement"))
    except (ValueError, TypeError) as e:
        return RecordError(name, "engagement", f"expected a whole number: {e}")
    try:
        mainstream = _bool(d.get("mainstream", False))
    except ValueError as e:
        return RecordError(name, "mainstream", str(e))
    parent = d.get("parent")
    lang = d.get("lang")
    return Item(
        id=name,
        text=text,
        time=time,
        source=str(d.get("source") or ""),
        lang=str(lang) if lang else None,
        title=str(d.get("title") or ""),
        engagement=engagement,
        mainstream=mainstream,
        parent=str(parent) if parent not in (None, "") else None,
    )


def _rename(raw: Mapping[str, Any], fields: Mapping[str, str]) -> dict[str, Any]:
    if not fields:
        return dict(raw)
    out = dict(raw)
    for ours, theirs in fields.items():
        if theirs in raw:
            out[ours] = raw[theirs]
    return out


def _jsonl(stream: IO[bytes], fields: Mapping[str, str]) -> Iterator[Record | RecordError]:
    for n, line in enumerate(stream, 1):
        where = f"line {n}"
        if len(line) > MAX_LINE_BYTES:
            yield RecordError(where, "line", f"record larger than {MAX_LINE_BYTES} bytes")
            continue
        if not line.strip():
            continue
        try:
            raw = orjson.loads(line)
        except orjson.JSONDecodeError as e:
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as u:
                yield RecordError(where, "line", f"invalid UTF-8 at byte {u.start}")
                continue
            yield RecordError(where, "line", f"not valid JSON: {e}")
            continue
        if not isinstance(raw, dict):
            yield RecordError(where, "line", f"expected a JSON object, got {type(raw).__name__}")
            continue
        yield Record(where, _rename(raw, fields))


def _delimited(
    stream: IO[bytes],
    delimiter: str,
    fields: Mapping[str, str],
    columns: Sequence[str] | None,
) -> Iterator[Record | RecordError]:
    header: list[str] | None = list(columns) if columns else None
    for n, line in enumerate(stream, 1):
        where = f"line {n}"
        try:
            text = line.decode("utf-8-sig" if n == 1 else "utf-8").rstrip("\r\n")
        except UnicodeDecodeError as u:
            yield RecordError(where, "line", f"invalid UTF-8 at byte {u.start}")
            continue
        if not text.strip():
            continue
        if header is None:
            header = [h.strip() for h in next(csv.reader([text], delimiter=delimiter))]
            continue
        if '"' in text:
            try:
                cells = next(csv.reader([text], delimiter=delimiter))
            except csv.Error as e:
                yield RecordError(where, "line", f"malformed {delimiter!r}-separated row: {e}")
                continue
            if len(cells) > len(header):  # the last column takes the rest of the row
                cells = [*cells[: len(header) - 1], delimiter.join(cells[len(header) - 1 :])]
        else:
            cells = text.split(delimiter, len(header) - 1)
        if len(cells) < len(header):
            missing = header[len(cells)]
            yield RecordError(where, missing, f"row has {len(cells)} of {len(header)} columns")
            continue
        yield Record(where, _rename(dict(zip(header, cells, strict=True)), fields))


def read_records(
    source: str | Path | IO[bytes],
    *,
    fields: Mapping[str, str] | None = None,
    columns: Sequence[str] | None = None,
    fmt: str | None = None,
) -> Iterator[Record | RecordError]:
    """Stream records from a JSONL, CSV or TSV file (format from ``fmt`` or the file name).

    ``.jsonl``/``.json`` → JSONL; ``.csv`` → comma-separated; ``.tsv`` → tab-separated; ``.txt``
    → tab-separated if the first line has a tab, else comma-separated. Memory stays constant
    whatever the file size.
    """
    fields = dict(fields or {})
    if isinstance(source, str | Path):
        path = Path(source)
        with path.open("rb") as f:
            yield from read_records(f, fields=fields, columns=columns, fmt=fmt or _guess(path, f))
        return
    kind = (fmt or "jsonl").lower()
    if kind in ("jsonl", "json", "ndjson"):
        yield from _jsonl(source, fields)
    elif kind in ("csv", "tsv"):
        yield from _delimited(source, "," if kind == "csv" else "\t", fields, columns)
    else:
        raise ValueError(f"unknown input format {fmt!r}: use jsonl, csv or tsv")


def _guess(path: Path, f: IO[bytes]) -> str:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    if suffix == ".tsv":
        return "tsv"
    head = f.peek(4096) if isinstance(f, io.BufferedReader) else b""
    first = head.split(b"\n", 1)[0]
    if first.lstrip().startswith(b"{"):
        return "jsonl"
    return "tsv" if b"\t" in first else "csv"


def items(
    records: Iterable[Record | RecordError],
) -> Iterator[tuple[Record | None, Item | RecordError]]:
    """Pair each record with its item (or its error); errors from reading pass straight through."""
    for r in records:
        if isinstance(r, RecordError):
            yield None, r
        else:
            yield r, to_item(r)
