"""Django's ``manage.py``, as a function the ``qingting`` command (and ``python -m``) can call."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from qingting.web.config.env import default_settings_module


def setup() -> None:
    """Configure Django once for this process (embedded settings unless told otherwise)."""
    import django
    from django.apps import apps

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", default_settings_module())
    if not apps.ready:
        django.setup()


def run(argv: Sequence[str]) -> None:
    """Run a Django management command: ``run(["migrate"])`` is ``manage.py migrate``."""
    from django.core.management import execute_from_command_line

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", default_settings_module())
    execute_from_command_line(["qingting", *argv])


if __name__ == "__main__":  # pragma: no cover
    run(sys.argv[1:])
