"""Schemes as saved views: which schemes match an item, and an event (decision 0061).

The organisation's engine places an item once (``Item.event``); matching it against a scheme is
cheap and stored as a :class:`SchemeItem` row. :class:`SchemeEvent` holds, per (scheme, event),
how many of the event's items the scheme matches, per 30-minute bucket: what the warning rules,
the board's scheme filter, bulletins and reports read. A scheme created or edited is applied to
stored items by a backfill (:func:`scheme_backfill_run`, a periodic job in both run modes).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from qingting.web.accounts.models import Unit
from qingting.web.monitoring.models import BackfillStatus, Item, Scheme, SchemeEvent, SchemeItem, Source
from qingting.web.monitoring.selectors import backfill_days as backfill_days
from qingting.web.monitoring.selectors import organisation_id as organisation_id
from qingting.web.monitoring.selectors import scheme_source_ids
from qingting.web.monitoring.signals import scheme_backfilled

log = logging.getLogger(__name__)

BUCKET_SECONDS = 1800.0  # the engine's and the warning rules' bucket
_CHUNK = 500


def organisation_source_ids(org_id: int) -> list[int]:
    """Every source of the organisation (of any unit under its root)."""
    return list(Source.objects.filter(unit__path__startswith=f"/{org_id}/").values_list("pk", flat=True))


@dataclass(frozen=True)
class _View:
    scheme_id: int
    source_ids: frozenset[int]
    matcher: Any  # None: every item of its sources
    regions: frozenset[str] = frozenset()  # folded place names; empty: any place


def folded_form(title: str, text: str) -> str:
    """The matching form of an item (``Item.folded``): its title and text, folded together.

    >>> folded_form("臺灣", "全鎮停水")
    '台湾 全镇停水'
    """
    from qingting.core.text import fold

    return fold(f"{title}\n{text}" if title else text)


def _compile(expression: str) -> Any:
    expr = (expression or "").strip()
    if not expr or expr == "*":
        return None
    from qingting.core.rules import compile_expression

    return compile_expression(expr)


def _views(org_id: int, scheme_ids: Iterable[int] | None = None) -> list[_View]:
    schemes = Scheme.objects.filter(unit__path__startswith=f"/{org_id}/", is_active=True)
    if scheme_ids is not None:
        schemes = schemes.filter(pk__in=list(scheme_ids))
    from qingting.core.text import fold

    found = list(schemes.only("pk", "expression", "regions"))
    sources = scheme_source_ids(scheme.pk for scheme in found)
    views = []
    for scheme in found:
        try:
            matcher = _compile(scheme.expression)
        except ValueError as exc:  # a malformed stored expression: say so, never stop ingestion
            log.warning("scheme %s: not matched: %s", scheme.pk, exc)
            continue
        if sources.get(scheme.pk):
            regions = frozenset(fold(r) for r in scheme.regions or () if str(r).strip())
            views.append(_View(scheme.pk, frozenset(sources[scheme.pk]), matcher, regions))
    return views


def _matching(
    views: Sequence[_View], rows: Iterable[Mapping[str, Any]], names: Mapping[int, str]
) -> list[tuple[int, int]]:
    """``(scheme id, item id)`` for every row a view matches.

    Rows have pk, source_id, region, and either ``folded`` (the stored matching form) or, when
    that is missing or ``None``, title and text (folded here, once, however many schemes look).
    """
    from qingting.core.text import fold

    folded_names = {pk: fold(name) for pk, name in names.items()}
    pairs = []
    for row in rows:
        folded: str | None = None  # folded once per row, and only when a view asks
        region: str | None = None
        for view in views:
            if row["source_id"] not in view.source_ids:
                continue
            if view.regions or view.matcher is not None:
                if region is None:
                    region = fold(row["region"]) if row["region"] else ""
                if view.regions and region not in view.regions:
                    continue
            if view.matcher is not None:
                if folded is None:
                    folded = row.get("folded")
                    if folded is None:
                        folded = folded_form(row["title"], row["text"])
                source = folded_names.get(row["source_id"], "")
                if not view.matcher.matches_folded(folded, source=source, region=region or ""):
                    continue
            pairs.append((view.scheme_id, row["pk"]))
    return pairs


def _insert_pairs(pairs: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Insert ``(scheme id, item id)`` memberships; returns those that were not stored yet."""
    if not pairs:
        return []
    qn = connection.ops.quote_name
    table = qn(SchemeItem._meta.db_table)
    tail = "ON CONFLICT (scheme_id, item_id) DO NOTHING RETURNING scheme_id, item_id"
    inserted: list[tuple[int, int]] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} (scheme_id, item_id) SELECT * FROM unnest(%s::bigint[], %s::bigint[]) {tail}",
                [[s for s, _ in pairs], [i for _, i in pairs]],
            )
            return [(s, i) for s, i in cursor.fetchall()]
        for i in range(0, len(pairs), 5000):
            chunk = pairs[i : i + 5000]
            cursor.execute(
                f"INSERT INTO {table} (scheme_id, item_id) VALUES {', '.join(['(%s, %s)'] * len(chunk))} {tail}",
                [v for pair in chunk for v in pair],
            )
            inserted += [(s, i) for s, i in cursor.fetchall()]
    return inserted


