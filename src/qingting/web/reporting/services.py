"""Writes and generation: archive a report, generate one from the database, templates, schedules.

Every function checks the actor's rights on the unit and records an audit entry in the same
transaction. ``actor=None`` means the system (scheduled generation, the demo).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from qingting.reports.figures import (
    PERIOD_SECTIONS,
    WORK_SECTIONS,
    Letterhead,
    build_period_report,
    build_work_report,
)
from qingting.reports.figures import ReportTemplate as TemplateSpec
from qingting.reports.model import Document
from qingting.web.accounts.models import Unit
from qingting.web.accounts.selectors import has_role, visible_unit_ids
from qingting.web.audit.services import audit_record
from qingting.web.reporting import figures as db_figures
from qingting.web.reporting.models import (
    GENERATED_KIND_VALUES,
    IssuedReport,
    ReportKind,
    ReportSchedule,
    ReportTemplate,
)

__all__ = [
    "ISSUE_ROLES",
    "TEMPLATE_ROLES",
    "GeneratedReport",
    "report_archive",
    "report_generate",
    "report_issue",
    "schedule_create",
    "template_save",
]

# Who may issue (archive) reports and who may edit templates and schedules.
ISSUE_ROLES: set[str] = {"admin", "analyst", "reviewer", "leader"}  # Role values
TEMPLATE_ROLES: set[str] = {"admin"}

_NAMES = {
    ReportKind.DAILY: "舆情日报",
    ReportKind.WEEKLY: "舆情周报",
    ReportKind.MONTHLY: "舆情月报",
    ReportKind.QUARTERLY: "舆情季报",
    ReportKind.HALF: "舆情半年报",
    ReportKind.ANNUAL: "舆情年报",
    ReportKind.WORK: "工作情况报告",
    ReportKind.BULLETIN: "舆情专报",
}


def _check_sees(actor: Any, unit: Unit) -> None:
    if actor is None:
        return
    ids = visible_unit_ids(actor)
    if ids is not None and unit.pk not in ids:
        raise PermissionDenied(f"you may not see reports of {unit.name}")


def _check_role(actor: Any, unit: Unit, roles: set[str], what: str) -> None:
    if actor is None:
        return
    _check_sees(actor, unit)
    if not has_role(actor, unit, roles):
        raise PermissionDenied(f"you may not {what} for {unit.name}")


@transaction.atomic
def report_archive(
    *,
    actor: Any,
    unit: Unit,
    kind: str,
    period_label: str,
    title: str,
    docx: bytes,
    pdf: bytes | None,
    html: str,
    figures: dict[str, Any],
    template: ReportTemplate | None = None,
    issued_by_label: str = "",
) -> IssuedReport:
    """Store an issued report in the archive with who issued it and when (contract for bulletins).

    ``actor`` needs an issuing role (admin, analyst, reviewer, leader) on ``unit`` or above.
    """
    if kind not in ReportKind.values:
        raise ValidationError({"kind": f"unknown report kind {kind!r}; known: {', '.join(ReportKind.values)}"})
    if not title.strip():
        raise ValidationError({"title": "a report needs a title"})
    if not docx:
        raise ValidationError({"docx": "the DOCX is empty"})
    _check_role(actor, unit, ISSUE_ROLES, "issue reports")
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    report = IssuedReport.objects.create(
        unit=unit,
        kind=kind,
        period_label=period_label.strip(),
        title=title.strip()[:300],
        issued_by=user,
        issued_by_label=issued_by_label or (user.get_username() if user is not None else "system"),
        issued_at=timezone.now(),
        docx=docx,
        pdf=pdf,
        html=html,
        figures=figures,
        template=template,
    )
    audit_record(
        actor=actor,
        action="report.issue",
        obj=report,
        new={"kind": kind, "period": report.period_label, "unit": unit.code, "title": report.title},
    )
    return report


# --- generation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GeneratedReport:
    """A report generated from the database: the document, its files and its figures."""

    kind: str
    unit: Unit
    period_label: str
    document: Document
    figures: dict[str, Any]
    template: ReportTemplate | None
    docx: bytes | None = None
    pdf: bytes | None = None
    html: str | None = None


def default_template(kind: str, unit: Unit) -> ReportTemplate | None:
    """The template used when none is chosen: the unit's (or nearest ancestor's) default, else a
    shared default for the kind."""
    ancestors = [int(p) for p in unit.path.strip("/").split("/") if p.isdigit()]
    candidates = ReportTemplate.objects.filter(kind=kind, is_default=True)
    by_unit = {t.unit_id: t for t in candidates}
    for unit_id in reversed(ancestors):
        if unit_id in by_unit:
            return by_unit[unit_id]
    return by_unit.get(None)


def templates_for(kind: str, unit: Unit) -> list[ReportTemplate]:
    """Templates usable for ``kind`` at ``unit``: shared ones and those of the unit or its ancestors."""
    ancestors = [int(p) for p in unit.path.strip("/").split("/") if p.isdigit()]
    return [t for t in ReportTemplate.objects.filter(kind=kind) if t.unit_id is None or t.unit_id in ancestors]


def template_spec(template: ReportTemplate | None) -> TemplateSpec | None:
    """The pure builders' view of a stored template."""
    if template is None:
        return None
    return TemplateSpec(
        sections=tuple(template.sections) if template.sections else None,
        headings=tuple((str(k), str(v)) for k, v in (template.headings or {}).items() if str(v).strip()),
        title=template.title,
        lead=template.lead,
        closing=template.closing,
    )


