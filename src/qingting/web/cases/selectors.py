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
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Count, F, FloatField, Func, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.http import Http404

from qingting.core.cases import sla as core_sla
from qingting.core.cases.calendar import WorkingCalendar
from qingting.core.cases.workflow import Role as CoreRole
from qingting.web.accounts import selectors as account_selectors
from qingting.web.accounts.models import Membership, Unit
from qingting.web.cases.models import (
    CalendarYear,
    Case,
    CaseContact,
    CaseReply,
    CaseTask,
    Category,
    ReplyKind,
    SlaPolicy,
)

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler

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
    # Joint tasks are few: fetch their case ids so the main query stays a plain indexed IN.
    tasked = list(
        CaseTask.objects.filter(unit_id__in=ids).exclude(case__unit_id__in=ids).values_list("case_id", flat=True)
    )
    if tasked:
        return qs.filter(Q(unit_id__in=ids) | Q(pk__in=tasked))
    return qs.filter(unit_id__in=ids)


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


NOTE_ROLES = frozenset({CoreRole.HANDLER, CoreRole.DISPATCHER, CoreRole.ADMIN, CoreRole.LEADER})


def task_unit_handler(user: Any, case: Case) -> bool:
    """Whether ``user`` handles one of ``case``'s joint-task units (may read and write its notes)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    for task in CaseTask.objects.filter(case=case).select_related("unit"):
        if case_roles(user, task.unit) & NOTE_ROLES:
            return True
    return False


def notes_visible(user: Any, case: Case) -> bool:
    """Whether ``user`` may read the case's internal notes — the one rule pages and API share.

    The case's handlers (its assignee; a handler, reviewer, leader or admin of its unit or above) and
    the handlers of its joint-task units (decision 0059). Analysts, and anyone who only sees the case
    through a joint task of an analyst's unit, read the public replies only.
    """
    return contact_visible(user, case) or task_unit_handler(user, case)


def case_replies(user: Any, case: Case) -> QuerySet[CaseReply]:
    """The replies of ``case`` that ``user`` may read, oldest first: internal notes only for those
    :func:`notes_visible` allows."""
    qs = CaseReply.objects.filter(case=case).select_related("author").order_by("created_at", "pk")
    if not notes_visible(user, case):
        qs = qs.filter(kind=ReplyKind.PUBLIC)
    return qs


def event_cases(user: Any, event_ids: Iterable[int]) -> QuerySet[Case]:
    """Cases about these events (one story and the events merged into it) that ``user`` may see, newest first."""
    return cases_for(user).filter(event_id__in=list(event_ids)).select_related("unit").order_by("-received_at", "-pk")


def first_public_reply(user: Any, event_ids: Iterable[int]) -> tuple[datetime, Case, str] | None:
    """The first public reply (答复) on a case about these events that ``user`` may see:
    (when, the case, the reply's text). Internal notes never count."""
    reply = (
        CaseReply.objects.filter(kind=ReplyKind.PUBLIC, case__in=event_cases(user, event_ids).values("pk"))
        .select_related("case")
        .order_by("created_at", "pk")
        .first()
    )
    return None if reply is None else (reply.created_at, reply.case, reply.body)


def allowed_actions_for(user: Any, case: Case) -> list[str]:
    """The actions ``user`` could take on ``case`` now (for buttons; ``case_act`` still checks).

    From the transition table and the user's roles, plus ``extend``/``add_task``/``complete_task``
    on open cases where the roles allow. Sign-off and joint-task conditions are checked on submit.
    """
    from qingting.core.cases.workflow import CaseSnapshot, CaseState, allowed_actions

    roles = case_roles(user, case.unit)
    snapshot = CaseSnapshot(state=CaseState(case.status), closed_at=case.closed_at, version=case.version)
    out = [a.value for a in allowed_actions(snapshot, roles)]
    if case.is_open:
        if roles & {CoreRole.DISPATCHER, CoreRole.ADMIN, CoreRole.LEADER}:
            out.append("extend")
        if roles & {CoreRole.DISPATCHER, CoreRole.ADMIN}:
            out.append("add_task")
        if case.tasks.filter(done_at__isnull=True).exists():
            out.append("complete_task")
    return out


def contact_for(user: Any, case: Case) -> CaseContact | None:
    """The contact if the user may see it (and there is one), else ``None``."""
    if not contact_visible(user, case):
        return None
    return CaseContact.objects.filter(case=case).first()


QUEUES = ("mine", "unit", "overdue", "all")

OPEN = [True]
"""``is_open__in=OPEN`` rather than ``is_open=True``: SQLite then compares ``is_open IN (1)`` and can
seek the (unit, is_open, …) indexes instead of skip-scanning them."""


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
        return qs.filter(is_open__in=OPEN, assignee_id=getattr(user, "pk", None)).order_by(
            F("next_due").asc(nulls_last=True), "pk"
        )
    if kind == "unit":
        return qs.filter(is_open__in=OPEN).order_by(F("next_due").asc(nulls_last=True), "pk")
    if kind == "overdue":
        return qs.filter(is_open__in=OPEN, next_due__lt=now).order_by("next_due", "pk")
    return qs.order_by("-received_at", "-pk")


def page(qs: QuerySet[Case], *, limit: int, offset: int = 0) -> tuple[list[Case], int]:
    """One page of an ordered case queryset and the total count.

    The page's ids are found first (the ordering walks an index and never reads the wide rows),
    then only those rows are fetched — the difference between ~500 ms and ~30 ms at 100,000 cases.
    """
    if limit < 1 or offset < 0:
        raise ValueError("limit must be >= 1 and offset >= 0")
    count = qs.count()
    ids = list(qs.values_list("pk", flat=True)[offset : offset + limit])
    rows = {c.pk: c for c in Case.objects.filter(pk__in=ids).select_related("unit")}
    return [rows[i] for i in ids if i in rows], count


def queue_counts(user: Any, *, now: datetime) -> dict[str, int]:
    """How many cases each queue holds (for the navigation badges)."""
    qs = cases_for(user).filter(is_open__in=OPEN)
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


def rules() -> tuple[tuple[core_sla.SlaPolicy, ...], WorkingCalendar]:
    """The SLA policies (match order) and the working-day calendar in force — one query when unchanged.

    Both are cached per process and rebuilt when a row of their table is added, removed or saved
    (the admin saves; a bare ``QuerySet.update`` does not move ``updated_at`` and is seen only at
    the next save). No stored policies: the core defaults; no stored years: the package's years.
    A catch-all fallback (the core ``default``) is appended when no stored policy matches everything.
    """
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT (SELECT COUNT(*) FROM cases_slapolicy), (SELECT MAX(updated_at) FROM cases_slapolicy),"
            " (SELECT COUNT(*) FROM cases_calendaryear), (SELECT MAX(updated_at) FROM cases_calendaryear)"
        )
        p_n, p_t, c_n, c_t = cur.fetchone()

    def build_policies() -> tuple[core_sla.SlaPolicy, ...]:
        rows = [p.as_dict() for p in SlaPolicy.objects.filter(is_active=True).order_by("order", "pk")]
        policies = core_sla.policies_from_list(rows) if rows else core_sla.DEFAULT_POLICIES
        if not any(not (p.categories or p.priorities or p.channels) for p in policies):
            policies = (*policies, core_sla.DEFAULT_POLICIES[-1])
        return policies

    def build_calendar() -> WorkingCalendar:
        years = list(CalendarYear.objects.values("year", "holidays", "workdays", "source"))
        if not years:
            return WorkingCalendar.seeded()
        return WorkingCalendar.from_dict({"years": {str(r["year"]): r for r in years}}, seed=False)

    policies = _cached("policies", (p_n, str(p_t)), build_policies)
    calendar = _cached("calendar", (c_n, str(c_t)), build_calendar)
    return policies, calendar


