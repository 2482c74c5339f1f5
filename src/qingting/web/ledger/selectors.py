"""Reads of the ledger, scoped to what the user may see; and the contract reads other apps use
(:func:`on_duty_people` for the warnings app, :func:`ledger_figures` for the work report)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from qingting.core.cases.calendar import CHINA_TZ, fallback_notice
from qingting.web.accounts.models import Role, Unit
from qingting.web.accounts.selectors import has_role, scope
from qingting.web.ledger.models import (
    OPEN_TASK,
    ContactVisibility,
    Drill,
    DutyShift,
    Equipment,
    Expert,
    Meeting,
    MeetingKind,
    Task,
    TaskStatus,
    TrainingSession,
)

# --- tasks ---------------------------------------------------------------------------------------


def task_state(task: Task, today: date | None = None) -> str:
    """The state shown: 逾期 ("overdue") for an open task past its due date, else its status."""
    today = today or timezone.localdate()
    if task.status in OPEN_TASK and task.due < today:
        return "overdue"
    return str(task.status)


def tasks_for(user: Any) -> QuerySet[Task]:
    """Tasks of the units the user sees (responsible or issuing)."""
    base = Task.objects.select_related("unit", "issuing_unit", "assignee")
    seen = scope(Unit.objects.all(), user, unit_field="id").values("id")
    return base.filter(Q(unit_id__in=seen) | Q(issuing_unit_id__in=seen))


def task_list(user: Any, *, state: str = "", unit_id: int | None = None, today: date | None = None) -> QuerySet[Task]:
    today = today or timezone.localdate()
    qs = tasks_for(user)
    if unit_id:
        qs = qs.filter(unit_id=unit_id)
    if state == "overdue":
        qs = qs.filter(status__in=OPEN_TASK, due__lt=today)
    elif state == "open":
        qs = qs.filter(status__in=OPEN_TASK)
    elif state in TaskStatus.values:
        qs = qs.filter(status=state)
        if state in OPEN_TASK:
            qs = qs.filter(due__gte=today)
    return qs.order_by("due", "pk")


def task_get(user: Any, task_id: int) -> Task:
    task = tasks_for(user).filter(pk=task_id).first()
    if task is None:
        raise Http404("no such task")
    return task


def task_counts(user: Any, today: date | None = None) -> dict[str, int]:
    today = today or timezone.localdate()
    qs = tasks_for(user)
    return qs.aggregate(
        not_started=Count("pk", filter=Q(status=TaskStatus.NOT_STARTED, due__gte=today)),
        in_progress=Count("pk", filter=Q(status=TaskStatus.IN_PROGRESS, due__gte=today)),
        overdue=Count("pk", filter=Q(status__in=OPEN_TASK, due__lt=today)),
        done=Count("pk", filter=Q(status=TaskStatus.DONE)),
        closed=Count("pk", filter=Q(status=TaskStatus.CLOSED)),
    )


def task_history(task: Task) -> list[Any]:
    from qingting.web.audit.models import AuditEntry

    return list(AuditEntry.objects.filter(object_type="ledger.task", object_id=str(task.pk)).order_by("at", "pk"))


def meetings_for(user: Any) -> QuerySet[Meeting]:
    return scope(Meeting.objects.select_related("unit"), user).prefetch_related("units_present", "events", "tasks")


def staff_choices(user: Any) -> QuerySet[Any]:
    """Staff members of the units the user sees (for responsible person, on duty, attendance)."""
    from qingting.web.accounts.models import User

    seen = scope(Unit.objects.all(), user, unit_field="id").values("id")
    return User.objects.filter(is_active=True, memberships__unit_id__in=seen).distinct().order_by("username")


def managed_unit_ids(user: Any) -> list[int]:
    """Units where the user may keep duty plans, experts, equipment and assessment schemes."""
    from qingting.web.accounts.models import Membership

    if getattr(user, "is_superuser", False):
        return list(Unit.objects.values_list("pk", flat=True))
    return list(
        Membership.objects.filter(user=user, role__in=[Role.ADMIN, Role.LEADER]).values_list("unit_id", flat=True)
    )


def schemes_for(user: Any) -> QuerySet[Any]:
    """Assessment schemes of the offices the user sees."""
    from qingting.web.ledger.models import AssessmentScheme

    return scope(AssessmentScheme.objects.select_related("office"), user, unit_field="office")


# --- duty ----------------------------------------------------------------------------------------


def _ancestor_ids(unit: Unit) -> list[int]:
    return [int(p) for p in unit.path.strip("/").split("/") if p.isdigit()] or [unit.pk]


def shift_at(unit: Unit, at: datetime) -> DutyShift | None:
    """The shift covering ``at`` of the unit, or of its nearest ancestor with one then."""
    ids = _ancestor_ids(unit)
    shifts = {
        s.unit_id: s
        for s in DutyShift.objects.filter(unit_id__in=ids, start__lte=at, end__gt=at).select_related("person", "leader")
    }
    for unit_id in reversed(ids):
        if unit_id in shifts:
            return shifts[unit_id]
    return None


def on_duty_people(unit: Unit, at: datetime) -> list[Any]:
    """Who is on duty for ``unit`` at ``at``: the person on duty, then the leader in charge.

    The warnings app puts them first on its escalation list (decision 0092): the person on duty
    is who a warning reaches first.
    """
    shift = shift_at(unit, at)
    if shift is None:
        return []
    return [p for p in (shift.person, shift.leader) if p is not None]


def calendar() -> Any:
    """The working-day calendar in force (the cases app's, with its 调休 days)."""
    from qingting.web.cases.selectors import working_calendar

    return working_calendar()


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=CHINA_TZ)
    return start, start + timedelta(days=1)


