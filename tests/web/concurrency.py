"""Scaffolding for the PostgreSQL concurrency tests: real threads, real connections, real row locks.

A module marks itself ``pytestmark = [*ROW_LOCK_TESTS]`` (skips on SQLite, transactional so the
threads see committed data), starts ``n`` workers at one barrier with :func:`race`, and lets
Django's flush empty the append-only audit tables afterwards with :func:`allow_flush`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import pytest
from django.conf import settings
from django.db import connection, connections

# available_apps (all of them) makes Django's flush TRUNCATE … CASCADE, which the unmanaged search
# table that references monitoring_item needs on PostgreSQL.
ROW_LOCK_TESTS = [
    pytest.mark.server,
    pytest.mark.skipif(
        "postgresql" not in str(settings.DATABASES["default"]["ENGINE"]),
        reason="row locks need PostgreSQL (QINGTING_DATABASE_URL); SQLite serialises writers",
    ),
    pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS)),
]


class Outcome(NamedTuple):
    status: str  # "ok" or "error"
    value: Any  # what the work returned, or the exception it raised
    seconds: float  # from the barrier to the end of the work


def race(n: int, work: Callable[[int], Any]) -> list[Outcome]:
    """Run ``work(0) … work(n - 1)`` in ``n`` threads released at once; their outcomes in order."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        t0 = time.perf_counter()
        try:
            barrier.wait(10)
            t0 = time.perf_counter()
            results[i] = Outcome("ok", work(i), time.perf_counter() - t0)
        except Exception as exc:  # a broken barrier too; reported by the caller's assertions
            results[i] = Outcome("error", exc, time.perf_counter() - t0)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def allow_flush() -> None:
    """Let Django's flush after a transactional test TRUNCATE the append-only (trigger-guarded)
    tables: triggers off for this session only (PostgreSQL superuser) — the only place they are
    bypassed."""
    with connection.cursor() as c:
        c.execute("SET session_replication_role = replica")
