"""The sentiment lexicon's reading of real texts: one Aho-Corasick pass against a Python scan.

Decision 0130: ``Lexicon.evidence`` finds its terms with ``ahocorasick_rs`` (leftmost-longest) in
one pass over the text. The reference here is the scan it replaced, in pure Python: at each
position the longest term that starts there (a dict of the term lengths per first character),
then on after it. Both run over the same folded texts in the same process; the benchmark checks
that every ``Evidence`` is the same, field for field, and prints the CPU time of each (least of
``--repeat`` passes).

    .venv/bin/python bench/bench_lexicon.py [--data ../shared/data] [--repeat 3]
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import os
import sys
import time
from pathlib import Path

from qingting.core.sentiment.lexicon import _BOUNDARY, Lexicon, shipped_lexicon
from qingting.core.text import fold

ROOT = Path(__file__).resolve().parent.parent


def read_texts(data: Path) -> dict[str, list[str]]:
    sets: dict[str, list[str]] = {}
    path = data / "weibo2018" / "train.txt"
    with path.open(encoding="utf-8", newline="") as f:
        sets["weibo2018 train.txt"] = [r[2] for r in csv.reader(f) if len(r) >= 3]
    texts: list[str] = []
    for name in ("train.tsv", "validation.tsv"):
        with (data / "chnsenticorp" / name).open(encoding="utf-8", newline="") as f:
            texts.extend(r.get("text") or "" for r in csv.DictReader(f, delimiter="\t"))
    sets["ChnSentiCorp train + validation"] = texts
    for name in ("waimai_10k.csv", "online_shopping_10_cats.csv"):
        with (data / "sophonplus" / name).open(encoding="utf-8-sig", newline="") as f:
            sets[f"sophonplus {name}"] = [r.get("review") or "" for r in csv.DictReader(f)]
    return sets


class PythonScan(Lexicon):
    """The same lexicon and rules, its terms found by the Python scan decision 0130 replaced."""

    def __init__(self, lexicon: Lexicon) -> None:
        super().__init__(lexicon.entries, lexicon.emoticons, lexicon.rules)
        # the automaton's term numbering: the terms without a clause boundary, in lexicon order
        index = {term: i for i, term in enumerate(t for t in self.entries if not _BOUNDARY.search(t))}
        lengths: dict[str, set[int]] = {}
        for term in index:
            lengths.setdefault(term[0], set()).add(len(term))
        self._index = index
        self._lengths = {c: sorted(ls, reverse=True) for c, ls in lengths.items()}

    def _matches(self, text: str) -> list[tuple[int, int, int]]:
        out: list[tuple[int, int, int]] = []
        index, lengths = self._index, self._lengths
        i, n = 0, len(text)
        while i < n:
            step = 1
            for k in lengths.get(text[i], ()):
                if i + k <= n:
                    found = index.get(text[i : i + k])
                    if found is not None:
                        out.append((found, i, i + k))
                        step = k
                        break
            i += step
        return out


def least_cpu(fn: object, texts: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        c = time.process_time()
        for t in texts:
            fn(t)  # type: ignore[operator]
        best = min(best, time.process_time() - c)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if not (args.data / "weibo2018").exists():
        sys.exit(f"{args.data} has no weibo2018: this benchmark needs ../shared/data")
    lexicon = shipped_lexicon()
    scan = PythonScan(lexicon)
    print(
        f"settings: shipped lexicon ({len(lexicon.entries):,} terms), folded texts, CPU time, least of "
        f"{args.repeat} passes, one thread; load average {os.getloadavg()[0]:.1f}"
    )
    print("| texts | n | characters (mean) | differing Evidence | Python scan µs/text | automaton µs/text | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, raw in read_texts(args.data).items():
        texts = [fold(t) for t in raw]
        differing = sum(
            dataclasses.astuple(lexicon.evidence(t)) != dataclasses.astuple(scan.evidence(t)) for t in texts
        )
        slow = least_cpu(scan.evidence, texts, args.repeat)
        fast = least_cpu(lexicon.evidence, texts, args.repeat)
        n = len(texts)
        mean = sum(map(len, texts)) / max(n, 1)
        print(
            f"| {name} | {n:,} | {mean:.0f} | {differing} | {slow / n * 1e6:.1f} | {fast / n * 1e6:.1f} | "
            f"{slow / fast:.2f}× |"
        )


if __name__ == "__main__":
    main()
