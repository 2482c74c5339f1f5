"""Periodic case jobs: a reminder at 75 % of each time limit, an escalation at breach — each once.

Registered in :class:`qingting.web.cases.apps.CasesConfig.ready` and run by both the embedded
scheduler and Celery beat. Safe to run late, twice or concurrently: each alert is claimed by
inserting a :class:`~qingting.web.cases.models.CaseAlert` row (unique per case, kind, stage and
cycle), so a second runner finds it taken and sends nothing.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from qingting.core.cases import sla as core_sla
from qingting.core.cases.calendar import CHINA_TZ
from qingting.web.audit.selectors import current_correlation_id
from qingting.web.cases import selectors
from qingting.web.cases.models import Case, CaseAction, CaseAlert, UnitProfile

log = logging.getLogger("qingting.cases")

BATCH = 500
_AFTER_DUE = timedelta(seconds=1)


@dataclass(frozen=True)
class Alert:
    """What a notification hook receives."""

    case_id: int
    number: str
    unit_id: int
    unit_name: str
    kind: str  # "remind" or "escalate"
    stage: str  # acknowledge / answer / close
    due: datetime
    summary: str


AlertHook = Callable[[Alert], Any]
hooks: list[AlertHook] = []
"""Extra notification hooks (called after commit, one call per alert). E-mail is built in."""


def _email_hook(alert: Alert) -> None:
    """E-mail the unit's notification address, when it has one and SMTP is configured."""
    address = UnitProfile.objects.filter(unit_id=alert.unit_id).values_list("email", flat=True).first()
    host = getattr(settings, "EMAIL_HOST", "")
    if not address or not host:
        return
    from qingting.notify import EmailChannel, Message

    verb_zh = "即将到期" if alert.kind == "remind" else "已超期"
    verb_en = "is due soon" if alert.kind == "remind" else "is overdue"
    due = alert.due.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
    message = Message(
        title=f"{alert.number} {verb_zh}",
        text_zh=f"案件 {alert.number}（{alert.summary}）{alert.stage} 时限 {due} {verb_zh}。",
        text_en=f"Case {alert.number} ({alert.summary}): the {alert.stage} limit {due} {verb_en}.",
    )
    channel = EmailChannel(
        host=host,
        port=int(getattr(settings, "EMAIL_PORT", 25)),
        sender=getattr(settings, "DEFAULT_FROM_EMAIL", "qingting@localhost"),
        recipients=[address],
        username=getattr(settings, "EMAIL_HOST_USER", ""),
        password=getattr(settings, "EMAIL_HOST_PASSWORD", ""),
        starttls=bool(getattr(settings, "EMAIL_USE_TLS", False)),
        use_ssl=bool(getattr(settings, "EMAIL_USE_SSL", False)),
        allow_hosts=frozenset({host.strip().lower()}),  # the operator's own mail server, from settings
    )
    result = channel.send(message)
    if not result.ok:
        log.warning("case alert e-mail for %s failed: %s", alert.number, result.error)


def _notify(alert: Alert) -> None:
    for hook in [_email_hook, *hooks]:
        try:
            hook(alert)
        except Exception:  # a hook failing must not stop the others or the job
            log.exception("case alert hook %r failed for %s", hook, alert.number)


def _next_alert(status: core_sla.SlaStatus, now: datetime) -> datetime | None:
    """The next instant after ``now`` at which some unmet target needs a reminder or escalation."""
    points = []
    for t in status.targets:
        if t.due is None or t.on_time is not None or t.state is core_sla.ClockState.PAUSED:
            continue
        if t.remind_at is not None and t.remind_at > now:
            points.append(t.remind_at)
        elif t.due.due + _AFTER_DUE > now:
            points.append(t.due.due + _AFTER_DUE)  # breached only once past the due instant
    return min(points) if points else None


def _process(case: Case, now: datetime) -> list[Alert]:
    status = selectors.sla_status(case, now=now)
    sent: list[Alert] = []
    wanted = [("remind", s) for s in status.reminders] + [("escalate", s) for s in status.breached]
    for kind, stage in wanted:
        try:
            with transaction.atomic():
                CaseAlert.objects.create(case=case, kind=kind, stage=stage.value, cycle=case.reopen_count, at=now)
        except IntegrityError:
            continue  # sent before (or by a concurrent runner)
        due = status.target(stage).due
        assert due is not None
        CaseAction.objects.create(
            case=case,
            version=None,
            actor=None,
            actor_label="system",
            action=kind,
            old_state=case.status,
            new_state=case.status,
            old=None,
            new={"stage": stage.value, "due": due.due.isoformat()},
            reason="",
            correlation_id=current_correlation_id() or f"job-{now:%Y%m%d%H%M%S}",
            at=now,
        )
        sent.append(Alert(case.pk, case.number, case.unit_id, case.unit.name, kind, stage.value, due.due, case.summary))
    Case.objects.filter(pk=case.pk).update(next_alert_at=_next_alert(status, now))
    return sent


def deadline_alerts(now: datetime) -> int:
    """Send due reminders (75 %) and escalations (breach); returns how many were sent."""
    total = 0
    while True:
        with transaction.atomic():
            qs = Case.objects.select_related("unit").filter(
                is_open__in=[True], next_alert_at__lte=now
            )  # IN: an index seek on SQLite
            if connection.features.has_select_for_update_skip_locked:
                qs = qs.select_for_update(skip_locked=True, of=("self",))
            batch = list(qs.order_by("next_alert_at", "pk")[:BATCH])
            alerts: list[Alert] = []
            for case in batch:
                alerts.extend(_process(case, now))
            for alert in alerts:
                transaction.on_commit(functools.partial(_notify, alert))
        total += len(alerts)
        if len(batch) < BATCH:
            return total