def _source_names(source_ids: Iterable[int]) -> dict[int, str]:
    return dict(Source.objects.filter(pk__in=list(set(source_ids))).values_list("pk", "name"))


def match_items(org_id: int, rows: Sequence[Mapping[str, Any]]) -> list[tuple[int, int]]:
    """Store which of the organisation's schemes match ``rows`` (items just placed); returns the
    ``(scheme id, item id)`` pairs written (those not stored already).

    Call inside the engine's transaction.
    """
    views = _views(org_id)
    if not views or not rows:
        return []
    return _insert_pairs(_matching(views, rows, _source_names(r["source_id"] for r in rows)))


def _bucket(t: datetime) -> str:
    return str(int(math.floor(t.timestamp() / BUCKET_SECONDS) * BUCKET_SECONDS))


def scheme_events_refresh(event_ids: Iterable[int], *, scheme_ids: Iterable[int] | None = None) -> dict[int, list[int]]:
    """Recount the (scheme, event) memberships of ``event_ids`` from the items; returns, per scheme,
    the events it matches (those a warning evaluation should look at).

    A (scheme, event) that no longer has a matching item (its items moved by a merge, or an
    edited expression) loses its row.
    """
    ids = sorted(set(event_ids))
    only = set(scheme_ids) if scheme_ids is not None else None
    out: dict[int, list[int]] = {}
    for i in range(0, len(ids), _CHUNK):
        part = ids[i : i + _CHUNK]
        figures: dict[tuple[int, int], list[Any]] = {}  # matched, buckets, first, last
        rows = SchemeItem.objects.filter(item__event_id__in=part)
        if only is not None:
            rows = rows.filter(scheme_id__in=only)
        for scheme_id, event_id, published in rows.values_list("scheme_id", "item__event_id", "item__published_at"):
            f = figures.setdefault((scheme_id, event_id), [0, {}, published, published])
            f[0] += 1
            key = _bucket(published)
            f[1][key] = f[1].get(key, 0) + 1
            f[2], f[3] = min(f[2], published), max(f[3], published)
        existing = SchemeEvent.objects.filter(event_id__in=part)
        if only is not None:
            existing = existing.filter(scheme_id__in=only)
        rows_by_key = {(r.scheme_id, r.event_id): r for r in existing}
        gone = [r.pk for key, r in rows_by_key.items() if key not in figures]
        if gone:
            SchemeEvent.objects.filter(pk__in=gone).delete()
        now = timezone.now()
        create, update = [], []
        for (scheme_id, event_id), (n, buckets, first, last) in figures.items():
            row = rows_by_key.get((scheme_id, event_id))
            if row is None:
                row = SchemeEvent(scheme_id=scheme_id, event_id=event_id)
                create.append(row)
            else:
                update.append(row)
            row.matched, row.buckets, row.first_seen, row.last_seen, row.updated_at = n, buckets, first, last, now
            out.setdefault(scheme_id, []).append(event_id)
        if create:
            SchemeEvent.objects.bulk_create(create, batch_size=_CHUNK)
        if update:
            from qingting.web.monitoring.services.bulk import _fast_update

            _fast_update(update, ["matched", "buckets", "first_seen", "last_seen", "updated_at"])
    return out


