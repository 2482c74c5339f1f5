"""Reads: the archive, templates and schedules a user may see (scoped like everything else)."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from qingting.web.accounts.selectors import scope, visible_unit_ids
from qingting.web.reporting.models import IssuedReport, ReportSchedule, ReportTemplate


def reports_for(user: Any, *, kind: str = "", unit_id: int | None = None, period: str = "") -> QuerySet[IssuedReport]:
    """Issued reports of the user's units (and their descendants), newest first, without the files."""
    qs = scope(IssuedReport.objects.all(), user).select_related("unit", "issued_by").defer("docx", "pdf", "html")
    if kind:
        qs = qs.filter(kind=kind)
    if unit_id is not None:
        qs = qs.filter(unit_id=unit_id)
    if period:
        qs = qs.filter(period_label__istartswith=period.strip())
    return qs


def report_for(user: Any, pk: int) -> IssuedReport:
    """One issued report the user may see; 404 otherwise (never 403: others' reports do not exist)."""
    report = scope(IssuedReport.objects.select_related("unit", "issued_by"), user).filter(pk=pk).first()
    if report is None:
        raise Http404("no such report")
    return report


def templates_for_user(user: Any) -> QuerySet[ReportTemplate]:
    """Shared templates and those of units the user sees."""
    ids = visible_unit_ids(user)
    qs = ReportTemplate.objects.select_related("unit")
    if ids is None:
        return qs
    return qs.filter(Q(unit__isnull=True) | Q(unit_id__in=ids))


def template_for(user: Any, pk: int) -> ReportTemplate:
    template = templates_for_user(user).filter(pk=pk).first()
    if template is None:
        raise Http404("no such template")
    return template


def schedules_for(user: Any) -> QuerySet[ReportSchedule]:
    return scope(ReportSchedule.objects.select_related("unit", "template"), user)


def report_tables(report: IssuedReport) -> list[dict[str, Any]]:
    """The figures tables of an issued report, as issued: ``caption``, ``header``, ``rows``, ``note``.

    Read from the report's stored HTML (written by ``qingting.reports.html``, escaped, one
    ``<table>`` per table, numeric cells marked ``class="num"``), so the tables are exactly the ones
    the archive shows, figures frozen at issue. Numeric cells come back as numbers (``1,234`` →
    1234); text such as ``35.2%`` stays text.
    """
    parser = _TableParser()
    parser.feed(report.html or "")
    parser.close()
    return parser.tables


class _TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict[str, Any]] = []
        self._table: dict[str, Any] | None = None
        self._row: list[Any] | None = None
        self._cell: list[str] | None = None
        self._numeric = False
        self._in: str = ""  # "caption" or "note" while inside one

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "table":
            self._table = {"caption": "", "header": [], "rows": [], "note": ""}
        elif self._table is not None and tag == "caption":
            self._in = "caption"
        elif self._table is not None and tag == "tr":
            self._row = []
        elif self._row is not None and tag in ("td", "th"):
            self._cell, self._numeric = [], "num" in classes
        elif tag == "p" and "qt-table-note" in classes and self.tables:
            self._in = "note"

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        elif self._in == "caption" and self._table is not None:
            self._table["caption"] += data
        elif self._in == "note":
            self.tables[-1]["note"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            text = "".join(self._cell).strip()
            self._row.append(_number(text) if self._numeric else text)
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            if self._table["header"]:
                self._table["rows"].append(self._row)
            else:  # the first row is the header (<thead>)
                self._table["header"] = self._row
            self._row = None
        elif tag == "table" and self._table is not None:
            self.tables.append(self._table)
            self._table = None
        elif tag in ("caption", "p"):
            self._in = ""


def _number(text: str) -> Any:
    plain = text.replace(",", "")
    try:
        return int(plain)
    except ValueError:
        pass
    try:
        return float(plain)
    except ValueError:
        return text
