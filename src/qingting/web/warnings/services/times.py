"""Timestamps as the core warning engine counts them (unix seconds), and back."""

from __future__ import annotations

from datetime import UTC, datetime


def _ts(d: datetime) -> float:
    return d.timestamp()


def _dt(t: float) -> datetime:
    return datetime.fromtimestamp(t, tz=UTC)
