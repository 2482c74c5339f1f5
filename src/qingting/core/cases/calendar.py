"""Working-day calendar for case deadlines (工作日历): public holidays, adjusted working days (调休).

A :class:`WorkingCalendar` is built from explicit data, one :class:`YearSchedule` per year. It is
seeded from the ``chinese_calendar`` package for the years that package knows (2004–2026 in
1.11.0; it raises ``NotImplementedError`` beyond) and an administrator extends it year by year
with :meth:`WorkingCalendar.with_year` once the State Council publishes the next schedule. The
whole calendar round-trips through a plain dict (:meth:`WorkingCalendar.to_dict` /
:meth:`WorkingCalendar.from_dict`) so the platform can store it as JSON.

For a year without an official schedule the calendar falls back to "weekends only" and says so:
every :class:`Deadline` it computes lists the years that used the fallback, and
:attr:`Deadline.notices` renders the bilingual notice the UI shows next to the date.

All times are China Standard Time (UTC+8, no daylight saving). Functions accept aware datetimes in
any zone and return aware datetimes in :data:`CHINA_TZ`; a naive datetime is refused rather than
guessed.

Example::

    >>> from datetime import date
    >>> cal = WorkingCalendar.seeded()
    >>> cal.add_working_days(date(2026, 2, 13), 1).due_date  # 2026-02-14 is an adjusted workday
    datetime.date(2026, 2, 14)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from typing import Any

CHINA_TZ = timezone(timedelta(hours=8), "CST")
"""China Standard Time: the zone every case deadline is computed and shown in."""

SEED_SOURCE = "chinese_calendar"


class LimitUnit(StrEnum):
    """How a time limit is counted."""

    WORKING_DAYS = "working_days"  # 工作日
    CALENDAR_DAYS = "calendar_days"  # 日 (as in the 信访工作条例)
    WORKING_HOURS = "working_hours"  # 工作小时


@dataclass(frozen=True, slots=True)
class YearSchedule:
    """One year's official schedule: days off on weekdays-or-weekends, and weekend days worked.

    ``holidays`` are the official days off (法定节假日 and the days joined to them, weekends
    included); ``workdays`` are the adjusted working days (调休上班), always a Saturday or Sunday.
    """

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: str = "admin"

    def __post_init__(self) -> None:
        for d in self.holidays | self.workdays:
            if d.year != self.year:
                raise ValueError(f"{d.isoformat()} is not in year {self.year}")
        both = self.holidays & self.workdays
        if both:
            raise ValueError(f"dates both holiday and workday: {sorted(x.isoformat() for x in both)}")
        weekdays = sorted(d.isoformat() for d in self.workdays if d.weekday() < 5)
        if weekdays:
            # An adjusted working day is a weekend day worked; a weekday listed here is a typo.
            raise ValueError(f"adjusted working days must be Saturdays or Sundays: {weekdays}")


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """Office hours on a working day, as ordered non-overlapping (start, end) periods."""

    periods: tuple[tuple[time, time], ...] = ((time(9, 0), time(12, 0)), (time(13, 30), time(17, 30)))

    def __post_init__(self) -> None:
        if not self.periods:
            raise ValueError("working hours need at least one period")
        last = time(0, 0)
        for start, end in self.periods:
            if not start < end:
                raise ValueError(f"period {start}–{end} ends before it starts")
            if start < last:
                raise ValueError("working-hour periods must be ordered and must not overlap")
            last = end

    @property
    def per_day(self) -> timedelta:
        """Length of one working day."""
        return sum((_at(date(2000, 1, 3), e) - _at(date(2000, 1, 3), s) for s, e in self.periods), timedelta())


def fallback_notice(year: int) -> str:
    """The bilingual notice shown with a deadline computed for a year without an official schedule."""
    return f"{year} 年尚无官方放假安排，按仅周末休息计算 / no official holiday schedule for {year}: weekends only"


@dataclass(frozen=True, slots=True)
class Deadline:
    """A computed due time, with the years for which the weekends-only fallback was used.

    ``due`` is the last instant that still counts as on time (inclusive), in China time. For day
    limits it is the end of ``due_date`` (23:59:59.999999).
    """

    due: datetime
    unit: LimitUnit
    fallback_years: tuple[int, ...] = ()

    @property
    def due_date(self) -> date:
        """The calendar date (China time) of the due instant."""
        return self.due.astimezone(CHINA_TZ).date()

    @property
    def uses_fallback(self) -> bool:
        """True when some year on the way had no official schedule."""
        return bool(self.fallback_years)

    @property
    def notices(self) -> tuple[str, ...]:
        """Human-readable notices (Chinese / English) to show next to the date."""
        return tuple(fallback_notice(y) for y in self.fallback_years)


def to_china(moment: datetime) -> datetime:
    """``moment`` in China time; raises ``ValueError`` on a naive datetime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime: give an aware datetime (e.g. tzinfo=CHINA_TZ)")
    return moment.astimezone(CHINA_TZ)


