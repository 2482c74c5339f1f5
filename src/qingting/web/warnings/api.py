"""JSON API for warnings, mounted at ``/api/warnings`` (errors use the API's one shape).

(No ``from __future__ import annotations`` here: django-ninja reads the annotations at import.)
"""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from qingting.web.warnings import selectors, services
from qingting.web.warnings.models import Warning

router = Router(tags=["warnings"])


class WarningOut(Schema):
    id: int
    unit_id: int
    scheme_id: int | None
    event_id: int | None
    source_id: int | None
    kind: str
    tier: int
    colour: str
    status: str
    title: str
    reason: str
    reason_en: str
    figures: dict[str, Any]
    raised_at: datetime
    observed_at: datetime | None
    held: bool
    raised_from_id: int | None
    assignee_id: int | None
    escalation_level: int
    dismiss_reason: str
    case_id: int | None


class WarningQuery(Schema):
    tier: int | None = None
    status: Literal["open", "new", "acknowledged", "promoted", "dismissed", "superseded"] | None = None
    scheme: int | None = None
    kind: Literal["event", "source", "channel"] | None = None


class DismissIn(Schema):
    reason: str


class PromoteOut(Schema):
    warning: WarningOut
    case_id: int


@router.get("", response=list[WarningOut])
@paginate(LimitOffsetPagination)
def list_warnings(request: HttpRequest, filters: Query[WarningQuery]) -> Any:
    """Warnings of your units in triage order: unhandled first, then by tier (1 = Ⅰ red … 4 = Ⅳ blue), newest
    first; ``kind`` is ``event`` (content) or ``source`` (source health)."""
    return selectors.warning_list(
        request.user, tier=filters.tier, status=filters.status, scheme_id=filters.scheme, kind=filters.kind
    )


@router.get("/{warning_id}", response=WarningOut)
def get_warning(request: HttpRequest, warning_id: int) -> Warning:
    """One warning."""
    return selectors.warning_get(request.user, warning_id)


@router.post("/{warning_id}/acknowledge", response=WarningOut)
def acknowledge(request: HttpRequest, warning_id: int) -> Warning:
    """Acknowledge a new warning (stops escalation)."""
    return services.warning_acknowledge(actor=request.user, warning_id=warning_id)


@router.post("/{warning_id}/dismiss", response=WarningOut)
def dismiss(request: HttpRequest, warning_id: int, payload: DismissIn) -> Warning:
    """Dismiss an open warning; a reason is required."""
    return services.warning_dismiss(actor=request.user, warning_id=warning_id, reason=payload.reason)


@router.post("/{warning_id}/promote", response=PromoteOut)
def promote(request: HttpRequest, warning_id: int) -> Any:
    """Turn an open warning into a case."""
    case = services.warning_promote(actor=request.user, warning_id=warning_id)
    return {"warning": selectors.warning_get(request.user, warning_id), "case_id": case.pk}
