"""Fixtures for the case tests: an office with two townships, users in every case role."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from qingting.core.cases.calendar import CHINA_TZ

from ..conftest import PASSWORD


@pytest.fixture
def people(db: Any) -> dict[str, Any]:
    """``office`` ⊃ ``east`` ⊃ ``east_c``, and ``west``; a dispatcher (reviewer) and a leader at the
    office, handlers and an analyst in the townships, a unit admin in east."""
    from qingting.web.accounts import services
    from qingting.web.accounts.models import Role, UnitKind

    office = services.unit_create(actor=None, code="office", name="青禾县委网信办", kind=UnitKind.OFFICE)
    east = services.unit_create(actor=None, code="east", name="东街道", kind=UnitKind.TOWNSHIP, parent=office)
    west = services.unit_create(actor=None, code="west", name="西街道", kind=UnitKind.TOWNSHIP, parent=office)
    east_c = services.unit_create(actor=None, code="east-1", name="东一社区", kind=UnitKind.COMMUNITY, parent=east)
    out: dict[str, Any] = {"office": office, "east": east, "west": west, "east_c": east_c}
    for name, unit, role in [
        ("dispatcher", office, Role.REVIEWER),
        ("leader", office, Role.LEADER),
        ("east_handler", east, Role.HANDLER),
        ("east_handler2", east, Role.HANDLER),
        ("west_handler", west, Role.HANDLER),
        ("east_analyst", east, Role.ANALYST),
        ("east_admin", east, Role.ADMIN),
    ]:
        user = services.user_create(actor=None, username=name, password=PASSWORD)
        services.membership_grant(actor=None, user=user, unit=unit, role=role)
        out[name] = user
    return out


def at(*args: int) -> datetime:
    """An aware datetime in China time."""
    return datetime(*args, tzinfo=CHINA_TZ)  # type: ignore[arg-type,misc,unused-ignore]


@pytest.fixture(autouse=True)
def default_language() -> Any:
    """Each test starts in the default language (Simplified Chinese), whatever an earlier test or
    request left active in this thread: the messages users see are asserted as they read them."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield
