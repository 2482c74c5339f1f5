"""SLA policies and due dates (办理时限): targets, pauses, extensions, 75% reminders, breaches.

A :class:`SlaPolicy` is matched to a case by category, priority and channel (first match wins;
the last policy in :data:`DEFAULT_POLICIES` matches anything and is the fallback). It sets up to
three targets — acknowledge (受理/告知), answer (答复) and close (办结) — each in working days,
calendar days ("日") or working hours, each counted from receipt or from acceptance.

:func:`compute_sla` is a pure function over the case's timeline (a list of :class:`TimelineEvent`):
it returns, per target, the due time, the reminder time (75% of the allowed time by default), and
whether the target was met on time, is running, paused, or breached. Pauses (pending: waiting on
the citizen or another department) stop every running clock and shift its due time by the paused
time, measured in the target's own unit. The verdict of a target is frozen when it is met: later
events (a reopening, a late pause) never change it.

Example::

    >>> from datetime import datetime
    >>> from qingting.core.cases.calendar import CHINA_TZ, WorkingCalendar
    >>> received = datetime(2026, 3, 2, 10, 0, tzinfo=CHINA_TZ)
    >>> policy = match_policy(DEFAULT_POLICIES, category="enquiry", priority="normal", channel="web")
    >>> status = compute_sla(policy, [TimelineEvent(received, EventKind.RECEIVED)],
    ...                      WorkingCalendar.seeded(), now=received)
    >>> status.target(Stage.ANSWER).due.due_date.isoformat()
    '2026-03-05'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from qingting.core.cases.calendar import CHINA_TZ, Deadline, LimitUnit, WorkingCalendar, to_china


class SlaError(ValueError):
    """A timeline or a request that the SLA rules do not allow (e.g. a second extension)."""


class Stage(StrEnum):
    """What a target measures."""

    ACKNOWLEDGE = "acknowledge"  # 受理或不予受理告知 / first response
    ANSWER = "answer"  # 答复
    CLOSE = "close"  # 办结


class ClockStart(StrEnum):
    """Which event starts a target's clock."""

    RECEIVED = "received"
    ACCEPTED = "accepted"  # 信访: "finish within 60 days of acceptance"


class EventKind(StrEnum):
    """Timeline events that matter to the clocks."""

    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"  # accepted, registered, or declined with notice: stops ACKNOWLEDGE
    PAUSED = "paused"  # pending: waiting on the citizen or another department
    RESUMED = "resumed"
    EXTENDED = "extended"  # an approved extension of the close target, with a reason
    ANSWERED = "answered"
    CLOSED = "closed"


class ClockState(StrEnum):
    """Where a target stands at ``now``."""

    NOT_STARTED = "not_started"
    RUNNING = "running"
    PAUSED = "paused"
    REMINDED = "reminded"  # past the reminder point, not yet due
    BREACHED = "breached"  # past due and not met
    MET_ON_TIME = "met_on_time"
    MET_LATE = "met_late"


@dataclass(frozen=True, slots=True)
class Target:
    """A time limit: ``amount`` in ``unit`` from ``start``.

    ``roll_past_holidays`` applies to calendar-day limits only (see
    :meth:`WorkingCalendar.add_calendar_days`); ``amount == 0`` days means "the same day".
    """

    amount: float
    unit: LimitUnit
    start: ClockStart = ClockStart.RECEIVED
    roll_past_holidays: bool = True

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise ValueError("a target amount must be >= 0")
        if self.unit is not LimitUnit.WORKING_HOURS and self.amount != int(self.amount):
            raise ValueError(f"{self.unit.value} targets must be whole days")


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """A named set of targets, applied to cases whose category, priority and channel match.

    An empty criterion matches anything. ``max_extensions`` and ``max_extension`` bound the
    extensions of the close target (信访: one, at most 30 days, with a reason).
    """

    name: str
    label: str = ""
    categories: frozenset[str] = frozenset()
    priorities: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    acknowledge: Target | None = None
    answer: Target | None = None
    close: Target | None = None
    max_extensions: int = 0
    max_extension: float = 0
    reminder_fraction: float = 0.75

    def __post_init__(self) -> None:
        if not 0 < self.reminder_fraction <= 1:
            raise ValueError("reminder_fraction must be in (0, 1]")

    def matches(self, *, category: str, priority: str, channel: str) -> bool:
        """Whether every non-empty criterion holds."""
        return (
            (not self.categories or category in self.categories)
            and (not self.priorities or priority in self.priorities)
            and (not self.channels or channel in self.channels)
        )

    def target_for(self, stage: Stage) -> Target | None:
        """The target for one stage, if the policy sets one."""
        return {Stage.ACKNOWLEDGE: self.acknowledge, Stage.ANSWER: self.answer, Stage.CLOSE: self.close}[stage]


