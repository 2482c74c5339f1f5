"""Web-layer measurements: persisting ingestion throughput and page server times.

Run one at a time (the machine is shared)::

    python -m qingting.web.benchmark ingest --items 20000 --batch 1000 [--engine core|none]
    python -m qingting.web.benchmark pages --items 1000000 [--repeat 20]

Each run uses a fresh data directory under /tmp (or ``--data-dir``), embedded mode (SQLite WAL),
and prints its figures with the settings and the command. ``--engine none`` replaces the engine by
one that assigns nothing, isolating what the web layer itself costs.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any


class _NullEngine:
    """Assigns every item to no event: persistence cost without the engine's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.n_ = 0

    def partial_fit(self, batch: Iterable[Any]) -> Any:
        from qingting.core.types import Assignment, BatchResult, SentimentLabel

        out = tuple(
            Assignment(it.id, None, None, None, 0.0, "zh", 0.5, SentimentLabel.NEUTRAL, it.time or 0.0) for it in batch
        )
        self.n_ += len(out)
        return BatchResult(out, ())

    def snapshot(self) -> bytes:
        return str(self.n_).encode()

    @classmethod
    def restore(cls, blob: bytes) -> _NullEngine:
        engine = cls()
        engine.n_ = int(blob.decode() or 0)
        return engine


def _setup_django(data_dir: str | None) -> str:
    directory = data_dir or tempfile.mkdtemp(prefix="qingting-bench-")
    os.environ["QINGTING_DATA_DIR"] = directory
    os.environ["DJANGO_SETTINGS_MODULE"] = "qingting.web.config.settings.embedded"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    return directory


def _org() -> tuple[Any, Any, Any]:
    from qingting.web.accounts import services as accounts
    from qingting.web.accounts.models import Role, UnitKind
    from qingting.web.monitoring import services

    office = accounts.unit_create(actor=None, code="bench", name="基准测试单位", kind=UnitKind.OFFICE)
    user = accounts.user_create(actor=None, username="bench_analyst", password="Bench-password-2026")
    accounts.membership_grant(actor=None, user=user, unit=office, role=Role.ANALYST)
    source = services.source_create(actor=None, unit=office, name="基准来源", kind="social")
    scheme = services.scheme_create(actor=None, unit=office, name="基准方案", sources=[source])
    return user, source, scheme


def _records(n: int) -> list[dict[str, Any]]:
    from qingting.demo import generate

    base = generate(seed=7, scale=min(100.0, max(0.05, n / 4400 * 1.05)))
    out = []
    for i in range(n):
        r = dict(base[i % len(base)])
        r["id"] = f"{r['id']}-{i // len(base)}"
        out.append(r)
    return out


def ingest(args: argparse.Namespace) -> None:
    directory = _setup_django(args.data_dir)
    from qingting.web.monitoring import services

    if args.engine == "none":
        import qingting.core as core_pkg

        module = type(sys)("qingting.core.pipeline")
        module.Pipeline = _NullEngine  # type: ignore[attr-defined]
        module.PipelineConfig = lambda: None  # type: ignore[attr-defined]
        sys.modules["qingting.core.pipeline"] = module
        core_pkg.pipeline = module  # type: ignore[attr-defined]
    _, source, scheme = _org()
    records = _records(args.items)
    start = time.perf_counter()
    created = 0
    for i in range(0, len(records), args.batch):
        created += services.ingest_items(scheme=scheme, source=source, records=records[i : i + args.batch]).created
    elapsed = time.perf_counter() - start
    again = time.perf_counter()
    skipped = services.ingest_items(scheme=scheme, source=source, records=records[: args.batch]).skipped
    rerun = time.perf_counter() - again
    print(f"command   python -m qingting.web.benchmark {' '.join(sys.argv[1:])}")
    print(f"data      qingting.demo.generate(seed=7) repeated to {args.items} items; db {directory}")
    print(f"settings  embedded (SQLite WAL, synchronous=NORMAL), batch={args.batch}, engine={args.engine}")
    print(f"stored    {created} items in {elapsed:.1f} s = {created / elapsed:,.0f} items/s")
    print(f"re-run    one batch of {args.batch} already stored: {skipped} skipped in {rerun * 1000:.0f} ms")