def required_days(unit: Unit, first: date, last: date) -> dict[date, str]:
    """Days in ``[first, last]`` on which the unit must be on duty around the clock: official
    holidays (the working-day calendar) and key dates with a 24-hour watch of the unit or above."""
    from qingting.web.warnings.selectors import key_days

    cal = calendar()
    out: dict[date, str] = {}
    d = first
    while d <= last:
        if cal.is_holiday(d):
            out[d] = "法定节假日"
        d += timedelta(days=1)
    for days in key_days(_ancestor_ids(unit), first, last).values():
        for day, label in days.items():
            out[day] = label if day not in out else f"{out[day]}·{label}"
    return dict(sorted(out.items()))


def gaps(shifts: Iterable[DutyShift], day: date) -> list[tuple[datetime, datetime]]:
    """The parts of ``day`` (China time) no shift covers."""
    start, end = _day_bounds(day)
    cursor = start
    out = []
    for s in sorted(shifts, key=lambda s: s.start):
        if s.end <= cursor or s.start >= end:
            continue
        if s.start > cursor:
            out.append((cursor, min(s.start, end)))
        cursor = max(cursor, s.end)
        if cursor >= end:
            break
    if cursor < end:
        out.append((cursor, end))
    return out


@dataclass(frozen=True)
class DutyDay:
    """One day of a unit's duty plan, as the page and ``qingting duty show`` present it."""

    unit: Unit
    day: date
    key_label: str  # the key date or holiday asking for 24-hour duty; "" when none
    shifts: tuple[DutyShift, ...]
    gaps: tuple[tuple[datetime, datetime], ...]  # only on days that need 24-hour duty
    notices: tuple[str, ...] = field(default=())  # the year has no official holiday schedule

    @property
    def requires_24h(self) -> bool:
        return bool(self.key_label)


def duty_days(unit: Unit, first: date, last: date) -> list[DutyDay]:
    """The plan of ``unit`` day by day, with the gaps on the days that need 24-hour duty."""

    cal = calendar()
    required = required_days(unit, first, last)
    lo, _ = _day_bounds(first)
    _, hi = _day_bounds(last)
    shifts = list(DutyShift.objects.filter(unit=unit, start__lt=hi, end__gt=lo).select_related("person", "leader"))
    out = []
    d = first
    while d <= last:
        a, b = _day_bounds(d)
        todays = tuple(s for s in shifts if s.start < b and s.end > a)
        label = required.get(d, "")
        notices = () if cal.has_schedule(d.year) else (fallback_notice(d.year),)
        out.append(DutyDay(unit, d, label, todays, tuple(gaps(todays, d)) if label else (), notices))
        d += timedelta(days=1)
    return out


def duty_gap_days(unit_ids: Iterable[int], first: date, last: date) -> dict[int, list[date]]:
    """Per unit: the days needing 24-hour duty in ``[first, last]`` that the plan leaves uncovered."""
    out: dict[int, list[date]] = {}
    for unit in Unit.objects.filter(pk__in=list(unit_ids)):
        required = required_days(unit, first, last)
        if not required:
            out[unit.pk] = []
            continue
        lo, _ = _day_bounds(min(required))
        _, hi = _day_bounds(max(required))
        shifts = list(DutyShift.objects.filter(unit=unit, start__lt=hi, end__gt=lo).only("start", "end"))
        out[unit.pk] = [d for d in required if gaps(shifts, d)]
    return out


def next_key_date(unit: Unit, today: date, *, horizon_days: int = 120) -> tuple[date, str] | None:
    req = required_days(unit, today, today + timedelta(days=horizon_days))
    return next(iter(req.items()), None)


