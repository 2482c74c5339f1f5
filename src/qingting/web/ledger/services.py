"""Writes of the ledger: tasks, progress and closure, meetings, duty, registers.

Every function takes keyword-only arguments, checks the actor's role on the unit concerned, writes
and records an audit entry in ONE transaction, and raises ``ValidationError`` naming the field on
bad input (nothing is stored half-way) or ``PermissionDenied``.

>>> task_create(actor=leader, issuing_unit=office, unit=township, assignee=handler,
...             title="核查停水舆情", source="document", start=date(2026, 3, 2), working_days=5)  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence, Set
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qingting.web.accounts.models import Role, Unit
from qingting.web.accounts.selectors import has_role
from qingting.web.audit.services import audit_record
from qingting.web.ledger.models import (
    OPEN_TASK,
    ContactVisibility,
    Drill,
    DutyShift,
    Equipment,
    EquipmentCheck,
    EquipmentKind,
    Evidence,
    Expert,
    Handover,
    Meeting,
    MeetingKind,
    Progress,
    Task,
    TaskSource,
    TaskStatus,
    TrainingForm,
    TrainingSession,
)
from qingting.web.ledger.selectors import calendar

ISSUE_ROLES = {Role.ADMIN, Role.LEADER, Role.ANALYST, Role.REVIEWER}  # office staff who keep the ledger
MANAGE_ROLES = {Role.ADMIN, Role.LEADER}  # duty plans, experts, equipment, assessment schemes
RECORD_ROLES = {Role.ADMIN, Role.LEADER, Role.ANALYST, Role.REVIEWER}  # meetings, training, drills
TEXT_LIMIT = 20_000


def _now() -> datetime:
    return timezone.now()


def _require(actor: Any, unit: Unit, roles: Set[str] | None, what: str) -> None:
    if not has_role(actor, unit, roles):
        raise PermissionDenied(_("%(what)s needs a suitable role on %(unit)s.") % {"what": what, "unit": unit.name})


def _text(value: Any, field: str, *, required: bool = False, limit: int = TEXT_LIMIT) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError({field: [_("This field is required.")]})
    if len(text) > limit:
        raise ValidationError({field: [_("At most %(n)d characters.") % {"n": limit}]})
    return text


def _choice(value: str, choices: Any, field: str) -> str:
    if value not in choices.values:
        raise ValidationError(
            {
                field: [
                    _("%(value)s is not one of: %(allowed)s.") % {"value": value, "allowed": ", ".join(choices.values)}
                ]
            }
        )
    return value


def _in_tree(unit: Unit, root: Unit) -> bool:
    return unit.path.startswith(root.path)


# --- tasks ---------------------------------------------------------------------------------------


def _deadline(start: date, working_days: int | None, due: date | None) -> tuple[int, date, str]:
    """(working days, due date, notice) from either a number of working days or a due date."""
    cal = calendar()
    if due is not None:
        if due < start:
            raise ValidationError(
                {"due": [_("The deadline %(due)s is before the start %(start)s.") % {"due": due, "start": start}]}
            )
        n = max(0, cal.working_days_between(start, due))
        years = tuple(y for y in range(start.year, due.year + 1) if not cal.has_schedule(y))
        from qingting.core.cases.calendar import fallback_notice

        return n, due, " ".join(fallback_notice(y) for y in years)
    if working_days is None:
        raise ValidationError({"working_days": [_("Give a number of working days or a due date.")]})
    if not 1 <= int(working_days) <= 365:
        raise ValidationError({"working_days": [_("Between 1 and 365 working days.")]})
    d = cal.add_working_days(start, int(working_days))
    return int(working_days), d.due_date, " ".join(d.notices)


def _check_assignee(assignee: Any, unit: Unit) -> None:
    # The responsible person is a staff member of the organisation: a signed-in user with a role on
    # the responsible unit (or above it). Members of the public never have accounts here.
    if assignee is None or not getattr(assignee, "is_active", False) or not has_role(assignee, unit):
        raise ValidationError(
            {"assignee": [_("The responsible person must be a staff member of %(unit)s.") % {"unit": unit.name}]}
        )


def task_create(
    *,
    actor: Any,
    issuing_unit: Unit,
    unit: Unit,
    assignee: Any,
    title: str,
    source: str,
    start: date,
    working_days: int | None = None,
    due: date | None = None,
    description: str = "",
    source_ref: str = "",
    bulletin_id: int | None = None,
    case_id: int | None = None,
    meeting: Meeting | None = None,
    equipment: Equipment | None = None,
    now: datetime | None = None,
) -> Task:
    """Put a task on the ledger of ``unit`` (the responsible unit), issued by ``issuing_unit``."""
    if actor is not None:
        _require(actor, issuing_unit, ISSUE_ROLES, _("Issuing a task"))
    if not _in_tree(unit, issuing_unit):
        raise ValidationError(
            {"unit": [_("%(unit)s is not under %(issuer)s.") % {"unit": unit.name, "issuer": issuing_unit.name}]}
        )
    title = _text(title, "title", required=True, limit=200)
    _choice(source, TaskSource, "source")
    _check_assignee(assignee, unit)
    if not isinstance(start, date):
        raise ValidationError({"start": [_("Give the start as a date.")]})
    n, due_date, notice = _deadline(start, working_days, due)
    now = now or _now()
    with transaction.atomic():
        task = Task.objects.create(
            unit=unit,
            issuing_unit=issuing_unit,
            assignee=assignee,
            title=title,
            description=_text(description, "description"),
            source=source,
            source_ref=_text(source_ref, "source_ref", limit=200),
            bulletin_id=bulletin_id,
            case_id=case_id,
            meeting=meeting,
            equipment=equipment,
            start=start,
            working_days=n,
            due=due_date,
            due_notice=notice[:300],
            created_by=actor,
            created_at=now,
        )
        audit_record(
            actor=actor,
            action="ledger_task.create",
            obj=task,
            new={
                "unit": unit.pk,
                "assignee": assignee.pk,
                "source": source,
                "due": due_date.isoformat(),
                "bulletin_id": bulletin_id,
                "case_id": case_id,
                "meeting": meeting.pk if meeting else None,
            },
        )
    return task


def task_from_bulletin(
    *, actor: Any, bulletin_id: int, unit: Unit, assignee: Any, working_days: int, title: str = ""
) -> Task:
    """A task from a leader's instructions (批示) on a signed bulletin, in one step."""
    from django.http import Http404

    from qingting.web.bulletins.selectors import bulletin_get

    try:
        b = bulletin_get(actor, bulletin_id)
    except Http404:
        raise ValidationError({"bulletin": [_("No such bulletin among yours.")]}) from None
    if not b.instructions:
        raise ValidationError({"bulletin": [_("The bulletin has no instructions (批示) yet.")]})
    return task_create(
        actor=actor,
        issuing_unit=b.unit,
        unit=unit,
        assignee=assignee,
        title=title or _("Carry out the instructions on “%(title)s”") % {"title": b.title[:150]},
        description=b.instructions,
        source=TaskSource.INSTRUCTION,
        source_ref=b.issue_label or b.title[:200],
        bulletin_id=b.pk,
        start=timezone.localdate(),
        working_days=working_days,
    )


