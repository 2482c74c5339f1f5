"""Reads for warnings, always scoped to what the user may see."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Count, QuerySet
from django.http import Http404

from qingting.web.accounts.selectors import scope
from qingting.web.audit.models import AuditEntry
from qingting.web.warnings.models import OPEN_STATUSES, Warning, WarningSeen


def warnings_for(user: Any) -> QuerySet[Warning]:
    """The warnings of the units ``user`` sees, newest first."""
    return scope(Warning.objects.all(), user).select_related("scheme", "event", "source", "unit", "assignee")


def warning_list(
    user: Any, *, tier: int | None = None, status: str | None = None, scheme_id: int | None = None
) -> QuerySet[Warning]:
    qs = warnings_for(user)
    if tier:
        qs = qs.filter(tier=tier)
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if scheme_id:
        qs = qs.filter(scheme_id=scheme_id)
    return qs.order_by("-raised_at", "-pk")


def warning_get(user: Any, warning_id: int) -> Warning:
    w = warnings_for(user).filter(pk=warning_id).first()
    if w is None:
        raise Http404("no such warning")
    return w


def warning_history(w: Warning) -> list[AuditEntry]:
    """The warning's audit trail (raised, acknowledged, escalated, dismissed …), oldest first."""
    return list(AuditEntry.objects.filter(object_type="warnings.warning", object_id=str(w.pk)).order_by("at", "pk"))


def unread_count(user: Any) -> int:
    """Open warnings in the user's units that the user has not opened yet."""
    if not getattr(user, "is_authenticated", False):
        return 0
    seen = WarningSeen.objects.filter(user=user).values("warning_id")
    return warnings_for(user).filter(status__in=OPEN_STATUSES).exclude(pk__in=seen).count()


def warning_counts(unit_ids: Iterable[int], start: datetime, end: datetime) -> dict[int, int]:
    """Warnings raised in ``[start, end)`` in the given units, by tier (4 = Ⅳ … 1 = Ⅰ)."""
    rows = (
        Warning.objects.filter(unit_id__in=list(unit_ids), raised_at__gte=start, raised_at__lt=end)
        .values("tier")
        .annotate(n=Count("pk"))
    )
    out = {t: 0 for t in (4, 3, 2, 1)}
    for row in rows:
        out[row["tier"]] = row["n"]
    return out
