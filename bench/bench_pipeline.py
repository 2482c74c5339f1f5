"""Throughput and peak memory of the full pipeline on the CED Weibo stream, on one core.

    .venv/bin/python bench/bench_pipeline.py [--limit N] [--batch-size 2000] [--stream PATH]

Streams the time-ordered CED posts and reposts with text (≈ 772k, made by
../shared/tools/ced_stream.py and cached in bench/out/ced.jsonl) through
normalise + dedupe + cluster + score + sentiment in batches, reading the file as it goes, and
prints posts/s and MB/s for the pipeline alone and end to end (with JSON parsing), the peak
resident memory, and quality figures of the events against the cascades.
"""

from __future__ import annotations

import argparse
import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")  # one core: no hidden BLAS threads

import platform
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

from _ced import ced_stream, parent_id


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stream", type=Path, default=None, help="JSONL stream (default: CED, made if missing)")
    ap.add_argument("--limit", type=int, default=0, help="stop after N posts (0 = all)")
    ap.add_argument("--batch-size", type=int, default=2000)
    ap.add_argument("--no-parent", action="store_true", help="hide repost parents from the engine")
    a = ap.parse_args()

    from qingting.core import metrics
    from qingting.core.io import items, read_records
    from qingting.core.pipeline import Pipeline, PipelineConfig
    from qingting.core.types import Item

    path = a.stream or ced_stream()
    config = PipelineConfig()
    pipe = Pipeline(config)
    pipe.partial_fit([Item("warm-up", "预热", time=0.0)])  # load the sentiment model outside the clock
    pipe = Pipeline(config)
    pipe.analyzer  # noqa: B018 - load the model before timing

    n = n_bytes = n_dup = n_none = 0
    gold: list[str] = []
    pred: list[str] = []
    t_pipe = 0.0
    t0 = time.perf_counter()
    batch: list[Item] = []
    labels: list[str] = []

    def flush() -> None:
        nonlocal t_pipe, n_dup, n_none
        s = time.perf_counter()
        result = pipe.partial_fit(batch)
        t_pipe += time.perf_counter() - s
        for a_, g in zip(result.assignments, labels, strict=True):
            if a_.duplicate_of is not None:
                n_dup += 1
            if a_.event_id is None:
                n_none += 1
                pred.append("none:" + a_.item_id)
            else:
                pred.append(str(a_.event_id))
            gold.append(g)
        batch.clear()
        labels.clear()

    for rec, it in items(read_records(path)):
        if not isinstance(it, Item):
            print(f"skipped: {it}", file=sys.stderr)
            continue
        assert rec is not None
        if not a.no_parent:
            it = replace(it, parent=parent_id(rec.data))
        batch.append(it)
        labels.append(str(rec.data.get("cluster")))
        n += 1
        n_bytes += len(it.text.encode("utf-8"))
        if len(batch) >= a.batch_size:
            flush()
        if a.limit and n >= a.limit:
            break
    if batch:
        flush()
    total = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    events = pipe.events()
    p, r, f = metrics.bcubed(gold, pred)
    print("benchmark        full pipeline (normalise + dedupe + cluster + score + sentiment), one process")
    print(f"command          {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"data             {path} ({n} posts, {n_bytes / 1e6:.1f} MB of text)")
    print(f"settings         {config} batch_size={a.batch_size} parents={'hidden' if a.no_parent else 'given'}")
    print(f"machine          {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"pipeline only    {n / t_pipe:,.0f} posts/s, {n_bytes / 1e6 / t_pipe:.2f} MB/s ({t_pipe:.1f} s)")
    print(f"end to end       {n / total:,.0f} posts/s incl. reading JSON ({total:.1f} s)")
    print(f"peak memory      {peak_mb:,.0f} MB (max RSS of the whole process)")
    print(f"duplicates       {n_dup} ({n_dup / max(n, 1):.1%}); without event: {n_none}")
    print(f"events           {len(pipe.events_)} live at the end, {len(events)} summaries held")
    print(f"vs cascades      NMI {metrics.nmi(gold, pred):.4f}  B-cubed P/R/F1 {p:.4f}/{r:.4f}/{f:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
