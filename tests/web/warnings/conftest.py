"""Fixtures for the warnings tests: a scheme with small rules, people on duty, channels."""

from __future__ import annotations

from typing import Any

import pytest

from ..conftest import PASSWORD

START = 1_767_225_600.0  # 2026-01-01 00:00 UTC (08:00 in Beijing)

# Small rules so that tests need tens of items, not hundreds (the default rules need a burst z).
RULES = [
    {"tier": 4, "min_window_items": 5},
    {"tier": 3, "min_window_items": 20},
    {"tier": 2, "min_window_items": 60},
]


def burst(
    prefix: str, n: int, *, start: float = START, step: float = 20.0, text: str = "柳湾镇停水，什么时候恢复供水"
) -> list[dict[str, Any]]:
    """``n`` posts of one story, ``step`` seconds apart."""
    return [
        {"id": f"{prefix}-{i}", "text": f"{text}（{prefix}第{i}条）", "time": start + step * i, "author": f"u{i % 7}"}
        for i in range(n)
    ]


@pytest.fixture
def setup(org: dict[str, Any], engine: str) -> dict[str, Any]:
    """East township: an admin, a duty list (east_analyst, then duty2), a source and a scheme."""
    from qingting.web.accounts import services as accounts
    from qingting.web.accounts.models import Role
    from qingting.web.monitoring import services as monitoring
    from qingting.web.monitoring.models import SourceKind
    from qingting.web.warnings import services

    east = org["east"]
    admin = accounts.user_create(actor=None, username="east_admin", password=PASSWORD, email="admin@east.example")
    accounts.membership_grant(actor=None, user=admin, unit=east, role=Role.ADMIN)
    duty2 = accounts.user_create(actor=None, username="duty2", password=PASSWORD, email="duty2@east.example")
    accounts.membership_grant(actor=None, user=duty2, unit=east, role=Role.HANDLER)
    analyst = org["east_analyst"]
    analyst.email = "analyst@east.example"
    analyst.save()
    source = monitoring.source_create(actor=None, unit=east, name="柳湾论坛", kind=SourceKind.FORUM)
    scheme = monitoring.scheme_create(actor=None, unit=east, name="供水", expression="停水 OR 断水", sources=[source])
    services.rules_set(actor=admin, scheme=scheme, rules=RULES)
    services.duty_set(actor=admin, unit=east, users=[analyst, duty2])
    return {**org, "admin": admin, "duty2": duty2, "analyst": analyst, "source": source, "scheme": scheme}


def ingest(setup: dict[str, Any], records: list[dict[str, Any]]) -> Any:
    """Ingest as production does; the after-commit signal runs as the batch "commits"."""
    from django.test import TestCase

    from qingting.web.monitoring import services as monitoring

    with TestCase.captureOnCommitCallbacks(execute=True):
        return monitoring.ingest_items(scheme=setup["scheme"], source=setup["source"], records=records)


@pytest.fixture(autouse=True)
def loopback_receivers_allowed(settings: Any) -> None:
    """The test receivers (SMTP, webhooks) listen on loopback: the operator's allow-list lets the
    channels reach them, as an intranet mail server would be allowed in production. The SSRF tests
    empty the list again."""
    settings.QINGTING_FETCH_ALLOW_HOSTS = ["127.0.0.1", "localhost"]
