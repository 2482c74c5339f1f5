"""Streaming a large JSONL export through the file connector: items/s and peak memory.

Measures the reader half of ``qingting import`` (mapping, validation, pseudonymisation) — the
platform's storage is measured by the web benchmarks. The file is generated (seeded) in a
temporary directory unless ``--file`` names one; peak RSS must stay flat whatever the size.

    .venv/bin/python bench/bench_sources_import.py [--mb 1000] [--file PATH]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

import orjson

from qingting.sources.files import read_file_items
from qingting.sources.types import FetchedItem


def _generate(path: Path, megabytes: int) -> int:
    rng = random.Random(0)
    chars = "市民反映道路拥堵停车难噪音扰民路灯坏了公交改线政府回应部门处理社区街道学校医院"
    target = megabytes * 1_000_000
    n = 0
    with path.open("wb") as f:
        while f.tell() < target:
            rec = {
                "编号": f"r{n}",
                "内容": "".join(rng.choices(chars, k=rng.randint(40, 400))),
                "发布时间": 1_790_812_800 + n,
                "网名": f"user{rng.randint(0, 50_000)}",
                "点赞": rng.randint(0, 500),
            }
            f.write(orjson.dumps(rec, option=orjson.OPT_APPEND_NEWLINE))
            n += 1
    return n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=1000, help="size of the generated file in MB")
    ap.add_argument("--file", type=Path, default=None, help="an existing JSONL file with the same fields")
    args = ap.parse_args()
    fields = {"id": "编号", "text": "内容", "time": "发布时间", "author": "网名", "engagement": "点赞"}
    with tempfile.TemporaryDirectory() as tmp:
        path = args.file or Path(tmp) / "export.jsonl"
        if args.file is None:
            t = time.perf_counter()
            _generate(path, args.mb)
            print(f"generated {path.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - t:.0f} s")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t0 = time.perf_counter()
        ok = bad = 0
        for obj in read_file_items(path, key=b"bench-key", fields=fields):
            if isinstance(obj, FetchedItem):
                ok += 1
            else:
                bad += 1
        dt = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        size = os.path.getsize(path)
    print("bench_sources_import: stream a JSONL export through the file connector (no storage)")
    print(f"command: .venv/bin/python {' '.join(sys.argv)}")
    print(f"data: {args.file or 'synthetic, seeded'}; {size / 1e6:.0f} MB; mapping {fields}")
    print(f"items: {ok} ok, {bad} errors in {dt:.1f} s = {ok / dt:,.0f} items/s ({size / 1e6 / dt:.1f} MB/s)")
    print(f"peak RSS: {peak:.0f} MB (before reading: {rss_before:.0f} MB); target <= 300 MB: "
          f"{'PASS' if peak <= 300 else 'FAIL'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
