"""SLA policies: matching, due dates over timelines with pauses and extensions, reminders, breaches."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qingting.core.cases.calendar import CHINA_TZ, LimitUnit, WorkingCalendar
from qingting.core.cases.sla import (
    DEFAULT_POLICIES,
    ClockState,
    EventKind,
    SlaError,
    SlaPolicy,
    Stage,
    Target,
    TimelineEvent,
    check_extension,
    compute_sla,
    match_policy,
    policies_from_list,
    policies_to_list,
)

CAL = WorkingCalendar.seeded()
POLICY = {p.name: p for p in DEFAULT_POLICIES}


def cst(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHINA_TZ)  # type: ignore[misc]


def ev(kind: EventKind, *at: int, amount: float = 0, reason: str = "") -> TimelineEvent:
    return TimelineEvent(cst(*at), kind, amount, reason)


def test_first_match_wins_with_fallback() -> None:
    assert match_policy(DEFAULT_POLICIES, category="complaint", priority="urgent", channel="web").name == "emergency"
    assert match_policy(DEFAULT_POLICIES, category="complaint", priority="normal", channel="web").name == "complaint"
    assert match_policy(DEFAULT_POLICIES, category="enquiry", priority="normal", channel="petition").name == "petition"
    assert match_policy(DEFAULT_POLICIES, category="建议", priority="normal", channel="mailbox").name == "default"
    with pytest.raises(SlaError, match="no SLA policy"):
        match_policy(DEFAULT_POLICIES[:1], category="x", priority="normal", channel="web")


def test_enquiry_due_reminder_and_breach() -> None:
    events = [ev(EventKind.RECEIVED, 2026, 3, 2, 10, 0)]
    at = compute_sla(POLICY["enquiry"], events, CAL, now=cst(2026, 3, 2, 10, 0))
    answer = at.target(Stage.ANSWER)
    assert answer.due is not None and answer.due.due_date == date(2026, 3, 5)
    assert at.target(Stage.ACKNOWLEDGE).due.due_date == date(2026, 3, 3)  # type: ignore[union-attr]
    # 75% of 3 working days: 03-03 and 03-04 whole, then a quarter of 03-05.
    assert answer.remind_at == cst(2026, 3, 5, 6, 0)
    assert answer.state is ClockState.RUNNING
    later = compute_sla(POLICY["enquiry"], events, CAL, now=cst(2026, 3, 5, 7, 0))
    assert Stage.ANSWER in later.reminders
    assert Stage.ACKNOWLEDGE in later.breached  # nobody acknowledged by 03-03
    gone = compute_sla(POLICY["enquiry"], events, CAL, now=cst(2026, 3, 6, 0, 0, 1))
    assert set(gone.breached) == {Stage.ACKNOWLEDGE, Stage.ANSWER, Stage.CLOSE}


def test_pause_shifts_due_in_working_days() -> None:
    events = [
        ev(EventKind.RECEIVED, 2026, 3, 2, 10, 0),
        ev(EventKind.ACKNOWLEDGED, 2026, 3, 2, 11, 0),
        ev(EventKind.PAUSED, 2026, 3, 4, 10, 0),  # waiting on the citizen
        ev(EventKind.RESUMED, 2026, 3, 9, 10, 0),  # 03-05, 03-06, 03-09: three working days
    ]
    unpaused = compute_sla(POLICY["complaint"], events[:2], CAL, now=cst(2026, 3, 3, 9, 0))
    assert unpaused.target(Stage.CLOSE).due.due_date == date(2026, 3, 19)  # type: ignore[union-attr]
    status = compute_sla(POLICY["complaint"], events, CAL, now=cst(2026, 3, 10, 9, 0))
    close = status.target(Stage.CLOSE)
    assert close.paused_for == 3
    assert close.due is not None and close.due.due_date == date(2026, 3, 24)
    # While the pause is open the clock says so, and the due date moves with it.
    mid = compute_sla(POLICY["complaint"], events[:3], CAL, now=cst(2026, 3, 6, 12, 0))
    assert mid.target(Stage.CLOSE).state is ClockState.PAUSED
    # Paused so far over 03-05 and 03-06: due provisionally two working days later than 03-19.
    assert mid.target(Stage.CLOSE).due.due_date == date(2026, 3, 23)  # type: ignore[union-attr]


def test_pause_in_working_hours_across_spring_festival() -> None:
    policy = SlaPolicy(name="hotline", answer=Target(4, LimitUnit.WORKING_HOURS))
    events = [
        ev(EventKind.RECEIVED, 2026, 2, 13, 15, 0),
        ev(EventKind.PAUSED, 2026, 2, 13, 15, 30),
        ev(EventKind.RESUMED, 2026, 2, 24, 10, 0),
    ]
    plain = compute_sla(policy, events[:1], CAL, now=cst(2026, 2, 13, 15, 0)).target(Stage.ANSWER)
    assert plain.due is not None and plain.due.due == cst(2026, 2, 14, 10, 30)  # 02-14 is a worked Saturday
    paused = compute_sla(policy, events, CAL, now=cst(2026, 2, 24, 10, 0)).target(Stage.ANSWER)
    assert paused.paused_for == pytest.approx(10.0)  # 2 h + 7 h (02-14) + 1 h (02-24)
    assert paused.due is not None and paused.due.due == cst(2026, 2, 24, 15, 0)
    # 75% of 4 h = 3 h: half an hour before the pause, 2.5 h after it.
    assert paused.remind_at == cst(2026, 2, 24, 14, 0)


def test_petition_accept_within_15_days_finish_within_60_of_acceptance_one_extension() -> None:
    policy = POLICY["petition"]
    received = [ev(EventKind.RECEIVED, 2026, 1, 20, 9, 0)]
    before = compute_sla(policy, received, CAL, now=cst(2026, 1, 21, 9, 0))
    assert before.target(Stage.ACKNOWLEDGE).due.due_date == date(2026, 2, 4)  # type: ignore[union-attr]
    assert before.target(Stage.CLOSE).state is ClockState.NOT_STARTED  # 60 days run from acceptance
    events = [*received, ev(EventKind.ACKNOWLEDGED, 2026, 2, 1, 9, 0)]
    status = compute_sla(policy, events, CAL, now=cst(2026, 2, 2, 9, 0))
    assert status.target(Stage.ACKNOWLEDGE).state is ClockState.MET_ON_TIME
    assert status.target(Stage.CLOSE).due.due_date == date(2026, 4, 2)  # type: ignore[union-attr]
    check_extension(policy, events, amount=30, reason="需要现场核查")
    extended = [*events, ev(EventKind.EXTENDED, 2026, 3, 30, 9, 0, amount=30, reason="需要现场核查")]
    close = compute_sla(policy, extended, CAL, now=cst(2026, 4, 1, 9, 0)).target(Stage.CLOSE)
    # 90 days from 02-01 is 05-02, inside the May Day holiday: the period ends 05-06.
    assert close.extended_by == 30 and close.due is not None and close.due.due_date == date(2026, 5, 6)
    with pytest.raises(SlaError, match="1 extension"):
        check_extension(policy, extended, amount=10, reason="again")
    with pytest.raises(SlaError, match="at most 30"):
        check_extension(policy, events, amount=31, reason="long")
    with pytest.raises(SlaError, match="reason"):
        check_extension(policy, events, amount=10, reason="  ")


def test_verdict_frozen_at_close() -> None:
    events = [ev(EventKind.RECEIVED, 2026, 3, 2, 10, 0), ev(EventKind.CLOSED, 2026, 3, 5, 17, 0)]
    far = cst(2026, 12, 1, 0, 0)
    close = compute_sla(POLICY["enquiry"], events, CAL, now=far).target(Stage.CLOSE)
    assert close.on_time is True and close.met_at == cst(2026, 3, 5, 17, 0)
    # A pause opened after the close (e.g. on reopening) does not touch the verdict.
    later = [*events, ev(EventKind.PAUSED, 2026, 3, 6, 9, 0)]
    assert compute_sla(POLICY["enquiry"], later, CAL, now=far).target(Stage.CLOSE).on_time is True
    late = [events[0], ev(EventKind.CLOSED, 2026, 3, 6, 9, 0)]
    assert compute_sla(POLICY["enquiry"], late, CAL, now=far).target(Stage.CLOSE).state is ClockState.MET_LATE


def test_emergency_same_day_even_on_a_holiday() -> None:
    status = compute_sla(
        POLICY["emergency"], [ev(EventKind.RECEIVED, 2026, 2, 16, 20, 0)], CAL, now=cst(2026, 2, 16, 20)
    )
    assert status.target(Stage.CLOSE).due.due_date == date(2026, 2, 16)  # type: ignore[union-attr]
    assert status.next_due == cst(2026, 2, 16, 23, 59, 59, 999999)
    # Same-day limits remind at 75% of the hours left in the day: 20:00 + 0.75 × 4 h ≈ 23:00.
    remind = status.target(Stage.CLOSE).remind_at
    assert remind is not None and cst(2026, 2, 16, 22, 59) < remind < cst(2026, 2, 16, 23, 1)


def test_2027_deadline_carries_fallback_notice() -> None:
    status = compute_sla(
        POLICY["complaint"], [ev(EventKind.RECEIVED, 2026, 12, 28, 9, 0)], CAL, now=cst(2026, 12, 28, 9)
    )
    close = status.target(Stage.CLOSE)
    assert close.due is not None and close.due.fallback_years == (2027,)
    assert any("2027 年尚无官方放假安排" in n for n in close.notices)


def test_events_after_now_are_ignored() -> None:
    events = [ev(EventKind.RECEIVED, 2026, 3, 2, 10, 0), ev(EventKind.ANSWERED, 2026, 3, 4, 10, 0)]
    assert compute_sla(POLICY["enquiry"], events, CAL, now=cst(2026, 3, 3, 0)).target(Stage.ANSWER).met_at is None


def test_policies_round_trip_through_json() -> None:
    again = policies_from_list(json.loads(json.dumps(policies_to_list(DEFAULT_POLICIES))))
    assert again == DEFAULT_POLICIES


def test_target_validation() -> None:
    with pytest.raises(ValueError, match="whole days"):
        Target(1.5, LimitUnit.WORKING_DAYS)
    with pytest.raises(ValueError):
        SlaPolicy(name="x", reminder_fraction=0)


@settings(max_examples=80, deadline=None)
@given(
    policy=st.sampled_from(DEFAULT_POLICIES),
    received=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 10, 1)),
    gaps=st.lists(st.integers(min_value=1, max_value=6 * 24 * 60), min_size=0, max_size=6),
)
def test_pauses_never_bring_a_due_time_forward(policy: SlaPolicy, received: datetime, gaps: list[int]) -> None:
    start = received.replace(tzinfo=CHINA_TZ)
    events = [TimelineEvent(start, EventKind.RECEIVED), TimelineEvent(start, EventKind.ACKNOWLEDGED)]
    t = start
    for i, minutes in enumerate(gaps):  # alternate pause / resume
        t += timedelta(minutes=minutes)
        events.append(TimelineEvent(t, EventKind.PAUSED if i % 2 == 0 else EventKind.RESUMED))
    now = t + timedelta(minutes=1)
    plain = compute_sla(policy, events[:2], CAL, now=now)
    paused = compute_sla(policy, events, CAL, now=now)
    for stage in (Stage.ANSWER, Stage.CLOSE):
        a, b = plain.target(stage), paused.target(stage)
        assert a.due is not None and b.due is not None and b.due.due >= a.due.due
        assert b.remind_at is not None and start <= b.remind_at <= b.due.due
