"""Reads for warnings, always scoped to what the user may see."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Case, Count, IntegerField, QuerySet, Value, When
from django.http import Http404

from qingting.web.accounts.selectors import scope
from qingting.web.audit.models import AuditEntry
from qingting.web.warnings.models import OPEN_STATUSES, Warning, WarningKind, WarningSeen, WarningStatus

# Triage order: what still needs someone first (new, then acknowledged), then the closed ones.
_STATE_RANK = Case(
    When(status=WarningStatus.NEW, then=Value(0)),
    When(status=WarningStatus.ACKNOWLEDGED, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def warnings_for(user: Any) -> QuerySet[Warning]:
    """The warnings of the units ``user`` sees, newest first."""
    return scope(Warning.objects.all(), user).select_related("scheme", "event", "source", "unit", "assignee")


def warning_list(
    user: Any,
    *,
    tier: int | None = None,
    status: str | None = None,
    scheme_id: int | None = None,
    kind: str | None = None,
) -> QuerySet[Warning]:
    """Warnings in triage order: unhandled first, the most severe tier (Ⅰ) first, then the newest.

    ``kind`` narrows to content warnings (``event``) or source-health warnings (``source``).
    """
    qs = warnings_for(user)
    if kind:
        qs = qs.filter(kind=kind)
    if tier:
        qs = qs.filter(tier=tier)
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if scheme_id:
        qs = qs.filter(scheme_id=scheme_id)
    return qs.annotate(state_rank=_STATE_RANK).order_by("state_rank", "tier", "-raised_at", "-pk")


def warning_get(user: Any, warning_id: int) -> Warning:
    w = warnings_for(user).filter(pk=warning_id).first()
    if w is None:
        raise Http404("no such warning")
    return w


def warning_history(w: Warning) -> list[AuditEntry]:
    """The warning's audit trail (raised, acknowledged, escalated, dismissed …), oldest first."""
    return list(AuditEntry.objects.filter(object_type="warnings.warning", object_id=str(w.pk)).order_by("at", "pk"))


def unread_count(user: Any, *, kind: str = WarningKind.EVENT) -> int:
    """Open warnings of ``kind`` in the user's units that the user has not opened yet.

    The nav badge counts content warnings only; source-health warnings have their own tab.
    """
    if not getattr(user, "is_authenticated", False):
        return 0
    seen = WarningSeen.objects.filter(user=user).values("warning_id")
    return warnings_for(user).filter(kind=kind, status__in=OPEN_STATUSES).exclude(pk__in=seen).count()


def open_counts_by_kind(user: Any) -> dict[str, int]:
    """Open warnings per kind in the user's units (the tabs of the warnings list)."""
    rows = warnings_for(user).filter(status__in=OPEN_STATUSES).values("kind").annotate(n=Count("pk"))
    out = {k: 0 for k in WarningKind.values}
    for row in rows:
        out[row["kind"]] = row["n"]
    return out


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
