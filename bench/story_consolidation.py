"""One story, one event: the engine alone on demo streams from seeds the shipped demo does not use.

Issue 11, item 5. For each seed, the FICTIONAL demo stream (``python -m qingting.demo --seed N``)
goes through the engine (:class:`qingting.core.pipeline.Pipeline`, default settings, batches in
stream order, merges and moved items followed as a store follows them); then, for every story of the demo:

- its items' share in its largest event (target ≥ 90 %);
- how many other events hold ≥ 5 of its items (target ≤ 1);
- the purity of its largest event: the share of that event's items that are the story's (distinct
  stories and everyday chatter kept out of it);

and over all events: none of ≥ 20 items has a title with ``#``, a ``[…]`` code or a URL.
The everyday chatter (``background``) is not a story and is only counted for titles.

    .venv/bin/python bench/story_consolidation.py                   # seeds 11, 23, 42
    .venv/bin/python bench/story_consolidation.py --seeds 7 --batch 100 -v
"""

from __future__ import annotations

import argparse
import re
import time
from collections import Counter, defaultdict
from typing import Any

from qingting.core.io import Record, to_item
from qingting.core.pipeline import Pipeline, PipelineConfig
from qingting.core.types import Item
from qingting.demo import generate

BAD_TITLE = re.compile(r"#|\[[^\]]*\]|https?://|www\.", re.IGNORECASE)


def _item(record: dict[str, Any]) -> Item:
    item = to_item(Record(record["id"], record))
    assert isinstance(item, Item), item
    return item


def run(seed: int, batch: int, verbose: bool) -> bool:
    records = generate(seed=seed)
    items = [_item(r) for r in records]
    p = Pipeline(PipelineConfig())
    event_of: dict[str, int | None] = {}
    merged: dict[int, int] = {}
    titles: dict[int, str] = {}
    n_merges = Counter[str]()
    n_moved = 0
    t0 = time.perf_counter()
    for k in range(0, len(items), batch):
        result = p.partial_fit(items[k : k + batch])
        event_of.update((a.item_id, a.event_id) for a in result.assignments)
        for m in result.merges:
            merged[m.absorbed] = m.survivor
            n_merges[m.reason] += 1
        for mv in getattr(result, "moves", ()):  # decision 0128 (older engines have none)
            event_of.update((i, mv.target) for i in mv.items)
            n_moved += len(mv.items)
        titles.update((s.event_id, s.title) for s in result.events if s.merged_into is None)
    elapsed = time.perf_counter() - t0
    titles.update((s.event_id, s.title) for s in p.events() if s.merged_into is None)

    def final(e: int) -> int:
        while e in merged:
            e = merged[e]
        return e

    per_story: dict[str, Counter[int]] = defaultdict(Counter)
    size: Counter[int] = Counter()
    no_event: Counter[str] = Counter()
    for r in records:
        e = event_of[r["id"]]
        if e is None:
            no_event[r["scenario"]] += 1
            continue
        e = final(e)
        size[e] += 1
        per_story[r["scenario"]][e] += 1
    ok = True
    print(
        f"seed {seed}: {len(records):,} items, {len(size)} events, merges {dict(n_merges)}, moved {n_moved}, "
        f"{len(records) / elapsed:,.0f} items/s"
    )
    print(f"  {'story':18} {'items':>6} {'largest':>8} {'others ≥5':>9} {'purity':>7}  largest event's title")
    for story, counts in sorted(per_story.items()):
        if story == "background":
            continue
        n = sum(counts.values())
        (top, k), *rest = counts.most_common()
        share = k / n
        others = sum(1 for _, c in rest if c >= 5)
        good = share >= 0.9 and others <= 1
        ok &= good
        mark = "" if good else "  ← missed"
        purity = k / size[top]
        print(f"  {story:18} {n:6d} {share:8.1%} {others:9d} {purity:7.1%}  {titles.get(top, '?')[:40]}{mark}")
        if verbose:
            for e, c in rest[:6]:
                print(f"      {c:4d} in event {e} ({size[e]} items): {titles.get(e, '?')[:50]}")
    bad = [(e, n, titles.get(e, "")) for e, n in size.items() if n >= 20 and BAD_TITLE.search(titles.get(e, ""))]
    ok &= not bad
    print(f"  events of ≥ 20 items with #, […] or a URL in the title: {len(bad)} {bad[:3] if bad else ''}")
    print(f"  items without an event: {sum(no_event.values())} (content-free or no words)")
    chatter = max((c for e, c in per_story["background"].items()), default=0)
    print(f"  the largest event of everyday chatter: {chatter} chatter items")
    return ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[11, 23, 42])
    ap.add_argument("--batch", type=int, default=500, help="items per partial_fit (default 500)")
    ap.add_argument("-v", "--verbose", action="store_true", help="list each story's other events")
    args = ap.parse_args()
    print(f"settings: PipelineConfig() defaults, batch {args.batch}, demo generate(seed=N) (14 days, scale 1.0)")
    results = [run(seed, args.batch, args.verbose) for seed in args.seeds]
    print("all targets met" if all(results) else "some targets missed")


if __name__ == "__main__":
    main()