def working_calendar() -> WorkingCalendar:
    """The calendar in force (see :func:`rules`)."""
    return rules()[1]


def sla_policies() -> tuple[core_sla.SlaPolicy, ...]:
    """The SLA policies in force, in match order (see :func:`rules`)."""
    return rules()[0]


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


_DONE = ["closed", "not_responsible"]


class HoursBetween(Func):
    """Hours from one datetime column to another, computed by the database (no row parsing)."""

    output_field = FloatField()

    def __init__(self, start: str, end: str) -> None:
        super().__init__(F(start), F(end))

    def as_sql(
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, tuple[str | int, ...]]:
        start, end = self.get_source_expressions()
        start_sql, start_params = compiler.compile(start)
        end_sql, end_params = compiler.compile(end)
        if connection.vendor == "sqlite":
            sql = f"((julianday({end_sql}) - julianday({start_sql})) * 24.0)"
        else:  # PostgreSQL
            sql = f"(EXTRACT(EPOCH FROM ({end_sql} - {start_sql})) / 3600.0)"
        return sql, (*end_params, *start_params)


def _figures(qs: QuerySet[Case], start: datetime, end: datetime) -> tuple[dict[int, CaseFigures], CaseFigures]:
    """Per-unit figures and their total: one grouped aggregate and one query for the durations.

    (Grouping by unit lets the database walk the unit indexes; the total is the sum of the units'
    counts and the median of all their durations, so it costs nothing more.)
    """
    qs = qs.order_by()  # no default ordering: nothing to sort
    received = Q(received_at__gte=start, received_at__lt=end)
    done_before_end = Q(status__in=_DONE, closed_at__lt=end)
    # 1. Received in the period (index unit, received_at, status, closed_at).
    by_received = {
        r["unit_id"]: r
        for r in qs.filter(received)
        .exclude(status="duplicate")
        .values("unit_id")
        .annotate(received=Count("pk"), closed_of_received=Count("pk", filter=done_before_end))
    }
    # Open at the end = received before it and not done before it: the cases open now, plus
    # those done only after the end (both small sets, each on its own index).
    open_at_end: dict[int, int] = {}
    for source in (
        qs.filter(is_open__in=OPEN, received_at__lt=end),
        qs.filter(status__in=_DONE, closed_at__gte=end, received_at__lt=end),
    ):
        for c in source.values("unit_id").annotate(n=Count("pk")):
            open_at_end[c["unit_id"]] = open_at_end.get(c["unit_id"], 0) + c["n"]
    # 2. Due in the period (index unit, close_due, status, closed_at).
    due = {
        r["unit_id"]: r
        for r in qs.filter(close_due__gte=start, close_due__lt=end)
        .exclude(status__in=["duplicate", "not_responsible"])
        .values("unit_id")
        .annotate(
            due=Count("pk"),
            closed_on_time=Count("pk", filter=Q(status="closed", closed_at__lte=F("close_due"))),
        )
    }
    # 3. Closed in the period (index unit, closed_at, status, received_at); the medians of the
    # handling times are picked by the database: only the middle one or two rows come back.
    closed_in = Q(closed_at__gte=start, closed_at__lt=end)
    closed = {
        r["unit_id"]: r["n"] for r in qs.filter(closed_in, status__in=_DONE).values("unit_id").annotate(n=Count("pk"))
    }
    medians, overall = _medians(qs.filter(closed_in, status="closed"))
    rows: list[dict[str, int]] = []
    for unit_id in sorted(set(by_received) | set(due) | set(closed) | set(open_at_end)):
        got = by_received.get(unit_id)
        d = due.get(unit_id)
        rows.append(
            {
                "unit_id": unit_id,
                "received": got["received"] if got else 0,
                "closed": closed.get(unit_id, 0),
                "closed_of_received": got["closed_of_received"] if got else 0,
                "due": d["due"] if d else 0,
                "closed_on_time": d["closed_on_time"] if d else 0,
                "open_at_end": open_at_end.get(unit_id, 0),
            }
        )
    keys = ("received", "closed", "closed_of_received", "due", "closed_on_time", "open_at_end")
    out: dict[int, CaseFigures] = {}
    for r in rows:
        out[r["unit_id"]] = CaseFigures(
            unit_id=r["unit_id"],
            median_handling_hours=medians.get(r["unit_id"]),
            **{k: r[k] for k in keys},
        )
    total = CaseFigures(
        unit_id=None,
        median_handling_hours=overall,
        **{k: sum(r[k] for r in rows) for k in keys},
    )
    return out, total


