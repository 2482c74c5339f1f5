"""JSON API for cases, mounted at ``/api/cases`` by :mod:`qingting.web.api` (errors in its one shape).

(No ``from __future__ import annotations``: django-ninja reads the annotations at import.)

* ``GET /api/cases`` — a queue (``queue=mine|unit|overdue|all``) with filters ``status``, ``unit``,
  ``since``/``until`` (received) and ``limit``/``offset``; ``{"items": [...], "count": n}``.
* ``GET /api/cases/{id}`` — one case; ``contact`` only for the case's handlers, else ``null``.
* ``POST /api/cases`` — register a case.
* ``POST /api/cases/{id}/actions/{action}`` — the one way to change a case; send the version you
  read as ``expected_version`` or in ``If-Match``; a stale version answers 409 ``conflict``.
* ``GET|POST /api/cases/{id}/replies``, ``GET /api/cases/{id}/timeline``, ``GET /api/cases/figures``.

Reads go through :mod:`qingting.web.cases.selectors` (scoped to the caller's units: others' cases
answer 404); writes through :mod:`qingting.web.cases.services` (which check the roles).
"""

import re
from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import ValidationError

from qingting.web.accounts import selectors as account_selectors
from qingting.web.cases import selectors, services
from qingting.web.cases.models import TEXT_LIMITS, Case
from qingting.web.cases.models import Status as CaseStatus

router = Router()


# --- schemas ------------------------------------------------------------------------------------


class CaseOut(Schema):
    id: int
    number: str
    unit_id: int
    unit_name: str = Field(alias="unit.name")
    channel: str
    category: str
    priority: str
    summary: str
    region: str
    status: str
    is_open: bool
    assignee_id: int | None
    version: int
    received_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    ack_due: datetime | None
    answer_due: datetime | None
    close_due: datetime | None
    next_due: datetime | None
    deadline_notice: str
    on_time: bool | None
    origin_kind: str
    origin_id: int | None


class ContactOut(Schema):
    name: str
    phone: str
    email: str
    address: str


class TaskOut(Schema):
    unit_id: int
    unit_name: str = Field(alias="unit.name")
    lead: bool
    done_at: datetime | None
    note: str


class CaseDetailOut(CaseOut):
    description: str
    address: str
    lat: float | None
    lon: float | None
    sla_policy: str
    paused_at: datetime | None
    extensions: int
    reopen_count: int
    public_reply: str
    sign_off_instructions: str
    signed_off_at: datetime | None
    merged_into_id: int | None
    event_id: int | None
    item_id: int | None
    contact: ContactOut | None = Field(None, alias="api_contact")
    tasks: list[TaskOut] = Field(default_factory=list, alias="api_tasks")
    allowed_actions: list[str] = Field(default_factory=list, alias="api_allowed_actions")


class CaseIn(Schema):
    unit_id: int
    channel: str = Field(max_length=20)
    category: str = Field(max_length=40)
    summary: str = Field(min_length=1, max_length=TEXT_LIMITS["summary"])
    description: str = Field(default="", max_length=TEXT_LIMITS["description"])
    priority: str = Field(default="normal", max_length=10)
    region: str = Field(default="", max_length=TEXT_LIMITS["region"])
    address: str = Field(default="", max_length=TEXT_LIMITS["address"])
    contact: dict[str, str] | None = None


class ActionIn(Schema):
    expected_version: int | None = None
    reason: str = Field(default="", max_length=TEXT_LIMITS["reason"])
    unit_id: int | None = None
    assignee_id: int | None = None
    merge_into: int | None = None
    reply: str = Field(default="", max_length=TEXT_LIMITS["body"])
    amount: float | None = None
    lead: bool = False


class ReplyIn(Schema):
    body: str = Field(min_length=1, max_length=TEXT_LIMITS["body"])
    public: bool = False


class ReplyOut(Schema):
    id: int
    kind: str
    body: str
    author_id: int | None
    created_at: datetime


class ActionOut(Schema):
    id: int
    version: int | None
    actor_label: str
    action: str
    old_state: str
    new_state: str
    old: Any
    new: Any
    reason: str
    correlation_id: str
    at: datetime


class CaseQuery(Schema):
    queue: Literal["mine", "unit", "overdue", "all"] = "all"
    status: list[str] = Field(default_factory=list)
    unit: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


class FiguresQuery(Schema):
    start: date
    end: date
    unit: list[int] = Field(default_factory=list)


class FiguresOut(Schema):
    unit_id: int | None
    unit_name: str
    received: int
    closed: int
    closed_of_received: int
    due: int
    closed_on_time: int
    open_at_end: int
    closure_rate: float | None
    on_time_rate: float | None
    median_handling_hours: float | None


# --- helpers ------------------------------------------------------------------------------------


def _error(request: HttpRequest, status: int, code: str, message: str, **extra: Any) -> HttpResponse:
    from qingting.web.api import api

    return api.create_response(
        request, {"error": {"status": status, "code": code, "message": message, **extra}}, status=status
    )


def _detail(request: HttpRequest, case: Case) -> Case:
    # Extra attributes the detail schema reads (aliases api_*); the contact only for handlers.
    vars(case).update(
        api_contact=selectors.contact_for(request.user, case),
        api_tasks=list(case.tasks.select_related("unit").order_by("pk")),
        api_allowed_actions=selectors.allowed_actions_for(request.user, case),
    )
    return case


