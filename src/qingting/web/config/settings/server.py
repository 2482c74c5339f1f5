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

# --- TLS is terminated at the reverse proxy (docs/production.md) -------------------------------
# The proxy overwrites X-Forwarded-Proto on every request; then Django knows a request came over
# HTTPS (secure cookies, CSRF origin checks, HSTS). Turn it off only when Django faces clients
# directly — then a client could claim HTTPS by sending the header itself.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("QINGTING_BEHIND_TLS_PROXY", True) else None
# HSTS on HTTPS answers (one year); 0 turns it off (e.g. while trying TLS out — browsers remember it).
SECURE_HSTS_SECONDS = int(os.environ.get("QINGTING_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("QINGTING_HSTS_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = False
# The proxy answers http:// with a redirect to https:// (docs/production.md); Django can too.
SECURE_SSL_REDIRECT = env_bool("QINGTING_SSL_REDIRECT", False)

# `check --deploy --fail-level WARNING` is clean; what remains is silenced here, each with its reason.
SILENCED_SYSTEM_CHECKS = [
    # W005 HSTS includeSubDomains: other hosts under the organisation's domain (its portal, mail) are
    # not ours to vouch for; an operator who knows they all serve HTTPS sets QINGTING_HSTS_SUBDOMAINS=1.
    "security.W005",
    # W021 HSTS preload: a one-way commitment for the whole domain in browsers' built-in lists — the
    # organisation's decision, not one an application makes for it.
    "security.W021",
]
if not SECURE_SSL_REDIRECT:
    # W008 SSL redirect: the TLS proxy redirects http→https before a request reaches Django; a second
    # redirect here would also redirect the proxy's and the monitoring's plain-HTTP health checks.
    SILENCED_SYSTEM_CHECKS.append("security.W008")
