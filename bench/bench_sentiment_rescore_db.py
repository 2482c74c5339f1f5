"""The database side of re-scoring stored items after a retrain (issue 12).

    .venv/bin/python bench/bench_sentiment_rescore_db.py --items 1000000 \
        --database-url postgres://postgres@127.0.0.1:5432/qt_senti_bench [--data ../shared/data]

What the product does when an organisation's new model is activated, timed end to end:

1. ``train_with_labels`` on all 10,000 weibo2018 posts as if they were corrections (wall time);
2. ``services._queue_rescore`` (counts the organisation's items);
3. ``services.rescore_step`` until the job is done — 2,000 items a slice: read the items, score
   them with the new model, write the changed labels and move their daily counts, advance the
   job's progress (what the periodic job ``sentiment.rescore`` runs; progress printed as it goes).

The stored items are weibo2018 texts repeated (with a number appended, so no two are equal),
labelled by the shipped default when stored, spread over 30 days, 6 regions, with their daily
counts; the database named by ``--database-url`` is DROPPED AND RE-CREATED first (only one this
benchmark created: see ``bench_web.BENCH_MARKER``). Without ``--database-url`` an embedded SQLite
database in a temporary directory is used.
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--train-rows", type=int, default=10_000, help="corrections to retrain on (all 10,000)")
    args = ap.parse_args()
    directory = _setup_django(args.data_dir, args.database_url)

    from django.db import connection, transaction

    from qingting.core.sentiment import ThreeClassModel, sentiment_text, train_with_labels
    from qingting.core.text import normalize
    from qingting.web.monitoring.models import Item
    from qingting.web.sentiment import services
    from qingting.web.sentiment.models import ModelVersion, RescoreJob, VersionStatus

    rows = []
    for line in (args.data / "weibo2018" / "train.txt").read_text(encoding="utf-8").splitlines():
        _mid, label, text = line.split(",", 2)
        rows.append((text, int(label)))
    folded = [sentiment_text(normalize(t)) for t, _ in rows]
    stored = [p.label.value for p in ThreeClassModel.default().predict(folded)]

    _user, source, _scheme = _org()
    organisation = services.organisation_of(source.unit)
    rng = random.Random(0)
    end = datetime(2026, 12, 1, tzinfo=UTC)
    regions = ["柳湾镇", "石桥乡", "城关镇", "白鹭镇", "荷塘乡", ""]
    t0 = time.perf_counter()
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
                        sentiment=0.5,
                        sentiment_label=stored[i % len(rows)],
                    )
                    for i in range(offset, min(args.items, offset + step))
                ],
                batch_size=2000,
            )
    # the day in the project's time zone, as services._move_daily computes it
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
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
    load_s = time.perf_counter() - t0
    print(f"command   .venv/bin/python bench/bench_sentiment_rescore_db.py {' '.join(sys.argv[1:])}")
    print(f"settings  {_mode()}; db {directory}")
    print(f"stored    {args.items:,} items (weibo2018 texts repeated) + daily counts in {load_s:.0f} s")

    t0, c0 = time.perf_counter(), time.process_time()
    n_train = min(args.train_rows, len(rows))
    model = train_with_labels(folded[:n_train], [y for _, y in rows[:n_train]], seed=0)
    train_s = time.perf_counter() - t0
    print(f"retrain   {n_train:,} corrections: {train_s:.1f} s wall, {time.process_time() - c0:.1f} s CPU", flush=True)

    t0 = time.perf_counter()
    version = ModelVersion.objects.create(
        organisation=organisation,
        number=1,
        status=VersionStatus.ACTIVE,
        n_corrections=len(rows),
        data=services.model_bytes(model),
    )
    job = services._queue_rescore(organisation, version)
    queue_s = time.perf_counter() - t0
    c0, w0 = time.process_time(), time.perf_counter()
    slices = 0
    while job.status != RescoreJob.Status.DONE:
        job = services.rescore_step(job)
        slices += 1
        if slices % 50 == 0:
            el = time.perf_counter() - w0
            print(
                f"  progress {job.done:,}/{job.total:,} ({job.done / max(job.total, 1):.0%}), "
                f"changed {job.changed:,}, {el:.0f} s",
                flush=True,
            )
    rescore_s = time.perf_counter() - w0
    cpu_s = time.process_time() - c0
    print(f"queue     {queue_s:.1f} s")
    print(
        f"re-score  {job.total:,} items in {slices} slices: {rescore_s:.0f} s wall "
        f"({cpu_s:.0f} s CPU in this process), "
        f"{job.total / rescore_s:,.0f} items/s; labels changed {job.changed:,}"
    )
    total = train_s + queue_s + rescore_s
    print(f"total     retrain + re-score: {total:.0f} s (target 300 s for 10,000 + 1,000,000)")


if __name__ == "__main__":
    main()
