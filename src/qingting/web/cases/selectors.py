"""Reads about cases: what a user may see, queues, the rules in force, figures per unit and period.

Every page and API call reads cases through :func:`cases_for` (built on the one scoping rule in
:mod:`qingting.web.accounts.selectors`): a user sees the cases of their units and everything below
them, plus cases in which one of their units holds a joint task. Others answer 404.
"""

from __future__ import annotations

import statistics
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, F, Max, Q, QuerySet
from django.http import Http404

from qingting.core.cases import sla as core_sla
from qingting.core.cases.calendar import WorkingCalendar
from qingting.core.cases.workflow import Role as CoreRole
from qingting.web.accounts import selectors as account_selectors
from qingting.web.accounts.models import Membership, Unit
from qingting.web.cases.models import CalendarYear, Case, CaseContact, CaseTask, Category, SlaPolicy, Status

# --- who may do what --------------------------------------------------------------------------

ROLE_MAP: dict[str, frozenset[CoreRole]] = {
    "admin": frozenset({CoreRole.ADMIN, CoreRole.DISPATCHER}),
    "reviewer": frozenset({CoreRole.DISPATCHER}),  # 审核员/值班长: dispatches, returns, closes
    "leader": frozenset({CoreRole.LEADER}),  # 领导: 签批, returns, closes
    "handler": frozenset({CoreRole.HANDLER}),  # 承办人
    "analyst": frozenset({CoreRole.INTAKE}),  # 分析员: registers cases from what was heard
}
"""Platform roles (accounts.Role) → case roles (core workflow.Role). See decision 0051."""

SUPERUSER_ROLES = frozenset({CoreRole.ADMIN, CoreRole.DISPATCHER, CoreRole.LEADER})
CREATE_ROLES = frozenset({CoreRole.INTAKE, CoreRole.DISPATCHER, CoreRole.HANDLER, CoreRole.ADMIN})
CONTACT_ROLES = frozenset({CoreRole.HANDLER, CoreRole.DISPATCHER, CoreRole.ADMIN, CoreRole.LEADER})


def case_roles(user: Any, unit: Unit) -> frozenset[CoreRole]:
    """The case roles ``user`` holds on ``unit`` (through a membership on it or an ancestor).

    ``None`` (the system: timers, intake robots) holds :attr:`CoreRole.SYSTEM`.
    """
    if user is None:
        return frozenset({CoreRole.SYSTEM})
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return SUPERUSER_ROLES
    out: set[CoreRole] = set()
    for path, role in Membership.objects.filter(user=user).values_list("unit__path", "role"):
        if unit.path.startswith(path):
            out |= ROLE_MAP.get(role, frozenset())
    return frozenset(out)


# --- what a user sees -------------------------------------------------------------------------


def cases_for(user: Any) -> QuerySet[Case]:
    """Cases ``user`` may see: those of their units (and below), and those where one holds a joint task."""
    ids = account_selectors.visible_unit_ids(user)
    qs = Case.objects.all()
    if ids is None:
        return qs
    if not ids:
        return qs.none()
    return qs.filter(Q(unit_id__in=ids) | Q(pk__in=CaseTask.objects.filter(unit_id__in=ids).values("case_id")))


def case_get(user: Any, case_id: int) -> Case:
    """One case the user may see; ``Http404`` otherwise (never 403, so ids of others leak nothing)."""
    case = cases_for(user).select_related("unit", "assignee", "merged_into", "signed_off_by").filter(pk=case_id).first()
    if case is None:
        raise Http404("no such case")
    return case


def contact_visible(user: Any, case: Case) -> bool:
    """Whether ``user`` may see the citizen's contact details: handlers of the case's unit, its assignee."""
    if user is not None and case.assignee_id is not None and case.assignee_id == getattr(user, "pk", None):
        return True
    return bool(case_roles(user, case.unit) & CONTACT_ROLES)


def contact_for(user: Any, case: Case) -> CaseContact | None:
    """The contact if the user may see it (and there is one), else ``None``."""
    if not contact_visible(user, case):
        return None
    return CaseContact.objects.filter(case=case).first()


QUEUES = ("mine", "unit", "overdue", "all")


