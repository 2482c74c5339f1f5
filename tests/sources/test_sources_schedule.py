"""Scheduling and health: next run, backoff, per-host limits in a cycle, health verdicts."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter

import pytest

from qingting.sources.schedule import (
    DAY,
    HealthStatus,
    PollJob,
    SourceStats,
    assess_health,
    host_of,
    next_run,
    run_poll_cycle,
)
from qingting.sources.types import FetchedItem, FetchResult, FetchState


def test_next_run_jitter_stays_within_bounds_and_spreads() -> None:
    rng = random.Random(1)
    runs = [next_run(now=1000, interval=600, jitter=0.1, rng=rng) for _ in range(200)]
    assert all(1540 <= r <= 1660 for r in runs) and len({round(r) for r in runs}) > 50


def test_backoff_doubles_per_failure_and_is_capped() -> None:
    waits = [next_run(now=0, interval=300, consecutive_failures=f, jitter=0, max_backoff=3600) for f in range(8)]
    assert waits == [300, 600, 1200, 2400, 3600, 3600, 3600, 3600]
    with pytest.raises(ValueError, match="interval"):
        next_run(now=0, interval=0)


class SlowConnector:
    """Sleeps a little and records how many jobs of its host run at once."""

    def __init__(self, host: str, live: Counter[str], peak: Counter[str], lock: threading.Lock) -> None:
        self.host, self.live, self.peak, self.lock = host, live, peak, lock

    def fetch(self, state: FetchState) -> FetchResult:
        with self.lock:
            self.live[self.host] += 1
            self.peak[self.host] = max(self.peak[self.host], self.live[self.host])
        time.sleep(0.03)
        with self.lock:
            self.live[self.host] -= 1
        return FetchResult(items=(FetchedItem(external_id=self.host),), http_status=200)


class CrashingConnector:
    def fetch(self, state: FetchState) -> FetchResult:
        raise RuntimeError("bug")


def test_poll_cycle_respects_the_per_host_limit_and_survives_a_crash() -> None:
    live: Counter[str] = Counter()
    peak: Counter[str] = Counter()
    lock = threading.Lock()
    jobs = [PollJob(f"a{i}", "a.example", SlowConnector("a.example", live, peak, lock)) for i in range(8)]
    jobs += [PollJob(f"b{i}", "b.example", SlowConnector("b.example", live, peak, lock)) for i in range(8)]
    jobs.insert(3, PollJob("bad", "c.example", CrashingConnector(), FetchState(etag='"e"', cursor="7")))
    t0 = time.monotonic()
    out = run_poll_cycle(jobs, max_workers=6, per_host=2)
    elapsed = time.monotonic() - t0
    assert [o.name for o in out] == [j.name for j in jobs]
    assert peak["a.example"] == 2 and peak["b.example"] == 2  # limit reached, never exceeded
    bad = out[3].result
    assert bad.failed and "connector crashed: RuntimeError: bug" in bad.errors[0].what
    assert bad.state == FetchState(etag='"e"', cursor="7")
    assert elapsed < 0.03 * 16 / 2  # hosts ran in parallel: faster than one at a time per host


def test_host_of() -> None:
    assert (
        host_of("https://News.Example.cn:8443/rss") == "news.example.cn" and host_of("mail.example") == "mail.example"
    )


def test_health_verdicts() -> None:
    now = 100 * DAY
    normal = tuple([50, 60, 40, 55, 45, 52, 48, 50])
    ok = assess_health(SourceStats(last_success=now - 600, items_last_24h=45, daily_counts=normal), now=now)
    assert ok.status is HealthStatus.OK and ok.problems == () and ok.normal_per_day == 50
    silent = assess_health(SourceStats(last_success=now - 600, items_last_24h=3, daily_counts=normal), now=now)
    assert silent.status is HealthStatus.SILENT and "only 3 items in the last 24 hours" in silent.problems[0]
    failing = assess_health(
        SourceStats(last_success=now - 5 * 3600, consecutive_failures=4, items_last_24h=0, daily_counts=normal,
                    last_error="HTTP 503"),
        now=now,
    )  # fmt: skip
    assert failing.status is HealthStatus.FAILING and len(failing.problems) == 2
    assert failing.problems[0] == "4 polls in a row failed since 5 hours ago: HTTP 503"
    quiet = assess_health(SourceStats(last_success=now, items_last_24h=0, daily_counts=(1, 0, 2, 1, 0, 1, 1)), now=now)
    assert quiet.status is HealthStatus.OK  # a quiet source is not a broken one
    new = assess_health(SourceStats(last_success=now, items_last_24h=0, daily_counts=(80, 90)), now=now)
    assert new.status is HealthStatus.NEW and new.normal_per_day is None
    never = assess_health(SourceStats(last_success=None, consecutive_failures=3), now=now)
    assert never.status is HealthStatus.FAILING and "never succeeded" in never.problems[0]


def test_after_poll_counts_failures_backs_off_and_resets_on_success() -> None:
    from qingting.sources.schedule import after_poll
    from qingting.sources.types import FetchError

    stats = SourceStats(last_success=100.0)
    bad = FetchResult(errors=(FetchError("HTTP 503 Service Unavailable", "http://x/feed"),), failed=True)
    for k in range(1, 4):
        stats = after_poll(stats, bad, now=1000.0 * k, interval=600, jitter=0)
        assert stats.consecutive_failures == k and stats.next_run == 1000.0 * k + 600 * 2**k
    assert stats.last_success == 100.0 and stats.last_error == "http://x/feed: HTTP 503 Service Unavailable"
    assert assess_health(stats, now=4000).status is HealthStatus.FAILING
    stats = after_poll(stats, FetchResult(http_status=304, not_modified=True), now=5000, interval=600, jitter=0)
    assert (stats.consecutive_failures, stats.last_success, stats.last_error, stats.next_run) == (0, 5000, "", 5600)
