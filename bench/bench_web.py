"""Web-layer measurements: ingestion throughput and page server times.

Run one at a time (the machine is shared)::

    .venv/bin/python bench/bench_web.py ingest --items 20000 --batch 1000 [--engine core|none]
    .venv/bin/python bench/bench_web.py import --items 100000 --batch 2000
    .venv/bin/python bench/bench_web.py pages --items 1000000 [--repeat 20]
    .venv/bin/python bench/bench_web.py server-ingest --items 50000 --workers 2 \
        --database-url postgres://postgres@127.0.0.1:5432/qt_platform_ingest --broker-url redis://127.0.0.1:6379/5
    .venv/bin/python bench/bench_web.py server-split --items 10000 --batch 1000 \
        --database-url postgres://postgres@127.0.0.1:5432/qt_platform_split
    .venv/bin/python bench/bench_web.py pages --items 10000000 \
        --database-url postgres://postgres@127.0.0.1:5432/qt_platform

Each run uses a fresh data directory under /tmp (or ``--data-dir``) and embedded mode (SQLite WAL),
or server mode on PostgreSQL with ``--database-url`` — that database is DROPPED AND RE-CREATED
first. Every run prints its figures with the settings and the command. ``--engine none`` replaces
the engine by one that assigns nothing, isolating what the web layer itself costs.
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


def _recreate_database(url: str) -> None:
    """Drop and create the database named in ``url`` (server-mode runs start from nothing)."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    name = urlsplit(url).path.lstrip("/")
    if not name or not name.replace("_", "").isalnum():
        raise SystemExit(f"--database-url must name a plain database, got {name!r}")
    admin_url = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            _refuse_unless_ours(url, name)
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(f"CREATE TABLE {BENCH_MARKER} (created_at timestamptz DEFAULT now())")


BENCH_MARKER = "qingting_bench_marker"
"""A table every database this benchmark creates holds: the only databases it will drop again."""


