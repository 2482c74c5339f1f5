"""Engine checkpoints against the pickled snapshots they replace: size and time on the same state.

One command:  .venv/bin/python bench/bench_checkpoint.py [--ced N] [--demo-seed S] [--repeat R]

Runs the pipeline over (1) the demo stream of seed S (≈ 4,400 posts, 14 days) and (2) the first
N posts of the CED stream (bench/out/ced.jsonl, made by ../shared/tools/ced_stream.py; repost
parents given), then measures on the final state, median of R runs, one core:

- checkpoint: ``Pipeline.checkpoint()`` and ``Pipeline.from_checkpoint()`` (versioned container,
  JSON + raw little-endian arrays, zlib level 1);
- pickle: what ``snapshot()`` wrote before (``zlib.compress(pickle.dumps(state, 5), 3)``) and
  its ``pickle.loads`` — measured here only as the reference; the product never unpickles.
"""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from _ced import ced_stream, parent_id
from qingting.core.io import Record, to_item
from qingting.core.pipeline import Pipeline, PipelineConfig
from qingting.core.types import Item
from qingting.demo import generate


def demo(seed: int) -> Iterator[Item]:
    for r in generate(seed=seed):
        it = to_item(Record(r["id"], r))
        if isinstance(it, Item):
            yield it


def ced(n: int) -> Iterator[Item]:
    with open(ced_stream(), encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= n:
                break
            r = json.loads(line)
            yield Item(r["id"], r["text"], time=datetime.fromisoformat(r["time"]).timestamp(), parent=parent_id(r))


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def measure(name: str, items: Iterator[Item], repeat: int) -> None:
    p = Pipeline(PipelineConfig())
    batch: list[Item] = []
    n = 0
    for it in items:
        batch.append(it)
        if len(batch) == 2000:
            p.partial_fit(batch)
            n += len(batch)
            batch = []
    if batch:
        p.partial_fit(batch)
        n += len(batch)

    def old_dump() -> bytes:
        state = {k: v for k, v in p.__dict__.items() if k != "_analyzer"}
        return zlib.compress(pickle.dumps(state, protocol=5), 3)

    t_pd, pblob = timed(old_dump, repeat)
    t_pl, _ = timed(lambda: pickle.loads(zlib.decompress(pblob)), repeat)  # reference only
    t_cd, cblob = timed(p.checkpoint, repeat)
    t_cl, q = timed(lambda: Pipeline.from_checkpoint(cblob), repeat)
    assert q.checkpoint() == cblob
    print(
        f"{name}: {n:,} items, {len(p.events_):,} live events, {len(p.deduper_):,} canonical texts, "
        f"{len(p.item_event_):,} items in the window"
    )
    print(f"  pickle (before)   {len(pblob) / 1e6:7.2f} MB   write {t_pd * 1e3:7.1f} ms   read {t_pl * 1e3:7.1f} ms")
    print(f"  checkpoint (now)  {len(cblob) / 1e6:7.2f} MB   write {t_cd * 1e3:7.1f} ms   read {t_cl * 1e3:7.1f} ms")
    print(f"  ratio now/before  size {len(cblob) / len(pblob):.2f}   write {t_cd / t_pd:.2f}   read {t_cl / t_pl:.2f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ced", type=int, default=100_000, help="CED posts (0 skips)")
    ap.add_argument("--demo-seed", type=int, default=11)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(f"python {sys.version.split()[0]}, repeat {args.repeat} (median), default PipelineConfig, batches of 2,000")
    measure(f"demo stream seed {args.demo_seed}", demo(args.demo_seed), args.repeat)
    if args.ced:
        measure(f"CED first {args.ced:,} posts (parents given)", ced(args.ced), args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
