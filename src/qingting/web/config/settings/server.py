"""Server mode: PostgreSQL from ``QINGTING_DATABASE_URL`` (Celery workers come in a later step)."""

from __future__ import annotations

import os

import dj_database_url

from qingting.web.config.env import ConfigurationError, env_bool

from .base import *  # noqa: F403

_url = os.environ.get("QINGTING_DATABASE_URL")
if not _url:
    raise ConfigurationError(
        "server mode needs QINGTING_DATABASE_URL, e.g. postgres://qingting:secret@db-host:5432/qingting"
    )
DATABASES = {"default": dj_database_url.parse(_url, conn_max_age=60, conn_health_checks=True)}
QINGTING_MODE = "server"  # sources are polled by Celery beat and workers, not inside `qingting serve`

SESSION_COOKIE_SECURE = env_bool("QINGTING_SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
