"""Items keep their matching form (``Item.folded``, decision 0062): folded once, not per match.

The column is added empty (NULL: "not folded yet", which every reader handles by folding the
text itself), then the stored items are folded in chunks of 2,000, in id order. On a large
database this pass takes about as long as folding every item once (≈ 40 µs each on this
project's benchmark machine); nothing reads the column before it is filled except matchers,
which fall back to folding.
"""

from typing import Any

from django.db import migrations, models

CHUNK = 2000


def matching_form(title: str, text: str) -> str:
    """What ``membership.folded_form`` computes (kept here so the migration never changes)."""
    from qingting.core.text import fold

    return fold(f"{title}\n{text}" if title else text)


def _fill(apps: Any, schema_editor: Any) -> None:
    Item = apps.get_model("monitoring", "Item")
    connection = schema_editor.connection
    last = 0
    while True:
        rows = list(
            Item.objects.using(connection.alias)
            .filter(pk__gt=last, folded__isnull=True)
            .order_by("pk")
            .values_list("pk", "title", "text")[:CHUNK]
        )
        if not rows:
            return
        values = [(matching_form(title, text), pk) for pk, title, text in rows]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "UPDATE monitoring_item AS t SET folded = v.f FROM unnest(%s::text[], %s::bigint[]) AS v(f, id)"
                    " WHERE t.id = v.id",
                    [[f for f, _ in values], [pk for _, pk in values]],
                )
            else:
                cursor.executemany("UPDATE monitoring_item SET folded = %s WHERE id = %s", values)
        last = rows[-1][0]


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0011_source_official")]

    operations = [
        migrations.AddField(
            model_name="item",
            name="folded",
            field=models.TextField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(_fill, migrations.RunPython.noop),
    ]
