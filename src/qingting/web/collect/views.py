"""Pages: the sources list with health, add/edit per connector, test, run now, enable/disable, import.

Function views in the django-htmx pattern. Everyone sees the sources of their units; only an
administrator of a source's unit may add, change, test, run or import. Views validate and call
``collect.services``; nothing else.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qingting.web.accounts.models import Role
from qingting.web.accounts.selectors import has_role, scope
from qingting.web.collect import health, services
from qingting.web.collect.forms import CONNECTOR_CHOICES, ImportForm, PreviewForm, SourceForm, admin_units
from qingting.web.collect.models import ImportRun, SourceSecret
from qingting.web.exports import writer as exports
from qingting.web.monitoring.models import Source
from qingting.web.monitoring.services import polling
from qingting.web.uploads import refusal, upload_limit

PREVIEW_ITEMS = 20


def _source(request: HttpRequest, pk: int, *, admin: bool = True) -> Source:
    source = scope(Source.objects.select_related("unit"), request.user).filter(pk=pk).first()
    if source is None:
        raise Http404("no such source")
    if admin and not has_role(request.user, source.unit, {str(Role.ADMIN)}):
        raise PermissionDenied(_("Only an administrator of this unit may change its sources."))
    return source


@login_required
def source_list(request: HttpRequest) -> HttpResponse:
    sources = scope(Source.objects.select_related("unit"), request.user).order_by("unit__path", "name")
    rows = health.sources_health(timezone.now(), sources)
    fmt = request.GET.get("export", "")
    if fmt in exports.FORMATS:  # the table as a spreadsheet
        return cast(HttpResponse, _list_export(request, rows, fmt))
    admin_of = {u.pk for u in admin_units(request.user)}
    problems = [r for r in rows if r.is_problem]
    context = {
        "nav": "sources",
        "rows": rows,
        "problems": problems,
        "can_add": bool(admin_of),
        "admin_of": admin_of,
        "polled": list(polling.CONNECTORS),
        "connector_names": {code: str(label) for code, label in CONNECTOR_CHOICES},
    }
    return render(request, "collect/list.html", context)


def _list_export(request: HttpRequest, rows: list[Any], fmt: str) -> Any:
    states = {"ok": _("ok"), "failing": _("failing"), "silent": _("silent"), "paused": _("disabled")}
    out = (
        [r.source.name, r.source.url, r.source.get_kind_display(), r.source.unit.name,
         states.get(r.state, _("new")), str(r.reason or ""), r.source.last_success_at,
         r.source.consecutive_failures, r.last_day, r.normal]
        for r in rows
    )  # fmt: skip
    return exports.export_response(
        fmt,
        title=_("Sources"),
        user=request.user,
        filters=[],
        header=[_("Source"), _("Address"), _("Type"), _("Unit"), _("State"), _("Reason"), _("Last success"),
                _("Failures in a row"), _("Last 24 h"), _("Normal per day")],
        rows=out,
    )  # fmt: skip


def _save(request: HttpRequest, form: SourceForm, source: Source | None) -> HttpResponse | None:
    if not form.is_valid():
        return None
    c = form.cleaned_data
    try:
        saved = services.source_save(
            actor=request.user,
            unit=c["unit"],
            name=c["name"],
            connector=c["connector"],
            url=c.get("url") or "",
            options=form.options(),
            secrets=form.secrets(),
            poll_interval=int(c["poll_minutes"]) * 60,
            scheme=c.get("scheme"),
            is_active=bool(c.get("is_active")),
            mainstream=bool(c.get("mainstream")),
            official=bool(c.get("official")),
            source=source,
            regenerate=bool(c.get("regenerate")),
        )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return None
    if c["connector"] == "push" and (source is None or c.get("regenerate")):
        # Shown once, here, and never again: the sender needs them, the page never shows them back.
        secret = SourceSecret.objects.get(source=saved)
        intake = request.build_absolute_uri(f"/api/intake/{saved.pk}/items")
        return render(request, "collect/push_credentials.html",
                      {"nav": "sources", "source": saved, "secret": secret, "intake_url": intake})  # fmt: skip
    messages.success(request, _("Source “%(name)s” saved.") % {"name": saved.name})
    return redirect("collect:list")


@login_required
def source_add(request: HttpRequest) -> HttpResponse:
    if not admin_units(request.user):
        raise PermissionDenied(_("Only an administrator of a unit may add sources."))
    form = SourceForm(request.POST or None, user=request.user)
    if request.method == "POST":
        done = _save(request, form, None)
        if done is not None:
            return done
    return render(request, "collect/form.html", {"nav": "sources", "form": form, "source": None})


@login_required
def source_edit(request: HttpRequest, pk: int) -> HttpResponse:
    source = _source(request, pk)
    form = SourceForm(request.POST or None, user=request.user, source=source)
    if request.method == "POST":
        done = _save(request, form, source)
        if done is not None:
            return done
    imports = ImportRun.objects.filter(source=source)[:5]
    context = {"nav": "sources", "form": form, "source": source, "imports": imports}
    return render(request, "collect/form.html", context)


@login_required
@require_POST
def source_test(request: HttpRequest) -> HttpResponse:
    """What the source in the form would bring now — nothing is stored (HTMX fragment)."""
    if not admin_units(request.user):
        raise PermissionDenied(_("Only an administrator of a unit may test sources."))
    source = None
    if request.POST.get("source_id", "").isdigit():
        source = _source(request, int(request.POST["source_id"]))
    form = PreviewForm(request.POST, user=request.user, source=source)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        c = form.cleaned_data
        try:
            result = services.source_preview(
                connector=c["connector"],
                url=c.get("url") or "",
                options=form.options(),
                password=c.get("imap_password") or None,
                source=source,
                max_items=PREVIEW_ITEMS,
            )
        except ValidationError as exc:
            context["problem"] = "; ".join(exc.messages)
        else:
            items = [
                {
                    "title": i.title,
                    "when": datetime.fromtimestamp(i.published_at, tz=UTC) if i.published_at is not None else None,
                    "encoding": i.extra.get("encoding") or result.encoding or "",
                    "url": i.url,
                    "text": i.text,
                    "attachments": i.attachments,
                }
                for i in result.items[:PREVIEW_ITEMS]
            ]
            context.update(result=result, items=items, more=max(0, len(result.items) - PREVIEW_ITEMS))
    return render(request, "collect/_preview.html", context)


@login_required
@require_POST
def source_run(request: HttpRequest, pk: int) -> HttpResponse:
    source = _source(request, pk)
    try:
        report = services.source_run_now(actor=request.user, source=source)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
        return redirect("collect:list")
    if report.failed:
        messages.error(
            request, _("“%(name)s” failed: %(error)s") % {"name": source.name, "error": "; ".join(report.errors)[:500]}
        )
    elif report.not_modified:
        messages.info(request, _("“%(name)s”: unchanged since the last poll, nothing new.") % {"name": source.name})
    else:
        messages.success(
            request,
            _("“%(name)s”: %(created)d new items stored, %(skipped)d already stored, %(errors)d errors.")
            % {"name": source.name, "created": report.created, "skipped": report.skipped, "errors": len(report.errors)},
        )
    return redirect("collect:list")


@login_required
@require_POST
def source_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    source = _source(request, pk)
    source = services.source_set_active(actor=request.user, source=source, active=not source.is_active)
    if source.is_active:
        messages.success(request, _("“%(name)s” enabled.") % {"name": source.name})
    else:
        messages.info(request, _("“%(name)s” disabled.") % {"name": source.name})
    return redirect("collect:list")


def _import_limit() -> int:
    return int(settings.QINGTING_IMPORT_MAX_BYTES)


@upload_limit(_import_limit)
@login_required
def source_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload a file into a source: streamed to a temporary file, imported in batches, summarised."""
    source = _source(request, pk)
    config = source.config if isinstance(source.config, dict) else {}
    initial = {"fields": ",".join(f"{k}={v}" for k, v in (config.get("fields") or {}).items()),
               "file_format": config.get("format", "")}  # fmt: skip
    form = ImportForm(request.POST or None, request.FILES or None, initial=initial)
    run = None
    refused = refusal(request)
    if refused:
        form.errors.clear()
        form.add_error(None, refused)
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        suffix = os.path.splitext(upload.name)[1][:10]
        fd, path = tempfile.mkstemp(prefix="qingting-import-", suffix=suffix)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            run = services.file_import(
                actor=request.user,
                source=source,
                path=path,
                fields=form.cleaned_data["fields"],
                fmt=form.cleaned_data.get("file_format") or None,
                sheet=form.cleaned_data.get("sheet") or None,
                file_name=upload.name,
            )
        except ValidationError as exc:
            form.add_error(None, "; ".join(exc.messages))
        finally:
            os.unlink(path)
    imports = ImportRun.objects.filter(source=source)[:10]
    context = {"nav": "sources", "source": source, "form": form, "run": run, "imports": imports}
    return render(request, "collect/import.html", context)