def task_from_case(*, actor: Any, case_id: int, assignee: Any, working_days: int, title: str = "") -> Task:
    """A supervision task (督办) for a case's responsible unit, issued by the actor's unit above it."""
    from django.http import Http404

    from qingting.web.cases.selectors import case_get

    try:
        case = case_get(actor, case_id)
    except Http404:
        raise ValidationError({"case": [_("No such case among yours.")]}) from None
    unit = case.unit
    issuer = next(
        (u for u in _ancestors(unit) if has_role(actor, u, ISSUE_ROLES)),
        None,
    )
    if issuer is None:
        raise PermissionDenied(_("Issuing a task needs a suitable role on %(unit)s.") % {"unit": unit.name})
    return task_create(
        actor=actor,
        issuing_unit=issuer,
        unit=unit,
        assignee=assignee,
        title=title or _("Supervise case %(number)s") % {"number": case.number},
        description=case.summary,
        source=TaskSource.CASE,
        source_ref=str(case.number),
        case_id=case.pk,
        start=timezone.localdate(),
        working_days=working_days,
    )


def _ancestors(unit: Unit) -> list[Unit]:
    """The unit's ancestors from the top down, then the unit itself."""
    ids = [int(p) for p in unit.path.strip("/").split("/") if p.isdigit()]
    by_id = {u.pk: u for u in Unit.objects.filter(pk__in=ids)}
    return [by_id[i] for i in ids if i in by_id]


