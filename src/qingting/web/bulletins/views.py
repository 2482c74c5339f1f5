"""Pages: bulletin list, compose/edit with live preview, detail with the workflow, downloads,
the 直报 inbox and counts.

Function views in the django-htmx pattern; they validate, call services and selectors, and turn
service errors into messages. The bulletin document itself is shown in a sandboxed ``<iframe
srcdoc>``: the HTML renderer escapes every string, and the sandbox forbids scripts anyway.
"""

from __future__ import annotations

import importlib.util
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST
from django_htmx.middleware import HtmxDetails

from qingting.web.accounts.selectors import has_role, units_for
from qingting.web.bulletins import selectors, services
from qingting.web.bulletins.forms import (
    BulletinTextForm,
    CountsForm,
    DecideForm,
    ReturnForm,
    SignForm,
    SubmitForm,
    UpwardForm,
)
from qingting.web.bulletins.models import Adoption, Bulletin, BulletinStatus
from qingting.web.exports import writer as exports
from qingting.web.monitoring.selectors import event_home_path

PAGE_SIZE = 25
FORMATS = {
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "pdf": ("application/pdf", "pdf"),
    "html": ("text/html; charset=utf-8", "html"),
}


class HtmxHttpRequest(HttpRequest):
    """A request as django_htmx's middleware leaves it (the type django-htmx documents)."""

    htmx: HtmxDetails


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc) or _("You may not do this.")


def _cases_enabled() -> bool:
    if importlib.util.find_spec("qingting.web.cases.services") is None:
        return False
    module = importlib.import_module("qingting.web.cases.services")
    return hasattr(module, "case_create")


def case_url(case_id: int | None, user: Any = None) -> str:
    """The case page's address, or ``""`` without cases or (given ``user``) when the user may not
    see the case: a leader may open a case for a unit an analyst of the bulletin's unit cannot see,
    and a link there would be a dead end (404)."""
    return case_link(case_id, user)[0]


def case_link(case_id: int | None, user: Any = None) -> tuple[str, str]:
    """``(url, label)`` of the case a bulletin's instructions opened: the label is the case number
    people quote (``"#id"`` only when cases are not installed); the url is ``""`` where
    :func:`case_url` would give none."""
    if not case_id:
        return "", ""
    if not _cases_enabled():
        return "", f"#{case_id}"
    from qingting.web.cases.selectors import cases_for

    number = cases_for(user).filter(pk=case_id).values_list("number", flat=True).first() if user else None
    try:
        url = reverse("cases:detail", args=[case_id])
    except NoReverseMatch:
        return "", number or f"#{case_id}"
    if user is not None and number is None:
        return "", _("a case of another unit")
    return url, number or f"#{case_id}"


def _compose_unit(user: Any, events: list[Any]) -> Any:
    """Where a new bulletin goes: the lowest unit whose tree holds all the events' schemes (those
    of the user's units that match each event, else its organisation), if
    the user is an analyst there; else the first unit where the user is an analyst."""
    from qingting.web.accounts.models import Unit

    paths = [event_home_path(user, e) for e in events]
    common = paths[0].strip("/").split("/")
    for path in paths[1:]:
        parts = path.strip("/").split("/")
        n = 0
        while n < min(len(common), len(parts)) and common[n] == parts[n]:
            n += 1
        common = common[:n]
    unit = Unit.objects.filter(pk=int(common[-1])).first() if common and common[-1] else None
    if unit is not None and has_role(user, unit, {services.ANALYST}):
        return unit
    for unit in units_for(user):
        if has_role(user, unit, {services.ANALYST}):
            return unit
    raise PermissionDenied(_("Composing a bulletin needs the analyst role."))


@login_required
def bulletin_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.bulletins_for(request.user)
    status = request.GET.get("status", "")
    if status in BulletinStatus.values:
        qs = qs.filter(status=status)
    fmt = request.GET.get("export", "")
    if fmt in exports.FORMATS:  # the same list, every page of it, as a spreadsheet
        return cast(HttpResponse, _list_export(request, qs, status, fmt))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "nav": "bulletins",
        "page": page,
        "status": status,
        "statuses": BulletinStatus.choices,
        "awaiting": selectors.awaiting_signoff(request.user).count(),
        "inbox_pending": selectors.inbox_for(request.user).filter(adoption=Adoption.PENDING).count(),
    }
    return render(request, "bulletins/list.html", context)


