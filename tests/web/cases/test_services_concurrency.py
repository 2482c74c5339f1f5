"""Two handlers acting on one case at once, on PostgreSQL with real row locks: exactly one wins,
the other gets a clear CaseConflict; the trail holds one entry per applied action.

Transactional test (the threads need committed data and their own connections). The case audit
trail refuses TRUNCATE, so the flush after the test runs with triggers off for that session
(``session_replication_role = replica``, PostgreSQL superuser) — the only place they are bypassed.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from qingting.web.cases import services
from qingting.web.cases.models import Case, CaseAction

from ..concurrency import ROW_LOCK_TESTS, allow_flush, race

pytestmark = ROW_LOCK_TESTS


@pytest.fixture
def pg(people: dict[str, Any]) -> Iterator[dict[str, Any]]:
    # An earlier transactional test's flush removed the seeded rules; seed them again (idempotent).
    from django.apps import apps

    importlib.import_module("qingting.web.cases.migrations.0003_seed_rules").seed(apps, None)
    yield people
    allow_flush()


def _assigned(people: dict[str, Any]) -> Case:
    case = services.case_create(actor=None, unit=people["east"], channel="hotline", category="help", summary="并发测试")
    services.case_act(actor=people["dispatcher"], case_id=case.pk, action="register")
    return services.case_act(actor=people["dispatcher"], case_id=case.pk, action="assign")


def test_two_handlers_claim_at_once_one_wins_one_conflict(pg: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    case = _assigned(pg)
    version = case.version
    # Hold the row lock a little longer inside the transaction, so the race is certain to overlap.
    original = services.recompute_deadlines

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.3)
        return original(*args, **kwargs)

    monkeypatch.setattr(services, "recompute_deadlines", slow)
    handlers = [pg["east_handler"], pg["east_handler2"]]
    results = race(
        2,
        lambda i: services.case_act(actor=handlers[i], case_id=case.pk, action="claim", expected_version=version),
    )
    ok = [r for r in results if r[0] == "ok"]
    errors = [r for r in results if r[0] == "error"]
    assert len(ok) == 1 and len(errors) == 1, results
    loser = errors[0]
    assert isinstance(loser[1], services.CaseConflict), loser
    assert "已被他人修改" in str(loser[1]) and loser[1].current_version == version + 1
    assert loser[2] >= 0.25  # it waited on the winner's row lock, then saw the new version
    case.refresh_from_db()
    assert case.status == "in_progress" and case.version == version + 1 and case.assignee == ok[0][1].assignee
    assert CaseAction.objects.filter(case=case, action="claim").count() == 1


def test_many_writers_without_versions_apply_exactly_one_claim(pg: dict[str, Any]) -> None:
    case = _assigned(pg)
    handlers = [pg["east_handler"], pg["east_handler2"], pg["dispatcher"], pg["east_admin"]]
    results = race(4, lambda i: services.case_act(actor=handlers[i], case_id=case.pk, action="claim"))
    assert sum(r[0] == "ok" for r in results) == 1, results
    for r in results:
        if r[0] == "error":
            assert isinstance(r[1], ValidationError) and "状态为“办理中”的诉求不能“认领”" in str(r[1])
    assert CaseAction.objects.filter(case=case, action="claim").count() == 1
    versions = list(CaseAction.objects.filter(case=case).order_by("version").values_list("version", flat=True))
    assert versions == [0, 1, 2, 3]


def test_case_numbers_stay_unique_under_concurrent_creation(pg: dict[str, Any]) -> None:
    results = race(
        6,
        lambda i: (
            services.case_create(
                actor=None, unit=pg["west"], channel="web", category="enquiry", summary=f"并发登记 {i}"
            ).number
        ),
    )
    assert all(r[0] == "ok" for r in results), results
    numbers = sorted(r[1] for r in results)
    assert len(set(numbers)) == 6 and numbers[0].endswith("0001号") and numbers[-1].endswith("0006号")
