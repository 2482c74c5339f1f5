"""Schemes as saved views (decision 0061): what ten schemes cost against one, and a backfill.

    python bench/bench_schemes.py views --items 20000 --schemes 10
    python bench/bench_schemes.py backfill --items 1000000
    python bench/bench_schemes.py backfill --items 10000000 --database-url postgres://postgres@127.0.0.1:5432/qt_backfill

``views`` ingests the same demo stream (store, then the organisation's engine catches up) into a
fresh embedded (SQLite) database twice, each in its own process: with one scheme following the
sources, and with ``--schemes`` schemes (different expressions) following the same sources. It
prints the time and the peak resident memory of each and their ratios (same machine, same run).

``backfill`` seeds ``--items`` placed items (with their stored matching form, as ingestion writes
it) straight into a fresh SQLite database, or with ``--database-url`` into PostgreSQL (that
database is DROPPED and re-created), then creates a scheme with an expression over their sources
and times its backfill step by step (``membership.scheme_backfill_step``, what the periodic job
``monitoring.scheme_backfill`` runs; the progress the scheme page shows is read after each step),
printing items per second.
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
    start, cpu = time.perf_counter(), time.process_time()
    for k, source in enumerate(sources):
        part = by_source.get(k, [])
        for i in range(0, len(part), args.batch):
            services.store_items(source=source, records=part[i : i + args.batch])
    caught = services.pipeline_catch_up(organisation=office, batch=args.batch)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    from qingting.web.monitoring.models import SchemeItem

    return {
        "schemes": args.schemes,
        "items": caught.items,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "memberships": SchemeItem.objects.count(),
    }


def views(args: argparse.Namespace) -> None:
    """Interleaved repeats (1 scheme, k schemes, 1, k, …), so both share the machine's conditions;
    medians of wall time, of CPU time (steadier on a shared machine) and of peak memory."""
    import statistics

    runs: dict[int, list[dict[str, Any]]] = {1: [], args.schemes: []}
    for rep in range(args.repeat):
        for schemes in (1, args.schemes) if rep % 2 == 0 else (args.schemes, 1):
            cmd = [sys.executable, __file__, "_one", "--items", str(args.items), "--schemes", str(schemes)]
            cmd += ["--batch", str(args.batch)]
            out = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if out.returncode:
                raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stderr[-3000:]}")
            r = json.loads(out.stdout.strip().splitlines()[-1])
            runs[schemes].append(r)
            print(
                f"  run {rep + 1} {schemes:>2} scheme(s): {r['seconds']:.1f} s wall, {r['cpu_seconds']:.1f} s CPU,"
                f" peak RSS {r['peak_rss_mb']:.0f} MB, {r['memberships']} memberships",
                file=sys.stderr,
            )
    print(
        f"command   python bench/bench_schemes.py views --items {args.items} --schemes {args.schemes}"
        f" --repeat {args.repeat}"
    )
    print(
        f"settings  embedded (SQLite WAL), store_items batches of {args.batch}, then pipeline_catch_up;"
        f" {args.repeat} interleaved runs each, medians"
    )
    med = {
        k: {key: statistics.median(r[key] for r in rs) for key in ("seconds", "cpu_seconds", "peak_rss_mb")}
        for k, rs in runs.items()
    }
    for k, rs in runs.items():
        walls = ", ".join(f"{r['seconds']:.1f}" for r in rs)
        cpus = ", ".join(f"{r['cpu_seconds']:.1f}" for r in rs)
        print(
            f"{k:>2} scheme(s): {rs[0]['items']} items; wall {med[k]['seconds']:.1f} s ({walls}),"
            f" CPU {med[k]['cpu_seconds']:.1f} s ({cpus}), peak RSS {med[k]['peak_rss_mb']:.0f} MB,"
            f" {rs[0]['memberships']} memberships"
        )
    one, many = med[1], med[args.schemes]
    print(
        f"ratio     CPU {many['cpu_seconds'] / one['cpu_seconds']:.2f}x, wall {many['seconds'] / one['seconds']:.2f}x,"
        f" peak memory {many['peak_rss_mb'] / one['peak_rss_mb']:.2f}x ({args.schemes} schemes vs 1, medians)"
    )


def _seed_sqlite(n: int, sources: list[Any], events: list[Any], base: list[dict[str, Any]], now: Any) -> None:
    from datetime import timedelta

    from django.db import connection, transaction

    from qingting.web.monitoring.membership import folded_form

    folded = [folded_form(r.get("title") or "", r["text"]) for r in base]  # what ingestion stores
    cols = "source_id, external_id, url, title, text, lang, published_at, collected_at, author_pseudonym, "
    cols += "engagement, region, pending, event_id, duplicate_kind, parent, sentiment_label, folded"
    sql = f"INSERT INTO monitoring_item ({cols}) VALUES ({', '.join(['%s'] * 17)})"
    step = 50000
    for lo in range(0, n, step):
        rows = []
        for i in range(lo, min(n, lo + step)):
            r = base[i % len(base)]
            t = now - timedelta(seconds=(i * 37) % (30 * 86400))
            rows.append((
                sources[i % len(sources)].pk, f"s{i}", "", r.get("title") or "", r["text"], "zh", t, now, "", 0,
                r.get("region") or "", False, events[i % len(events)].pk, "", "", "neutral", folded[i % len(base)],
            ))  # fmt: skip
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, rows)
        print(f"  seeded {min(n, lo + step):,} items", file=sys.stderr, end="\r")


_PG_SEED = """
    INSERT INTO monitoring_item (source_id, external_id, url, title, text, lang, published_at, collected_at,
        author_pseudonym, engagement, region, pending, event_id, duplicate_kind, parent, sentiment_label, folded)
    SELECT (%(sources)s::bigint[])[1 + g %% %(n_sources)s], 's' || g, '', b.title, b.text, 'zh',
        now() - ((g * 37) %% (30 * 86400)) * interval '1 second', now(), '', 0, b.region, false,
        (%(events)s::bigint[])[1 + g %% %(n_events)s], '', '', 'neutral', b.folded
    FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS g JOIN bench_base b ON b.k = g %% %(n_base)s
