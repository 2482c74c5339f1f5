"""Periodic jobs of the ledger (registered in ``apps.py``): thin calls into the services."""

from __future__ import annotations

from datetime import datetime

from qingting.web.ledger import services


def deadlines(now: datetime) -> int:
    """Reminders before a task's deadline, escalation after it (each once per task)."""
    return services.deadline_alerts(now)


def selfchecks(now: datetime) -> int:
    """One open self-check task per item of the equipment register when its check falls due."""
    return services.selfcheck_tasks(now)