def queue(user: Any, kind: str, *, now: datetime, unit_id: int | None = None) -> QuerySet[Case]:
    """A work queue, most urgent first.

    * ``mine`` — open cases assigned to the user;
    * ``unit`` — open cases of the user's units (or of ``unit_id`` among them);
    * ``overdue`` — open cases past their next due time (paused cases are not overdue);
    * ``all`` — every case the user may see, newest first.
    """
    if kind not in QUEUES:
        raise ValueError(f"unknown queue {kind!r}; expected one of {', '.join(QUEUES)}")
    qs = cases_for(user)
    if unit_id is not None:
        qs = qs.filter(unit_id=unit_id)
    if kind == "mine":
        return qs.filter(is_open=True, assignee_id=getattr(user, "pk", None)).order_by(
            F("next_due").asc(nulls_last=True), "pk"
        )
    if kind == "unit":
        return qs.filter(is_open=True).order_by(F("next_due").asc(nulls_last=True), "pk")
    if kind == "overdue":
        return qs.filter(is_open=True, next_due__lt=now).order_by("next_due", "pk")
    return qs.order_by("-received_at", "-pk")


def queue_counts(user: Any, *, now: datetime) -> dict[str, int]:
    """How many cases each queue holds (for the navigation badges)."""
    qs = cases_for(user).filter(is_open=True)
    return qs.aggregate(
        mine=Count("pk", filter=Q(assignee_id=getattr(user, "pk", None))),
        unit=Count("pk"),
        overdue=Count("pk", filter=Q(next_due__lt=now)),
    )


# --- the rules in force (editable tables, cached per process) ----------------------------------

_cache_lock = threading.Lock()
_cache: dict[str, tuple[Any, Any]] = {}


def _cached(key: str, stamp: Any, build: Any) -> Any:
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
    value = build()
    with _cache_lock:
        _cache[key] = (stamp, value)
    return value


def working_calendar() -> WorkingCalendar:
    """The calendar from :class:`CalendarYear` rows (the package's years when the table is empty)."""
    stamp = tuple(CalendarYear.objects.aggregate(n=Count("pk"), t=Max("updated_at")).values())

    def build() -> WorkingCalendar:
        rows = list(CalendarYear.objects.values("year", "holidays", "workdays", "source"))
        if not rows:
            return WorkingCalendar.seeded()
        return WorkingCalendar.from_dict(
            {"years": {str(r["year"]): r for r in rows}},
            seed=False,
        )

    return _cached("calendar", stamp, build)  # type: ignore[no-any-return]


def sla_policies() -> tuple[core_sla.SlaPolicy, ...]:
    """The active policies in match order; the core defaults when none are stored.

    A catch-all fallback (the core ``default``) is appended when no stored policy matches everything.
    """
    stamp = tuple(SlaPolicy.objects.aggregate(n=Count("pk"), t=Max("updated_at")).values())

    def build() -> tuple[core_sla.SlaPolicy, ...]:
        rows = [p.as_dict() for p in SlaPolicy.objects.filter(is_active=True).order_by("order", "pk")]
        policies = core_sla.policies_from_list(rows) if rows else core_sla.DEFAULT_POLICIES
        if not any(not (p.categories or p.priorities or p.channels) for p in policies):
            policies = (*policies, core_sla.DEFAULT_POLICIES[-1])
        return policies

    return _cached("policies", stamp, build)  # type: ignore[no-any-return]


def category_requires_sign_off(code: str) -> bool:
    return Category.objects.filter(code=code, requires_sign_off=True).exists()


# --- figures per unit and period (办结率 etc.) -------------------------------------------------


@dataclass(frozen=True)
class CaseFigures:
    """Figures for a set of units over [start, end): see docs/cases.md "Metrics" for the formulas."""

    unit_id: int | None  # None: all the units asked for together
    received: int
    closed: int
    closed_of_received: int
    due: int
    closed_on_time: int
    open_at_end: int
    median_handling_hours: float | None

    @property
    def closure_rate(self) -> float | None:
        """办结率: received in the period and closed (or declined) before its end ÷ received."""
        return self.closed_of_received / self.received if self.received else None

    @property
    def on_time_rate(self) -> float | None:
        """按时办结率: due in the period and closed by the due time ÷ due in the period."""
        return self.closed_on_time / self.due if self.due else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit_id": self.unit_id,
            "received": self.received,
            "closed": self.closed,
            "closed_of_received": self.closed_of_received,
            "due": self.due,
            "closed_on_time": self.closed_on_time,
            "open_at_end": self.open_at_end,
            "closure_rate": self.closure_rate,
            "on_time_rate": self.on_time_rate,
            "median_handling_hours": self.median_handling_hours,
        }


def with_descendants(unit_ids: Iterable[int]) -> list[int]:
    """The units and everything below them."""
    paths = list(Unit.objects.filter(pk__in=list(unit_ids)).values_list("path", flat=True))
    if not paths:
        return []
    cond = Q()
    for p in paths:
        cond |= Q(path__startswith=p)
    return list(Unit.objects.filter(cond).values_list("pk", flat=True))


