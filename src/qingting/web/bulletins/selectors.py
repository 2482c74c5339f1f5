"""Reads for bulletins and upward submissions (直报). Every function applies the one scoping rule.

``submission_counts`` is the contract the work report uses (docs/bulletins.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from qingting.web.accounts.models import Membership, Role, Unit, User
from qingting.web.accounts.selectors import scope, visible_unit_ids
from qingting.web.bulletins.models import Adoption, Bulletin, BulletinStatus, Submission


def bulletins_for(user: Any) -> QuerySet[Bulletin]:
    """Bulletins of the units the user may see (the unit and its descendants)."""
    return scope(Bulletin.objects.select_related("unit"), user, unit_field="unit")


def event_bulletins(user: Any, event_ids: Iterable[int]) -> QuerySet[Bulletin]:
    """Bulletins about these events (one story and the events merged into it) that ``user`` may see, newest first."""
    return bulletins_for(user).filter(events__in=list(event_ids)).distinct().order_by("-pk")


def bulletin_get(user: Any, pk: int) -> Bulletin:
    """One bulletin the user may see, else 404 (never 403: do not confirm that it exists)."""
    bulletin = bulletins_for(user).filter(pk=pk).first()
    if bulletin is None:
        raise Http404("no such bulletin")
    return bulletin


def awaiting_signoff(user: Any) -> QuerySet[Bulletin]:
    """Submitted bulletins addressed to the user, or in units where the user is a leader."""
    leader_paths = list(Membership.objects.filter(user=user, role=Role.LEADER).values_list("unit__path", flat=True))
    condition = Q(submitted_to=user)
    for path in leader_paths:
        condition |= Q(unit__path__startswith=path)
    if getattr(user, "is_superuser", False):
        condition = Q()
    return bulletins_for(user).filter(condition, status=BulletinStatus.SUBMITTED)


def leaders_for(unit: Unit) -> QuerySet[User]:
    """Users with the leader role on ``unit`` or one of its ancestors (who may sign it off)."""
    ancestor_ids = [int(pk) for pk in unit.path.strip("/").split("/") if pk]
    return (
        User.objects.filter(is_active=True, memberships__role=Role.LEADER, memberships__unit_id__in=ancestor_ids)
        .distinct()
        .order_by("username")
    )


def submissions_for(user: Any) -> QuerySet[Submission]:
    """Submissions sent from or to the units the user may see."""
    ids = visible_unit_ids(user)
    qs = Submission.objects.select_related("from_unit", "to_unit", "bulletin")
    if ids is None:
        return qs
    return qs.filter(Q(from_unit_id__in=ids) | Q(to_unit_id__in=ids))


def inbox_for(user: Any) -> QuerySet[Submission]:
    """Submissions received by units the user may see (the parent unit's inbox)."""
    return scope(Submission.objects.select_related("from_unit", "to_unit", "bulletin"), user, unit_field="to_unit")


def submission_get(user: Any, pk: int) -> Submission:
    submission = submissions_for(user).filter(pk=pk).first()
    if submission is None:
        raise Http404("no such submission")
    return submission


def _bound(value: date | datetime, *, end: bool) -> datetime:
    """A datetime stays as given; a date means its local day (the end date is inclusive)."""
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    day = value + timedelta(days=1) if end else value
    return timezone.make_aware(datetime.combine(day, time.min))


COUNT_KEYS = ("submitted", "adopted_full", "adopted_summary", "not_adopted", "pending")


def _counts(qs: QuerySet[Submission]) -> dict[str, int]:
    return qs.aggregate(
        submitted=Count("id"),
        adopted_full=Count("id", filter=Q(adoption=Adoption.FULL)),
        adopted_summary=Count("id", filter=Q(adoption=Adoption.SUMMARY)),
        not_adopted=Count("id", filter=Q(adoption=Adoption.NOT_ADOPTED)),
        pending=Count("id", filter=Q(adoption=Adoption.PENDING)),
    )


def submission_counts(unit_ids: Iterable[int], start: date | datetime, end: date | datetime) -> dict[str, int]:
    """直报 counts of submissions sent by ``unit_ids`` in the period (contract for the work report).

    ``start``/``end``: aware datetimes give the half-open interval [start, end); dates give whole
    local days, both inclusive. Returns ``submitted``, ``adopted_full`` (直报采用),
    ``adopted_summary`` (摘报采用), ``not_adopted`` (不采用) and ``pending`` (not decided yet).
    Pass the unit and its descendants to count a unit's whole tree; the caller scopes.

    >>> submission_counts([3, 4], date(2026, 1, 1), date(2026, 6, 30))  # doctest: +SKIP
    {'submitted': 5, 'adopted_full': 2, 'adopted_summary': 1, 'not_adopted': 1, 'pending': 1}
    """
    qs = Submission.objects.filter(
        from_unit_id__in=list(unit_ids),
        submitted_at__gte=_bound(start, end=False),
        submitted_at__lt=_bound(end, end=True),
    )
    return _counts(qs)


def submission_counts_by_unit(
    unit_ids: Iterable[int], start: date | datetime, end: date | datetime
) -> list[dict[str, Any]]:
    """Per sending unit: ``{"unit_id", "unit", <COUNT_KEYS>}``, units with submissions only, by name."""
    qs = Submission.objects.filter(
        from_unit_id__in=list(unit_ids),
        submitted_at__gte=_bound(start, end=False),
        submitted_at__lt=_bound(end, end=True),
    )
    rows = (
        qs.values("from_unit_id", "from_unit__name")
        .annotate(
            submitted=Count("id"),
            adopted_full=Count("id", filter=Q(adoption=Adoption.FULL)),
            adopted_summary=Count("id", filter=Q(adoption=Adoption.SUMMARY)),
            not_adopted=Count("id", filter=Q(adoption=Adoption.NOT_ADOPTED)),
            pending=Count("id", filter=Q(adoption=Adoption.PENDING)),
        )
        .order_by("from_unit__name")
    )
    return [
        {
            "unit_id": r["from_unit_id"],
            "unit": r["from_unit__name"],
            "submitted": r["submitted"],
            "adopted_full": r["adopted_full"],
            "adopted_summary": r["adopted_summary"],
            "not_adopted": r["not_adopted"],
            "pending": r["pending"],
        }  # the COUNT_KEYS, spelled out so that each is checked against the annotation above
        for r in rows
    ]


def bulletins_issued(unit_ids: Iterable[int], start: date | datetime, end: date | datetime) -> int:
    """How many bulletins the units issued in the period (same bounds as :func:`submission_counts`)."""
    return Bulletin.objects.filter(
        unit_id__in=list(unit_ids),
        status=BulletinStatus.ISSUED,
        issued_at__gte=_bound(start, end=False),
        issued_at__lt=_bound(end, end=True),
    ).count()


def bulletin_history(bulletin: Bulletin) -> list[Any]:
    """The bulletin's audit entries, oldest first (who did what, when, and why)."""
    from qingting.web.audit.models import AuditEntry

    return list(
        AuditEntry.objects.filter(object_type="bulletins.bulletin", object_id=str(bulletin.pk))
        .select_related("actor")
        .order_by("at", "id")
    )


def event_choices(user: Any, query: str = "", *, exclude: Iterable[int] = (), limit: int = 20) -> list[Any]:
    """Events the user may put in a bulletin, hottest first, optionally by a word of the title."""
    from qingting.web.monitoring.selectors import events_for

    qs = events_for(user).exclude(pk__in=list(exclude)).filter(retired=False)
    query = query.strip()
    if query:
        qs = qs.filter(Q(title__icontains=query) | Q(keywords__icontains=query))
    return list(qs.order_by("-heat", "-last_seen")[:limit])


def drafts_of(user: Any) -> QuerySet[Bulletin]:
    """Editable bulletins the user may see (to add an event to one)."""
    return bulletins_for(user).filter(status__in=[BulletinStatus.DRAFT, BulletinStatus.RETURNED])