def scheme_events_add(pairs: Iterable[tuple[int, int]], placed: Mapping[int, tuple[int | None, datetime]]) -> set[int]:
    """Add newly matched items to their (scheme, event) figures without re-reading the events'
    other items; returns the events changed.

    ``pairs`` are ``(scheme id, item id)`` just written for items new to their event; ``placed``
    gives each item's ``(event id, published)``. What :func:`scheme_events_refresh` would compute
    for an event that only gained these items: matched + n, their buckets added, first/last seen
    widened. Call inside the engine's transaction (it holds the organisation's engine, so no
    other batch changes these rows meanwhile); events whose items moved (merges) are recounted.
    """
    figures: dict[tuple[int, int], list[Any]] = {}  # matched, buckets, first, last
    for scheme_id, item_id in pairs:
        event_id, published = placed.get(item_id, (None, None))
        if event_id is None or published is None:
            continue
        f = figures.setdefault((scheme_id, event_id), [0, {}, published, published])
        f[0] += 1
        key = _bucket(published)
        f[1][key] = f[1].get(key, 0) + 1
        f[2], f[3] = min(f[2], published), max(f[3], published)
    if not figures:
        return set()
    event_ids = sorted({e for _, e in figures})
    scheme_ids = sorted({s for s, _ in figures})
    now = timezone.now()
    create: list[SchemeEvent] = []
    update: list[SchemeEvent] = []
    existing: dict[tuple[int, int], SchemeEvent] = {}
    for i in range(0, len(event_ids), _CHUNK):
        for found in SchemeEvent.objects.filter(event_id__in=event_ids[i : i + _CHUNK], scheme_id__in=scheme_ids):
            existing[(found.scheme_id, found.event_id)] = found
    for (scheme_id, event_id), (n, buckets, first, last) in figures.items():
        row = existing.get((scheme_id, event_id))
        if row is None:
            row = SchemeEvent(scheme_id=scheme_id, event_id=event_id, matched=0, buckets={})
            row.first_seen, row.last_seen = first, last
            create.append(row)
        else:
            update.append(row)
            row.first_seen = min(row.first_seen, first) if row.first_seen else first
            row.last_seen = max(row.last_seen, last) if row.last_seen else last
        row.matched += n
        merged = dict(row.buckets or {})
        for key, k in buckets.items():
            merged[key] = merged.get(key, 0) + k
        row.buckets, row.updated_at = merged, now
    if create:
        SchemeEvent.objects.bulk_create(create, batch_size=_CHUNK)
    if update:
        from qingting.web.monitoring.services.bulk import _fast_update

        _fast_update(update, ["matched", "buckets", "first_seen", "last_seen", "updated_at"])
    return set(event_ids)


def schemes_matching(event_ids: Iterable[int]) -> dict[int, list[int]]:
    """Per scheme, which of ``event_ids`` it matches (its ``SchemeEvent`` rows)."""
    ids = sorted(set(event_ids))
    out: dict[int, list[int]] = {}
    for i in range(0, len(ids), _CHUNK):
        for scheme_id, event_id in SchemeEvent.objects.filter(event_id__in=ids[i : i + _CHUNK]).values_list(
            "scheme_id", "event_id"
        ):
            out.setdefault(scheme_id, []).append(event_id)
    return out


# --- applying a scheme to stored items ----------------------------------------------------------


def scheme_backfill_queue(scheme: Scheme) -> None:
    """Queue ``scheme`` to be applied to stored items (inside the caller's transaction)."""
    scheme.backfill_status = BackfillStatus.QUEUED
    scheme.backfill_done = scheme.backfill_total = scheme.backfill_cursor = 0
    scheme.backfill_error = ""
    scheme.backfill_finished_at = None
    Scheme.objects.filter(pk=scheme.pk).update(
        backfill_status=BackfillStatus.QUEUED,
        backfill_done=0,
        backfill_total=0,
        backfill_cursor=0,
        backfill_error="",
        backfill_finished_at=None,
    )


MAX_PREFILTER_TERMS = 64  # beyond this many terms the database condition costs more than it saves


