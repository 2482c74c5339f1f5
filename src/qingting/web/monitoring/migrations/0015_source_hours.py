"""Items per source and hour of publication, for the sources' health (decision 0110).

Filled from the items of the last ``SOURCE_HOURS_KEPT`` hours (an index range per source); from
then on storing an item counts it.
"""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

KEPT_HOURS = 16 * 24  # hours.SOURCE_HOURS_KEPT when this migration was written


def _fill(apps: Any, schema_editor: Any) -> None:
    from datetime import UTC, timedelta

    from django.db.models import Count
    from django.db.models.functions import TruncHour
    from django.utils import timezone

    Item = apps.get_model("monitoring", "Item")
    SourceHour = apps.get_model("monitoring", "SourceHour")
    alias = schema_editor.connection.alias
    since = timezone.now().astimezone(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=KEPT_HOURS - 1)
    rows = (
        Item.objects.using(alias)
        .filter(published_at__gte=since)
        .annotate(h=TruncHour("published_at", tzinfo=UTC))
        .values("source_id", "h")
        .annotate(n=Count("id"))
        .order_by()
    )
    SourceHour.objects.using(alias).bulk_create(
        [SourceHour(source_id=r["source_id"], hour=r["h"], n=r["n"]) for r in rows], batch_size=2000
    )


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0014_event_places"),
    ]

    operations = [
        migrations.CreateModel(
            name="SourceHour",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("hour", models.DateTimeField()),
                ("n", models.PositiveIntegerField(default=0)),
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
                "constraints": [models.UniqueConstraint(fields=("source", "hour"), name="sourcehour_key")],
            },
        ),
        migrations.RunPython(_fill, migrations.RunPython.noop),
    ]
