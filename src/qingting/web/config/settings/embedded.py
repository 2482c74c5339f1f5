"""Embedded mode (the default): one SQLite file in WAL mode in the data directory."""

from __future__ import annotations

from .base import *  # noqa: F403
from .base import DATA_DIR

# WAL lets pages read while the ingester writes; IMMEDIATE transactions take the write lock at
# BEGIN so two writers queue on busy_timeout instead of failing with "database is locked" when a
# read lock cannot be upgraded.
SQLITE_INIT = (
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "PRAGMA foreign_keys=ON;"
    "PRAGMA busy_timeout=10000;"
    "PRAGMA cache_size=-65536;"
    "PRAGMA temp_store=MEMORY;"
    # REPLACE deletes the row it replaces; only with recursive triggers do DELETE triggers fire
    # for that, so the append-only tables refuse it (decision 0072; BEFORE INSERT triggers too).
    "PRAGMA recursive_triggers=ON;"
)

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "qingting.sqlite3",
        "OPTIONS": {"init_command": SQLITE_INIT, "transaction_mode": "IMMEDIATE", "timeout": 10},
    }
}
