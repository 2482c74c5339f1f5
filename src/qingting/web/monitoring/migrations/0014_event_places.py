"""Who may see an event, kept per (event, source, region) (decision 0109).

The table is created and filled from the stored items in one grouped statement (on this
project's benchmark database, 1,000,000 items, a few seconds); from then on the engine keeps it.
"""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

FILL = (
    "INSERT INTO monitoring_eventplace (event_id, source_id, region, n) "
    "SELECT event_id, source_id, region, COUNT(*) FROM monitoring_item "
    "WHERE event_id IS NOT NULL GROUP BY event_id, source_id, region"
)


def _fill(apps: Any, schema_editor: Any) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(FILL)


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0013_scheme_units_regions"),
    ]

    operations = [
        migrations.CreateModel(
            name="EventPlace",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("region", models.CharField(blank=True, max_length=100)),
                ("n", models.PositiveIntegerField(default=0)),
                (
                    "event",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="places",
                        to="monitoring.event",
                    ),
                ),
                (
                    "source",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="monitoring.source",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["source", "event"], name="eventplace_source"),
                    models.Index(
                        condition=models.Q(("region", ""), _negated=True),
                        fields=["region", "event"],
                        name="eventplace_region",
                    ),
                ],
                "constraints": [models.UniqueConstraint(fields=("event", "source", "region"), name="eventplace_key")],
            },
        ),
        migrations.RunPython(_fill, migrations.RunPython.noop),
    ]
