"""Warnings about the platform's own inputs: a source that stopped working, an own channel going silent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction

from qingting.web.accounts.models import Unit
from qingting.web.audit.services import audit_record
from qingting.web.monitoring.models import Source
from qingting.web.warnings.models import OPEN_STATUSES, Warning, WarningKind
from qingting.web.warnings.services.outbox import _queue_warning, people_notify, warning_message


def source_warning_raise(*, source: Source, reason: str, now: datetime) -> Warning | None:
    """A Ⅳ (blue) warning that a source stopped working; ``None`` if one is already open for it."""
    with transaction.atomic():
        Source.objects.select_for_update().filter(pk=source.pk).first()
        if Warning.objects.filter(source=source, kind=WarningKind.SOURCE, status__in=OPEN_STATUSES).exists():
            return None
        w = Warning.objects.create(
            unit_id=source.unit_id,
            kind=WarningKind.SOURCE,
            source=source,
            tier=4,
            title=f"信息源异常：{source.name}"[:300],
            reason=reason,
            reason_en=reason,
            raised_at=now,
            observed_at=now,
            last_escalated_at=now,
        )
        audit_record(actor=None, action="warning.raise", obj=w, new={"tier": 4, "source": source.pk, "reason": reason})
        _queue_warning(w, now)
        return w


def channel_warning_raise(
    *, unit: Unit, channel_id: int, title: str, reason: str, reason_en: str, people: Sequence[Any], now: datetime
) -> Warning | None:
    """A Ⅳ (blue) warning that one of the organisation's own channels is going silent.

    It reaches the warnings' subscribers and, through the same outbox, the channel's owners
    (``people``: its operator, reviewer and the unit's administrators). ``None`` when one is
    already open for the channel: one warning per silence, not one per day.
    """
    with transaction.atomic():
        Unit.objects.select_for_update().filter(pk=unit.pk).first()
        open_ = Warning.objects.filter(kind=WarningKind.CHANNEL, unit=unit, status__in=OPEN_STATUSES)
        if any(int(w.figures.get("channel", 0)) == channel_id for w in open_.only("figures")):
            return None
        w = Warning.objects.create(
            unit=unit,
            kind=WarningKind.CHANNEL,
            tier=4,
            title=title[:300],
            reason=reason,
            reason_en=reason_en,
            figures={"channel": channel_id},
            raised_at=now,
            observed_at=now,
            last_escalated_at=now,
        )
        audit_record(
            actor=None, action="warning.raise", obj=w, new={"tier": 4, "channel": channel_id, "reason": reason}
        )
        _queue_warning(w, now)
        message = warning_message(w)
        people_notify(users=people, unit=unit, message=message, key=f"w{w.pk}.owner", now=now, kind="warning")
        return w
