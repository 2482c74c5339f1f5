"""CPU time of the engine alone (``Pipeline.partial_fit``) on the first N posts of the CED stream.

    .venv/bin/python bench/pipeline_cpu.py [--limit 60000] [--no-parent] [--batch-size 2000]

For comparing two versions of the engine on a shared machine: the process's CPU time inside
``partial_fit`` only (reading and parsing excluded), one core, in µs per post. Run the versions
interleaved (the other one's ``src`` first on ``PYTHONPATH``) and compare runs next to each other.
Also prints the items the engine moved between events (``BatchResult.moves``, decision 0128).
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")  # one core: no hidden BLAS threads

import argparse
import time
from dataclasses import replace

from _ced import ced_stream, parent_id


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=60_000)
    ap.add_argument("--batch-size", type=int, default=2000)
    ap.add_argument("--no-parent", action="store_true", help="hide repost parents from the engine")
    a = ap.parse_args()

    import qingting
    from qingting.core.io import items, read_records
    from qingting.core.pipeline import Pipeline
    from qingting.core.types import Item

    data: list[Item] = []
    for rec, it in items(read_records(ced_stream())):
        if isinstance(it, Item) and rec is not None:
            data.append(it if a.no_parent else replace(it, parent=parent_id(rec.data)))
            if len(data) >= a.limit:
                break
    p = Pipeline()
    p.analyzer  # noqa: B018 - load the model outside the clock
    cpu = 0.0
    moved = 0
    for k in range(0, len(data), a.batch_size):
        t0 = time.process_time()
        result = p.partial_fit(data[k : k + a.batch_size])
        cpu += time.process_time() - t0
        moved += sum(len(m.items) for m in getattr(result, "moves", ()))
    mode = "text only" if a.no_parent else "parents given"
    print(
        f"{os.path.dirname(qingting.__file__)}: {len(data):,} CED posts, {mode}: "
        f"partial_fit CPU {cpu:.2f} s = {1e6 * cpu / len(data):.1f} µs/post, items moved {moved}"
    )


if __name__ == "__main__":
    main()
