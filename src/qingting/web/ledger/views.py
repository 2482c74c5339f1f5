"""Pages of the ledger: tasks, meetings, duty, registers, the assessment.

Function views: they parse the request, call services and selectors, and turn service errors into
messages naming the field. Every page is scoped through the selectors; every write is a POST with
CSRF, checked again by the service.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qingting.core.cases.calendar import CHINA_TZ
from qingting.web.accounts.models import Unit, UnitKind
from qingting.web.accounts.selectors import has_role, units_for
from qingting.web.exports import writer as exports
from qingting.web.ledger import assessment, selectors, services
from qingting.web.ledger.models import (
    AssessmentRun,
    ContactVisibility,
    Evidence,
    IndicatorRole,
    MeetingKind,
    TaskSource,
    TaskStatus,
    TrainingForm,
)
from qingting.web.uploads import upload_limit

MAX_UPLOAD_FILES = 10


def _attachment_limit() -> int:
    from qingting.web.cases.services import attachment_max_bytes

    return int(attachment_max_bytes())


def _errors(request: HttpRequest, exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "message_dict"):
            for field, msgs in exc.message_dict.items():
                for m in msgs:
                    messages.error(request, f"{field}: {m}")
        else:
            for m in exc.messages:
                messages.error(request, m)
    else:
        messages.error(request, str(exc) or _("You may not do this."))


def _date(value: str, field: str) -> date:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        raise ValidationError({field: [_("Give a date like 2026-10-01.")]}) from None


def _int(value: Any, field: str) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError({field: [_("Give a whole number.")]}) from None


def _unit(request: HttpRequest, value: Any, field: str = "unit") -> Unit:
    unit = units_for(request.user).filter(pk=_int(value, field)).first()
    if unit is None:
        raise ValidationError({field: [_("No such unit among yours.")]})
    return unit


def _person(request: HttpRequest, value: Any, field: str) -> Any:
    if not value:
        return None
    person = selectors.staff_choices(request.user).filter(pk=_int(value, field)).first()
    if person is None:
        raise ValidationError({field: [_("No such staff member among yours.")]})
    return person


def _files(request: HttpRequest) -> list[tuple[str, bytes]]:
    from qingting.web.uploads import refusal

    refused = refusal(request)
    if refused:
        raise ValidationError({"files": [refused]})
    files = request.FILES.getlist("files")
    if len(files) > MAX_UPLOAD_FILES:
        raise ValidationError({"files": [_("At most %(n)d files at once.") % {"n": MAX_UPLOAD_FILES}]})
    # Read at most one byte over the limit: the service names the size problem.
    from qingting.web.cases.services import attachment_max_bytes

    limit = attachment_max_bytes()
    return [(f.name or "", f.read(limit + 1)) for f in files]


# --- tasks ---------------------------------------------------------------------------------------

STATES = [
    ("open", _("Open")),
    ("not_started", TaskStatus.NOT_STARTED.label),
    ("in_progress", TaskStatus.IN_PROGRESS.label),
    ("overdue", _("Overdue")),
    ("done", TaskStatus.DONE.label),
    ("closed", TaskStatus.CLOSED.label),
]


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    unit_id = request.GET.get("unit") or ""
    qs = selectors.task_list(request.user, state=state, unit_id=int(unit_id) if unit_id.isdigit() else None)
    today = timezone.localdate()
    fmt = request.GET.get("export", "")
    if fmt in exports.FORMATS:  # the same list, every page of it, as a spreadsheet
        return cast(HttpResponse, _tasks_export(request, qs, state, unit_id, today, fmt))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    rows = [(t, selectors.task_state(t, today)) for t in page]
    return render(
        request,
        "ledger/tasks.html",
        {
            "nav": "ledger",
            "page": page,
            "rows": rows,
            "state": state,
            "states": STATES,
            "counts": selectors.task_counts(request.user, today),
            "units": units_for(request.user),
            "unit_id": unit_id,
        },
    )


def _tasks_export(request: HttpRequest, qs: Any, state: str, unit_id: str, today: Any, fmt: str) -> Any:
    filters = []
    if state:
        filters.append((str(_("State")), str(dict(STATES).get(state, state))))
    if unit_id:
        unit = next((u for u in units_for(request.user) if str(u.pk) == unit_id), None)
        filters.append((str(_("Responsible unit")), unit.name if unit else unit_id))

    def rows() -> Any:
        for t in exports.chunked(qs, 1000):
            shown = _("Overdue") if selectors.task_state(t, today) == "overdue" else t.get_status_display()
            yield [t.title, t.unit.name, str(t.assignee or ""), t.get_source_display(), t.due, shown]

    return exports.export_response(
        fmt,
        title=_("Task ledger"),
        user=request.user,
        filters=filters,
        header=[_("Task"), _("Responsible unit"), _("Responsible"), _("Source"), _("Due"), _("State")],
        rows=rows(),
    )


@login_required
def task_new(request: HttpRequest) -> HttpResponse:
    bulletin_id = request.GET.get("bulletin") or request.POST.get("bulletin") or ""
    case_id = request.GET.get("case") or request.POST.get("case") or ""
    if request.method == "POST":
        p = request.POST
        try:
            assignee = _person(request, p.get("assignee"), "assignee")
            if bulletin_id:
                task = services.task_from_bulletin(
                    actor=request.user,
                    bulletin_id=_int(bulletin_id, "bulletin"),
                    unit=_unit(request, p.get("unit")),
                    assignee=assignee,
                    working_days=_int(p.get("working_days"), "working_days"),
                    title=p.get("title", ""),
                )
            elif case_id:
                task = services.task_from_case(
                    actor=request.user,
                    case_id=_int(case_id, "case"),
                    assignee=assignee,
                    working_days=_int(p.get("working_days"), "working_days"),
                    title=p.get("title", ""),
                )
            else:
                due = _date(p["due"], "due") if p.get("due") else None
                task = services.task_create(
                    actor=request.user,
                    issuing_unit=_unit(request, p.get("issuing_unit"), "issuing_unit"),
                    unit=_unit(request, p.get("unit")),
                    assignee=assignee,
                    title=p.get("title", ""),
                    description=p.get("description", ""),
                    source=p.get("source", ""),
                    source_ref=p.get("source_ref", ""),
                    start=_date(p.get("start", ""), "start"),
                    working_days=None if due else _int(p.get("working_days"), "working_days"),
                    due=due,
                    meeting=selectors.meetings_for(request.user).filter(pk=p.get("meeting") or 0).first(),
                )
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Task added to the ledger, due %(due)s.") % {"due": task.due})
            return redirect("ledger:task", pk=task.pk)
    return render(
        request,
        "ledger/task_new.html",
        {
            "nav": "ledger",
            "units": units_for(request.user),
            "people": selectors.staff_choices(request.user),
            "sources": [c for c in TaskSource.choices if c[0] != TaskSource.SELF_CHECK],
            "meetings": selectors.meetings_for(request.user)[:50],
            "bulletin_id": bulletin_id,
            "case_id": case_id,
            "today": timezone.localdate().isoformat(),
            "form": request.POST,
        },
    )


@upload_limit(_attachment_limit)
@login_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_get(request.user, pk)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "progress":
                services.task_progress(
                    actor=request.user,
                    task_id=task.pk,
                    text=request.POST.get("text", ""),
                    files=_files(request),
                    completes=request.POST.get("completes") == "1",
                )
                messages.success(request, _("Progress recorded."))
            elif action == "close":
                services.task_close(actor=request.user, task_id=task.pk, note=request.POST.get("note", ""))
                messages.success(request, _("Task closed (销号)."))
            elif action == "reopen":
                services.task_reopen(actor=request.user, task_id=task.pk, reason=request.POST.get("reason", ""))
                messages.success(request, _("Task returned."))
            else:
                raise ValidationError({"action": [_("Unknown action.")]})
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        return redirect("ledger:task", pk=task.pk)
    return render(
        request,
        "ledger/task.html",
        {
            "nav": "ledger",
            "task": task,
            "state": selectors.task_state(task),
            "progress": task.progress.select_related("author").prefetch_related("evidence"),
            "history": selectors.task_history(task),
            "may_close": has_role(request.user, task.issuing_unit, services.ISSUE_ROLES),
            "may_report": request.user.pk == task.assignee_id
            or has_role(request.user, task.unit, services.ISSUE_ROLES),
            "case_url": _case_url(task.case_id),
            "bulletin_url": _bulletin_url(task.bulletin_id),
        },
    )


def _case_url(case_id: int | None) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("cases:detail", args=[case_id]) if case_id else ""
    except NoReverseMatch:
        return ""


def _bulletin_url(bulletin_id: int | None) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("bulletins:detail", args=[bulletin_id]) if bulletin_id else ""
    except NoReverseMatch:
        return ""


@login_required
def evidence_download(request: HttpRequest, pk: int) -> HttpResponse:
    ev = Evidence.objects.select_related("progress__task", "entry__indicator__scheme__office").filter(pk=pk).first()
    if ev is None:
        raise Http404
    if ev.progress is not None:
        selectors.task_get(request.user, ev.progress.task_id)  # 404 unless the user sees the task
    elif ev.entry is None or not has_role(request.user, ev.entry.indicator.scheme.office):
        raise Http404
    response = HttpResponse(bytes(ev.data), content_type=ev.content_type)
    from urllib.parse import quote

    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(ev.name)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- meetings ------------------------------------------------------------------------------------


@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        p = request.POST
        try:
            present = [_unit(request, v, "units_present") for v in p.getlist("units_present")]
            events = [_int(v, "events") for v in p.get("events", "").replace("，", ",").split(",") if v.strip()]
            m = services.meeting_record(
                actor=request.user,
                unit=_unit(request, p.get("unit")),
                kind=p.get("kind", ""),
                title=p.get("title", ""),
                day=_date(p.get("date", ""), "date"),
                units_present=present,
                event_ids=events,
                decisions=p.get("decisions", ""),
            )
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Meeting recorded: %(title)s") % {"title": m.title})
            return redirect("ledger:meetings")
    page = Paginator(selectors.meetings_for(request.user), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "ledger/meetings.html",
        {
            "nav": "ledger",
            "page": page,
            "kinds": MeetingKind.choices,
            "units": units_for(request.user),
            "form": request.POST,
        },
    )


# --- duty ----------------------------------------------------------------------------------------


def _local_dt(day: str, clock: str, field: str) -> datetime:
    d = _date(day, field)
    try:
        t = time.fromisoformat((clock or "").strip())
    except ValueError:
        raise ValidationError({field: [_("Give a time like 08:00.")]}) from None
    return datetime.combine(d, t, tzinfo=CHINA_TZ)


@login_required
def duty(request: HttpRequest) -> HttpResponse:
    units = units_for(request.user)
    wanted = str(request.GET.get("unit") or request.POST.get("unit") or "")
    unit = (units.filter(pk=int(wanted)).first() if wanted.isdigit() else None) or units.first()
    if unit is None:
        raise Http404
    if request.method == "POST":
        p = request.POST
        try:
            if p.get("action") == "handover":
                services.handover_write(
                    actor=request.user,
                    shift_id=_int(p.get("shift"), "shift"),
                    happened=p.get("happened", ""),
                    open_items=p.get("open_items", ""),
                )
                messages.success(request, _("Handover log written."))
            elif p.get("action") == "delete":
                services.duty_shift_delete(actor=request.user, shift_id=_int(p.get("shift"), "shift"))
                messages.success(request, _("Shift removed."))
            elif p.get("action") == "drill":
                services.drill_record(
                    actor=request.user,
                    unit=unit,
                    day=_date(p.get("date", ""), "date"),
                    scenario=p.get("scenario", ""),
                    participant_count=_int(p.get("participant_count") or 0, "participant_count"),
                    notes=p.get("notes", ""),
                )
                messages.success(request, _("Drill recorded."))
            else:
                services.duty_shift_add(
                    actor=request.user,
                    unit=unit,
                    start=_local_dt(p.get("start_date", ""), p.get("start_time", ""), "start"),
                    end=_local_dt(p.get("end_date", ""), p.get("end_time", ""), "end"),
                    person=_person(request, p.get("person"), "person"),
                    leader=_person(request, p.get("leader"), "leader"),
                    note=p.get("note", ""),
                )
                messages.success(request, _("Shift added."))
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        return redirect(
            f"{request.path}?unit={unit.pk}&from={request.GET.get('from', '')}&to={request.GET.get('to', '')}"
        )
    today = timezone.localdate()
    try:
        first = _date(request.GET["from"], "from") if request.GET.get("from") else today
    except ValidationError:
        first = today
    nxt = selectors.next_key_date(unit, today)
    default_last = max(today + timedelta(days=6), (nxt[0] + timedelta(days=1)) if nxt else today)
    try:
        last = _date(request.GET["to"], "to") if request.GET.get("to") else default_last
    except ValidationError:
        last = default_last
    last = min(max(last, first), first + timedelta(days=62))
    days = selectors.duty_days(unit, first, last)
    from qingting.web.warnings.selectors import standing_duty_list

    return render(
        request,
        "ledger/duty.html",
        {
            "nav": "ledger",
            "unit": unit,
            "units": units,
            "days": days,
            "first": first,
            "last": last,
            "next_key": nxt,
            "gap_days": sum(1 for d in days if d.gaps),
            "notices": sorted({n for d in days for n in d.notices}),
            "people": selectors.staff_choices(request.user),
            "standing": standing_duty_list(unit),
            "on_duty": selectors.on_duty_people(unit, timezone.now()),
            "drills": selectors.drills_for(request.user).filter(unit=unit)[:20],
            "may_plan": has_role(request.user, unit, services.MANAGE_ROLES),
            "today": today.isoformat(),
        },
    )


# --- registers -----------------------------------------------------------------------------------


@login_required
def registers(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        p = request.POST
        try:
            if p.get("action") == "training":
                attendees = [_person(request, v, "attendees") for v in p.getlist("attendees")]
                services.training_record(
                    actor=request.user,
                    unit=_unit(request, p.get("unit")),
                    day=_date(p.get("date", ""), "date"),
                    topic=p.get("topic", ""),
                    form=p.get("form", ""),
                    hours=p.get("hours", ""),
                    participant_count=_int(p.get("participant_count"), "participant_count"),
                    attendees=attendees,
                )
                messages.success(request, _("Training recorded."))
            elif p.get("action") == "check":
                services.equipment_check(
                    actor=request.user,
                    equipment_id=_int(p.get("equipment"), "equipment"),
                    day=_date(p.get("date", ""), "date"),
                    antivirus=p.get("antivirus") == "1",
                    password_policy=p.get("password_policy") == "1",
                    removable_media=p.get("removable_media") == "1",
                    encryption=p.get("encryption") == "1",
                    note=p.get("note", ""),
                )
                messages.success(request, _("Self-check recorded."))
            elif p.get("action") == "expert":
                services.expert_add(
                    actor=request.user,
                    unit=_unit(request, p.get("unit")),
                    name=p.get("name", ""),
                    field=p.get("field", ""),
                    employer=p.get("employer", ""),
                    consent_date=_date(p["consent_date"], "consent_date") if p.get("consent_date") else None,
                    consent_note=p.get("consent_note", ""),
                    contact=p.get("contact", ""),
                    visibility=p.get("visibility", ContactVisibility.ADMINS),
                )
                messages.success(request, _("Expert added."))
            else:
                raise ValidationError({"action": [_("Unknown action.")]})
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        return redirect("ledger:registers")
    today = timezone.localdate()
    experts = [(e, selectors.expert_contact(request.user, e)) for e in selectors.experts_for(request.user)]
    equipment = list(selectors.equipment_for(request.user))
    equipment_rows = [
        (
            item,
            selectors.check_overdue(item, today),
            (item.last_check + timedelta(days=item.check_every_days)) if item.last_check else None,
        )
        for item in equipment
    ]
    return render(
        request,
        "ledger/registers.html",
        {
            "nav": "ledger",
            "trainings": selectors.trainings_for(request.user)[:100],
            "experts": experts,
            "equipment": equipment,
            "equipment_rows": equipment_rows,
            "units": units_for(request.user),
            "people": selectors.staff_choices(request.user),
            "forms": TrainingForm.choices,
            "visibilities": ContactVisibility.choices,
            "today": today.isoformat(),
        },
    )


# --- assessment ----------------------------------------------------------------------------------


@login_required
def assessment_home(request: HttpRequest) -> HttpResponse:
    schemes = list(selectors.schemes_for(request.user))
    runs = AssessmentRun.objects.filter(scheme__in=schemes).order_by("-period", "scheme__level")
    return render(
        request,
        "ledger/assessment.html",
        {"nav": "ledger", "schemes": schemes, "runs": runs, "year": timezone.localdate().year},
    )


CARDS_SHOWN = 10


@login_required
def assessment_view(request: HttpRequest, scheme_id: int, period: str) -> HttpResponse:
    scheme = selectors.schemes_for(request.user).filter(pk=scheme_id).first()
    if scheme is None:
        raise Http404
    try:
        assessment.parse_period(period)
    except ValueError as exc:
        raise Http404(str(exc)) from None
    run = AssessmentRun.objects.filter(scheme=scheme, period=period).first()
    if request.method == "POST":
        try:
            if request.POST.get("action") == "finish" and run is not None:
                assessment.run_finish(actor=request.user, run_id=run.pk)
                messages.success(request, _("Assessment finished (定稿)."))
            else:
                assessment.run_store(actor=request.user, scheme=scheme, period=period)
                messages.success(request, _("Assessment computed and stored."))
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        return redirect("ledger:assessment_view", scheme_id=scheme.pk, period=period)
    if run is not None:
        result, stored = run.result, True
    else:
        result, stored = assessment.with_previous(assessment.compute(scheme, period), scheme), False
    focus = request.GET.get("unit", "")
    # The ranking lists every unit; scorecards are shown for the chosen unit, else the first ten
    # (two hundred cards of eight rows each made the page take 0.7 s: bench/bench_assessment.py).
    units = result.get("units", [])
    cards = [c for c in units if c.get("code") == focus] or units[:CARDS_SHOWN]
    rank_word = _("rank")
    ranking = [
        (
            c["rank"],
            c["unit"],
            c["code"],
            f"{c['total']:.2f}",
            c["grade"],
            c["veto"],
            f"{c['previous']['total']:.2f}（{rank_word} {c['previous']['rank']}）" if c.get("previous") else "—",
        )
        for c in units
    ]  # formatted here: two hundred rows through the template's number formatting cost ~100 ms
    return render(
        request,
        "ledger/assessment_view.html",
        {
            "nav": "ledger",
            "scheme": scheme,
            "period": period,
            "result": result,
            "cards": cards,
            "ranking": ranking,
            "more_cards": len(units) - len(cards),
            "run": run,
            "stored": stored,
            "focus": focus,
            "may_manage": has_role(request.user, scheme.office, services.MANAGE_ROLES),
        },
    )


@login_required
def assessment_trace(request: HttpRequest, scheme_id: int, period: str, unit_id: int, metric: str) -> HttpResponse:
    scheme = selectors.schemes_for(request.user).filter(pk=scheme_id).first()
    unit = units_for(request.user).filter(pk=unit_id).first()
    if scheme is None or unit is None or metric not in assessment.METRICS:
        raise Http404
    try:
        header, rows = assessment.metric_rows(request.user, metric, unit, period)
    except ValueError as exc:
        raise Http404(str(exc)) from None
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "ledger/trace.html",
        {
            "nav": "ledger",
            "scheme": scheme,
            "unit": unit,
            "period": period,
            "metric": assessment.METRICS[metric],
            "header": header,
            "page": page,
            "total": len(rows),
        },
    )


@login_required
def scheme_edit(request: HttpRequest, scheme_id: int | None = None) -> HttpResponse:
    scheme = selectors.schemes_for(request.user).filter(pk=scheme_id).first() if scheme_id else None
    if scheme_id and scheme is None:
        raise Http404
    rows: list[dict[str, Any]]
    if request.method == "POST":
        p = request.POST
        rows = []
        for i in range(_int(p.get("rows", "0"), "rows")):
            row = {
                k: p.get(f"{k}-{i}", "").strip()
                for k in ("name", "metric", "role", "weight", "full_at", "zero_at", "per")
            }
            if row["name"] or row["weight"]:
                rows.append(row)
        try:
            office = _unit(request, p.get("office"), "office")
            saved = assessment.scheme_save(
                actor=request.user,
                office=office,
                year=_int(p.get("year"), "year"),
                level=p.get("level", ""),
                name=p.get("name", ""),
                indicators=rows,
            )
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Scheme saved (version %(v)d).") % {"v": saved.version})
            return redirect("ledger:assessment")
        header = {k: p.get(k, "") for k in ("office", "year", "level", "name")}
    elif scheme is not None:
        rows = [
            {
                "name": i.name,
                "metric": i.metric,
                "role": i.role,
                "weight": i.weight,
                "full_at": _blank(i.full_at),
                "zero_at": _blank(i.zero_at),
                "per": _blank(i.per),
            }
            for i in scheme.indicators.all()
        ]
        header = {"office": str(scheme.office_id), "year": str(scheme.year), "level": scheme.level, "name": scheme.name}
    else:
        rows = []
        header = {"office": "", "year": str(timezone.localdate().year), "level": UnitKind.TOWNSHIP, "name": ""}
    rows = rows + [{} for _ in range(3)]
    return render(
        request,
        "ledger/scheme_edit.html",
        {
            "nav": "ledger",
            "scheme": scheme,
            "rows": rows,
            "header": header,
            "metrics": [(k, m.label) for k, m in assessment.METRICS.items()]
            + [(assessment.MANUAL, _("entered by the assessor"))],
            "roles": IndicatorRole.choices,
            "levels": UnitKind.choices,
            "offices": units_for(request.user).filter(pk__in=selectors.managed_unit_ids(request.user)),
        },
    )


def _blank(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


@upload_limit(_attachment_limit)
@require_POST
@login_required
def entry_set(request: HttpRequest, scheme_id: int) -> HttpResponse:
    p = request.POST
    try:
        assessment.manual_entry_set(
            actor=request.user,
            indicator_id=_int(p.get("indicator"), "indicator"),
            unit=_unit(request, p.get("unit")),
            value=p.get("value"),
            note=p.get("note", ""),
            files=_files(request),
        )
        messages.success(request, _("Value entered."))
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
    return redirect(request.POST.get("next") or "ledger:assessment")
