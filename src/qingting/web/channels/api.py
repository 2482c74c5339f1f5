"""JSON API for the channel registry, mounted at ``/api/channels`` (errors use the API's one shape).

(No ``from __future__ import annotations`` here: django-ninja reads the annotations at import.)
"""

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from qingting.web.channels import inspections, selectors, services
from qingting.web.channels.models import Channel

router = Router(tags=["channels"])


class InspectionOut(Schema):
    id: int
    channel_id: int
    checked_at: datetime
    trigger: str
    verdict: str
    score: float
    days_since_update: float | None
    result: dict[str, Any]


class ChannelOut(Schema):
    id: int
    unit_id: int
    kind: str
    name: str
    state: str
    state_since: date | None
    operator_id: int | None
    reviewer_id: int | None
    source_id: int | None
    interaction_source_id: int | None
    url: str
    account: str
    registrant: str
    record_number: str


class StateIn(Schema):
    state: str
    reason: str = ""


@router.get("", response=list[ChannelOut])
@paginate(LimitOffsetPagination)
def channel_list(request: HttpRequest) -> Any:
    return selectors.channels_for(request.user).order_by("pk")


@router.get("/{channel_id}", response=ChannelOut)
def channel_detail(request: HttpRequest, channel_id: int) -> Channel:
    return selectors.channel_get(request.user, channel_id)


@router.post("/{channel_id}/state", response=ChannelOut)
def channel_state(request: HttpRequest, channel_id: int, payload: StateIn) -> Channel:
    channel = selectors.channel_get(request.user, channel_id)
    return services.channel_set_state(actor=request.user, channel=channel, state=payload.state, reason=payload.reason)


@router.get("/{channel_id}/inspections", response=list[InspectionOut])
@paginate(LimitOffsetPagination)
def inspection_list(request: HttpRequest, channel_id: int) -> Any:
    return selectors.channel_get(request.user, channel_id).inspections.all()


@router.post("/{channel_id}/inspections", response={201: InspectionOut})
def inspection_run(request: HttpRequest, channel_id: int) -> Any:
    channel = selectors.channel_get(request.user, channel_id)
    return Status(201, inspections.inspection_run(actor=request.user, channel=channel))
