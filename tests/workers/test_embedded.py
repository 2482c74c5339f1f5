"""The embedded scheduler: bounded concurrency, survives faults, stops cleanly, polls real sources."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime

import pytest

from qingting.workers.embedded import EmbeddedScheduler


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


class FakeSources:
    """``n`` due sources handed out as a claim would; polls block until released."""

    def __init__(self, n: int) -> None:
        self.due = list(range(1, n + 1))
        self.limits: list[int] = []
        self.active = 0
        self.max_active = 0
        self.done: list[int] = []
        self.release = threading.Event()
        self.lock = threading.Lock()

    def claim(self, now: datetime, limit: int) -> list[int]:
        self.limits.append(limit)
        with self.lock:
            taken, self.due = self.due[:limit], self.due[limit:]
        return taken

    def poll(self, source_id: int, now: datetime) -> None:
        with self.lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        self.release.wait(5)
        with self.lock:
            self.active -= 1
            self.done.append(source_id)


def test_at_most_concurrency_polls_run_and_all_due_sources_get_polled() -> None:
    fake = FakeSources(7)
    scheduler = EmbeddedScheduler(tick=0.01, concurrency=3, claim=fake.claim, poll=fake.poll).start()
    try:
        wait_for(lambda: fake.active == 3)
        time.sleep(0.1)  # several ticks while all slots are busy: nothing more is claimed
        assert fake.max_active == 3 and len(fake.due) == 4
        fake.release.set()
        wait_for(lambda: len(fake.done) == 7)
    finally:
        scheduler.stop()
    assert fake.max_active == 3 and sorted(fake.done) == list(range(1, 8))
    assert all(1 <= limit <= 3 for limit in fake.limits)
    assert not scheduler.running


def test_stop_waits_for_running_polls_and_is_prompt() -> None:
    fake = FakeSources(2)
    scheduler = EmbeddedScheduler(tick=30.0, concurrency=2, claim=fake.claim, poll=fake.poll).start()
    wait_for(lambda: fake.active == 2)
    threading.Timer(0.2, fake.release.set).start()
    started = time.monotonic()
    scheduler.stop()  # the 30 s tick does not delay the stop; the running polls finish first
    assert time.monotonic() - started < 5 and sorted(fake.done) == [1, 2] and not scheduler.running


def test_faults_in_claim_or_poll_do_not_stop_the_scheduler() -> None:
    calls = {"claim": 0}
    polled: list[int] = []

    def claim(now: datetime, limit: int) -> list[int]:
        calls["claim"] += 1
        if calls["claim"] == 1:
            raise RuntimeError("database is locked")
        return [calls["claim"]] if calls["claim"] <= 4 else []

    def poll(source_id: int, now: datetime) -> None:
        polled.append(source_id)
        if source_id == 2:
            raise RuntimeError("a bug")

    with EmbeddedScheduler(tick=0.01, concurrency=1, claim=claim, poll=poll) as scheduler:
        wait_for(lambda: len(polled) == 3)
        assert scheduler.running
    assert polled == [2, 3, 4] and scheduler.polls_failed == 1


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="tick"):
        EmbeddedScheduler(tick=0)
    with pytest.raises(ValueError, match="concurrency"):
        EmbeddedScheduler(concurrency=0)
    with pytest.raises(RuntimeError, match="start"):
        EmbeddedScheduler().run_once()


# Against a real source and database: tests/workers/test_serve.py runs `qingting serve` itself (a file
# database; the in-memory test database locks whole tables across threads).


# --- periodic jobs (qingting.web.periodic) ------------------------------------------------------

CALLS: list[datetime] = []


def record_call(now: datetime) -> int:
    CALLS.append(now)
    return len(CALLS)


def fail_always(now: datetime) -> None:
    raise RuntimeError("job broke")


def test_periodic_jobs_run_when_due_once_at_a_time_and_failures_are_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    from qingting.web import periodic

    monkeypatch.setattr(periodic, "_JOBS", {})  # only this test's jobs (the apps' need a database)
    CALLS.clear()
    periodic.register("test.record", every=3600, target=f"{__name__}:record_call")
    periodic.register("test.fail", every=3600, target=f"{__name__}:fail_always")
    fake = FakeSources(0)
    scheduler = EmbeddedScheduler(tick=0.01, concurrency=2, claim=fake.claim, poll=fake.poll).start()
    try:
        wait_for(lambda: len(CALLS) == 1 and scheduler.jobs_failed >= 1)
        time.sleep(0.1)  # many ticks, but the interval (an hour) has not passed
        assert len(CALLS) == 1 and scheduler.jobs_failed == 1
        for future in scheduler.run_jobs(force=True):
            future.result(5)
        assert len(CALLS) == 2 and scheduler.jobs_failed == 2
        assert periodic.run("test.record") == 3
    finally:
        scheduler.stop()
        periodic._JOBS.pop("test.record", None)
        periodic._JOBS.pop("test.fail", None)


def test_periodic_register_refuses_bad_jobs() -> None:
    from qingting.web import periodic

    with pytest.raises(ValueError, match="positive"):
        periodic.register("test.bad", every=0, target="a:b")
    with pytest.raises(ValueError, match="module:function"):
        periodic.register("test.bad", every=1, target="a.b")
    with pytest.raises(KeyError, match="no periodic job"):
        periodic.run("test.unknown")
