"""Case state machine (办理流程): one transition table, a pure ``apply_action``, audit records.

States: received → registered → assigned → in progress ⇄ pending → answered → closed; plus
transferred, not responsible, duplicate (merged into another case) and reopened (within
:data:`REOPEN_DAYS` of closing). Every state is typed open or closed (:data:`STATE_KIND`).

Every move is declared once in :data:`TRANSITIONS` — action, from-states, to-state, the roles
that may do it, whether a reason is required. :func:`apply_action` is the only way to change a
state: it checks the table, the actor's roles, the reason, leader sign-off (签批) where the
category requires it and open joint-handling tasks, and returns the new snapshot together with the
:class:`AuditRecord` the platform writes in the same transaction. :func:`replay` rebuilds the
state from the audit records, which the property tests use to show the trail is complete.

Case numbers (:class:`CaseNumber`) follow the 公文 pattern ``青禾〔2026〕0012号``: unit
abbreviation, year in 〔〕, a per-unit, per-year sequence of at least four digits, ``号``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from qingting.core.cases.calendar import to_china

REOPEN_DAYS = 30
"""Calendar days after closing during which a case may be reopened (configurable per call)."""


class CaseState(StrEnum):
    """Where a case stands (案件状态)."""

    RECEIVED = "received"  # 已接收
    REGISTERED = "registered"  # 已登记
    ASSIGNED = "assigned"  # 已派单
    IN_PROGRESS = "in_progress"  # 办理中
    PENDING = "pending"  # 挂起（待补充材料/待他部门）: the clocks pause
    ANSWERED = "answered"  # 已答复
    CLOSED = "closed"  # 已办结
    TRANSFERRED = "transferred"  # 已转办: waiting for the receiving unit
    NOT_RESPONSIBLE = "not_responsible"  # 不予受理/非本单位职责
    DUPLICATE = "duplicate"  # 重复件，已合并
    REOPENED = "reopened"  # 已重启


class StateKind(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


STATE_KIND: dict[CaseState, StateKind] = {
    s: (StateKind.CLOSED if s in {CaseState.CLOSED, CaseState.NOT_RESPONSIBLE, CaseState.DUPLICATE} else StateKind.OPEN)
    for s in CaseState
}


class Role(StrEnum):
    """What an actor may do on a case; the platform maps its users and units to these."""

    INTAKE = "intake"  # 登记员
    DISPATCHER = "dispatcher"  # 派单员/值班长
    HANDLER = "handler"  # 承办人
    LEADER = "leader"  # 领导 (签批)
    ADMIN = "admin"
    SYSTEM = "system"  # timers and intake robots


class Action(StrEnum):
    """Everything that can be done to a case."""

    REGISTER = "register"
    ASSIGN = "assign"
    CLAIM = "claim"
    PEND = "pend"
    RESUME = "resume"
    SIGN_OFF = "sign_off"  # 签批: a leader's written instructions; no state change
    ANSWER = "answer"
    RETURN = "return"  # 退回重办: an answer sent back before closing
    CLOSE = "close"
    TRANSFER = "transfer"
    DECLINE = "decline"  # not this unit's responsibility / not accepted
    MERGE = "merge"  # duplicate of another case
    REOPEN = "reopen"


@dataclass(frozen=True, slots=True)
class Transition:
    """One row of the table."""

    action: Action
    sources: frozenset[CaseState]
    target: CaseState | None  # None: the state does not change (e.g. SIGN_OFF)
    roles: frozenset[Role]
    reason_required: bool = False


def _t(
    action: Action, sources: Iterable[CaseState], target: CaseState | None, roles: Iterable[Role], reason: bool = False
) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(roles), reason)


S, R = CaseState, Role
_DISPATCH = (R.DISPATCHER, R.ADMIN)

TRANSITIONS: tuple[Transition, ...] = (
    _t(Action.REGISTER, [S.RECEIVED], S.REGISTERED, [R.INTAKE, *_DISPATCH, R.SYSTEM]),
    _t(Action.ASSIGN, [S.REGISTERED, S.TRANSFERRED, S.REOPENED], S.ASSIGNED, _DISPATCH),
    _t(Action.CLAIM, [S.ASSIGNED], S.IN_PROGRESS, [R.HANDLER, *_DISPATCH]),
    _t(Action.PEND, [S.IN_PROGRESS], S.PENDING, [R.HANDLER, *_DISPATCH], reason=True),
    _t(Action.RESUME, [S.PENDING], S.IN_PROGRESS, [R.HANDLER, *_DISPATCH, R.SYSTEM]),
    _t(Action.SIGN_OFF, [S.ASSIGNED, S.IN_PROGRESS, S.PENDING], None, [R.LEADER], reason=True),
    _t(Action.ANSWER, [S.IN_PROGRESS], S.ANSWERED, [R.HANDLER, *_DISPATCH]),
    _t(Action.RETURN, [S.ANSWERED], S.IN_PROGRESS, [R.LEADER, *_DISPATCH], reason=True),
    _t(Action.CLOSE, [S.ANSWERED], S.CLOSED, [*_DISPATCH, R.LEADER]),
    _t(Action.TRANSFER, [S.REGISTERED, S.ASSIGNED, S.IN_PROGRESS], S.TRANSFERRED, [R.HANDLER, *_DISPATCH], reason=True),
    _t(Action.DECLINE, [S.RECEIVED, S.REGISTERED, S.ASSIGNED], S.NOT_RESPONSIBLE, _DISPATCH, reason=True),
    _t(Action.MERGE, [S.RECEIVED, S.REGISTERED, S.ASSIGNED], S.DUPLICATE, [R.INTAKE, *_DISPATCH], reason=True),
    _t(Action.REOPEN, [S.CLOSED], S.REOPENED, _DISPATCH, reason=True),
)
"""The one table of allowed moves. Edit here; nothing else sets a state."""

_BY_ACTION: dict[Action, Transition] = {t.action: t for t in TRANSITIONS}


class TransitionError(Exception):
    """An action that is not allowed: undeclared move, missing role, reason, sign-off or target."""

    def __init__(self, message: str, *, action: Action, state: CaseState) -> None:
        super().__init__(message)
        self.action = action
        self.state = state


@dataclass(frozen=True, slots=True)
class SignOff:
    """A leader's sign-off with written instructions (签批/批示)."""

    leader: str
    instructions: str
    at: datetime


