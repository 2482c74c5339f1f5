"""When to try a failed delivery again: a pure function of the attempt number.

>>> p = RetryPolicy(max_attempts=4, base_seconds=2.0, factor=3.0, max_delay_seconds=30.0, jitter=0.0)
>>> [next_delay(p, attempt) for attempt in (1, 2, 3, 4)]
[2.0, 6.0, 18.0, None]
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["RetryPolicy", "is_retryable", "next_delay"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with a cap and jitter (so many failed messages do not retry in step)."""

    max_attempts: int = 5
    base_seconds: float = 5.0
    factor: float = 3.0
    max_delay_seconds: float = 15 * 60.0
    jitter: float = 0.1  # ± this share of the delay, at random

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {self.max_attempts!r}")
        if self.base_seconds < 0 or self.factor < 1 or self.max_delay_seconds < 0:
            raise ValueError("base_seconds and max_delay_seconds must be ≥ 0 and factor ≥ 1")
        if not 0 <= self.jitter < 1:
            raise ValueError(f"jitter must be in [0, 1), got {self.jitter!r}")


def next_delay(policy: RetryPolicy, attempt: int, rng: random.Random | None = None) -> float | None:
    """Seconds to wait after failed attempt number ``attempt`` (1-based), or ``None``: give up."""
    if attempt >= policy.max_attempts:
        return None
    delay = min(policy.base_seconds * policy.factor ** (attempt - 1), policy.max_delay_seconds)
    if policy.jitter and delay:
        r = (rng or random).uniform(-policy.jitter, policy.jitter)
        delay *= 1 + r
    return delay


def is_retryable(status: int | None) -> bool:
    """Network errors (no status), 408, 425, 429 and 5xx are worth retrying; other 4xx are not."""
    return status is None or status in (408, 425, 429) or status >= 500
