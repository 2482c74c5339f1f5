"""Configuration from the environment: the data directory and the secret key.

Everything the platform needs to know about its machine comes from ``QINGTING_*`` variables so
that every ``qingting`` command (serve, migrate, demo) finds the same database.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

DEFAULT_DATA_DIR = "~/.local/share/qingting"


class ConfigurationError(RuntimeError):
    """The environment does not describe a usable installation; the message says what to fix."""


def data_dir() -> Path:
    """The data directory (``QINGTING_DATA_DIR``, default ``~/.local/share/qingting``), created if absent."""
    path = Path(os.environ.get("QINGTING_DATA_DIR") or DEFAULT_DATA_DIR).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(f"cannot create the data directory {path}: {exc.strerror}") from exc
    return path


def secret_key(directory: Path) -> str:
    """``QINGTING_SECRET_KEY``, or a key generated once into ``<data dir>/secret_key``.

    The key never lives in the repository; a generated key is readable by its owner only.
    """
    from_env = os.environ.get("QINGTING_SECRET_KEY")
    if from_env:
        return from_env
    path = directory / "secret_key"
    if not path.exists():
        key = secrets.token_urlsafe(50)
        # O_EXCL: two processes starting at once must not write two different keys.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(key)
    key = path.read_text(encoding="utf-8").strip()
    if not key:
        raise ConfigurationError(f"the secret key file {path} is empty; delete it to generate a new one")
    return key


def env_bool(name: str, default: bool = False) -> bool:
    """A boolean environment variable: 1/true/yes/on are true."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated environment variable."""
    value = os.environ.get(name)
    if not value:
        return default
    return [part.strip() for part in value.split(",") if part.strip()]


def default_settings_module() -> str:
    """``server`` settings when a database URL is configured, ``embedded`` otherwise."""
    if os.environ.get("QINGTING_DATABASE_URL"):
        return "qingting.web.config.settings.server"
    return "qingting.web.config.settings.embedded"
