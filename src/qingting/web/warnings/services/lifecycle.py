"""A warning's life after it is raised: people acknowledge, dismiss or promote it; quiet hours
release it; unacknowledged ones escalate down the duty list."""

from __future__ import annotations

import importlib
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from qingting.core.warnings import WarningPolicy
from qingting.web.accounts.selectors import has_role, visible_unit_ids
from qingting.web.audit.services import audit_record
from qingting.web.warnings.models import (
    OPEN_STATUSES,
    NotificationKind,
    Warning,
    WarningKind,
    WarningSeen,
    WarningStatus,
)
from qingting.web.warnings.policy import policy_for, to_core_tier
from qingting.web.warnings.services.evaluation import _duty
from qingting.web.warnings.services.outbox import _enqueue, _person_channels, _queue_warning, warning_message
from qingting.web.warnings.services.times import _ts

HANDLE_ROLES: set[str] = {"admin", "analyst", "handler", "leader"}  # who may act on a warning


# --- people acting on warnings ------------------------------------------------------------------


def _get_for(actor: Any, warning_id: int, *, lock: bool = True) -> Warning:
    qs = Warning.objects.select_related("unit", "scheme", "event")
    if lock:
        qs = qs.select_for_update(of=("self",))
    w = qs.filter(pk=warning_id).first()
    seen = visible_unit_ids(actor)
    if w is None or (seen is not None and w.unit_id not in seen):
        from django.http import Http404

        raise Http404("no such warning")
    if not has_role(actor, w.unit, HANDLE_ROLES):
        raise PermissionDenied("your role does not allow acting on warnings")
    return w


def _need_status(w: Warning, verb: str, *allowed: Any) -> None:
    if w.status not in allowed:
        raise ValidationError(f"cannot {verb} a warning that is {w.get_status_display()}", code="status")


@transaction.atomic
def warning_acknowledge(*, actor: Any, warning_id: int, now: datetime | None = None) -> Warning:
    """Someone has seen it and takes care of it: stops escalation."""
    now = now or timezone.now()
    w = _get_for(actor, warning_id)
    _need_status(w, "acknowledge", "new")
    w.status, w.acknowledged_by, w.acknowledged_at = WarningStatus.ACKNOWLEDGED, actor, now
    w.save(update_fields=["status", "acknowledged_by", "acknowledged_at"])
    audit_record(actor=actor, action="warning.acknowledge", obj=w, old={"status": "new"}, new={"status": w.status})
    return w


