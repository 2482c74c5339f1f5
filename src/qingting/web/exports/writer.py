"""Write a list as CSV (streamed) or xlsx (openpyxl's write-only mode into a temporary file).

Both start with the list's title, when it was exported and by whom, and the filters, so a file
found on a desk later still says what it contains. Text that a spreadsheet would run as a
formula (starting with ``=``, ``+``, ``-``, ``@``) is written as text: posts are untrusted.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator, Sequence
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


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return value
    return str(value)


def _csv_text(value: Any) -> Any:
    value = _cell(value)
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value  # shown as text, never run as a formula
    return value


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


class _Echo:
    def write(self, value: str) -> str:
        return value


def export_response(
    fmt: str,
    *,
    title: str,
    filename: str,
    user: Any,
    filters: Sequence[tuple[str, str]],
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> HttpResponse | StreamingHttpResponse | FileResponse:
    """The list as a download; ``filename`` without extension (Chinese is fine)."""
    preamble = _preamble(title, user, filters)
    if fmt == "xlsx":
        return _xlsx(filename, preamble, header, rows)
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"  # so Excel opens UTF-8 as UTF-8
        for line in preamble:
            yield writer.writerow(line)
        yield writer.writerow(list(header))
        for row in _limited(rows):
            yield writer.writerow([_csv_text(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = _disposition(filename + ".csv")
    return response


def _xlsx(
    filename: str, preamble: list[list[str]], header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> FileResponse:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=filename[:31].translate(str.maketrans("[]:*?/\\", "（）：＊？／＼")) or "export")
    bold = Font(bold=True)
    for line in preamble:
        sheet.append(line)
    head = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        head.append(cell)
    sheet.append(head)
    for row in _limited(rows):
        out = []
        for value in row:
            value = _cell(value)
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
                if value.startswith("="):  # openpyxl would store it as a formula
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.data_type = "s"
                    value = cell
            out.append(value)
        sheet.append(out)
    # Write-only rows go to a temporary file as they come: memory stays flat for long lists.
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it after sending
    book.save(handle)
    handle.seek(0)
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = _disposition(filename + ".xlsx")
    return response


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