def _at(d: date, t: time) -> datetime:
    return datetime.combine(d, t, tzinfo=CHINA_TZ)


def _end_of(d: date) -> datetime:
    return _at(d, time.max)


def _as_date(start: date | datetime) -> date:
    return to_china(start).date() if isinstance(start, datetime) else start


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days and hours from explicit per-year schedules; weekends-only for unknown years."""

    years: Mapping[int, YearSchedule] = field(default_factory=dict)
    hours: WorkingHours = field(default_factory=WorkingHours)

    # --- construction -------------------------------------------------------------------------

    @classmethod
    def seeded(cls, hours: WorkingHours | None = None) -> WorkingCalendar:
        """A calendar holding every year the installed ``chinese_calendar`` package knows."""
        return cls(years=_seed_from_package(), hours=hours or WorkingHours())

    def with_year(
        self, year: int, *, holidays: Iterable[date], workdays: Iterable[date], source: str = "admin"
    ) -> WorkingCalendar:
        """A copy with ``year``'s official schedule set (replacing any earlier one).

        Example: ``cal.with_year(2027, holidays=[date(2027, 1, 1)], workdays=[])``.
        """
        schedule = YearSchedule(year, frozenset(holidays), frozenset(workdays), source)
        return WorkingCalendar(years={**self.years, year: schedule}, hours=self.hours)

    def without_year(self, year: int) -> WorkingCalendar:
        """A copy with ``year``'s schedule removed (the year falls back to weekends only)."""
        return WorkingCalendar(years={y: s for y, s in self.years.items() if y != year}, hours=self.hours)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``{"hours": [["09:00", "12:00"], …], "years": {"2027": {…}}}``."""
        return {
            "hours": [[s.strftime("%H:%M"), e.strftime("%H:%M")] for s, e in self.hours.periods],
            "years": {
                str(y): {
                    "holidays": sorted(d.isoformat() for d in s.holidays),
                    "workdays": sorted(d.isoformat() for d in s.workdays),
                    "source": s.source,
                }
                for y, s in sorted(self.years.items())
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, seed: bool = False) -> WorkingCalendar:
        """Rebuild a calendar from :meth:`to_dict` output.

        With ``seed=True`` the package's years are loaded first and the stored years override them,
        so storage may keep only the years an admin added.
        """
        years: dict[int, YearSchedule] = _seed_from_package() if seed else {}
        for key, raw in dict(data.get("years", {})).items():
            year = int(key)
            years[year] = YearSchedule(
                year,
                frozenset(date.fromisoformat(x) for x in raw.get("holidays", [])),
                frozenset(date.fromisoformat(x) for x in raw.get("workdays", [])),
                str(raw.get("source", "admin")),
            )
        hours_raw = data.get("hours")
        hours = (
            WorkingHours(tuple((time.fromisoformat(s), time.fromisoformat(e)) for s, e in hours_raw))
            if hours_raw
            else WorkingHours()
        )
        return cls(years=years, hours=hours)

    # --- queries ------------------------------------------------------------------------------

    def has_schedule(self, year: int) -> bool:
        """Whether an official schedule is known for ``year``."""
        return year in self.years

    def is_working_day(self, day: date | datetime) -> bool:
        """Whether ``day`` (a date, or an aware datetime taken in China time) is a working day."""
        d = _as_date(day)
        schedule = self.years.get(d.year)
        if schedule is not None:
            if d in schedule.workdays:
                return True
            if d in schedule.holidays:
                return False
        return d.weekday() < 5

    def is_holiday(self, day: date) -> bool:
        """Whether ``day`` is an official day off (not merely a weekend) in a known year."""
        schedule = self.years.get(day.year)
        return schedule is not None and day in schedule.holidays

    def _fallbacks(self, first: date, last: date) -> tuple[int, ...]:
        lo, hi = sorted((first.year, last.year))
        return tuple(y for y in range(lo, hi + 1) if y not in self.years)

    def add_working_days(self, start: date | datetime, n: int) -> Deadline:
        """Due at the end of the ``n``-th working day after ``start`` (the start day not counted).

        ``n == 0`` means "the same day": due at the end of ``start``'s day if it is a working day,
        else at the end of the next working day.
        """
        if n < 0:
            raise ValueError("n must be >= 0")
        d0 = _as_date(start)
        d = d0
        if n == 0:
            while not self.is_working_day(d):
                d += timedelta(days=1)
        remaining = n
        while remaining:
            d += timedelta(days=1)
            if self.is_working_day(d):
                remaining -= 1
        return Deadline(_end_of(d), LimitUnit.WORKING_DAYS, self._fallbacks(d0, d))

    def add_calendar_days(self, start: date | datetime, n: int, *, roll_past_holidays: bool = True) -> Deadline:
        """Due at the end of ``start + n`` days ("日" limits such as the 信访工作条例's 15 and 60 days).

        With ``roll_past_holidays`` (the default) a period whose last day is an official holiday
        ends on the first working day after it, as 民法典 第二百零三条 provides for periods in
        days; weekends alone do not roll. Pass ``False`` for a plain count.
        """
        if n < 0:
            raise ValueError("n must be >= 0")
        d0 = _as_date(start)
        d = d0 + timedelta(days=n)
        if roll_past_holidays and self.is_holiday(d):
            while not self.is_working_day(d):
                d += timedelta(days=1)
        # A plain count consults no schedule; rolling needs the last day's year.
        fallback = self._fallbacks(d, d) if roll_past_holidays else ()
        return Deadline(_end_of(d), LimitUnit.CALENDAR_DAYS, fallback)

    def working_days_between(self, start: date | datetime, end: date | datetime) -> int:
        """Working days in the half-open day range (start, end]; negative when end < start."""
        a, b = _as_date(start), _as_date(end)
        sign = 1
        if b < a:
            a, b, sign = b, a, -1
        count = sum(1 for i in range(1, (b - a).days + 1) if self.is_working_day(a + timedelta(days=i)))
        return sign * count

    def calendar_days_between(self, start: date | datetime, end: date | datetime) -> int:
        """Calendar days from start to end (China dates)."""
        return (_as_date(end) - _as_date(start)).days

    def _periods_on(self, d: date) -> Iterator[tuple[datetime, datetime]]:
        if self.is_working_day(d):
            for s, e in self.hours.periods:
                yield _at(d, s), _at(d, e)

    def add_working_hours(self, start: datetime, hours: float | timedelta) -> Deadline:
        """The instant at which ``hours`` of office time have passed since ``start``.

        Time outside office hours, on weekends and on holidays does not count. Starting outside
        office hours, the clock starts at the next opening.
        """
        left = hours if isinstance(hours, timedelta) else timedelta(hours=hours)
        if left < timedelta(0):
            raise ValueError("hours must be >= 0")
        now = to_china(start)
        d = now.date()
        while True:
            for s, e in self._periods_on(d):
                if e <= now:
                    continue
                begin = max(s, now)
                if begin + left <= e:
                    due = begin + left
                    return Deadline(due, LimitUnit.WORKING_HOURS, self._fallbacks(now.date(), due.date()))
                left -= e - begin
            d += timedelta(days=1)

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Office time between two instants (zero when end <= start)."""
        a, b = to_china(start), to_china(end)
        total = timedelta(0)
        d = a.date()
        while d <= b.date():
            for s, e in self._periods_on(d):
                lo, hi = max(s, a), min(e, b)
                if hi > lo:
                    total += hi - lo
            d += timedelta(days=1)
        return total

    def add(self, start: datetime, amount: float, unit: LimitUnit) -> Deadline:
        """Add ``amount`` in ``unit`` to ``start`` (days are whole; hours may be fractional)."""
        if unit is LimitUnit.WORKING_HOURS:
            return self.add_working_hours(start, amount)
        if amount != int(amount):
            raise ValueError(f"{unit.value} limits must be whole days, got {amount}")
        if unit is LimitUnit.WORKING_DAYS:
            return self.add_working_days(start, int(amount))
        return self.add_calendar_days(start, int(amount))


def _seed_from_package() -> dict[int, YearSchedule]:
    """Every year the installed ``chinese_calendar`` knows, as explicit schedules."""
    try:
        from chinese_calendar.constants import holidays, workdays
    except ImportError:  # the package is optional at run time: the admin can enter years by hand
        return {}
    by_year_h: dict[int, set[date]] = {}
    by_year_w: dict[int, set[date]] = {}
    for d in holidays:
        by_year_h.setdefault(d.year, set()).add(d)
    for d in workdays:
        # Only weekend days worked matter; ordinary weekdays are working days anyway.
        if d.weekday() >= 5:
            by_year_w.setdefault(d.year, set()).add(d)
    return {
        y: YearSchedule(y, frozenset(by_year_h.get(y, set())), frozenset(by_year_w.get(y, set())), SEED_SOURCE)
        for y in sorted(set(by_year_h) | set(by_year_w))
    }