def _list_export(request: HttpRequest, qs: Any, status: str, fmt: str) -> Any:
    shown = dict(BulletinStatus.choices)
    rows = (
        [b.issue_label or "", b.title, b.unit.name, str(shown.get(b.status, b.status)), b.updated_at]
        for b in exports.chunked(qs, 1000)
    )
    return exports.export_response(
        fmt,
        title=_("Bulletins"),
        user=request.user,
        filters=[(_("Status"), str(shown[status]))] if status in shown else [],
        header=[pgettext("bulletin", "Number"), _("Title"), _("Unit"), _("Status"), _("Updated")],
        rows=rows,
    )


@login_required
def bulletin_new(request: HtmxHttpRequest) -> HttpResponse:
    """A new draft on the chosen events, or (``draft``) the event added to an existing draft.

    GET shows the event picker (search, tick, create); ``?event=ID`` comes ticked. POST comes from
    the picker or from the event page's button (``templates/bulletins/_add_to_bulletin.html``).
    """
    from qingting.web.monitoring.selectors import events_for

    if request.method != "POST":
        ticked = [int(v) for v in request.GET.getlist("event") if v.isdigit()]
        chosen = list(events_for(request.user).filter(pk__in=ticked))
        q = request.GET.get("q", "")[:100]
        context = {
            "nav": "bulletins",
            "chosen": chosen,
            "q": q,
            "choices": selectors.event_choices(request.user, q, exclude=[e.pk for e in chosen], limit=30),
        }
        if request.htmx:
            return render(request, "bulletins/_new_choices.html", context)
        return render(request, "bulletins/new.html", context)
    try:
        ids = sorted({int(v) for v in request.POST.getlist("event")})
    except ValueError:
        raise Http404("no such event") from None
    events = list(events_for(request.user).filter(pk__in=ids))
    if not ids or len(events) != len(ids):
        if len(ids) == 1:
            raise Http404("no such event")
        messages.error(request, _("Choose at least one event."))
        return redirect("bulletins:new")
    back = redirect("monitoring:event", pk=events[0].pk) if len(events) == 1 else redirect("bulletins:new")
    draft_id = request.POST.get("draft", "")
    try:
        if draft_id:
            draft = selectors.bulletin_get(request.user, int(draft_id))
            ids = [*draft.events.values_list("pk", flat=True), *ids]
            bulletin = services.bulletin_update(actor=request.user, bulletin_id=draft.pk, events=ids)
        else:
            bulletin = services.bulletin_create(
                actor=request.user, unit=_compose_unit(request.user, events), events=events
            )
    except (PermissionDenied, ValidationError, services.BulletinConflict) as exc:
        messages.error(request, _error_text(exc))
        return back
    return redirect("bulletins:edit", pk=bulletin.pk)


def _preview_html(bulletin: Bulletin, figures: dict[str, Any] | None = None) -> str:
    from qingting.reports.html import render_html

    return render_html(services.bulletin_document(bulletin, figures))


