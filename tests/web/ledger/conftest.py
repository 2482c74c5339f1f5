"""Fixtures for the ledger tests: the shared organisation plus handlers, an admin and a leader."""

from __future__ import annotations

from typing import Any

import pytest

from ..conftest import PASSWORD


@pytest.fixture
def staff(org: dict[str, Any]) -> dict[str, Any]:
    """``org`` plus ``east_handler`` and ``west_handler`` (handlers), ``office_admin`` (admin of the
    office) and ``east_leader`` (leader of east)."""
    from qingting.web.accounts import services
    from qingting.web.accounts.models import Role

    out = dict(org)
    for name, unit, role in [
        ("east_handler", org["east"], Role.HANDLER),
        ("west_handler", org["west"], Role.HANDLER),
        ("office_admin", org["office"], Role.ADMIN),
        ("east_leader", org["east"], Role.LEADER),
    ]:
        user = services.user_create(actor=None, username=name, password=PASSWORD)
        services.membership_grant(actor=None, user=user, unit=unit, role=role)
        out[name] = user
    return out