def _prefilter(node: Any, function: str) -> tuple[str, list[str]] | None:
    """A condition on the stored matching form that every item ``node`` matches satisfies, or
    ``None`` when there is none to state (``NOT x``, ``*``, fields alone).

    A term needs its folded text as a substring (``instr``/``strpos``, in C, no Python per row);
    ``AND`` needs its conditions, ``OR`` all of its branches', ``NEAR`` both sides'. Only
    necessary, not sufficient: word boundaries, ``NEAR`` distances, ``NOT`` and fields are
    checked by the matcher on the candidates.
    """
    from qingting.core.rules.expression import And, Near, Or, Term

    if isinstance(node, Term):
        return f"{function}({_FOLDED}, %s) > 0", [node.text]
    if isinstance(node, Near):
        node = And((node.left, node.right))
    if not isinstance(node, And | Or):
        return None
    found = [_prefilter(c, function) for c in node.children]
    parts = [p for p in found if p is not None]
    if not parts or (isinstance(node, Or) and len(parts) < len(found)):  # one branch without: none
        return None
    joiner = " AND " if isinstance(node, And) else " OR "
    return joiner.join(f"({sql})" for sql, _ in parts), [v for _, params in parts for v in params]


_FOLDED = "monitoring_item.folded"


def _candidates(
    source_ids: Sequence[int], since: datetime, after: int, matcher: Any, budget: int
) -> tuple[int, int, list[dict[str, Any]]]:
    """The next ``budget`` placed items of ``source_ids`` published since ``since`` with an id above
    ``after``, in id order: how many, the last id, and those the expression may match, as rows for
    :func:`_matching`.

    The database evaluates the expression's necessary terms on the stored matching form, so only
    candidates' text is read into Python; items not folded yet are always candidates. The scan
    walks the primary key (SQLite is told ``NOT INDEXED``: with the (source, published) index it
    sorted every remaining item of the window again at each step).
    """
    if not source_ids:
        return 0, 0, []
    function = "strpos" if connection.vendor == "postgresql" else "instr"
    cond = _prefilter(matcher.tree, function) if matcher is not None else None
    if cond is not None and len(cond[1]) > MAX_PREFILTER_TERMS:
        cond = None
    sql, params = cond if cond is not None else ("1 = 1", [])
    table = "monitoring_item" + (" NOT INDEXED" if connection.vendor == "sqlite" else "")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, source_id, region, CASE WHEN {_FOLDED} IS NULL OR ({sql}) THEN 1 ELSE 0 END,"
            f" CASE WHEN {sql} THEN {_FOLDED} END, CASE WHEN {_FOLDED} IS NULL THEN title END,"
            f" CASE WHEN {_FOLDED} IS NULL THEN text END"
            f" FROM {table} WHERE id > %s AND source_id IN ({', '.join(['%s'] * len(source_ids))})"
            " AND pending = %s AND published_at >= %s ORDER BY id LIMIT %s",
            [
                *params,
                *params,
                after,
                *source_ids,
                False,
                connection.ops.adapt_datetimefield_value(since),
                budget,
            ],
        )
        rows = cursor.fetchall()
    if not rows:
        return 0, 0, []
    found = [
        {"pk": pk, "source_id": source_id, "region": region, "folded": folded, "title": title, "text": text}
        for pk, source_id, region, candidate, folded, title, text in rows
        if candidate
    ]
    return len(rows), rows[-1][0], found


def _window_items(scheme: Scheme, since: datetime) -> Any:
    return Item.objects.filter(
        source_id__in=sorted(scheme_source_ids([scheme.pk])[scheme.pk]), pending=False, published_at__gte=since
    )


