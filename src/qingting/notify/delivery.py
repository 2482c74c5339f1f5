"""Deliver one message through one channel with retries; the attempts are the delivery log.

The platform's outbox calls :func:`deliver` from a worker (or :func:`attempt` once per due row,
scheduling the next try with :func:`~qingting.notify.retry.next_delay`).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from qingting.notify.channels import Channel, Delivery
from qingting.notify.message import Message
from qingting.notify.retry import RetryPolicy, next_delay

__all__ = ["deliver"]


def deliver(
    channel: Channel,
    message: Message,
    *,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> list[Delivery]:
    """Send until delivered, a non-retryable answer, or the attempts run out; never raises.

    Returns every attempt in order; the message was delivered iff the last one is ``ok``.
    """
    retry = retry or RetryPolicy()
    log: list[Delivery] = []
    attempt = 1
    while True:
        d = channel.send(message, attempt=attempt)
        log.append(d)
        if d.ok or not d.retryable:
            return log
        delay = next_delay(retry, attempt, rng)
        if delay is None:
            return log
        sleep(delay)
        attempt += 1
