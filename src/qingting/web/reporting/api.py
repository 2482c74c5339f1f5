"""JSON API at ``/api/reports``: list the archive, generate (and archive) a report, download files.

(No ``from __future__ import annotations``: django-ninja reads the annotations at import.)
Scoped like the pages: another unit's report answers 404. Errors use the API's one JSON shape.
"""

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError

from qingting.reports.pdf import LibreOfficeError
from qingting.web.accounts.selectors import units_for
from qingting.web.reporting import selectors, services
from qingting.web.reporting.models import GENERATED_KIND_VALUES, IssuedReport, ReportKind

router = Router(tags=["reports"])


class ReportOut(Schema):
    id: int
    kind: str
    period_label: str
    title: str
    unit_id: int
    unit_code: str
    issued_by: str
    issued_at: datetime
    has_pdf: bool
    downloads: dict[str, str]


class ReportList(Schema):
    items: list[ReportOut]
    count: int


class ListFilters(Schema):
    kind: str = ""
    unit: str = ""  # unit code
    period: str = ""
    limit: int = 50
    offset: int = 0


class GenerateIn(Schema):
    kind: str
    period: str
    unit: str = ""  # unit code; default: the caller's first unit
    template: int | None = None
    pdf: bool = True


def _out(report: IssuedReport, *, has_pdf: bool | None = None) -> dict[str, Any]:
    base = f"/api/reports/{report.pk}/download"
    return {
        "id": report.pk,
        "kind": report.kind,
        "period_label": report.period_label,
        "title": report.title,
        "unit_id": report.unit_id,
        "unit_code": report.unit.code,
        "issued_by": str(report.issued_by) if report.issued_by else report.issued_by_label,
        "issued_at": report.issued_at,
        "has_pdf": has_pdf if has_pdf is not None else report.pdf is not None,
        "downloads": {fmt: f"{base}/{fmt}" for fmt in ("docx", "pdf", "html")},
    }


@router.get("", response=ReportList)
def report_list(request: HttpRequest, filters: Query[ListFilters]) -> dict[str, Any]:
    """The archive, newest first, scoped to the caller's units."""
    if filters.kind and filters.kind not in ReportKind.values:
        raise HttpError(422, f"unknown kind {filters.kind!r}; known: {', '.join(ReportKind.values)}")
    unit_id = None
    if filters.unit:
        unit = units_for(request.user).filter(code=filters.unit).first()
        if unit is None:
            raise Http404
        unit_id = unit.pk
    limit = max(1, min(filters.limit, 500))
    qs = selectors.reports_for(request.user, kind=filters.kind, unit_id=unit_id, period=filters.period)
    rows = list(qs[filters.offset : filters.offset + limit])
    with_pdf = set(
        IssuedReport.objects.filter(pk__in=[r.pk for r in rows], pdf__isnull=False).values_list("pk", flat=True)
    )
    return {"items": [_out(r, has_pdf=r.pk in with_pdf) for r in rows], "count": qs.count()}


@router.get("/{int:report_id}", response=ReportOut)
def report_detail(request: HttpRequest, report_id: int) -> dict[str, Any]:
    return _out(selectors.report_for(request.user, report_id))


@router.post("/generate", response={201: ReportOut})
def report_generate(request: HttpRequest, payload: GenerateIn) -> Any:
    """Generate a report from the database and archive it (needs an issuing role on the unit)."""
    if payload.kind not in GENERATED_KIND_VALUES:
        raise HttpError(422, f"cannot generate {payload.kind!r}; use {', '.join(GENERATED_KIND_VALUES)}")
    units = units_for(request.user)
    unit = units.filter(code=payload.unit).first() if payload.unit else units.first()
    if unit is None:
        raise Http404
    template = selectors.template_for(request.user, payload.template) if payload.template else None
    from qingting.web.reporting.figures import PeriodError

    try:
        issued = services.report_issue(
            actor=request.user,
            kind=payload.kind,
            unit=unit,
            period_label=payload.period,
            template=template,
            with_pdf=payload.pdf,
        )
    except PeriodError as exc:  # pragma: no cover - services turn it into a ValidationError
        raise HttpError(422, str(exc)) from exc
    except LibreOfficeError as exc:
        raise HttpError(503, f"the PDF could not be made: {exc}") from exc
    except PermissionDenied:
        raise
    return Status(201, _out(issued))


@router.get("/{int:report_id}/download/{fmt}")
def report_download(request: HttpRequest, report_id: int, fmt: str) -> HttpResponse:
    from qingting.web.reporting.views import report_file

    report = selectors.report_for(request.user, report_id)  # 404 through the API's error shape
    if fmt not in ("docx", "pdf", "html"):
        raise HttpError(422, f"unknown format {fmt!r}; use docx, pdf or html")
    return report_file(report, fmt)
