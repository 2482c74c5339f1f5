"""PostgreSQL full-text index over items' pre-segmented text (server mode).

The same body as SQLite's FTS5 rows (segmented words plus facet tokens), parsed with the
``simple`` configuration (no stemming, no stop words: the tokens are already final) into a stored
``tsvector`` with a GIN index. SQLite keeps using ``monitoring_item_fts`` (migration 0002).
"""

from typing import Any

from django.db import migrations


def _up(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE TABLE IF NOT EXISTS monitoring_item_search ("
        " item_id bigint PRIMARY KEY REFERENCES monitoring_item(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,"
        " body text NOT NULL,"
        " tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED)"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS monitoring_item_search_tsv ON monitoring_item_search USING GIN (tsv)"
    )


def _down(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TABLE IF EXISTS monitoring_item_search")


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0003_daily_counts")]

    operations = [migrations.RunPython(_up, _down)]