@dataclass(frozen=True, slots=True)
class JointTask:
    """One unit's share of a case handled jointly (联合办理); the lead unit answers when all are done."""

    unit: str
    lead: bool = False
    done_at: datetime | None = None
    note: str = ""

    @property
    def done(self) -> bool:
        return self.done_at is not None


@dataclass(frozen=True, slots=True)
class CaseSnapshot:
    """What the state machine needs to know about a case (the platform's row, reduced)."""

    state: CaseState = CaseState.RECEIVED
    requires_sign_off: bool = False  # set from the category
    sign_off: SignOff | None = None
    tasks: tuple[JointTask, ...] = ()
    closed_at: datetime | None = None
    merged_into: str | None = None
    version: int = 0  # bumped on every applied action; the platform's optimistic-lock check

    @property
    def kind(self) -> StateKind:
        """Open or closed."""
        return STATE_KIND[self.state]


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One append-only audit entry, written with the state change it describes."""

    actor: str
    action: Action
    old_state: CaseState
    new_state: CaseState
    reason: str
    correlation_id: str
    at: datetime
    version: int  # the case's version after this action
    detail: dict[str, str] = field(default_factory=dict)


def allowed_actions(case: CaseSnapshot, roles: Iterable[Role]) -> tuple[Action, ...]:
    """Actions the table allows from this state for these roles (for buttons in the UI)."""
    have = frozenset(roles)
    return tuple(t.action for t in TRANSITIONS if case.state in t.sources and have & t.roles)


def apply_action(
    case: CaseSnapshot,
    action: Action,
    *,
    actor: str,
    roles: Iterable[Role],
    now: datetime,
    reason: str = "",
    correlation_id: str | None = None,
    merge_into: str | None = None,
    reopen_days: int = REOPEN_DAYS,
) -> tuple[CaseSnapshot, AuditRecord]:
    """Apply one action; return the new snapshot and its audit record, or raise TransitionError.

    ``merge_into`` is the case number a duplicate is merged into (MERGE only). The correlation id
    ties the audit entry to the request that caused it; a fresh one is made when none is given.
    """
    now = to_china(now)
    spec = _BY_ACTION.get(action)
    if spec is None or case.state not in spec.sources:
        raise TransitionError(
            f"cannot {action.value} a case that is {case.state.value}", action=action, state=case.state
        )
    have = frozenset(roles)
    if not have & spec.roles:
        need = ", ".join(sorted(r.value for r in spec.roles))
        raise TransitionError(f"{action.value} needs one of the roles: {need}", action=action, state=case.state)
    reason = reason.strip()
    if spec.reason_required and not reason:
        raise TransitionError(f"{action.value} needs a reason", action=action, state=case.state)
    detail: dict[str, str] = {}
    new = case
    if action is Action.ANSWER:
        if case.requires_sign_off and case.sign_off is None:
            raise TransitionError(
                "this category needs a leader's sign-off (签批) first", action=action, state=case.state
            )
        open_units = [t.unit for t in case.tasks if not t.done]
        if open_units:
            raise TransitionError(f"joint tasks still open: {', '.join(open_units)}", action=action, state=case.state)
    elif action is Action.SIGN_OFF:
        new = replace(new, sign_off=SignOff(actor, reason, now))
    elif action is Action.MERGE:
        if not merge_into:
            raise TransitionError("merge needs the case it duplicates", action=action, state=case.state)
        new = replace(new, merged_into=merge_into)
        detail["merged_into"] = merge_into
    elif action is Action.REOPEN:
        if case.closed_at is None or now - case.closed_at > timedelta(days=reopen_days):
            raise TransitionError(
                f"a case can be reopened only within {reopen_days} days of closing", action=action, state=case.state
            )
    elif action is Action.RETURN:
        # An answer sent back needs a fresh sign-off where one is required.
        new = replace(new, sign_off=None)
    target = spec.target if spec.target is not None else case.state
    closed_at = now if STATE_KIND[target] is StateKind.CLOSED else (None if target is S.REOPENED else case.closed_at)
    new = replace(new, state=target, version=case.version + 1, closed_at=closed_at)
    record = AuditRecord(
        actor=actor,
        action=action,
        old_state=case.state,
        new_state=target,
        reason=reason,
        correlation_id=correlation_id or uuid.uuid4().hex,
        at=now,
        version=new.version,
        detail=detail,
    )
    return new, record


def replay(records: Sequence[AuditRecord], initial: CaseState = CaseState.RECEIVED) -> CaseState:
    """The state an audit trail ends in; raises ``ValueError`` on a gap or an undeclared move."""
    state = initial
    for i, r in enumerate(records):
        if r.old_state is not state:
            raise ValueError(f"audit record {i} starts from {r.old_state.value}, trail was at {state.value}")
        spec = _BY_ACTION[r.action]
        if state not in spec.sources or (spec.target or state) is not r.new_state:
            raise ValueError(f"audit record {i}: {r.action.value} cannot lead {state.value} → {r.new_state.value}")
        state = r.new_state
    return state


def complete_task(case: CaseSnapshot, unit: str, *, now: datetime, note: str = "") -> CaseSnapshot:
    """Mark one unit's joint task done; ``KeyError`` when the unit has no open task."""
    for i, t in enumerate(case.tasks):
        if t.unit == unit and not t.done:
            tasks = (*case.tasks[:i], replace(t, done_at=to_china(now), note=note), *case.tasks[i + 1 :])
            return replace(case, tasks=tasks, version=case.version + 1)
    raise KeyError(f"no open task for unit {unit!r}")


