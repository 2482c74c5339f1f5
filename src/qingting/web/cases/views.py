"""Case pages: the queues, a case with its timeline and actions, manual entry, attachments, figures.

Function views in the django-htmx pattern (one URL serves the page and, for HTMX, the rows).
Every read goes through ``selectors.cases_for(user)`` (scoped to the user's units: another unit's
case is a 404); every write goes through ``services`` (which check roles, lock the row, compare the
version and write the audit entry). Views only validate, call, and turn errors into messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.http import require_POST

from qingting.web.accounts import selectors as access
from qingting.web.cases import forms, labels, ui
from qingting.web.exports import writer as exports
from qingting.web.uploads import refusal, upload_limit

PAGE_SIZE = 25
View = Callable[..., HttpResponseBase]


def signed_in(view: View) -> View:
    """``login_required``, typed."""
    return login_required(view)


def post_only(view: View) -> View:
    """``require_POST``, typed."""
    return require_POST(view)


def _page(request: HttpRequest, qs: Any) -> Any:
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    params.pop("export", None)
    return str(params.urlencode())


def _tabs(user: Any) -> dict[str, Any]:
    return {"can_see_all": ui.is_case_admin(user), "can_create": ui.can_create_somewhere(user)}


@dataclass(frozen=True)
class _Queue:
    name: str
    url_name: str
    title: Any
    blurb: Any


_QUEUES = {
    "queue": _Queue(
        "queue", "cases:queue", gettext_lazy("My queue"), gettext_lazy("Open cases you handle or may take on.")
    ),
    "unit": _Queue(
        "unit", "cases:unit", gettext_lazy("My unit's queue"), gettext_lazy("Open cases of your units and those below.")
    ),
    "overdue": _Queue(
        "overdue", "cases:overdue", gettext_lazy("Overdue"), gettext_lazy("Open cases past their time limit.")
    ),
    "all": _Queue(
        "all", "cases:all", gettext_lazy("All cases"), gettext_lazy("Every case you may see, open or closed.")
    ),
}


def _filtered(qs: QuerySet[Any], filters: dict[str, Any]) -> QuerySet[Any]:
    q = str(filters.get("q") or "").strip()
    if q:
        qs = qs.filter(Q(number__icontains=ui.normalise_number(q)) | Q(summary__icontains=q))
    for name in ("status", "channel", "priority"):
        if filters.get(name):
            qs = qs.filter(**{name: filters[name]})
    if filters.get("unit"):
        qs = qs.filter(unit_id=filters["unit"])
    return qs


def _export_rows(qs: QuerySet[Any]) -> Any:
    """Rows for the spreadsheet, read a chunk at a time, with the working time left per case."""
    now = timezone.now()
    ids = list(qs.values_list("pk", flat=True)[: exports.MAX_ROWS + 1])
    for start in range(0, len(ids), 1000):
        cases = ui.page_rows(ids[start : start + 1000])
        ui.decorate_rows(cases, now)
        for c in cases:
            handler = c.assignee.get_full_name() or c.assignee.username if c.assignee else ""
            yield [
                c.number, c.summary, c.unit.name, c.get_status_display(), handler, c.get_channel_display(),
                c.category_label, c.received_at, c.row_due, c.row_left,
            ]  # fmt: skip


def _export_queue(request: HttpRequest, queue: _Queue, qs: QuerySet[Any], form: Any, fmt: str) -> Any:
    header = [
        _("Number"), _("Summary"), _("Unit"), _("Status"), pgettext("case", "Handler"), _("Channel"),
        _("Category"), pgettext("case", "Received at"), _("Due"), _("Time left"),
    ]  # fmt: skip
    return exports.export_response(
        fmt,
        title=str(queue.title),
        user=request.user,
        filters=exports.form_filters(form),
        header=header,
        rows=_export_rows(qs),
    )


def _render_queue(request: HttpRequest, queue: _Queue, qs: QuerySet[Any]) -> HttpResponse:
    form = forms.QueueFilterForm(request.GET or None, units=access.units_for(request.user))
    fmt = request.GET.get("export", "")
    if fmt in exports.FORMATS:  # the same list, every page of it, as a spreadsheet
        return cast(HttpResponse, _export_queue(request, queue, _filtered(qs, form.filters()), form, fmt))
    # Cut the page over ids (a narrow sort), then read only that page's rows.
    page = _page(request, _filtered(qs, form.filters()).values_list("pk", flat=True))
    page.object_list = ui.page_rows(list(page.object_list))
    ui.decorate_rows(page.object_list, timezone.now())
    context = {
        "nav": "cases",
        "view": queue.name,
        "title": queue.title,
        "blurb": queue.blurb,
        "form": form,
        "page": page,
        "query": _query_without_page(request),
        "url_name": queue.url_name,
        **_tabs(request.user),
    }
    if getattr(request, "htmx", False):  # django_htmx's middleware sets it
        return render(request, "cases/_rows.html", context)
    return render(request, "cases/queue.html", context)


@signed_in
def queue_mine(request: HttpRequest) -> HttpResponse:
    return _render_queue(request, _QUEUES["queue"], ui.my_queue(request.user))


@signed_in
def queue_unit(request: HttpRequest) -> HttpResponse:
    return _render_queue(request, _QUEUES["unit"], ui.unit_queue(request.user))


@signed_in
def queue_overdue(request: HttpRequest) -> HttpResponse:
    return _render_queue(request, _QUEUES["overdue"], ui.overdue_queue(request.user, timezone.now()))


@signed_in
def queue_all(request: HttpRequest) -> HttpResponse:
    if not ui.is_case_admin(request.user):
        raise PermissionDenied(_("Only administrators see all cases."))
    return _render_queue(request, _QUEUES["all"], ui.all_cases(request.user))


# --- one case ---------------------------------------------------------------------------------


def _detail_context(request: HttpRequest, case: Any, **extra: Any) -> dict[str, Any]:
    now = timezone.now()
    user = request.user
    handler = ui.is_handling(user, case)
    can_write = ui.can_write(user, case)
    # A joint-task unit's handler writes notes only; so does the handler while the answer action
    # applies: the public reply is written there, so one answer is one reply (not two).
    answering = can_write and ui.answer_applies(user, case)
    notes_only = (not can_write and ui.can_note(user, case)) or answering
    deadlines, notices = ui.sla_view(case, now)
    actions = ui.action_forms(user, case)
    context = {
        "nav": "cases",
        "case": case,
        "origin_label": ui.origin_label(case),
        "primary_action": actions[0] if actions and actions[0].get("primary") else None,
        "other_actions": actions[1:] if actions and actions[0].get("primary") else actions,
        "answering": answering,
        "deadlines": deadlines,
        "calendar_notices": notices,
        "show_contact": handler,
        "contact": ui.contact_of(user, case) if handler else None,
        "replies": ui.replies_of(user, case),
        "attachments": ui.attachments_of(case),
        "timeline": ui.timeline(case),
        "tasks": ui.joint_tasks(case),
        "can_write": can_write,
        "can_note": can_write or notes_only,
        "reply_form": extra.pop("reply_form", None) or forms.ReplyForm(notes_only=notes_only),
        "upload_form": extra.pop("upload_form", None) or forms.UploadForm(),
        "upload_limit": ui.upload_limit(),
        "upload_types": forms.allowed_extensions(),
    }
    ui.decorate_rows([case], now)
    context.update(extra)
    return context


@signed_in
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = ui.case_get(request.user, pk)
    return render(request, "cases/detail.html", _detail_context(request, case))


def _expected_version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    try:
        return int(raw)
    except ValueError:
        return None


def _error_page(
    request: HttpRequest, case_id: int, message: str, *, status: int, conflict: bool = False, **extra: Any
) -> HttpResponse:
    case = ui.case_get(request.user, case_id)  # fresh: shows what the other person did
    context = _detail_context(request, case, error=message, conflict=conflict, **extra)
    return render(request, "cases/detail.html", context, status=status)


CONFLICT_MESSAGE = gettext_lazy(
    "Someone else changed this case while you were looking at it — reload to see what changed."
)


@signed_in
@post_only
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    ui.case_get(request.user, pk)  # 404 outside the user's units, before anything else
    version = _expected_version(request)
    if version is None:
        return _error_page(request, pk, str(CONFLICT_MESSAGE), status=409, conflict=True)
    try:
        ui.act(request.user, pk, action, version=version, data=request.POST)
    except ui.Conflict:
        return _error_page(request, pk, str(CONFLICT_MESSAGE), status=409, conflict=True)
    except PermissionDenied as exc:
        return _error_page(request, pk, ui.message_of(exc) or _("You may not do this on this case."), status=403)
    except ValidationError as exc:
        return _error_page(request, pk, ui.message_of(exc), status=400)
    messages.success(request, _("Done: %(action)s.") % {"action": labels.action_label(action)})
    return HttpResponseRedirect(reverse("cases:detail", args=[pk]))


@signed_in
@post_only
def case_reply(request: HttpRequest, pk: int) -> HttpResponse:
    case = ui.case_get(request.user, pk)
    answering = ui.can_write(request.user, case) and ui.answer_applies(request.user, case)
    if answering and request.POST.get("kind") == "public":
        message = _("The public reply is written in the “%(action)s” action, so the citizen gets one answer.")
        return _error_page(request, pk, message % {"action": labels.action_label("answer")}, status=400)
    form = forms.ReplyForm(request.POST)
    if not form.is_valid():
        return _error_page(request, pk, _("The reply was not saved: see below."), status=400, reply_form=form)
    public = form.cleaned_data["kind"] == "public"
    if not (ui.can_write(request.user, case) or (not public and ui.can_note(request.user, case))):
        return _error_page(request, pk, _("You may not write on this case."), status=403)
    try:
        ui.add_reply(request.user, case, text=form.cleaned_data["text"], public=form.cleaned_data["kind"] == "public")
    except PermissionDenied as exc:
        return _error_page(request, pk, ui.message_of(exc) or _("You may not write on this case."), status=403)
    except ValidationError as exc:
        return _error_page(request, pk, ui.message_of(exc), status=400, reply_form=form)
    if form.cleaned_data["kind"] == "public":
        messages.success(request, _("Public reply saved."))
    else:
        messages.success(request, _("Internal note saved."))
    return HttpResponseRedirect(reverse("cases:detail", args=[pk]) + "#replies")


@upload_limit(ui.upload_limit)
@signed_in
@post_only
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    case = ui.case_get(request.user, pk)
    refused = refusal(request)
    if refused:
        return _error_page(request, pk, refused, status=413)
    form = forms.UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _error_page(request, pk, _("The file was not attached: see below."), status=400, upload_form=form)
    if not ui.can_write(request.user, case):
        return _error_page(request, pk, _("You may not write on this case."), status=403)
    try:
        ui.add_attachment(request.user, case, form.file_name, form.file_data)
    except PermissionDenied as exc:
        return _error_page(request, pk, ui.message_of(exc) or _("You may not write on this case."), status=403)
    except ValidationError as exc:
        return _error_page(request, pk, ui.message_of(exc), status=400, upload_form=form)
    messages.success(request, _("File attached."))
    return HttpResponseRedirect(reverse("cases:detail", args=[pk]) + "#attachments")


@signed_in
def attachment_download(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    case = ui.case_get(request.user, pk)
    attachment = ui.attachment_get(case, attachment_id)
    if attachment is None:
        raise Http404
    stream, name, content_type = attachment
    response = FileResponse(stream, as_attachment=True, filename=name, content_type=content_type)
    # Never rendered by the browser, whatever the file claims to be.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- manual entry -----------------------------------------------------------------------------


@signed_in
def case_new(request: HttpRequest) -> HttpResponse:
    units = ui.units_for_create(request.user)
    if not units:
        raise PermissionDenied(_("You may not register cases in any unit."))
    form = forms.CaseForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        unit = next(u for u in units if u.pk == d["unit"])
        try:
            case = ui.create(
                request.user,
                unit=unit,
                channel=d["channel"],
                category=d["category"],
                priority=d["priority"],
                summary=d["summary"],
                description=d["description"],
                region=d["region"],
                contact=form.contact(),
                received_at=d["received_at"],
            )
        except PermissionDenied:
            form.add_error("unit", _("You may not register cases in this unit."))
        except ValidationError as exc:
            ui.add_errors(form, exc)
        else:
            messages.success(request, _("Case %(number)s registered.") % {"number": case.number})
            return HttpResponseRedirect(reverse("cases:detail", args=[case.pk]))
    context = {
        "nav": "cases",
        "view": "new",
        "form": form,
        "wide_fields": {"summary", "description"},
        **_tabs(request.user),
    }
    return render(request, "cases/new.html", context, status=400 if form.errors else 200)


# --- figures ----------------------------------------------------------------------------------


@signed_in
def metrics(request: HttpRequest) -> Any:
    """The case figures per unit for a period; ``?export=xlsx|csv``: the table as a spreadsheet
    (the user's units only, the period in the first rows, a total row last)."""
    params = request.GET.copy()
    fmt = params.pop("export", [""])[0]
    form = forms.MetricsForm(params or None)
    today = timezone.localdate()
    start_day, end_day = form.bounds(today)
    tz = timezone.get_current_timezone()
    start = datetime.combine(start_day, time.min, tzinfo=tz)
    end = datetime.combine(end_day, time.min, tzinfo=tz)
    total, rows, counted_at = ui.figures(request.user, start, end)
    if fmt in exports.FORMATS:
        last = end_day - timedelta(days=1)
        columns = ("unit_name", "received", "closed", "closure_rate_pct", "on_time_rate_pct", "median_text")
        return exports.export_response(
            fmt,
            title=_("Case figures"),
            filename=_("case figures %(first)s-%(last)s") % {"first": start_day, "last": last},
            user=request.user,
            filters=[(_("Period"), f"{start_day} – {last}"), *exports.form_filters(form)],
            header=[_("Unit"), _("Received"), _("Closed"), _("Closure rate (办结率)"), _("On-time rate"),
                    _("Median handling time")],
            rows=[*([r[c] for c in columns] for r in rows), [_("Total"), *(total[c] for c in columns[1:])]],
        )  # fmt: skip
    chart = {
        "units": [r["unit_name"] for r in rows],
        "received": [r["received"] for r in rows],
        "closed": [r["closed"] for r in rows],
        "closure_rate": [r["closure_rate_value"] for r in rows],
        "on_time_rate": [r["on_time_rate_value"] for r in rows],
        "labels": {
            "received": _("Received"),
            "closed": _("Closed"),
            "closure_rate": _("Closure rate (办结率)"),
            "on_time_rate": _("On-time rate"),
        },
    }
    context = {
        "nav": "cases",
        "view": "metrics",
        "form": form,
        "start": start_day,
        "end_shown": end_day - timedelta(days=1),
        "total": total,
        "rows": rows,
        "counted_at": counted_at,
        "chart": chart,
        **_tabs(request.user),
    }
    return render(request, "cases/metrics.html", context)
