"""JSON API for the ledger, mounted at ``/api/ledger`` (errors use the API's one shape).

Tasks (list, one, issue — also from a bulletin's 批示 or a case —, close), the duty plan of a day,
and an assessment's scorecards (the stored run, else computed now). Reads through ``selectors``
(scoped to the caller's units), writes through ``services``; bad input names the field (422).

(No ``from __future__ import annotations`` here: django-ninja reads the annotations at import.)
"""

from datetime import date, datetime
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate

from qingting.web.accounts.selectors import units_for
from qingting.web.ledger import assessment, selectors, services
from qingting.web.ledger.models import AssessmentRun, Task

router = Router(tags=["ledger"])


class TaskOut(Schema):
    id: int
    unit_id: int
    issuing_unit_id: int
    assignee_id: int
    title: str
    description: str
    source: str
    source_ref: str
    bulletin_id: int | None
    case_id: int | None
    start: date
    working_days: int
    due: date
    due_notice: str
    status: str
    state: str
    done_at: datetime | None
    closed_at: datetime | None

    @staticmethod
    def resolve_state(obj: Task) -> str:
        return selectors.task_state(obj)


class TaskQuery(Schema):
    state: str = ""
    unit: int | None = None


class TaskIn(Schema):
    unit_id: int
    assignee_id: int
    title: str = ""
    working_days: int | None = None
    due: date | None = None
    start: date | None = None
    issuing_unit_id: int | None = None
    source: str = "other"
    source_ref: str = ""
    description: str = ""
    bulletin_id: int | None = None
    case_id: int | None = None


class CloseIn(Schema):
    note: str = ""


class ShiftOut(Schema):
    start: datetime
    end: datetime
    person: str
    leader: str


class DutyOut(Schema):
    unit: str
    day: date
    key_date: str
    requires_24h: bool
    shifts: list[ShiftOut]
    gaps: list[tuple[datetime, datetime]]
    notices: list[str]


class DutyQuery(Schema):
    date: date
    unit: int | None = None


def _unit(request: HttpRequest, unit_id: int | None, field: str) -> Any:
    unit = units_for(request.user).filter(pk=unit_id).first() if unit_id else None
    if unit is None:
        raise HttpError(422, f"{field}: no such unit among yours")
    return unit


@router.get("/tasks", response=list[TaskOut])
@paginate(LimitOffsetPagination)
def task_list(request: HttpRequest, filters: Query[TaskQuery]) -> Any:
    return selectors.task_list(request.user, state=filters.state, unit_id=filters.unit)


@router.get("/tasks/{task_id}", response=TaskOut)
def task_detail(request: HttpRequest, task_id: int) -> Task:
    return selectors.task_get(request.user, task_id)


@router.post("/tasks", response={201: TaskOut})
def task_issue(request: HttpRequest, payload: TaskIn) -> Any:
    assignee = selectors.staff_choices(request.user).filter(pk=payload.assignee_id).first()
    if assignee is None:
        raise HttpError(422, "assignee_id: no such staff member among yours")
    if payload.case_id:
        task = services.task_from_case(
            actor=request.user, case_id=payload.case_id, assignee=assignee,
            working_days=payload.working_days or 5, title=payload.title,
        )  # fmt: skip
    elif payload.bulletin_id:
        task = services.task_from_bulletin(
            actor=request.user, bulletin_id=payload.bulletin_id, unit=_unit(request, payload.unit_id, "unit_id"),
            assignee=assignee, working_days=payload.working_days or 5, title=payload.title,
        )  # fmt: skip
    else:
        task = services.task_create(
            actor=request.user,
            issuing_unit=_unit(request, payload.issuing_unit_id, "issuing_unit_id"),
            unit=_unit(request, payload.unit_id, "unit_id"),
            assignee=assignee,
            title=payload.title,
            source=payload.source,
            source_ref=payload.source_ref,
            description=payload.description,
            start=payload.start or date.today(),
            working_days=payload.working_days,
            due=payload.due,
        )
    return Status(201, task)


@router.post("/tasks/{task_id}/close", response=TaskOut)
def task_close(request: HttpRequest, task_id: int, payload: CloseIn) -> Task:
    selectors.task_get(request.user, task_id)
    return services.task_close(actor=request.user, task_id=task_id, note=payload.note)


@router.get("/duty", response=DutyOut)
def duty_day(request: HttpRequest, filters: Query[DutyQuery]) -> dict[str, Any]:
    units = units_for(request.user)
    unit = units.filter(pk=filters.unit).first() if filters.unit else units.order_by("path").first()
    if unit is None:
        raise Http404("no such unit")
    [d] = selectors.duty_days(unit, filters.date, filters.date)
    return {
        "unit": unit.name,
        "day": d.day,
        "key_date": d.key_label,
        "requires_24h": d.requires_24h,
        "shifts": [
            {"start": s.start, "end": s.end, "person": str(s.person), "leader": str(s.leader or "")} for s in d.shifts
        ],
        "gaps": list(d.gaps),
        "notices": list(d.notices),
    }


@router.get("/assessment/{scheme_id}/{period}", response=dict[str, Any])
def assessment_result(request: HttpRequest, scheme_id: int, period: str) -> dict[str, Any]:
    """The scorecards and ranking of units: the stored run of the period, else computed now."""
    scheme = selectors.schemes_for(request.user).filter(pk=scheme_id).first()
    if scheme is None:
        raise Http404("no such scheme")
    try:
        label = assessment.parse_period(period).label
    except ValueError as exc:
        raise HttpError(422, f"period: {exc}") from exc
    run = AssessmentRun.objects.filter(scheme=scheme, period=label).first()
    if run is not None:
        return {**run.result, "stored": True, "finished": run.finished_at is not None}
    return {**assessment.with_previous(assessment.compute(scheme, label), scheme), "stored": False, "finished": False}
