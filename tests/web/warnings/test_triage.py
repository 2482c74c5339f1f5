"""The warnings list in triage order: unhandled first, the gravest tier first, then the newest;
source-health warnings in their own tab and out of the unread badge; history in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from qingting.web.warnings import selectors, services
from qingting.web.warnings.models import OPEN_STATUSES, Warning, WarningKind

from ..conftest import PASSWORD
from .conftest import burst, ingest

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


@pytest.fixture
def mixed(setup: dict[str, Any]) -> dict[str, Any]:
    """A content warning raised to Ⅱ (its Ⅳ and Ⅲ superseded), then a newer Ⅳ source-health warning."""
    records = burst("t", 70)
    ingest(setup, records[:8])  # Ⅳ
    ingest(setup, records[8:])  # raised to Ⅱ: the Ⅳ is superseded
    later = datetime.now(UTC) + timedelta(hours=1)
    source_warning = services.source_warning_raise(source=setup["source"], reason="信息源异常", now=later)
    assert source_warning is not None
    return {**setup, "source_warning": source_warning}


def _rank(w: Warning) -> tuple[int, int, float]:
    state = 0 if w.status == "new" else 1 if w.status == "acknowledged" else 2
    return (state, w.tier, -w.raised_at.timestamp())


def test_list_puts_unhandled_and_gravest_first_and_keeps_source_health_apart(mixed: dict[str, Any]) -> None:
    content = list(selectors.warning_list(mixed["analyst"], kind=WarningKind.EVENT))
    assert len(content) >= 2 and all(w.kind == WarningKind.EVENT for w in content)
    assert content == sorted(content, key=_rank)
    assert content[0].tier == 2 and content[0].status in OPEN_STATUSES  # the open Ⅱ above its older, superseded Ⅳ/Ⅲ
    assert [w.pk for w in selectors.warning_list(mixed["analyst"], kind=WarningKind.SOURCE)] == [
        mixed["source_warning"].pk
    ]
    # Everything, the newest Ⅳ source warning included: still the open Ⅱ first.
    everything = list(selectors.warning_list(mixed["analyst"]))
    assert everything[0].tier == 2 and everything == sorted(everything, key=_rank)


def test_page_tabs_and_badge(mixed: dict[str, Any]) -> None:
    c = _client(mixed["analyst"])
    page = c.get(reverse("warnings:list")).content.decode()
    source_link = reverse("warnings:detail", args=[mixed["source_warning"].pk])
    assert "舆情预警" in page and "信息源状态" in page
    assert source_link not in page  # the default tab is content warnings
    assert source_link in c.get(reverse("warnings:list"), {"kind": "source"}).content.decode()
    assert (
        selectors.unread_count(mixed["analyst"])
        == Warning.objects.filter(kind=WarningKind.EVENT, status__in=OPEN_STATUSES).count()
    )
    api = c.get("/api/warnings", {"kind": "source"}).json()
    assert [w["id"] for w in api["items"]] == [mixed["source_warning"].pk]


def test_history_reads_as_words_in_chinese(mixed: dict[str, Any]) -> None:
    c = _client(mixed["analyst"])
    w = selectors.warning_list(mixed["analyst"], kind=WarningKind.EVENT)[0]
    c.post(reverse("warnings:act", args=[w.pk]), {"action": "acknowledge"})
    page = c.get(reverse("warnings:detail", args=[w.pk])).content.decode()
    assert 'data-action="warning.acknowledge">确认</td>' in page
    assert ">acknowledged<" not in page and ">system<" not in page
