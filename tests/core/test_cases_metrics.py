"""Case metrics on a constructed set: counts, 办结率, 按时办结率, median handling time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from qingting.core.cases.calendar import CHINA_TZ, WorkingCalendar
from qingting.core.cases.metrics import TOTAL, MetricCase, case_metrics
from qingting.core.cases.workflow import CaseState


def cst(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHINA_TZ)  # type: ignore[misc]


def end_of(y: int, m: int, d: int) -> datetime:
    return cst(y, m, d, 23, 59, 59)


S = CaseState
CASES = [
    MetricCase("城管局", S.CLOSED, cst(2026, 3, 2, 10), cst(2026, 3, 5, 10), end_of(2026, 3, 5)),  # on time, 3 d
    MetricCase("城管局", S.CLOSED, cst(2026, 3, 3, 10), cst(2026, 3, 20, 10), end_of(2026, 3, 10)),  # late, 17 d
    MetricCase("城管局", S.IN_PROGRESS, cst(2026, 3, 25, 10), None, end_of(2026, 3, 30)),  # overdue, open
    MetricCase("城管局", S.DUPLICATE, cst(2026, 3, 26, 10), cst(2026, 3, 26, 11), end_of(2026, 3, 31)),  # left out
    MetricCase("城管局", S.CLOSED, cst(2026, 2, 20, 10), cst(2026, 3, 2, 10), end_of(2026, 3, 3)),  # Feb case, 10 d
    MetricCase("城管局", S.NOT_RESPONSIBLE, cst(2026, 3, 10, 9), cst(2026, 3, 11, 9), end_of(2026, 3, 20)),
    MetricCase("住建局", S.ASSIGNED, cst(2026, 3, 31, 23), None, end_of(2026, 4, 3)),
]


def test_metrics_per_unit_and_total() -> None:
    m = case_metrics(CASES, start=cst(2026, 3, 1), end=cst(2026, 4, 1), calendar=WorkingCalendar.seeded())
    a = m["城管局"]
    assert (a.received, a.closed, a.open_at_end) == (4, 4, 1)
    assert a.closure_rate == pytest.approx(0.75)  # 3 of the 4 received in March are done by April
    assert (a.due, a.due_on_time) == (4, 2) and a.on_time_rate == pytest.approx(0.5)
    assert a.median_handling == timedelta(days=10)
    # Working days: 3 (03-02→03-05), 13 (03-03→03-20), 6 (02-20→03-02, 02-28 a worked Saturday).
    assert a.median_working_days == 6
    b = m["住建局"]
    assert b.received == 1 and b.closure_rate == 0 and b.on_time_rate is None and b.median_handling is None
    total = m[TOTAL]
    assert total.received == 5 and total.closure_rate == pytest.approx(3 / 5)
    assert total.on_time_rate == pytest.approx(0.5) and total.open_at_end == 2


def test_period_edges_and_utc_bounds() -> None:
    # 2026-03-31 23:00 China time is 15:00 UTC: inside March whichever zone the bounds are given in.
    utc = UTC
    m = case_metrics(CASES, start=datetime(2026, 2, 28, 16, tzinfo=utc), end=datetime(2026, 3, 31, 16, tzinfo=utc))
    assert m["住建局"].received == 1
    april = case_metrics(CASES, start=cst(2026, 4, 1), end=cst(2026, 5, 1))
    assert april[TOTAL].received == 0 and april[TOTAL].closure_rate is None
    assert april[TOTAL].open_at_end == 2 and april["住建局"].due == 1 and april["住建局"].on_time_rate == 0
    with pytest.raises(ValueError):
        case_metrics(CASES, start=cst(2026, 4, 1), end=cst(2026, 4, 1))
