"""Fixtures for the bulletin tests: the shared organisation plus a leader of the east township."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from ..conftest import PASSWORD


@pytest.fixture(autouse=True)
def _no_pdf() -> Any:
    """PDF rendering (LibreOffice, seconds) only where a test asks for it."""
    with override_settings(QINGTING_BULLETINS_PDF=False):
        yield


@pytest.fixture
def world(monitored: dict[str, Any]) -> dict[str, Any]:
    """``monitored`` plus ``east_leader`` (leader of east) and ``office_analyst``."""
    from qingting.web.accounts import services
    from qingting.web.accounts.models import Role
    from qingting.web.monitoring.models import Event

    out = dict(monitored)
    for name, unit, role in [
        ("east_leader", monitored["east"], Role.LEADER),
        ("office_analyst", monitored["office"], Role.ANALYST),
    ]:
        user = services.user_create(actor=None, username=name, password=PASSWORD)
        services.membership_grant(actor=None, user=user, unit=unit, role=role)
        out[name] = user
    out["east_events"] = list(Event.objects.filter(scheme_matches__scheme=monitored["east_scheme"]).order_by("pk"))
    out["west_events"] = list(Event.objects.filter(scheme_matches__scheme=monitored["west_scheme"]).order_by("pk"))
    assert out["east_events"] and out["west_events"]
    return out
