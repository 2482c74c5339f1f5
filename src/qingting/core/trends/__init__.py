"""Heat, burst detection and trend state for events.

Each event counts its items in fixed time buckets. When a bucket closes, two exponentially
weighted moving averages of the per-bucket count are updated — a fast one (the event's current
rate) and a slow one (its own baseline) — together with an EWMA of the squared deviation, so the
baseline has a variance. Empty buckets between two items decay the averages as if zeros had been
observed, without iterating over them.

The burst score of an event is a z-score of its *open* bucket against the larger of its own
baseline and the stream's baseline (the typical per-bucket count of an active event, learned the
same way over the whole stream). A fresh event therefore has to rise above what an ordinary event
does in a bucket before it counts as bursting, and a big event has to rise above its own normal.
The variance uses a Poisson floor (``var >= mean``, and at least ``min_var``) so a handful of items
never yields an enormous z.

>>> act = EventActivity(start=0.0, bucket_seconds=60.0)
>>> base = StreamBaseline()
>>> for t in range(0, 600, 60):      # one item a minute for ten minutes
...     act.add(float(t), base)
>>> for t in range(600, 660, 2):     # then thirty items in one minute
...     act.add(float(t), base)
>>> act.burst_z(base) > 5
True
>>> act.trend(now=659.0, base=base) is TrendState.RISING
True
"""

from __future__ import annotations

import math
from collections import deque

from qingting.core.types import TrendState

__all__ = ["EventActivity", "StreamBaseline", "TrendState", "heat_score"]

FAST_ALPHA = 0.5  # current rate: half weight on the last closed bucket
SLOW_ALPHA = 0.1  # baseline: about ten buckets of memory
MIN_VAR = 1.0  # Poisson floor for the baseline variance, in items² per bucket
MAX_BUCKETS = 336  # buckets kept per event for charts (a week of 30-minute buckets)


class StreamBaseline:
    """The typical per-bucket count of an active event across the whole stream.

    Updated with every closed event bucket (including the implied empty ones, counted in bulk), so
    it tracks what an ordinary event does in one bucket.
    """

    __slots__ = ("mean_", "n_", "var_")

    def __init__(self) -> None:
        self.mean_ = 1.0
        self.var_ = 1.0
        self.n_ = 0

    def observe(self, count: float, empty: int = 0) -> None:
        """Learn from one closed bucket with ``count`` items, preceded by ``empty`` empty ones."""
        a = 0.01  # slow: the stream's normal changes over days, not minutes
        if empty:
            keep = (1 - a) ** min(empty, 10)  # cap: idle stretches of one event say little about others
            self.var_ = keep * (self.var_ + (1 - keep) * self.mean_**2)
            self.mean_ *= keep
        delta = count - self.mean_
        self.mean_ += a * delta
        self.var_ = (1 - a) * (self.var_ + a * delta * delta)
        self.n_ += 1


