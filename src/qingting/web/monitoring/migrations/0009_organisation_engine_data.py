# Generated for decision 0061.
"""One engine per organisation; schemes become saved views (decision 0061).

Keeps existing data:
- every event gets the organisation (root unit) of its scheme's unit;
- the engine state of each organisation is the one of its scheme that had analysed most items
  (``Item.event`` already holds, for most items, that engine's placement); the events of the
  organisation's other schemes are re-keyed (negative engine ids never collide with the engine's)
  and marked merged into the event that now holds their items, so their addresses redirect;
- an item no engine had analysed yet stays ``pending`` for the organisation's engine;
- every (scheme, item) placement becomes a ``SchemeItem`` membership, and every scheme is queued
  for a backfill, which re-matches its expression over stored items and counts its events.
"""

from typing import Any

from django.db import migrations


def _root(path: str, fallback: int) -> int:
    parts = [p for p in path.strip("/").split("/") if p.isdigit()]
    return int(parts[0]) if parts else fallback


def _forward(apps: Any, schema_editor: Any) -> None:
    Unit = apps.get_model("accounts", "Unit")
    Scheme = apps.get_model("monitoring", "Scheme")
    Event = apps.get_model("monitoring", "Event")
    Item = apps.get_model("monitoring", "Item")
    PipelineState = apps.get_model("monitoring", "PipelineState")
    paths = dict(Unit.objects.values_list("pk", "path"))
    org_of_scheme = {
        pk: _root(paths.get(unit_id, ""), unit_id) for pk, unit_id in Scheme.objects.values_list("pk", "unit_id")
    }
    for scheme_id, org_id in org_of_scheme.items():
        Event.objects.filter(scheme_id=scheme_id).update(organisation_id=org_id)
    # The organisation's engine: its most advanced scheme's state.
    states = sorted(
        PipelineState.objects.filter(scheme_id__isnull=False), key=lambda s: (-s.items_ingested, s.scheme_id)
    )
    chosen: dict[int, Any] = {}
    for state in states:
        chosen.setdefault(org_of_scheme[state.scheme_id], state)
    kept = {state.scheme_id for state in chosen.values()}
    for org_id, state in chosen.items():
        PipelineState.objects.create(
            organisation_id=org_id,
            snapshot=state.snapshot,
            version=state.version,
            last_item_id=state.last_item_id,
            items_ingested=state.items_ingested,
        )
    PipelineState.objects.filter(scheme_id__isnull=False).delete()
    # Other schemes' events: re-keyed, and merged into the event now holding their items.
    for event in Event.objects.exclude(scheme_id__in=kept).iterator(chunk_size=2000):
        survivor = (
            Item.objects.filter(placements__event_id=event.pk, event_id__isnull=False)
            .exclude(event_id=event.pk)
            .values_list("event_id", flat=True)
            .first()
        )
        Event.objects.filter(pk=event.pk).update(engine_event_id=-event.pk, merged_into_id=survivor)
    # Items no engine had analysed stay pending for the organisation's engine.
    Item.objects.filter(scheme_id__isnull=True, placements__pending=True).update(pending=True)
    schema_editor.execute(
        "INSERT INTO monitoring_schemeitem (scheme_id, item_id) "
        "SELECT DISTINCT scheme_id, item_id FROM monitoring_itemevent WHERE pending = %s",
        [False],
    )
    Scheme.objects.update(backfill_status="queued")


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0008_organisation_engine")]

    operations = [migrations.RunPython(_forward, migrations.RunPython.noop)]