def _refuse_unless_ours(url: str, name: str, *, empty_ok: bool = True) -> None:
    """Refuse to drop (or reuse) a database with tables that this benchmark did not create (an installation)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        tables = {r[0] for r in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()}
    if (tables or not empty_ok) and BENCH_MARKER not in tables:
        raise SystemExit(
            f"database {name!r} holds {len(tables)} tables and was not created by this benchmark: "
            "refusing to drop it; name a new database (it is created) or one a benchmark run made"
        )


def _setup_django(data_dir: str | None, database_url: str | None = None, *, reuse: bool = False) -> str:
    """Settings for the run; a PostgreSQL database is made afresh, or with ``reuse`` kept as an
    earlier run of this benchmark left it (then only migrated)."""
    directory = data_dir or tempfile.mkdtemp(prefix="qingting-bench-")
    os.environ["QINGTING_DATA_DIR"] = directory
    if database_url:
        if reuse:
            _refuse_unless_ours(database_url, database_url.rsplit("/", 1)[-1], empty_ok=False)
        else:
            _recreate_database(database_url)
        os.environ["QINGTING_DATABASE_URL"] = database_url
        os.environ["DJANGO_SETTINGS_MODULE"] = "qingting.web.config.settings.server"
        directory = database_url.rsplit("@", 1)[-1]
    else:
        os.environ.pop("QINGTING_DATABASE_URL", None)
        os.environ["DJANGO_SETTINGS_MODULE"] = "qingting.web.config.settings.embedded"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    return directory


def _mode() -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        return f"server (PostgreSQL {connection.cursor().connection.info.server_version})"
    return f"embedded (SQLite {connection.Database.sqlite_version} WAL, synchronous=NORMAL)"  # type: ignore[attr-defined]


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
    directory = _setup_django(args.data_dir, args.database_url)
    from qingting.web.monitoring import services

    if args.engine == "none":
        import qingting.core as core_pkg

        module = type(sys)("qingting.core.pipeline")
        module.Pipeline = _NullEngine  # type: ignore[attr-defined]
        module.PipelineConfig = lambda: None  # type: ignore[attr-defined]
        sys.modules["qingting.core.pipeline"] = module
        core_pkg.pipeline = module
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
    print(f"command   .venv/bin/python bench/bench_web.py {' '.join(sys.argv[1:])}")
    print(f"data      qingting.demo.generate(seed=7) repeated to {args.items} items; db {directory}")
    print(f"settings  {_mode()}, batch={args.batch}, engine={args.engine}")
    print(f"stored    {created} items in {elapsed:.1f} s = {created / elapsed:,.0f} items/s")
    print(f"re-run    one batch of {args.batch} already stored: {skipped} skipped in {rerun * 1000:.0f} ms")


def bulk_import(args: argparse.Namespace) -> None:
    """The bulk path: ``store_items`` (no engine) in batches, then the engine catches up."""
    directory = _setup_django(args.data_dir, args.database_url)
    from qingting.web.monitoring import services

    _, source, scheme = _org()
    records = _records(args.items)
    start = time.perf_counter()
    created = 0
    for i in range(0, len(records), args.batch):
        created += services.store_items(source=source, records=records[i : i + args.batch]).created
    stored = time.perf_counter() - start
    again = time.perf_counter()
    caught = services.pipeline_catch_up(scheme=scheme, batch=args.engine_batch)
    analysed = time.perf_counter() - again
    print(f"command   .venv/bin/python bench/bench_web.py {' '.join(sys.argv[1:])}")
    print(f"data      qingting.demo.generate(seed=7) repeated to {args.items} items; db {directory}")
    print(f"settings  {_mode()}, store batch={args.batch}, engine batch={args.engine_batch}")
    print(f"stored    {created} items in {stored:.1f} s = {created / stored:,.0f} items/s (store_items, no engine)")
    print(
        f"analysed  {caught.items} items in {analysed:.1f} s = {caught.items / analysed:,.0f} items/s"
        f" (pipeline_catch_up: engine, events, index, counts)"
    )
    print(f"end to end {created / (stored + analysed):,.0f} items/s")


def server_ingest(args: argparse.Namespace) -> None:
    """Two (or ``--workers``) real Celery workers ingesting batches from Redis into PostgreSQL."""
    import subprocess

    if not args.database_url or not args.broker_url:
        raise SystemExit("server-ingest needs --database-url (PostgreSQL) and --broker-url (Redis)")
    queue = f"qingting-bench-{os.getpid()}"
    os.environ["QINGTING_BROKER_URL"] = args.broker_url
    os.environ["QINGTING_QUEUE"] = queue
    directory = _setup_django(args.data_dir, args.database_url)
    from django.db import connection

    from qingting.web.monitoring import services
    from qingting.web.monitoring.models import Item
    from qingting.workers.tasks import ingest_batch

    _, source, scheme = _org()
    schemes = [scheme]
    for k in range(1, args.schemes):
        schemes.append(services.scheme_create(actor=None, unit=source.unit, name=f"基准方案{k}", sources=[source]))
    records = _records(args.items)
    batches = [records[i : i + args.batch] for i in range(0, len(records), args.batch)]
    qingting = os.path.join(os.path.dirname(sys.executable), "qingting")
    env = dict(os.environ)
    workers = [
        subprocess.Popen(
            [qingting, "worker", "--concurrency", "1", "--loglevel", "WARNING"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(args.workers)
    ]
    try:
        time.sleep(5)  # let the workers connect before the clock starts
        if any(w.poll() is not None for w in workers):
            raise SystemExit(
                "a worker did not start: " + "".join((w.stderr.read() if w.stderr else "") for w in workers)
            )
        cpu_before = sum(_tree_cpu(w.pid) for w in workers)
        start = time.perf_counter()
        for batch in batches:
            ingest_batch.delay(scheme.pk, source.pk, batch)
        queued = time.perf_counter() - start
        stored_at = analysed_at = None
        while analysed_at is None:
            time.sleep(0.2)
            if any(w.poll() is not None for w in workers):
                raise SystemExit("a worker died during the run")
            if stored_at is None and Item.objects.count() >= args.items:
                stored_at = time.perf_counter() - start
            if stored_at is not None and not Item.objects.filter(pending=True).exists():
                analysed_at = time.perf_counter() - start
            connection.close()
        workers_cpu = sum(_tree_cpu(w.pid) for w in workers) - cpu_before
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(timeout=120)
    n = Item.objects.count()
    placed = Item.objects.filter(pending=False).count()
    print(f"command   .venv/bin/python bench/bench_web.py {' '.join(sys.argv[1:])}")
    print(f"data      qingting.demo.generate(seed=7) repeated to {args.items} items; db {directory}")
    print(
        f"settings  {_mode()}, Celery over Redis, {args.workers} workers x concurrency 1,"
        f" batch={args.batch}, {args.schemes} scheme(s) following the source"
    )
    assert stored_at is not None and analysed_at is not None
    print(f"queued    {len(batches)} batches in {queued:.1f} s")
    print(f"stored    {n} items in {stored_at:.1f} s = {n / stored_at:,.0f} items/s (committed, engine work queued)")
    print(
        f"analysed  {placed} placements in {analysed_at:.1f} s = {n / analysed_at:,.0f} items/s"
        f" (the organisation's engine done, nothing pending)"
    )
    load = os.getloadavg()
    print(
        f"CPU       the workers' processes {workers_cpu:.1f} s over the {analysed_at:.1f} s (PostgreSQL's and Redis's"
        f" not counted); load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} (1, 5, 15 min) at the end"
    )


SPLIT_PARTS = {
    "qingting.web.monitoring.services.engine": (
        "_index", "_count_daily", "_update_rows", "_persist_events", "_follow_merges", "_resolve_keys",
    ),
    "qingting.web.monitoring.membership": (
        "match_items", "scheme_events_add", "scheme_events_refresh", "schemes_matching",
    ),
    "qingting.web.warnings.services": ("warnings_evaluate",),
}  # fmt: skip


def server_split(args: argparse.Namespace) -> None:
    """The worker's engine path in this process, part by part: CPU of this process and of its
    PostgreSQL backend, and wall time (store ``--items``, then ``pipeline_catch_up`` in batches of
    ``--batch``, warnings evaluated after each batch's commit as in a worker)."""
    import collections
    import functools
    import importlib

    if not args.database_url:
        raise SystemExit("server-split needs --database-url (PostgreSQL)")
    _setup_django(args.data_dir, args.database_url)
    from django.db import connection

    import qingting.core.pipeline as core_pipeline
    from qingting.web.monitoring import services

    _, source, scheme = _org()
    records = _records(args.items)
    for i in range(0, len(records), args.batch):
        services.store_items(source=source, records=records[i : i + args.batch], schemes=[scheme])
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    parts: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0, 0.0])

    def timed(owner: Any, name: str, label: str) -> None:
        f = getattr(owner, name)

        @functools.wraps(f)
        def wrapper(*a: Any, **k: Any) -> Any:
            c0, b0, t0 = time.process_time(), _tree_cpu(backend), time.perf_counter()
            try:
                return f(*a, **k)
            finally:
                row = parts[label]
                row[0] += time.process_time() - c0
                row[1] += _tree_cpu(backend) - b0
                row[2] += time.perf_counter() - t0

        setattr(owner, name, wrapper)

    for module, names in SPLIT_PARTS.items():
        for name in names:
            timed(importlib.import_module(module), name, name)
    timed(core_pipeline.Pipeline, "partial_fit", "engine (Pipeline.partial_fit)")
    engine = importlib.import_module("qingting.web.monitoring.services.engine")
    timed(engine, "_catch_up_batch", "the engine's transaction, all")
    c0, b0, t0 = time.process_time(), _tree_cpu(backend), time.perf_counter()
    caught = services.pipeline_catch_up(scheme=scheme, batch=args.batch)
    cpu, db, wall = time.process_time() - c0, _tree_cpu(backend) - b0, time.perf_counter() - t0
    load = os.getloadavg()
    print(f"command   .venv/bin/python bench/bench_web.py {' '.join(sys.argv[1:])}")
    print(f"settings  {_mode()}, one process, store then pipeline_catch_up batch={args.batch}; load {load[0]:.1f}")
    print(
        f"catch-up  {caught.items} items in {wall:.1f} s wall; CPU: this process {cpu:.1f} s, PostgreSQL's backend"
        f" {db:.1f} s = {caught.items / (cpu + db):,.0f} items per CPU-second"
    )
    print(f"{'part':<32} {'CPU s':>7} {'PG CPU s':>9} {'wall s':>7}")
    for label, (c, b, w) in sorted(parts.items(), key=lambda kv: -kv[1][0] - kv[1][1]):
        print(f"{label:<32} {c:>7.2f} {b:>9.2f} {w:>7.2f}")