def _locked_task(task_id: int) -> Task:
    task = Task.objects.select_for_update().select_related("unit", "issuing_unit").filter(pk=task_id).first()
    if task is None:
        raise ValidationError({"task": [_("No such task.")]})
    return task


def evidence_check(name: str, data: bytes) -> str:
    """The content type of an evidence file; the same types and size limit as case attachments."""
    from qingting.web.cases.services import check_attachment

    return str(check_attachment(name, data))


def task_progress(
    *,
    actor: Any,
    task_id: int,
    text: str,
    files: Sequence[tuple[str, bytes]] = (),
    completes: bool = False,
    now: datetime | None = None,
) -> Progress:
    """Report progress on a task, with evidence files; ``completes`` marks it done (已完成).

    Every file is checked before anything is stored: one bad file refuses the whole report.
    """
    text = _text(text, "text", required=True)
    checked = [
        (re.sub(r"[\\/\x00-\x1f]", "_", name.strip())[:200], data, evidence_check(name, data)) for name, data in files
    ]
    if completes and not checked:
        raise ValidationError({"files": [_("Completing a task needs at least one evidence file.")]})
    now = now or _now()
    with transaction.atomic():
        task = _locked_task(task_id)
        if not (actor is not None and (actor.pk == task.assignee_id or has_role(actor, task.unit, ISSUE_ROLES))):
            raise PermissionDenied(_("Only the responsible person or the unit's staff report progress."))
        if task.status not in OPEN_TASK:
            raise ValidationError({"task": [_("The task is %(status)s.") % {"status": task.get_status_display()}]})
        progress = Progress.objects.create(task=task, author=actor, text=text, completes=completes, at=now)
        for name, data, content_type in checked:
            Evidence.objects.create(
                progress=progress,
                name=name,
                content_type=content_type,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                data=data,
                uploaded_by=actor,
                created_at=now,
            )
        old = task.status
        task.status = TaskStatus.DONE if completes else TaskStatus.IN_PROGRESS
        if completes:
            task.done_at = now
        task.save(update_fields=["status", "done_at"])
        audit_record(
            actor=actor,
            action="ledger_task.progress",
            obj=task,
            old={"status": old},
            new={"status": task.status, "progress": progress.pk, "files": [n for n, _d, _c in checked]},
        )
    return progress


def task_close(*, actor: Any, task_id: int, note: str = "", now: datetime | None = None) -> Task:
    """销号: the issuing unit accepts a completed task."""
    now = now or _now()
    with transaction.atomic():
        task = _locked_task(task_id)
        _require(actor, task.issuing_unit, ISSUE_ROLES, _("Closing a task (销号)"))
        if task.status != TaskStatus.DONE:
            raise ValidationError({"task": [_("Only a completed task can be closed (销号).")]})
        task.status, task.closed_at, task.closed_by = TaskStatus.CLOSED, now, actor
        task.closing_note = _text(note, "note")
        task.save(update_fields=["status", "closed_at", "closed_by", "closing_note"])
        audit_record(
            actor=actor,
            action="ledger_task.close",
            obj=task,
            old={"status": "done"},
            new={"status": "closed"},
            reason=note,
        )
    return task


def task_reopen(*, actor: Any, task_id: int, reason: str) -> Task:
    """The issuing unit does not accept the completion: back to 进行中, with the reason."""
    reason = _text(reason, "reason", required=True)
    with transaction.atomic():
        task = _locked_task(task_id)
        _require(actor, task.issuing_unit, ISSUE_ROLES, _("Returning a task"))
        if task.status != TaskStatus.DONE:
            raise ValidationError({"task": [_("Only a completed task can be returned.")]})
        task.status, task.done_at = TaskStatus.IN_PROGRESS, None
        task.save(update_fields=["status", "done_at"])
        audit_record(
            actor=actor,
            action="ledger_task.reopen",
            obj=task,
            old={"status": "done"},
            new={"status": "in_progress"},
            reason=reason,
        )
    return task


