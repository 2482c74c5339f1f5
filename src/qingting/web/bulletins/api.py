"""JSON API for bulletins and 直报, mounted at ``/api/bulletins`` (errors use the API's one shape).

(No ``from __future__ import annotations``: django-ninja reads the annotations at import.)
"""

from datetime import date, datetime
from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate

from qingting.web.accounts.selectors import units_for
from qingting.web.bulletins import selectors, services
from qingting.web.bulletins.models import Bulletin, Submission

router = Router()


class BulletinOut(Schema):
    id: int
    unit_id: int
    title: str
    status: str
    version: int
    number: str
    event_ids: list[int]
    summary: str
    assessment: str
    recommendations: str
    instructions: str
    returned_comments: str
    submitted_to_id: int | None
    submitted_at: datetime | None
    signed_by_id: int | None
    signed_at: datetime | None
    issued_at: datetime | None
    case_id: int | None
    archive_id: int | None
    files: dict[str, str]

    @staticmethod
    def resolve_number(obj: Bulletin) -> str:
        return obj.issue_label

    @staticmethod
    def resolve_event_ids(obj: Bulletin) -> list[int]:
        return sorted(obj.events.values_list("pk", flat=True))

    @staticmethod
    def resolve_files(obj: Bulletin) -> dict[str, str]:
        from django.urls import reverse

        if obj.status != "issued" or obj.archive_id is None:
            return {}
        has_pdf = type(obj).objects.filter(pk=obj.pk, archive__pdf__isnull=False).exists()
        formats = ["docx", "html"] + (["pdf"] if has_pdf else [])
        return {f: reverse("bulletins:download", args=[obj.pk, f]) for f in formats}


class BulletinDetailOut(BulletinOut):
    figures: dict[str, Any] | None


class BulletinIn(Schema):
    unit_id: int
    event_ids: list[int] = Field(min_length=1, max_length=services.MAX_EVENTS)
    title: str = Field(default="", max_length=200)
    summary: str = Field(default="", max_length=20_000)
    assessment: str = Field(default="", max_length=20_000)
    recommendations: str = Field(default="", max_length=20_000)


class BulletinPatch(Schema):
    expected_version: int | None = None
    event_ids: list[int] | None = Field(default=None, max_length=services.MAX_EVENTS)
    title: str | None = Field(default=None, max_length=200)
    summary: str | None = Field(default=None, max_length=20_000)
    assessment: str | None = Field(default=None, max_length=20_000)
    recommendations: str | None = Field(default=None, max_length=20_000)


class ActionIn(Schema):
    expected_version: int | None = None
    to_user_id: int | None = None  # submit
    comments: str = Field(default="", max_length=20_000)  # return
    instructions: str = Field(default="", max_length=20_000)  # sign
    case_unit_id: int | None = None  # sign: open a case for this unit
    case_summary: str = Field(default="", max_length=200)
    note: str = Field(default="", max_length=2000)  # upward


class SubmissionOut(Schema):
    id: int
    from_unit_id: int
    to_unit_id: int
    bulletin_id: int | None
    report_id: int | None
    title: str
    note: str
    submitted_at: datetime
    adoption: str
    decision_note: str
    decided_at: datetime | None


class SubmissionIn(Schema):
    bulletin_id: int | None = None
    report_id: int | None = None
    note: str = Field(default="", max_length=2000)


class DecisionIn(Schema):
    adoption: Literal["full", "summary", "not_adopted"]
    note: str = Field(default="", max_length=2000)


class CountsOut(Schema):
    start: date
    end: date
    submitted: int
    adopted_full: int
    adopted_summary: int
    not_adopted: int
    pending: int
    units: list[dict[str, Any]]


class BulletinQuery(Schema):
    status: Literal["draft", "submitted", "returned", "signed", "issued"] | None = None
    unit: int | None = None


def _conflict(call: Any) -> Any:
    try:
        return call()
    except services.BulletinConflict as exc:
        raise HttpError(409, str(exc)) from exc


