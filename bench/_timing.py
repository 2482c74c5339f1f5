"""Timing helpers the page benchmarks share: one call's time, and first / median / p95 of a series."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def ms(fn: Callable[[], Any]) -> float:
    """Wall time of one call of ``fn``, in milliseconds."""
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def first_median_p95(times: list[float]) -> tuple[float, float, float]:
    """The first time (nothing reused yet), and the median and p95 of the rest."""
    first, rest = times[0], sorted(times[1:]) or times
    return first, statistics.median(rest), rest[min(len(rest) - 1, int(len(rest) * 0.95))]


def page_times(client: Any, url: str, repeat: int, *, skip: tuple[int, ...] = ()) -> list[float] | None:
    """Milliseconds of ``repeat + 1`` GETs of ``url`` (each must answer 200); ``None`` when the
    first answers with a status in ``skip`` (a page this user may not see)."""
    times: list[float] = []
    for _ in range(repeat + 1):
        start = time.perf_counter()
        status = client.get(url).status_code
        times.append((time.perf_counter() - start) * 1000)
        if status in skip and len(times) == 1:
            return None
        assert status == 200, (url, status)
    return times