def _medians(qs: QuerySet[Case]) -> tuple[dict[int, float], float | None]:
    """The median of ``closed_at - received_at`` in hours per unit, and over all of ``qs``.

    PostgreSQL: the database numbers the rows by duration (window functions) and returns only the
    middle one (odd count) or two (even count) per group, so Python sees a few rows per unit.
    SQLite sorts a computed column slowly (the window query took 5× the plain read at 100,000
    cases), so there the durations alone are read — one float and a unit id per case, no status,
    no timestamps to parse — and the median is taken in Python. Both give exactly what
    ``statistics.median`` gives over the same values (core ``case_metrics`` cross-checks them).
    """
    qs = qs.order_by()
    hours = HoursBetween("received_at", "closed_at")
    if connection.vendor != "postgresql":
        values: dict[int, list[float]] = {}
        for unit_id, value in qs.annotate(hours=hours).values_list("unit_id", "hours"):
            values.setdefault(unit_id, []).append(float(value))
        every = [v for vs in values.values() for v in vs]
        return (
            {u: statistics.median(vs) for u, vs in values.items()},
            statistics.median(every) if every else None,
        )

    def middle(partition: list[Any] | None) -> dict[int | None, float]:
        rows = (
            qs.annotate(
                hours=hours,
                rn=Window(RowNumber(), partition_by=partition, order_by=hours.asc()),
                n=Window(Count("pk"), partition_by=partition),
            )
            # Rows (n + 1) div 2 … (n + 2) div 2: one row for odd n, the two middle ones for even n.
            .filter(rn__gte=(F("n") + 1) / 2, rn__lte=(F("n") + 2) / 2)
            .values_list("unit_id", "hours")
        )
        picked: dict[int | None, list[float]] = {}
        for unit_id, value in rows:
            picked.setdefault(unit_id if partition else None, []).append(float(value))
        return {k: statistics.median(v) for k, v in picked.items()}

    per_unit = middle([F("unit_id")])
    return {int(k): v for k, v in per_unit.items() if k is not None}, middle(None).get(None) if per_unit else None


