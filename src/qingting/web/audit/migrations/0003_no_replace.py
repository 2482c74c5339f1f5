# ruff: noqa  (Django migration class attributes are mutable by design)
"""SQLite: REPLACE INTO / INSERT OR REPLACE cannot rewrite an audit entry either (decision 0072).

REPLACE resolves a key conflict by deleting the old row, and SQLite fires DELETE triggers for
that only with ``PRAGMA recursive_triggers=ON`` — which every connection now sets, but a tool that
opens the file without it would not. This BEFORE INSERT trigger refuses any insert whose id is
already taken, whatever the connection's settings. (PostgreSQL has no REPLACE; its ON CONFLICT DO
UPDATE runs the UPDATE trigger, which refuses.)
"""

from typing import Any

from django.db import migrations

TABLE = "audit_auditentry"

SQLITE_UP = [
    f"CREATE TRIGGER audit_no_replace BEFORE INSERT ON {TABLE} "
    f"WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM {TABLE} WHERE id = NEW.id) "
    "BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS audit_no_replace"]


def _run(statements: list[str]) -> Any:
    def apply(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "sqlite":
            for sql in statements:
                schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]

    operations = [migrations.RunPython(_run(SQLITE_UP), _run(SQLITE_DOWN))]