def deadline_alerts(now: datetime | None = None, *, remind_days: int = 1) -> int:
    """Remind the responsible person ``remind_days`` working days before the due date, and escalate
    to the issuing unit's leaders once it has passed: each once per task, through the warnings
    outbox. Idempotent (a row per task and kind, created in the same transaction as the queueing)."""
    from qingting.notify.message import Message
    from qingting.web.bulletins.selectors import leaders_for
    from qingting.web.ledger.models import Reminder
    from qingting.web.warnings.services import people_notify

    now = now or _now()
    today = timezone.localdate(now)
    cal = calendar()
    horizon = cal.add_working_days(today, remind_days).due_date
    n = 0
    open_tasks = Task.objects.filter(status__in=OPEN_TASK, due__lte=horizon).select_related(
        "unit", "issuing_unit", "assignee"
    )
    for task in open_tasks.exclude(reminders__kind="escalate"):
        kind = "escalate" if task.due < today else "remind"
        if kind == "remind" and Reminder.objects.filter(task=task, kind="remind").exists():
            continue
        with transaction.atomic():
            row, created = Reminder.objects.get_or_create(task=task, kind=kind, defaults={"at": now})
            if not created:
                continue
            if kind == "remind":
                title = f"【任务即将到期】{task.title}"
                text = (
                    f"{task.unit.name}的台账任务“{task.title}”将于{task.due.isoformat()}到期，"
                    "请及时办结并上传佐证材料。"
                )
                people = [task.assignee]
            else:
                title = f"【任务逾期】{task.title}"
                text = (
                    f"{task.unit.name}的台账任务“{task.title}”已于{task.due.isoformat()}到期，"
                    f"尚未完成（责任人：{task.assignee}）。"
                )
                people = [task.assignee, *leaders_for(task.issuing_unit)]
            message = Message(title=title, text_zh=text, text_en=f"Ledger task “{task.title}” due {task.due}")
            row.queued = people_notify(
                users=people, unit=task.unit, message=message, key=f"lt{task.pk}.{kind}", now=now
            )
            row.save(update_fields=["queued"])
            field = "reminded_at" if kind == "remind" else "escalated_at"
            setattr(task, field, now)
            task.save(update_fields=[field])
            audit_record(actor=None, action=f"ledger_task.{kind}", obj=task, new={"queued": row.queued})
            n += 1
    return n


# --- meetings ------------------------------------------------------------------------------------


def meeting_record(
    *,
    actor: Any,
    unit: Unit,
    kind: str,
    title: str,
    day: date,
    units_present: Sequence[Unit] = (),
    event_ids: Sequence[int] = (),
    decisions: str = "",
    now: datetime | None = None,
) -> Meeting:
    """Record a meeting (联席会议 / 舆情会商研判 / 专题研究会); tasks it decides are created with
    :func:`task_create` (``meeting=`` and ``source="meeting"``)."""
    _require(actor, unit, RECORD_ROLES, _("Recording a meeting"))
    _choice(kind, MeetingKind, "kind")
    title = _text(title, "title", required=True, limit=200)
    if not isinstance(day, date):
        raise ValidationError({"date": [_("Give the date.")]})
    from qingting.web.monitoring.selectors import events_for

    events = list(events_for(actor).filter(pk__in=list(event_ids))) if event_ids else []
    if len(events) != len(set(event_ids)):
        raise ValidationError({"events": [_("Some events are not among yours.")]})
    now = now or _now()
    with transaction.atomic():
        m = Meeting.objects.create(
            unit=unit,
            kind=kind,
            title=title,
            date=day,
            decisions=_text(decisions, "decisions"),
            created_by=actor,
            created_at=now,
        )
        m.units_present.set(list(units_present))
        m.events.set(events)
        audit_record(
            actor=actor,
            action="ledger_meeting.record",
            obj=m,
            new={
                "kind": kind,
                "date": day.isoformat(),
                "units": [u.pk for u in units_present],
                "events": [e.pk for e in events],
            },
        )
    return m


# --- duty ----------------------------------------------------------------------------------------


