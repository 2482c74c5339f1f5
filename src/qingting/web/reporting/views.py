"""Pages: the archive (list, view, downloads), generate, templates with a live preview, schedules.

Function views: they validate, call services/selectors and render. Every object is read through
the scoped selectors, so another unit's report answers 404.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from qingting.web.accounts.selectors import has_role, units_for
from qingting.web.exports.writer import FORMATS, chunked, export_response
from qingting.web.reporting import selectors, services
from qingting.web.reporting.figures import due_period
from qingting.web.reporting.forms import GenerateForm, ScheduleForm, TemplateForm, last_month_label
from qingting.web.reporting.models import ReportKind, ReportTemplate

CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
}


def _file_response(data: bytes | memoryview | str, fmt: str, title: str, *, inline: bool = False) -> HttpResponse:
    body = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    name = f"{title}.{fmt}".replace("/", "_").replace("\\", "_").replace('"', "")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename=\"report.{fmt}\"; filename*=UTF-8''{quote(name)}"
    if fmt == "html":
        # The stored HTML is escaped and script-free; the sandbox makes sure it stays inert.
        response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    return response


def _has_any_role(user: Any, roles: set[str]) -> bool:
    """Whether the user holds one of ``roles`` anywhere (what the page offers; services check per unit)."""
    from qingting.web.accounts.models import Membership

    return bool(user.is_superuser) or Membership.objects.filter(user=user, role__in=roles).exists()


def _can_issue(user: Any) -> bool:
    return _has_any_role(user, services.ISSUE_ROLES)


def _can_admin(user: Any) -> bool:
    return _has_any_role(user, services.TEMPLATE_ROLES)


@login_required
def report_list(request: HttpRequest) -> Any:
    """The archive (报告归档) with filters, and the generate form (two clicks to last month's report)."""
    kind = request.GET.get("kind", "")
    period = request.GET.get("period", "")[:40]
    unit_raw = request.GET.get("unit", "")
    unit_id = int(unit_raw) if unit_raw.isdigit() else None
    reports = selectors.reports_for(
        request.user, kind=kind if kind in ReportKind.values else "", unit_id=unit_id, period=period
    )
    fmt = request.GET.get("export", "")
    if fmt in FORMATS:  # the archive, every page of it, as a spreadsheet
        return _archive_export(request, reports, kind, period, unit_id, fmt)
    page = Paginator(reports, 25).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "nav": "reports",
        "page": page,
        "form": GenerateForm(user=request.user),
        "kinds": ReportKind.choices,
        "units": units_for(request.user),
        "filters": {"kind": kind, "period": period, "unit": unit_id},
        "query": params.urlencode(),
        "can_issue": _can_issue(request.user),
        "can_admin": _can_admin(request.user),
    }
    return render(request, "reporting/list.html", context)


def _archive_export(request: HttpRequest, reports: Any, kind: str, period: str, unit_id: int | None, fmt: str) -> Any:
    filters = []
    if kind in ReportKind.values:
        filters.append((_("Kind"), str(ReportKind(kind).label)))
    if period:
        filters.append((_("Period"), period))
    if unit_id is not None:
        unit = next((u for u in units_for(request.user) if u.pk == unit_id), None)
        filters.append((_("Unit"), unit.name if unit else str(unit_id)))
    rows = (
        [r.title, str(r.get_kind_display()), r.period_label, r.unit.name, r.issuer, r.issued_at]
        for r in chunked(reports, 500)
    )
    return export_response(
        fmt,
        title=_("Report archive"),
        user=request.user,
        filters=filters,
        header=[_("Title"), _("Kind"), _("Period"), _("Unit"), _("Issued by"), _("Issued at")],
        rows=rows,
    )