class EventActivity:
    """Per-event bucket counts, rates, peak and burst state.

    Times are unix seconds. Items older than the open bucket (out-of-order arrivals) are counted in
    the open bucket: history is never rewritten, so a late item can only make the event look
    slightly more current, never change a closed baseline.
    """

    __slots__ = (
        "bucket_",
        "bucket_seconds",
        "buckets_",
        "count_",
        "fast_",
        "last_time_",
        "peak_",
        "slow_",
        "var_",
    )

    def __init__(self, start: float, bucket_seconds: float) -> None:
        if bucket_seconds <= 0:
            raise ValueError(f"bucket_seconds must be positive, got {bucket_seconds!r}")
        self.bucket_seconds = bucket_seconds
        self.bucket_ = math.floor(start / bucket_seconds)
        self.count_ = 0  # items in the open bucket
        self.fast_ = 0.0
        self.slow_ = 0.0
        self.var_ = 0.0
        self.peak_ = 0.0  # highest fast rate seen, in items per bucket
        self.last_time_ = start
        self.buckets_: deque[tuple[int, int]] = deque(maxlen=MAX_BUCKETS)

    def _close(self, upto: int, base: StreamBaseline) -> None:
        """Close the open bucket and every empty one before bucket ``upto``."""
        c = float(self.count_)
        self.fast_ += FAST_ALPHA * (c - self.fast_)
        delta = c - self.slow_
        self.slow_ += SLOW_ALPHA * delta
        self.var_ = (1 - SLOW_ALPHA) * (self.var_ + SLOW_ALPHA * delta * delta)
        self.peak_ = max(self.peak_, self.fast_, c)
        if self.count_:
            self.buckets_.append((self.bucket_, self.count_))
        empty = upto - self.bucket_ - 1
        if empty > 0:
            # k zeros in a row: closed forms of k EWMA steps towards 0
            self.fast_ *= (1 - FAST_ALPHA) ** empty
            keep = (1 - SLOW_ALPHA) ** empty
            self.var_ = keep * (self.var_ + (1 - keep) * self.slow_**2)
            self.slow_ *= keep
        base.observe(c, max(empty, 0))
        self.bucket_ = upto
        self.count_ = 0

    def add(self, time: float, base: StreamBaseline, n: int = 1) -> None:
        """Count ``n`` items at ``time``."""
        b = math.floor(time / self.bucket_seconds)
        if b > self.bucket_:
            self._close(b, base)
        self.count_ += n
        self.last_time_ = max(self.last_time_, time)

    def advance(self, now: float, base: StreamBaseline) -> None:
        """Move the clock to ``now`` (closing buckets) without adding items."""
        b = math.floor(now / self.bucket_seconds)
        if b > self.bucket_:
            self._close(b, base)

    def expected(self, base: StreamBaseline) -> tuple[float, float]:
        """The baseline mean and variance for one bucket: the larger of own and stream's."""
        mean = max(self.slow_, base.mean_)
        var = max(self.var_ if self.slow_ >= base.mean_ else base.var_, mean, MIN_VAR)
        return mean, var

    def absorb(self, other: EventActivity, base: StreamBaseline) -> None:
        """Take in another event's activity (the engine found both are one story)."""
        if other.bucket_ < self.bucket_:
            other.advance(self.bucket_ * self.bucket_seconds, base)
        elif other.bucket_ > self.bucket_:
            self.advance(other.bucket_ * self.bucket_seconds, base)
        merged: dict[int, int] = {}
        for b, c in (*self.buckets_, *other.buckets_):
            merged[b] = merged.get(b, 0) + c
        self.buckets_ = deque(sorted(merged.items())[-MAX_BUCKETS:], maxlen=MAX_BUCKETS)
        self.count_ += other.count_
        self.fast_ += other.fast_
        self.slow_ += other.slow_
        self.var_ += other.var_
        self.peak_ += other.peak_
        self.last_time_ = max(self.last_time_, other.last_time_)

    def burst_z(self, base: StreamBaseline) -> float:
        """z-score of the open bucket against the baseline (≥ 0 means above normal)."""
        mean, var = self.expected(base)
        return (self.count_ - mean) / math.sqrt(var)

    def rate(self) -> float:
        """Current rate in items per bucket: the open bucket or the fast average, whichever is higher."""
        return max(float(self.count_), self.fast_)

    def trend(self, now: float, base: StreamBaseline, *, dormant_buckets: int = 6) -> TrendState:
        """Classify the event's trend at time ``now``.

        - dormant: no item for ``dormant_buckets`` buckets;
        - new: first seen within the last two buckets and not (yet) bursting;
        - rising: the open bucket is ≥ 2σ above the baseline, or the current rate exceeds both the
          fast average and 1.5 × the baseline;
        - peak: the current rate is at least 70 % of the highest rate seen;
        - declining: otherwise.
        """
        if now - self.last_time_ >= dormant_buckets * self.bucket_seconds:
            return TrendState.DORMANT
        z = self.burst_z(base)
        mean, _ = self.expected(base)
        rising = z >= 2.0 or (self.count_ > self.fast_ and self.count_ > 1.5 * mean and self.count_ >= 3)
        if not self.buckets_ and not rising:
            return TrendState.NEW
        if rising:
            return TrendState.RISING
        peak = max(self.peak_, float(self.count_))
        if peak > 0 and self.rate() >= 0.7 * peak:
            return TrendState.PEAK
        return TrendState.DECLINING

    def recent_buckets(self) -> tuple[tuple[float, int], ...]:
        """Non-empty buckets as ``(bucket_start, count)``, oldest first, including the open one."""
        out = [(b * self.bucket_seconds, c) for b, c in self.buckets_]
        if self.count_:
            out.append((self.bucket_ * self.bucket_seconds, self.count_))
        return tuple(out)


def heat_score(
    *,
    items: int,
    duplicates: int,
    rate_per_hour: float,
    sources: int,
    engagement: int,
    mainstream: int,
) -> float:
    """Heat on a 0–100 scale from volume, velocity, source diversity, engagement and media weight.

    Each signal enters on a log scale (a thousand reposts are not a thousand times hotter than
    one), weighted; the sum is squashed so that heat saturates smoothly instead of growing without
    bound. Duplicates count half: they show reach, not new voices.

    >>> heat_score(items=0, duplicates=0, rate_per_hour=0, sources=0, engagement=0, mainstream=0)
    0.0
    >>> small = heat_score(items=5, duplicates=0, rate_per_hour=1, sources=1, engagement=0, mainstream=0)
    >>> big = heat_score(items=500, duplicates=300, rate_per_hour=120, sources=12, engagement=9000,
    ...                  mainstream=3)
    >>> 0 < small < big < 100
    True
    """
    raw = (
        1.0 * math.log1p(items + 0.5 * duplicates)
        + 1.2 * math.log1p(max(rate_per_hour, 0.0))
        + 1.0 * math.log1p(sources)
        + 0.4 * math.log1p(engagement)
        + 1.5 * math.log1p(mainstream)
    )
    return round(100.0 * (1.0 - math.exp(-raw / 12.0)), 2)