"""


def _seed_postgres(n: int, sources: list[Any], events: list[Any], base: list[dict[str, Any]]) -> None:
    """``n`` items made inside PostgreSQL (``INSERT … SELECT generate_series`` over the demo texts,
    folded once in Python as ingestion stores them); secondary indexes dropped and rebuilt."""
    from django.db import connection, transaction

    from qingting.web.monitoring.membership import folded_form

    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute("SET synchronous_commit = off")
        cursor.execute(
            "CREATE TEMP TABLE bench_base (k int PRIMARY KEY, title text, text text, region text, folded text)"
        )
        with cursor.connection.cursor().copy("COPY bench_base FROM STDIN") as copy:
            for k, r in enumerate(base):
                title = r.get("title") or ""
                copy.write_row((k, title, r["text"], r.get("region") or "", folded_form(title, r["text"])))
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'monitoring_item' AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint)"
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        params = {
            "sources": [s.pk for s in sources],
            "n_sources": len(sources),
            "events": [e.pk for e in events],
            "n_events": len(events),
            "n_base": len(base),
        }
        step = 500_000
        for lo in range(0, n, step):
            with transaction.atomic():
                cursor.execute(_PG_SEED, {**params, "lo": lo, "hi": min(n, lo + step) - 1})
            print(f"  seeded {min(n, lo + step):,} items", file=sys.stderr, end="\r")
        t0 = time.perf_counter()
        for _name, definition in indexes:
            cursor.execute(definition)
        print(f"\n  rebuilt {len(indexes)} indexes in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        cursor.execute("VACUUM ANALYZE monitoring_item")


def backfill(args: argparse.Namespace) -> None:
    if args.database_url:
        _recreate_database(args.database_url)
        os.environ["QINGTING_DATABASE_URL"] = args.database_url
        os.environ["DJANGO_SETTINGS_MODULE"] = "qingting.web.config.settings.server"
        os.environ["QINGTING_DATA_DIR"] = tempfile.mkdtemp(prefix="qt-bench-backfill-")
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
    else:
        _django(tempfile.mkdtemp(prefix="qt-bench-backfill-"))
    from django.db import connection
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
        ],
        batch_size=5000,
    )
    seeded = time.perf_counter()
    if connection.vendor == "postgresql":
        _seed_postgres(args.items, sources, events, base)
    else:
        _seed_sqlite(args.items, sources, events, base, now)
    print(f"\nseeded in {time.perf_counter() - seeded:.0f} s", file=sys.stderr)
    scheme = services.scheme_create(
        actor=None, unit=office, name="后建方案", expression=args.expression, sources=sources
    )
    where = "PostgreSQL" if connection.vendor == "postgresql" else "embedded (SQLite WAL)"
    print(f"command   python bench/bench_schemes.py backfill --items {args.items}" + (
        f" --database-url {args.database_url}" if args.database_url else ""
    ) + (f" --expression '{args.expression}'" if args.expression != EXPRESSION else "") + (
        " --reference" if args.reference else ""))  # fmt: skip
    print(f"settings  {where}, expression {args.expression} over 4 sources, steps of 50,000 items")
    runs = [("stored matching form", None)]
    if args.reference:  # the same items without a stored matching form: every text folded in Python
        runs.append(("reference: not folded", "UPDATE monitoring_item SET folded = NULL"))
    from qingting.web.monitoring.signals import scheme_backfilled
    from qingting.web.warnings import receivers
    from qingting.web.warnings.models import Warning

    # The warnings app's assessment of the scheme's history runs when the last step commits
    # (``scheme_backfilled``); it is called here right after, on its own clock, so that the two
    # phases are timed apart (same receiver, same work).
    scheme_backfilled.disconnect(dispatch_uid="warnings.backfill")
    for label, prepare in runs:
        if prepare:
            with connection.cursor() as cursor:
                cursor.execute(prepare)
            membership.scheme_backfill_queue(scheme)
        start, cpu, db_cpu = time.perf_counter(), time.process_time(), _backend_cpu()
        while not membership.scheme_backfill_step(scheme.pk):
            scheme.refresh_from_db()  # what the scheme page polls
            print(f"  {scheme.backfill_done:,} / {scheme.backfill_total:,}", file=sys.stderr, end="\r")
        seconds, cpu, db_cpu = time.perf_counter() - start, time.process_time() - cpu, _backend_cpu() - db_cpu
        scheme.refresh_from_db()
        matched = sum(SchemeEvent.objects.filter(scheme=scheme).values_list("matched", flat=True))
        print(
            f"\nbackfill  {label}: {scheme.backfill_done:,} stored items in {seconds:.1f} s (this process's CPU"
            f" {cpu:.1f} s{db_cpu}) = {scheme.backfill_done / seconds:,.0f} items/s; {matched:,} matched in"
            f" {SchemeEvent.objects.filter(scheme=scheme).count():,} events"
        )
        before = Warning.objects.count()
        start, cpu, db_cpu = time.perf_counter(), time.process_time(), _backend_cpu()
        receivers.on_scheme_backfilled(sender=None, scheme_id=scheme.pk)
        w_seconds, w_cpu, db_cpu = time.perf_counter() - start, time.process_time() - cpu, _backend_cpu() - db_cpu
        print(
            f"warnings  {label}: history assessed in {w_seconds:.1f} s (this process's CPU {w_cpu:.1f} s{db_cpu}),"
            f" {Warning.objects.count() - before:,} warnings raised (backfill: not announced)"
        )
        print(f"total     {label}: {seconds + w_seconds:.1f} s (memberships + warnings)")
        load = os.getloadavg()
        print(f"load      {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} (1, 5, 15 min) at the end of this run")


class _BackendCpu:
    """CPU seconds of this connection's PostgreSQL backend process (it runs on this machine);
    printed as ", PostgreSQL's CPU x s", empty on SQLite (which runs in this process)."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds

    def __sub__(self, other: _BackendCpu) -> _BackendCpu:
        if self.seconds is None or other.seconds is None:
            return _BackendCpu(None)
        return _BackendCpu(self.seconds - other.seconds)

    def __format__(self, spec: str) -> str:
        return "" if self.seconds is None else f", PostgreSQL's CPU {self.seconds:.1f} s"