def document_number(unit: Unit, template: ReportTemplate | None, day: date) -> str:
    """发文字号 ``<prefix>〔year〕N号``: N counts this unit's reports issued this year, plus one."""
    if template is None or not template.number_prefix.strip():
        return ""
    issued = IssuedReport.objects.filter(unit=unit, issued_at__year=day.year).exclude(kind=ReportKind.BULLETIN)
    return f"{template.number_prefix.strip()}〔{day.year}〕{issued.count() + 1}号"


def letterhead_for(unit: Unit, template: ReportTemplate | None, day: date) -> Letterhead:
    issuer = (template.issuer if template is not None else "").strip() or unit.name
    return Letterhead(
        issuing_unit=issuer,
        date=day,
        mark=template.mark.strip() if template is not None else "",
        number=document_number(unit, template, day),
        addressee=template.addressee.strip() if template is not None else "",
        copy_to=template.copy_to_lines if template is not None else (),
        printer=template.printer.strip() if template is not None else "",
        secrecy=template.secrecy.strip() if template is not None else "",
    )


def report_document(
    *, kind: str, unit: Unit, period_label: str, template: ReportTemplate | None, day: date | None = None
) -> tuple[Document, dict[str, Any]]:
    """The document and its figures (JSON) for ``kind``/``unit``/``period_label``, from the database."""
    if kind not in GENERATED_KIND_VALUES:
        raise ValidationError({"kind": f"cannot generate {kind!r} reports; use {', '.join(GENERATED_KIND_VALUES)}"})
    try:
        label = db_figures.canonical_period(period_label, kind)
    except db_figures.PeriodError as exc:
        raise ValidationError({"period": str(exc)}) from exc
    if template is not None and template.kind != kind:
        raise ValidationError({"template": f"template {template.name!r} is for {template.kind} reports, not {kind}"})
    day = day or timezone.localdate()
    head = letterhead_for(unit, template, day)
    spec = template_spec(template)
    try:
        if kind == "work":
            work = db_figures.work_figures(unit, label)
            return build_work_report(work, head, spec), db_figures.figures_json(work)
        period = db_figures.period_figures(unit, label)
        doc = build_period_report(period, head, spec)
        if spec is None or not spec.title.strip():
            doc = _retitle(doc, f"{unit.name}{period.period.label}{_NAMES[ReportKind(kind)]}")
        return doc, db_figures.figures_json(period)
    except ValueError as exc:  # an unknown section key in a template: the admin's to fix
        raise ValidationError({"template": str(exc)}) from exc


def _retitle(doc: Document, title: str) -> Document:
    from dataclasses import replace

    return replace(doc, title=title)


