"""Server mode: the Celery application (broker = ``QINGTING_BROKER_URL``, Redis by default).

Settings come from Django settings under the ``CELERY_`` prefix (see ``config/settings/base.py``):
late acknowledgement, a worker lost mid-task hands the task back, one task prefetched at a time,
JSON only. Tasks take ids and plain data (:mod:`qingting.workers.tasks`); the services they call
are idempotent, so a redelivered task stores nothing twice.

Run with ``qingting worker`` and ``qingting beat`` (or ``celery -A qingting.workers.celery_app``).
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from celery import Celery

from qingting.web.config.env import default_settings_module

os.environ.setdefault("DJANGO_SETTINGS_MODULE", default_settings_module())

app = Celery("qingting", include=["qingting.workers.tasks"])
app.config_from_object("django.conf:settings", namespace="CELERY")


@app.on_after_configure.connect  # type: ignore[untyped-decorator]
def _beat_schedule(sender: Celery, **_: Any) -> None:
    import django
    from django.conf import settings

    from qingting.web import periodic

    django.setup()  # the apps register their periodic jobs in ready()
    sender.add_periodic_task(
        float(settings.QINGTING_DISPATCH_INTERVAL), app.signature("qingting.dispatch_due_sources"), name="dispatch"
    )
    for job in periodic.jobs():
        sender.add_periodic_task(job.every, app.signature("qingting.run_periodic", args=(job.name,)), name=job.name)


class ServiceUnavailable(Exception):
    """The broker or the database cannot be reached; the message is one line for the operator."""


def redact(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def check_services(*, timeout: float = 5.0) -> None:
    """Raise :class:`ServiceUnavailable` (one clear line) unless the database and broker answer."""
    from django.conf import settings
    from django.db import connection
    from django.db.utils import Error as DatabaseError

    if getattr(settings, "QINGTING_MODE", "server") != "server":
        raise ServiceUnavailable(
            "Celery workers and beat are for server mode: set QINGTING_DATABASE_URL to a PostgreSQL database"
            " (embedded mode runs its worker inside `qingting serve`)"
        )
    try:
        connection.ensure_connection()
    except DatabaseError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ServiceUnavailable(f"cannot use the database: {first}") from exc
    finally:
        connection.close()
    url = settings.CELERY_BROKER_URL
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
    except Exception as exc:  # kombu raises its own OperationalError, redis-py its ConnectionError
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ServiceUnavailable(f"cannot reach the broker at {redact(url)}: {reason}") from exc
