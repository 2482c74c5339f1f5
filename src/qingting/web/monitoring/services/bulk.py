"""Bulk SQL for ingestion: insert and update many rows in one statement per batch.

Django's ``bulk_create``/``bulk_update`` build model instances and ``CASE WHEN`` clauses that cost
more than the database work for the thousand rows a batch touches.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection

from qingting.web.monitoring.models import Item

_CHUNK = 500  # rows per IN (...) lookup; SQLite limits bound parameters


def _chunks(seq: Sequence[Any], n: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


@dataclass(slots=True)
class _NewItem:
    """An item row about to be inserted: plain attributes named like Item's columns.

    Building 1,000 Django model instances per batch cost more than inserting them.
    """

    pk: int
    source_id: int
    external_id: str
    url: str
    title: str
    text: str
    lang: str
    published_at: datetime
    collected_at: datetime
    author_pseudonym: str
    engagement: int
    region: str
    parent: str
    pending: bool = True
    event_id: int | None = None
    duplicate_of_id: int | None = None
    duplicate_kind: str = ""
    sentiment: float | None = None
    sentiment_label: str = ""
    folded: str | None = None


def _pg_type(field: Any) -> str:
    """The column's PostgreSQL type for an array cast (``varchar(200)``, ``timestamp with time zone``)."""
    return str(field.db_type(connection) or "text")


def _insert_items(items: Sequence[_NewItem]) -> list[_NewItem]:
    """Insert the items not stored yet and set their primary keys; returns those inserted.

    ``INSERT … ON CONFLICT (source_id, external_id) DO NOTHING RETURNING``: an item a concurrent
    batch stored meanwhile is skipped rather than an error. PostgreSQL gets one statement over
    ``unnest`` of one array per column (a multi-row ``VALUES`` with thousands of placeholders costs
    psycopg more to parse than the database to run); SQLite (≥ 3.35) gets multi-row ``VALUES``.
    What ``bulk_create`` does, without model instances. The items of one call are of one source,
    with distinct external ids.
    """
    if not items:
        return []
    from django.db import models

    meta = Item._meta
    qn = connection.ops.quote_name
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    adapt = [connection.ops.adapt_datetimefield_value if isinstance(f, models.DateTimeField) else None for f in fields]
    columns = ", ".join(qn(f.column or f.attname) for f in fields)
    pk_column = qn((meta.pk.column if meta.pk is not None else None) or "id")
    tail = f"ON CONFLICT (source_id, external_id) DO NOTHING RETURNING {pk_column}, external_id"
    inserted: list[_NewItem] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = [[getattr(item, f.attname) for item in items] for f in fields]
            unnest = ", ".join(f"%s::{_pg_type(f)}[]" for f in fields)
            cursor.execute(f"INSERT INTO {qn(meta.db_table)} ({columns}) SELECT * FROM unnest({unnest}) {tail}", arrays)
            returned = cursor.fetchall()
        else:
            row = "(" + ", ".join(["%s"] * len(fields)) + ")"
            returned = []
            # Stay far below SQLite's bound-parameter limit (32766 since 3.32).
            for chunk in _chunks(items, max(1, 20000 // len(fields))):
                params: list[Any] = []
                for item in chunk:
                    for f, conv in zip(fields, adapt, strict=True):
                        value = getattr(item, f.attname)
                        params.append(conv(value) if conv is not None and value is not None else value)
                cursor.execute(
                    f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES {', '.join([row] * len(chunk))} {tail}",
                    params,
                )
                returned += cursor.fetchall()
    by_ext = {item.external_id: item for item in items}
    for pk, ext in returned:
        item = by_ext[ext]
        item.pk = pk
        inserted.append(item)
    return inserted


def _insert_rows(table: str, columns: Sequence[str], types: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert plain-valued rows: ``unnest`` of arrays on PostgreSQL (``types`` name the columns'
    types), multi-row ``VALUES`` on SQLite."""
    if not rows:
        return
    qn = connection.ops.quote_name
    head = f"INSERT INTO {qn(table)} ({', '.join(qn(c) for c in columns)}) "
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = [list(column) for column in zip(*rows, strict=True)]
            cursor.execute(head + "SELECT * FROM unnest(" + ", ".join(f"%s::{t}[]" for t in types) + ")", arrays)
            return
        row = "(" + ", ".join(["%s"] * len(columns)) + ")"
        for chunk in _chunks(rows, max(1, 20000 // len(columns))):
            cursor.execute(head + "VALUES " + ", ".join([row] * len(chunk)), [v for r in chunk for v in r])


def _update_rows(
    table: str, columns: Sequence[str], types: Sequence[str], rows: Sequence[Sequence[Any]], *, where: str = ""
) -> set[int] | None:
    """``UPDATE table SET columns… WHERE id = … [AND where]`` for rows ``(values…, id)``: one
    statement joining ``unnest`` of arrays on PostgreSQL (returns the ids it updated), an
    ``executemany`` on SQLite (returns ``None``: SQLite serialises writers, so the caller's read
    inside its write transaction already tells)."""
    if not rows:
        return set()
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = [list(column) for column in zip(*rows, strict=True)]
            # Lock in id order first: two engines updating the same rows then never deadlock.
            cursor.execute(f"SELECT id FROM {qn(table)} WHERE id = ANY(%s) ORDER BY id FOR UPDATE", [arrays[-1]])
            names = [f"v{k}" for k in range(len(columns))]
            cursor.execute(
                f"UPDATE {qn(table)} AS t SET "
                + ", ".join(f"{qn(c)} = v.{n}" for c, n in zip(columns, names, strict=True))
                + " FROM unnest("
                + ", ".join(f"%s::{t}[]" for t in [*types, "bigint"])
                + f") AS v({', '.join(names)}, vid) WHERE t.id = v.vid{f' AND t.{where}' if where else ''}"
                + " RETURNING t.id",
                arrays,
            )
            return {row[0] for row in cursor.fetchall()}
        cursor.executemany(
            f"UPDATE {qn(table)} SET "
            + ", ".join(f"{qn(c)} = %s" for c in columns)
            + f" WHERE id = %s{f' AND {where}' if where else ''}",
            rows,
        )
        return None


def _fast_update(objs: Sequence[Any], fields: Sequence[str], *, model: Any = None) -> None:
    """``UPDATE … WHERE id = %s`` for each object, as one executemany.

    Django's ``bulk_update`` builds a ``CASE WHEN`` per field and row, which costs far more than
    the database work for the few hundred rows a batch touches.
    """
    if not objs:
        return
    meta = (model or type(objs[0]))._meta
    qn = connection.ops.quote_name
    model_fields = [meta.get_field(name) for name in fields]
    sql = (
        f"UPDATE {qn(meta.db_table)} SET "
        + ", ".join(f"{qn(f.column)} = %s" for f in model_fields)
        + f" WHERE {qn(meta.pk.column)} = %s"
    )
    params = [
        [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in model_fields] + [obj.pk] for obj in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