def shifts_for(user: Any) -> QuerySet[DutyShift]:
    return scope(DutyShift.objects.select_related("unit", "person", "leader"), user)


def drills_for(user: Any) -> QuerySet[Drill]:
    return scope(Drill.objects.select_related("unit"), user)


# --- registers -----------------------------------------------------------------------------------


def trainings_for(user: Any) -> QuerySet[TrainingSession]:
    return scope(TrainingSession.objects.select_related("unit"), user).annotate(attended=Count("attendees"))


def experts_for(user: Any) -> QuerySet[Expert]:
    return scope(Expert.objects.select_related("unit"), user)


def expert_contact(user: Any, expert: Expert) -> str | None:
    """The expert's contact if ``user`` may see it (``None`` otherwise)."""
    roles = None if expert.visibility == ContactVisibility.STAFF else {Role.ADMIN, Role.LEADER}
    return expert.contact if has_role(user, expert.unit, roles) else None


def equipment_for(user: Any) -> QuerySet[Equipment]:
    return scope(Equipment.objects.select_related("unit", "keeper"), user)


def check_overdue(item: Equipment, today: date) -> bool:
    """Whether the item's self-check is overdue on ``today``."""
    return item.last_check is None or item.last_check + timedelta(days=item.check_every_days) < today


def equipment_overdue(unit_ids: list[int], day: date) -> dict[int, list[int]]:
    """Per unit: the items whose self-check was overdue on ``day`` (registered by then), judged
    by the last self-check recorded on or before ``day`` (or the date entered when registering)."""
    from django.db.models import Max

    from qingting.web.ledger.models import EquipmentCheck

    last = dict(
        EquipmentCheck.objects.filter(equipment__unit_id__in=unit_ids, date__lte=day)
        .values_list("equipment_id")
        .annotate(d=Max("date"))
        .order_by()
    )
    _, hi = _day_bounds(day)
    out: dict[int, list[int]] = {}
    for item in Equipment.objects.filter(unit_id__in=unit_ids, created_at__lt=hi).order_by("pk"):
        known = [d for d in (last.get(item.pk), item.last_check) if d is not None and d <= day]
        latest = max(known) if known else None
        if latest is None or latest + timedelta(days=item.check_every_days) < day:
            out.setdefault(item.unit_id, []).append(item.pk)
    return out


# --- figures for reports and the assessment ---------------------------------------------------------


def subtree(unit: Unit) -> list[int]:
    return list(Unit.objects.filter(path__startswith=unit.path).values_list("pk", flat=True))


@dataclass(frozen=True)
class LedgerFigures:
    """The ledger's figures for a set of units over local days ``[first, last]`` (work report)."""

    tasks_due: int  # tasks due in the period
    tasks_done_on_time: int  # of those, completed by their due date
    tasks_overdue: int  # of those, not completed by their due date
    tasks_closed: int  # closed (销号) in the period
    tasks_created: int
    tasks_by_source: dict[str, int]
    meetings: dict[str, int]  # by kind
    meeting_decisions: int
    duty_required_days: int
    duty_gap_days: int
    handovers: int
    drills: int
    trainings: int
    training_hours: float
    training_participants: int
    experts: int
    equipment: int
    equipment_overdue: int

    @property
    def completion_rate(self) -> float | None:
        """完成率 = tasks due in the period completed on time ÷ tasks due in the period."""
        return self.tasks_done_on_time / self.tasks_due if self.tasks_due else None


def _done_by_due() -> Q:
    # Completed (or closed) no later than the end of the due day, China time; done_at is stored in UTC.
    return Q(done_at__isnull=False) & Q(status__in=[TaskStatus.DONE, TaskStatus.CLOSED])


def tasks_due_figures(unit_ids: list[int], first: date, last: date) -> dict[int, dict[str, int]]:
    """Per responsible unit: tasks due in ``[first, last]``, completed on time, overdue at the end.

    A task is on time when its ``done_at`` (China time) falls on or before its due date; a task
    still open, or completed after its due date, counts as overdue. The period end caps "today":
    a task due in the period but still open and not yet past due is counted as due, not overdue.
    """
    today = timezone.localdate()
    out: dict[int, dict[str, int]] = {}
    rows = Task.objects.filter(unit_id__in=unit_ids, due__gte=first, due__lte=last).values_list(
        "pk", "unit_id", "due", "status", "done_at"
    )
    for _pk, unit_id, due, status, done_at in rows:
        r = out.setdefault(unit_id, {"due": 0, "on_time": 0, "overdue": 0})
        r["due"] += 1
        done_day = timezone.localtime(done_at, CHINA_TZ).date() if done_at and status in ("done", "closed") else None
        if done_day is not None and done_day <= due:
            r["on_time"] += 1
        elif done_day is not None or due < today:
            r["overdue"] += 1
    return out


