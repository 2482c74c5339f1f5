"""Existing data migrates to one engine per organisation (decision 0061).

The database is taken back to before the change, filled as two per-scheme engines left it (the
same item placed in an event of each scheme), and migrated forward.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from .concurrency import allow_flush

BEFORE = [("monitoring", "0007_item_search_without_fk"), ("warnings", "0003_alter_warning_kind")]


@pytest.fixture
def flushable() -> Any:
    """A transactional test is emptied by TRUNCATE, which the append-only tables refuse on
    PostgreSQL: let the flush through for this session, as the concurrency tests do."""
    yield
    if connection.vendor == "postgresql":
        allow_flush()


# available_apps (all of them): the flush then TRUNCATEs … CASCADE, which the unmanaged search table
# that references monitoring_item needs on PostgreSQL.
@pytest.mark.slow
@pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS))
def test_per_scheme_placements_become_one_placement_and_memberships(flushable: Any) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Unit = old.get_model("accounts", "Unit")
    Source = old.get_model("monitoring", "Source")
    Scheme = old.get_model("monitoring", "Scheme")
    Event = old.get_model("monitoring", "Event")
    Item = old.get_model("monitoring", "Item")
    ItemEvent = old.get_model("monitoring", "ItemEvent")
    PipelineState = old.get_model("monitoring", "PipelineState")

    office = Unit.objects.create(code="o", name="县", kind="office")
    Unit.objects.filter(pk=office.pk).update(path=f"/{office.pk}/")
    town = Unit.objects.create(code="t", name="镇", kind="township", parent=office)
    Unit.objects.filter(pk=town.pk).update(path=f"/{office.pk}/{town.pk}/")
    source = Source.objects.create(unit=town, name="论坛")
    first = Scheme.objects.create(unit=town, name="供水", expression="停水")
    second = Scheme.objects.create(unit=office, name="全部")
    for scheme in (first, second):
        scheme.sources.add(source)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    e1 = Event.objects.create(
        scheme=first, engine_event_id=1, title="停水", first_seen=now, last_seen=now, item_count=3
    )
    e2 = Event.objects.create(
        scheme=second, engine_event_id=1, title="停水", first_seen=now, last_seen=now, item_count=3
    )
    items = [
        Item.objects.create(
            source=source, external_id=str(i), text="柳湾镇停水", published_at=now, scheme=first, event=e1
        )
        for i in range(3)
    ]
    waiting = Item.objects.create(source=source, external_id="new", text="还没分析", published_at=now)
    for item in items:
        ItemEvent.objects.create(scheme=first, item=item, event=e1, pending=False)
        ItemEvent.objects.create(scheme=second, item=item, event=e2, pending=False)
    ItemEvent.objects.create(scheme=first, item=waiting, pending=True)
    ItemEvent.objects.create(scheme=second, item=waiting, pending=True)
    PipelineState.objects.create(scheme=first, items_ingested=3, version=2, last_item_id=items[-1].pk)
    PipelineState.objects.create(scheme=second, items_ingested=1, version=1)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    from qingting.web.monitoring import membership
    from qingting.web.monitoring.models import Event as NewEvent
    from qingting.web.monitoring.models import Item as NewItem
    from qingting.web.monitoring.models import PipelineState as NewState
    from qingting.web.monitoring.models import Scheme as NewScheme
    from qingting.web.monitoring.models import SchemeEvent, SchemeItem

    # Both events kept; the second scheme's is merged into the event that holds the items.
    kept, merged = NewEvent.objects.get(pk=e1.pk), NewEvent.objects.get(pk=e2.pk)
    assert kept.organisation_id == merged.organisation_id == office.pk
    assert kept.merged_into_id is None and merged.merged_into_id == kept.pk and merged.engine_event_id == -e2.pk
    assert set(NewItem.objects.filter(pending=False).values_list("event_id", flat=True)) == {kept.pk}
    assert list(NewItem.objects.filter(pending=True).values_list("external_id", flat=True)) == ["new"]
    # The most advanced engine became the organisation's.
    state = NewState.objects.get()
    assert (state.organisation_id, state.items_ingested, state.version) == (office.pk, 3, 2)
    # Memberships kept, and every scheme queued to be re-applied (its expression, its counts).
    assert SchemeItem.objects.filter(scheme_id=second.pk).count() == 3
    assert set(NewScheme.objects.values_list("backfill_status", flat=True)) == {"queued"}
    for scheme in NewScheme.objects.all():
        membership.scheme_backfill(scheme=scheme, now=datetime(2026, 1, 2, tzinfo=UTC))
    assert dict(SchemeEvent.objects.values_list("scheme_id", "matched")) == {first.pk: 3, second.pk: 3}
