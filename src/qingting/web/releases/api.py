"""JSON API for releases (稿件), mounted at ``/api/releases`` (errors use the API's one shape).

Every read goes through ``selectors`` (scoped to the caller's units), every write through
``services`` (which check the role, the step and the version). A stale version or a release in
another state answers 409.

(No ``from __future__ import annotations`` here: django-ninja reads the annotations at import.)
"""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate

from qingting.web.accounts.selectors import units_for
from qingting.web.channels.selectors import channels_for
from qingting.web.releases import selectors, services
from qingting.web.releases.models import Release

router = Router(tags=["releases"])


class FindingOut(Schema):
    id: int
    field: str
    kind: str
    start: int
    end: int
    text: str
    suggestion: str
    message: str
    state: str


class ReleaseOut(Schema):
    id: int
    unit_id: int
    title: str
    body: str
    attachments: str
    sensitive: bool
    status: str
    plan: list[dict[str, Any]]
    step: int
    round: int
    revision_count: int
    version: int
    channel_ids: list[int]
    created_by_id: int | None
    updated_at: datetime
    published_at: datetime | None

    @staticmethod
    def resolve_channel_ids(obj: Release) -> list[int]:
        return [c.pk for c in obj.channels.all()]


class ReleaseDetailOut(ReleaseOut):
    findings: list[FindingOut]

    @staticmethod
    def resolve_findings(obj: Release) -> list[Any]:
        revisions = selectors.revisions_of(obj)
        return selectors.findings_of(revisions[0]) if revisions else []


class ReleaseQuery(Schema):
    status: str = ""
    q: str = ""
    awaiting: bool = False


class ReleaseIn(Schema):
    unit_id: int
    title: str
    body: str
    channel_ids: list[int]
    attachments: str = ""
    sensitive: bool = False


class DecisionIn(Schema):
    version: int
    comments: str = ""


class CorrectionIn(Schema):
    what_was_wrong: str
    correction: str = ""
    channel_id: int | None = None


class MarkIn(Schema):
    state: str


def _call(fn: Any, **kwargs: Any) -> Any:
    try:
        return fn(**kwargs)
    except services.ReleaseConflict as exc:
        raise HttpError(409, str(exc)) from exc


@router.get("", response=list[ReleaseOut])
@paginate(LimitOffsetPagination)
def release_list(request: HttpRequest, filters: Query[ReleaseQuery]) -> Any:
    if filters.awaiting:
        return selectors.awaiting_me(request.user).order_by("-updated_at", "-id")
    return selectors.release_list(request.user, status=filters.status, q=filters.q).prefetch_related("channels")


@router.get("/{release_id}", response=ReleaseDetailOut)
def release_detail(request: HttpRequest, release_id: int) -> Release:
    return selectors.release_get(request.user, release_id)


@router.post("", response={201: ReleaseDetailOut})
def release_create(request: HttpRequest, payload: ReleaseIn) -> Any:
    unit = units_for(request.user).filter(pk=payload.unit_id).first()
    if unit is None:
        raise HttpError(422, "unit_id: no such unit among yours")
    chans = list(channels_for(request.user).filter(pk__in=payload.channel_ids))
    release = services.release_create(
        actor=request.user, unit=unit, title=payload.title, body=payload.body, channels=chans,
        attachments=payload.attachments, sensitive=payload.sensitive,
    )  # fmt: skip
    return Status(201, selectors.release_get(request.user, release.pk))


@router.post("/{release_id}/submit", response=ReleaseDetailOut)
def release_submit(request: HttpRequest, release_id: int, payload: DecisionIn) -> Any:
    selectors.release_get(request.user, release_id)
    return _call(services.release_submit, actor=request.user, release_id=release_id, expected_version=payload.version)


@router.post("/{release_id}/approve", response=ReleaseDetailOut)
def release_approve(request: HttpRequest, release_id: int, payload: DecisionIn) -> Any:
    selectors.release_get(request.user, release_id)
    return _call(
        services.release_approve, actor=request.user, release_id=release_id, expected_version=payload.version,
        comments=payload.comments,
    )  # fmt: skip


@router.post("/{release_id}/return", response=ReleaseDetailOut)
def release_return(request: HttpRequest, release_id: int, payload: DecisionIn) -> Any:
    selectors.release_get(request.user, release_id)
    return _call(
        services.release_return, actor=request.user, release_id=release_id, expected_version=payload.version,
        comments=payload.comments,
    )  # fmt: skip


@router.post("/{release_id}/publish", response=ReleaseDetailOut)
def release_publish(request: HttpRequest, release_id: int, payload: DecisionIn) -> Any:
    selectors.release_get(request.user, release_id)
    return _call(services.release_publish, actor=request.user, release_id=release_id, expected_version=payload.version)


@router.post("/{release_id}/corrections", response={201: dict[str, Any]})
def correction_record(request: HttpRequest, release_id: int, payload: CorrectionIn) -> Any:
    release = selectors.release_get(request.user, release_id)
    channel = release.channels.filter(pk=payload.channel_id).first() if payload.channel_id else None
    if payload.channel_id and channel is None:
        raise HttpError(422, "channel_id: the release was not published on that channel")
    c = _call(
        services.correction_record, actor=request.user, release_id=release_id,
        what_was_wrong=payload.what_was_wrong, correction=payload.correction, channel=channel,
    )  # fmt: skip
    return Status(201, {"id": c.pk, "release_id": release_id, "channel_id": c.channel_id})


@router.post("/{release_id}/findings/{finding_id}", response=FindingOut)
def finding_mark(request: HttpRequest, release_id: int, finding_id: int, payload: MarkIn) -> Any:
    from qingting.web.releases.models import Finding

    selectors.release_get(request.user, release_id)
    if not Finding.objects.filter(pk=finding_id, revision__release_id=release_id).exists():
        raise HttpError(404, "no such finding on this release")
    return _call(services.finding_mark, actor=request.user, finding_id=finding_id, state=payload.state)