def match_policy(policies: Sequence[SlaPolicy], *, category: str, priority: str, channel: str) -> SlaPolicy:
    """The first policy that matches; raises :class:`SlaError` when none does (add a fallback)."""
    for policy in policies:
        if policy.matches(category=category, priority=priority, channel=channel):
            return policy
    raise SlaError(f"no SLA policy matches category={category!r} priority={priority!r} channel={channel!r}")


_WD = LimitUnit.WORKING_DAYS
_CD = LimitUnit.CALENDAR_DAYS

DEFAULT_POLICIES: tuple[SlaPolicy, ...] = (
    # Emergencies: same day, around the clock (one bureau's rule, STANDARDS.md §3).
    SlaPolicy(
        name="emergency",
        label="紧急事项 当日办理",
        priorities=frozenset({"urgent"}),
        acknowledge=Target(0, _CD, roll_past_holidays=False),
        answer=Target(0, _CD, roll_past_holidays=False),
        close=Target(0, _CD, roll_past_holidays=False),
    ),
    # 信访工作条例 (2022): accept or decline within 15 days of receipt; finish within 60 days of
    # acceptance; one extension of at most 30 days with a reason. "日" counted as calendar days,
    # a period ending on a holiday ending on the next working day.
    SlaPolicy(
        name="petition",
        label="信访事项（信访工作条例）",
        channels=frozenset({"petition"}),
        acknowledge=Target(15, _CD),
        answer=Target(60, _CD, ClockStart.ACCEPTED),
        close=Target(60, _CD, ClockStart.ACCEPTED),
        max_extensions=1,
        max_extension=30,
    ),
    # Hotline-style enquiries (咨询): 3 working days; complaints (投诉): 13 working days.
    SlaPolicy(
        name="enquiry",
        label="咨询 3 个工作日",
        categories=frozenset({"enquiry"}),
        acknowledge=Target(1, _WD),
        answer=Target(3, _WD),
        close=Target(3, _WD),
        max_extensions=1,
        max_extension=3,
    ),
    SlaPolicy(
        name="complaint",
        label="投诉 13 个工作日",
        categories=frozenset({"complaint"}),
        acknowledge=Target(1, _WD),
        answer=Target(13, _WD),
        close=Target(13, _WD),
        max_extensions=1,
        max_extension=10,
    ),
    # Fallback: messages and everything else, 10 working days (as Wuhan's 人民网 messages).
    SlaPolicy(
        name="default",
        label="其他 10 个工作日",
        acknowledge=Target(1, _WD),
        answer=Target(10, _WD),
        close=Target(10, _WD),
        max_extensions=1,
        max_extension=10,
    ),
)
"""The shipped policies, in match order. Editable: build your own tuple, or load one from JSON."""


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One event on a case's timeline. ``amount`` and ``reason`` are for EXTENDED only."""

    at: datetime
    kind: EventKind
    amount: float = 0
    reason: str = ""


@dataclass(frozen=True, slots=True)
class TargetStatus:
    """One target evaluated at ``now``."""

    stage: Stage
    target: Target
    state: ClockState
    started_at: datetime | None = None
    due: Deadline | None = None
    remind_at: datetime | None = None
    met_at: datetime | None = None
    paused_for: float = 0  # in the target's unit (hours for working-hour targets)
    extended_by: float = 0

    @property
    def on_time(self) -> bool | None:
        """The frozen verdict once met; ``None`` while open."""
        if self.state is ClockState.MET_ON_TIME:
            return True
        if self.state is ClockState.MET_LATE:
            return False
        return None

    @property
    def notices(self) -> tuple[str, ...]:
        """Calendar notices (e.g. a weekends-only fallback year) attached to the due time."""
        return self.due.notices if self.due else ()


@dataclass(frozen=True, slots=True)
class SlaStatus:
    """All targets of one policy for one case at ``now``."""

    policy: str
    now: datetime
    targets: tuple[TargetStatus, ...] = field(default_factory=tuple)

    def target(self, stage: Stage) -> TargetStatus:
        """The status of one stage; raises ``KeyError`` when the policy sets no target for it."""
        for t in self.targets:
            if t.stage is stage:
                return t
        raise KeyError(stage)

    @property
    def breached(self) -> tuple[Stage, ...]:
        """Stages past due and not met (to escalate)."""
        return tuple(t.stage for t in self.targets if t.state is ClockState.BREACHED)

    @property
    def reminders(self) -> tuple[Stage, ...]:
        """Stages past their reminder point, not yet due."""
        return tuple(t.stage for t in self.targets if t.state is ClockState.REMINDED)

    @property
    def next_due(self) -> datetime | None:
        """The earliest due time among targets still open (for sorting queues)."""
        open_dues = [
            t.due.due for t in self.targets if t.due and t.on_time is None and t.state is not ClockState.PAUSED
        ]
        return min(open_dues) if open_dues else None


