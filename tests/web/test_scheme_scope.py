"""A scheme's scope: sources one by one, units followed whole, places (decision 0124).

A scheme = expression + sources + units + regions. Following a unit follows every source of it
and of the units under it, including sources added later; naming places keeps only the items
about them. Matching at ingestion and a backfill over stored items give the same memberships,
and editing the scope (in the service, the editor page or the API) applies it to stored items.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client, TestCase
from django.urls import reverse

from qingting.web.accounts import services as accounts
from qingting.web.accounts.models import Role, UnitKind
from qingting.web.audit.models import AuditEntry
from qingting.web.monitoring import membership
from qingting.web.monitoring import services as monitoring
from qingting.web.monitoring.models import BackfillStatus, Item, Scheme, SchemeEvent, SourceKind
from qingting.web.monitoring.selectors import scheme_source_ids

from .conftest import PASSWORD

START = 1_767_225_600.0  # 2026-01-01 00:00 UTC
NOW = datetime(2026, 1, 2, tzinfo=UTC)


def _ingest(source: Any, posts: list[tuple[str, str]], *, at: float = START) -> None:
    records = [
        {"id": f"{source.pk}-{k}-{at}", "text": text, "region": region, "time": at + 60 * k}
        for k, (text, region) in enumerate(posts)
    ]
    with TestCase.captureOnCommitCallbacks(execute=True):
        monitoring.ingest_items(source=source, records=records)


def _matched(scheme: Scheme) -> set[str]:
    return set(Item.objects.filter(scheme_matches__scheme_id=scheme.pk).values_list("text", flat=True))


def test_a_followed_unit_brings_its_sources_and_those_added_later(org: dict[str, Any], engine: str) -> None:
    east = monitoring.source_create(actor=None, unit=org["east"], name="东论坛", kind=SourceKind.FORUM)
    west = monitoring.source_create(actor=None, unit=org["west"], name="西论坛", kind=SourceKind.FORUM)
    scheme = monitoring.scheme_create(
        actor=None, unit=org["office"], name="东街道", expression="停水", units=[org["east"]]
    )
    # A community under the east township gets a source after the scheme was written.
    later = monitoring.source_create(actor=None, unit=org["east_community"], name="东一社区群", kind=SourceKind.OTHER)
    assert scheme_source_ids([scheme.pk]) == {scheme.pk: {east.pk, later.pk}}
    _ingest(east, [("东街道停水了", ""), ("东街道修路", "")])
    _ingest(later, [("社区停水通知", "")])
    _ingest(west, [("西街道停水了", "")])
    assert _matched(scheme) == {"东街道停水了", "社区停水通知"}
    assert SchemeEvent.objects.filter(scheme=scheme).exists()  # the warning rules' figures follow


def test_places_keep_only_items_about_them_at_ingestion_and_in_a_backfill(org: dict[str, Any], engine: str) -> None:
    source = monitoring.source_create(actor=None, unit=org["west"], name="西论坛", kind=SourceKind.FORUM)
    scheme = monitoring.scheme_create(
        actor=None,
        unit=org["west"],
        name="柳湾",
        expression="停水",
        sources=[source],
        regions=["柳湾镇", " 柳湾镇 ", ""],
    )
    assert scheme.regions == ["柳湾镇"]
    posts = [
        ("全镇停水", "柳湾镇"),
        ("又停水了", "柳灣鎮"),
        ("县城停水", "石桥镇"),
        ("停水不知道哪里", ""),
        ("修路", "柳湾镇"),
    ]
    _ingest(source, posts)
    at_ingestion = _matched(scheme)
    assert at_ingestion == {"全镇停水", "又停水了"}  # Traditional and Simplified places alike
    membership.scheme_backfill_queue(scheme)
    membership.scheme_backfill(scheme=scheme, now=NOW, budget=2)
    assert _matched(scheme) == at_ingestion


def test_editing_the_scope_applies_it_to_stored_items_and_is_audited(org: dict[str, Any], engine: str) -> None:
    east = monitoring.source_create(actor=None, unit=org["east"], name="东论坛", kind=SourceKind.FORUM)
    west = monitoring.source_create(actor=None, unit=org["west"], name="西论坛", kind=SourceKind.FORUM)
    _ingest(east, [("东街道停水", "东街道"), ("东一社区停水", "东一社区")])
    _ingest(west, [("西街道停水", "西街道")])
    scheme = monitoring.scheme_create(actor=None, unit=org["office"], name="停水", expression="停水", sources=[west])
    membership.scheme_backfill(scheme=scheme, now=NOW)
    assert _matched(scheme) == {"西街道停水"}

    monitoring.scheme_update(actor=None, scheme=scheme, units=[org["east"]], regions=["东一社区", "西街道"])
    scheme.refresh_from_db()
    assert scheme.backfill_status == BackfillStatus.QUEUED
    membership.scheme_backfill(scheme=scheme, now=NOW)
    assert _matched(scheme) == {"东一社区停水", "西街道停水"}
    entry = AuditEntry.objects.filter(action="scheme.update", object_id=str(scheme.pk)).latest("pk")
    assert entry.old["units"] == [] and entry.new["units"] == [org["east"].pk]
    assert entry.new["regions"] == ["东一社区", "西街道"] and entry.new["sources"] == [west.pk]

    # Nothing changed: nothing to apply again.
    monitoring.scheme_update(actor=None, scheme=scheme, units=[org["east"]], regions=["东一社区", "西街道"])
    scheme.refresh_from_db()
    assert scheme.backfill_status == BackfillStatus.IDLE


def test_units_of_another_organisation_cannot_be_followed(org: dict[str, Any]) -> None:
    other = accounts.unit_create(actor=None, code="other", name="邻县网信办", kind=UnitKind.OFFICE)
    with pytest.raises(ValueError, match="邻县网信办"):
        monitoring.scheme_create(actor=None, unit=org["office"], name="越界", units=[other])
    assert not Scheme.objects.filter(name="越界").exists()


@pytest.fixture
def analyst(org: dict[str, Any]) -> Client:
    user = accounts.user_create(actor=None, username="county_analyst", password=PASSWORD)
    accounts.membership_grant(actor=None, user=user, unit=org["office"], role=Role.ANALYST)
    client = Client()
    assert client.login(username="county_analyst", password=PASSWORD)
    return client


def test_the_new_scheme_page_and_the_editor_set_the_scope(org: dict[str, Any], analyst: Client, engine: str) -> None:
    east = monitoring.source_create(actor=None, unit=org["east"], name="东论坛", kind=SourceKind.FORUM)
    page = analyst.get(reverse("warnings:scheme_new")).content.decode()
    assert 'name="units"' in page and 'name="regions"' in page and "东街道" in page
    made = analyst.post(
        reverse("warnings:scheme_new"),
        {"name": "东街道停水", "unit": org["office"].pk, "expression": "停水", "units": [org["east"].pk],
         "regions": "柳湾镇、石桥镇, 柳湾镇"},
    )  # fmt: skip
    scheme = Scheme.objects.get(name="东街道停水")
    assert made.status_code == 302
    assert list(scheme.units.all()) == [org["east"]] and scheme.regions == ["柳湾镇", "石桥镇"]
    assert not scheme.sources.exists()

    editor = analyst.get(reverse("warnings:scheme", args=[scheme.pk])).content.decode()
    assert 'value="scope"' in editor and "柳湾镇、石桥镇" in editor
    saved = analyst.post(
        reverse("warnings:scheme", args=[scheme.pk]), {"op": "scope", "sources": [east.pk], "regions": ""}
    )
    assert saved.status_code == 302
    scheme.refresh_from_db()
    assert list(scheme.sources.all()) == [east] and not scheme.units.exists() and scheme.regions == []


def test_a_township_analyst_cannot_follow_what_is_not_theirs(org: dict[str, Any]) -> None:
    west_source = monitoring.source_create(actor=None, unit=org["west"], name="西论坛", kind=SourceKind.FORUM)
    client = Client()
    assert client.login(username="east_analyst", password=PASSWORD)
    page = client.get(reverse("warnings:scheme_new")).content.decode()
    assert "西街道" not in page and "西论坛" not in page
    client.post(
        reverse("warnings:scheme_new"),
        {"name": "越权", "unit": org["east"].pk, "units": [org["west"].pk, org["office"].pk],
         "sources": [west_source.pk]},
    )  # fmt: skip
    scheme = Scheme.objects.get(name="越权")
    assert not scheme.units.exists() and not scheme.sources.exists()  # posted ids outside the offer are dropped


def test_the_api_reads_and_writes_the_scope(org: dict[str, Any]) -> None:
    from qingting.web.accounts.services import api_token_create

    _, key = api_token_create(actor=None, user=org["east_analyst"], name="t")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}", "content_type": "application/json"}
    client = Client()
    refused = client.post(
        "/api/schemes", {"unit_id": org["east"].pk, "name": "x", "unit_ids": [org["west"].pk]}, **headers
    )
    assert refused.status_code == 422 and "unit_ids" in refused.json()["error"]["fields"]
    made = client.post(
        "/api/schemes",
        {
            "unit_id": org["east"].pk,
            "name": "东一社区",
            "unit_ids": [org["east_community"].pk],
            "regions": ["东一社区"],
        },
        **headers,
    )
    assert made.status_code == 201, made.content
    body = client.get(f"/api/schemes/{made.json()['id']}", **headers).json()
    assert body["unit_ids"] == [org["east_community"].pk] and body["regions"] == ["东一社区"]
    assert body["source_ids"] == []