@login_required
def bulletin_edit(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = selectors.bulletin_get(request.user, pk)
    if not bulletin.is_editable:
        return redirect("bulletins:detail", pk=pk)
    if not has_role(request.user, bulletin.unit, {services.ANALYST}):
        raise PermissionDenied(_("Editing a bulletin needs the analyst role."))
    if request.method == "POST":
        form = BulletinTextForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.bulletin_update(
                    actor=request.user,
                    bulletin_id=pk,
                    expected_version=data["version"],
                    title=data["title"],
                    summary=data["summary"],
                    assessment=data["assessment"],
                    recommendations=data["recommendations"],
                )
            except (ValidationError, services.BulletinConflict) as exc:
                messages.error(request, _error_text(exc))
            else:
                messages.success(request, _("Saved."))
                return redirect("bulletins:edit", pk=pk)
    else:
        form = BulletinTextForm(
            initial={
                "title": bulletin.title,
                "summary": bulletin.summary,
                "assessment": bulletin.assessment,
                "recommendations": bulletin.recommendations,
                "version": bulletin.version,
            }
        )
    events = list(bulletin.events.select_related("organisation").order_by("-heat"))
    context = {
        "nav": "bulletins",
        "bulletin": bulletin,
        "form": form,
        "events": events,
        "choices": selectors.event_choices(request.user, exclude=[e.pk for e in events], limit=10),
        "preview": _preview_html(bulletin) if events else "",
        "submit_form": SubmitForm(leaders=selectors.leaders_for(bulletin.unit), initial={"version": bulletin.version}),
    }
    return render(request, "bulletins/edit.html", context)


@login_required
@require_POST
def bulletin_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The live preview (HTMX): the document with the texts as typed, figures as of now; nothing saved."""
    bulletin = selectors.bulletin_get(request.user, pk)
    form = BulletinTextForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    for field in ("title", "summary", "assessment", "recommendations"):
        if field in data:
            setattr(bulletin, field, data[field])
    if not bulletin.title.strip():
        bulletin.title = _("(untitled)")
    html = _preview_html(bulletin) if bulletin.events.exists() else ""
    return render(request, "bulletins/_preview.html", {"preview": html})


@login_required
def event_picker(request: HttpRequest, pk: int) -> HttpResponse:
    """Events to add (HTMX fragment), searched by a word of the title or keywords."""
    bulletin = selectors.bulletin_get(request.user, pk)
    chosen = list(bulletin.events.values_list("pk", flat=True))
    q = request.GET.get("q", "")[:100]
    return render(
        request,
        "bulletins/_event_choices.html",
        {"bulletin": bulletin, "choices": selectors.event_choices(request.user, q, exclude=chosen)},
    )


@login_required
@require_POST
def bulletin_events(request: HttpRequest, pk: int) -> HttpResponse:
    """Add or remove one event of a draft."""
    bulletin = selectors.bulletin_get(request.user, pk)
    ids = set(bulletin.events.values_list("pk", flat=True))
    try:
        event_id = int(request.POST.get("event", ""))
    except ValueError:
        messages.error(request, _("Choose an event."))
        return redirect("bulletins:edit", pk=pk)
    if request.POST.get("op") == "remove":
        ids.discard(event_id)
    else:
        ids.add(event_id)
    try:
        services.bulletin_update(actor=request.user, bulletin_id=pk, events=sorted(ids))
    except (PermissionDenied, ValidationError, services.BulletinConflict) as exc:
        messages.error(request, _error_text(exc))
    return redirect("bulletins:edit", pk=pk)


@login_required
def bulletin_detail(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = selectors.bulletin_get(request.user, pk)
    user = request.user
    is_analyst = has_role(user, bulletin.unit, {services.ANALYST})
    is_leader = has_role(user, bulletin.unit, {services.LEADER})
    cases_enabled = _cases_enabled()
    context: dict[str, Any] = {
        "nav": "bulletins",
        "bulletin": bulletin,
        "events": list(bulletin.events.select_related("organisation").order_by("-heat")),
        "history": selectors.bulletin_history(bulletin),
        "submissions": list(bulletin.submissions.select_related("to_unit")),
        "case_url": case_url(bulletin.case_id, user),
        "case_label": case_link(bulletin.case_id, user)[1],
        "can_edit": bulletin.is_editable and is_analyst,
        "can_sign": bulletin.status == BulletinStatus.SUBMITTED and is_leader,
        "can_issue": bulletin.status == BulletinStatus.SIGNED and (is_analyst or is_leader),
        "can_upward": (
            bulletin.status == BulletinStatus.ISSUED
            and bulletin.unit.parent_id is not None
            and (is_analyst or is_leader)
            and not bulletin.submissions.filter(to_unit_id=bulletin.unit.parent_id).exists()
        ),
    }
    if context["can_edit"]:
        context["submit_form"] = SubmitForm(
            leaders=selectors.leaders_for(bulletin.unit), initial={"version": bulletin.version}
        )
    if context["can_sign"]:
        context["sign_form"] = SignForm(
            units=units_for(user), cases_enabled=cases_enabled, initial={"version": bulletin.version}
        )
        context["return_form"] = ReturnForm(initial={"version": bulletin.version})
    if context["can_upward"]:
        context["upward_form"] = UpwardForm()
    if bulletin.events.exists():
        context["figures"] = services.bulletin_live_figures(bulletin)
        context["frozen"] = not bulletin.is_editable and bool(bulletin.figures)
        if bulletin.status != BulletinStatus.ISSUED:
            context["preview"] = _preview_html(bulletin, context["figures"])
    return render(request, "bulletins/detail.html", context)


def _act(request: HttpRequest, pk: int, call: Any, done: str) -> HttpResponse:
    try:
        call()
    except (PermissionDenied, ValidationError, services.BulletinConflict) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, done)
    return redirect("bulletins:detail", pk=pk)


def _version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


@login_required
@require_POST
def bulletin_submit(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = selectors.bulletin_get(request.user, pk)
    form = SubmitForm(request.POST, leaders=selectors.leaders_for(bulletin.unit))
    if not form.is_valid():
        messages.error(request, _("Choose a leader of this unit or above."))
        return redirect("bulletins:detail", pk=pk)
    return _act(
        request,
        pk,
        lambda: services.bulletin_submit(
            actor=request.user, bulletin_id=pk, to_user=form.cleaned_data["to_user"], expected_version=_version(request)
        ),
        _("Submitted for sign-off."),
    )


@login_required
@require_POST
def bulletin_sign(request: HttpRequest, pk: int) -> HttpResponse:
    selectors.bulletin_get(request.user, pk)
    form = SignForm(request.POST, units=units_for(request.user), cases_enabled=_cases_enabled())
    if not form.is_valid():
        messages.error(request, "; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in form.errors.items()))
        return redirect("bulletins:detail", pk=pk)
    data = form.cleaned_data
    return _act(
        request,
        pk,
        lambda: services.bulletin_sign(
            actor=request.user,
            bulletin_id=pk,
            instructions=data["instructions"],
            expected_version=_version(request),
            case_unit=data.get("case_unit"),
            case_summary=data.get("case_summary", ""),
        ),
        _("Signed off."),
    )


@login_required
@require_POST
def bulletin_return(request: HttpRequest, pk: int) -> HttpResponse:
    selectors.bulletin_get(request.user, pk)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write what should change."))
        return redirect("bulletins:detail", pk=pk)
    return _act(
        request,
        pk,
        lambda: services.bulletin_return(
            actor=request.user,
            bulletin_id=pk,
            comments=form.cleaned_data["comments"],
            expected_version=_version(request),
        ),
        _("Returned to the analyst."),
    )


@login_required
@require_POST
def bulletin_issue(request: HttpRequest, pk: int) -> HttpResponse:
    selectors.bulletin_get(request.user, pk)
    return _act(request, pk, lambda: services.bulletin_issue(actor=request.user, bulletin_id=pk), _("Issued."))


@login_required
@require_POST
def bulletin_upward(request: HttpRequest, pk: int) -> HttpResponse:
    selectors.bulletin_get(request.user, pk)
    form = UpwardForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return _act(
        request,
        pk,
        lambda: services.submission_create(actor=request.user, bulletin_id=pk, note=note),
        _("Submitted to the parent unit."),
    )


@login_required
@xframe_options_sameorigin  # the issued HTML is shown in a sandboxed iframe on the bulletin's own page
def bulletin_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    bulletin = selectors.bulletin_get(request.user, pk)
    archive = bulletin.archive
    if fmt not in FORMATS or bulletin.status != BulletinStatus.ISSUED or archive is None:
        raise Http404("no such file")
    content_type, suffix = FORMATS[fmt]
    if fmt == "pdf" and not archive.pdf:  # issued while LibreOffice was missing: make it now
        from qingting.web.reporting import services as reporting
        from qingting.web.reporting.views import pdf_unavailable

        try:
            reporting.report_pdf_ensure(archive)
        except reporting.PdfUnavailable as exc:
            return pdf_unavailable(
                request, str(exc), docx_url=reverse("bulletins:download", args=[pk, "docx"]),
                back_url=reverse("bulletins:detail", args=[pk]), nav="bulletins",
            )  # fmt: skip
    data: bytes | memoryview | str | None = {"docx": archive.docx, "pdf": archive.pdf, "html": archive.html}[fmt]
    if not data:
        raise Http404("no such file")
    response = HttpResponse(bytes(data) if not isinstance(data, str) else data, content_type=content_type)
    disposition = "inline" if fmt in ("html", "pdf") and request.GET.get("inline") else "attachment"
    name = f"{bulletin.title[:60]}{bulletin.issue_label}.{suffix}"  # 舆情专报〔2026〕第2期.docx
    response["Content-Disposition"] = content_disposition_header(disposition == "attachment", name) or disposition
    if fmt == "html":
        response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    return response


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """Submissions received by the user's units, undecided first."""
    qs = selectors.inbox_for(request.user).order_by("decided_at", "-submitted_at")
    pending_only = request.GET.get("pending") == "1"
    if pending_only:
        qs = qs.filter(adoption=Adoption.PENDING)
    fmt = request.GET.get("export", "")
    if fmt in exports.FORMATS:  # the same inbox, every page of it, as a spreadsheet
        return cast(HttpResponse, _inbox_export(request, qs, pending_only, fmt))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(s, has_role(request.user, s.to_unit, {services.ANALYST, services.LEADER})) for s in page]
    context = {
        "nav": "bulletins",
        "page": page,
        "rows": rows,
        "pending_only": pending_only,
        "decide_form": DecideForm(),
        "sent": selectors.submissions_for(request.user).exclude(pk__in=qs.values("pk"))[:20],
        "reports": _reports_to_submit(request.user),
    }
    return render(request, "bulletins/inbox.html", context)


