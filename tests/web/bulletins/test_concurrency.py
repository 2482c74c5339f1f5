"""Numbering and issuing under real concurrency, on PostgreSQL with row locks.

Two leaders sign two bulletins of one unit at the same moment: the numbers differ and follow on.
Two people issue the same signed bulletin at once: one issues, the other is told it is already
issued. Transactional test (threads need committed data); the audit table refuses TRUNCATE, so
the flush after the test runs with triggers off for that session, as in the cases tests.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from qingting.web.bulletins import services

from ..concurrency import ROW_LOCK_TESTS, allow_flush, race

pytestmark = ROW_LOCK_TESTS


@pytest.fixture
def pg(world: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield world
    allow_flush()


def _submitted(w: dict[str, Any]) -> Any:
    b = services.bulletin_create(actor=w["east_analyst"], unit=w["east"], events=w["east_events"])
    return services.bulletin_submit(actor=w["east_analyst"], bulletin_id=b.pk, to_user=w["east_leader"])


def test_simultaneous_sign_offs_take_distinct_numbers(pg: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    w = pg
    ids = [_submitted(w).pk for _ in range(3)]
    real = services._next_number

    def slow(unit: Any, year: int) -> int:
        n = real(unit, year)
        time.sleep(0.3)  # hold the counter lock so the sign-offs overlap
        return n

    monkeypatch.setattr(services, "_next_number", slow)
    leaders = [w["east_leader"], w["office_leader"], w["east_leader"]]
    results = race(3, lambda i: services.bulletin_sign(actor=leaders[i], bulletin_id=ids[i], instructions="阅"))
    assert all(r[0] == "ok" for r in results), results
    assert sorted(r[1].seq for r in results) == [1, 2, 3]


def test_simultaneous_issue_issues_once(pg: dict[str, Any]) -> None:
    from qingting.web.reporting.models import IssuedReport

    w = pg
    b = _submitted(w)
    services.bulletin_sign(actor=w["east_leader"], bulletin_id=b.pk, instructions="阅")
    results = race(
        2, lambda i: services.bulletin_issue(actor=[w["east_analyst"], w["east_leader"]][i], bulletin_id=b.pk)
    )
    outcomes = sorted(r[0] for r in results)
    assert outcomes == ["error", "ok"], results
    assert isinstance(next(r[1] for r in results if r[0] == "error"), services.BulletinConflict)
    assert IssuedReport.objects.filter(kind="bulletin").count() == 1