def task_rows(unit_ids: list[int], first: date, last: date) -> QuerySet[Task]:
    """The tasks behind :func:`tasks_due_figures` (for tracing a figure to its rows)."""
    return Task.objects.filter(unit_id__in=unit_ids, due__gte=first, due__lte=last).order_by("due", "pk")


def training_figures(unit_ids: list[int], first: date, last: date) -> dict[int, dict[str, float]]:
    rows = (
        TrainingSession.objects.filter(unit_id__in=unit_ids, date__gte=first, date__lte=last)
        .values("unit_id")
        .annotate(n=Count("pk"), hours=Sum("hours"), people=Sum("participant_count"))
    )
    return {
        r["unit_id"]: {"sessions": r["n"], "hours": float(r["hours"] or 0), "people": r["people"] or 0} for r in rows
    }


def ledger_figures(unit: Unit, first: date, last: date) -> LedgerFigures:
    """Everything the work report says about the responsibility system, for ``unit`` and below."""
    ids = subtree(unit)
    due = tasks_due_figures(ids, first, last)
    lo, _ = _day_bounds(first)
    _, hi = _day_bounds(last)
    tasks = Task.objects.filter(unit_id__in=ids)
    by_source = dict(
        tasks.filter(created_at__gte=lo, created_at__lt=hi).values_list("source").annotate(n=Count("pk")).order_by()
    )
    meetings = Meeting.objects.filter(unit_id__in=ids, date__gte=first, date__lte=last)
    by_kind = {k: 0 for k in MeetingKind.values}
    decisions = 0
    for kind, text in meetings.values_list("kind", "decisions"):
        by_kind[kind] += 1
        decisions += sum(1 for line in text.splitlines() if line.strip())
    required = required_days(unit, first, min(last, timezone.localdate()))
    gap_days = duty_gap_days([unit.pk], first, min(last, timezone.localdate())).get(unit.pk, [])
    training = training_figures(ids, first, last)
    today = min(last, timezone.localdate())
    overdue = equipment_overdue(ids, today)
    return LedgerFigures(
        tasks_due=sum(r["due"] for r in due.values()),
        tasks_done_on_time=sum(r["on_time"] for r in due.values()),
        tasks_overdue=sum(r["overdue"] for r in due.values()),
        tasks_closed=tasks.filter(closed_at__gte=lo, closed_at__lt=hi).count(),
        tasks_created=sum(by_source.values()),
        tasks_by_source=by_source,
        meetings=by_kind,
        meeting_decisions=decisions,
        duty_required_days=len(required),
        duty_gap_days=len(gap_days),
        handovers=DutyShift.objects.filter(
            unit_id__in=ids, start__gte=lo, start__lt=hi, handover__isnull=False
        ).count(),
        drills=Drill.objects.filter(unit_id__in=ids, date__gte=first, date__lte=last).count(),
        trainings=int(sum(r["sessions"] for r in training.values())),
        training_hours=float(sum(r["hours"] for r in training.values())),
        training_participants=int(sum(r["people"] for r in training.values())),
        experts=Expert.objects.filter(unit_id__in=ids, consent_date__lte=last).count(),
        equipment=Equipment.objects.filter(unit_id__in=ids, created_at__lt=hi).count(),
        equipment_overdue=sum(len(v) for v in overdue.values()),
    )


def finished_assessments(unit: Unit, first: date, last: date) -> tuple[str, list[tuple[int, str, float, str]]]:
    """The latest assessment run of ``unit`` (or a unit below it) finished (定稿) in ``[first, last]``:
    its title and ranking ``(rank, unit, total, grade)`` — units, never people. ``("", [])`` if none."""
    from qingting.web.ledger.models import AssessmentRun

    lo, _ = _day_bounds(first)
    _, hi = _day_bounds(last)
    run = (
        AssessmentRun.objects.filter(
            scheme__office__path__startswith=unit.path, finished_at__gte=lo, finished_at__lt=hi
        )
        .select_related("scheme")
        .order_by("-finished_at", "-pk")
        .first()
    )
    if run is None:
        return "", []
    cards = sorted(run.result.get("units", []), key=lambda c: (c["rank"], c["unit"]))
    name, period = run.scheme.name, str(run.result.get("period", run.period))
    title = name if period[:4] in name else f"{period}{name}"
    return title, [(int(c["rank"]), str(c["unit"]), float(c["total"]), str(c.get("grade", ""))) for c in cards]