def _inbox_export(request: HttpRequest, qs: Any, pending_only: bool, fmt: str) -> Any:
    rows = (
        [
            s.from_unit.name,
            s.to_unit.name,
            s.title,
            s.note,
            s.submitted_at,
            s.get_adoption_display(),
            s.decision_note,
            s.decided_at,
        ]
        for s in exports.chunked(qs, 1000)
    )
    return exports.export_response(
        fmt,
        title=_("Upward submissions (直报)"),
        user=request.user,
        filters=[(_("Decision"), _("Only undecided"))] if pending_only else [],
        header=[
            _("Submitting unit"),
            _("Receiving unit"),
            _("Document"),
            _("Note"),
            _("Submitted"),
            _("Decision"),
            _("Decision note"),
            _("Decided at"),
        ],
        rows=rows,
    )


def _reports_to_submit(user: Any) -> list[Any]:
    """Archived reports (not bulletins: those go from their own page) of units that have a parent."""
    from qingting.web.accounts.selectors import scope
    from qingting.web.reporting.models import IssuedReport

    return list(
        scope(IssuedReport.objects.select_related("unit"), user, unit_field="unit")
        .exclude(kind="bulletin")
        .filter(unit__parent__isnull=False, submissions__isnull=True)
        .order_by("-issued_at")[:20]
    )