def _tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its live descendants (a Celery worker and its
    pool's child), from /proc."""
    total = 0.0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:  # it ended meanwhile
            continue
    return total


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
                    organisation_id=int(scheme.unit.path.strip("/").split("/")[0]),
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
                        pending=False,
                        event_id=event_ids[i % len(event_ids)],
                        sentiment=rng.random(),
                        sentiment_label=rng.choice(labels),
                    )
                )
            Item.objects.bulk_create(items, batch_size=2000)
            with connection.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO monitoring_schemeitem (scheme_id, item_id) VALUES (%s, %s)",
                    [(scheme.pk, it.pk) for it in items],
                )
                # The same body ingestion writes: words, then facet tokens (units, source, kind, mood).
                cursor.executemany(
                    "INSERT INTO monitoring_item_fts(rowid, body) VALUES (%s, %s)",
                    [
                        (it.pk, f"{tokens[int(it.external_id[5:]) % len(tokens)]} {facets[it.sentiment_label]}")
                        for it in items
                    ],
                )
        print(f"  seeded {min(n, offset + step):,} items", file=sys.stderr, end="\r")
    from qingting.web.monitoring.services import daily_counts_rebuild, event_places_rebuild, source_hours_rebuild

    daily_counts_rebuild()  # the seeding bypassed ingestion, which keeps these up to date
    event_places_rebuild()
    source_hours_rebuild()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(file=sys.stderr)