def _backend_cpu() -> _BackendCpu:
    from django.db import connection

    if connection.vendor != "postgresql":
        return _BackendCpu(None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:  # PostgreSQL on another machine
        return _BackendCpu(None)
    return _BackendCpu((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))


def _recreate_database(url: str) -> None:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from bench_web import _recreate_database as recreate

    recreate(url)


EXPRESSION = "停水 OR 断水"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name in ("views", "_one"):
        p = sub.add_parser(name)
        p.add_argument("--items", type=int, default=20000)
        p.add_argument("--schemes", type=int, default=10)
        p.add_argument("--batch", type=int, default=2000)
        p.add_argument("--repeat", type=int, default=3, help="interleaved runs of each (views)")
    p = sub.add_parser("backfill")
    p.add_argument("--items", type=int, default=1_000_000)
    p.add_argument("--expression", default=EXPRESSION)
    p.add_argument("--reference", action="store_true", help="then again with no stored matching form")
    p.add_argument("--database-url", default=None, help="PostgreSQL (server mode) database, DROPPED and re-created")
    args = parser.parse_args()
    if args.cmd == "_one":
        print(json.dumps(run_views(args)))
    elif args.cmd == "views":
        views(args)
    else:
        backfill(args)


if __name__ == "__main__":
    main()
