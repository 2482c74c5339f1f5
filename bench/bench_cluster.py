"""Online event clustering quality and speed on real streams.

One command:  .venv/bin/python bench/bench_cluster.py [--sweep] [--ced N] [--threshold T] ...

- MStream Tweets (../shared/data/mstream/Tweets.jsonl, stream order, tokens = text.split(), every
  item at the same time): NMI, homogeneity, completeness, B-cubed P/R/F1, clusters, items/s, memory.
  Labels are scored twice: as ``add`` first gave them ("online"), and resolved through later
  merges ("final", what the pipeline shows after re-pointing items of a merged event).
- ``--sweep``: NMI across thresholds, merge thresholds and decay; other stream orders; the
  split-half check (choose the threshold on the first half of the stream, report the second half
  run on its own); a topic-split check (topics shuffled with a fixed seed into two disjoint halves,
  each run as its own stream).
- ``--ced N``: the first N posts of the CED stream (bench/out/ced.jsonl from
  ``python3 ../shared/tools/ced_stream.py``; ``--ced 1000000`` takes the whole stream, ≈ 4 min),
  tokenised with ``qingting.core.text``
  (``normalize(text).match`` then ``tokenize(..., "zh")``), real timestamps; cascades are the gold
  events. Items without tokens (e.g. bare "转发微博" reposts, which the pipeline routes by parent)
  get no event and are excluded from the quality figures; their count is printed. N=0 skips it.

Speed is CPU time of the ``add`` loop only (tokenising excluded), on one core.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from _ced import ced_stream
from qingting.core import checkpoint
from qingting.core.cluster import ClusterHit, OnlineClusterer
from qingting.core.metrics import bcubed, completeness, homogeneity, nmi

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
TWEETS = DATA / "mstream" / "Tweets.jsonl"
PEAKS = [0, 0]  # most live events and most indexed terms seen by the last run(), every 10,000 items


def load_tweets(path: Path) -> tuple[list[list[str]], list[int]]:
    docs: list[list[str]] = []
    gold: list[int] = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            docs.append(r["textCleaned"].split())
            gold.append(int(r["clusterNo"]))
    return docs, gold


def load_ced(path: Path, n: int) -> tuple[list[list[str]], list[float], list[str]]:
    from qingting.core.text import normalize, tokenize

    docs: list[list[str]] = []
    times: list[float] = []
    gold: list[str] = []
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= n:
                break
            r = json.loads(line)
            docs.append(tokenize(normalize(r["text"]).match, "zh"))
            times.append(datetime.fromisoformat(r["time"]).timestamp())
            gold.append(str(r["cluster"]))
    return docs, times, gold


def run(
    docs: Sequence[Sequence[str]], times: Sequence[float] | None, params: dict[str, Any]
) -> tuple[list[int | None], list[int | None], float, OnlineClusterer]:
    """One pass; returns (online labels, labels resolved through merges, CPU seconds, clusterer)."""
    c = OnlineClusterer(**params)
    add = c.add
    stamps = [0.0] * len(docs) if times is None else times
    hits: list[ClusterHit] = []
    cpu = 0.0
    PEAKS[:] = [0, 0]
    # Chunks of 10,000 items: between chunks (outside the timed part) record the peak live state.
    for start in range(0, len(docs), 10_000):
        chunk = zip(docs[start : start + 10_000], stamps[start : start + 10_000], strict=True)
        started = time.process_time()
        hits += [add(d, t) for d, t in chunk]
        cpu += time.process_time() - started
        PEAKS[0] = max(PEAKS[0], c.n_events_)
        PEAKS[1] = max(PEAKS[1], len(c.postings_))
    # Follow every merge the hits reported, also for survivors that retired since.
    alias: dict[int, int] = {}
    for h in hits:
        for m in h.merged:
            if h.event_id is not None:
                alias[m] = h.event_id
    raw = [h.event_id for h in hits]
    final: list[int | None] = []
    for e in raw:
        while e is not None and e in alias:
            e = alias[e]
        final.append(e)
    return raw, final, cpu, c


def scores(gold: Sequence[object], pred: Sequence[object]) -> dict[str, float]:
    p, r, f = bcubed(gold, pred)
    return {
        "nmi": nmi(gold, pred),
        "homogeneity": homogeneity(gold, pred),
        "completeness": completeness(gold, pred),
        "bcubed_p": p,
        "bcubed_r": r,
        "bcubed_f1": f,
        "clusters": float(len(set(pred))),
    }


def line(name: str, s: dict[str, float]) -> str:
    return (
        f"{name:<10} NMI {s['nmi']:.4f}  H {s['homogeneity']:.4f}  C {s['completeness']:.4f}  "
        f"B3 P/R/F1 {s['bcubed_p']:.4f}/{s['bcubed_r']:.4f}/{s['bcubed_f1']:.4f}  clusters {int(s['clusters'])}"
    )


def report(
    title: str,
    gold: Sequence[object],
    raw: list[int | None],
    final: list[int | None],
    cpu: float,
    c: OnlineClusterer,
    n_items: int,
) -> None:
    keep = [i for i, e in enumerate(raw) if e is not None]
    g = [gold[i] for i in keep]
    print(f"\n== {title}")
    print(f"items {n_items}, with tokens {len(keep)} (items without tokens get no event; excluded below)")
    print(line("online", scores(g, [raw[i] for i in keep])))
    print(line("final", scores(g, [final[i] for i in keep])))
    print(
        f"speed      {n_items / cpu:,.0f} items/s ({cpu / n_items * 1e6:.1f} µs/item CPU, add loop only)  "
        f"merges {c.n_merges_}  retired {c.n_retired_}  live events {c.n_events_}  "
        f"indexed terms {len(c.postings_)}  "
        f"state {len(checkpoint.dump(c.to_state(), version=1)) / 1e6:.1f} MB as a checkpoint"
    )
    print(f"bounded    at most {PEAKS[0]} live events and {PEAKS[1]} indexed terms at any 10,000-item mark")


def sweep(docs: list[list[str]], gold: list[int], base: dict[str, Any]) -> None:
    thresholds = [0.06, 0.08, 0.10, 0.12, 0.14, 0.16, 0.20, 0.25, 0.30]
    half = len(docs) // 2
    print("\n== threshold sweep on Tweets (final labels): whole stream | first half alone | second half alone")
    for merge in (base["merge_threshold"], None):
        print(f"merge_threshold={merge}")
        best_first = (-1.0, 0.0)
        rows = []
        for t in thresholds:
            p = dict(base, threshold=t, merge_threshold=merge)
            _, whole, _, _ = run(docs, None, p)
            _, first, _, _ = run(docs[:half], None, p)
            _, second, _, _ = run(docs[half:], None, p)
            s1 = nmi(gold[:half], first)
            s2 = nmi(gold[half:], second)
            rows.append((t, s2))
            best_first = max(best_first, (s1, t))
            print(f"  threshold {t:.2f}: NMI {nmi(gold, whole):.4f} | {s1:.4f} | {s2:.4f}  clusters {len(set(whole))}")
        chosen = best_first[1]
        print(
            f"  split-half: threshold chosen on the first half = {chosen:.2f} -> second half NMI "
            f"{dict(rows)[chosen]:.4f}; default {base['threshold']:.2f} -> "
            f"{dict(rows).get(base['threshold'], float('nan')):.4f}"
        )
    print("\n== decay_items sweep (final labels, whole stream)")
    for d in (1000.0, 2000.0, 5000.0, 10000.0, 20000.0, 1e9):
        _, whole, _, _ = run(docs, None, dict(base, decay_items=d))
        print(f"  decay_items {d:>12,.0f}: NMI {nmi(gold, whole):.4f}  clusters {len(set(whole))}")
    print("\n== other stream orders (final labels, defaults): shuffled at random (seed 0) | sorted by topic")
    order = list(range(len(docs)))
    random.Random(0).shuffle(order)
    by_topic = sorted(range(len(docs)), key=lambda i: gold[i])  # stable: stream order within a topic
    cells = []
    for idx in (order, by_topic):
        _, fin, _, _ = run([docs[i] for i in idx], None, base)
        cells.append(f"{nmi([gold[i] for i in idx], fin):.4f}")
    print("  " + " | ".join(cells))
    print("\n== topic split: topics shuffled (seed 0) into two disjoint halves, each its own stream")
    topics = sorted(set(gold))
    random.Random(0).shuffle(topics)
    halves = (set(topics[: len(topics) // 2]), set(topics[len(topics) // 2 :]))
    for k, chosen_topics in enumerate(halves, 1):
        idx = [i for i, g in enumerate(gold) if g in chosen_topics]
        sub = [docs[i] for i in idx]
        g = [gold[i] for i in idx]
        cells = []
        for t in (0.08, 0.10, 0.14, 0.20, 0.25):
            _, fin, _, _ = run(sub, None, dict(base, threshold=t))
            cells.append(f"{t:.2f}: {nmi(g, fin):.4f}")
        print(f"  topic half {k} ({len(idx)} tweets, {len(chosen_topics)} topics)  " + "  ".join(cells))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tweets", type=Path, default=TWEETS)
    ap.add_argument("--ced", type=int, default=100_000, help="first N CED posts (0: skip)")
    ap.add_argument("--ced-path", type=Path, default=None, help="default: bench/out/ced.jsonl, made if missing")
    ap.add_argument("--sweep", action="store_true", help="threshold / merge / decay sweeps and split checks")
    ap.add_argument("--threshold", type=float, default=None)
    ap.add_argument("--merge-threshold", type=float, default=None)
    ap.add_argument("--no-merge", action="store_true")
    ap.add_argument("--decay-seconds", type=float, default=None)
    ap.add_argument("--no-decay-seconds", action="store_true", help="decay in stream position only")
    args = ap.parse_args(argv)

    params: dict[str, Any] = {}
    if args.threshold is not None:
        params["threshold"] = args.threshold
    if args.merge_threshold is not None:
        params["merge_threshold"] = args.merge_threshold
    if args.no_merge:
        params["merge_threshold"] = None
    if args.decay_seconds is not None:
        params["decay_seconds"] = args.decay_seconds
    if args.no_decay_seconds:
        params["decay_seconds"] = None
    defaults = OnlineClusterer(**params)
    settings = {
        k: getattr(defaults, k)
        for k in (
            "threshold",
            "merge_threshold",
            "decay_items",
            "decay_seconds",
            "window_seconds",
            "window_items",
            "young_size",
            "max_scan",
            "max_terms",
            "seed",
        )
    }
    print("command:  .venv/bin/python bench/bench_cluster.py " + " ".join(argv if argv is not None else sys.argv[1:]))
    print(f"settings: {settings}")

    if args.tweets.is_file():
        docs, gold = load_tweets(args.tweets)
        raw, final, cpu, c = run(docs, None, params)
        report(
            f"MStream Tweets: {args.tweets} (stream order, one pass, all items at time 0)",
            gold,
            raw,
            final,
            cpu,
            c,
            len(docs),
        )
        if args.sweep:
            sweep(docs, gold, settings | params)
    else:
        print(f"skipped: {args.tweets} not found")

    if args.ced > 0:
        args.ced_path = args.ced_path or ced_stream()
        if args.ced_path.is_file():
            t0 = time.perf_counter()
            cdocs, ctimes, cgold = load_ced(args.ced_path, args.ced)
            print(f"\n(tokenised {len(cdocs)} CED posts in {time.perf_counter() - t0:.1f} s)")
            raw, final, cpu, c = run(cdocs, ctimes, params)
            report(
                f"CED: first {len(cdocs)} posts of {args.ced_path} (time order, real timestamps)",
                cgold,
                raw,
                final,
                cpu,
                c,
                len(cdocs),
            )
        else:
            print(f"skipped CED: {args.ced_path} missing (python3 ../shared/tools/ced_stream.py > {args.ced_path})")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory (RSS of this process, data and tokens included): {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
