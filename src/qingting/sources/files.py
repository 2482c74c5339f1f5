"""File imports: JSONL, CSV/TSV and Excel, streamed in constant memory, with a saved field mapping.

JSONL and CSV go through :func:`qingting.core.io.read_records` (one record in memory at a time);
Excel through openpyxl's read-only mode, row by row. A field mapping says which of the file's
columns feeds each of our fields (``{"text": "内容", "time": "发布时间"}``); the web layer saves it
with the source so the next export of the same system imports the same way. Authors are
pseudonymised here: the handle column never leaves this module.

Each record yields a :class:`FetchedItem` or a :class:`FetchError` naming the record (its id, else
``line N``/``row N``) and the field — nothing is dropped silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from qingting.core.io import Record, read_records, to_item
from qingting.core.types import Item, RecordError
from qingting.sources.types import FetchedItem, FetchError, pseudonymise

__all__ = ["FIELDS", "parse_mapping", "read_file_items", "record_to_item"]

FIELDS = ("id", "text", "title", "time", "url", "author", "engagement", "lang")
_CST = dt.timezone(dt.timedelta(hours=8))


def parse_mapping(spec: str | None) -> dict[str, str]:
    """``"text=内容,time=发布时间"`` → ``{"text": "内容", "time": "发布时间"}`` (ours = theirs).

    >>> parse_mapping("id=编号, text=内容")
    {'id': '编号', 'text': '内容'}
    """
    out: dict[str, str] = {}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        ours, sep, theirs = part.partition("=")
        ours, theirs = ours.strip(), theirs.strip()
        if not sep or not ours or not theirs:
            raise ValueError(f"field mapping: expected ours=theirs, got {part.strip()!r}")
        if ours not in FIELDS:
            raise ValueError(f"field mapping: unknown field {ours!r}; known: {', '.join(FIELDS)}")
        out[ours] = theirs
    return out


def record_to_item(record: Record, *, key: bytes) -> FetchedItem | FetchError:
    """One mapped record as an item, or an error naming the record and the field."""
    checked = to_item(record)
    if isinstance(checked, RecordError):
        return FetchError(f"{checked.field}: {checked.message}", _where(record, checked.record), "ParseError")
    assert isinstance(checked, Item)
    if not checked.text.strip() and not checked.title.strip():
        return FetchError("text: empty (and no title)", _where(record, checked.id), "ParseError")
    author = record.data.get("author")
    url = record.data.get("url")
    return FetchedItem(
        external_id=checked.id,
        url=str(url) if url else "",
        title=checked.title,
        text=checked.text,
        published_at=checked.time,
        author_pseudonym=pseudonymise(str(author), key) if author not in (None, "") else "",
        engagement=checked.engagement,
        lang=checked.lang,
        extra={"where": record.where},
    )


def _where(record: Record, label: str) -> str:
    """``line 7 (id 12)``: the line or row to look at, and the record's id when it has one."""
    if not label or label == record.where:
        return record.where
    return f"{record.where} (id {label})"


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        # Excel stores wall-clock times without a zone; ours are China Standard Time by default.
        return (value if value.tzinfo else value.replace(tzinfo=_CST)).timestamp()
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=_CST).timestamp()
    return value


def _excel_records(path: Path, fields: Mapping[str, str], sheet: str | None) -> Iterator[Record | RecordError]:
    import openpyxl  # only needed for Excel files

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many types for a broken workbook
        yield RecordError(str(path), "file", f"cannot open as an Excel workbook: {e}")
        return
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            yield RecordError(str(path), "sheet", f"no sheet {sheet!r}; sheets: {', '.join(wb.sheetnames)}")
            return
        ws = wb[sheet] if sheet is not None else wb.active
        header: list[str] | None = None
        for n, row in enumerate(ws.iter_rows(values_only=True), 1):
            if header is None:
                header = [str(c).strip() if c is not None else "" for c in row]
                continue
            if all(c in (None, "") for c in row):
                continue
            raw = {h: _cell(c) for h, c in zip(header, row, strict=False) if h}
            data = dict(raw)
            for ours, theirs in fields.items():
                if theirs in raw:
                    data[ours] = raw[theirs]
            yield Record(f"row {n}", data)
    finally:
        wb.close()


def read_file_items(
    path: str | Path,
    *,
    key: bytes,
    fields: Mapping[str, str] | None = None,
    fmt: str | None = None,
    sheet: str | None = None,
) -> Iterator[FetchedItem | FetchError]:
    """Stream items from a JSONL, CSV, TSV or Excel (``.xlsx``) file, one record at a time.

    ``fields`` maps our names (:data:`FIELDS`) to the file's; ``fmt`` overrides the format guessed
    from the name (``jsonl``, ``csv``, ``tsv``, ``xlsx``); ``sheet`` picks an Excel sheet.
    """
    path = Path(path)
    fields = dict(fields or {})
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValueError(f"field mapping: unknown field(s) {', '.join(sorted(unknown))}; known: {', '.join(FIELDS)}")
    kind = (fmt or path.suffix.lstrip(".")).lower()
    records: Iterator[Record | RecordError]
    if kind in ("xlsx", "xlsm"):
        records = _excel_records(path, fields, sheet)
    elif kind == "xls":
        raise ValueError("old .xls workbooks are not supported: save the file as .xlsx or CSV")
    else:
        records = read_records(path, fields=fields, fmt=fmt)
    for r in records:
        if isinstance(r, RecordError):
            yield FetchError(f"{r.field}: {r.message}", r.record, "ParseError")
        else:
            yield record_to_item(r, key=key)