_ETAG = re.compile(r'^(?:W/)?"?(\d+)"?$')


# --- endpoints ----------------------------------------------------------------------------------


class CasePage(Schema):
    items: list[CaseOut]
    count: int


@router.get("", response=CasePage)
def list_cases(request: HttpRequest, filters: Query[CaseQuery]) -> Any:
    """Cases of your units: a queue (mine, unit, overdue, all), most urgent first (all: newest first)."""
    qs = selectors.queue(request.user, filters.queue, now=timezone.now(), unit_id=filters.unit)
    if filters.status:
        unknown = sorted(set(filters.status) - set(CaseStatus.values))
        if unknown:
            raise ValidationError([{"loc": ("query", "status"), "msg": f"unknown status {unknown}"}])
        qs = qs.filter(status__in=filters.status)
    if filters.since:
        qs = qs.filter(received_at__gte=filters.since)
    if filters.until:
        qs = qs.filter(received_at__lt=filters.until)
    items, count = selectors.page(qs, limit=filters.limit, offset=filters.offset)
    return {"items": items, "count": count}


@router.get("/figures", response=list[FiguresOut])
def figures(request: HttpRequest, q: Query[FiguresQuery]) -> Any:
    """Counts, 办结率, 按时办结率 and median handling time per unit over [start, end) (your units)."""
    visible = account_selectors.units_for(request.user)
    if q.unit:
        visible = visible.filter(pk__in=q.unit)
    names = dict(visible.values_list("pk", "name"))
    if not names:
        return []
    if q.end <= q.start:
        raise ValidationError([{"loc": ("query", "end"), "msg": "end must be after start"}])
    per_unit, total = selectors.figures_by_unit(list(names), q.start, q.end)
    rows = [{**f.as_dict(), "unit_name": names.get(uid, str(uid))} for uid, f in sorted(per_unit.items())]
    return [*rows, {**total.as_dict(), "unit_name": "*"}]


@router.get("/{case_id}", response=CaseDetailOut)
def get_case(request: HttpRequest, case_id: int, response: HttpResponse) -> Any:
    """One case; the citizen's contact only for its handlers. ``ETag`` carries the version."""
    case = selectors.case_get(request.user, case_id)
    response["ETag"] = f'"{case.version}"'
    return _detail(request, case)


@router.post("", response={201: CaseDetailOut})
def create_case(request: HttpRequest, payload: CaseIn) -> Any:
    """Register a case in one of your units (needs an analyst, handler, reviewer or admin role there)."""
    unit = account_selectors.units_for(request.user).filter(pk=payload.unit_id).first()
    if unit is None:
        raise ValidationError([{"loc": ("body", "payload", "unit_id"), "msg": "No such unit among yours."}])
    case = services.case_create(
        actor=request.user,
        unit=unit,
        channel=payload.channel,
        category=payload.category,
        summary=payload.summary,
        description=payload.description,
        priority=payload.priority,
        region=payload.region,
        address=payload.address,
        contact=payload.contact,
    )
    return Status(201, _detail(request, selectors.case_get(request.user, case.pk)))


@router.post("/{case_id}/actions/{action}", response=CaseDetailOut)
def act(request: HttpRequest, case_id: int, action: str, payload: ActionIn) -> Any:
    """Apply an action (register, assign, claim, pend, resume, sign_off, answer, return, close,
    transfer, decline, merge, reopen, extend, add_task, complete_task). 409 on a stale version."""
    expected = payload.expected_version
    if expected is None and request.headers.get("If-Match"):
        m = _ETAG.match(request.headers["If-Match"].strip())
        if m is None:
            raise ValidationError([{"loc": ("header", "If-Match"), "msg": 'expected the case version, e.g. "3"'}])
        expected = int(m.group(1))
    extra = payload.dict(exclude={"expected_version", "reason"}, exclude_none=True)
    if not extra.get("reply"):
        extra.pop("reply", None)
    if not extra.get("lead"):
        extra.pop("lead", None)
    try:
        case = services.case_act(
            actor=request.user,
            case_id=case_id,
            action=action,
            expected_version=expected,
            reason=payload.reason,
            **extra,
        )
    except services.CaseConflict as exc:
        return _error(request, 409, "conflict", str(exc), current_version=exc.current_version)
    # Not re-read through the selectors: after a transfer the actor may no longer see the case.
    return _detail(request, case)


@router.get("/{case_id}/replies", response=list[ReplyOut])
def list_replies(request: HttpRequest, case_id: int) -> Any:
    """Public replies of a case, oldest first, and its internal notes for those who may read them
    (the case's handlers and those of its joint-task units: :func:`selectors.notes_visible`)."""
    case = selectors.case_get(request.user, case_id)
    return selectors.case_replies(request.user, case)


@router.post("/{case_id}/replies", response={201: ReplyOut})
def add_reply(request: HttpRequest, case_id: int, payload: ReplyIn) -> Any:
    """Add a public reply (``public: true``) or an internal note."""
    selectors.case_get(request.user, case_id)
    reply = services.case_reply(actor=request.user, case_id=case_id, body=payload.body, public=payload.public)
    return Status(201, reply)


@router.get("/{case_id}/timeline", response=list[ActionOut])
def timeline(request: HttpRequest, case_id: int) -> Any:
    """The case's audit trail, oldest first."""
    case = selectors.case_get(request.user, case_id)
    return selectors.case_timeline(case)
