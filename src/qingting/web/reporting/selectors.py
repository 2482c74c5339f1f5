"""Reads: the archive, templates and schedules a user may see (scoped like everything else)."""

from __future__ import annotations

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
