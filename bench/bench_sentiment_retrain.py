"""Retraining from 10,000 corrections and the scoring side of re-scoring 1,000,000 items (issue 12).

    .venv/bin/python bench/bench_sentiment_retrain.py [--data ../shared/data] [--items 100000]

- retraining: ``train_with_labels`` (what ``qingting.web.sentiment.services.retrain`` runs) on all
  10,000 weibo2018 posts as if they were corrections, with the 20,000-item stream the job reads
  (the 10,000 texts and a suffixed copy; decision 0127), wall-clock;
- re-scoring: ``ThreeClassModel.predict`` of that model over ``--items`` posts (weibo2018 texts
  made distinct by a suffix), CPU time of one thread, extrapolated to 1,000,000. The database side
  of re-scoring (reading texts, writing changed labels and daily counts, 2,000 items a slice) is
  not in this figure.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import time
from pathlib import Path

from qingting.core.sentiment import sentiment_text, train_with_labels
from qingting.core.text import normalize

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--items", type=int, default=100_000)
    args = ap.parse_args()
    rows = []
    for line in (args.data / "weibo2018" / "train.txt").read_text(encoding="utf-8").splitlines():
        _mid, label, text = line.split(",", 2)
        rows.append((sentiment_text(normalize(text)), int(label)))
    t0 = time.perf_counter()
    stream = [t for t, _ in rows] + [f"{t} #" for t, _ in rows]  # SELF_TRAIN_MAX items, as the job reads
    model = train_with_labels([t for t, _ in rows], [y for _, y in rows], seed=0, stream=stream)
    train_s = time.perf_counter() - t0
    texts = [f"{rows[i % len(rows)][0]} {i}" for i in range(args.items)]
    c0 = time.process_time()
    for start in range(0, len(texts), 2000):
        model.predict(texts[start : start + 2000])
    score_s = time.process_time() - c0
    rate = len(texts) / score_s
    print(f"retrain on {len(rows):,} corrections: {train_s:.1f} s (wall)")
    print(f"score {len(texts):,} items: {score_s:.1f} s CPU = {rate:,.0f} items/s → 1,000,000 in {1e6 / rate:.0f} s")
    print(f"total for 10,000 + 1,000,000 (scoring side): {train_s + 1e6 / rate:.0f} s (target 300 s)")


if __name__ == "__main__":
    main()