_SEED_SQL = {
    "items": """
        INSERT INTO monitoring_item (id, source_id, external_id, url, title, text, lang, published_at, collected_at,
            author_pseudonym, engagement, region, pending, event_id, duplicate_of_id, duplicate_kind, parent,
            sentiment, sentiment_label)
        SELECT g, (%(sources)s::bigint[])[1 + g %% %(n_sources)s], 'seed-' || g, '', b.title, b.text, 'zh',
            now() - random() * interval '30 days', now(), '', (random() * 100)::int,
            (%(regions)s::text[])[1 + (g * 7) %% 6], false, (%(events)s::bigint[])[1 + g %% %(n_events)s],
            NULL, '', '', random(), (%(labels)s::text[])[1 + (g * 13) %% 3]
        FROM generate_series(%(lo)s::int, %(hi)s::int) AS g JOIN bench_base b ON b.k = g %% %(n_base)s
    """,
    "placements": """
        INSERT INTO monitoring_schemeitem (scheme_id, item_id)
        SELECT %(scheme)s, id FROM monitoring_item WHERE id BETWEEN %(lo)s AND %(hi)s
    """,
    "search": """
        INSERT INTO monitoring_item_search (item_id, body)
        SELECT i.id, b.body || ' ' || f.facets FROM monitoring_item i
        JOIN bench_base b ON b.k = i.id %% %(n_base)s
        JOIN bench_facets f ON f.source_id = i.source_id AND f.label = i.sentiment_label
        WHERE i.id BETWEEN %(lo)s AND %(hi)s
    """,
}


