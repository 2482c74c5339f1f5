"""Near-duplicate detection: quality on real data, speed, memory, and agreement with datasketch.

    .venv/bin/python bench/bench_dedupe.py [--limit N] [--thresholds 0.5,0.6,0.7,0.8]

1. CED (Chinese Weibo cascades, ``bench/out/ced.jsonl`` from ``../shared/tools/ced_stream.py``, created
   when missing): the stream in time order through one :class:`Deduper`.
   Gold "copies": a repost whose own folded text (``//@…`` chain stripped) nearly equals the text
   of the post it reposts (its parent when the parent has text, else the cascade's original):
   ``difflib.SequenceMatcher`` ratio ≥ 0.8 — an edit-distance measure, independent of the
   deduper's shingles and hashing. Recall = share of gold copies the deduper flags (any canonical;
   also reported: only copies whose source lies inside the window, the best the design can do).
   Precision = share of flagged items whose text nearly equals (same ratio ≥ 0.8) the text of the
   canonical item the deduper names — i.e. "is the claimed duplicate really a copy of it?".
   Plus µs/post (all posts, and posts of 40–80 characters) and peak traced memory.
2. Agreement with datasketch (``MinHash`` + ``MinHashLSH``, same shingles, same num_perm, same
   threshold, same verify-then-insert loop, no window) on the first posts of the stream, and the
   error of both estimators against exact Jaccard on repost/source pairs.
3. LCQMC test pairs (``../shared/data/pairs/LCQMC_test.txt``), label 1 = paraphrase: P/R/F1 per
   threshold. Paraphrase is not duplication: low recall is expected (docs/decisions/0003).
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import gc
import json
import random
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

from _ced import ced_stream
from qingting.core.dedupe import DEFAULT_THRESHOLD, Deduper, evaluate_pairs, read_pairs
from qingting.core.dedupe.evaluate import default_fold
from qingting.core.text import normalize

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
LCQMC = SHARED / "data" / "pairs" / "LCQMC_test.txt"
BATCH = 1000
GOLD_RATIO = 0.8


def load_ced(limit: int | None) -> tuple[list[str], list[str], list[float], list[str], list[str | None]]:
    """ids, folded texts, unix times, cascades, source ids (parent with text, else original)."""
    ids: list[str] = []
    texts: list[str] = []
    times: list[float] = []
    clusters: list[str] = []
    parents: list[str | None] = []
    seen: set[str] = set()
    with open(ced_stream(), encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            # The pipeline's matching form: own content (chain and "转发微博" dropped), URLs,
            # mentions, emoticons and emoji out, folded.
            text = normalize(r["text"]).match
            ids.append(r["id"])
            texts.append(text)
            times.append(dt.datetime.fromisoformat(r["time"]).timestamp())
            clusters.append(r["cluster"])
            if r["kind"] == "original":
                parents.append(None)
            else:
                p = "r" + r["parent"] if r["parent"] else ""
                parents.append(p if p in seen else "o" + r["cluster"])
            seen.add(r["id"])
            if limit and len(ids) >= limit:
                break
    return ids, texts, times, clusters, parents


def near_equal(a: str, b: str) -> bool:
    if not a or not b:
        return False
    if a == b:
        return True
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return sm.real_quick_ratio() >= GOLD_RATIO and sm.quick_ratio() >= GOLD_RATIO and sm.ratio() >= GOLD_RATIO


def run_stream(d: Deduper, ids: list[str], texts: list[str], times: list[float]) -> tuple[list, float]:
    """Feed the stream in batches; return the matches and the CPU seconds spent.

    CPU time of this process, not wall time: the machine is shared, and wall time would count
    the other engineers' jobs too.
    """
    gc.collect()
    t0 = time.process_time()
    out: list = []
    for s in range(0, len(ids), BATCH):
        out += d.add_many(ids[s : s + BATCH], texts[s : s + BATCH], times[s : s + BATCH])
    return out, time.process_time() - t0


def ced_quality(threshold: float, data: tuple, gold: list[bool], in_window: list[bool]) -> dict[str, float]:
    ids, texts, times, clusters, _ = data
    d = Deduper(threshold)
    matches, elapsed = run_stream(d, ids, texts, times)
    index = {}
    for k, i in enumerate(ids):
        index.setdefault(i, k)
    flagged = [m is not None for m in matches]
    n_gold = sum(gold)
    n_gold_w = sum(g and w for g, w in zip(gold, in_window, strict=True))
    tp = sum(f and g for f, g in zip(flagged, gold, strict=True))
    tp_w = sum(f and g and w for f, g, w in zip(flagged, gold, in_window, strict=True))
    signed = [len(t) - 2 >= d.min_shingles for t in texts]  # long enough for near matching
    n_gold_ws = sum(g and w and s for g, w, s in zip(gold, in_window, signed, strict=True))
    tp_ws = sum(f and g and w and s for f, g, w, s in zip(flagged, gold, in_window, signed, strict=True))
    correct = {"exact": 0, "near": 0}
    count = {"exact": 0, "near": 0}
    same_cascade = 0
    for k, m in enumerate(matches):
        if m is None:
            continue
        j = index[m.canonical_id]
        count[m.kind] += 1
        correct[m.kind] += near_equal(texts[k], texts[j])
        same_cascade += clusters[j] == clusters[k]
    n_flag = count["exact"] + count["near"]
    out = {
        "threshold": threshold,
        "us_per_post": elapsed / len(ids) * 1e6,
        "flagged": n_flag,
        "exact": count["exact"],
        "near": count["near"],
        "precision": (correct["exact"] + correct["near"]) / max(n_flag, 1),
        "precision_near": correct["near"] / max(count["near"], 1),
        "recall": tp / max(n_gold, 1),
        "recall_in_window": tp_w / max(n_gold_w, 1),
        "recall_in_window_long": tp_ws / max(n_gold_ws, 1),
        "same_cascade": same_cascade / max(n_flag, 1),
    }
    p, r = out["precision"], out["recall"]
    out["f1"] = 2 * p * r / (p + r) if p + r else 0.0
    return out


def datasketch_agreement(texts: list[str], threshold: float, num_perm: int, n: int) -> None:
    from datasketch import MinHash, MinHashLSH

    sample = texts[:n]
    ours = Deduper(threshold, num_perm=num_perm, window_seconds=float("inf"))
    mine, t_ours = run_stream(ours, [str(i) for i in range(n)], sample, [0.0] * n)
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    sigs: dict[str, MinHash] = {}
    exact: dict[str, str] = {}
    theirs: list[bool] = []
    t0 = time.process_time()
    for i, text in enumerate(sample):
        if not text.strip():
            theirs.append(False)
            continue
        if text in exact:
            theirs.append(True)
            continue
        if len(text) - 2 < ours.min_shingles:  # the same exact-only rule for short texts
            exact[text] = str(i)
            theirs.append(False)
            continue
        m = MinHash(num_perm=num_perm, seed=1)
        m.update_batch([text[j : j + 3].encode("utf-8", "surrogatepass") for j in range(len(text) - 2)])
        hit = any(m.jaccard(sigs[c]) >= threshold for c in lsh.query(m))
        theirs.append(hit)
        if not hit:
            key = str(i)
            lsh.insert(key, m)
            sigs[key] = m
            exact[text] = key
    t_ds = time.process_time() - t0
    ours_flag = [m is not None for m in mine]
    both = sum(a and b for a, b in zip(ours_flag, theirs, strict=True))
    either = sum(a or b for a, b in zip(ours_flag, theirs, strict=True))
    print(f"  first {n} posts, threshold {threshold}, num_perm {num_perm}, no window")
    print(
        f"  flagged: qingting {sum(ours_flag)}, datasketch {sum(theirs)}, both {both}, "
        f"agreement on flagged (both/either) {both / max(either, 1):.3f}, "
        f"same decision {sum(a == b for a, b in zip(ours_flag, theirs, strict=True)) / n:.4f}"
    )
    print(f"  speed: qingting {t_ours / n * 1e6:.1f} µs/post, datasketch {t_ds / n * 1e6:.1f} µs/post")


def estimator_error(data: tuple, num_perm: int, n_pairs: int) -> None:
    from datasketch import MinHash

    ids, texts, _, _, parents = data
    index = {i: k for k, i in enumerate(ids)}
    rng = random.Random(0)

    def shingles(t: str) -> set[str]:
        return {t[i : i + 3] for i in range(len(t) - 2)}

    def jac(a: str, b: str) -> float:
        sa, sb = shingles(a), shingles(b)
        return len(sa & sb) / len(sa | sb)

    low: list[tuple[str, str]] = []
    high: list[tuple[str, str]] = []
    for k, p in enumerate(parents):
        if p is None or p not in index or len(texts[k]) < 10:
            continue
        j = index[p]
        if len(texts[j]) >= 10 and texts[j] != texts[k]:
            (high if jac(texts[j], texts[k]) >= 0.3 else low).append((texts[j], texts[k]))
    # Half the sample from pairs that matter for the threshold (true Jaccard ≥ 0.3), which are rare.
    pairs = rng.sample(high, min(n_pairs // 2, len(high))) + rng.sample(low, min(n_pairs // 2, len(low)))

    true = np.array([len(shingles(a) & shingles(b)) / len(shingles(a) | shingles(b)) for a, b in pairs])
    d = Deduper(num_perm=num_perm)
    sig_a, _ = d._hasher.signatures([a for a, _ in pairs], 1)
    sig_b, _ = d._hasher.signatures([b for _, b in pairs], 1)
    ours = (sig_a == sig_b).mean(axis=1)
    theirs = []
    for a, b in pairs:
        ma, mb = MinHash(num_perm=num_perm, seed=1), MinHash(num_perm=num_perm, seed=1)
        ma.update_batch([s.encode() for s in shingles(a)])
        mb.update_batch([s.encode() for s in shingles(b)])
        theirs.append(ma.jaccard(mb))
    th = np.array(theirs)
    hi = true >= 0.3
    print(
        f"  {len(pairs)} repost/source pairs (both ≥ 10 chars, not identical), num_perm {num_perm}; "
        f"{int(hi.sum())} with true Jaccard ≥ 0.3"
    )
    print(
        f"  mean |estimate − true|: qingting {np.abs(ours - true).mean():.4f} "
        f"(bias {np.mean(ours - true):+.4f}), datasketch {np.abs(th - true).mean():.4f} "
        f"(bias {np.mean(th - true):+.4f})"
    )
    print(
        f"  on pairs with true ≥ 0.3: qingting {np.abs(ours - true)[hi].mean():.4f}, "
        f"datasketch {np.abs(th - true)[hi].mean():.4f}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="only the first N posts of the CED stream")
    ap.add_argument("--thresholds", default="0.5,0.6,0.7,0.8,0.9")
    args = ap.parse_args()
    thresholds = [float(x) for x in args.thresholds.split(",")]
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(
        f"defaults: threshold {DEFAULT_THRESHOLD}, shingle 3, num_perm {Deduper().num_perm}, "
        f"bands×rows {Deduper().bands}×{Deduper().rows}, window 3 days, min_shingles 5, batch {BATCH}"
    )

    # -- 1. CED ----------------------------------------------------------------------------------
    t0 = time.perf_counter()
    data = load_ced(args.limit)
    ids, texts, times, _, parents = data
    print(
        f"\n[1] CED stream {ced_stream()} ({len(ids)} posts with text, mean {np.mean([len(t) for t in texts]):.1f} "
        f"chars after folding; loaded and folded in {time.perf_counter() - t0:.0f} s)"
    )
    index = {}
    for k, i in enumerate(ids):
        index.setdefault(i, k)
    window = Deduper().window_seconds
    gold = []
    in_window = []
    for k, p in enumerate(parents):
        j = index.get(p) if p is not None else None
        gold.append(j is not None and j < k and near_equal(texts[k], texts[j]))
        in_window.append(j is not None and abs(times[k] - times[j]) <= window)
    n_rep = sum(p is not None for p in parents)
    print(
        f"  gold copies: {sum(gold)} of {n_rep} reposts (matching text, //@ chain stripped, "
        f"difflib ratio ≥ {GOLD_RATIO} to its source's text); "
        f"{sum(g and w for g, w in zip(gold, in_window, strict=True))} with the source inside the window"
    )
    print(
        "  threshold  µs/post  flagged   exact    near  precision  prec.near  recall  in-window  in-window≥7ch"
        "  same-cascade     F1"
    )
    for th in thresholds:
        r = ced_quality(th, data, gold, in_window)
        print(
            f"  {th:9.2f} {r['us_per_post']:8.1f} {r['flagged']:8d} {r['exact']:7d} {r['near']:7d} "
            f"{r['precision']:10.3f} {r['precision_near']:10.3f} {r['recall']:7.3f} "
            f"{r['recall_in_window']:10.3f} {r['recall_in_window_long']:14.3f} {r['same_cascade']:13.3f} {r['f1']:6.3f}"
        )

    # Speed on posts of about 60 characters (the length the speed budget is stated for).
    mid = [k for k, t in enumerate(texts) if 40 <= len(t) <= 80]
    _, el = run_stream(Deduper(), [ids[k] for k in mid], [texts[k] for k in mid], [times[k] for k in mid])
    print(
        f"  speed on the {len(mid)} posts of 40–80 chars (mean "
        f"{np.mean([len(texts[k]) for k in mid]):.1f}): {el / len(mid) * 1e6:.1f} µs/post"
    )
    d = Deduper()
    held = 0
    tracemalloc.start()
    for s in range(0, len(ids), BATCH):
        d.add_many(ids[s : s + BATCH], texts[s : s + BATCH], times[s : s + BATCH])
        held = max(held, len(d))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"  peak memory allocated by the deduper over the whole stream (tracemalloc, default settings, "
        f"results discarded per batch): {peak / 2**20:.1f} MiB; most canonical items held at once: {held}"
    )

    # -- 2. datasketch -----------------------------------------------------------------------------
    print("\n[2] agreement with datasketch MinHashLSH (reference, not a dependency)")
    datasketch_agreement(texts, DEFAULT_THRESHOLD, Deduper().num_perm, min(50_000, len(texts)))
    estimator_error(data, Deduper().num_perm, 3000)

    # -- 3. LCQMC ----------------------------------------------------------------------------------
    print(f"\n[3] LCQMC test pairs {LCQMC} (label 1 = same intent/paraphrase)")
    pairs = list(read_pairs(LCQMC))
    exact_pairs = sum(default_fold()(a) == default_fold()(b) for a, b, _ in pairs)
    print(f"  {len(pairs)} pairs, {sum(p[2] for p in pairs)} labeled 1; {exact_pairs} identical after folding")
    print("  threshold  precision  recall     F1   flagged")
    for th in thresholds:
        t0 = time.perf_counter()
        s = evaluate_pairs(pairs, lambda th=th: Deduper(th))
        print(
            f"  {th:9.2f} {s.precision:10.3f} {s.recall:7.3f} {s.f1:6.3f} {s.tp + s.fp:9d}"
            f"   ({time.perf_counter() - t0:.1f} s)"
        )
    print("  Paraphrase is not duplication: a near-duplicate detector is meant to miss most of these")
    print("  (different wording, same meaning). Semantic grouping is the clustering's job; see")
    print("  docs/decisions/0003-duplicates-vs-paraphrase.md.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