@login_required
@require_POST
def report_upward(request: HttpRequest) -> HttpResponse:
    try:
        report_id = int(request.POST.get("report", ""))
    except ValueError:
        messages.error(request, _("Choose a report."))
        return redirect("bulletins:inbox")
    try:
        services.submission_create(actor=request.user, report_id=report_id, note=request.POST.get("note", "")[:2000])
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Submitted to the parent unit."))
    return redirect("bulletins:inbox")


@login_required
@require_POST
def submission_decide(request: HttpRequest, pk: int) -> HttpResponse:
    selectors.submission_get(request.user, pk)
    form = DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision."))
    else:
        try:
            services.submission_decide(
                actor=request.user,
                submission_id=pk,
                adoption=form.cleaned_data["adoption"],
                note=form.cleaned_data["note"],
            )
        except (PermissionDenied, ValidationError) as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("Decision recorded."))
    return redirect("bulletins:inbox")


@login_required
def counts(request: HttpRequest) -> HttpResponse:
    """直报 counts per sending unit over a period (default: this year)."""
    from qingting.reports.figures import Period

    form = CountsForm(request.GET or None)
    period = None
    if form.is_bound and form.is_valid():
        period = form.cleaned_data["period"]
    if period is None:
        period = Period.parse(str(timezone.localdate().year))
    unit_ids = [u.pk for u in units_for(request.user)]
    rows = selectors.submission_counts_by_unit(unit_ids, period.start, period.end)
    context = {
        "nav": "bulletins",
        "form": form,
        "period": period,
        "rows": rows,
        "total": selectors.submission_counts(unit_ids, period.start, period.end),
        "issued": selectors.bulletins_issued(unit_ids, period.start, period.end),
    }
    return render(request, "bulletins/counts.html", context)
