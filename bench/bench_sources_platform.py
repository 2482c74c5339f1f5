"""Sources through the platform: a poll cycle over N feeds into the database, and a file import.

    .venv/bin/python bench/bench_sources_platform.py poll [--feeds 500] [--workers 4] [--engine core|none]
    .venv/bin/python bench/bench_sources_platform.py import [--mb 1000] [--batch 2000] [--engine core|none]

``poll``: N RSS sources in embedded mode (SQLite WAL, fresh data directory), their feeds served
by ``bench_sources``' loopback server (its own process; 20-40 entries of 300-1,500 characters per
feed, a third GBK, half gzipped, ETags; 50 host names resolving to 127.0.0.1). Every due source
is polled with ``monitoring.services.polling.source_poll`` — fetch, ``store_items`` (no engine), health —
on a pool of ``--workers`` threads, as the embedded scheduler does. Then the scheme's engine
catches up (``pipeline_catch_up``, what the periodic job ``monitoring.catch_up`` runs), timed
separately. Then every source is polled again: each must cost one conditional request and store
nothing.

``import``: a generated JSONL file of ``--mb`` MB streamed with ``collect.services.file_import``
(the path of ``qingting import`` and the upload page: ``store_items`` per batch) into one source:
items/s to storage and peak RSS of the process; then ``collect.services.import_catch_up`` (what
``qingting import`` runs after storing) timed separately, unless ``--no-catch-up``. ``--engine
none`` replaces the engine with one that assigns nothing, to show what the rest costs.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

HOSTS = 50


def _setup(data_dir: str | None, allow: list[str]) -> str:
    directory = data_dir or tempfile.mkdtemp(prefix="qingting-bench-sources-")
    os.environ["QINGTING_DATA_DIR"] = directory
    os.environ["QINGTING_FETCH_ALLOW_HOSTS"] = ",".join(allow)
    os.environ["DJANGO_SETTINGS_MODULE"] = "qingting.web.config.settings.embedded"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    return directory


def _org() -> tuple[Any, Any]:
    from qingting.web.accounts import services as accounts
    from qingting.web.accounts.models import UnitKind
    from qingting.web.monitoring.models import Scheme

    office = accounts.unit_create(actor=None, code="bench", name="基准测试单位", kind=UnitKind.OFFICE)
    from qingting.web.monitoring.services import scheme_create

    scheme: Scheme = scheme_create(actor=None, unit=office, name="基准方案")
    return office, scheme


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def poll(args: argparse.Namespace) -> None:
    from bench_sources import _serve

    q: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    counts = mp.Array("l", 2)
    proc = mp.Process(target=_serve, args=(args.feeds, q, counts), daemon=True)
    proc.start()
    port, wire_bytes, xml_bytes = q.get(timeout=300)
    hosts = [f"feeds{h}.bench.test" for h in range(HOSTS)]
    data_dir = _setup(args.data_dir, hosts)
    _engine(args.engine)

    from django.db import connection
    from django.utils import timezone

    from qingting.sources.http import FetchPolicy, SafeFetcher
    from qingting.web.collect.services import source_save
    from qingting.web.monitoring.models import Item, Source
    from qingting.web.monitoring.services.polling import source_poll, sources_claim_due

    office, scheme = _org()
    for i in range(args.feeds):
        source_save(actor=None, unit=office, name=f"feed{i}", connector="rss", scheme=scheme, poll_interval=900,
                    url=f"http://{hosts[i % HOSTS]}:{port}/feed/{i}.xml")  # fmt: skip
    # Real DNS would not know the bench hosts: every one of them is this loopback server.
    fetcher = SafeFetcher(
        FetchPolicy(allow_hosts=frozenset(hosts), max_bytes=10 * 1024 * 1024), resolver=lambda h, p: ["127.0.0.1"]
    )

    def one(source_id: int) -> Any:
        try:
            return source_poll(source_id=source_id, fetcher=fetcher)
        finally:
            connection.close()

    def cycle() -> tuple[float, list[Any]]:
        t0 = time.perf_counter()
        ids = sources_claim_due(now=timezone.now(), limit=args.feeds)
        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            reports = list(pool.map(one, ids))
        return time.perf_counter() - t0, reports

    took, reports = cycle()
    requests_first = counts[0]
    items = Item.objects.count()
    failed = sum(r.failed for r in reports)
    errors = sum(len(r.errors) for r in reports)
    from qingting.web.monitoring.services import pending_count, pipeline_catch_up

    pending = pending_count(scheme)
    t = time.perf_counter()
    caught = pipeline_catch_up(scheme=scheme, batch=args.engine_batch)
    took_catch_up = time.perf_counter() - t
    Source.objects.update(next_run_at=timezone.now())  # everything due again
    took2, again = cycle()
    repoll_requests = counts[0] - requests_first
    not_modified = sum(r.not_modified for r in again)
    stored_again = Item.objects.count() - items
    proc.terminate()
    print("bench_sources_platform poll: one cycle over RSS sources through monitoring.services.polling.source_poll")
    print(f"command: {' '.join([sys.executable.rsplit('/', 1)[-1], *sys.argv])}")
    print(f"settings: feeds={args.feeds} hosts={HOSTS} workers={args.workers} engine={args.engine} "
          f"embedded SQLite in {data_dir}")  # fmt: skip
    print(f"data: synthetic, seeded: {wire_bytes / 1e6:.1f} MB on the wire, {xml_bytes / 1e6:.1f} MB of XML")
    print(f"first cycle: {took:6.2f} s  {len(reports)} sources polled, {items} items stored (engine={args.engine}), "
          f"{failed} failed, {errors} errors, {requests_first} requests  "
          f"target <= 60 s: {'PASS' if took <= 60 and not failed else 'FAIL'}")  # fmt: skip
    print(f"catch-up:    {took_catch_up:6.2f} s  {caught.items} of {pending} pending items through the engine "
          f"({caught.items / max(took_catch_up, 1e-9):,.0f} items/s, batches of {args.engine_batch}, "
          f"{pending_count(scheme)} left)")  # fmt: skip
    print(f"re-poll:     {took2:6.2f} s  {repoll_requests} requests for {len(again)} sources, {not_modified} not "
          f"modified, {stored_again} items stored  target 1 conditional request each, 0 stored: "
          f"{'PASS' if repoll_requests == len(again) == not_modified and stored_again == 0 else 'FAIL'}")  # fmt: skip


def _generate(path: Path, megabytes: int) -> int:
    from bench_sources_import import _generate as generate

    n: int = generate(path, megabytes)
    return n


def _engine(which: str) -> None:
    if which == "none":
        # The same stand-in as the platform's ingest benchmark (bench_web.py ingest --engine none).
        import qingting.core.pipeline as module
        from bench_web import _NullEngine

        module.Pipeline = _NullEngine  # type: ignore[misc,assignment]


def import_(args: argparse.Namespace) -> None:
    data_dir = _setup(args.data_dir, [])
    _engine(args.engine)

    from qingting.web.collect.services import ImportProgress, file_import, source_save

    path = Path(args.file) if args.file else Path(tempfile.mkdtemp(prefix="qingting-bench-import-")) / "big.jsonl"
    if not args.file:
        t = time.perf_counter()
        n = _generate(path, args.mb)
        print(f"generated {n} records, {path.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - t:.0f} s")
    office, scheme = _org()
    source = source_save(actor=None, unit=office, name="导出文件", connector="file", scheme=scheme,
                         options={"fields": {"id": "编号", "text": "内容", "time": "发布时间", "author": "网名",
                                             "engagement": "点赞"}})  # fmt: skip
    rss_before = _peak_rss_mb()
    samples: list[tuple[float, int]] = []
    t0 = time.perf_counter()

    def progress(p: ImportProgress) -> None:
        samples.append((time.perf_counter() - t0, p.created))
        if len(samples) % 50 == 0:
            print(f"  {p.read} read, {p.created} stored, {p.created / (time.perf_counter() - t0):,.0f}/s, "
                  f"peak RSS {_peak_rss_mb():.0f} MB", flush=True)  # fmt: skip

    run = file_import(actor=None, source=source, path=path, batch_size=args.batch, progress=progress)
    took = time.perf_counter() - t0
    rate = run.created / took if took else 0.0
    peak = _peak_rss_mb()
    print("bench_sources_platform import: a JSONL file through collect.services.file_import into the database")
    print(f"command: {' '.join([sys.executable.rsplit('/', 1)[-1], *sys.argv])}")
    print(f"settings: {path.stat().st_size / 1e6:.0f} MB, batch={args.batch}, engine={args.engine}, "
          f"embedded SQLite in {data_dir}")  # fmt: skip
    print(f"result: {run.read} read, {run.created} stored, {run.skipped} skipped, {run.failed} refused in {took:.0f} s"
          f" = {rate:,.0f} items/s to storage (target >= 5,000/s: {'PASS' if rate >= 5000 else 'MISS'})")  # fmt: skip
    print(f"peak RSS {peak:.0f} MB (before the import {rss_before:.0f} MB; target <= 300 MB: "
          f"{'PASS' if peak <= 300 else 'FAIL'})")  # fmt: skip
    if args.catch_up:
        from qingting.web.collect.services import import_catch_up
        from qingting.web.monitoring.services import CatchUpResult

        t1 = time.perf_counter()

        def caught(c: CatchUpResult) -> None:
            if c.batches % 50 == 0:
                print(f"  catch-up: {c.items} analysed, {c.items / (time.perf_counter() - t1):,.0f}/s, "
                      f"peak RSS {_peak_rss_mb():.0f} MB", flush=True)  # fmt: skip

        results = import_catch_up(source, progress=caught, batch=args.engine_batch)
        took_c = time.perf_counter() - t1
        n = sum(r.items for r in results)
        print(f"catch-up: {n} items through the engine in {took_c:.0f} s = {n / max(took_c, 1e-9):,.0f} items/s "
              f"(batches of {args.engine_batch}); peak RSS now {_peak_rss_mb():.0f} MB")  # fmt: skip
    if not args.file and not args.keep:
        path.unlink()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="what", required=True)
    p = sub.add_parser("poll")
    p.add_argument("--feeds", type=int, default=500)
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--engine", choices=["core", "none"], default="core")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--engine-batch", type=int, default=2000, help="items per catch-up transaction")
    i = sub.add_parser("import")
    i.add_argument("--mb", type=int, default=1000)
    i.add_argument("--file", default=None)
    i.add_argument("--batch", type=int, default=2000)
    i.add_argument("--engine", choices=["core", "none"], default="core")
    i.add_argument("--data-dir", default=None)
    i.add_argument("--keep", action="store_true", help="keep the generated file")
    i.add_argument("--engine-batch", type=int, default=2000, help="items per catch-up transaction")
    i.add_argument("--no-catch-up", dest="catch_up", action="store_false", help="only store")
    args = ap.parse_args()
    poll(args) if args.what == "poll" else import_(args)


if __name__ == "__main__":
    main()