def render_formats(doc: Document, formats: tuple[str, ...]) -> tuple[bytes | None, bytes | None, str | None]:
    """DOCX bytes, PDF bytes and HTML text for the formats asked for (PDF implies a DOCX)."""
    from qingting.reports.docx import build_docx
    from qingting.reports.html import render_html

    docx_bytes = pdf_bytes = None
    html_text = None
    if "docx" in formats or "pdf" in formats:
        with tempfile.TemporaryDirectory(prefix="qingting-report-") as tmp:
            docx_path = Path(tmp) / "report.docx"
            build_docx(doc).save(str(docx_path))
            docx_bytes = docx_path.read_bytes()
            if "pdf" in formats:
                from qingting.reports.pdf import convert_docx_to_pdf_fast

                pdf_path = Path(tmp) / "report.pdf"
                convert_docx_to_pdf_fast(docx_path, pdf_path)
                pdf_bytes = pdf_path.read_bytes()
    if "html" in formats:
        html_text = render_html(doc, standalone=True)
    return docx_bytes, pdf_bytes, html_text


def report_generate(
    *,
    actor: Any,
    kind: str,
    unit: Unit,
    period_label: str,
    template: ReportTemplate | None = None,
    formats: tuple[str, ...] = ("docx",),
    use_default_template: bool = True,
) -> GeneratedReport:
    """Generate a report from the database in the given formats (nothing is stored).

    The actor must see ``unit``. ``template=None`` takes the default template for the kind.
    """
    _check_sees(actor, unit)
    unknown = [f for f in formats if f not in ("docx", "pdf", "html")]
    if unknown:
        raise ValidationError({"format": f"unknown format {unknown[0]!r}; use docx, pdf or html"})
    if template is None and use_default_template:
        template = default_template(kind, unit)
    if template is not None and template.unit_id is not None:
        _check_sees(actor, template.unit) if template.unit else None
    doc, figures = report_document(kind=kind, unit=unit, period_label=period_label, template=template)
    docx_bytes, pdf_bytes, html_text = render_formats(doc, formats)
    return GeneratedReport(
        kind=kind,
        unit=unit,
        period_label=db_figures.canonical_period(period_label, kind),  # valid: report_document checked it
        document=doc,
        figures=figures,
        template=template,
        docx=docx_bytes,
        pdf=pdf_bytes,
        html=html_text,
    )


def report_issue(
    *,
    actor: Any,
    kind: str,
    unit: Unit,
    period_label: str,
    template: ReportTemplate | None = None,
    with_pdf: bool = True,
    issued_by_label: str = "",
) -> IssuedReport:
    """Generate a report in all formats and archive it (the "generate" form, ``--archive``, schedules)."""
    _check_role(actor, unit, ISSUE_ROLES, "issue reports")
    formats = ("docx", "pdf", "html") if with_pdf else ("docx", "html")
    made = report_generate(
        actor=actor, kind=kind, unit=unit, period_label=period_label, template=template, formats=formats
    )
    assert made.docx is not None and made.html is not None
    return report_archive(
        actor=actor,
        unit=unit,
        kind=kind,
        period_label=made.period_label,
        title=made.document.title,
        docx=made.docx,
        pdf=made.pdf,
        html=made.html,
        figures=made.figures,
        template=made.template,
        issued_by_label=issued_by_label,
    )


# --- templates and schedules ----------------------------------------------------------------------

TEMPLATE_FIELDS = (
    "name",
    "kind",
    "is_default",
    "title",
    "lead",
    "closing",
    "sections",
    "headings",
    "mark",
    "issuer",
    "number_prefix",
    "addressee",
    "copy_to",
    "printer",
    "secrecy",
)


def sections_for(kind: str) -> dict[str, str]:
    return WORK_SECTIONS if kind == "work" else PERIOD_SECTIONS


def validate_template(values: dict[str, Any]) -> None:
    kind = values.get("kind")
    if kind not in GENERATED_KIND_VALUES:
        raise ValidationError({"kind": f"unknown report kind {kind!r}"})
    known = sections_for(str(kind))
    bad = [s for s in values.get("sections") or [] if s not in known]
    bad += [s for s in (values.get("headings") or {}) if s not in known]
    if bad:
        raise ValidationError({"sections": f"unknown sections {bad}; known: {', '.join(known)}"})
    if not str(values.get("name", "")).strip():
        raise ValidationError({"name": "a template needs a name"})


