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


@pytest.fixture(autouse=True)
def _default_language() -> Any:
    """Every test starts in the product's default language. The language middleware activates the
    chosen language per request and leaves it active on the thread (it must: streamed responses
    are written after it returns), so a request with the English cookie in one test would
    otherwise leave English on for the next test's messages."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield


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


def real_engine_or_fail() -> None:
    """Fail — not fall back to a stand-in — when ``qingting.core.pipeline`` does not import and run
    one tiny batch: the web tests exist to catch a broken engine (issue 16)."""
    try:
        from qingting.core.pipeline import Pipeline, PipelineConfig
        from qingting.core.types import Item

        Pipeline.restore(Pipeline(PipelineConfig()).snapshot()).partial_fit([Item("1", "柳湾镇停水", time=1e9)])
    except Exception as exc:
        pytest.fail(f"the listening engine does not load or run: {exc!r}", pytrace=True)


@pytest.fixture
def engine() -> str:
    """The real core pipeline (the test fails when it does not load or run)."""
    from qingting.web.monitoring.services import pipeline_cache

    pipeline_cache.clear()
    real_engine_or_fail()
    return "real"


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def stream(
    prefix: str, n: int, *, start: float = 1_767_225_600.0, text: str = "柳湾镇停水，什么时候恢复供水"
) -> list[dict[str, Any]]:
    """``n`` records of one story, a minute apart, with distinct ids."""
    return [
        {
            "id": f"{prefix}-{i}",
            "text": f"{text}（第{i}条）",
            "time": start + 60 * i,
            "author": f"user{i % 3}",
            "region": "柳湾镇",
        }
        for i in range(n)
    ]


@pytest.fixture
def monitored(org: dict[str, Any], engine: str) -> dict[str, Any]:
    """A source and a scheme in each township, with items ingested; east has a hostile post."""
    from qingting.web.monitoring import services
    from qingting.web.monitoring.models import SourceKind

    out = dict(org)
    for side in ("east", "west"):
        unit = org[side]
        source = services.source_create(actor=None, unit=unit, name=f"{side}-论坛", kind=SourceKind.FORUM)
        scheme = services.scheme_create(actor=None, unit=unit, name=f"{side}-方案", sources=[source])
        out[f"{side}_source"], out[f"{side}_scheme"] = source, scheme
    services.ingest_items(
        scheme=out["east_scheme"],
        source=out["east_source"],
        records=[*stream("e", 6), {"id": "evil", "title": HOSTILE, "text": "停水 " + HOSTILE, "time": 1_767_226_000}],
    )
    services.ingest_items(
        scheme=out["west_scheme"],
        source=out["west_source"],
        records=stream("w", 4, text="西街道学校招生争议，家长不满意"),
    )
    return out
