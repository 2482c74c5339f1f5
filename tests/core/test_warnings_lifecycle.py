"""A warning's life with a controllable clock: dedupe, raising, cooldown, escalation, restore."""

from __future__ import annotations

import datetime as dt

import pytest

from qingting.core.types import EventSummary, TrendState
from qingting.core.warnings import (
    EarlyWarning,
    QuietHours,
    Tier,
    TransitionError,
    WarningEngine,
    WarningPolicy,
    WarningStatus,
    acknowledge,
    dismiss,
    promote,
)

BUCKET = 1800.0
MIN = 60.0
# 2026-05-12 10:00 in China (UTC+8)
T0 = dt.datetime(2026, 5, 12, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp()


class Clock:
    """Time under the test's control."""

    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def event(per_hour: int, now: float, event_id: int = 1, z: float = 6.0) -> EventSummary:
    open_start = now - now % BUCKET
    half = per_hour // 2
    buckets = ((open_start - BUCKET, per_hour - half), (open_start, half))
    return EventSummary(
        event_id=event_id,
        title=f"事件{event_id}",
        keywords=(),
        first_seen=open_start - BUCKET,
        last_seen=now,
        item_count=per_hour,
        duplicate_count=0,
        source_count=1,
        mainstream_count=0,
        engagement=0,
        buckets=buckets,
        heat=0.0,
        trend=TrendState.RISING,
        burst_z=z,
        sentiment=0.5,
        negative_share=0.0,
        lang="zh",
    )


def engine(clock: Clock, **policy: object) -> WarningEngine:
    return WarningEngine(WarningPolicy(**policy), scheme="water", duty=("li", "wang", "zhao"), clock=clock)  # type: ignore[arg-type]


# -- pure transitions -----------------------------------------------------------------------------


def make(tier: Tier = Tier.III) -> EarlyWarning:
    return EarlyWarning("w1", "water", 1, tier, T0, "停水", "…", "…")


def test_transitions_record_who_when_and_why() -> None:
    w = acknowledge(make(), by="li", at=T0 + MIN)
    assert w.status is WarningStatus.ACKNOWLEDGED and w.is_open
    w = promote(w, by="li", at=T0 + 2 * MIN, case_id="case-9")
    assert w.status is WarningStatus.PROMOTED and w.case_id == "case-9" and not w.is_open
    assert [(s.action, s.by, s.at) for s in w.history] == [
        ("acknowledged", "li", T0 + MIN),
        ("promoted", "li", T0 + 2 * MIN),
    ]
    assert w.closed_at == T0 + 2 * MIN


def test_invalid_transitions_are_refused() -> None:
    w = dismiss(make(), by="li", at=T0, reason="演习，已核实")
    assert w.dismiss_reason == "演习，已核实"
    with pytest.raises(TransitionError, match="cannot acknowledge a dismissed warning"):
        acknowledge(w, by="li", at=T0)
    with pytest.raises(TransitionError, match="cannot promote"):
        promote(w, by="li", at=T0, case_id="c")
    with pytest.raises(TransitionError, match="needs a reason"):
        dismiss(make(), by="li", at=T0, reason="  ")
    with pytest.raises(TransitionError, match=r"cannot acknowledge an? acknowledged"):
        acknowledge(acknowledge(make(), by="li", at=T0), by="wang", at=T0)


# -- engine: dedupe, raising, cooldown ------------------------------------------------------------


def test_one_open_warning_per_event_and_tier() -> None:
    clock = Clock(T0)
    eng = engine(clock)
    first = eng.evaluate([event(30, clock.t)])
    assert [w.tier for w in first] == [Tier.IV]
    assert first[0].assignee == "li" and first[0].notify
    for _ in range(5):
        clock.advance(5 * MIN)
        assert eng.evaluate([event(35, clock.t)]) == []
    # another event is another warning
    assert len(eng.evaluate([event(30, clock.t, event_id=2)])) == 1
    assert len(eng.open_warnings()) == 2


def test_growing_event_is_raised_and_the_lower_warning_superseded() -> None:
    clock = Clock(T0)
    eng = engine(clock)
    (blue,) = eng.evaluate([event(30, clock.t)])
    clock.advance(20 * MIN)
    (orange,) = eng.evaluate([event(400, clock.t)])
    assert orange.tier is Tier.II and orange.raised_from == blue.id
    old = eng.warnings_[blue.id]
    assert old.status is WarningStatus.SUPERSEDED and old.superseded_by == orange.id
    assert [w.id for w in eng.open_warnings()] == [orange.id]
    # the event cooling down to a lower tier changes nothing
    clock.advance(20 * MIN)
    assert eng.evaluate([event(30, clock.t)]) == []
    assert eng.warnings_[orange.id].status is WarningStatus.NEW


def test_cooldown_after_dismissal_except_for_a_higher_tier() -> None:
    clock = Clock(T0)
    eng = engine(clock, cooldown_seconds=6 * 3600)
    (w,) = eng.evaluate([event(120, clock.t)])
    assert w.tier is Tier.III
    eng.dismiss(w.id, by="li", reason="广告刷屏")
    clock.advance(3600)
    assert eng.evaluate([event(150, clock.t)]) == []  # same tier, within cooldown
    assert eng.evaluate([event(40, clock.t)]) == []  # lower tier, within cooldown
    clock.advance(3600)
    (red,) = eng.evaluate([event(1200, clock.t)])  # it really grew: a higher tier still fires
    assert red.tier is Tier.I
    eng.dismiss(red.id, by="li", reason="已处置")
    clock.advance(6 * 3600 + 1)
    (again,) = eng.evaluate([event(1200, clock.t)])  # cooldown over
    assert again.tier is Tier.I


def test_retired_events_leave_their_warnings_in_place() -> None:
    clock = Clock(T0)
    eng = engine(clock)
    (w,) = eng.evaluate([event(30, clock.t)])
    from dataclasses import replace

    retired = replace(event(30, clock.t), retired=True)
    assert eng.evaluate([retired]) == []
    assert eng.warnings_[w.id].is_open


# -- escalation -----------------------------------------------------------------------------------


def test_unacknowledged_red_warning_walks_down_the_duty_list() -> None:
    clock = Clock(T0)
    eng = engine(clock)  # tier I: 10 minutes to acknowledge
    (w,) = eng.evaluate([event(1500, clock.t)])
    assert w.tier is Tier.I and w.assignee == "li"
    clock.advance(9 * MIN)
    assert eng.escalations() == []
    clock.advance(1 * MIN)
    (e1,) = eng.escalations()
    assert (e1.previous, e1.to, e1.level, e1.at) == ("li", "wang", 1, T0 + 10 * MIN)
    assert eng.escalations() == []  # the new person gets the full time again
    clock.advance(10 * MIN)
    (e2,) = eng.escalations()
    assert (e2.previous, e2.to, e2.level) == ("wang", "zhao", 2)
    clock.advance(60 * MIN)
    assert eng.escalations() == []  # the duty list is exhausted
    w = eng.warnings_[w.id]
    assert w.assignee == "zhao" and [s.action for s in w.history] == ["escalated", "escalated"]


def test_acknowledging_stops_escalation_and_tiers_have_their_own_timeouts() -> None:
    clock = Clock(T0)
    eng = engine(clock)
    (red,) = eng.evaluate([event(1500, clock.t, event_id=1)])
    (blue,) = eng.evaluate([event(30, clock.t, event_id=2)])
    (orange,) = eng.evaluate([event(400, clock.t, event_id=3)])
    clock.advance(5 * MIN)
    eng.acknowledge(red.id, by="li")
    clock.advance(25 * MIN)
    got = eng.escalations()
    assert [e.warning_id for e in got] == [orange.id]  # II: 30 min; I was acknowledged
    clock.advance(24 * 3600)
    assert all(e.warning_id != blue.id for e in eng.escalations())  # IV never escalates


def test_quiet_hours_hold_notifications_until_released() -> None:
    night = T0 + 13 * 3600  # 23:00 local
    clock = Clock(night)
    eng = engine(clock, quiet_hours=QuietHours(dt.time(22, 0), dt.time(7, 0), min_tier=Tier.II))
    (yellow,) = eng.evaluate([event(120, clock.t, event_id=1)])
    (red,) = eng.evaluate([event(1500, clock.t, event_id=2)])
    assert not yellow.notify and red.notify  # the highest tiers override quiet hours
    clock.advance(3 * 3600)
    assert [e.warning_id for e in eng.escalations()] == [red.id]  # nobody was called for yellow
    assert eng.release_quiet() == []  # still quiet at 02:00
    clock.t = T0 + 24 * 3600 - 2 * 3600  # 08:00 next day
    (released,) = eng.release_quiet()
    assert released.id == yellow.id and released.notify
    eng.acknowledge(red.id, by="zhao")
    clock.advance(4 * 3600 - 1)
    assert eng.escalations() == []  # the ack clock (III: 4 hours) started at release
    clock.advance(1)
    assert [e.warning_id for e in eng.escalations()] == [yellow.id]


def test_restore_continues_dedupe_and_cooldown() -> None:
    clock = Clock(T0)
    eng = engine(clock)
    (w,) = eng.evaluate([event(120, clock.t)])
    eng.dismiss(w.id, by="li", reason="误报")
    (other,) = eng.evaluate([event(30, clock.t, event_id=2)])
    again = WarningEngine.restore(eng.warnings_.values(), WarningPolicy(), scheme="water", clock=clock)
    clock.advance(MIN)
    assert again.evaluate([event(120, clock.t), event(30, clock.t, event_id=2)]) == []
    (new,) = again.evaluate([event(30, clock.t, event_id=3)])
    assert new.id not in (w.id, other.id)