def _seed_postgres(n: int, source: Any, scheme: Any) -> None:
    """``n`` items with events, placements, the search index and daily counts, generated inside PostgreSQL.

    The rows are made by ``INSERT … SELECT generate_series`` from 20,000 demo texts (segmented once
    in Python), in steps of 500,000; secondary indexes are dropped first and rebuilt at the end, as
    any bulk load into PostgreSQL would.
    """
    from django.conf import settings
    from django.db import connection, transaction

    from qingting.web.monitoring import search, services
    from qingting.web.monitoring.models import Event, SourceKind

    rng = random.Random(0)
    base = _records(min(n, 20000))
    sources = [source] + [
        services.source_create(actor=None, unit=source.unit, name=f"基准来源{k}", kind=kind)
        for k, kind in enumerate([SourceKind.NEWS, SourceKind.FORUM, SourceKind.HOTLINE], start=1)
    ]
    scheme.sources.set(sources)
    end = datetime.now(tz=UTC)
    n_events = max(1, n // 200)
    with transaction.atomic():
        events = Event.objects.bulk_create(
            [
                Event(
                    organisation_id=int(scheme.unit.path.strip("/").split("/")[0]),
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
            batch_size=5000,
        )
    labels = ["negative", "neutral", "positive"]
    units = [int(u) for u in source.unit.path.strip("/").split("/")]
    tables = ("monitoring_item", "monitoring_schemeitem", "monitoring_item_search")
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("CREATE TEMP TABLE bench_base (k int PRIMARY KEY, title text, text text, body text)")
        with cursor.connection.cursor().copy("COPY bench_base (k, title, text, body) FROM STDIN") as copy:
            for k, r in enumerate(base):
                body = search.index_body(r.get("title") or "", r["text"], r.get("lang"))
                copy.write_row((k, r.get("title") or "", r["text"], body))
        cursor.execute("CREATE TEMP TABLE bench_facets (source_id bigint, label text, facets text)")
        cursor.executemany(
            "INSERT INTO bench_facets VALUES (%s, %s, %s)",
            [
                (s.pk, label, " ".join(search.facet_tokens(unit_ids=units, source_id=s.pk, source_kind=s.kind,
                                                           sentiment=label)))
                for s in sources
                for label in labels
            ],
        )  # fmt: skip
        # Secondary indexes: dropped for the load, rebuilt after (constraints stay).
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint)",
            [list(tables)],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        params = {
            "sources": [s.pk for s in sources],
            "n_sources": len(sources),
            "regions": ["柳湾镇", "石桥乡", "城关镇", "白鹭镇", "荷塘乡", ""],
            "scheme": scheme.pk,
            "events": [e.pk for e in events],
            "n_events": len(events),
            "labels": labels,
            "n_base": len(base),
        }
        step = 500_000
        for lo in range(1, n + 1, step):
            hi = min(n, lo + step - 1)
            with transaction.atomic():
                for sql in _SEED_SQL.values():
                    cursor.execute(sql, {**params, "lo": lo, "hi": hi})
            print(f"  seeded {hi:,} items", file=sys.stderr, end="\r")
        print(file=sys.stderr)
        cursor.execute("SELECT setval(pg_get_serial_sequence('monitoring_item', 'id'), %s)", [n])
        t0 = time.perf_counter()
        for _name, definition in indexes:
            cursor.execute(definition)
        print(f"  rebuilt {len(indexes)} indexes in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        cursor.execute(
            "INSERT INTO monitoring_dailycount (source_id, day, sentiment_label, region, n) "
            "SELECT source_id, (published_at AT TIME ZONE %s)::date, sentiment_label, region, COUNT(*) "
            "FROM monitoring_item GROUP BY 1, 2, 3, 4",
            [settings.TIME_ZONE],
        )
        cursor.execute("UPDATE monitoring_source SET item_count = (SELECT COUNT(*) FROM monitoring_item i "
                       "WHERE i.source_id = monitoring_source.id)")  # fmt: skip
        services.event_places_rebuild()  # what storing and the engine keep, for the bulk-loaded items
        services.source_hours_rebuild()
        # Statistics for the planner (a VACUUM of 10 M fresh rows would add many minutes; the pages
        # do not rely on index-only scans).
        for table in (*tables, "monitoring_event", "monitoring_dailycount", "monitoring_eventplace"):
            cursor.execute(f"ANALYZE {table}")


def pages(args: argparse.Namespace) -> None:
    directory = _setup_django(args.data_dir, args.database_url)
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    user, source, scheme = _org()
    t0 = time.perf_counter()
    if connection.vendor == "postgresql":
        _seed_postgres(args.items, source, scheme)
    else:
        _seed_direct(args.items, source, scheme)
    seeded = time.perf_counter() - t0
    client = Client()
    client.force_login(user)
    event_id = scheme.event_matches.order_by("-event__heat").values_list("event_id", flat=True).first()
    urls = {
        "dashboard": "/",
        "event board (heat)": "/events/",
        "event board (recent, negative, page 3)": "/events/?sort=recent&sentiment=negative&page=3",
        "event board (trend)": "/events/?sort=trend",
        "event page": f"/events/{event_id}/",
        "search 停水": "/search/?q=停水",
        "search 学校 招生 (2 terms)": "/search/?q=学校招生",
        "API items ?q=施工": "/api/items?q=施工&limit=50",
    }
    print(f"command   .venv/bin/python bench/bench_web.py {' '.join(sys.argv[1:])}")
    print(
        f"data      {args.items:,} items ({args.items // 200:,} events) seeded directly in {seeded:.0f} s;"
        f" db {directory}"
    )
    print(f"settings  {_mode()}, Django test client, repeat={args.repeat}")
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
    parser = argparse.ArgumentParser(prog=".venv/bin/python bench/bench_web.py", description=__doc__)
    sub = parser.add_subparsers(dest="what", required=True)
    p_ingest = sub.add_parser("ingest", help="persisting ingestion throughput")
    p_ingest.add_argument("--items", type=int, default=20000)
    p_ingest.add_argument("--batch", type=int, default=1000)
    p_ingest.add_argument("--engine", choices=["core", "none"], default="core")
    p_import = sub.add_parser("import", help="bulk path: store without the engine, then let it catch up")
    p_import.add_argument("--items", type=int, default=100000)
    p_import.add_argument("--batch", type=int, default=2000)
    p_import.add_argument("--engine-batch", type=int, default=2000)
    p_server = sub.add_parser("server-ingest", help="ingestion by real Celery workers (PostgreSQL + Redis)")
    p_server.add_argument("--items", type=int, default=50000)
    p_server.add_argument("--batch", type=int, default=1000)
    p_server.add_argument("--workers", type=int, default=2)
    p_server.add_argument("--schemes", type=int, default=1)
    p_server.add_argument("--broker-url", default=None)
    p_split = sub.add_parser("server-split", help="the engine's path in one process, part by part (PostgreSQL)")
    p_split.add_argument("--items", type=int, default=10000)
    p_split.add_argument("--batch", type=int, default=1000)
    p_pages = sub.add_parser("pages", help="server time of the dashboard, event board, event page and search")
    p_pages.add_argument("--items", type=int, default=100000)
    p_pages.add_argument("--repeat", type=int, default=20)
    for p in (p_ingest, p_import, p_server, p_split, p_pages):
        p.add_argument("--data-dir", default=None, help="default: a new directory under /tmp")
        p.add_argument(
            "--database-url", default=None, help="server mode on this PostgreSQL database (DROPPED and re-created)"
        )
    args = parser.parse_args(argv)
    commands = {"ingest": ingest, "import": bulk_import, "server-ingest": server_ingest, "pages": pages}
    commands["server-split"] = server_split
    commands[args.what](args)


if __name__ == "__main__":
    main()