@login_required
@require_POST
def report_generate(request: HttpRequest) -> HttpResponse:
    """Generate, archive, then show (HTML) or download (DOCX/PDF) the report."""
    form = GenerateForm(request.POST, user=request.user)
    if not form.is_valid():
        reports = selectors.reports_for(request.user)
        context = {
            "nav": "reports",
            "page": Paginator(reports, 25).get_page(1),
            "form": form,
            "kinds": ReportKind.choices,
            "units": units_for(request.user),
            "filters": {},
            "query": "",
            "can_issue": _can_issue(request.user),
            "can_admin": _can_admin(request.user),
        }
        return render(request, "reporting/list.html", context, status=422)
    from qingting.reports.pdf import LibreOfficeError  # imported on use: python-docx is slow to import

    data = form.cleaned_data
    fmt = data["format"]
    try:
        issued = services.report_issue(
            actor=request.user,
            kind=data["kind"],
            unit=data["unit"],
            period_label=data["period"],
            template=data.get("template"),
            with_pdf=fmt == "pdf",
        )
    except PermissionDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
        return redirect("reporting:list")
    except LibreOfficeError as exc:
        messages.error(request, _("The PDF could not be made: %(error)s") % {"error": exc})
        return redirect("reporting:list")
    if fmt == "html":
        return redirect("reporting:view", pk=issued.pk)
    data_bytes = issued.docx if fmt == "docx" else issued.pdf
    assert data_bytes is not None
    return _file_response(data_bytes, fmt, issued.title)


@login_required
def report_view(request: HttpRequest, pk: int) -> Any:
    """An issued report; ``?export=xlsx|csv``: its figures tables as a spreadsheet (as issued)."""
    report = selectors.report_for(request.user, pk)  # 404 outside the user's units
    tables = selectors.report_tables(report)
    fmt = request.GET.get("export", "")
    if fmt in FORMATS and tables:
        return _tables_export(request, report, tables, fmt)
    return render(
        request,
        "reporting/view.html",
        {"nav": "reports", "report": report, "has_pdf": report.pdf is not None, "has_tables": bool(tables)},
    )


def _tables_export(request: HttpRequest, report: Any, tables: list[dict[str, Any]], fmt: str) -> Any:
    rows: list[list[Any]] = []
    for table in tables:  # each table: its caption, its header, its rows, its note, a blank row
        if table["caption"]:
            rows.append([table["caption"]])
        rows.append(table["header"])
        rows.extend(table["rows"])
        if table["note"]:
            rows.append([table["note"]])
        rows.append([])
    issued = timezone.localtime(report.issued_at).strftime("%Y-%m-%d %H:%M")
    return export_response(
        fmt,
        title=_("Figures tables of “%(title)s”") % {"title": report.title},
        filename=_("%(title)s figures tables") % {"title": report.title},
        user=request.user,
        filters=[
            (_("Kind"), str(report.get_kind_display())),
            (_("Period"), report.period_label),
            (_("Unit"), report.unit.name),
            (_("Issued at"), issued),
        ],
        header=[],
        rows=rows,
    )


@login_required
@xframe_options_sameorigin
def report_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    report = selectors.report_for(request.user, pk)
    if fmt == "pdf" and not report.pdf:
        try:
            services.report_pdf_ensure(report)
        except services.PdfUnavailable as exc:
            return pdf_unavailable(
                request, str(exc), docx_url=reverse("reporting:download", args=[pk, "docx"]),
                back_url=reverse("reporting:view", args=[pk]), nav="reports",
            )  # fmt: skip
    return report_file(report, fmt, inline=request.GET.get("inline") == "1")


def pdf_unavailable(request: HttpRequest, error: str, *, docx_url: str, back_url: str, nav: str) -> HttpResponse:
    """A clear page instead of a bare 404 when the PDF cannot be made: why, and the DOCX instead."""
    context = {"nav": nav, "error": error, "docx_url": docx_url, "back_url": back_url}
    return render(request, "reporting/pdf_unavailable.html", context, status=503)


