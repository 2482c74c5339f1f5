"""Test settings: a throwaway data directory, fast password hashing that is still Argon2."""

from __future__ import annotations

import os
import tempfile

# The test run must never touch a real installation's data directory or key.
os.environ["QINGTING_DATA_DIR"] = tempfile.mkdtemp(prefix="qingting-test-")
os.environ.setdefault("QINGTING_SECRET_KEY", "test-only-secret-key-not-for-production")

from .embedded import *  # noqa: F403
from .embedded import DATABASES

# Argon2 with a small memory cost: the same algorithm as production, far less time per hash.
PASSWORD_HASHERS = ["qingting.web.accounts.hashers.TestArgon2PasswordHasher"]
if os.environ.get("QINGTING_DATABASE_URL"):
    # The same suite against PostgreSQL (server mode); Django creates and drops test_<name>.
    import dj_database_url

    DATABASES = {"default": dict(dj_database_url.parse(os.environ["QINGTING_DATABASE_URL"]))}
else:
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
