"""Scheduling and health as pure logic: when to poll next, how a cycle runs, whether a source is well.

Nothing here sleeps or stores: the worker (embedded thread or Celery beat) asks :func:`next_run`
when to poll, runs due sources with :func:`run_poll_cycle`, and the web layer keeps the
counters that :func:`assess_health` turns into a status and problems for the UI. Every function
takes the time (``now``) or a clock as a parameter, so tests control it.
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from enum import StrEnum
from urllib.parse import urlsplit

from qingting.sources.types import Connector, FetchError, FetchResult, FetchState

__all__ = [
    "HealthStatus",
    "PollJob",
    "PollOutcome",
    "SourceHealth",
    "SourceStats",
    "after_poll",
    "assess_health",
    "host_of",
    "next_run",
    "run_poll_cycle",
]

DAY = 86_400.0


def next_run(
    *,
    now: float,
    interval: float,
    consecutive_failures: int = 0,
    jitter: float = 0.1,
    max_backoff: float = 6 * 3600.0,
    rng: random.Random | None = None,
) -> float:
    """When to poll next: ``interval`` after ``now``, doubled per consecutive failure (capped at
    ``max_backoff``), spread by ±``jitter`` so sources added together do not poll in lockstep.

    >>> next_run(now=0, interval=600, jitter=0)
    600.0
    >>> next_run(now=0, interval=600, consecutive_failures=3, jitter=0)
    4800.0
    >>> next_run(now=0, interval=600, consecutive_failures=30, jitter=0)
    21600.0
    """
    if interval <= 0:
        raise ValueError("interval must be positive")
    if not 0 <= jitter < 1:
        raise ValueError("jitter must be in [0, 1)")
    base = float(interval)
    if consecutive_failures > 0:
        base = min(max(max_backoff, interval), interval * 2.0 ** min(consecutive_failures, 60))
    spread = (rng or random).uniform(-jitter, jitter) if jitter else 0.0
    return now + base * (1.0 + spread)


def host_of(target: str) -> str:
    """The host a job talks to, for per-host limits (a URL's host, else the string itself)."""
    return (urlsplit(target).hostname or target).lower()


@dataclass(frozen=True)
class PollJob:
    """One source to poll in a cycle."""

    name: str
    host: str
    connector: Connector
    state: FetchState = field(default_factory=FetchState)


@dataclass(frozen=True)
class PollOutcome:
    """A job's result with its timing (clock seconds)."""

    name: str
    result: FetchResult
    started: float
    finished: float


def run_poll_cycle(
    jobs: Sequence[PollJob],
    *,
    max_workers: int = 8,
    per_host: int = 2,
    clock: Callable[[], float] = time.monotonic,
) -> list[PollOutcome]:
    """Poll every job once, at most ``max_workers`` at a time and ``per_host`` per host.

    A worker takes the first waiting job whose host has a free slot, so one slow host never
    holds up the others. A connector that raises (a bug) yields a failed result, never an
    exception out of the cycle. Outcomes come back in the order of ``jobs``.
    """
    if max_workers < 1 or per_host < 1:
        raise ValueError("max_workers and per_host must be >= 1")
    pending = list(range(len(jobs)))
    active: dict[str, int] = {}
    outcomes: list[PollOutcome | None] = [None] * len(jobs)
    cond = threading.Condition()

    def take() -> int | None:
        with cond:
            while True:
                if not pending:
                    return None
                for pos, idx in enumerate(pending):
                    host = jobs[idx].host
                    if active.get(host, 0) < per_host:
                        active[host] = active.get(host, 0) + 1
                        del pending[pos]
                        return idx
                cond.wait()

    def worker() -> None:
        while (idx := take()) is not None:
            job = jobs[idx]
            started = clock()
            try:
                result = job.connector.fetch(job.state)
            except Exception as e:  # a connector bug must not stop the cycle
                err = FetchError(f"connector crashed: {type(e).__name__}: {e}", job.name, "InternalError")
                result = FetchResult(errors=(err,), failed=True, cursor=job.state.cursor,
                                     etag=job.state.etag, last_modified=job.state.last_modified)  # fmt: skip
            outcomes[idx] = PollOutcome(job.name, result, started, clock())
            with cond:
                active[job.host] -= 1
                cond.notify_all()

    workers = min(max_workers, len(jobs))
    if workers:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="qingting-poll") as pool:
            for f in [pool.submit(worker) for _ in range(workers)]:
                f.result()
    return [o for o in outcomes if o is not None]