@transaction.atomic
def template_save(
    *, actor: Any, template: ReportTemplate | None = None, unit: Unit | None = None, **values: Any
) -> ReportTemplate:
    """Create (``template=None``) or update a template; only administrators of the unit (or
    superusers, for shared templates) may. Making one the default clears the others'."""
    target_unit = unit if template is None else template.unit
    if actor is not None:
        if target_unit is None:
            if not getattr(actor, "is_superuser", False):
                raise PermissionDenied("only a superuser may edit shared templates")
        else:
            _check_role(actor, target_unit, TEMPLATE_ROLES, "edit report templates")
    current = {f: getattr(template, f) for f in TEMPLATE_FIELDS} if template is not None else {}
    merged = {**current, **{k: v for k, v in values.items() if k in TEMPLATE_FIELDS}}
    validate_template(merged)
    obj = template or ReportTemplate(unit=unit)
    for field, value in merged.items():
        setattr(obj, field, value)
    obj.updated_by = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    obj.save()
    if obj.is_default:
        ReportTemplate.objects.filter(kind=obj.kind, unit=obj.unit, is_default=True).exclude(pk=obj.pk).update(
            is_default=False
        )
    audit_record(
        actor=actor,
        action="report_template.update" if current else "report_template.create",
        obj=obj,
        old={k: current[k] for k in current if current[k] != merged.get(k)} or None,
        new={k: merged[k] for k in merged if current.get(k) != merged[k]},
    )
    return obj


@transaction.atomic
def schedule_create(
    *,
    actor: Any,
    kind: str,
    unit: Unit,
    recipients: list[str],
    formats: list[str],
    template: ReportTemplate | None = None,
) -> ReportSchedule:
    """A report generated once per period and e-mailed (admins of the unit)."""
    from django.core.validators import validate_email

    _check_role(actor, unit, TEMPLATE_ROLES, "schedule reports")
    if kind not in GENERATED_KIND_VALUES or kind == "work":
        kinds = "daily, weekly, monthly, quarterly, half, annual"
        raise ValidationError({"kind": f"cannot schedule {kind!r}; use {kinds}"})
    if not recipients:
        raise ValidationError({"recipients": "at least one e-mail address"})
    for address in recipients:
        try:
            validate_email(address)
        except ValidationError as exc:
            raise ValidationError({"recipients": f"not an e-mail address: {address!r}"}) from exc
    if not formats or any(f not in ("docx", "pdf", "html") for f in formats):
        raise ValidationError({"formats": "choose docx, pdf and/or html"})
    schedule = ReportSchedule.objects.create(
        kind=kind,
        unit=unit,
        template=template,
        recipients="\n".join(recipients),
        formats=list(formats),
        created_by=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(actor=actor, action="report_schedule.create", obj=schedule, new={"kind": kind, "unit": unit.code})
    return schedule


def now_local_date(now: datetime | None = None) -> date:
    return timezone.localtime(now or timezone.now()).date()


class PdfUnavailable(Exception):
    """The PDF cannot be made now (LibreOffice missing or failing); the DOCX is there."""


def report_pdf_ensure(report: Any) -> bytes:
    """The archived report's PDF, made from its stored DOCX the first time it is asked for.

    A report or bulletin issued while LibreOffice was missing gets its PDF later this way, once the
    converter is installed; until then :class:`PdfUnavailable` says why (the pages offer the DOCX).
    """
    if report.pdf:
        return bytes(report.pdf)
    from qingting.reports.pdf import LibreOfficeError, convert_docx_to_pdf_fast

    with tempfile.TemporaryDirectory(prefix="qingting-pdf-") as tmp:
        src, out = Path(tmp) / "r.docx", Path(tmp) / "r.pdf"
        src.write_bytes(bytes(report.docx))
        try:
            convert_docx_to_pdf_fast(src, out)
        except LibreOfficeError as exc:
            raise PdfUnavailable(str(exc)) from exc
        data = out.read_bytes()
    type(report).objects.filter(pk=report.pk, pdf__isnull=True).update(pdf=data)
    report.pdf = data
    return data
