"""The events' places count their items' negative labels and sum their positivities, and the
events' sentiment figures are derived from them (decision 0131).

Both are filled from the stored items: the places recounted in one grouped statement (as
``0014_event_places`` did), then every event's negative share and mean positivity set from its
places in one grouped update — from then on over the items' current labels (corrections and
re-scores included), not the engine's sums. Events without items keep their figures.
"""

from typing import Any

from django.db import migrations, models

REFILL = (
    "INSERT INTO monitoring_eventplace (event_id, source_id, region, n, negative, positivity) "
    "SELECT event_id, source_id, region, COUNT(*), SUM(CASE WHEN sentiment_label = 'negative' THEN 1 ELSE 0 END), "
    "SUM(COALESCE(sentiment, 0.5)) FROM monitoring_item WHERE event_id IS NOT NULL "
    "GROUP BY event_id, source_id, region"
)
DERIVE = (
    "UPDATE monitoring_event SET negative_share = 1.0 * v.neg / v.n, sentiment = v.pos / v.n "
    "FROM (SELECT event_id, SUM(n) AS n, SUM(negative) AS neg, SUM(positivity) AS pos "
    "FROM monitoring_eventplace GROUP BY event_id) AS v WHERE monitoring_event.id = v.event_id AND v.n > 0"
)


def _fill(apps: Any, schema_editor: Any) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DELETE FROM monitoring_eventplace")
        cursor.execute(REFILL)
        cursor.execute(DERIVE)


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0015_source_hours"),
    ]

    operations = [
        migrations.AddField(
            model_name="eventplace",
            name="negative",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="eventplace",
            name="positivity",
            field=models.FloatField(default=0.0),
        ),
        migrations.RunPython(_fill, migrations.RunPython.noop),
    ]
