"""Deadlines on the Chinese working-day calendar through the platform: Spring Festival and National
Day with their adjusted working days (调休), pauses, extensions, the weekends-only fallback notice
for a year without a schedule, the editable calendar, and the 75 % reminder / breach escalation
job (each sent once, audited, e-mailed to the unit through a real SMTP server on loopback)."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from qingting.web.cases import jobs, services
from qingting.web.cases.models import CalendarYear, Case, CaseAction, CaseAlert, UnitProfile

from .conftest import at

END = (23, 59, 59, 999999)


class Clock:
    """The time given to the services (``now=``), set by the test (deadlines depend on when things happen)."""

    current: Clock | None = None

    def __init__(self) -> None:
        self.now = at(2026, 1, 5, 9, 0)
        Clock.current = self

    def set(self, *args: int) -> datetime:
        self.now = at(*args)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _case(people: dict[str, Any], clock: Clock, category: str = "complaint", **kw: Any) -> Case:
    return services.case_create(
        actor=people["dispatcher"],
        unit=people["east"],
        channel=kw.pop("channel", "mailbox"),
        category=category,
        summary="测试时限",
        received_at=clock.now,
        now=clock.now,
        **kw,
    )


def _act(people: dict[str, Any], case: Case, action: str, who: str = "dispatcher", **kw: Any) -> Case:
    assert Clock.current is not None
    return services.case_act(actor=people[who], case_id=case.pk, action=action, now=Clock.current.now, **kw)


def test_spring_festival_with_adjusted_working_days(people: dict[str, Any], clock: Clock) -> None:
    # Fri 13 Feb 2026; Sat 14 Feb is a working day (调休); 15–23 Feb are the holiday; Sat 28 Feb is worked.
    clock.set(2026, 2, 13, 10, 0)
    case = _case(people, clock)  # complaint: 1 working day to acknowledge, 13 to close
    assert case.ack_due == at(2026, 2, 14, *END)  # the Saturday worked
    assert case.close_due == at(2026, 3, 10, *END)  # weekends-only would say 4 March
    assert case.deadline_notice == ""


def test_national_day_and_a_pause_across_it(people: dict[str, Any], clock: Clock) -> None:
    # Wed 30 Sep 2026, an enquiry (3 working days): 1–7 Oct off, 8 and 9 Oct, Sat 10 Oct worked.
    clock.set(2026, 9, 30, 15, 0)
    assert _case(people, clock, category="enquiry").close_due == at(2026, 10, 10, *END)

    # A complaint received Mon 21 Sep: 13 working days → Thu 15 Oct. Pending from Wed 23 Sep to
    # Thu 8 Oct pauses the clock for the working days in (23 Sep, 8 Oct]: 24, 28, 29, 30 Sep and
    # 8 Oct (25–27 Sep is the Mid-Autumn holiday) → due 5 working days later, Thu 22 Oct.
    clock.set(2026, 9, 21, 9, 0)
    case = _case(people, clock)
    assert case.close_due == at(2026, 10, 15, *END)
    _act(people, case, "register")
    _act(people, case, "assign", assignee_id=people["east_handler"].pk)
    _act(people, case, "claim", "east_handler")
    clock.set(2026, 9, 23, 11, 0)
    case = _act(people, case, "pend", "east_handler", reason="等待住建局回复")
    assert case.next_due is None  # paused: not overdue, not in the overdue queue
    clock.set(2026, 10, 8, 9, 30)
    case = _act(people, case, "resume", "east_handler")
    assert case.close_due == at(2026, 10, 22, *END) and case.next_due is not None
    assert case.paused_seconds == (at(2026, 10, 8, 9, 30) - at(2026, 9, 23, 11, 0)).total_seconds()

    # One extension of at most 10 working days, with a reason; a second is refused.
    with pytest.raises(ValidationError, match="理由"):
        _act(people, case, "extend", "leader", amount=5)
    case = _act(people, case, "extend", "leader", amount=5, reason="涉及多部门，需延期")
    assert case.close_due == at(2026, 10, 29, *END)
    with pytest.raises(ValidationError, match="只允许延期 1 次"):
        _act(people, case, "extend", "leader", amount=1, reason="再延")

    clock.set(2026, 10, 28, 16, 0)
    _act(people, case, "answer", "east_handler", reply="已协调住建局处理完毕。")
    case = _act(people, case, "close")
    assert case.on_time is True
    # The verdict is frozen: reopening starts a fresh cycle and forgets nothing in the trail.
    clock.set(2026, 11, 2, 9, 0)
    case = _act(people, case, "reopen", reason="市民反映问题复发")
    assert case.on_time is None and case.reopen_count == 1 and case.close_due == at(2026, 11, 19, *END)
    closes = CaseAction.objects.filter(case=case, action="close").values_list("new", flat=True)
    assert [c["on_time"] for c in closes] == [True]


def test_petition_days_and_late_close(people: dict[str, Any], clock: Clock) -> None:
    # 信访: accept within 15 日 of receipt; finish within 60 日 of acceptance.
    clock.set(2026, 9, 16, 10, 0)
    case = _case(people, clock, category="other", channel="petition")
    assert case.sla_policy == "petition" and case.ack_due == at(2026, 10, 1, *END).replace(day=8)
    # 16 Sep + 15 = 1 Oct, a holiday: the period runs to the first working day after it (8 Oct).
    assert case.close_due is None  # the 60 days start at acceptance
    clock.set(2026, 9, 18, 10, 0)
    case = _act(people, case, "register")
    assert case.close_due == at(2026, 11, 17, *END)
    _act(people, case, "assign", assignee_id=people["east_handler"].pk)
    _act(people, case, "claim", "east_handler")
    clock.set(2026, 11, 20, 10, 0)
    _act(people, case, "answer", "east_handler", reply="答复意见书已送达。")
    assert _act(people, case, "close").on_time is False


def test_a_year_without_a_schedule_is_flagged_and_the_admin_can_add_it(people: dict[str, Any], clock: Clock) -> None:
    clock.set(2026, 12, 28, 10, 0)
    case = _case(people, clock)  # 13 working days run into 2027, which has no official schedule yet
    assert "2027 年尚无官方放假安排" in case.deadline_notice
    assert case.close_due == at(2027, 1, 14, *END)  # weekends only
    # The admin enters 2027 (here: 1–3 Jan off, nothing worked on a weekend) …
    CalendarYear.objects.create(year=2027, holidays=["2027-01-01", "2027-01-02", "2027-01-03"], workdays=[])
    case = _act(people, case, "register")  # … and every change recomputes the deadlines.
    assert case.deadline_notice == "" and case.close_due == at(2027, 1, 15, *END)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    controller_mod = pytest.importorskip("aiosmtpd.controller")
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    inbox = Inbox()
    controller = controller_mod.Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_reminder_at_75_percent_and_escalation_at_breach_each_once(
    people: dict[str, Any], clock: Clock, smtp: tuple[Inbox, int], django_capture_on_commit_callbacks: Any
) -> None:
    inbox, port = smtp
    UnitProfile.objects.create(unit=people["east"], abbreviation="东街", email="duty@east.example")
    seen: list[jobs.Alert] = []
    jobs.hooks.append(seen.append)
    try:
        clock.set(2026, 3, 2, 10, 0)  # Monday; an enquiry: 3 working days → Thu 5 March 23:59
        case = _case(people, clock, category="enquiry")
        _act(people, case, "register")  # acknowledged: that target is met
        with override_settings(EMAIL_HOST="127.0.0.1", EMAIL_PORT=port, DEFAULT_FROM_EMAIL="qt@gov.example"):
            with django_capture_on_commit_callbacks(execute=True):
                assert jobs.deadline_alerts(at(2026, 3, 4, 12, 0)) == 0  # before 75 % (Thu 06:00)
            with django_capture_on_commit_callbacks(execute=True):
                assert jobs.deadline_alerts(at(2026, 3, 5, 7, 0)) == 2  # answer and close reminders
            with django_capture_on_commit_callbacks(execute=True):
                assert jobs.deadline_alerts(at(2026, 3, 5, 8, 0)) == 0  # sent once
            with django_capture_on_commit_callbacks(execute=True):
                assert jobs.deadline_alerts(at(2026, 3, 6, 0, 1)) == 2  # breached: escalate
                assert jobs.deadline_alerts(at(2026, 3, 6, 0, 2)) == 0
    finally:
        jobs.hooks.remove(seen.append)
    assert [(a.kind, a.stage) for a in seen] == [
        ("remind", "answer"),
        ("remind", "close"),
        ("escalate", "answer"),
        ("escalate", "close"),
    ]
    assert CaseAlert.objects.filter(case=case).count() == 4
    trail = list(CaseAction.objects.filter(case=case, actor=None).values_list("action", "version"))
    assert trail == [("remind", None), ("remind", None), ("escalate", None), ("escalate", None)]
    assert len(inbox.messages) == 4
    first = email.message_from_bytes(inbox.messages[0], policy=email.policy.default)
    assert "即将到期" in str(first["Subject"]) and case.number in str(first["Subject"])
    assert Case.objects.get(pk=case.pk).next_alert_at is None


def test_the_deadline_job_is_registered() -> None:
    from qingting.web import periodic

    job = next(j for j in periodic.jobs() if j.name == "cases.deadlines")
    assert job.resolve() is jobs.deadline_alerts and job.every <= 300


def test_overdue_queue_and_paging(people: dict[str, Any], clock: Clock) -> None:
    from qingting.web.cases import selectors

    clock.set(2026, 3, 2, 10, 0)  # enquiries: due Thu 5 March
    late = _case(people, clock, category="enquiry")
    paused = _case(people, clock, category="enquiry")
    for case in (late, paused):
        _act(people, case, "register")
        _act(people, case, "assign", assignee_id=people["east_handler"].pk)
        _act(people, case, "claim", "east_handler")
    _act(people, paused, "pend", "east_handler", reason="等待市民补充材料")
    clock.set(2026, 3, 3, 10, 0)
    fresh = _case(people, clock, category="complaint")
    unacknowledged = _case(people, clock, category="complaint")  # its 1-working-day acknowledgement lapses
    _act(people, fresh, "register")
    after_due = at(2026, 3, 6, 9, 0)
    h = people["east_handler"]
    # Overdue: past the earliest unmet due time; the paused one is not overdue.
    assert list(selectors.queue(h, "overdue", now=after_due)) == [unacknowledged, late]
    assert list(selectors.queue(h, "mine", now=after_due)) == [late, paused]  # most urgent first, paused last
    assert selectors.queue_counts(h, now=after_due) == {"mine": 2, "unit": 4, "overdue": 2}
    rows, count = selectors.page(selectors.queue(h, "all", now=after_due), limit=2, offset=2)
    assert count == 4 and [c.pk for c in rows] == [paused.pk, late.pk]  # newest first, third and fourth
    assert fresh.pk not in [c.pk for c in rows]
    with pytest.raises(ValueError, match="unknown queue"):
        selectors.queue(h, "everything", now=after_due)