def duty_shift_add(
    *,
    actor: Any,
    unit: Unit,
    start: datetime,
    end: datetime,
    person: Any,
    leader: Any = None,
    note: str = "",
    now: datetime | None = None,
) -> DutyShift:
    """Add a shift to the unit's duty plan. Shifts of one unit never overlap."""
    _require(actor, unit, MANAGE_ROLES, _("Planning duty"))
    for field, value in (("start", start), ("end", end)):
        if not isinstance(value, datetime) or timezone.is_naive(value):
            raise ValidationError({field: [_("Give a date and time with its time zone.")]})
    if end <= start:
        raise ValidationError({"end": [_("The shift ends before it starts.")]})
    if end - start > timedelta(hours=72):
        raise ValidationError({"end": [_("A shift lasts at most 72 hours.")]})
    if person is None or not has_role(person, unit):
        raise ValidationError(
            {"person": [_("The person on duty must be a staff member of %(unit)s.") % {"unit": unit.name}]}
        )
    if leader is not None and not has_role(leader, unit, {Role.LEADER, Role.ADMIN}):
        raise ValidationError(
            {"leader": [_("The leader in charge must be a leader of %(unit)s.") % {"unit": unit.name}]}
        )
    now = now or _now()
    with transaction.atomic():
        Unit.objects.select_for_update().filter(pk=unit.pk).first()  # one plan edit per unit at a time
        clash = DutyShift.objects.filter(unit=unit, start__lt=end, end__gt=start).order_by("start").first()
        if clash is not None:
            local = timezone.localtime
            raise ValidationError(
                {
                    "start": [
                        _("Overlaps the shift of %(person)s from %(a)s to %(b)s.")
                        % {
                            "person": clash.person,
                            "a": local(clash.start).strftime("%Y-%m-%d %H:%M"),
                            "b": local(clash.end).strftime("%Y-%m-%d %H:%M"),
                        }
                    ]
                }
            )
        shift = DutyShift.objects.create(
            unit=unit,
            start=start,
            end=end,
            person=person,
            leader=leader,
            note=_text(note, "note", limit=200),
            created_at=now,
        )
        audit_record(
            actor=actor,
            action="duty_shift.add",
            obj=shift,
            new={"unit": unit.pk, "start": start.isoformat(), "end": end.isoformat(), "person": person.pk},
        )
    return shift


def duty_shift_delete(*, actor: Any, shift_id: int) -> None:
    with transaction.atomic():
        shift = DutyShift.objects.select_for_update().select_related("unit").filter(pk=shift_id).first()
        if shift is None:
            raise ValidationError({"shift": [_("No such shift.")]})
        _require(actor, shift.unit, MANAGE_ROLES, _("Planning duty"))
        if hasattr(shift, "handover"):
            raise ValidationError({"shift": [_("A shift with a handover log stays on record.")]})
        audit_record(
            actor=actor,
            action="duty_shift.delete",
            obj=shift,
            old={"start": shift.start.isoformat(), "end": shift.end.isoformat(), "person": shift.person_id},
        )
        shift.delete()


def handover_write(
    *, actor: Any, shift_id: int, happened: str, open_items: str = "", now: datetime | None = None
) -> Handover:
    """The handover log of a shift, written by the person on duty (or a manager of the unit)."""
    happened = _text(happened, "happened", required=True)
    now = now or _now()
    with transaction.atomic():
        shift = DutyShift.objects.select_for_update().select_related("unit").filter(pk=shift_id).first()
        if shift is None:
            raise ValidationError({"shift": [_("No such shift.")]})
        if not (actor is not None and (actor.pk == shift.person_id or has_role(actor, shift.unit, MANAGE_ROLES))):
            raise PermissionDenied(_("Only the person on duty writes the handover log."))
        if Handover.objects.filter(shift=shift).exists():
            raise ValidationError({"shift": [_("This shift already has its handover log.")]})
        h = Handover.objects.create(
            shift=shift, author=actor, happened=happened, open_items=_text(open_items, "open_items"), at=now
        )
        audit_record(actor=actor, action="duty_shift.handover", obj=shift, new={"handover": h.pk})
    return h


