"""The life of one warning as a pure state machine: new → acknowledged → promoted | dismissed.

A warning is an immutable :class:`EarlyWarning`; each transition returns a new one with the step
appended to its ``history`` (who, when, what, why) — what the platform stores as its audit entry.
A warning raised to a higher tier is closed as ``superseded`` and points at its successor.

>>> w = EarlyWarning(id="w1", scheme="s", event_id=7, tier=Tier.III, created_at=0.0, title="停水",
...                  reason_zh="…", reason_en="…")
>>> w = acknowledge(w, by="li", at=60.0)
>>> w = dismiss(w, by="li", at=120.0, reason="已核实为演习")
>>> w.status.value, [h.action for h in w.history]
('dismissed', ['acknowledged', 'dismissed'])
>>> acknowledge(w, by="li", at=180.0)
Traceback (most recent call last):
...
qingting.core.warnings.lifecycle.TransitionError: cannot acknowledge a dismissed warning (w1)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from qingting.core.warnings.policy import Signals, Tier

__all__ = [
    "EarlyWarning",
    "Step",
    "TransitionError",
    "WarningStatus",
    "acknowledge",
    "dismiss",
    "escalate",
    "promote",
    "supersede",
]


class WarningStatus(StrEnum):
    NEW = "new"  # 待处理
    ACKNOWLEDGED = "acknowledged"  # 已确认
    PROMOTED = "promoted"  # 已转为事件处置
    DISMISSED = "dismissed"  # 已排除
    SUPERSEDED = "superseded"  # 已升级为更高级别的预警

    @property
    def is_open(self) -> bool:
        return self in (WarningStatus.NEW, WarningStatus.ACKNOWLEDGED)


class TransitionError(ValueError):
    """A transition that the warning's state does not allow (e.g. acknowledging a dismissed one)."""


@dataclass(frozen=True, slots=True)
class Step:
    """One entry of a warning's history."""

    at: float
    action: str  # acknowledged, dismissed, promoted, superseded, escalated
    by: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class EarlyWarning:
    """One warning (预警) about one event of one scheme.

    ``notify`` is false when the warning was raised in quiet hours below the override tier: it is
    kept and shown, but nobody is called until quiet hours end (the caller's digest picks it up).
    ``assignee`` is the person on duty who must acknowledge it; ``escalation_level`` counts the
    times it was passed to the next person on the duty list.
    """

    id: str
    scheme: str
    event_id: int
    tier: Tier
    created_at: float
    title: str
    reason_zh: str
    reason_en: str
    signals: Signals | None = None
    status: WarningStatus = WarningStatus.NEW
    notify: bool = True
    raised_from: str | None = None  # the lower-tier warning this one replaces
    superseded_by: str | None = None
    assignee: str | None = None
    escalation_level: int = 0
    last_escalated_at: float | None = None
    dismiss_reason: str = ""
    case_id: str | None = None
    history: tuple[Step, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    @property
    def closed_at(self) -> float | None:
        """When it left the open states, or ``None`` while open."""
        if self.is_open:
            return None
        return self.history[-1].at if self.history else self.created_at


def _need(w: EarlyWarning, verb: str, *allowed: WarningStatus) -> None:
    if w.status not in allowed:
        raise TransitionError(f"cannot {verb} a {w.status.value} warning ({w.id})")


def acknowledge(w: EarlyWarning, *, by: str, at: float) -> EarlyWarning:
    """Someone has seen it and takes care of it (stops escalation)."""
    _need(w, "acknowledge", WarningStatus.NEW)
    return replace(w, status=WarningStatus.ACKNOWLEDGED, history=(*w.history, Step(at, "acknowledged", by)))


def dismiss(w: EarlyWarning, *, by: str, at: float, reason: str) -> EarlyWarning:
    """Close it as not needing action; a reason is required (it teaches the thresholds)."""
    _need(w, "dismiss", WarningStatus.NEW, WarningStatus.ACKNOWLEDGED)
    if not reason.strip():
        raise TransitionError(f"dismissing a warning needs a reason ({w.id})")
    return replace(
        w,
        status=WarningStatus.DISMISSED,
        dismiss_reason=reason.strip(),
        history=(*w.history, Step(at, "dismissed", by, reason.strip())),
    )


def promote(w: EarlyWarning, *, by: str, at: float, case_id: str) -> EarlyWarning:
    """Turn it into a case (事件处置) that someone will handle to the end."""
    _need(w, "promote", WarningStatus.NEW, WarningStatus.ACKNOWLEDGED)
    return replace(
        w, status=WarningStatus.PROMOTED, case_id=case_id, history=(*w.history, Step(at, "promoted", by, case_id))
    )


def supersede(w: EarlyWarning, *, by_warning: str, at: float) -> EarlyWarning:
    """Close it because the event now deserves a higher tier (warning ``by_warning``)."""
    _need(w, "supersede", WarningStatus.NEW, WarningStatus.ACKNOWLEDGED)
    return replace(
        w,
        status=WarningStatus.SUPERSEDED,
        superseded_by=by_warning,
        history=(*w.history, Step(at, "superseded", "", by_warning)),
    )


def escalate(w: EarlyWarning, *, to: str, at: float) -> EarlyWarning:
    """Pass an unacknowledged warning to the next person on duty."""
    _need(w, "escalate", WarningStatus.NEW)
    return replace(
        w,
        assignee=to,
        escalation_level=w.escalation_level + 1,
        last_escalated_at=at,
        history=(*w.history, Step(at, "escalated", "", to)),
    )
