"""Periodic jobs: what must happen every so often (deliver the outbox, escalate, remind, send digests).

Each Django app registers its jobs in its ``AppConfig.ready()``::

    from qingting.web import periodic
    periodic.register("warnings.deliver", every=10, target="qingting.web.warnings.jobs:deliver_outbox")

A job's target is a function taking the current time (an aware ``datetime``) and returning
something printable (usually a count). Both modes run the same registry: embedded mode's scheduler
thread (:mod:`qingting.workers.embedded`) and Celery beat (:mod:`qingting.workers.celery_app`, one
``qingting.run_periodic`` task per job). A job may therefore run late, twice or concurrently with
itself on another host: every job must be idempotent and claim its work with row locks or
conditional updates.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class PeriodicJob:
    """``target`` ("module:function") is called with the current time every ``every`` seconds."""

    name: str
    every: float
    target: str

    def resolve(self) -> Callable[[datetime], Any]:
        module, _, attr = self.target.partition(":")
        func: Callable[[datetime], Any] = getattr(importlib.import_module(module), attr)
        return func


_JOBS: dict[str, PeriodicJob] = {}


def register(name: str, *, every: float, target: str) -> PeriodicJob:
    """Add (or replace) the job ``name``; returns it. Called from ``AppConfig.ready()``."""
    if every <= 0:
        raise ValueError(f"periodic job {name!r}: 'every' must be a positive number of seconds")
    if ":" not in target:
        raise ValueError(f"periodic job {name!r}: target must be 'module:function', got {target!r}")
    job = PeriodicJob(name=name, every=float(every), target=target)
    _JOBS[name] = job
    return job


def jobs() -> list[PeriodicJob]:
    """The registered jobs, by name."""
    return [_JOBS[name] for name in sorted(_JOBS)]


def run(name: str, now: datetime | None = None) -> Any:
    """Run the job ``name`` once now (``KeyError`` names an unknown job)."""
    if name not in _JOBS:
        raise KeyError(f"no periodic job named {name!r}; known: {', '.join(sorted(_JOBS)) or 'none'}")
    if now is None:
        from django.utils import timezone

        now = timezone.now()
    return _JOBS[name].resolve()(now)
