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
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qingting.core.io import Record, read_records, to_item
from qingting.core.types import Item, RecordError
from qingting.sources.types import FetchedItem, FetchError, pseudonymise

__all__ = [
    "FIELDS",
    "FORMATS",
    "FileRefused",
    "ImportLimits",
    "check_import_file",
    "parse_mapping",
    "read_file_items",
    "record_to_item",
]

FIELDS = ("id", "text", "title", "time", "url", "author", "engagement", "lang")
_CST = dt.timezone(dt.timedelta(hours=8))


FORMATS = {".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "tsv",
           ".txt": "", ".xlsx": "xlsx", ".xlsm": "xlsx"}  # fmt: skip
"""The file names an import accepts, and the format each means ("" = tab- or comma-separated, sniffed)."""

# First bytes of files that are never records, whatever their name says: named in the refusal.
_MAGIC = (
    (b"PK\x03\x04", "a ZIP archive or an Office document (.docx/.xlsx)"),
    (b"%PDF-", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "an old Office document (.doc/.xls)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
)


class FileRefused(ValueError):
    """The file is not imported at all: wrong type, too large, or a compressed bomb. The message names
    the file and the limit."""


@dataclass(frozen=True)
class ImportLimits:
    """What an import accepts. ``max_bytes`` is the file's size (``None``: any — the command line);
    ``max_ratio`` and ``max_unpacked`` bound what an Excel workbook (a ZIP) unpacks to, so a small
    file whose shared strings unpack to hundreds of megabytes is refused before it is opened."""

    max_bytes: int | None = 100 * 1024 * 1024
    max_ratio: float = 100.0
    max_unpacked: int = 200 * 1024 * 1024
    ratio_floor: int = 1024 * 1024  # members smaller than this unpacked are never "bombs"

    def __post_init__(self) -> None:
        if self.max_bytes is not None and self.max_bytes <= 0:
            raise ValueError("ImportLimits.max_bytes must be positive or None")
        if self.max_ratio <= 1 or self.max_unpacked <= 0:
            raise ValueError("ImportLimits: max_ratio must be > 1 and max_unpacked positive")


def _mb(n: float) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{int(n)} bytes"


def check_import_file(
    path: str | Path, *, name: str | None = None, fmt: str | None = None, limits: ImportLimits | None = None
) -> str:
    """The format to read ``path`` as (``jsonl``, ``csv``, ``tsv``, ``xlsx`` or ``""`` to sniff), or
    :class:`FileRefused` naming the file (``name``, else the path) and the limit it breaks.

    Checked before a single record is read: the size, the name's type (an ``.html``, ``.svg``,
    ``.docx`` or ``.pdf`` is refused, not parsed as JSONL), the first bytes (a PDF renamed ``.jsonl``
    is refused too), and for Excel the declared unpacked sizes of the ZIP members — :mod:`zipfile`
    never unpacks more than a member declares, so bounding the declarations bounds the work.

    >>> check_import_file("letters.html")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    qingting.sources.files.FileRefused: letters.html: files of type .html cannot be imported; accepted: .csv, ...
    """
    path = Path(path)
    label = name or str(path)
    limits = limits or ImportLimits()
    suffix = Path(label).suffix.lower() if name else path.suffix.lower()
    accepted = ", ".join(sorted(FORMATS))
    if fmt:
        kind = {"json": "jsonl", "ndjson": "jsonl", "xlsm": "xlsx"}.get(fmt.lower(), fmt.lower())
        if kind not in ("jsonl", "csv", "tsv", "xlsx"):
            raise FileRefused(f"{label}: unknown format {fmt!r}; use jsonl, csv, tsv or xlsx")
    elif suffix == ".xls":
        raise FileRefused(f"{label}: old .xls workbooks are not supported: save the file as .xlsx or CSV")
    elif suffix not in FORMATS:
        what = suffix or "(no extension)"
        raise FileRefused(f"{label}: files of type {what} cannot be imported; accepted: {accepted}")
    else:
        kind = FORMATS[suffix]
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(4096)
    except OSError as e:
        raise FileRefused(f"{label}: cannot read the file: {e.strerror or e}") from None
    if limits.max_bytes is not None and size > limits.max_bytes:
        raise FileRefused(f"{label}: the file is {_mb(size)}; the limit is {_mb(limits.max_bytes)}")
    if not head:
        raise FileRefused(f"{label}: the file is empty")
    if kind == "xlsx":
        if not head.startswith(b"PK\x03\x04"):
            raise FileRefused(f"{label}: this is not an Excel (.xlsx) workbook")
        _check_zip(path, label, limits)
        return kind
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise FileRefused(f"{label}: this is {what}, not {kind.upper() or 'CSV/TSV'} records")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<"):
        raise FileRefused(f"{label}: this is HTML or XML (e.g. SVG) markup, not {kind.upper() or 'CSV/TSV'} records")
    return kind


def _check_zip(path: Path, label: str, limits: ImportLimits) -> None:
    try:
        with zipfile.ZipFile(path) as z:
            members = z.infolist()
    except (zipfile.BadZipFile, OSError) as e:
        raise FileRefused(f"{label}: this is not a readable Excel (.xlsx) workbook: {e}") from None
    total = 0
    for m in members:
        total += m.file_size
        if m.file_size >= limits.ratio_floor and m.file_size > limits.max_ratio * max(m.compress_size, 1):
            raise FileRefused(
                f"{label}: {m.filename} unpacks from {_mb(m.compress_size)} to {_mb(m.file_size)} "
                f"(ratio {m.file_size / max(m.compress_size, 1):,.0f}:1); the limit is {limits.max_ratio:,.0f}:1"
            )
    if total > limits.max_unpacked:
        raise FileRefused(f"{label}: the workbook unpacks to {_mb(total)}; the limit is {_mb(limits.max_unpacked)}")


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
    name: str | None = None,
    limits: ImportLimits | None = None,
) -> Iterator[FetchedItem | FetchError]:
    """Stream items from a JSONL, CSV, TSV or Excel (``.xlsx``) file, one record at a time.

    ``fields`` maps our names (:data:`FIELDS`) to the file's; ``fmt`` overrides the format guessed
    from the name (``jsonl``, ``csv``, ``tsv``, ``xlsx``); ``sheet`` picks an Excel sheet; ``name``
    is the file's name as the user knows it (an upload's, when ``path`` is a temporary file).
    The file is checked first (:func:`check_import_file`): :class:`FileRefused` before any record.
    """
    path = Path(path)
    fields = dict(fields or {})
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValueError(f"field mapping: unknown field(s) {', '.join(sorted(unknown))}; known: {', '.join(FIELDS)}")
    kind = check_import_file(path, name=name, fmt=fmt, limits=limits)
    records: Iterator[Record | RecordError]
    if kind == "xlsx":
        records = _excel_records(path, fields, sheet)
    else:
        records = read_records(path, fields=fields, fmt=kind or None)
    for r in records:
        if isinstance(r, RecordError):
            yield FetchError(f"{r.field}: {r.message}", r.record, "ParseError")
        else:
            yield record_to_item(r, key=key)
