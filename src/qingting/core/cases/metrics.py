"""Case metrics per unit and period: counts, 办结率, 按时办结率, median handling time.

No national formula exists (STANDARDS.md §3); ours is stated here and in docs/cases.md. For a
period [start, end):

* **received** — cases received in the period, duplicates (merged into another case) left out;
* **closed** — cases whose closing time falls in the period (CLOSED or NOT_RESPONSIBLE);
* **open_at_end** — cases received before ``end`` and not closed before ``end`` (duplicates out);
* **办结率 closure rate** = cases received in the period and closed (or declined) before ``end``
  ÷ received;
* **按时办结率 on-time rate** = cases whose close due time falls in the period and which were
  closed no later than it ÷ cases whose close due time falls in the period (open ones count as
  late; declined and duplicate cases have no due time to meet and are left out);
* **median handling time** = median of (closed − received) over cases CLOSED in the period, in
  elapsed time and, when a calendar is given, in working days.

A rate with an empty denominator is ``None`` (shown as "—"), never 0 or 100%.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from qingting.core.cases.calendar import WorkingCalendar, to_china
from qingting.core.cases.workflow import CaseState

TOTAL = "*"
"""The key of the all-units row."""


@dataclass(frozen=True, slots=True)
class MetricCase:
    """What the metrics need from one case."""

    unit: str
    state: CaseState
    received_at: datetime
    closed_at: datetime | None = None
    close_due: datetime | None = None  # the close target's due time (frozen at close)


@dataclass(frozen=True, slots=True)
class UnitMetrics:
    """Figures for one unit (or :data:`TOTAL`) and one period."""

    unit: str
    received: int
    closed: int
    open_at_end: int
    closed_of_received: int
    due: int
    due_on_time: int
    median_handling: timedelta | None
    median_working_days: float | None

    @property
    def closure_rate(self) -> float | None:
        """办结率."""
        return self.closed_of_received / self.received if self.received else None

    @property
    def on_time_rate(self) -> float | None:
        """按时办结率."""
        return self.due_on_time / self.due if self.due else None


_DONE = {CaseState.CLOSED, CaseState.NOT_RESPONSIBLE}


def _median_td(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    seconds = statistics.median(v.total_seconds() for v in values)
    return timedelta(seconds=seconds)


def _metrics(
    unit: str, cases: list[MetricCase], start: datetime, end: datetime, cal: WorkingCalendar | None
) -> UnitMetrics:
    counted = [c for c in cases if c.state is not CaseState.DUPLICATE]
    received = [c for c in counted if start <= c.received_at < end]

    def done_before(c: MetricCase, t: datetime) -> bool:
        return c.state in _DONE and c.closed_at is not None and c.closed_at < t

    closed = [c for c in counted if c.state in _DONE and c.closed_at is not None and start <= c.closed_at < end]
    handled = [c for c in closed if c.state is CaseState.CLOSED and c.closed_at is not None]
    durations = [c.closed_at - c.received_at for c in handled if c.closed_at is not None]
    due = [
        c
        for c in counted
        if c.state is not CaseState.NOT_RESPONSIBLE and c.close_due is not None and start <= c.close_due < end
    ]
    on_time = [
        c
        for c in due
        if c.state is CaseState.CLOSED
        and c.closed_at is not None
        and c.close_due is not None
        and c.closed_at <= c.close_due
    ]
    working = (
        [float(cal.working_days_between(c.received_at, c.closed_at)) for c in handled if c.closed_at is not None]
        if cal is not None
        else []
    )
    return UnitMetrics(
        unit=unit,
        received=len(received),
        closed=len(closed),
        open_at_end=sum(1 for c in counted if c.received_at < end and not done_before(c, end)),
        closed_of_received=sum(1 for c in received if done_before(c, end)),
        due=len(due),
        due_on_time=len(on_time),
        median_handling=_median_td(durations),
        median_working_days=statistics.median(working) if working else None,
    )


def case_metrics(
    cases: Iterable[MetricCase],
    *,
    start: datetime,
    end: datetime,
    calendar: WorkingCalendar | None = None,
) -> dict[str, UnitMetrics]:
    """Metrics per unit for the period [start, end), plus the :data:`TOTAL` row.

    Example: ``case_metrics(cases, start=jan1, end=feb1)["城管局"].closure_rate``.
    """
    start, end = to_china(start), to_china(end)
    if end <= start:
        raise ValueError("end must be after start")
    all_cases = list(cases)
    by_unit: dict[str, list[MetricCase]] = {}
    for c in all_cases:
        by_unit.setdefault(c.unit, []).append(c)
    out = {u: _metrics(u, cs, start, end, calendar) for u, cs in sorted(by_unit.items())}
    out[TOTAL] = _metrics(TOTAL, all_cases, start, end, calendar)
    return out