def drill_record(
    *,
    actor: Any,
    unit: Unit,
    day: date,
    scenario: str,
    participants: Sequence[Any] = (),
    participant_count: int | None = None,
    notes: str = "",
    now: datetime | None = None,
) -> Drill:
    """Record an emergency drill (应急演练)."""
    _require(actor, unit, RECORD_ROLES, _("Recording a drill"))
    scenario = _text(scenario, "scenario", required=True, limit=300)
    count = len(participants) if participant_count is None else int(participant_count)
    if count < len(participants):
        raise ValidationError({"participant_count": [_("Fewer participants than people listed.")]})
    now = now or _now()
    with transaction.atomic():
        d = Drill.objects.create(
            unit=unit, date=day, scenario=scenario, participant_count=count, notes=_text(notes, "notes"), created_at=now
        )
        d.participants.set(list(participants))
        audit_record(actor=actor, action="ledger_drill.record", obj=d, new={"date": day.isoformat(), "count": count})
    return d


# --- registers -----------------------------------------------------------------------------------


def training_record(
    *,
    actor: Any,
    unit: Unit,
    day: date,
    topic: str,
    form: str,
    hours: Any,
    participant_count: int | None = None,
    attendees: Sequence[Any] = (),
    now: datetime | None = None,
) -> TrainingSession:
    """Record a training or study session with its attendance."""
    _require(actor, unit, RECORD_ROLES, _("Recording training"))
    topic = _text(topic, "topic", required=True, limit=200)
    _choice(form, TrainingForm, "form")
    try:
        h = Decimal(str(hours)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise ValidationError({"hours": [_("Give the hours as a number, e.g. 2.5.")]}) from None
    if not Decimal("0.5") <= h <= Decimal("200"):
        raise ValidationError({"hours": [_("Between 0.5 and 200 hours.")]})
    count = len(attendees) if participant_count is None else int(participant_count)
    if count < len(attendees) or count < 1:
        raise ValidationError({"participant_count": [_("At least the people on the attendance list.")]})
    for person in attendees:
        if not has_role(person, unit):
            raise ValidationError(
                {
                    "attendees": [
                        _("%(person)s is not a staff member of %(unit)s.") % {"person": person, "unit": unit.name}
                    ]
                }
            )
    now = now or _now()
    with transaction.atomic():
        s = TrainingSession.objects.create(
            unit=unit, date=day, topic=topic, form=form, participant_count=count, hours=h, created_at=now
        )
        s.attendees.set(list(attendees))
        audit_record(
            actor=actor,
            action="ledger_training.record",
            obj=s,
            new={
                "date": day.isoformat(),
                "form": form,
                "hours": str(h),
                "count": count,
                "attendees": [a.pk for a in attendees],
            },
        )
    return s


def expert_add(
    *,
    actor: Any,
    unit: Unit,
    name: str,
    field: str,
    consent_date: date | None,
    consent_note: str,
    employer: str = "",
    contact: str = "",
    visibility: str = ContactVisibility.ADMINS,
    now: datetime | None = None,
) -> Expert:
    """Add an expert to the directory: only with their recorded consent; the contact is encrypted."""
    _require(actor, unit, MANAGE_ROLES, _("Keeping the expert directory"))
    if consent_date is None:
        raise ValidationError({"consent_date": [_("An expert is listed only with their consent: give its date.")]})
    consent_note = _text(consent_note, "consent_note", required=True, limit=200)
    _choice(visibility, ContactVisibility, "visibility")
    now = now or _now()
    with transaction.atomic():
        e = Expert.objects.create(
            unit=unit,
            name=_text(name, "name", required=True, limit=60),
            field=_text(field, "field", required=True, limit=120),
            employer=_text(employer, "employer", limit=120),
            consent_date=consent_date,
            consent_note=consent_note,
            contact=_text(contact, "contact", limit=500),
            visibility=visibility,
            created_at=now,
        )
        # The contact itself never goes into the audit log (it is encrypted at rest for a reason).
        audit_record(actor=actor, action="ledger_expert.add", obj=e, new={"name": e.name, "field": e.field})
    return e


def equipment_add(
    *,
    actor: Any,
    unit: Unit,
    name: str,
    kind: str,
    keeper: Any,
    location: str = "",
    antivirus: bool = False,
    password_policy: bool = False,
    removable_media: bool = False,
    encryption: bool = False,
    check_every_days: int = 90,
    last_check: date | None = None,
    now: datetime | None = None,
) -> Equipment:
    """Add an item to the equipment register."""
    _require(actor, unit, MANAGE_ROLES, _("Keeping the equipment register"))
    _choice(kind, EquipmentKind, "kind")
    if keeper is None or not has_role(keeper, unit):
        raise ValidationError({"keeper": [_("The keeper must be a staff member of %(unit)s.") % {"unit": unit.name}]})
    if not 7 <= int(check_every_days) <= 366:
        raise ValidationError({"check_every_days": [_("Between 7 and 366 days.")]})
    now = now or _now()
    with transaction.atomic():
        item = Equipment.objects.create(
            unit=unit,
            name=_text(name, "name", required=True, limit=120),
            kind=kind,
            location=_text(location, "location", limit=120),
            antivirus=antivirus,
            password_policy=password_policy,
            removable_media=removable_media,
            encryption=encryption,
            keeper=keeper,
            check_every_days=int(check_every_days),
            last_check=last_check,
            created_at=now,
        )
        audit_record(actor=actor, action="ledger_equipment.add", obj=item, new={"name": item.name, "kind": kind})
    return item


def equipment_check(
    *,
    actor: Any,
    equipment_id: int,
    day: date,
    antivirus: bool,
    password_policy: bool,
    removable_media: bool,
    encryption: bool,
    note: str = "",
    now: datetime | None = None,
) -> EquipmentCheck:
    """Record a self-check (自查): updates the item's measures and last check, completes its open
    self-check task."""
    now = now or _now()
    if day > timezone.localdate(now):
        raise ValidationError({"date": [_("A self-check cannot be dated in the future.")]})
    with transaction.atomic():
        item = Equipment.objects.select_for_update().select_related("unit").filter(pk=equipment_id).first()
        if item is None:
            raise ValidationError({"equipment": [_("No such equipment.")]})
        if not (actor is not None and (actor.pk == item.keeper_id or has_role(actor, item.unit, MANAGE_ROLES))):
            raise PermissionDenied(_("Only the keeper or a manager of the unit records a self-check."))
        check = EquipmentCheck.objects.create(
            equipment=item,
            date=day,
            by=actor,
            antivirus=antivirus,
            password_policy=password_policy,
            removable_media=removable_media,
            encryption=encryption,
            note=_text(note, "note"),
            created_at=now,
        )
        item.antivirus, item.password_policy = antivirus, password_policy
        item.removable_media, item.encryption = removable_media, encryption
        if item.last_check is None or day > item.last_check:
            item.last_check = day
        item.save()
        for task in Task.objects.select_for_update().filter(equipment=item, status__in=OPEN_TASK):
            task.status, task.done_at = TaskStatus.DONE, now
            task.save(update_fields=["status", "done_at"])
            audit_record(
                actor=actor, action="ledger_task.progress", obj=task, new={"status": "done", "check": check.pk}
            )
        audit_record(
            actor=actor,
            action="ledger_equipment.check",
            obj=item,
            new={
                "date": day.isoformat(),
                "antivirus": antivirus,
                "password_policy": password_policy,
                "removable_media": removable_media,
                "encryption": encryption,
            },
        )
    return check


def selfcheck_tasks(now: datetime | None = None, *, lead_days: int = 7) -> int:
    """Open a self-check task for each item whose next check falls within ``lead_days`` (or is
    overdue) and that has no open one: one open self-check task per item at a time."""
    now = now or _now()
    today = timezone.localdate(now)
    n = 0
    for item in Equipment.objects.select_related("unit", "keeper").exclude(tasks__status__in=OPEN_TASK):
        next_due = (item.last_check or today) + timedelta(days=item.check_every_days)
        if item.last_check is not None and next_due > today + timedelta(days=lead_days):
            continue
        due = max(next_due, today)
        with transaction.atomic():
            if Task.objects.select_for_update().filter(equipment=item, status__in=OPEN_TASK).exists():
                continue
            task_create(
                actor=None,
                issuing_unit=item.unit,
                unit=item.unit,
                assignee=item.keeper,
                title=f"设备自查：{item.name}",
                description="检查防病毒软件、强口令密码、移动存储设备管理、数据加密措施并登记自查结果。",
                source=TaskSource.SELF_CHECK,
                start=min(today, due),
                due=due,
                equipment=item,
                now=now,
            )
            n += 1
    return n
