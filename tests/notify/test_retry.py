"""The retry policy is a pure function of the attempt number."""

from __future__ import annotations

import random

import pytest

from qingting.notify import RetryPolicy, is_retryable, next_delay


def test_backoff_grows_is_capped_and_gives_up() -> None:
    p = RetryPolicy(max_attempts=6, base_seconds=5, factor=3, max_delay_seconds=60, jitter=0)
    assert [next_delay(p, a) for a in range(1, 7)] == [5, 15, 45, 60, 60, None]


def test_jitter_stays_within_its_band_and_is_seeded() -> None:
    p = RetryPolicy(base_seconds=10, jitter=0.2)
    delays = [next_delay(p, 1, random.Random(s)) for s in range(200)]
    assert all(d is not None and 8.0 <= d <= 12.0 for d in delays)
    assert len({round(d or 0, 6) for d in delays}) > 100  # really spread, so retries do not stampede
    assert next_delay(p, 2, random.Random(1)) == next_delay(p, 2, random.Random(1))


def test_what_is_worth_retrying() -> None:
    assert is_retryable(None) and is_retryable(503) and is_retryable(429) and is_retryable(408)
    assert not is_retryable(400) and not is_retryable(404) and not is_retryable(200)


def test_policy_validates() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="jitter"):
        RetryPolicy(jitter=1.5)