_STOPS = {Stage.ACKNOWLEDGE: EventKind.ACKNOWLEDGED, Stage.ANSWER: EventKind.ANSWERED, Stage.CLOSE: EventKind.CLOSED}


def _first(events: Sequence[TimelineEvent], kind: EventKind, after: datetime | None = None) -> datetime | None:
    for e in events:
        if e.kind is kind and (after is None or e.at >= after):
            return e.at
    return None


def _pauses(events: Sequence[TimelineEvent], now: datetime) -> list[tuple[datetime, datetime]]:
    """Closed pause intervals; an open pause runs until ``now``."""
    out: list[tuple[datetime, datetime]] = []
    opened: datetime | None = None
    for e in events:
        if e.kind is EventKind.PAUSED and opened is None:
            opened = e.at
        elif e.kind is EventKind.RESUMED and opened is not None:
            out.append((opened, e.at))
            opened = None
    if opened is not None and now > opened:
        out.append((opened, now))
    return out


def _measure(cal: WorkingCalendar, unit: LimitUnit, a: datetime, b: datetime) -> float:
    """How much of a limit in ``unit`` the interval [a, b] uses up (whole days for day units)."""
    if unit is LimitUnit.WORKING_HOURS:
        return cal.working_time_between(a, b) / timedelta(hours=1)
    if unit is LimitUnit.WORKING_DAYS:
        return float(cal.working_days_between(a, b))
    return float(cal.calendar_days_between(a, b))


def _point(cal: WorkingCalendar, start: datetime, amount: float, target: Target) -> datetime:
    """The instant ``amount`` (possibly fractional) of ``target.unit`` has run from ``start``.

    Day limits run through whole counted days from the midnight after ``start``; a fraction of a
    day is that fraction of the 24 hours of the next counted day.
    """
    if target.unit is LimitUnit.WORKING_HOURS:
        return cal.add_working_hours(start, amount).due
    whole = math.floor(amount)
    frac = amount - whole
    d: date = to_china(start).date()
    counted = 0
    while counted < whole:
        d += timedelta(days=1)
        if target.unit is LimitUnit.CALENDAR_DAYS or cal.is_working_day(d):
            counted += 1
    if frac == 0:
        return datetime.combine(d, time.max, tzinfo=CHINA_TZ)
    d += timedelta(days=1)
    while target.unit is LimitUnit.WORKING_DAYS and not cal.is_working_day(d):
        d += timedelta(days=1)
    return datetime.combine(d, time.min, tzinfo=CHINA_TZ) + timedelta(days=frac)


def _shifted(
    cal: WorkingCalendar,
    start: datetime,
    amount: float,
    target: Target,
    pauses: Sequence[tuple[datetime, datetime]],
    *,
    exact_due: bool,
) -> tuple[datetime, float, Deadline | None]:
    """The point ``amount`` runs out, delayed by every pause that began before it."""
    shift = 0.0
    for p0, p1 in pauses:
        if p1 <= start:
            continue
        candidate = _point(cal, start, amount + shift, target)
        if p0 > candidate:
            break
        shift += _measure(cal, target.unit, max(p0, start), p1)
    if exact_due:
        if target.unit is LimitUnit.CALENDAR_DAYS:
            deadline = cal.add_calendar_days(start, int(amount + shift), roll_past_holidays=target.roll_past_holidays)
        else:
            deadline = cal.add(start, amount + shift, target.unit)
        return deadline.due, shift, deadline
    return _point(cal, start, amount + shift, target), shift, None


