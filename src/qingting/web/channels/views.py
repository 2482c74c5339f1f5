"""Pages of the channel registry: the list with each channel's latest verdict, a channel with its
inspections and their evidence, registration and state, inspect now, and the quarterly report.

Function views: they validate, call services and selectors, and turn service errors into messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from itertools import islice
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qingting.core.inspection import VERDICT_LABELS
from qingting.core.inspection import Inspection as Result
from qingting.web.accounts.models import Role, User
from qingting.web.accounts.selectors import has_role, units_for
from qingting.web.channels import inspections, selectors, services
from qingting.web.channels.forms import ChannelForm, ReportForm, StateForm
from qingting.web.channels.messages import finding_text
from qingting.web.channels.models import Channel, ChannelKind, ChannelState, Inspection
from qingting.web.exports import writer as exports
from qingting.web.monitoring.selectors import sources_for


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc) or _("You may not do this.")


def _admin_units(user: Any) -> list[Any]:
    return [u for u in units_for(user) if has_role(user, u, {str(Role.ADMIN)})]


def _days_since(row: Inspection | None, now: datetime) -> float | None:
    if row is None or row.days_since_update is None:
        return None
    return row.days_since_update + (now - row.checked_at).total_seconds() / 86400


@login_required
def channel_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.channels_for(request.user)
    kind = request.GET.get("kind", "")
    if kind in ChannelKind.values:
        qs = qs.filter(kind=kind)
    state = request.GET.get("state", "")
    if state in ChannelState.values:
        qs = qs.filter(state=state)
    fmt = request.GET.get("export", "")
    if fmt in exports.FORMATS:  # the same list, every channel of it, as a spreadsheet
        return cast(HttpResponse, _list_export(request, qs, kind, state, fmt))
    channels = list(qs[:500])
    latest = selectors.latest_inspections([c.pk for c in channels])
    now = timezone.now()
    rows: list[dict[str, Any]] = [
        {"channel": c, "inspection": latest.get(c.pk), "days": _days_since(latest.get(c.pk), now)} for c in channels
    ]
    verdicts = [row.verdict for row in latest.values()]
    counts = {v: verdicts.count(v) for v in VERDICT_LABELS}
    units = list(units_for(request.user))
    context = {
        "nav": "channels",
        "rows": rows,
        "kind": kind,
        "state": state,
        "kinds": ChannelKind.choices,
        "states": ChannelState.choices,
        "counts": counts,
        "can_register": bool(_admin_units(request.user)),
        "report_form": ReportForm(units=units, initial={"period": _this_quarter()}),
    }
    return render(request, "channels/list.html", context)


def _export_rows(qs: Any, now: datetime) -> Iterator[list[Any]]:
    channels = exports.chunked(qs, 1000)
    while batch := list(islice(channels, 1000)):  # each batch's latest inspections in one query
        latest = selectors.latest_inspections([c.pk for c in batch])
        for c in batch:
            row = latest.get(c.pk)
            days = _days_since(row, now)
            yield [
                c.name,
                c.get_kind_display(),
                c.unit.name,
                c.get_state_display(),
                "" if days is None else round(days),
                "" if row is None else round(row.score),
                row.get_verdict_display() if row is not None else _("Not inspected"),
            ]


def _list_export(request: HttpRequest, qs: Any, kind: str, state: str, fmt: str) -> Any:
    kinds, states = dict(ChannelKind.choices), dict(ChannelState.choices)
    filters = [(_("Kind"), str(kinds[kind]))] if kind in kinds else []
    filters += [(_("State"), str(states[state]))] if state in states else []
    return exports.export_response(
        fmt,
        title=_("Channels"),
        user=request.user,
        filters=filters,
        header=[
            _("Name"),
            _("Kind"),
            _("Owner unit"),
            _("State"),
            _("Days since the last update"),
            _("Score"),
            _("Verdict"),
        ],
        rows=_export_rows(qs, timezone.now()),
    )


def _this_quarter() -> str:
    today = timezone.localdate()
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def _form(request: HttpRequest, data: Any = None, initial: dict[str, Any] | None = None) -> ChannelForm:
    units = _admin_units(request.user)
    from qingting.web.accounts.selectors import scope

    seen = scope(units_for(request.user), request.user, unit_field="id").values("id")
    people = list(User.objects.filter(is_active=True, memberships__unit_id__in=seen).distinct().order_by("username"))
    return ChannelForm(data, initial=initial, units=units, people=people, sources=list(sources_for(request.user)))


def _save(request: HttpRequest, form: ChannelForm, channel: Channel | None) -> Channel | None:
    data = form.cleaned_data
    unit = next(u for u in units_for(request.user) if u.pk == data["unit"])
    people = {u.pk: u for u in User.objects.filter(pk__in=[data["operator"], data["reviewer"]])}
    sources = {s.pk: s for s in sources_for(request.user).filter(pk__in=[data["source"], data["interaction_source"]])}
    try:
        return services.channel_save(
            actor=request.user,
            unit=unit,
            kind=data["kind"],
            name=data["name"],
            operator=people.get(data["operator"]),
            reviewer=people.get(data["reviewer"]),
            source=sources.get(data["source"]),
            interaction_source=sources.get(data["interaction_source"]),
            details={f: data[f] for f in services.DETAIL_FIELDS},
            channel=channel,
            version=data.get("version"),
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
    except PermissionDenied as exc:
        form.add_error(None, _error_text(exc))
    return None


@login_required
def channel_new(request: HttpRequest) -> HttpResponse:
    if not _admin_units(request.user):
        raise PermissionDenied(_("Only an administrator may register channels."))
    form = _form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        channel = _save(request, form, None)
        if channel is not None:
            messages.success(request, _("Channel registered."))
            return redirect("channels:detail", pk=channel.pk)
    return render(request, "channels/edit.html", {"nav": "channels", "form": form, "channel": None})


@login_required
def channel_edit(request: HttpRequest, pk: int) -> HttpResponse:
    channel = selectors.channel_get(request.user, pk)
    if not has_role(request.user, channel.unit, {str(Role.ADMIN)}):
        raise PermissionDenied(_("Only an administrator of this unit may change its channels."))
    initial = {
        "unit": channel.unit_id,
        "kind": channel.kind,
        "name": channel.name,
        "operator": channel.operator_id,
        "reviewer": channel.reviewer_id,
        "source": channel.source_id,
        "interaction_source": channel.interaction_source_id,
        "version": channel.version,
        **{f: getattr(channel, f) for f in services.DETAIL_FIELDS},
    }
    form = _form(request, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, channel)
        if saved is not None:
            messages.success(request, _("Channel saved."))
            return redirect("channels:detail", pk=saved.pk)
    return render(request, "channels/edit.html", {"nav": "channels", "form": form, "channel": channel})


def _findings(row: Any) -> tuple[Result | None, list[dict[str, Any]]]:
    if row is None:
        return None, []
    result = Result.from_dict(row.result)
    return result, [
        {"f": f, "text": finding_text(f), "severity": f.severity, "points": f.points} for f in result.findings
    ]


def _detail(request: HttpRequest, channel: Any, shown: Any, history: Any) -> HttpResponse:
    """The channel page showing one inspection (the latest, or one chosen from the history)."""
    result, findings = _findings(shown)
    context = {
        "nav": "channels",
        "channel": channel,
        "history": history,
        "shown": shown,
        "result": result,
        "findings": findings,
        "is_admin": has_role(request.user, channel.unit, {str(Role.ADMIN)}),
        "can_inspect": has_role(request.user, channel.unit, inspections.INSPECT_ROLES),
        "state_form": StateForm(initial={"state": channel.state}),
    }
    return render(request, "channels/detail.html", context)


@login_required
def channel_detail(request: HttpRequest, pk: int) -> HttpResponse:
    channel = selectors.channel_get(request.user, pk)
    history = selectors.inspections_of(channel)
    return _detail(request, channel, history[0] if history else None, history)


@login_required
def inspection_detail(request: HttpRequest, pk: int, inspection_id: int) -> HttpResponse:
    channel = selectors.channel_get(request.user, pk)
    shown = selectors.inspection_get(request.user, channel, inspection_id)
    return _detail(request, channel, shown, selectors.inspections_of(channel))


@login_required
@require_POST
def channel_inspect(request: HttpRequest, pk: int) -> HttpResponse:
    channel = selectors.channel_get(request.user, pk)
    try:
        row = inspections.inspection_run(actor=request.user, channel=channel)
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, _error_text(exc))
        return redirect("channels:detail", pk=pk)
    messages.success(
        request,
        _("Inspected: %(verdict)s, %(score)s points.") % {"verdict": row.get_verdict_display(), "score": row.score},
    )
    return redirect("channels:detail", pk=pk)


@login_required
@require_POST
def channel_state(request: HttpRequest, pk: int) -> HttpResponse:
    channel = selectors.channel_get(request.user, pk)
    form = StateForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "; ".join(f"{form.fields[k].label}: {' '.join(str(m) for m in v)}" for k, v in form.errors.items())
        )
        return redirect("channels:detail", pk=pk)
    try:
        services.channel_set_state(
            actor=request.user,
            channel=channel,
            state=form.cleaned_data["state"],
            on=form.cleaned_data["on"],
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, _("State changed."))
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, _error_text(exc))
    return redirect("channels:detail", pk=pk)


@login_required
def report(request: HttpRequest) -> HttpResponse:
    """The quarterly inspection report of a unit as DOCX (or PDF)."""
    units = list(units_for(request.user))
    form = ReportForm(request.GET or None, units=units)
    if not form.is_valid():
        return render(
            request, "channels/report.html", {"nav": "channels", "form": form}, status=400 if request.GET else 200
        )
    from qingting.reports.output import write_report
    from qingting.web.channels.reports import inspection_report

    unit = next(u for u in units if u.pk == form.cleaned_data["unit"])
    doc = inspection_report(unit, form.cleaned_data["period"])
    fmt = form.cleaned_data["fmt"]
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = write_report(doc, Path(tmp) / f"report.{fmt}", fmt)
        data = path.read_bytes()
    types = {
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "pdf": "application/pdf",
    }
    response = HttpResponse(data, content_type=types[fmt])
    name = f"channels-{unit.code or unit.pk}-{form.cleaned_data['period']}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
