# Generated for decision 0061.
"""One engine per organisation; schemes become saved views (decision 0061): new columns and tables.

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

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("monitoring", "0007_item_search_without_fk"),
    ]

    operations = [
        migrations.AddField(
            model_name="event",
            name="organisation",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="events",
                to="accounts.unit",
                verbose_name="organisation",
            ),
        ),
        migrations.AddField(
            model_name="event",
            name="merged_into",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="merged",
                to="monitoring.event",
                verbose_name="merged into",
            ),
        ),
        migrations.AddField(model_name="item", name="pending", field=models.BooleanField(default=False)),
        migrations.AddField(
            model_name="scheme",
            name="backfill_status",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "Up to date"),
                    ("queued", "Queued"),
                    ("running", "Applying to stored items"),
                    ("failed", "Failed"),
                ],
                default="",
                max_length=12,
            ),
        ),
        migrations.AddField(model_name="scheme", name="backfill_done", field=models.PositiveBigIntegerField(default=0)),
        migrations.AddField(
            model_name="scheme", name="backfill_total", field=models.PositiveBigIntegerField(default=0)
        ),
        migrations.AddField(model_name="scheme", name="backfill_cursor", field=models.BigIntegerField(default=0)),
        migrations.AddField(
            model_name="scheme", name="backfill_started_at", field=models.DateTimeField(blank=True, null=True)
        ),
        migrations.AddField(
            model_name="scheme", name="backfill_finished_at", field=models.DateTimeField(blank=True, null=True)
        ),
        migrations.AddField(model_name="scheme", name="backfill_error", field=models.TextField(blank=True)),
        migrations.AddField(
            model_name="pipelinestate",
            name="organisation",
            field=models.OneToOneField(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="pipeline_state",
                to="accounts.unit",
            ),
        ),
        migrations.AlterField(
            model_name="pipelinestate",
            name="scheme",
            field=models.OneToOneField(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="pipeline_state",
                to="monitoring.scheme",
            ),
        ),
        migrations.AddField(
            model_name="pipelinestate", name="replay", field=models.JSONField(blank=True, default=list)
        ),
        migrations.AddField(
            model_name="pipelinestate", name="checkpoint_at", field=models.DateTimeField(blank=True, null=True)
        ),
        migrations.CreateModel(
            name="SchemeItem",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "item",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="scheme_matches", to="monitoring.item"
                    ),
                ),
                (
                    "scheme",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="monitoring.scheme",
                    ),
                ),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("scheme", "item"), name="schemeitem_scheme_item")],
            },
        ),
        migrations.CreateModel(
            name="SchemeEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("matched", models.PositiveIntegerField(default=0)),
                ("buckets", models.JSONField(default=dict)),
                ("first_seen", models.DateTimeField(null=True)),
                ("last_seen", models.DateTimeField(null=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "event",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="scheme_matches",
                        to="monitoring.event",
                    ),
                ),
                (
                    "scheme",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="event_matches",
                        to="monitoring.scheme",
                    ),
                ),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("scheme", "event"), name="schemeevent_scheme_event")],
            },
        ),
    ]
