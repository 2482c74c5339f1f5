"""Django for the web tests: test settings (in-memory SQLite, fast Argon2) and shared factories."""

from __future__ import annotations

import os
from typing import Any

import django
import pytest

# pytest-django reads DJANGO_SETTINGS_MODULE; setting it here keeps the web tests self-contained
# (pyproject's [tool.pytest.ini_options] may name it too).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qingting.web.config.settings.test")
django.setup()

PASSWORD = "Qt-test-pass-2026!"


@pytest.fixture
def org(db: Any) -> dict[str, Any]:
    """Two sibling townships under one office, each with a community, and users scoped to each.

    ``east_analyst`` is a member of the east township, ``west_analyst`` of the west township and
    ``office_leader`` of the office (so sees both).
    """
    from qingting.web.accounts import services
    from qingting.web.accounts.models import Role, UnitKind

    office = services.unit_create(actor=None, code="office", name="区网信办", kind=UnitKind.OFFICE)
    east = services.unit_create(actor=None, code="east", name="东街道", kind=UnitKind.TOWNSHIP, parent=office)
    west = services.unit_create(actor=None, code="west", name="西街道", kind=UnitKind.TOWNSHIP, parent=office)
    east_c = services.unit_create(actor=None, code="east-1", name="东一社区", kind=UnitKind.COMMUNITY, parent=east)
    users = {}
    for name, unit, role in [
        ("east_analyst", east, Role.ANALYST),
        ("west_analyst", west, Role.ANALYST),
        ("office_leader", office, Role.LEADER),
    ]:
        user = services.user_create(actor=None, username=name, password=PASSWORD)
        services.membership_grant(actor=None, user=user, unit=unit, role=role)
        users[name] = user
    return {"office": office, "east": east, "west": west, "east_community": east_c, **users}