def report_file(report: Any, fmt: str, *, inline: bool = False) -> HttpResponse:
    """One stored file of an issued report (the page and the API both answer with this)."""
    if fmt not in CONTENT_TYPES:
        raise Http404("no such format")
    data: bytes | str | None = {"docx": report.docx, "pdf": report.pdf, "html": report.html}[fmt]
    if fmt == "pdf" and data is None:
        # Issued without a PDF (e.g. LibreOffice was missing then): make it now from the stored DOCX.
        try:
            data = services.report_pdf_ensure(report)
        except services.PdfUnavailable as exc:
            raise Http404(f"PDF unavailable: {exc}") from exc
    if data is None:
        raise Http404("no such file")
    return _file_response(data, fmt, report.title, inline=inline)


# --- templates ------------------------------------------------------------------------------------


@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    templates = selectors.templates_for_user(request.user)
    return render(
        request,
        "reporting/templates.html",
        {"nav": "reports", "templates": templates, "can_admin": _can_admin(request.user)},
    )


@login_required
def template_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Edit (or create) a template; the preview beside the form follows every change (HTMX)."""
    template = selectors.template_for(request.user, pk) if pk is not None else None
    form = TemplateForm(request.POST or None, instance=template)
    unit_choices = [u for u in units_for(request.user) if has_role(request.user, u, services.TEMPLATE_ROLES)]
    if request.method == "POST" and form.is_valid():
        unit = template.unit if template is not None else _posted_unit(request, unit_choices)
        try:
            saved = services.template_save(actor=request.user, template=template, unit=unit, **form.values())
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Template saved."))
            return redirect("reporting:template", pk=saved.pk)
    return render(
        request,
        "reporting/template_edit.html",
        {"nav": "reports", "form": form, "template": template, "unit_choices": unit_choices},
        status=422 if request.method == "POST" else 200,
    )


def _posted_unit(request: HttpRequest, allowed: list[Any]) -> Any:
    raw = request.POST.get("unit", "")
    if raw == "" and request.user.is_superuser:
        return None  # a shared template
    for unit in allowed:
        if str(unit.pk) == raw:
            return unit
    raise PermissionDenied(_("Choose a unit you administer."))


@login_required
@require_POST
def template_preview(request: HttpRequest) -> HttpResponse:
    """The report as the edited template would make it, over last month's real figures (HTML)."""
    from qingting.reports.html import render_html

    form = TemplateForm(request.POST)
    if not form.is_valid():
        return render(request, "reporting/_preview.html", {"errors": form.errors})
    values = form.values()
    draft = ReportTemplate(**{k: v for k, v in values.items() if k != "is_default"})
    units = list(units_for(request.user)[:1])
    if not units:
        raise PermissionDenied
    kind = values["kind"]
    try:
        label = due_period(kind, timezone.localdate())
    except ValueError:  # kinds without a period of their own (work report, bulletin) preview last month
        label = last_month_label()
    try:
        doc, _figures = services.report_document(kind=kind, unit=units[0], period_label=label, template=draft)
    except ValidationError as exc:
        return render(request, "reporting/_preview.html", {"errors": {"": exc.messages}})
    # render_html builds its markup itself and escapes every string it is given (decision 0040),
    # so its output is the one piece of HTML this page inserts as it is.
    article = mark_safe(render_html(doc, standalone=False))
    return render(request, "reporting/_preview.html", {"article": article, "period": label, "unit": units[0]})


# --- schedules ------------------------------------------------------------------------------------


@login_required
def schedule_list(request: HttpRequest) -> HttpResponse:
    form = ScheduleForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.schedule_create(
                actor=request.user,
                kind=data["kind"],
                unit=data["unit"],
                template=data.get("template"),
                recipients=form.recipient_list(),
                formats=list(data["formats"]),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Schedule created."))
            return redirect("reporting:schedules")
    return render(
        request,
        "reporting/schedules.html",
        {"nav": "reports", "form": form, "schedules": selectors.schedules_for(request.user).order_by("kind")},
        status=422 if request.method == "POST" else 200,
    )
