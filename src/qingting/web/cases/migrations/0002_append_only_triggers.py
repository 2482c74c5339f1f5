# ruff: noqa  (Django migration class attributes are mutable by design)
"""Make the case audit trail (cases_caseaction) append-only in the database: UPDATE, DELETE and
TRUNCATE raise an error, on SQLite and PostgreSQL alike (as audit_auditentry, audit 0002)."""

from typing import Any

from django.db import migrations

TABLE = "cases_caseaction"

SQLITE_UP = [
    f"CREATE TRIGGER case_action_no_update BEFORE UPDATE ON {TABLE} "
    "BEGIN SELECT RAISE(ABORT, 'case actions are append-only'); END",
    f"CREATE TRIGGER case_action_no_delete BEFORE DELETE ON {TABLE} "
    "BEGIN SELECT RAISE(ABORT, 'case actions are append-only'); END",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS case_action_no_update", "DROP TRIGGER IF EXISTS case_action_no_delete"]

POSTGRES_UP = [
    """CREATE OR REPLACE FUNCTION case_action_refuse_change() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'case actions are append-only' USING ERRCODE = 'integrity_constraint_violation';
    END; $$ LANGUAGE plpgsql""",
    f"CREATE TRIGGER case_action_no_update BEFORE UPDATE OR DELETE ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION case_action_refuse_change()",
    f"CREATE TRIGGER case_action_no_truncate BEFORE TRUNCATE ON {TABLE} "
    "FOR EACH STATEMENT EXECUTE FUNCTION case_action_refuse_change()",
]
POSTGRES_DOWN = [
    f"DROP TRIGGER IF EXISTS case_action_no_update ON {TABLE}",
    f"DROP TRIGGER IF EXISTS case_action_no_truncate ON {TABLE}",
    "DROP FUNCTION IF EXISTS case_action_refuse_change()",
]


def _run(statements: dict[str, list[str]]) -> Any:
    def apply(apps: Any, schema_editor: Any) -> None:
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        )
    ]