@transaction.atomic
def warning_dismiss(*, actor: Any, warning_id: int, reason: str, now: datetime | None = None) -> Warning:
    """Close it as needing no action; a reason is required (it teaches the thresholds)."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "dismissing a warning needs a reason"})
    w = _get_for(actor, warning_id)
    _need_status(w, "dismiss", "new", "acknowledged")
    old = w.status
    w.status, w.dismiss_reason, w.closed_at = WarningStatus.DISMISSED, reason[:2000], now
    w.save(update_fields=["status", "dismiss_reason", "closed_at"])
    audit_record(
        actor=actor, action="warning.dismiss", obj=w, old={"status": old}, new={"status": w.status}, reason=reason
    )
    return w


@transaction.atomic
def warning_promote(*, actor: Any, warning_id: int, now: datetime | None = None) -> Any:
    """Turn the warning into a case (事件处置) of its unit; returns the case."""
    now = now or timezone.now()
    w = _get_for(actor, warning_id)
    _need_status(w, "promote", "new", "acknowledged")
    try:
        cases: Any = importlib.import_module("qingting.web.cases.services")
    except ImportError as exc:  # pragma: no cover - until cases-core is merged
        raise ValidationError("cases are not available in this installation") from exc
    case = cases.case_create(
        actor=actor,
        unit=w.unit,
        channel="online",  # 网络舆情
        category="opinion",
        summary=f"{w.title}"[:300],
        description=f"{to_core_tier(w.tier).label_zh}：{w.reason}\n{w.reason_en}",
        priority={1: "urgent", 2: "high"}.get(w.tier, "normal"),
        event=w.event,
        origin_kind="warning",
        origin_id=w.pk,
    )
    old = w.status
    w.status, w.case_id, w.closed_at = WarningStatus.PROMOTED, case.pk, now
    w.save(update_fields=["status", "case_id", "closed_at"])
    audit_record(
        actor=actor, action="warning.promote", obj=w, old={"status": old}, new={"status": w.status, "case": case.pk}
    )
    return case


def warning_mark_seen(*, user: Any, warning: Warning, now: datetime | None = None) -> None:
    """Note that ``user`` opened ``warning`` (the unread badge counts the rest)."""
    if not getattr(user, "is_authenticated", False):
        return
    try:
        with transaction.atomic():
            WarningSeen.objects.get_or_create(user=user, warning=warning, defaults={"at": now or timezone.now()})
    except IntegrityError:  # opened twice at once
        pass


# --- periodic jobs ------------------------------------------------------------------------------


def quiet_release(now: datetime | None = None) -> int:
    """Announce the warnings quiet hours held back, once their scheme's quiet hours are over."""
    now = now or timezone.now()
    released = 0
    policies: dict[int, WarningPolicy] = {}
    for w in Warning.objects.filter(held=True, status__in=OPEN_STATUSES).select_related("scheme__unit"):
        if w.scheme is None:
            continue
        policy = policies.get(w.scheme.pk) or policies.setdefault(w.scheme.pk, policy_for(w.scheme))
        if policy.is_quiet(_ts(now)):
            continue
        with transaction.atomic():
            if Warning.objects.filter(pk=w.pk, held=True).update(held=False, last_escalated_at=now):
                _queue_warning(w, now)
                released += 1
    return released


def _timeout(policy: WarningPolicy, tier: int) -> float | None:
    return policy.ack_timeouts.get(to_core_tier(tier))


def escalate_due(now: datetime | None = None) -> int:
    """Pass each overdue unacknowledged warning to the next person on its unit's duty list."""
    now = now or timezone.now()
    n = 0
    policies: dict[int, WarningPolicy] = {}
    candidates = Warning.objects.filter(status=WarningStatus.NEW, held=False, kind=WarningKind.EVENT).select_related(
        "scheme__unit", "unit"
    )
    for w in candidates:
        if w.scheme is None:  # an event warning always has its scheme (set when it is raised)
            continue
        policy = policies.get(w.scheme.pk) or policies.setdefault(w.scheme.pk, policy_for(w.scheme))
        timeout = _timeout(policy, w.tier)
        since = w.last_escalated_at or w.raised_at
        if timeout is None or (now - since).total_seconds() < timeout:
            continue
        duty = _duty(w.unit, now)
        nxt = w.escalation_level + 1
        if nxt >= len(duty):
            continue
        person = duty[nxt]
        with transaction.atomic():
            took = Warning.objects.filter(
                pk=w.pk, status=WarningStatus.NEW, escalation_level=w.escalation_level
            ).update(escalation_level=nxt, assignee=person, last_escalated_at=now)
            if not took:
                continue  # someone acknowledged it, or another worker escalated it
            audit_record(
                actor=None, action="warning.escalate", obj=w,
                old={"level": w.escalation_level, "assignee": w.assignee_id}, new={"level": nxt, "assignee": person.pk},
            )  # fmt: skip
            w.escalation_level, w.assignee = nxt, person
            message = warning_message(w, prefix="【升级提醒 Escalated】")
            channels = _person_channels(person, w.unit)
            for channel in channels:
                _enqueue(
                    kind=NotificationKind.ESCALATION, channel=channel, message=message, key=f"e{w.pk}.{nxt}",
                    now=now, warning=w, user=person,
                )  # fmt: skip
            n += 1
    return n