def _bounds(start: datetime | date, end: datetime | date) -> tuple[datetime, datetime]:
    from qingting.core.cases.calendar import CHINA_TZ

    def as_dt(x: datetime | date) -> datetime:
        if isinstance(x, datetime):
            return x if x.tzinfo is not None else x.replace(tzinfo=CHINA_TZ)  # naive: China time
        return datetime(x.year, x.month, x.day, tzinfo=CHINA_TZ)

    s, e = as_dt(start), as_dt(end)
    if e <= s:
        raise ValueError("end must be after start")
    return s, e


def case_figures(unit_ids: Iterable[int], start: datetime | date, end: datetime | date) -> CaseFigures:
    """Figures over [start, end) for the cases of ``unit_ids`` **and their descendants**, together.

    Dates (and naive datetimes) are taken in China time. Example::

        case_figures([office.pk], date(2026, 10, 1), date(2026, 11, 1)).closure_rate
    """
    return figures_by_unit(unit_ids, start, end)[1]


def unit_figures(unit_ids: Iterable[int], start: datetime | date, end: datetime | date) -> dict[int, CaseFigures]:
    """Per-unit figures (keyed by the case's own unit) over ``unit_ids`` and their descendants."""
    return figures_by_unit(unit_ids, start, end)[0]


def figures_by_unit(
    unit_ids: Iterable[int], start: datetime | date, end: datetime | date
) -> tuple[dict[int, CaseFigures], CaseFigures]:
    """Both at once: per-unit figures and the total (what a metrics page shows)."""
    s, e = _bounds(start, end)
    return _figures(Case.objects.filter(unit_id__in=with_descendants(unit_ids)), s, e)


def case_timeline(case: Case) -> QuerySet[Any]:
    """The case's audit trail, oldest first (for the timeline on the case page).

    Strictly by time, then by id for entries of the same instant: an entry recorded later about an
    earlier moment (a case received on the 4th, registered on the 7th) still sits where it happened.
    """
    return case.actions.select_related("actor").order_by("at", "pk")


def clock_events(case: Case) -> list[core_sla.TimelineEvent]:
    """The current cycle's timeline for :func:`qingting.core.cases.sla.compute_sla`."""
    out = []
    for raw in case.clock or []:
        at, kind = raw[0], raw[1]
        amount = raw[2] if len(raw) > 2 else 0
        out.append(core_sla.TimelineEvent(datetime.fromisoformat(at), core_sla.EventKind(kind), float(amount)))
    return out


def sla_status(case: Case, *, now: datetime) -> core_sla.SlaStatus:
    """The case's SLA evaluated at ``now`` (the current cycle's clock)."""
    policies, calendar = rules()
    policy = next((p for p in policies if p.name == case.sla_policy), None)
    if policy is None:
        policy = core_sla.match_policy(policies, category=case.category, priority=case.priority, channel=case.channel)
    return core_sla.compute_sla(policy, clock_events(case), calendar, now=now)


def channel_messages(source_id: int, since: datetime) -> list[tuple[str, datetime, datetime | None, datetime | None]]:
    """The public's messages to one of the organisation's channels, for its inspection.

    Cases made from items of ``source_id`` (the channel's messages source) received since
    ``since`` or still open: ``(number, received_at, answer_due, answered_at)``, where
    ``answered_at`` is the first public reply (else the closure).
    """
    from django.db.models import Min

    qs = (
        Case.objects.filter(item__source_id=source_id)
        .filter(Q(received_at__gte=since) | Q(is_open=True))
        .annotate(first_reply=Min("replies__created_at", filter=Q(replies__kind="public")))
        .values_list("number", "received_at", "answer_due", "first_reply", "closed_at")
        .order_by("received_at")
    )
    return [(n, rec, due, reply or closed) for n, rec, due, reply, closed in qs]
