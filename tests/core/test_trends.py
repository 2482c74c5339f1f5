"""Trend and burst detection on constructed streams with known bursts and quiet periods."""

from __future__ import annotations

import random

import pytest

from qingting.core.trends import EventActivity, StreamBaseline, TrendState, heat_score

HOUR = 3600.0


def feed(act: EventActivity, base: StreamBaseline, times: list[float]) -> None:
    for t in times:
        act.add(t, base)


def steady(start: float, hours: int, per_hour: int, rng: random.Random) -> list[float]:
    return sorted(start + h * HOUR + rng.random() * HOUR for h in range(hours) for _ in range(per_hour))


def test_quiet_steady_event_never_bursts() -> None:
    rng = random.Random(1)
    base = StreamBaseline()
    act = EventActivity(0.0, HOUR)
    zs = []
    for t in steady(0.0, 48, 3, rng):
        act.add(t, base)
        if t > 6 * HOUR:  # once the event has a few hours of its own history
            zs.append(act.burst_z(base))
    assert max(zs) < 2.0, "three items an hour, every hour, is not a burst"
    assert act.trend(48 * HOUR - 1, base) in {TrendState.PEAK, TrendState.DECLINING}


def test_burst_after_baseline_is_rising_with_large_z() -> None:
    rng = random.Random(2)
    base = StreamBaseline()
    act = EventActivity(0.0, HOUR)
    feed(act, base, steady(0.0, 24, 2, rng))
    burst = sorted(24 * HOUR + rng.random() * 1800 for _ in range(60))
    feed(act, base, burst)
    assert act.burst_z(base) > 6.0
    assert act.trend(burst[-1], base) is TrendState.RISING


def test_burst_z_grows_within_the_open_bucket() -> None:
    base = StreamBaseline()
    act = EventActivity(0.0, HOUR)
    feed(act, base, [h * HOUR for h in range(10)])
    z = []
    for i in range(20):
        act.add(10 * HOUR + i * 60, base)
        z.append(act.burst_z(base))
    assert z == sorted(z), "each new item in the open bucket raises the burst score"


def test_peak_then_declining_then_dormant() -> None:
    base = StreamBaseline()
    act = EventActivity(0.0, HOUR)
    counts = [1, 5, 20, 40, 40, 20, 8, 3, 1]
    for h, n in enumerate(counts):
        feed(act, base, [h * HOUR + i * (HOUR / (n + 1)) for i in range(n)])
        if h == 4:
            assert act.trend(h * HOUR + HOUR - 1, base) in {TrendState.PEAK, TrendState.RISING}
    last = len(counts) * HOUR - 1
    assert act.trend(last, base) is TrendState.DECLINING
    assert act.trend(last + 7 * HOUR, base) is TrendState.DORMANT


def test_new_event_is_new_until_it_has_history() -> None:
    base = StreamBaseline()
    act = EventActivity(100.0, HOUR)
    act.add(100.0, base)
    assert act.trend(200.0, base) is TrendState.NEW


def test_out_of_order_item_counts_in_open_bucket() -> None:
    base = StreamBaseline()
    act = EventActivity(0.0, HOUR)
    act.add(5 * HOUR, base)
    act.add(1 * HOUR, base)  # late arrival: does not rewrite closed history
    assert act.recent_buckets()[-1] == (5 * HOUR, 2)


def test_buckets_are_bounded() -> None:
    base = StreamBaseline()
    act = EventActivity(0.0, 60.0)
    for i in range(5000):
        act.add(i * 60.0, base)
    assert len(act.recent_buckets()) <= 337


def test_bucket_seconds_validated() -> None:
    with pytest.raises(ValueError, match="bucket_seconds"):
        EventActivity(0.0, 0.0)


def test_heat_orders_events_sensibly() -> None:
    quiet = heat_score(items=10, duplicates=2, rate_per_hour=1, sources=1, engagement=5, mainstream=0)
    media = heat_score(items=10, duplicates=2, rate_per_hour=1, sources=1, engagement=5, mainstream=2)
    viral = heat_score(items=2000, duplicates=900, rate_per_hour=400, sources=30, engagement=10**5, mainstream=5)
    assert 0 < quiet < media < viral <= 100
