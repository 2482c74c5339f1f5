"""Early-warning benchmark: replay the CED Weibo cascades as one stream through a match-all scheme.

    .venv/bin/python bench/bench_warnings.py [--input bench/out/ced.jsonl] [--limit N]

The stream is made by ``python3 ../shared/tools/ced_stream.py > bench/out/ced.jsonl`` (a cascade is
one ``cluster``). Repost parents in that file are raw Weibo mids: item ids are ``r<mid>`` and a
cascade's original is ``o<cluster>`` (an empty parent means the original), so parents are mapped
here before the pipeline sees them.

Prints, for cascades that grow past 500 posts: how many were warned, the lead time from the first
post to the first warning and the share of the final volume seen by then; warnings per day on
quiet periods; and the wall time from the batch holding the crossing item arriving to the warning.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import orjson

from _ced import ced_stream, parent_id
from qingting.core.io import parse_time
from qingting.core.pipeline import PipelineConfig
from qingting.core.rules import compile_expression
from qingting.core.types import Item
from qingting.core.warnings import Tier, WarningPolicy
from qingting.core.warnings.replay import ReplayStats, format_summary, replay, summarize


def ced_items(path: Path, limit: int | None) -> Iterator[tuple[Item, str | None]]:
    with path.open("rb") as f:
        for n, line in enumerate(f):
            if limit is not None and n >= limit:
                return
            d = orjson.loads(line)
            cluster = str(d["cluster"])
            item = Item(
                id=str(d["id"]),
                text=d.get("text") or "",
                time=parse_time(d["time"]),
                source=str(d.get("source") or ""),
                parent=parent_id(d),
            )
            yield item, cluster


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", type=Path, default=None)
    ap.add_argument("--limit", type=int, default=None, help="first N posts only (quick runs)")
    ap.add_argument("--scheme", default="*")
    ap.add_argument("--batch-seconds", type=float, default=60.0)
    ap.add_argument("--big", type=int, default=500)
    ap.add_argument("--show", type=int, default=5, help="print the first N warnings")
    args = ap.parse_args()
    path = args.input or ced_stream()
    policy = WarningPolicy()
    config = PipelineConfig(bucket_seconds=policy.bucket_seconds)
    stats = ReplayStats()
    raised = []
    tiers: dict[str, int] = {}
    for r in replay(
        ced_items(path, args.limit),
        matcher=compile_expression(args.scheme),
        policy=policy,
        config=config,
        batch_seconds=args.batch_seconds,
        stats=stats,
    ):
        raised.append(r)
        tiers[r.warning.tier.name] = tiers.get(r.warning.tier.name, 0) + 1
        if len(raised) <= args.show:
            w = r.warning
            when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(w.created_at + 8 * 3600))
            print(f"  {when} {w.tier.label_zh} {w.title[:30]!r}: {w.reason_zh}")
    summary = summarize(raised, stats, big=args.big)
    print(f"data: {path} (limit {args.limit}); scheme {args.scheme!r}")
    print(
        f"settings: window {policy.window_seconds:.0f} s, bucket {policy.bucket_seconds:.0f} s, "
        f"batch ≤ {args.batch_seconds:.0f} s of stream time, cooldown {policy.cooldown_seconds:.0f} s, default rules"
    )
    print("command: .venv/bin/python bench/bench_warnings.py " + " ".join(sys.argv[1:]))
    print("warnings by tier: " + ", ".join(f"{t.name} {tiers.get(t.name, 0)}" for t in reversed(Tier)))
    for line in format_summary(summary, stats):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