def _seed_direct(n: int, source: Any, scheme: Any) -> None:
    """Insert ``n`` items and their events straight into the tables (no engine), with FTS rows."""
    from django.db import connection, transaction

    from qingting.web.monitoring import search
    from qingting.web.monitoring.models import Event, Item

    rng = random.Random(0)
    base = _records(min(n, 20000))
    tokens = [search.index_body(r.get("title") or "", r["text"], r.get("lang")) for r in base]
    end = datetime.now(tz=UTC)
    n_events = max(1, n // 200)
    with transaction.atomic():
        Event.objects.bulk_create(
            [
                Event(
                    scheme=scheme,
                    engine_event_id=k,
                    title=base[k % len(base)]["text"][:40],
                    keywords=["基准"],
                    first_seen=end - timedelta(days=30 * rng.random() + 1),
                    last_seen=end - timedelta(days=30 * rng.random()),
                    item_count=200,
                    heat=rng.random() * 100,
                    burst_z=rng.gauss(0, 2),
                    trend=rng.choice(["new", "rising", "peak", "declining", "dormant"]),
                    sentiment=rng.random(),
                    negative_share=rng.random(),
                )
                for k in range(n_events)
            ],
            batch_size=2000,
        )
    event_ids = list(Event.objects.values_list("pk", flat=True))
    labels = ["negative", "neutral", "positive"]
    units = [int(u) for u in source.unit.path.strip("/").split("/")]
    facets = {
        label: " ".join(
            search.facet_tokens(unit_ids=units, source_id=source.pk, source_kind=source.kind, sentiment=label)
        )
        for label in labels
    }
    regions = ["柳湾镇", "石桥乡", "城关镇", "白鹭镇", "荷塘乡", ""]
    step = 20000
    for offset in range(0, n, step):
        with transaction.atomic():
            items = []
            for i in range(offset, min(n, offset + step)):
                r = base[i % len(base)]
                items.append(
                    Item(
                        source=source,
                        external_id=f"seed-{i}",
                        title=r.get("title") or "",
                        text=r["text"],
                        lang="zh",
                        published_at=end - timedelta(seconds=rng.random() * 30 * 86400),
                        region=rng.choice(regions),
                        scheme=scheme,
                        event_id=event_ids[i % len(event_ids)],
                        sentiment=rng.random(),
                        sentiment_label=rng.choice(labels),
                    )
                )
            Item.objects.bulk_create(items, batch_size=2000)
            with connection.cursor() as cursor:
                # The same body ingestion writes: words, then facet tokens (units, source, kind, mood).
                cursor.executemany(
                    "INSERT INTO monitoring_item_fts(rowid, body) VALUES (%s, %s)",
                    [
                        (it.pk, f"{tokens[int(it.external_id[5:]) % len(tokens)]} {facets[it.sentiment_label]}")
                        for it in items
                    ],
                )
        print(f"  seeded {min(n, offset + step):,} items", file=sys.stderr, end="\r")
    from qingting.web.monitoring.services import daily_counts_rebuild

    daily_counts_rebuild()  # the seeding bypassed ingestion, which keeps these up to date
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(file=sys.stderr)


def pages(args: argparse.Namespace) -> None:
    directory = _setup_django(args.data_dir)
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    user, source, scheme = _org()
    t0 = time.perf_counter()
    _seed_direct(args.items, source, scheme)
    seeded = time.perf_counter() - t0
    client = Client()
    client.force_login(user)
    event_id = scheme.events.order_by("-heat").values_list("pk", flat=True).first()
    urls = {
        "dashboard": "/",
        "event board (heat)": "/events/",
        "event board (recent, negative, page 3)": "/events/?sort=recent&sentiment=negative&page=3",
        "event page": f"/events/{event_id}/",
        "search 停水": "/search/?q=停水",
        "search 学校 招生 (2 terms)": "/search/?q=学校招生",
        "API items ?q=施工": "/api/items?q=施工&limit=50",
    }
    print(f"command   python -m qingting.web.benchmark {' '.join(sys.argv[1:])}")
    print(
        f"data      {args.items:,} items ({args.items // 200:,} events) seeded directly in {seeded:.0f} s;"
        f" db {directory}"
    )
    print(
        f"settings  embedded (SQLite {connection.Database.sqlite_version}, WAL), Django test client,"
        f" repeat={args.repeat}"
    )
    print(f"{'page':<42} {'median ms':>10} {'p95 ms':>8}")
    for name, url in urls.items():
        times = []
        for _ in range(args.repeat + 1):
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
        times = times[1:]  # the first request warms caches
        p95 = sorted(times)[max(0, round(0.95 * len(times)) - 1)]
        print(f"{name:<42} {statistics.median(times):>10.0f} {p95:>8.0f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m qingting.web.benchmark", description=__doc__)
    sub = parser.add_subparsers(dest="what", required=True)
    p_ingest = sub.add_parser("ingest", help="persisting ingestion throughput")
    p_ingest.add_argument("--items", type=int, default=20000)
    p_ingest.add_argument("--batch", type=int, default=1000)
    p_ingest.add_argument("--engine", choices=["core", "none"], default="core")
    p_pages = sub.add_parser("pages", help="server time of the dashboard, event board, event page and search")
    p_pages.add_argument("--items", type=int, default=100000)
    p_pages.add_argument("--repeat", type=int, default=20)
    for p in (p_ingest, p_pages):
        p.add_argument("--data-dir", default=None, help="default: a new directory under /tmp")
    args = parser.parse_args(argv)
    {"ingest": ingest, "pages": pages}[args.what](args)


if __name__ == "__main__":
    main()