class HealthStatus(StrEnum):
    """How a source is doing (来源状态)."""

    OK = "ok"
    NEW = "new"  # not enough history to judge its normal
    FAILING = "failing"  # polls fail repeatedly
    SILENT = "silent"  # polls succeed but far fewer items than its own normal


@dataclass(frozen=True, slots=True)
class SourceStats:
    """What the platform records about a source, as input to :func:`assess_health`.

    ``daily_counts`` are items per whole day, oldest first, for up to the last 28 days before
    the current 24 hours; ``items_last_24h`` counts the current window.
    """

    last_success: float | None
    consecutive_failures: int = 0
    items_last_24h: int = 0
    daily_counts: tuple[int, ...] = ()
    last_error: str = ""
    next_run: float | None = None


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """The verdict shown on the sources page; ``problems`` are sentences for the UI and warnings."""

    status: HealthStatus
    problems: tuple[str, ...]
    last_success: float | None
    consecutive_failures: int
    items_last_24h: int
    normal_per_day: float | None
    next_run: float | None


def assess_health(
    stats: SourceStats,
    *,
    now: float,
    failing_after: int = 3,
    silent_ratio: float = 0.2,
    min_history_days: int = 7,
    min_normal: float = 5.0,
) -> SourceHealth:
    """Judge a source against its own normal (the median of its recent days).

    *failing*: ``failing_after`` consecutive failed polls. *silent*: the last 24 hours brought
    fewer than ``silent_ratio`` × normal items, judged only once ``min_history_days`` are known
    and the normal is at least ``min_normal`` items a day (a quiet source is not a broken one).

    >>> h = assess_health(SourceStats(last_success=0, items_last_24h=2, daily_counts=(40,) * 14), now=DAY)
    >>> h.status.value, h.normal_per_day
    ('silent', 40.0)
    """
    problems: list[str] = []
    history = stats.daily_counts[-28:]
    normal = float(statistics.median(history)) if len(history) >= min_history_days else None
    status = HealthStatus.OK if normal is not None else HealthStatus.NEW
    if stats.consecutive_failures >= failing_after:
        status = HealthStatus.FAILING
        since = f" since {_ago(now - stats.last_success)}" if stats.last_success is not None else " and never succeeded"
        reason = f": {stats.last_error}" if stats.last_error else ""
        problems.append(f"{stats.consecutive_failures} polls in a row failed{since}{reason}")
    if normal is not None and normal >= min_normal and stats.items_last_24h < silent_ratio * normal:
        if status is not HealthStatus.FAILING:
            status = HealthStatus.SILENT
        problems.append(f"only {stats.items_last_24h} items in the last 24 hours against a normal of {normal:g} a day")
    return SourceHealth(
        status=status,
        problems=tuple(problems),
        last_success=stats.last_success,
        consecutive_failures=stats.consecutive_failures,
        items_last_24h=stats.items_last_24h,
        normal_per_day=normal,
        next_run=stats.next_run,
    )


def after_poll(
    stats: SourceStats,
    result: FetchResult,
    *,
    now: float,
    interval: float,
    jitter: float = 0.1,
    max_backoff: float = 6 * 3600.0,
    rng: random.Random | None = None,
) -> SourceStats:
    """The source's stats after a poll: success resets the failure count, a failed poll adds one
    and records its first error; the next run backs off accordingly. Item counts are the
    platform's (it counts what it stored, per day).

    >>> from qingting.sources.types import FetchError
    >>> s = after_poll(SourceStats(last_success=None), FetchResult(errors=(FetchError("HTTP 503", "u"),),
    ...                failed=True), now=0, interval=600, jitter=0)
    >>> s.consecutive_failures, s.last_error, s.next_run
    (1, 'u: HTTP 503', 1200.0)
    """
    failures = stats.consecutive_failures + 1 if result.failed else 0
    error = (str(result.errors[0]) if result.errors else "failed") if result.failed else ""
    return replace(
        stats,
        last_success=stats.last_success if result.failed else now,
        consecutive_failures=failures,
        last_error=error,
        next_run=next_run(
            now=now, interval=interval, consecutive_failures=failures, jitter=jitter, max_backoff=max_backoff, rng=rng
        ),
    )


def _ago(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.0f} minutes ago"
    if seconds < 2 * DAY:
        return f"{seconds / 3600:.0f} hours ago"
    return f"{seconds / DAY:.0f} days ago"
