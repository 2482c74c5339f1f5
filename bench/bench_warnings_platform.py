"""Platform warnings benchmark: ingest of the item that crosses a threshold → notification in the outbox.

    .venv/bin/python bench/bench_warnings_platform.py [--limit 30000] [--batch-seconds 1] [--input bench/out/ced.jsonl]

The CED Weibo stream (``bench/out/ced.jsonl``, made by ../shared/tools/ced_stream.py on first use)
is fed, time-ordered, through the platform's real ingestion (``monitoring.services.ingest_items``:
items, engine, events and snapshot in one transaction) in batches of ``--batch-seconds`` of stream
time, for a match-all scheme with the default rules, one e-mail subscription from tier Ⅳ. The
``batch_ingested`` receiver evaluates the touched events and writes warnings and their outbox rows
in one transaction. For every batch that put a new row in the outbox, the figure is the wall time
from calling ``ingest_items`` to that row being committed (what the 1-second target is about), and
the part of it spent in evaluation. Embedded mode (SQLite) by default; set QINGTING_DATABASE_URL
for PostgreSQL (server mode).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from _ced import ced_stream, parent_id


def _setup_django() -> str:
    if os.environ.get("QINGTING_DATABASE_URL"):
        os.environ["DJANGO_SETTINGS_MODULE"] = "qingting.web.config.settings.server"
        where = "PostgreSQL " + os.environ["QINGTING_DATABASE_URL"].rpartition("@")[2]
    else:
        os.environ["QINGTING_DATA_DIR"] = tempfile.mkdtemp(prefix="qingting-bench-warn-")
        os.environ["DJANGO_SETTINGS_MODULE"] = "qingting.web.config.settings.embedded"
        where = "SQLite (embedded) in " + os.environ["QINGTING_DATA_DIR"]
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    return where


def _batches(path: Path, limit: int, seconds: float) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    edge: float | None = None
    with path.open("rb") as f:
        for n, line in enumerate(f):
            if n >= limit:
                break
            d = orjson.loads(line)
            t = float(d["time"]) if isinstance(d["time"], int | float) else _parse(d["time"])
            if edge is None:
                edge = t + seconds
            if t >= edge and batch:
                yield batch
                batch = []
                edge = t + seconds
            rec = {"id": str(d["id"]), "text": d.get("text") or "", "time": t, "author": str(d.get("user") or "")}
            parent = parent_id(d)
            if parent:
                rec["parent"] = parent
            batch.append(rec)
    if batch:
        yield batch


def _parse(value: str) -> float:
    from qingting.core.io import parse_time

    return float(parse_time(value))


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", type=Path, default=None)
    ap.add_argument("--limit", type=int, default=30_000, help="first N posts of the stream")
    ap.add_argument("--batch-seconds", type=float, default=1.0, help="stream time per ingest batch")
    args = ap.parse_args()
    path = args.input or ced_stream()
    where = _setup_django()

    from django.utils import timezone

    from qingting.web.accounts import services as accounts
    from qingting.web.accounts.models import Role, UnitKind
    from qingting.web.monitoring import services as monitoring
    from qingting.web.warnings import services
    from qingting.web.warnings.models import Notification, Warning

    unit = accounts.unit_create(actor=None, code="bench-w", name="预警基准单位", kind=UnitKind.OFFICE)
    admin = accounts.user_create(
        actor=None, username="bench_w_admin", password="Bench-password-2026", email="a@b.example"
    )
    accounts.membership_grant(actor=None, user=admin, unit=unit, role=Role.ADMIN)
    source = monitoring.source_create(actor=None, unit=unit, name="微博", kind="social")
    scheme = monitoring.scheme_create(actor=None, unit=unit, name="全部", expression="*", sources=[source])
    channel = services.channel_save(
        actor=admin, unit=unit, name="mail", kind="email", smtp_host="127.0.0.1", smtp_sender="qt@b.example"
    )
    services.subscription_add(actor=admin, channel_id=channel.pk, min_tier=4)

    evaluating: list[float] = []
    original = services.warnings_evaluate

    def timed(**kw: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return original(**kw)
        finally:
            evaluating.append(time.perf_counter() - t0)

    services.warnings_evaluate = timed  # type: ignore[assignment]  # the receiver looks it up per call

    latency: list[float] = []
    eval_part: list[float] = []
    all_batches: list[float] = []
    posts = 0
    started = time.perf_counter()
    outbox = Notification.objects.count()
    for batch in _batches(path, args.limit, args.batch_seconds):
        n_eval = len(evaluating)
        t0 = time.perf_counter()
        monitoring.ingest_items(scheme=scheme, source=source, records=batch)
        took = time.perf_counter() - t0
        all_batches.append(took)
        posts += len(batch)
        now_outbox = Notification.objects.count()
        if now_outbox > outbox:
            latency.append(took)
            eval_part.append(sum(evaluating[n_eval:]))
            outbox = now_outbox
    wall = time.perf_counter() - started
    tiers = {t: Warning.objects.filter(tier=t).count() for t in (4, 3, 2, 1)}
    print(f"database: {where}")
    print(f"stream: {path} — first {posts} posts, batches of {args.batch_seconds:g} s of stream time")
    print(f"scheme '*', default rules, one e-mail subscription from tier IV; now {timezone.now():%Y-%m-%d %H:%M} UTC")
    print(f"batches: {len(all_batches)}, {posts / wall:.0f} posts/s overall ({wall:.1f} s)")
    mix = f"IV {tiers[4]} · III {tiers[3]} · II {tiers[2]} · I {tiers[1]}"
    print(f"warnings: {sum(tiers.values())} ({mix}); outbox rows: {outbox}")
    if latency:
        print(
            f"ingest → outbox row committed, over {len(latency)} batches that queued a notification: "
            f"median {statistics.median(latency) * 1000:.0f} ms, p90 {_pct(latency, 0.9) * 1000:.0f} ms, "
            f"p99 {_pct(latency, 0.99) * 1000:.0f} ms, max {max(latency) * 1000:.0f} ms (target ≤ 1000 ms)"
        )
        print(
            "  of which evaluation (rules + warning + outbox rows): "
            f"median {statistics.median(eval_part) * 1000:.0f} ms, max {max(eval_part) * 1000:.0f} ms"
        )
    print(
        f"every batch: median {statistics.median(all_batches) * 1000:.0f} ms, "
        f"p99 {_pct(all_batches, 0.99) * 1000:.0f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
