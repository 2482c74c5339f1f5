"""Embedded mode: an in-process scheduler thread that polls due sources and runs periodic jobs.

Every ``tick`` seconds the thread claims the sources whose next run has come (at most as many as
it has free slots) and polls each on a small thread pool, so at most ``concurrency`` polls run at
once and a slow site never blocks the others. :meth:`EmbeddedScheduler.stop` lets running polls
finish (each poll commits its items and health in one transaction; an interrupted one is simply
repeated) and then returns. The periodic jobs registered in :mod:`qingting.web.periodic` run on
the same pool, each at most once at a time, when their interval has passed.

>>> scheduler = EmbeddedScheduler(tick=5.0, concurrency=4).start()  # doctest: +SKIP
>>> scheduler.stop()  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def _django_now() -> datetime:
    from django.utils import timezone

    now: datetime = timezone.now()
    return now


def _claim(now: datetime, limit: int) -> list[int]:
    from qingting.web.monitoring.services.polling import sources_claim_due

    return sources_claim_due(now=now, limit=limit)


def _poll(source_id: int, now: datetime) -> Any:
    from qingting.web.monitoring.services.polling import source_poll

    return source_poll(source_id=source_id, now=now)


class EmbeddedScheduler:
    """Polls due sources from a background thread; ``start()`` / ``stop()``; ``run_once()`` for tests.

    ``tick``: seconds between looks for due sources. ``concurrency``: polls at a time (≥ 1).
    ``clock``: the time given to the claim and to each poll (tests pass a controllable one).
    ``claim(now, limit)`` and ``poll(source_id, now)`` default to the platform's services.
    """

    def __init__(
        self,
        *,
        tick: float = 5.0,
        concurrency: int = 4,
        clock: Clock = _django_now,
        claim: Callable[[datetime, int], list[int]] = _claim,
        poll: Callable[[int, datetime], Any] = _poll,
    ) -> None:
        if tick <= 0:
            raise ValueError("tick must be positive (seconds between looks for due sources)")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.tick = tick
        self.concurrency = concurrency
        self.clock = clock
        self.claim = claim
        self.poll = poll
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._running: set[Future[Any]] = set()
        self._lock = threading.Lock()
        self.polls_started = 0
        self.polls_done = 0
        self.polls_failed = 0  # polls that raised (our faults: database, bugs), logged and counted
        self._job_last: dict[str, float] = {}  # job name -> monotonic time it last started
        self._job_running: dict[str, Future[Any]] = {}
        self.jobs_failed = 0

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> EmbeddedScheduler:
        """Start the scheduler thread (daemon, so it never keeps the process alive); returns self."""
        if self._thread is not None:
            raise RuntimeError("the scheduler is already started")
        self._stop.clear()
        self._pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="qingting-poll")
        self._thread = threading.Thread(target=self._loop, name="qingting-scheduler", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 60.0) -> None:
        """Stop looking for due sources, wait up to ``timeout`` s for running polls, then return."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    @property
    def running(self) -> bool:
        """Whether the scheduler thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> EmbeddedScheduler:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- work -----------------------------------------------------------------------------------

    def run_once(self) -> list[Future[Any]]:
        """One tick: claim up to the free slots' worth of due sources and submit their polls."""
        pool = self._pool
        if pool is None:
            raise RuntimeError("start() the scheduler first")
        with self._lock:
            self._running = {f for f in self._running if not f.done()}
            free = self.concurrency - len(self._running)
        if free <= 0:
            return []
        now = self.clock()
        try:
            ids = self.claim(now, free)
        except Exception:  # the database is briefly unavailable: try again next tick
            log.exception("scheduler: looking for due sources failed")
            return []
        futures = [pool.submit(self._poll_one, source_id, now) for source_id in ids]
        with self._lock:
            self._running.update(futures)
        self.polls_started += len(futures)
        return futures

    def run_jobs(self, *, force: bool = False) -> list[Future[Any]]:
        """Submit the periodic jobs whose interval has passed (all of them with ``force``)."""
        from qingting.web import periodic

        pool = self._pool
        if pool is None:
            raise RuntimeError("start() the scheduler first")
        started = []
        for job in periodic.jobs():
            last = self._job_last.get(job.name)
            running = self._job_running.get(job.name)
            if running is not None and not running.done():
                continue
            if not force and last is not None and time.monotonic() - last < job.every:
                continue
            self._job_last[job.name] = time.monotonic()
            future = pool.submit(self._job_one, job.name)
            self._job_running[job.name] = future
            started.append(future)
        return started

    def _job_one(self, name: str) -> Any:
        from qingting.web import periodic

        try:
            return periodic.run(name, self.clock())
        except Exception:
            with self._lock:
                self.jobs_failed += 1
            log.exception("scheduler: periodic job %s failed", name)
            return None
        finally:
            self._close_connection()

    def _poll_one(self, source_id: int, now: datetime) -> Any:
        try:
            return self.poll(source_id, now)
        except Exception:
            with self._lock:
                self.polls_failed += 1
            log.exception("scheduler: polling source %s failed", source_id)
            return None
        finally:
            self._close_connection()
            with self._lock:
                self.polls_done += 1

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
                self.run_jobs()
            except Exception:  # never let the thread die silently
                log.exception("scheduler tick failed")
            # The claim ran on this thread; do not hold its connection between ticks.
            self._close_connection()
            self._stop.wait(self.tick)

    @staticmethod
    def _close_connection() -> None:
        # Each pool thread has its own Django connection; closing it after use keeps SQLite's
        # write lock and PostgreSQL's connection slots free between polls.
        try:
            from django.db import connection

            connection.close()
        except Exception:
            pass


def start_embedded_scheduler() -> EmbeddedScheduler:
    """The scheduler with the tick and concurrency from settings, started (``qingting serve``)."""
    from django.conf import settings

    return EmbeddedScheduler(
        tick=float(getattr(settings, "QINGTING_SCHEDULER_TICK", 5.0)),
        concurrency=int(getattr(settings, "QINGTING_SCHEDULER_CONCURRENCY", 4)),
    ).start()
