"""The warning engine of one scheme: events in, deduplicated graded warnings and escalations out.

Pure Python with an injectable clock: every method takes ``now`` (unix seconds) or asks the clock,
so tests and replays control time. The engine's whole state is its list of warnings
(:attr:`WarningEngine.warnings_`); the platform stores them and rebuilds an engine with
:meth:`WarningEngine.restore`.

Rules of the game:

- one open warning per event and tier — an event that still deserves the tier of its open warning
  raises nothing new;
- an event that grows past a higher tier gets a new warning at that tier, and the lower one is
  closed as superseded (so each event has at most one open warning);
- after a warning is dismissed or promoted, the same event raises nothing at that tier or below
  for ``cooldown_seconds``;
- a notified warning nobody acknowledges within its tier's ``ack_timeouts`` goes to the next
  person on the duty list (and again after the same time, until the list is exhausted).

>>> from qingting.core.types import EventSummary, TrendState
>>> def ev(n, t):
...     return EventSummary(event_id=1, title="柳湾镇停水", keywords=(), first_seen=0.0, last_seen=t,
...         item_count=n, duplicate_count=0, source_count=1, mainstream_count=0, engagement=0,
...         buckets=((t - t % 1800, n),), heat=0.0, trend=TrendState.RISING, burst_z=8.0,
...         sentiment=0.5, negative_share=0.1, lang="zh")
>>> eng = WarningEngine(WarningPolicy(), scheme="water", duty=("li", "wang"))
>>> [w.tier.name for w in eng.evaluate([ev(40, 600.0)], now=600.0)]
['IV']
>>> eng.evaluate([ev(45, 700.0)], now=700.0)  # same tier, still open: nothing new
[]
>>> [(w.tier.name, w.raised_from) for w in eng.evaluate([ev(350, 1700.0)], now=1700.0)]
[('II', 'water-1')]
>>> [(e.to, e.level) for e in eng.escalations(now=1700.0 + 1800.0)]
[('wang', 1)]
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from qingting.core.types import EventSummary
from qingting.core.warnings.lifecycle import (
    EarlyWarning,
    WarningStatus,
    acknowledge,
    dismiss,
    escalate,
    promote,
    supersede,
)
from qingting.core.warnings.policy import WarningPolicy, assess
from qingting.core.warnings.reasons import reason

__all__ = ["Escalation", "WarningEngine"]


@dataclass(frozen=True, slots=True)
class Escalation:
    """A warning passed from one person on duty to the next because nobody acknowledged it."""

    warning_id: str
    tier_name: str
    previous: str | None
    to: str
    level: int
    at: float


class WarningEngine:
    """Turns event summaries of one scheme into warnings; see the module docstring."""

    def __init__(
        self,
        policy: WarningPolicy | None = None,
        *,
        scheme: str = "",
        duty: Sequence[str] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.policy = policy or WarningPolicy()
        self.scheme = scheme
        self.duty = tuple(duty)
        self.clock = clock
        self.warnings_: dict[str, EarlyWarning] = {}
        self.open_: dict[int, str] = {}  # event id -> its open warning's id
        self.closed_: dict[int, tuple[int, float]] = {}  # event id -> (tier, when) of its last closed one
        self.moved_: dict[str, int] = {}  # warning id -> event id it moved to when its event merged
        self.n_raised_ = 0

    # -- state ------------------------------------------------------------------------------

    @classmethod
    def restore(
        cls,
        warnings: Iterable[EarlyWarning],
        policy: WarningPolicy | None = None,
        *,
        scheme: str = "",
        duty: Sequence[str] = (),
        clock: Callable[[], float] = time.time,
    ) -> WarningEngine:
        """An engine that continues from stored warnings (e.g. loaded from the database)."""
        self = cls(policy, scheme=scheme, duty=duty, clock=clock)
        for w in sorted(warnings, key=lambda w: w.created_at):
            self._put(w)
        self.n_raised_ = len(self.warnings_)
        return self

    def open_warnings(self) -> list[EarlyWarning]:
        """Open warnings (new or acknowledged), gravest and newest first."""
        ws = [self.warnings_[i] for i in self.open_.values()]
        return sorted(ws, key=lambda w: (-w.tier, -w.created_at))

    def _put(self, w: EarlyWarning) -> None:
        self.warnings_[w.id] = w
        key = self.moved_.get(w.id, w.event_id)  # the live event it belongs to after merges
        if w.is_open:
            self.open_[key] = w.id
        else:
            if self.open_.get(key) == w.id:
                del self.open_[key]
            self.moved_.pop(w.id, None)
            if w.status in (WarningStatus.DISMISSED, WarningStatus.PROMOTED):
                at = w.closed_at if w.closed_at is not None else w.created_at
                self.closed_[key] = (int(w.tier), at)

    # -- evaluation -------------------------------------------------------------------------

    def evaluate(self, events: Iterable[EventSummary], now: float | None = None) -> list[EarlyWarning]:
        """Assess the given events at ``now``; return the warnings raised (new or higher tier)."""
        now = self.clock() if now is None else now
        raised: list[EarlyWarning] = []
        for ev in events:
            survivor = getattr(ev, "merged_into", None)  # the pipeline found two events are one story
            if survivor is not None:
                self._merge(ev.event_id, int(survivor))
                continue
            if ev.retired:
                # nothing more will happen to it: keep its warnings, drop the per-event index
                self.closed_.pop(ev.event_id, None)
                continue
            a = assess(ev, self.policy, now)
            if a is None:
                continue
            open_id = self.open_.get(ev.event_id)
            previous = self.warnings_[open_id] if open_id is not None else None
            if previous is not None and previous.tier >= a.tier:
                continue  # one open warning per event and tier; tiers only go up
            closed = self.closed_.get(ev.event_id)
            if closed is not None and a.tier <= closed[0] and now - closed[1] < self.policy.cooldown_seconds:
                continue  # someone dismissed or took this on recently
            self.n_raised_ += 1
            zh, en = reason(a.signals, window_seconds=self.policy.window_seconds, key_date=a.key_date)
            w = EarlyWarning(
                id=f"{self.scheme or 'w'}-{self.n_raised_}",
                scheme=self.scheme,
                event_id=ev.event_id,
                tier=a.tier,
                created_at=now,
                title=ev.title,
                reason_zh=zh,
                reason_en=en,
                signals=a.signals,
                notify=self.policy.should_notify(a.tier, now),
                raised_from=previous.id if previous is not None else None,
                assignee=self.duty[0] if self.duty else None,
            )
            if previous is not None:
                self._put(supersede(previous, by_warning=w.id, at=now))
            self._put(w)
            raised.append(w)
        return raised

    def _merge(self, absorbed: int, survivor: int) -> None:
        """Carry an absorbed event's open warning and cooldown over to the event that took it in."""
        open_id = self.open_.pop(absorbed, None)
        if open_id is not None:
            current = self.open_.get(survivor)
            if current is None or self.warnings_[current].tier < self.warnings_[open_id].tier:
                self.open_[survivor] = open_id
                self.moved_[open_id] = survivor
        closed = self.closed_.pop(absorbed, None)
        if closed is not None and closed > self.closed_.get(survivor, (0, -1e300)):
            self.closed_[survivor] = closed

    # -- people -----------------------------------------------------------------------------

    def acknowledge(self, warning_id: str, *, by: str, now: float | None = None) -> EarlyWarning:
        w = acknowledge(self._get(warning_id), by=by, at=self.clock() if now is None else now)
        self._put(w)
        return w

    def dismiss(self, warning_id: str, *, by: str, reason: str, now: float | None = None) -> EarlyWarning:
        w = dismiss(self._get(warning_id), by=by, at=self.clock() if now is None else now, reason=reason)
        self._put(w)
        return w

    def promote(self, warning_id: str, *, by: str, case_id: str, now: float | None = None) -> EarlyWarning:
        w = promote(self._get(warning_id), by=by, at=self.clock() if now is None else now, case_id=case_id)
        self._put(w)
        return w

    def release_quiet(self, now: float | None = None) -> list[EarlyWarning]:
        """Warnings held back by quiet hours that may go out now that they are over."""
        now = self.clock() if now is None else now
        if self.policy.is_quiet(now):
            return []
        out = []
        for w in self.open_warnings():
            if not w.notify and w.status is WarningStatus.NEW:
                w = replace(w, notify=True, last_escalated_at=now)  # the ack clock starts now
                self._put(w)
                out.append(w)
        return out

    def escalations(self, now: float | None = None) -> list[Escalation]:
        """Pass every overdue unacknowledged warning to the next person on the duty list."""
        now = self.clock() if now is None else now
        out = []
        for w in self.open_warnings():
            if w.status is not WarningStatus.NEW or not w.notify:
                continue
            timeout = self.policy.ack_timeouts.get(w.tier)
            if timeout is None:
                continue
            since = w.last_escalated_at if w.last_escalated_at is not None else w.created_at
            nxt = w.escalation_level + 1
            if now - since < timeout or nxt >= len(self.duty):
                continue
            e = escalate(w, to=self.duty[nxt], at=now)
            self._put(e)
            out.append(Escalation(w.id, w.tier.name, w.assignee, e.assignee or "", e.escalation_level, now))
        return out

    def _get(self, warning_id: str) -> EarlyWarning:
        try:
            return self.warnings_[warning_id]
        except KeyError:
            raise KeyError(f"no warning {warning_id!r} in scheme {self.scheme!r}") from None
