"""Periodic jobs of the warnings app (registered in ``apps.py``): thin calls into the services."""

from __future__ import annotations

from datetime import datetime

from qingting.web.warnings import services


def deliver(now: datetime) -> int:
    """Send what is due in the outbox (every few seconds)."""
    return services.outbox_deliver(now)


def escalate(now: datetime) -> int:
    """Pass unacknowledged warnings down the duty list."""
    return services.escalate_due(now)


def release_quiet(now: datetime) -> int:
    """Announce warnings held by quiet hours once they are over."""
    return services.quiet_release(now)


def digest(now: datetime) -> int:
    """Each subscriber's daily digest, once per day."""
    return services.digest_send(now)
