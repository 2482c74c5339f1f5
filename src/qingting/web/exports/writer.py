"""Write a list as CSV (streamed) or xlsx (written row by row into a temporary file, then sent).

Both start with the list's title, when it was exported and by whom, and the filters, so a file
found on a desk later still says what it contains. Text that a spreadsheet would run as a
formula (starting with ``=``, ``+``, ``-``, ``@``) is written as text: posts are untrusted.

xlsx is written by ``rvgsrust-xlsxwriter`` (the Rust ``rust_xlsxwriter`` in constant-memory mode,
≈ 7× less CPU than openpyxl for the same rows, decision 0112) where it has a wheel, and by
openpyxl's write-only mode elsewhere (the same cells; see :func:`xlsx_engine`).
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

FORMATS = ("csv", "xlsx")
MAX_ROWS = 200_000
"""An export stops here and says so in its last row (a spreadsheet is not a database dump)."""
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XML: dropped from xlsx cells
_CSV_CHUNK = 64 * 1024  # characters per streamed piece: one write per piece, not one per row


def _cell_converter() -> Callable[[Any], Any]:
    """A function turning one value into what a spreadsheet cell holds (text, a number, "").

    Times are shown in the current time zone, to the minute. Checked by exact type first: this
    runs once per cell, hundreds of thousands of times per export.
    """
    tz = timezone.get_current_timezone()

    def cell(value: Any) -> Any:
        kind = type(value)
        if kind is str or kind is int or kind is float:
            return value
        if value is None:
            return ""
        if isinstance(value, datetime):
            if value.tzinfo is not None:
                value = value.astimezone(tz)
            return f"{value.year:04d}-{value.month:02d}-{value.day:02d} {value.hour:02d}:{value.minute:02d}"
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, bool | int | float):
            return value
        return str(value)  # lazy translations, decimals, …

    return cell


def _preamble(title: str, user: Any, filters: Sequence[tuple[str, str]]) -> list[list[str]]:
    rows = [[title], [_("Exported"), timezone.localtime().strftime("%Y-%m-%d %H:%M"), str(user)]]
    for label, value in filters:
        rows.append([_("Filter: %(name)s") % {"name": label}, value])
    if not filters:
        rows.append([_("Filter"), _("none (everything you may see)")])
    rows.append([])
    return rows


def _limited(rows: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
    for n, row in enumerate(rows):
        if n >= MAX_ROWS:
            yield [_("… stopped after %(n)d rows: narrow the filters to export the rest.") % {"n": MAX_ROWS}]
            return
        yield row


def _disposition(filename: str) -> str:
    ascii_name = "".join(c if (c.isascii() and c.isalnum()) or c in "-_." else "_" for c in filename)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def export_response(
    fmt: str,
    *,
    title: str,
    filename: str | None = None,
    user: Any,
    filters: Sequence[tuple[str, str]],
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> HttpResponse | StreamingHttpResponse | FileResponse:
    """The list as a download; ``filename`` without extension (Chinese is fine), the title when not
    given; an empty ``header`` for rows that carry their own headers (several tables one after
    another)."""
    preamble = _preamble(title, user, filters)
    filename = title if filename is None else filename
    if fmt == "xlsx":
        return _xlsx(filename, preamble, header, rows)
    response = StreamingHttpResponse(csv_lines(preamble, header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = _disposition(filename + ".csv")
    return response


def csv_lines(preamble: list[list[str]], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV text in pieces of about 64 KB (UTF-8 with a BOM, so Excel opens it as UTF-8)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerows(preamble)
    if header:
        writer.writerow(list(header))
    cell = _cell_converter()
    for row in _limited(rows):
        out = []
        for value in row:
            value = cell(value)
            if value.__class__ is str and value.startswith(_FORMULA):
                value = "'" + value  # shown as text, never run as a formula
            out.append(value)
        writer.writerow(out)
        if buffer.tell() >= _CSV_CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_engine() -> str:
    """``rvgsrust`` when its wheel is installed (x86-64 Linux, Windows, macOS), else ``openpyxl``."""
    try:
        import rvgsrust_xlsxwriter  # noqa: F401
    except ImportError:  # pragma: no cover - platforms without its wheel (aarch64 Linux, musl)
        return "openpyxl"
    return "rvgsrust"


def _sheet_name(filename: str) -> str:
    return filename[:31].translate(str.maketrans("[]:*?/\\", "（）：＊？／＼")) or "export"


def _xlsx(
    filename: str, preamble: list[list[str]], header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> FileResponse:
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it after sending
    if xlsx_engine() == "rvgsrust":
        write_xlsx_rvgsrust(handle, _sheet_name(filename), preamble, header, rows)
    else:  # pragma: no cover - exercised directly by the tests on every platform
        write_xlsx_openpyxl(handle, _sheet_name(filename), preamble, header, rows)
    handle.seek(0)
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = _disposition(filename + ".xlsx")
    return response


def _xlsx_cells(rows: Iterable[Sequence[Any]]) -> Iterator[list[Any]]:
    """Cells for a worksheet: control characters (not allowed in XML) dropped."""
    cell = _cell_converter()
    search = _CONTROL.search
    sub = _CONTROL.sub
    for row in _limited(rows):
        out = []
        for value in row:
            value = cell(value)
            if value.__class__ is str and search(value):
                value = sub("", value)
            out.append(value)
        yield out


def write_xlsx_rvgsrust(
    handle: Any, sheet: str, preamble: list[list[str]], header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """The workbook into ``handle`` (a binary file) with rust_xlsxwriter in constant-memory mode:
    each row is written out as it comes. Strings are always written as strings, never formulas."""
    from rvgsrust_xlsxwriter import Workbook

    with tempfile.TemporaryDirectory(prefix="qingting-export-") as tmp:
        path = f"{tmp}/export.xlsx"
        book = Workbook(path)
        sheet_ = book.add_worksheet(sheet, constant_memory=True)
        bold = book.add_format()
        bold.set_bold()
        n = 0
        for line in preamble:
            if line:
                sheet_.write_row(n, 0, line)
            n += 1
        if header:
            sheet_.write_row(n, 0, list(header), bold)
            n += 1
        write_row = sheet_.write_row
        for out in _xlsx_cells(rows):
            write_row(n, 0, out)
            n += 1
        book.close()
        with open(path, "rb") as written:
            while block := written.read(1 << 20):
                handle.write(block)


def write_xlsx_openpyxl(
    handle: Any, sheet: str, preamble: list[list[str]], header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """The same workbook with openpyxl's write-only mode (platforms without the Rust writer's wheel)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet_ = book.create_sheet(title=sheet)
    bold = Font(bold=True)

    def append(out: list[Any]) -> None:
        for i, value in enumerate(out):
            if value.__class__ is str and value.startswith("="):  # openpyxl would store it as a formula
                text = WriteOnlyCell(sheet_, value=value)
                text.data_type = "s"
                out[i] = text
        sheet_.append(out)

    for line in preamble:  # the filters are the user's input too
        append(list(line))
    if header:
        head = []
        for name in header:
            cell = WriteOnlyCell(sheet_, value=name)
            cell.font = bold
            head.append(cell)
        sheet_.append(head)
    for out in _xlsx_cells(rows):
        append(out)
    book.save(handle)


def form_filters(form: Any) -> list[tuple[str, str]]:
    """The filters a bound, valid form holds, as (label, value shown to the user)."""
    if not form.is_bound or not form.is_valid():
        return []
    out = []
    for name, field in form.fields.items():
        value = form.cleaned_data.get(name)
        if value in (None, "", [], ()):
            continue
        choices = dict(getattr(field, "choices", []) or [])
        shown = choices.get(value, choices.get(str(value), value))
        out.append((str(field.label or name), str(shown)))
    return out


def chunked(source: Any, size: int = 2000) -> Iterator[Any]:
    """Rows of a queryset (or anything sliceable) in chunks of ``size``: bounded memory."""
    if hasattr(source, "iterator"):
        yield from source.iterator(chunk_size=size)
        return
    start = 0
    while True:
        batch = list(source[start : start + size])
        if not batch:
            return
        yield from batch
        if len(batch) < size:
            return
        start += size