@router.get("", response=list[BulletinOut])
@paginate(LimitOffsetPagination)
def list_bulletins(request: HttpRequest, filters: Query[BulletinQuery]) -> Any:
    """Bulletins of your units, newest first."""
    qs = selectors.bulletins_for(request.user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.unit:
        qs = qs.filter(unit_id=filters.unit)
    return qs.prefetch_related("events")


@router.post("", response={201: BulletinDetailOut})
def create_bulletin(request: HttpRequest, payload: BulletinIn) -> Status[Bulletin]:
    """A draft bulletin on events you can see, in a unit where you are an analyst."""
    unit = units_for(request.user).filter(pk=payload.unit_id).first()
    if unit is None:
        from django.core.exceptions import ValidationError

        raise ValidationError({"unit_id": ["No such unit among yours."]})
    b = services.bulletin_create(
        actor=request.user,
        unit=unit,
        events=payload.event_ids,
        title=payload.title,
        summary=payload.summary,
        assessment=payload.assessment,
        recommendations=payload.recommendations,
    )
    return Status(201, b)


@router.get("/submissions", response=list[SubmissionOut])
@paginate(LimitOffsetPagination)
def list_submissions(request: HttpRequest, direction: Literal["received", "all"] = "all") -> Any:
    """Upward submissions (直报) from or to your units; ``direction=received`` for the inbox."""
    qs = selectors.inbox_for(request.user) if direction == "received" else selectors.submissions_for(request.user)
    return qs


@router.post("/submissions", response={201: SubmissionOut})
def create_submission(request: HttpRequest, payload: SubmissionIn) -> Status[Submission]:
    """Submit an issued bulletin or an archived report to the parent unit."""
    s = services.submission_create(
        actor=request.user, bulletin_id=payload.bulletin_id, report_id=payload.report_id, note=payload.note
    )
    return Status(201, s)


@router.post("/submissions/{submission_id}/decision", response=SubmissionOut)
def decide_submission(request: HttpRequest, submission_id: int, payload: DecisionIn) -> Submission:
    """Mark a received submission 直报采用 (full), 摘报采用 (summary) or 不采用 (not_adopted)."""
    selectors.submission_get(request.user, submission_id)
    return services.submission_decide(
        actor=request.user, submission_id=submission_id, adoption=payload.adoption, note=payload.note
    )


@router.get("/submissions/counts", response=CountsOut)
def submission_counts(request: HttpRequest, period: str, unit: int | None = None) -> dict[str, Any]:
    """直报 counts for a period (``2026-10``, ``2026-H1`` …) over your units, or one unit and its tree."""
    from django.core.exceptions import ValidationError

    from qingting.reports.figures import Period

    try:
        p = Period.parse(period)
    except ValueError as exc:
        raise ValidationError({"period": [str(exc)]}) from exc
    units = units_for(request.user)
    if unit is not None:
        root = units.filter(pk=unit).first()
        if root is None:
            raise Http404
        units = units.filter(path__startswith=root.path)
    ids = [u.pk for u in units]
    return {
        "start": p.start,
        "end": p.end,
        **selectors.submission_counts(ids, p.start, p.end),
        "units": selectors.submission_counts_by_unit(ids, p.start, p.end),
    }


@router.get("/{bulletin_id}", response=BulletinDetailOut)
def get_bulletin(request: HttpRequest, bulletin_id: int) -> Bulletin:
    """One bulletin, with its frozen figures once submitted."""
    return selectors.bulletin_get(request.user, bulletin_id)


@router.patch("/{bulletin_id}", response=BulletinDetailOut)
def update_bulletin(request: HttpRequest, bulletin_id: int, payload: BulletinPatch) -> Bulletin:
    """Edit a draft or returned bulletin (send ``expected_version`` to refuse stale edits: 409)."""
    selectors.bulletin_get(request.user, bulletin_id)
    return _conflict(  # type: ignore[no-any-return]
        lambda: services.bulletin_update(
            actor=request.user,
            bulletin_id=bulletin_id,
            expected_version=payload.expected_version,
            title=payload.title,
            summary=payload.summary,
            assessment=payload.assessment,
            recommendations=payload.recommendations,
            events=payload.event_ids,
        )
    )


@router.post("/{bulletin_id}/actions/{action}", response=BulletinDetailOut)
def act(
    request: HttpRequest,
    bulletin_id: int,
    action: Literal["submit", "return", "sign", "issue", "upward"],
    payload: ActionIn,
) -> Bulletin:
    """Workflow: ``submit`` (to_user_id), ``return`` (comments), ``sign`` (instructions, optional
    case_unit_id), ``issue``, ``upward`` (直报 to the parent unit, note)."""
    from django.core.exceptions import ValidationError

    from qingting.web.accounts.models import User

    b = selectors.bulletin_get(request.user, bulletin_id)
    user = request.user
    if action == "submit":
        to_user = User.objects.filter(pk=payload.to_user_id).first() if payload.to_user_id else None
        return _conflict(  # type: ignore[no-any-return]
            lambda: services.bulletin_submit(
                actor=user, bulletin_id=b.pk, to_user=to_user, expected_version=payload.expected_version
            )
        )
    if action == "return":
        return _conflict(  # type: ignore[no-any-return]
            lambda: services.bulletin_return(
                actor=user, bulletin_id=b.pk, comments=payload.comments, expected_version=payload.expected_version
            )
        )
    if action == "sign":
        case_unit = None
        if payload.case_unit_id is not None:
            case_unit = units_for(user).filter(pk=payload.case_unit_id).first()
            if case_unit is None:
                raise ValidationError({"case_unit_id": ["No such unit among yours."]})
        return _conflict(  # type: ignore[no-any-return]
            lambda: services.bulletin_sign(
                actor=user,
                bulletin_id=b.pk,
                instructions=payload.instructions,
                expected_version=payload.expected_version,
                case_unit=case_unit,
                case_summary=payload.case_summary,
            )
        )
    if action == "issue":
        return _conflict(lambda: services.bulletin_issue(actor=user, bulletin_id=b.pk))  # type: ignore[no-any-return]
    services.submission_create(actor=user, bulletin_id=b.pk, note=payload.note)
    return selectors.bulletin_get(user, b.pk)