def scheme_backfill_step(scheme_id: int, *, budget: int = 50_000, now: datetime | None = None) -> bool:
    """Apply a queued scheme to up to ``budget`` more stored items, in one transaction; ``True``
    when the scheme is up to date (nothing queued, or this step finished it).

    The first step forgets the scheme's old matches (its expression or sources may have
    changed); the last recounts its events and sends ``scheme_backfilled`` after commit (the
    warnings app then assesses them as history: marked as backfill, not announced).
    """
    now = now or timezone.now()
    since = now - timedelta(days=backfill_days())
    with transaction.atomic():
        scheme = Scheme.objects.select_for_update().filter(pk=scheme_id).first()
        if scheme is None or scheme.backfill_status not in (BackfillStatus.QUEUED, BackfillStatus.RUNNING):
            return True
        if scheme.backfill_status == BackfillStatus.QUEUED:
            SchemeItem.objects.filter(scheme_id=scheme.pk).delete()
            scheme.backfill_status = BackfillStatus.RUNNING
            scheme.backfill_total = _window_items(scheme, since).count()
            scheme.backfill_done = scheme.backfill_cursor = 0
            scheme.backfill_started_at = now
        views = _views(organisation_id(scheme.unit), [scheme.pk]) if scheme.is_active else []
        scanned, last, rows = _candidates(
            sorted(scheme_source_ids([scheme.pk])[scheme.pk]),
            since,
            scheme.backfill_cursor,
            views[0].matcher if views else None,
            budget,
        )
        if views and rows:
            _insert_pairs(_matching(views, rows, _source_names(r["source_id"] for r in rows)))
        if scanned:
            scheme.backfill_cursor = last
            scheme.backfill_done += scanned
        finished = scanned < budget
        if finished:
            SchemeEvent.objects.filter(scheme_id=scheme.pk).delete()
            event_ids = set(
                Item.objects.filter(scheme_matches__scheme_id=scheme.pk, event__isnull=False)
                .values_list("event_id", flat=True)
                .distinct()
            )
            scheme_events_refresh(event_ids, scheme_ids=[scheme.pk])
            scheme.backfill_status = BackfillStatus.IDLE
            scheme.backfill_finished_at = timezone.now()
            scheme.backfill_total = max(scheme.backfill_total, scheme.backfill_done)
            pk = scheme.pk
            transaction.on_commit(lambda: scheme_backfilled.send_robust(sender=Scheme, scheme_id=pk, now=now))
        scheme.save(
            update_fields=[
                "backfill_status",
                "backfill_total",
                "backfill_done",
                "backfill_cursor",
                "backfill_started_at",
                "backfill_finished_at",
            ]
        )
    return finished


def scheme_backfill(*, scheme: Scheme, budget: int = 50_000, now: datetime | None = None) -> None:
    """Apply ``scheme`` to stored items now, to the end (tests, the CLI, the benchmark)."""
    while not scheme_backfill_step(scheme.pk, budget=budget, now=now):
        pass


def scheme_backfill_run(now: datetime | None = None, *, seconds: float = 20.0) -> int:
    """The periodic job ``monitoring.scheme_backfill``: advance queued backfills for up to
    ``seconds``; returns how many schemes finished. A failure is recorded on the scheme."""
    started = time.monotonic()
    finished = 0
    for scheme_id in Scheme.objects.filter(
        backfill_status__in=[BackfillStatus.QUEUED, BackfillStatus.RUNNING]
    ).values_list("pk", flat=True):
        try:
            while True:
                if scheme_backfill_step(scheme_id, now=now):
                    finished += 1
                    break
                if time.monotonic() - started > seconds:
                    return finished
        except Exception as exc:
            log.exception("scheme %s: backfill failed", scheme_id)
            Scheme.objects.filter(pk=scheme_id).update(
                backfill_status=BackfillStatus.FAILED, backfill_error=str(exc)[:500]
            )
    return finished


def on_sources_changed(sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **_: Any) -> None:
    """A scheme's sources or followed units changed (``m2m_changed``): apply it to stored items again."""
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    by_units = sender is Scheme.units.through
    if reverse:  # source.schemes.add(...) / unit.followed_by_schemes.add(...): ``pk_set`` the schemes
        stored = _has_stored_under(instance.path) if by_units else _has_stored(instance.pk)
        if action != "post_add" or stored:
            for scheme in Scheme.objects.filter(pk__in=list(pk_set or ())):
                scheme_backfill_queue(scheme)
        return
    if not isinstance(instance, Scheme):
        return
    # A source (or a unit) with nothing stored yet adds nothing to apply the scheme to.
    if action != "post_add":
        scheme_backfill_queue(instance)
    elif by_units:
        paths = Unit.objects.filter(pk__in=list(pk_set or ())).values_list("path", flat=True)
        if any(_has_stored_under(path) for path in paths):
            scheme_backfill_queue(instance)
    elif _has_stored(*(pk_set or ())):
        scheme_backfill_queue(instance)


def _has_stored_under(path: str) -> bool:
    return Item.objects.filter(source__unit__path__startswith=path, pending=False).exists()


def _has_stored(*source_ids: int) -> bool:
    return Item.objects.filter(source_id__in=list(source_ids), pending=False).exists()


def scheme_backfill_queue_if_needed(scheme: Scheme) -> None:
    """Queue a new scheme's backfill when its sources already hold placed items."""
    if _has_stored(*scheme_source_ids([scheme.pk])[scheme.pk]):
        scheme_backfill_queue(scheme)