# --- case numbers ---------------------------------------------------------------------------

_BRACKETS = str.maketrans("[]()（）", "〔〕〔〕〔〕")
_NUMBER = re.compile(r"^(?P<unit>[^〔〕\s\d]+)〔(?P<year>\d{4})〕(?P<seq>\d{4,})号$")


@dataclass(frozen=True, slots=True, order=True)
class CaseNumber:
    """A case number per unit and year: ``青禾〔2026〕0012号``."""

    unit: str  # the unit's abbreviation (简称), e.g. 青禾
    year: int
    seq: int

    def __post_init__(self) -> None:
        if not self.unit or any(c in self.unit for c in "〔〕") or any(c.isdigit() or c.isspace() for c in self.unit):
            raise ValueError(f"bad unit abbreviation {self.unit!r}")
        if not 1000 <= self.year <= 9999 or self.seq < 1:
            raise ValueError("year must have four digits and seq must be >= 1")

    def __str__(self) -> str:
        return f"{self.unit}〔{self.year}〕{self.seq:04d}号"

    @classmethod
    def parse(cls, text: str) -> CaseNumber:
        """Parse ``青禾〔2026〕0012号`` (also accepts 〔〕 typed as [] or ()); ``ValueError`` otherwise."""
        cleaned = text.strip().translate(_BRACKETS)
        m = _NUMBER.match(cleaned)
        if m is None:
            raise ValueError(f"not a case number: {text!r} (expected like 青禾〔2026〕0012号)")
        return cls(m["unit"], int(m["year"]), int(m["seq"]))

    def next(self, year: int) -> CaseNumber:
        """The number after this one; the sequence restarts at 1 in a new year."""
        return CaseNumber(self.unit, year, self.seq + 1 if year == self.year else 1)
