"""Retraining from 10,000 corrections and re-scoring 1,000,000 stored items, end to end (issue 12).

    .venv/bin/python bench/bench_sentiment_rescore_db.py --items 1000000 \
        --database-url postgres://postgres@127.0.0.1:5432/qt_rescore_bench [--data ../shared/data]
    .venv/bin/python bench/bench_sentiment_rescore_db.py --items 1000000          # embedded SQLite

What the product does when an organisation's new model is activated, timed end to end:

1. ``services.retrain`` over 10,000 corrections (weibo2018 posts stored as items, each corrected
   with its gold label; 20 % held back for the comparison, as the product does), which activates
   the new version and queues the re-scoring job;
2. the periodic job ``sentiment.rescore`` (``jobs.rescore_step``), run back to back until the job
   is done — what the scheduler runs every 15 s, each run going on for up to 50 s: read a slice,
   score it, write only the changed items, move the daily counts and the events' figures, commit
   the progress the settings page shows (printed as it goes).

Reference in the same run: the same model scoring the same stored texts in memory (``normalize`` +
``predict``, one process), i.e. the classifier alone — over the first ``--reference-items``
(200,000 by default, scaled to the whole). Afterwards
the daily counts are compared with a full recount from the items, and the events' figures with
a recount of their items' current labels (decision 0131).

The stored items are weibo2018 texts repeated (with a number appended, so no two are equal),
labelled by the shipped default when stored, spread over 30 days, 6 regions and 2,000 events
whose figures match their items, with their daily counts; the database named by
``--database-url`` is DROPPED AND RE-CREATED first (only one this benchmark created: see
``bench_web.BENCH_MARKER``). Without ``--database-url`` an embedded SQLite database in a
temporary directory is used.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_web import _mode, _org, _setup_django

ROOT = Path(__file__).resolve().parent.parent
EVENTS = 2000


def _load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def _server_cpu() -> float | None:
    """CPU seconds the PostgreSQL backend of this connection has used (None on SQLite)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--train-rows", type=int, default=10_000, help="corrections to retrain on (all 10,000)")
    ap.add_argument(
        "--reference-items", type=int, default=200_000, help="stored texts the in-memory reference scores (0: none)"
    )
    args = ap.parse_args()
    directory = _setup_django(args.data_dir, args.database_url)

    from django.db import connection, transaction
    from django.db.models import Count, Q, Sum
    from django.utils import timezone

    from qingting.core.sentiment import ThreeClassModel, sentiment_text
    from qingting.core.text import normalize
    from qingting.web.monitoring.models import DailyCount, Event, Item
    from qingting.web.monitoring.services import event_places_rebuild
    from qingting.web.sentiment import jobs, services
    from qingting.web.sentiment.models import Correction, RescoreJob

    rows = []
    for line in (args.data / "weibo2018" / "train.txt").read_text(encoding="utf-8").splitlines():
        _mid, label, text = line.split(",", 2)
        rows.append((text, int(label)))
    default = ThreeClassModel.default()
    stored = default.predict([sentiment_text(normalize(t)) for t, _ in rows])

    _user, source, _scheme = _org()
    organisation = services.organisation_of(source.unit)
    rng = random.Random(0)
    end = datetime(2026, 12, 1, tzinfo=UTC)
    regions = ["柳湾镇", "石桥乡", "城关镇", "白鹭镇", "荷塘乡", ""]
    t0 = time.perf_counter()
    events = Event.objects.bulk_create(
        Event(organisation=organisation, engine_event_id=k, title=f"事件{k}", first_seen=end, last_seen=end)
        for k in range(EVENTS)
    )
    step = 20_000
    for offset in range(0, args.items, step):
        with transaction.atomic():
            Item.objects.bulk_create(
                [
                    Item(
                        source=source,
                        external_id=f"w-{i}",
                        text=f"{rows[i % len(rows)][0]} {i // len(rows)}",
                        lang="zh",
                        published_at=end - timedelta(seconds=rng.random() * 30 * 86400),
                        region=rng.choice(regions),
                        pending=False,
                        event_id=events[i % EVENTS].pk,
                        sentiment=stored[i % len(rows)].positivity,
                        sentiment_label=stored[i % len(rows)].label.value,
                    )
                    for i in range(offset, min(args.items, offset + step))
                ],
                batch_size=5000,
            )
    # the day in the project's time zone, as monitoring.daily_key computes it
    day = (
        "date(published_at AT TIME ZONE 'Asia/Shanghai')"
        if connection.vendor == "postgresql"
        else "date(published_at, '+8 hours')"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO monitoring_dailycount (source_id, day, sentiment_label, region, n) "
            f"SELECT source_id, {day}, sentiment_label, region, count(*) FROM monitoring_item "
            "GROUP BY source_id, 2, sentiment_label, region"
        )
        cursor.execute(
            "UPDATE monitoring_event SET item_count = s.n "
            "FROM (SELECT event_id, count(*) AS n FROM monitoring_item GROUP BY event_id) AS s "
            "WHERE monitoring_event.id = s.event_id"
        )
    # the corrections: the first --train-rows items, corrected to their gold label
    n_train = min(args.train_rows, len(rows), args.items)
    first = list(Item.objects.order_by("pk").values_list("pk", "sentiment_label", "sentiment")[:n_train])
    now = timezone.now()
    Correction.objects.bulk_create(
        Correction(
            item_id=pk,
            organisation=organisation,
            label="positive" if rows[k][1] else "negative",
            engine_label=label,
            engine_score=score,
            corrected_at=now,
        )
        for k, (pk, label, score) in enumerate(first)
    )
    corrected = [
        (pk, "positive" if rows[k][1] else "negative") for k, (pk, label, _s) in enumerate(first)
        if label != ("positive" if rows[k][1] else "negative")
    ]  # fmt: skip
    for value in ("positive", "negative"):
        ids = [pk for pk, label in corrected if label == value]
        for i in range(0, len(ids), 5000):
            Item.objects.filter(pk__in=ids[i : i + 5000]).update(
                sentiment_label=value, sentiment=services.CORRECTED_SCORE[value]
            )
    # the corrected labels written through, as services.correct does (counts recomputed here;
    # the events' places, and their figures derived from them, as the engine and corrections keep them)
    DailyCount.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO monitoring_dailycount (source_id, day, sentiment_label, region, n) "
            f"SELECT source_id, {day}, sentiment_label, region, count(*) FROM monitoring_item "
            "GROUP BY source_id, 2, sentiment_label, region"
        )
    event_places_rebuild()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    load_s = time.perf_counter() - t0
    print(f"command   .venv/bin/python bench/bench_sentiment_rescore_db.py {' '.join(sys.argv[1:])}")
    print(f"settings  {_mode()}; db {directory}; {os.cpu_count()} cores; {_load()}")
    print(
        f"stored    {args.items:,} items (weibo2018 texts repeated), {EVENTS:,} events, daily counts, "
        f"{n_train:,} corrections, in {load_s:.0f} s",
        flush=True,
    )

    # 1. retrain from the corrections (activates the version and queues the re-scoring job)
    s0, t0, c0 = _server_cpu(), time.perf_counter(), time.process_time()
    result = services.retrain(organisation, force=True)
    train_s, train_cpu = time.perf_counter() - t0, time.process_time() - c0
    v = result.version
    print(
        f"retrain   {n_train:,} corrections: {train_s:.1f} s wall, {train_cpu:.1f} s CPU; "
        f"v{v.number} {v.status} {v.figures.get('held_back_accuracy')} vs {v.figures.get('active_accuracy')} "
        f"({v.message or 'activated'}); {_load()}",
        flush=True,
    )
    if not result.activated:
        raise SystemExit("the retrained version was not activated: nothing to re-score")
    job = RescoreJob.objects.filter(organisation=organisation).order_by("-pk").first()

    # 2. the periodic job, back to back until done
    s1, t0, c0 = _server_cpu(), time.perf_counter(), time.process_time()
    runs, last_print = 0, 0.0
    while True:
        jobs.rescore_step(timezone.now(), seconds=5.0)
        runs += 1
        job.refresh_from_db()
        el = time.perf_counter() - t0
        if job.status != RescoreJob.Status.RUNNING or el - last_print >= 30:
            last_print = el
            print(
                f"  progress {job.done:,}/{job.total:,} ({job.percent}%), labels changed {job.changed:,}, "
                f"{el:.0f} s, {_load()}",
                flush=True,
            )
        if job.status != RescoreJob.Status.RUNNING:
            break
    rescore_s, rescore_cpu = time.perf_counter() - t0, time.process_time() - c0
    s2 = _server_cpu()
    server = f", PostgreSQL backend {s2 - s1:.0f} s CPU" if s1 is not None and s2 is not None else ""
    print(
        f"re-score  {job.total:,} items: {rescore_s:.0f} s wall, {rescore_cpu:.0f} s CPU in this process{server}; "
        f"{job.total / rescore_s:,.0f} items/s; status {job.status}; labels changed {job.changed:,}"
    )
    total = train_s + rescore_s
    print(f"total     retrain + re-score: {total:.0f} s wall (target 300 s for 10,000 + 1,000,000); {_load()}")
    if s0 is not None and s2 is not None:
        print(f"          PostgreSQL backend CPU over both: {s2 - s0:.0f} s")

    # checks: the daily counts equal a full recount; the events' figures their items'
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT source_id, {day}, sentiment_label, region, count(*) FROM monitoring_item "
            "GROUP BY source_id, 2, sentiment_label, region"
        )
        recount = {(s, str(d), lab, r): n for s, d, lab, r, n in cursor.fetchall()}
    counts = {
        (s, str(d), lab, r): n
        for s, d, lab, r, n in DailyCount.objects.values_list("source_id", "day", "sentiment_label", "region", "n")
    }
    print(f"check     daily counts equal a full recount: {counts == recount} ({len(counts):,} rows)")
    off = 0
    for e in Event.objects.annotate(
        n=Count("items"), neg=Count("items", filter=Q(items__sentiment_label="negative")), pos=Sum("items__sentiment")
    ).only("negative_share", "sentiment"):
        if e.n and (abs(e.negative_share * e.n - e.neg) > 1e-6 * e.n or abs(e.sentiment * e.n - e.pos) > 1e-6 * e.n):
            off += 1
    print(f"check     events whose figures are not their items' (labels as now, 0131): {off} of {EVENTS:,}")

    if not args.reference_items:
        return
    # reference: the classifier alone over the same stored texts (the first --reference-items), in memory
    model = services._rescore_model(job)
    texts = list(Item.objects.order_by("pk").values_list("title", "text")[: args.reference_items])
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), 5000):
        model.predict([sentiment_text(normalize(f"{a} {b}".strip())) for a, b in texts[i : i + 5000]])
    scale = job.total / len(texts)
    ref_s, ref_cpu = (time.perf_counter() - t0) * scale, (time.process_time() - c0) * scale
    print(
        f"reference the classifier alone (normalize + predict) over the first {len(texts):,} of the same texts "
        f"in memory, scaled to {job.total:,}: {ref_s:.0f} s wall, {ref_cpu:.0f} s CPU; "
        f"re-score / reference: {rescore_s / ref_s:.2f}× wall, {rescore_cpu / ref_cpu:.2f}× CPU; {_load()}"
    )


if __name__ == "__main__":
    main()