_DONE = [Status.CLOSED.value, Status.NOT_RESPONSIBLE.value]


def _figures(qs: QuerySet[Case], start: datetime, end: datetime, group: bool) -> dict[int | None, CaseFigures]:
    counted = qs.exclude(status=Status.DUPLICATE)
    received = Q(received_at__gte=start, received_at__lt=end)
    done_before_end = Q(status__in=_DONE, closed_at__lt=end)
    aggregates = {
        "received": Count("pk", filter=received),
        "closed": Count("pk", filter=Q(status__in=_DONE, closed_at__gte=start, closed_at__lt=end)),
        "closed_of_received": Count("pk", filter=received & done_before_end),
        "due": Count("pk", filter=Q(close_due__gte=start, close_due__lt=end) & ~Q(status=Status.NOT_RESPONSIBLE)),
        "closed_on_time": Count(
            "pk",
            filter=Q(close_due__gte=start, close_due__lt=end, status=Status.CLOSED, closed_at__lte=F("close_due")),
        ),
        "open_at_end": Count("pk", filter=Q(received_at__lt=end) & ~done_before_end),
    }
    rows: list[dict[str, Any]]
    if group:
        rows = list(counted.values("unit_id").order_by("unit_id").annotate(**aggregates))
    else:
        rows = [{"unit_id": None, **counted.aggregate(**aggregates)}]
    handled = counted.filter(status=Status.CLOSED, closed_at__gte=start, closed_at__lt=end)
    durations: dict[int | None, list[float]] = {}
    for unit_id, received_at, closed_at in handled.values_list("unit_id", "received_at", "closed_at"):
        durations.setdefault(unit_id if group else None, []).append((closed_at - received_at) / timedelta(hours=1))
    out: dict[int | None, CaseFigures] = {}
    for r in rows:
        key = r["unit_id"]
        d = durations.get(key)
        out[key] = CaseFigures(
            unit_id=key,
            received=r["received"],
            closed=r["closed"],
            closed_of_received=r["closed_of_received"],
            due=r["due"],
            closed_on_time=r["closed_on_time"],
            open_at_end=r["open_at_end"],
            median_handling_hours=statistics.median(d) if d else None,
        )
    return out


def _bounds(start: datetime | date, end: datetime | date) -> tuple[datetime, datetime]:
    from qingting.core.cases.calendar import CHINA_TZ

    def as_dt(x: datetime | date) -> datetime:
        if isinstance(x, datetime):
            return x
        return datetime(x.year, x.month, x.day, tzinfo=CHINA_TZ)

    s, e = as_dt(start), as_dt(end)
    if e <= s:
        raise ValueError("end must be after start")
    return s, e


def case_figures(unit_ids: Iterable[int], start: datetime | date, end: datetime | date) -> CaseFigures:
    """Figures over [start, end) for the cases of ``unit_ids`` **and their descendants**, together.

    Dates are taken as midnight China time. Example::

        case_figures([office.pk], date(2026, 10, 1), date(2026, 11, 1)).closure_rate
    """
    s, e = _bounds(start, end)
    ids = with_descendants(unit_ids)
    return _figures(Case.objects.filter(unit_id__in=ids), s, e, group=False)[None]


def unit_figures(unit_ids: Iterable[int], start: datetime | date, end: datetime | date) -> dict[int, CaseFigures]:
    """Per-unit figures (keyed by the case's own unit) over ``unit_ids`` and their descendants."""
    s, e = _bounds(start, end)
    ids = with_descendants(unit_ids)
    grouped = _figures(Case.objects.filter(unit_id__in=ids), s, e, group=True)
    return {k: v for k, v in grouped.items() if k is not None}


def case_timeline(case: Case) -> QuerySet[Any]:
    """The case's audit trail, oldest first (for the timeline on the case page)."""
    return case.actions.select_related("actor").order_by("pk")


def sla_status(case: Case, *, now: datetime) -> core_sla.SlaStatus:
    """The case's SLA evaluated at ``now`` (the current cycle's clock)."""
    from qingting.web.cases.services import clock_events

    policy = next((p for p in sla_policies() if p.name == case.sla_policy), None)
    if policy is None:
        policy = core_sla.match_policy(
            sla_policies(), category=case.category, priority=case.priority, channel=case.channel
        )
    return core_sla.compute_sla(policy, clock_events(case), working_calendar(), now=now)
