"""Password hashers."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class TestArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with a small memory cost, for the test suite only (same algorithm name)."""

    memory_cost = 1024
    parallelism = 1
