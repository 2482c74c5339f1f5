"""Working-day calendar: Chinese holidays and adjusted working days, fallback years, office hours."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qingting.core.cases.calendar import CHINA_TZ, LimitUnit, WorkingCalendar, WorkingHours

CAL = WorkingCalendar.seeded()
# chinesecalendar 1.11 stops at 2026; dropping 2027 keeps these tests true after an upgrade.
NO2027 = CAL.without_year(2027)


def cst(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHINA_TZ)  # type: ignore[misc]


def test_seeded_from_package_up_to_2026_only() -> None:
    assert CAL.has_schedule(2025) and CAL.has_schedule(2026)
    assert CAL.has_schedule(2004) and not CAL.has_schedule(2100)


def test_spring_festival_2026_with_adjusted_saturdays() -> None:
    # 2026-02-14 (Sat) and 2026-02-28 (Sat) are worked; 02-15 … 02-23 are off.
    assert CAL.is_working_day(date(2026, 2, 14))
    assert not CAL.is_working_day(date(2026, 2, 16))
    assert not CAL.is_working_day(date(2026, 2, 23))
    assert CAL.is_working_day(date(2026, 2, 28))
    assert CAL.add_working_days(date(2026, 2, 12), 3).due_date == date(2026, 2, 24)
    assert CAL.add_working_days(date(2026, 2, 13), 1).due_date == date(2026, 2, 14)
    assert CAL.working_days_between(date(2026, 2, 13), date(2026, 2, 28)) == 6


def test_national_day_2025_and_2026() -> None:
    # 2025: 10-01 … 10-08 off, 09-28 (Sun) and 10-11 (Sat) worked.
    assert CAL.add_working_days(date(2025, 9, 26), 1).due_date == date(2025, 9, 28)
    assert CAL.add_working_days(date(2025, 9, 30), 2).due_date == date(2025, 10, 10)
    assert CAL.add_working_days(date(2025, 9, 30), 3).due_date == date(2025, 10, 11)
    # 2026: 10-01 … 10-07 off, 10-10 (Sat) worked; 09-25 (Fri) is Mid-Autumn.
    assert CAL.add_working_days(date(2026, 9, 30), 1).due_date == date(2026, 10, 8)
    assert CAL.add_working_days(date(2026, 9, 24), 1).due_date == date(2026, 9, 28)
    assert CAL.add_working_days(date(2026, 10, 9), 1).due_date == date(2026, 10, 10)
    # A 13-working-day complaint limit from 2026-09-28 (Mon).
    # 09-29, 09-30, 10-08, 10-09, 10-10 (Sat), 10-12 … 10-16, 10-19, 10-20, 10-21.
    assert CAL.add_working_days(date(2026, 9, 28), 13).due_date == date(2026, 10, 21)


def test_due_is_end_of_day_in_china_time() -> None:
    due = CAL.add_working_days(date(2026, 3, 2), 1).due
    assert due == cst(2026, 3, 3, 23, 59, 59, 999999)
    # An aware UTC instant late in the evening is already the next day in China.
    assert CAL.add_working_days(datetime(2026, 3, 2, 20, 0, tzinfo=UTC), 1).due_date == date(2026, 3, 4)


def test_naive_datetime_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        CAL.add_working_hours(datetime(2026, 3, 2, 9, 0), 1)


def test_calendar_days_roll_past_holiday_end() -> None:
    # 15 "日" from 2026-02-01 lands on 02-16, inside the Spring Festival: the period ends 02-24.
    assert CAL.add_calendar_days(date(2026, 2, 1), 15).due_date == date(2026, 2, 24)
    assert CAL.add_calendar_days(date(2026, 2, 1), 15, roll_past_holidays=False).due_date == date(2026, 2, 16)
    # A weekend alone does not roll: 2026-03-07 is a Saturday.
    assert CAL.add_calendar_days(date(2026, 3, 1), 6).due_date == date(2026, 3, 7)
    assert CAL.calendar_days_between(date(2026, 2, 1), date(2026, 4, 2)) == 60


def test_working_hours_skip_lunch_nights_and_holidays() -> None:
    assert CAL.add_working_hours(cst(2026, 3, 2, 11, 0), 2).due == cst(2026, 3, 2, 14, 30)
    # Friday before the Spring Festival; Saturday 02-14 is worked, then nothing until 02-24.
    assert CAL.add_working_hours(cst(2026, 2, 13, 16, 0), 3).due == cst(2026, 2, 14, 10, 30)
    assert CAL.add_working_hours(cst(2026, 2, 14, 17, 0), 1).due == cst(2026, 2, 24, 9, 30)
    # Started at night, the clock starts at the next opening.
    assert CAL.add_working_hours(cst(2026, 3, 2, 22, 0), 1).due == cst(2026, 3, 3, 10, 0)
    assert CAL.working_time_between(cst(2026, 2, 13, 16, 0), cst(2026, 2, 24, 10, 0)) == timedelta(hours=9.5)


def test_configurable_office_hours() -> None:
    from datetime import time

    cal = WorkingCalendar.seeded(WorkingHours(((time(8, 30), time(17, 0)),)))
    assert cal.hours.per_day == timedelta(hours=8.5)
    assert cal.add_working_hours(cst(2026, 3, 2, 16, 0), 2).due == cst(2026, 3, 3, 9, 30)


def test_2027_falls_back_to_weekends_and_says_so() -> None:
    d = NO2027.add_working_days(date(2027, 3, 1), 5)
    assert d.due_date == date(2027, 3, 8)
    assert d.uses_fallback and d.fallback_years == (2027,)
    assert "2027 年尚无官方放假安排，按仅周末休息计算" in d.notices[0]
    assert "weekends only" in d.notices[0]
    # New Year's Day 2027 (Friday) counts as working: wrong in reality, hence the notice.
    crossing = NO2027.add_working_days(date(2026, 12, 30), 2)
    assert crossing.due_date == date(2027, 1, 1) and crossing.fallback_years == (2027,)
    assert not NO2027.add_working_days(date(2026, 3, 2), 5).uses_fallback


def test_admin_extends_2027_and_round_trips_through_json() -> None:
    # An illustrative 2027 schedule as an admin would enter it.
    cal = NO2027.with_year(
        2027,
        holidays=[date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3)],
        workdays=[date(2027, 1, 9)],
    )
    d = cal.add_working_days(date(2026, 12, 31), 1)
    assert d.due_date == date(2027, 1, 4) and not d.uses_fallback
    assert cal.is_working_day(date(2027, 1, 9))
    stored = json.loads(json.dumps(cal.to_dict()))
    again = WorkingCalendar.from_dict(stored)
    assert again.years == cal.years and again.hours == cal.hours
    # Storage may keep only the admin's years; seeding fills in the rest.
    only_admin = {"years": {"2027": stored["years"]["2027"]}}
    assert WorkingCalendar.from_dict(only_admin, seed=True).years[2027] == cal.years[2027]
    assert not cal.without_year(2027).has_schedule(2027)


def test_schedule_validation() -> None:
    with pytest.raises(ValueError, match="Saturdays or Sundays"):
        CAL.with_year(2027, holidays=[], workdays=[date(2027, 1, 4)])
    with pytest.raises(ValueError, match="not in year"):
        CAL.with_year(2027, holidays=[date(2026, 1, 1)], workdays=[])
    with pytest.raises(ValueError, match="whole days"):
        CAL.add(cst(2026, 3, 2, 9, 0), 1.5, LimitUnit.WORKING_DAYS)


@settings(max_examples=60, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 1)),
    minutes=st.integers(min_value=0, max_value=60 * 7 * 20),
)
def test_working_hours_add_and_measure_agree(start: datetime, minutes: int) -> None:
    s = start.replace(tzinfo=CHINA_TZ)
    due = CAL.add_working_hours(s, timedelta(minutes=minutes)).due
    assert due >= s
    assert CAL.working_time_between(s, due) == timedelta(minutes=minutes)


@settings(max_examples=60, deadline=None)
@given(start=st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 11, 1)), n=st.integers(1, 40))
def test_working_days_add_and_count_agree(start: date, n: int) -> None:
    due = CAL.add_working_days(start, n).due_date
    assert CAL.is_working_day(due)
    assert CAL.working_days_between(start, due) == n