def compute_sla(
    policy: SlaPolicy, events: Iterable[TimelineEvent], calendar: WorkingCalendar, *, now: datetime
) -> SlaStatus:
    """Evaluate every target of ``policy`` over a case's timeline at ``now``.

    Events are sorted by time (stable); the first RECEIVED starts the clocks. Events after ``now``
    are ignored, so the same function answers "what was the state then?" for replays.
    """
    now = to_china(now)
    timeline = sorted((e for e in events if to_china(e.at) <= now), key=lambda e: e.at)
    received = _first(timeline, EventKind.RECEIVED)
    accepted = _first(timeline, EventKind.ACKNOWLEDGED)
    out: list[TargetStatus] = []
    for stage in Stage:
        target = policy.target_for(stage)
        if target is None:
            continue
        start = received if target.start is ClockStart.RECEIVED else accepted
        if start is None:
            out.append(TargetStatus(stage, target, ClockState.NOT_STARTED))
            continue
        met = _first(timeline, _STOPS[stage], after=start)
        horizon = met if met is not None else now
        # Only what happened before the target was met counts: the verdict is frozen then.
        pauses = _pauses([e for e in timeline if e.at <= horizon], horizon)
        extended = 0.0
        if stage is Stage.CLOSE:
            extended = sum(e.amount for e in timeline if e.kind is EventKind.EXTENDED and e.at <= horizon)
        amount = target.amount + extended
        due_at, paused_for, deadline = _shifted(calendar, start, amount, target, pauses, exact_due=True)
        if amount == 0 and target.unit is not LimitUnit.WORKING_HOURS:
            # "Same day": whole-day fractions would put the reminder at the due time; use the clock.
            remind_at = start + (due_at - start) * policy.reminder_fraction
        else:
            remind_at, _, _ = _shifted(
                calendar, start, amount * policy.reminder_fraction, target, pauses, exact_due=False
            )
        assert deadline is not None
        is_paused = met is None and _open_pause(timeline)
        if met is not None:
            state = ClockState.MET_ON_TIME if met <= due_at else ClockState.MET_LATE
        elif now > due_at:
            state = ClockState.BREACHED
        elif is_paused:
            state = ClockState.PAUSED
        elif now >= remind_at:
            state = ClockState.REMINDED
        else:
            state = ClockState.RUNNING
        out.append(
            TargetStatus(stage, target, state, start, deadline, min(remind_at, due_at), met, paused_for, extended)
        )
    return SlaStatus(policy.name, now, tuple(out))


def _open_pause(timeline: Sequence[TimelineEvent]) -> bool:
    state = False
    for e in timeline:
        if e.kind is EventKind.PAUSED:
            state = True
        elif e.kind is EventKind.RESUMED:
            state = False
    return state


def check_extension(policy: SlaPolicy, events: Iterable[TimelineEvent], *, amount: float, reason: str) -> None:
    """Raise :class:`SlaError` unless an extension of ``amount`` (close-target units) is allowed now."""
    if not reason.strip():
        raise SlaError("an extension needs a reason (it is told to the citizen)")
    if policy.close is None:
        raise SlaError(f"policy {policy.name!r} has no close target to extend")
    if amount <= 0:
        raise SlaError("an extension must be positive")
    if amount > policy.max_extension:
        raise SlaError(f"an extension may be at most {policy.max_extension:g} {policy.close.unit.value}")
    done = sum(1 for e in events if e.kind is EventKind.EXTENDED)
    if done >= policy.max_extensions:
        raise SlaError(f"policy {policy.name!r} allows {policy.max_extensions} extension(s); {done} already granted")


# --- storage ---------------------------------------------------------------------------------


def _target_to_dict(t: Target | None) -> dict[str, Any] | None:
    if t is None:
        return None
    return {
        "amount": t.amount,
        "unit": t.unit.value,
        "start": t.start.value,
        "roll_past_holidays": t.roll_past_holidays,
    }


def _target_from_dict(raw: Mapping[str, Any] | None) -> Target | None:
    if raw is None:
        return None
    return Target(
        float(raw["amount"]),
        LimitUnit(raw["unit"]),
        ClockStart(raw.get("start", "received")),
        bool(raw.get("roll_past_holidays", True)),
    )


def policies_to_list(policies: Sequence[SlaPolicy]) -> list[dict[str, Any]]:
    """JSON-ready list of policies (order kept: first match wins)."""
    return [
        {
            "name": p.name,
            "label": p.label,
            "categories": sorted(p.categories),
            "priorities": sorted(p.priorities),
            "channels": sorted(p.channels),
            "acknowledge": _target_to_dict(p.acknowledge),
            "answer": _target_to_dict(p.answer),
            "close": _target_to_dict(p.close),
            "max_extensions": p.max_extensions,
            "max_extension": p.max_extension,
            "reminder_fraction": p.reminder_fraction,
        }
        for p in policies
    ]


def policies_from_list(raw: Sequence[Mapping[str, Any]]) -> tuple[SlaPolicy, ...]:
    """Inverse of :func:`policies_to_list`."""
    return tuple(
        SlaPolicy(
            name=str(r["name"]),
            label=str(r.get("label", "")),
            categories=frozenset(r.get("categories", ())),
            priorities=frozenset(r.get("priorities", ())),
            channels=frozenset(r.get("channels", ())),
            acknowledge=_target_from_dict(r.get("acknowledge")),
            answer=_target_from_dict(r.get("answer")),
            close=_target_from_dict(r.get("close")),
            max_extensions=int(r.get("max_extensions", 0)),
            max_extension=float(r.get("max_extension", 0)),
            reminder_fraction=float(r.get("reminder_fraction", 0.75)),
        )
        for r in raw
    )
