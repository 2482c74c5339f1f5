"""Periodic jobs of the channel registry (registered in ``ChannelsConfig.ready``)."""

from __future__ import annotations

from datetime import datetime


def inspect_due(now: datetime) -> int:
    from qingting.web.channels.inspections import inspections_due

    return inspections_due(now)


def silence_watch(now: datetime) -> int:
    from qingting.web.channels.inspections import silence_watch as watch

    return watch(now)
