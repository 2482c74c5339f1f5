"""Schemes as saved views (decision 0061): what ten schemes cost against one, and a backfill.

    python bench/bench_schemes.py views --items 20000 --schemes 10
    python bench/bench_schemes.py backfill --items 1000000

``views`` ingests the same demo stream (store, then the organisation's engine catches up) into a
fresh embedded (SQLite) database twice, each in its own process: with one scheme following the
sources, and with ``--schemes`` schemes (different expressions) following the same sources. It
prints the time and the peak resident memory of each and their ratios (same machine, same run).

``backfill`` seeds ``--items`` placed items straight into a fresh SQLite database, then creates a
scheme with an expression over their sources and times ``membership.scheme_backfill`` (what the
periodic job ``monitoring.scheme_backfill`` runs), printing items per second.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from typing import Any

EXPRESSIONS = [
    "",
    "停水 OR 断水",
    "学区 OR 招生",
    "施工 OR 噪音",
    "荷花",
    "食品 OR 谣言",
    "柳湾镇",
    "NOT 转发",
    "水务局",
    "投诉",
]


def _django(data_dir: str) -> None:
    os.environ["QINGTING_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "qingting.web.config.settings.embedded"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _org() -> tuple[Any, list[Any]]:
    from qingting.web.accounts import services as accounts
    from qingting.web.monitoring import services

    office = accounts.unit_create(actor=None, code="bench", name="基准县", kind="office")
    kinds = ["social", "news", "forum", "mailbox"]
    return office, [services.source_create(actor=None, unit=office, name=f"来源{k}", kind=k) for k in kinds]


def _records(n: int) -> list[dict[str, Any]]:
    from datetime import UTC, datetime, timedelta

    from qingting.demo import generate

    out: list[dict[str, Any]] = []
    rep = 0
    while len(out) < n:
        start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=14 * rep)  # each repeat later than the last
        for r in generate(seed=7, start=start, days=14, scale=1.0):
            out.append({**r, "id": f"{rep}-{r['id']}"})
            if len(out) >= n:
                break
        rep += 1
    return out


def run_views(args: argparse.Namespace) -> dict[str, Any]:
    """One measured process: store the stream, then catch up, with ``args.schemes`` schemes."""
    _django(tempfile.mkdtemp(prefix="qt-bench-schemes-"))
    from qingting.web.monitoring import membership, services

    office, sources = _org()
    for k in range(args.schemes):
        scheme = services.scheme_create(
            actor=None, unit=office, name=f"方案{k}", expression=EXPRESSIONS[k % len(EXPRESSIONS)], sources=sources
        )
        membership.scheme_backfill(scheme=scheme)
    records = _records(args.items)
    by_source: dict[int, list[dict[str, Any]]] = {}
    for i, r in enumerate(records):
        by_source.setdefault(i % len(sources), []).append(r)
    start = time.perf_counter()
    for k, source in enumerate(sources):
        part = by_source.get(k, [])
        for i in range(0, len(part), args.batch):
            services.store_items(source=source, records=part[i : i + args.batch])
    caught = services.pipeline_catch_up(organisation=office, batch=args.batch)
    seconds = time.perf_counter() - start
    from qingting.web.monitoring.models import SchemeItem

    return {
        "schemes": args.schemes,
        "items": caught.items,
        "seconds": seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "memberships": SchemeItem.objects.count(),
    }


def views(args: argparse.Namespace) -> None:
    results = []
    for schemes in (1, args.schemes):
        cmd = [sys.executable, __file__, "_one", "--items", str(args.items), "--schemes", str(schemes)]
        cmd += ["--batch", str(args.batch)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    one, many = results
    print(f"command   python bench/bench_schemes.py views --items {args.items} --schemes {args.schemes}")
    print(f"settings  embedded (SQLite WAL), store_items batches of {args.batch}, then pipeline_catch_up")
    for r in results:
        print(
            f"{r['schemes']:>2} scheme(s): {r['items']} items in {r['seconds']:.1f} s,"
            f" peak RSS {r['peak_rss_mb']:.0f} MB, {r['memberships']} memberships"
        )
    print(
        f"ratio     time {many['seconds'] / one['seconds']:.2f}x, peak memory"
        f" {many['peak_rss_mb'] / one['peak_rss_mb']:.2f}x ({args.schemes} schemes vs 1)"
    )


def backfill(args: argparse.Namespace) -> None:
    _django(tempfile.mkdtemp(prefix="qt-bench-backfill-"))
    from datetime import timedelta

    from django.db import connection, transaction
    from django.utils import timezone

    from qingting.web.monitoring import membership, services
    from qingting.web.monitoring.models import Event, SchemeEvent

    office, sources = _org()
    base = _records(20000)
    now = timezone.now()
    events = Event.objects.bulk_create(
        [
            Event(organisation=office, engine_event_id=k, title=f"事件{k}", first_seen=now, last_seen=now)
            for k in range(max(1, args.items // 200))
        ]
    )
    seeded = time.perf_counter()
    cols = "source_id, external_id, url, title, text, lang, published_at, collected_at, author_pseudonym, "
    cols += "engagement, region, pending, event_id, duplicate_kind, parent, sentiment_label"
    sql = f"INSERT INTO monitoring_item ({cols}) VALUES ({', '.join(['%s'] * 16)})"
    step = 50000
    for lo in range(0, args.items, step):
        rows = []
        for i in range(lo, min(args.items, lo + step)):
            r = base[i % len(base)]
            t = now - timedelta(seconds=(i * 37) % (30 * 86400))
            rows.append((
                sources[i % len(sources)].pk, f"s{i}", "", r.get("title") or "", r["text"], "zh", t, now, "", 0,
                r.get("region") or "", False, events[i % len(events)].pk, "", "", "neutral",
            ))  # fmt: skip
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, rows)
        print(f"  seeded {min(args.items, lo + step):,} items", file=sys.stderr, end="\r")
    print(f"\nseeded in {time.perf_counter() - seeded:.0f} s", file=sys.stderr)
    scheme = services.scheme_create(
        actor=None, unit=office, name="后建方案", expression="停水 OR 断水", sources=sources
    )
    start = time.perf_counter()
    membership.scheme_backfill(scheme=scheme)
    seconds = time.perf_counter() - start
    scheme.refresh_from_db()
    matched = sum(SchemeEvent.objects.filter(scheme=scheme).values_list("matched", flat=True))
    print(f"command   python bench/bench_schemes.py backfill --items {args.items}")
    print("settings  embedded (SQLite WAL), expression 停水 OR 断水 over 4 sources, steps of 50,000 items")
    print(
        f"backfill  {scheme.backfill_done:,} stored items in {seconds:.1f} s = {scheme.backfill_done / seconds:,.0f}"
        f" items/s; {matched:,} matched in {SchemeEvent.objects.filter(scheme=scheme).count():,} events"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name in ("views", "_one"):
        p = sub.add_parser(name)
        p.add_argument("--items", type=int, default=20000)
        p.add_argument("--schemes", type=int, default=10)
        p.add_argument("--batch", type=int, default=2000)
    p = sub.add_parser("backfill")
    p.add_argument("--items", type=int, default=1_000_000)
    args = parser.parse_args()
    if args.cmd == "_one":
        print(json.dumps(run_views(args)))
    elif args.cmd == "views":
        views(args)
    else:
        backfill(args)


if __name__ == "__main__":
    main()
