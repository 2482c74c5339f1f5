"""PostgreSQL: the search table no longer has a foreign key to items; a trigger deletes instead.

A foreign key to ``monitoring_item`` makes PostgreSQL refuse ``TRUNCATE monitoring_item`` (which
Django's ``flush`` and transactional tests use) and costs a check per indexed row when loading
millions of items. A statement-level trigger removes an item's search row when the item is deleted,
which is all the key did (``ON DELETE CASCADE``).
"""

from typing import Any

from django.db import migrations


def _up(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "ALTER TABLE monitoring_item_search DROP CONSTRAINT IF EXISTS monitoring_item_search_item_id_fkey"
    )
    schema_editor.execute(
        "CREATE OR REPLACE FUNCTION monitoring_item_search_forget() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN DELETE FROM monitoring_item_search s USING gone WHERE s.item_id = gone.id; RETURN NULL; END $$"
    )
    schema_editor.execute(
        "CREATE TRIGGER monitoring_item_search_forget AFTER DELETE ON monitoring_item "
        "REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION monitoring_item_search_forget()"
    )


def _down(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP TRIGGER IF EXISTS monitoring_item_search_forget ON monitoring_item")
    schema_editor.execute("DROP FUNCTION IF EXISTS monitoring_item_search_forget()")
    schema_editor.execute(
        "ALTER TABLE monitoring_item_search ADD CONSTRAINT monitoring_item_search_item_id_fkey FOREIGN KEY (item_id) "
        "REFERENCES monitoring_item(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED"
    )


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0006_item_event")]

    operations = [migrations.RunPython(_up, _down)]
