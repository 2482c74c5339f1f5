"""Duty (值班): shifts that never overlap, 24-hour duty on holidays and key dates with the gaps
shown, handovers, drills, and the person on duty as the first a warning reaches."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from qingting.core.cases.calendar import CHINA_TZ
from qingting.web.ledger import selectors, services
from qingting.web.ledger.models import DutyShift

from ..warnings.conftest import burst, ingest
from ..warnings.conftest import setup as warnings_setup  # noqa: F401  (the fixture, under this name)


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour % 24), tzinfo=CHINA_TZ) + timedelta(days=hour // 24)


def test_overlapping_shift_is_refused_naming_the_field(staff: dict[str, Any]) -> None:
    day = date(2026, 10, 1)
    services.duty_shift_add(
        actor=staff["east_leader"],
        unit=staff["east"],
        start=at(day, 8),
        end=at(day, 20),
        person=staff["east_handler"],
        leader=staff["east_leader"],
    )
    with pytest.raises(ValidationError) as exc:
        services.duty_shift_add(
            actor=staff["east_leader"],
            unit=staff["east"],
            start=at(day, 19),
            end=at(day, 32),
            person=staff["east_analyst"],
        )
    assert "start" in exc.value.message_dict and "east_handler" in exc.value.message_dict["start"][0]
    with pytest.raises(ValidationError) as exc:
        services.duty_shift_add(
            actor=staff["east_leader"],
            unit=staff["east"],
            start=at(day, 20),
            end=at(day, 19),
            person=staff["east_analyst"],
        )
    assert "end" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.duty_shift_add(
            actor=staff["east_leader"],
            unit=staff["east"],
            start=at(day, 20),
            end=at(day, 32),
            person=staff["west_handler"],
        )
    assert "person" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.duty_shift_add(
            actor=staff["east_handler"],
            unit=staff["east"],
            start=at(day, 20),
            end=at(day, 32),
            person=staff["east_handler"],
        )
    assert DutyShift.objects.count() == 1
    # Back to back is not an overlap.
    services.duty_shift_add(
        actor=staff["east_leader"], unit=staff["east"], start=at(day, 20), end=at(day, 32), person=staff["east_analyst"]
    )
    assert DutyShift.objects.count() == 2


def test_holiday_needs_24_hours_and_the_gap_is_shown(staff: dict[str, Any]) -> None:
    day = date(2026, 10, 1)  # National Day: an official holiday in the calendar
    services.duty_shift_add(
        actor=staff["east_leader"], unit=staff["east"], start=at(day, 0), end=at(day, 8), person=staff["east_handler"]
    )
    services.duty_shift_add(
        actor=staff["east_leader"], unit=staff["east"], start=at(day, 12), end=at(day, 24), person=staff["east_analyst"]
    )
    [d] = selectors.duty_days(staff["east"], day, day)
    assert d.requires_24h and "节假日" in d.key_label
    assert [(a.astimezone(CHINA_TZ).hour, b.astimezone(CHINA_TZ).hour) for a, b in d.gaps] == [(8, 12)]
    assert selectors.duty_gap_days([staff["east"].pk], day, day) == {staff["east"].pk: [day]}
    # An ordinary working day asks for no 24-hour duty: no gaps reported.
    [w] = selectors.duty_days(staff["east"], date(2026, 10, 13), date(2026, 10, 13))
    assert not w.requires_24h and w.gaps == ()


def test_adjusted_working_day_is_not_a_holiday(staff: dict[str, Any]) -> None:
    # 2026-10-10 (Saturday) is worked in exchange for the National Day break (调休) — if the
    # calendar says so; the plan follows the calendar, whatever it says.
    cal = selectors.calendar()
    saturday = date(2026, 10, 10)
    [d] = selectors.duty_days(staff["east"], saturday, saturday)
    assert d.requires_24h == cal.is_holiday(saturday)


def test_key_date_of_the_warnings_app_asks_for_24_hours(staff: dict[str, Any]) -> None:
    from qingting.web.warnings.services import key_date_add

    key_date_add(
        actor=staff["office_admin"],
        unit=staff["office"],
        label="县两会",
        start=date(2026, 3, 10),
        end=date(2026, 3, 11),
        watch_24h=True,
    )
    days = selectors.duty_days(staff["east"], date(2026, 3, 9), date(2026, 3, 12))
    assert [d.day for d in days if d.requires_24h] == [date(2026, 3, 10), date(2026, 3, 11)]
    assert all(d.key_label == "县两会" and d.gaps for d in days if d.requires_24h)


def test_year_without_official_schedule_shows_the_notice(staff: dict[str, Any]) -> None:
    [d] = selectors.duty_days(staff["east"], date(2031, 5, 1), date(2031, 5, 1))
    assert d.notices and "2031" in d.notices[0]


def test_handover_once_per_shift_by_the_person_on_duty(staff: dict[str, Any]) -> None:
    day = date(2026, 10, 2)
    shift = services.duty_shift_add(
        actor=staff["east_leader"], unit=staff["east"], start=at(day, 8), end=at(day, 20), person=staff["east_handler"]
    )
    with pytest.raises(PermissionDenied):
        services.handover_write(actor=staff["east_analyst"], shift_id=shift.pk, happened="无")
    services.handover_write(
        actor=staff["east_handler"], shift_id=shift.pk, happened="处置停水预警1起", open_items="待水务局回复"
    )
    with pytest.raises(ValidationError):
        services.handover_write(actor=staff["east_handler"], shift_id=shift.pk, happened="again")
    with pytest.raises(ValidationError):  # a shift with its log stays
        services.duty_shift_delete(actor=staff["east_leader"], shift_id=shift.pk)


def test_drill_is_recorded(staff: dict[str, Any]) -> None:
    d = services.drill_record(
        actor=staff["east_leader"],
        unit=staff["east"],
        day=date(2026, 6, 1),
        scenario="突发停水舆情应急处置演练",
        participants=[staff["east_handler"]],
        participant_count=12,
    )
    assert d.participant_count == 12 and list(d.participants.all()) == [staff["east_handler"]]
    with pytest.raises(ValidationError) as exc:
        services.drill_record(
            actor=staff["east_leader"],
            unit=staff["east"],
            day=date(2026, 6, 1),
            scenario="x",
            participants=[staff["east_handler"], staff["east_analyst"]],
            participant_count=1,
        )
    assert "participant_count" in exc.value.message_dict


def test_a_warning_reaches_the_person_on_duty_first(warnings_setup: dict[str, Any]) -> None:  # noqa: F811
    """The warnings app's duty list reads the duty plan: the person on the shift covering the
    moment of the warning is its assignee; escalation goes to the leader in charge, then the
    standing list (east_analyst, duty2)."""
    from qingting.web.accounts import services as accounts
    from qingting.web.accounts.models import Role
    from qingting.web.warnings.models import Warning
    from qingting.web.warnings.services import escalate_due

    setup = warnings_setup
    east = setup["east"]
    leader = accounts.user_create(
        actor=None, username="east_boss", password="Qt-test-pass-2026!", email="b@east.example"
    )
    accounts.membership_grant(actor=None, user=leader, unit=east, role=Role.LEADER)
    now = timezone.now()
    services.duty_shift_add(
        actor=setup["admin"],
        unit=east,
        start=now - timedelta(hours=1),
        end=now + timedelta(hours=11),
        person=setup["duty2"],
        leader=leader,
    )
    assert selectors.on_duty_people(east, now) == [setup["duty2"], leader]
    ingest(setup, burst("a", 70, step=5))
    w = Warning.objects.get()
    assert w.assignee == setup["duty2"]
    assert escalate_due(w.last_escalated_at + timedelta(minutes=30)) == 1
    w.refresh_from_db()
    assert w.assignee == leader
