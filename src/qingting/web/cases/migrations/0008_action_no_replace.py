# ruff: noqa  (Django migration class attributes are mutable by design)
"""SQLite: REPLACE INTO / INSERT OR REPLACE cannot rewrite the case trail (decision 0072).

As audit 0003: a BEFORE INSERT trigger refuses an insert that would replace a stored action, by
its id or by its unique (case, version), whether or not the connection set recursive_triggers.
"""

from typing import Any

from django.db import migrations

TABLE = "cases_caseaction"

SQLITE_UP = [
    f"CREATE TRIGGER case_action_no_replace BEFORE INSERT ON {TABLE} "
    f"WHEN (NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM {TABLE} WHERE id = NEW.id)) "
    f"OR (NEW.version IS NOT NULL AND EXISTS "
    f"(SELECT 1 FROM {TABLE} WHERE case_id = NEW.case_id AND version = NEW.version)) "
    "BEGIN SELECT RAISE(ABORT, 'case actions are append-only'); END",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS case_action_no_replace"]


def _run(statements: list[str]) -> Any:
    def apply(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "sqlite":
            for sql in statements:
                schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("cases", "0007_number_prefix")]

    operations = [migrations.RunPython(_run(SQLITE_UP), _run(SQLITE_DOWN))]
