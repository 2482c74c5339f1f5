"""Regression test for issue 16 (audit finding 6): no SQL statement rewrites the audit trail —
neither audit_auditentry nor cases_caseaction — on SQLite (REPLACE INTO, INSERT OR REPLACE, upserts)
as on PostgreSQL. Each form the audit tried, with and without ``recursive_triggers``."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from qingting.web.audit.models import AuditEntry
from qingting.web.cases import services
from qingting.web.cases.models import CaseAction


def _row(table: str, pk: int) -> dict[str, Any]:
    with connection.cursor() as c:
        c.execute(f"SELECT * FROM {table} WHERE id = %s", [pk])
        names = [d[0] for d in c.description]
        return dict(zip(names, c.fetchone(), strict=True))


def _statements(table: str, row: dict[str, Any], text_column: str) -> list[tuple[str, list[Any]]]:
    """Every way the audit tried to change a stored row, as (sql, params)."""
    cols = list(row)
    values = [("rewritten" if c == text_column else row[c]) for c in cols]
    col_sql = ", ".join(cols)
    marks = ", ".join(["%s"] * len(cols))
    fresh = [("rewritten" if c == text_column else (None if c == "id" else row[c])) for c in cols]
    sqlite = connection.vendor == "sqlite"
    out = [
        (f"UPDATE {table} SET {text_column} = 'rewritten' WHERE id = %s", [row["id"]]),
        (f"DELETE FROM {table} WHERE id = %s", [row["id"]]),
        (f"DELETE FROM {table}", []),
        (
            f"INSERT INTO {table} ({col_sql}) VALUES ({marks}) "
            f"ON CONFLICT (id) DO UPDATE SET {text_column} = excluded.{text_column}",
            values,
        ),
    ]
    if sqlite:
        out += [
            (f"REPLACE INTO {table} ({col_sql}) VALUES ({marks})", values),
            (f"INSERT OR REPLACE INTO {table} ({col_sql}) VALUES ({marks})", values),
            (f"UPDATE OR REPLACE {table} SET {text_column} = 'rewritten' WHERE id = %s", [row["id"]]),
            (f"INSERT INTO {table} ({col_sql}) VALUES ({marks}) ON CONFLICT DO UPDATE SET id = id", values),
        ]
        if table == "cases_caseaction":  # a new id, the stored (case, version): REPLACE would delete it
            out.append((f"INSERT OR REPLACE INTO {table} ({col_sql}) VALUES ({marks})", fresh))
    else:
        out.append((f"TRUNCATE {table} CASCADE", []))
    return out


@pytest.mark.parametrize("recursive_triggers", ["as connected", "OFF"])
def test_no_statement_rewrites_the_trail(people: dict[str, Any], recursive_triggers: str) -> None:
    """As every connection comes (the settings turn recursive triggers on), and with them off (a
    tool that opens the file without our settings): the triggers refuse either way."""
    if recursive_triggers == "OFF" and connection.vendor != "sqlite":
        pytest.skip("recursive_triggers is a SQLite setting")
    case = services.case_create(actor=None, unit=people["east"], channel="web", category="help", summary="求助")
    services.case_act(actor=people["dispatcher"], case_id=case.pk, action="register")
    action = CaseAction.objects.filter(case=case, version__isnull=False).order_by("pk").last()
    entry = AuditEntry.objects.order_by("pk").last()
    assert action is not None and entry is not None
    targets = [
        ("cases_caseaction", action.pk, "reason", CaseAction),
        ("audit_auditentry", entry.pk, "reason", AuditEntry),
    ]
    if recursive_triggers == "OFF":
        with connection.cursor() as c:
            c.execute("PRAGMA recursive_triggers=OFF")
    try:
        for table, pk, column, model in targets:
            before = _row(table, pk)
            count = model.objects.count()
            for sql, params in _statements(table, before, column):
                with (
                    pytest.raises(DatabaseError, match="append-only"),
                    transaction.atomic(),
                    connection.cursor() as c,
                ):
                    if connection.vendor == "postgresql" and sql.startswith("TRUNCATE"):
                        c.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    c.execute(sql, params)
                assert _row(table, pk) == before, sql
                assert model.objects.count() == count, sql
    finally:
        if connection.vendor == "sqlite":
            with connection.cursor() as c:
                c.execute("PRAGMA recursive_triggers=ON")
