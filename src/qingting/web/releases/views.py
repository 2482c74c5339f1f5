"""Pages: release list, write/edit, detail with the review (三审三校) and inline proofreading,
revision diffs, corrections, and 信息准确率 per channel.

Function views: they validate, call services and selectors, and turn service errors into
messages. Every read goes through ``selectors.release_get``/``releases_for`` (404 outside the
user's units); every write through a service (which checks the role).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qingting.web.accounts.selectors import has_role, units_for
from qingting.web.channels.selectors import channels_for
from qingting.web.exports import writer as exports
from qingting.web.releases import selectors, services
from qingting.web.releases.forms import CorrectionForm, DecisionForm, PeriodForm, ReleaseForm
from qingting.web.releases.models import FindingState, Release, ReleaseStatus

PAGE_SIZE = 25
SEARCH_CAP = 1000


if TYPE_CHECKING:  # generic only in django-stubs; subscripting it fails at run time
    _ReleasePaginator = Paginator[Release]
else:
    _ReleasePaginator = Paginator


class CappedPaginator(_ReleasePaginator):
    """Counts at most :data:`SEARCH_CAP` rows (the pages beyond are not offered)."""

    def __init__(self, object_list: QuerySet[Release], per_page: int) -> None:
        super().__init__(object_list, per_page)
        self.rows = object_list

    @cached_property
    def count(self) -> int:
        return self.rows[:SEARCH_CAP].count()


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc) or _("You may not do this.")


def _compose_units(user: Any) -> list[Any]:
    return [u for u in units_for(user) if has_role(user, u, services.COMPOSE_ROLES)]


@login_required
def release_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in ReleaseStatus.values:
        status = ""
    q = request.GET.get("q", "").strip()[:100]
    mine = request.GET.get("awaiting") == "1"
    qs = selectors.awaiting_me(request.user) if mine else selectors.release_list(request.user, status=status, q=q)
    fmt = request.GET.get("export", "")
    if fmt in exports.FORMATS:  # the same list, every page of it, as a spreadsheet
        return cast(HttpResponse, _list_export(request, qs.order_by("-updated_at", "-id"), status, q, mine, fmt))
    # A title search scans the titles: its count stops at SEARCH_CAP matches (a sharper search
    # finds the rest) so that it stays fast with 100,000 releases (bench/bench_releases.py).
    paginator = (CappedPaginator if q else Paginator)(qs.order_by("-updated_at", "-id"), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "nav": "releases",
        "page": page,
        "status": status,
        "q": q,
        "mine": mine,
        "statuses": ReleaseStatus.choices,
        "awaiting": page.paginator.count if mine else selectors.awaiting_me(request.user).count(),
        "capped": q and page.paginator.count >= SEARCH_CAP,
        "can_write": bool(_compose_units(request.user)),
    }
    return render(request, "releases/list.html", context)


def _list_export(request: HttpRequest, qs: Any, status: str, q: str, mine: bool, fmt: str) -> Any:
    shown = dict(ReleaseStatus.choices)
    filters = [(_("Awaiting my review"), _("yes"))] if mine else []
    if status and not mine:
        filters.append((_("Status"), str(shown.get(status, status))))
    if q and not mine:
        filters.append((_("Title"), q))
    rows = (
        [r.title, r.unit.name, str(shown.get(r.status, r.status)), str(r.created_by or ""), r.updated_at]
        for r in exports.chunked(qs.select_related("unit", "created_by"), 1000)
    )
    return exports.export_response(
        fmt,
        title=_("Releases"),
        user=request.user,
        filters=filters,
        header=[_("Title"), _("Unit"), _("Status"), _("Author"), _("Updated")],
        rows=rows,
    )


def _form(request: HttpRequest, data: Any = None, initial: dict[str, Any] | None = None) -> ReleaseForm:
    units = _compose_units(request.user)
    chans = list(channels_for(request.user, live_only=True))
    return ReleaseForm(data, initial=initial, units=units, channels=chans)


@login_required
def release_new(request: HttpRequest) -> HttpResponse:
    if not _compose_units(request.user):
        raise PermissionDenied(_("You may not write releases."))
    form = _form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        unit = next(u for u in units_for(request.user) if u.pk == form.cleaned_data["unit"])
        try:
            release = services.release_create(
                actor=request.user,
                unit=unit,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                attachments=form.cleaned_data["attachments"],
                channels=form.cleaned_data["channels"],
                sensitive=form.cleaned_data["sensitive"],
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("Saved as revision 1."))
            return redirect("releases:detail", pk=release.pk)
    return render(request, "releases/edit.html", {"nav": "releases", "form": form, "release": None})


@login_required
def release_edit(request: HttpRequest, pk: int) -> HttpResponse:
    release = selectors.release_get(request.user, pk)
    if not release.is_editable:
        messages.error(request, _("A release under review is locked."))
        return redirect("releases:detail", pk=pk)
    initial = {
        "unit": release.unit_id,
        "title": release.title,
        "body": release.body,
        "attachments": release.attachments,
        "channels": list(release.channels.values_list("pk", flat=True)),
        "sensitive": release.sensitive,
        "version": release.version,
    }
    form = _form(request, request.POST or None, initial=initial)
    form.fields["unit"].required = False
    form.fields["unit"].disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            services.release_update(
                actor=request.user,
                release_id=pk,
                expected_version=form.cleaned_data["version"],
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                attachments=form.cleaned_data["attachments"],
                channels=form.cleaned_data["channels"],
                sensitive=form.cleaned_data["sensitive"],
            )
        except (ValidationError, PermissionDenied, services.ReleaseConflict) as exc:
            messages.error(request, _error_text(exc))
        else:
            messages.success(request, _("Saved."))
            return redirect("releases:detail", pk=pk)
    return render(request, "releases/edit.html", {"nav": "releases", "form": form, "release": release})


@login_required
def release_detail(request: HttpRequest, pk: int) -> HttpResponse:
    release = selectors.release_get(request.user, pk)
    revisions = selectors.revisions_of(release)
    shown = revisions[0]
    wanted = request.GET.get("revision")
    if wanted and wanted.isdigit():
        shown = next((r for r in revisions if r.number == int(wanted)), shown)
    previous = next((r for r in revisions if r.number == shown.number - 1), None)
    findings = selectors.findings_of(shown)
    can_decide, why_not = services.can_decide(request.user, release)
    is_current = shown.number == release.revision_count
    can_write = has_role(request.user, release.unit, services.COMPOSE_ROLES)
    can_mark = is_current and (
        can_decide if release.status == ReleaseStatus.IN_REVIEW else (release.is_editable and can_write)
    )
    context = {
        "nav": "releases",
        "release": release,
        "revisions": revisions,
        "shown": shown,
        "previous": previous,
        "diff": selectors.revision_diff(previous, shown) if previous else None,
        "title_pieces": selectors.marked_text(shown.title, [f for f in findings if f.field == "title"]),
        "body_pieces": selectors.marked_text(shown.body, [f for f in findings if f.field == "body"]),
        "findings": findings,
        "open_findings": sum(1 for f in findings if f.state == FindingState.OPEN),
        "actions": selectors.actions_of(release),
        "corrections": selectors.corrections_of(release),
        "channels": list(release.channels.all()),
        "can_edit": release.is_editable and can_write,
        "can_submit": release.is_editable and can_write,
        "can_decide": can_decide and is_current,
        "why_not": why_not if release.status == ReleaseStatus.IN_REVIEW else "",
        "can_mark": can_mark,
        "can_publish": release.status == ReleaseStatus.APPROVED and can_write,
        "can_correct": release.status == ReleaseStatus.PUBLISHED and can_write,
        "decision_form": DecisionForm(initial={"version": release.version}),
        "correction_form": CorrectionForm(channels=list(release.channels.all())),
        "is_current": is_current,
    }
    return render(request, "releases/detail.html", context)


def _act(request: HttpRequest, pk: int, call: Any, done: str) -> HttpResponse:
    selectors.release_get(request.user, pk)  # 404 outside the user's units
    try:
        call()
    except (ValidationError, PermissionDenied, services.ReleaseConflict) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, done)
    return redirect("releases:detail", pk=pk)


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


@login_required
@require_POST
def release_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda: services.release_submit(actor=request.user, release_id=pk, expected_version=_version(request)),
        _("Submitted for review."),
    )


@login_required
@require_POST
def release_approve(request: HttpRequest, pk: int) -> HttpResponse:
    comments = request.POST.get("comments", "")
    return _act(
        request,
        pk,
        lambda: services.release_approve(
            actor=request.user, release_id=pk, expected_version=_version(request), comments=comments
        ),
        _("Approved."),
    )


@login_required
@require_POST
def release_return(request: HttpRequest, pk: int) -> HttpResponse:
    comments = request.POST.get("comments", "")
    return _act(
        request,
        pk,
        lambda: services.release_return(
            actor=request.user, release_id=pk, expected_version=_version(request), comments=comments
        ),
        _("Returned to the author."),
    )


@login_required
@require_POST
def release_publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda: services.release_publish(actor=request.user, release_id=pk, expected_version=_version(request)),
        _("Recorded as published."),
    )


@login_required
@require_POST
def release_correct(request: HttpRequest, pk: int) -> HttpResponse:
    release = selectors.release_get(request.user, pk)
    form = CorrectionForm(request.POST, channels=list(release.channels.all()))
    if not form.is_valid():
        messages.error(request, _("Say what was wrong."))
        return redirect("releases:detail", pk=pk)
    return _act(
        request,
        pk,
        lambda: services.correction_record(
            actor=request.user,
            release_id=pk,
            what_was_wrong=form.cleaned_data["what_was_wrong"],
            correction=form.cleaned_data["correction"],
            channel=form.cleaned_data["channel"],
        ),
        _("Correction recorded."),
    )


@login_required
@require_POST
def finding_mark(request: HttpRequest, pk: int, finding_id: int) -> HttpResponse:
    release = selectors.release_get(request.user, pk)
    if not release.revisions.filter(findings__pk=finding_id).exists():
        raise Http404("no such finding")
    state = request.POST.get("state", "")
    return _act(
        request,
        pk,
        lambda: services.finding_mark(actor=request.user, finding_id=finding_id, state=state),
        _("Marked."),
    )


@login_required
def accuracy(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    default = {"start": today.replace(day=1), "end": today}
    form = PeriodForm(request.GET or None, initial=default)
    start, end = default["start"], default["end"]
    if request.GET and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        if end < start:
            start, end = end, start
    tz = timezone.get_current_timezone()
    rows = selectors.accuracy_for(
        request.user,
        datetime.combine(start, time.min, tz),
        datetime.combine(end + timedelta(days=1), time.min, tz),
    )
    published = sum(r.published for r in rows)
    corrected = sum(r.corrected for r in rows)
    context = {
        "nav": "releases",
        "form": form,
        "rows": rows,
        "start": start,
        "end": end,
        "published": published,
        "corrected": corrected,
        "overall": selectors.percent(published - corrected, published) if published else "",
    }
    return render(request, "releases/accuracy.html", context)


__all__ = ["Release"]
