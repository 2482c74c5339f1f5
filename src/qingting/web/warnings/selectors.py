"""Reads for warnings, always scoped to what the user may see."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
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


def event_warnings(user: Any, event_ids: Iterable[int]) -> QuerySet[Warning]:
    """Warnings about these events (one story and the events merged into it) that ``user`` may
    see: unhandled first, then by tier and time (the triage order)."""
    return (
        warnings_for(user)
        .filter(kind=WarningKind.EVENT, event_id__in=list(event_ids))
        .annotate(state_rank=_STATE_RANK)
        .order_by("state_rank", "tier", "-raised_at")
    )


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


def standing_duty_list(unit: Any) -> list[Any]:
    """The standing duty list (值班表 escalation order) of ``unit`` or its nearest ancestor with one."""
    from qingting.web.warnings.models import DutyMember

    ids = [int(p) for p in unit.path.strip("/").split("/") if p.isdigit()] or [unit.pk]
    members = list(DutyMember.objects.filter(unit_id__in=ids).select_related("user").order_by("position"))
    for unit_id in reversed(ids):
        users = [m.user for m in members if m.unit_id == unit_id and m.user.is_active]
        if users:
            return users
    return []


def key_days(unit_ids: Iterable[int], first: date, last: date) -> dict[int, dict[date, str]]:
    """Key dates (敏感节点) that ask for a 24-hour watch, per unit: ``{unit_id: {day: label}}``.

    A yearly key date (``annual``) repeats on the same month and day every year. Only the given
    units' own key dates are returned; the caller adds ancestors' when they apply downwards.
    """
    from qingting.web.warnings.models import KeyDate

    out: dict[int, dict[date, str]] = {}
    for kd in KeyDate.objects.filter(unit_id__in=list(unit_ids), watch_24h=True):
        years = range(first.year, last.year + 1) if kd.annual else [None]
        for year in years:
            start, end = kd.start, kd.end
            if year is not None:
                try:
                    start, end = start.replace(year=year), end.replace(year=year + (end.year - start.year))
                except ValueError:  # 29 February in a common year
                    continue
            d = max(start, first)
            while d <= min(end, last):
                out.setdefault(kd.unit_id, {})[d] = kd.label
                d += timedelta(days=1)
    return out


def response_hours(unit_ids: Iterable[int], start: datetime, end: datetime) -> dict[int, list[float]]:
    """Hours from raising to the first response (acknowledged, promoted or dismissed) of the event
    warnings raised in ``[start, end)``, per unit. Warnings still unanswered are left out (the
    caller counts them with :func:`unanswered_counts`)."""
    out: dict[int, list[float]] = {}
    rows = (
        Warning.objects.filter(unit_id__in=list(unit_ids), raised_at__gte=start, raised_at__lt=end, kind="event")
        .exclude(status="superseded", acknowledged_at__isnull=True)
        .values_list("unit_id", "raised_at", "acknowledged_at", "closed_at", "status")
    )
    for unit_id, raised, acked, closed, status in rows:
        answered = acked or (closed if status in ("promoted", "dismissed") else None)
        if answered is not None:
            out.setdefault(unit_id, []).append(max(0.0, (answered - raised).total_seconds() / 3600))
    return out
