"""Settings shared by every mode. Mode modules import ``*`` from here and set the database."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NotRequired, TypedDict

from django.utils.translation import gettext_lazy as _

from qingting.web.config.env import data_dir, env_bool, env_list, secret_key

WEB_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = data_dir()
SECRET_KEY = secret_key(DATA_DIR)
DEBUG = env_bool("QINGTING_DEBUG")
ALLOWED_HOSTS = env_list("QINGTING_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])

# Our apps come BEFORE django.contrib.*, django_htmx and ninja: for a msgid in several catalogs
# Django uses the first app's translation, and the admin's zh_Hans catalog says 关闭 for "Close"
# and 历史 for "History" where our pages mean 办结 and 处置记录. Words our own apps share with
# different meanings ("Summary", "Text", "History") carry a pgettext context instead.
INSTALLED_APPS = [
    "qingting.web.accounts",
    "qingting.web.audit",
    "qingting.web.monitoring",
    "qingting.web.collect",
    "qingting.web.warnings",
    "qingting.web.cases",
    "qingting.web.reporting",
    "qingting.web.bulletins",
    "qingting.web.channels",
    "qingting.web.releases",
    "qingting.web.ledger",
    "qingting.web.home",
    "qingting.web.exports",
    "qingting.web.sentiment",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "qingting.web.config.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "qingting.web.audit.middleware.CorrelationIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "qingting.web.config.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "qingting.web.config.middleware.SessionLifetimeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "qingting.web.config.urls"
WSGI_APPLICATION = "qingting.web.config.wsgi.application"
ASGI_APPLICATION = "qingting.web.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [WEB_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "qingting.web.warnings.context_processors.unread",
                "qingting.web.home.context_processors.home_nav",
                "qingting.web.config.middleware.csp_nonce",
            ],
        },
    },
]

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
# Each role's first page (qingting.web.home): a handler's queue, a leader's sign-offs; analysts go
# on to the dashboard.
LOGIN_REDIRECT_URL = "home:index"
LOGOUT_REDIRECT_URL = "accounts:login"

# Argon2 first: new and re-hashed passwords use it; the others only verify old hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling (docs/web.md): within the window, this many failures for one username from one
# address lock that pair; so many from one address (any usernames) lock the address; so many for one
# username (any addresses) lock the account — each for the lock period (0 turns a count off).
# Counted in the database, so every process agrees.
QINGTING_LOGIN_MAX_FAILURES = int(os.environ.get("QINGTING_LOGIN_MAX_FAILURES", "5"))
QINGTING_LOGIN_MAX_FAILURES_PER_ADDRESS = int(os.environ.get("QINGTING_LOGIN_MAX_FAILURES_PER_ADDRESS", "20"))
QINGTING_LOGIN_MAX_FAILURES_PER_ACCOUNT = int(os.environ.get("QINGTING_LOGIN_MAX_FAILURES_PER_ACCOUNT", "30"))
QINGTING_LOGIN_WINDOW_SECONDS = 15 * 60
QINGTING_LOGIN_LOCK_SECONDS = 15 * 60

# Sessions (docs/web.md): signed out after this long without a request, and this long after signing
# in whatever the activity. The cookie lives no longer than the absolute lifetime.
QINGTING_SESSION_IDLE_SECONDS = int(os.environ.get("QINGTING_SESSION_IDLE_SECONDS", str(30 * 60)))
QINGTING_SESSION_MAX_SECONDS = int(os.environ.get("QINGTING_SESSION_MAX_SECONDS", str(12 * 3600)))
SESSION_COOKIE_AGE = QINGTING_SESSION_MAX_SECONDS

# Key for author pseudonyms (keyed HMAC of the handle). Separate from SECRET_KEY so rotating
# session keys does not change every pseudonym; derived from it unless set explicitly.
QINGTING_PSEUDONYM_KEY = os.environ.get("QINGTING_PSEUDONYM_KEY") or SECRET_KEY
# Key for credentials stored encrypted (qingting.web.crypto); falls back to the secret key.
QINGTING_ENCRYPTION_KEY = os.environ.get("QINGTING_ENCRYPTION_KEY", "")

# Workers: host names a source may reach although they resolve to private addresses (an intranet
# portal). Set by the operator only, never by a source's own config, so a source cannot reach
# the internal network on its own (SSRF).
QINGTING_FETCH_ALLOW_HOSTS = env_list("QINGTING_FETCH_ALLOW_HOSTS", [])
# "embedded" (SQLite, in-process scheduler) or "server" (PostgreSQL, Celery); server.py overrides.
QINGTING_MODE = "embedded"
# Embedded scheduler: seconds between looks for due sources, and polls at a time.
QINGTING_SCHEDULER_TICK = float(os.environ.get("QINGTING_SCHEDULER_TICK", "5"))
QINGTING_SCHEDULER_CONCURRENCY = int(os.environ.get("QINGTING_SCHEDULER_CONCURRENCY", "4"))
# Server mode: Celery over Redis (see qingting.workers.celery_app).
QINGTING_BROKER_URL = os.environ.get("QINGTING_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = QINGTING_BROKER_URL
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("QINGTING_QUEUE", "qingting")
# A task is acknowledged only after it finished, and a worker killed mid-task hands it back:
# the services are idempotent, so running a task twice stores nothing twice and loses nothing.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis redelivers an unacknowledged task after this many seconds (a worker that died with it).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(os.environ.get("QINGTING_VISIBILITY_TIMEOUT", "900"))}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_ENABLE_UTC = True
# Beat: look for due sources this often (seconds); each due source becomes one poll_source task.
QINGTING_DISPATCH_INTERVAL = float(os.environ.get("QINGTING_DISPATCH_INTERVAL", "15"))

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [WEB_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [WEB_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise expects it, even before any collectstatic
# WhiteNoise serves our own static files (htmx, ECharts, CSS) in both modes; nothing from a CDN.
# Finders: embedded mode works without a collectstatic step.
WHITENOISE_USE_FINDERS = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"qingting": {"handlers": ["console"], "level": "INFO"}},
}

# --- collect (sources): health thresholds, push intake limits, mailbox CA (docs/sources.md) ---
QINGTING_SOURCE_FAILURES = int(os.environ.get("QINGTING_SOURCE_FAILURES", "3"))  # failed polls in a row = a problem
QINGTING_SOURCE_SILENT_RATIO = float(os.environ.get("QINGTING_SOURCE_SILENT_RATIO", "0.2"))  # of its normal per day
QINGTING_SOURCE_SILENT_MIN_NORMAL = float(os.environ.get("QINGTING_SOURCE_SILENT_MIN_NORMAL", "5"))
QINGTING_PUSH_MAX_BYTES = 2 * 1024 * 1024  # below DATA_UPLOAD_MAX_MEMORY_SIZE, so our error shape answers
QINGTING_PUSH_MAX_ITEMS = 500
# File imports (docs/sources.md): the uploaded file's size, and what an Excel workbook may unpack to.
QINGTING_IMPORT_MAX_BYTES = int(os.environ.get("QINGTING_IMPORT_MAX_BYTES", str(100 * 1024 * 1024)))
QINGTING_IMPORT_MAX_RATIO = float(os.environ.get("QINGTING_IMPORT_MAX_RATIO", "100"))
QINGTING_IMPORT_MAX_UNPACKED_BYTES = int(os.environ.get("QINGTING_IMPORT_MAX_UNPACKED_BYTES", str(200 * 1024 * 1024)))
QINGTING_IMAP_CA_FILE = os.environ.get("QINGTING_IMAP_CA_FILE", "")  # an intranet mail server's CA

# cases (issue 6): attachment size limit and how long after closing a case may be reopened.
QINGTING_CASE_ATTACHMENT_MAX_BYTES = int(os.environ.get("QINGTING_CASE_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024)))
# Any other upload (evidence files, …): at most this many bytes per file, counted while it streams in
# (qingting.web.uploads); views with their own limit say so with @upload_limit.
QINGTING_UPLOAD_MAX_BYTES = int(os.environ.get("QINGTING_UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
FILE_UPLOAD_HANDLERS = [
    "qingting.web.uploads.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
QINGTING_CASE_REOPEN_DAYS = int(os.environ.get("QINGTING_CASE_REOPEN_DAYS", "30"))

# warnings: the address of this installation, for links in notifications (e.g. https://yq.example.gov.cn)
QINGTING_SITE_URL = os.environ.get("QINGTING_SITE_URL", "")


class _SmtpSettings(TypedDict):
    """The shape of QINGTING_REPORTS_SMTP (the optional keys default to empty / off)."""

    host: str
    port: int
    sender: str
    username: NotRequired[str]
    password: NotRequired[str]
    starttls: NotRequired[bool]
    use_ssl: NotRequired[bool]


# reporting: where scheduled reports are e-mailed from (SMTP), and how often the schedule job runs.
QINGTING_REPORTS_SMTP: _SmtpSettings = {
    "host": os.environ.get("QINGTING_SMTP_HOST", "localhost"),
    "port": int(os.environ.get("QINGTING_SMTP_PORT", "25")),
    "sender": os.environ.get("QINGTING_SMTP_SENDER", "qingting@localhost"),
    "username": os.environ.get("QINGTING_SMTP_USERNAME", ""),
    "password": os.environ.get("QINGTING_SMTP_PASSWORD", ""),
    "starttls": os.environ.get("QINGTING_SMTP_STARTTLS", "") in ("1", "true", "yes"),
    "use_ssl": os.environ.get("QINGTING_SMTP_SSL", "") in ("1", "true", "yes"),
}
QINGTING_REPORTS_SCHEDULE_EVERY = float(os.environ.get("QINGTING_REPORTS_SCHEDULE_EVERY", "300"))

# bulletins: render a PDF (LibreOffice) when a bulletin is issued; off in tests that do not need it.
QINGTING_BULLETINS_PDF = True
