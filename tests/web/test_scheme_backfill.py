"""A scheme applied to stored items reads their stored matching form (decision 0062).

Items keep ``fold(title + text)`` from ingestion; a backfill lets the database pre-select the items
holding the expression's terms and matches only those. Whatever the expression, and whether an
item's matching form is stored or not (rows from before migration 0012), the backfill matches
exactly the items the expression matches.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import TestCase

from qingting.core.rules import compile_expression
from qingting.core.text import fold
from qingting.web.monitoring import membership
from qingting.web.monitoring import services as monitoring
from qingting.web.monitoring.models import Event, Item, SchemeEvent, SchemeItem, SourceKind

from .concurrency import allow_flush

START = 1_767_225_600.0  # 2026-01-01 00:00 UTC
NOW = datetime(2026, 1, 2, tzinfo=UTC)

POSTS = [
    ("", "柳湾镇停水，什么时候恢复", ""),
    ("", "柳灣鎮全鎮停水，什麼時候恢復？", ""),  # Traditional: folds to 停水
    ("", "停水演习通知，请勿惊慌", ""),
    ("断水通知", "明天上午八点起", ""),  # the term is only in the title
    ("", "ART exhibition opens in the county museum", ""),
    ("", "party tonight at the square", ""),  # "art" inside a word: not a match
    ("", "柳湾镇" + "，" * 30 + "停水", ""),  # too far apart for NEAR/3
    ("", "今天全镇停水了", "柳湾镇"),  # the place is the item's region, not in its text
    ("", "荷塘乡荷花节开幕", ""),
    ("", "ＡＲＴ展览今天开幕", ""),  # full width: folds to "art"
]

EXPRESSIONS = [
    "停水 OR 断水",
    "停水 -演习",
    "art",
    "(停水 OR 断水) NEAR/3 柳湾镇",
    "region:柳湾镇",
    "NOT 停水",
    "柳湾镇 停水",
    "荷花 OR NOT 停水",
    "source:西论坛 停水",
]


def _expected(expression: str, items: list[Item]) -> set[str]:
    matcher = compile_expression(expression)
    return {
        i.external_id
        for i in items
        if matcher.matches(f"{i.title}\n{i.text}" if i.title else i.text, source="西论坛", region=i.region)
    }


def _matched(scheme: Any) -> set[str]:
    return set(Item.objects.filter(scheme_matches__scheme_id=scheme.pk).values_list("external_id", flat=True))


@pytest.fixture
def stored(org: dict[str, Any], engine: str) -> dict[str, Any]:
    source = monitoring.source_create(actor=None, unit=org["west"], name="西论坛", kind=SourceKind.FORUM)
    records = [
        {"id": f"p{k}", "title": title, "text": text, "region": region, "time": START + 60 * k}
        for k, (title, text, region) in enumerate(POSTS)
    ]
    with TestCase.captureOnCommitCallbacks(execute=True):
        monitoring.store_items(source=source, records=records)
        monitoring.pipeline_catch_up(organisation=org["office"])
    return {**org, "source": source, "items": list(Item.objects.order_by("pk"))}


def test_ingestion_stores_the_matching_form(stored: dict[str, Any]) -> None:
    by_id = {i.external_id: i for i in stored["items"]}
    assert by_id["p1"].folded == fold(POSTS[1][1]) and "停水" in str(by_id["p1"].folded)
    assert by_id["p3"].folded == "断水通知 明天上午八点起"  # title and text, folded together
    assert by_id["p9"].folded is not None and by_id["p9"].folded.startswith("art")


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_a_backfill_matches_what_the_expression_matches_with_or_without_stored_forms(
    stored: dict[str, Any], expression: str
) -> None:
    expected = _expected(expression, stored["items"])
    assert 0 < len(expected) < len(POSTS) or expression == "NOT 停水"  # the expression tells items apart
    scheme = monitoring.scheme_create(
        actor=None, unit=stored["west"], name="方案", expression=expression, sources=[stored["source"]]
    )
    membership.scheme_backfill(scheme=scheme, now=NOW, budget=3)  # several steps: the cursor advances
    assert _matched(scheme) == expected
    scheme.refresh_from_db()
    assert (scheme.backfill_done, scheme.backfill_total) == (len(POSTS), len(POSTS))

    # Rows written before the matching form was stored (or by another path): folded on the fly.
    Item.objects.filter(external_id__in=["p1", "p3", "p4", "p7"]).update(folded=None)
    membership.scheme_backfill_queue(scheme)
    membership.scheme_backfill(scheme=scheme, now=NOW, budget=4)
    assert _matched(scheme) == expected


def test_the_prefilter_only_narrows(stored: dict[str, Any]) -> None:
    """The database condition is necessary, never sufficient: a term inside a word is a candidate
    the matcher then rejects, and a NOT-only expression has no condition at all."""
    function = "strpos" if connection.vendor == "postgresql" else "instr"
    sql, params = membership._prefilter(compile_expression("art OR 断水").tree, function) or ("", [])
    assert params == ["art", "断水"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT external_id FROM monitoring_item WHERE {sql} ORDER BY id", params)
        candidates = [r[0] for r in cursor.fetchall()]
    assert candidates == ["p3", "p4", "p5", "p9"]  # p5 is "party": a candidate, not a match
    assert membership._prefilter(compile_expression("NOT 停水").tree, function) is None
    assert membership._prefilter(compile_expression("region:柳湾镇").tree, function) is None


@pytest.fixture
def flushable() -> Any:
    yield
    if connection.vendor == "postgresql":
        allow_flush()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS))
def test_the_migration_folds_stored_items(flushable: Any) -> None:
    before = [("monitoring", "0011_source_official")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    Unit = old.get_model("accounts", "Unit")
    Source = old.get_model("monitoring", "Source")
    OldItem = old.get_model("monitoring", "Item")
    office = Unit.objects.create(code="o", name="县", kind="office")
    Unit.objects.filter(pk=office.pk).update(path=f"/{office.pk}/")
    source = Source.objects.create(unit=office, name="论坛")
    t = datetime(2026, 1, 1, tzinfo=UTC)
    OldItem.objects.create(source=source, external_id="1", title="臺灣", text="全鎮停水", published_at=t)
    OldItem.objects.create(source=source, external_id="2", text="ＡＢＣ１２３", published_at=t)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert dict(Item.objects.values_list("external_id", "folded")) == {"1": "台湾 全镇停水", "2": "abc123"}
    assert not SchemeItem.objects.exists()


def _figures() -> dict[tuple[int, int], tuple[Any, ...]]:
    return {
        (r.scheme_id, r.event_id): (r.matched, r.buckets, r.first_seen, r.last_seen) for r in SchemeEvent.objects.all()
    }


def test_batch_by_batch_figures_equal_a_recount(org: dict[str, Any], engine: str) -> None:
    """Each engine batch adds its items to the schemes' event figures instead of re-reading the
    events; after many batches (a story growing across them, two schemes, a second source) the
    figures are those a recount from the items gives."""
    east = monitoring.source_create(actor=None, unit=org["east"], name="东论坛", kind=SourceKind.FORUM)
    west = monitoring.source_create(actor=None, unit=org["west"], name="西论坛", kind=SourceKind.FORUM)
    monitoring.scheme_create(actor=None, unit=org["office"], name="停水", expression="停水", sources=[east, west])
    monitoring.scheme_create(actor=None, unit=org["east"], name="全部", sources=[east])
    texts = ["柳湾镇停水，什么时候恢复供水", "荷塘乡荷花节开幕，游客很多", "柳湾镇停水第三天，居民排队接水"]
    for b in range(6):
        records = [
            {"id": f"{b}-{k}", "text": f"{texts[(b + k) % 3]}（第{b}批第{k}条）", "time": START + 900 * b + 20 * k}
            for k in range(8)
        ]
        with TestCase.captureOnCommitCallbacks(execute=True):
            monitoring.ingest_items(source=east if b % 2 else west, records=records)
    before = _figures()
    assert sum(m for m, *_ in before.values()) == SchemeItem.objects.filter(item__event__isnull=False).count() > 48
    assert any(m > 8 for m, *_ in before.values())  # an event grew over several batches
    membership.scheme_events_refresh(Event.objects.values_list("pk", flat=True))
    assert _figures() == before


@pytest.mark.parametrize(
    ("title", "text"), [("", "柳灣鎮全鎮停水，什麼時候恢復？"), ("断水通知", "ＡＲＴ展览 明天\t上午"), ("", "")]
)
def test_the_search_index_reads_the_stored_matching_form_as_it_would_the_text(title: str, text: str) -> None:
    from qingting.web.monitoring import search

    folded = membership.folded_form(title, text)
    assert search.index_body_folded(folded, "zh") == search.index_body(title, text, "zh")
