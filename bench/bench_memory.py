"""Whole-process `qingting analyze` against rjieba segmentation of the same texts, and peak memory.

Issue 11, item 6 (bounded memory): the engine's state per document must not grow with the
document's length. Two streams:

- ``--docs N --chars C`` (default 8,000 × ≈600): real review texts from ``../shared/data``
  (sophonplus online shopping, take-away, hotel; ChnSentiCorp; weibo2018), consecutive ones joined
  until a document has ≥ C characters — the letters and articles a county office receives, not 17-character reposts;
- ``--ced N`` (default 200,000): the first N posts of the CED stream (``bench/out/ced.jsonl``), text only.

For each: the time of ``qingting analyze FILE -o /dev/null`` as a separate process (start-up,
reading, engine and writing included) and its peak RSS, against the time rjieba takes to segment
the same texts (``rjieba.cut(text, True)``, the dictionary loaded first) in this process, in the
same run — the machine is shared, so the ratio is what we compare: in wall time, and in CPU time
(the child's user + system time against this process's), which other jobs on the machine disturb
far less. Prints the figures and settings.

    .venv/bin/python bench/bench_memory.py                 # both streams
    .venv/bin/python bench/bench_memory.py --only docs     # the long documents only
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _ced import ced_stream

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "bench" / "out"
REVIEWS = (
    "sophonplus/online_shopping_10_cats.csv",
    "sophonplus/waimai_10k.csv",
    "sophonplus/ChnSentiCorp_htl_all.csv",
    "chnsenticorp/train.tsv",
    "weibo2018/train.txt",
)


def long_documents(n: int, chars: int) -> list[str]:
    """``n`` documents of ≥ ``chars`` characters, each joined from consecutive real reviews."""
    docs: list[str] = []
    parts: list[str] = []
    size = 0
    for name in REVIEWS:
        path = DATA / name
        if not path.exists():
            sys.exit(f"{path} not found: this benchmark needs ../shared/data")
        with path.open(encoding="utf-8-sig", newline="") as f:
            if name.endswith(".tsv"):
                rows = ({"review": r.get("text")} for r in csv.DictReader(f, delimiter="\t"))
            elif name.endswith(".txt"):
                rows = ({"review": r[2] if len(r) > 2 else ""} for r in csv.reader(f))
            else:
                rows = csv.DictReader(f)
            for row in rows:
                text = (row.get("review") or "").strip()
                if not text:
                    continue
                parts.append(text)
                size += len(text)
                if size >= chars:
                    docs.append("\n".join(parts))
                    parts, size = [], 0
                    if len(docs) == n:
                        return docs
    sys.exit(f"only {len(docs)} documents of {chars} characters can be made from {DATA}")


def write_docs(docs: list[str], path: Path) -> None:
    t0 = 1_780_000_000
    with path.open("w", encoding="utf-8") as f:
        for i, text in enumerate(docs):
            f.write(json.dumps({"id": f"d{i}", "text": text, "time": t0 + 60 * i}, ensure_ascii=False) + "\n")


def ced_texts(n: int, path: Path) -> list[str]:
    texts: list[str] = []
    with ced_stream().open("rb") as src, path.open("wb") as dst:
        for line in src:
            if len(texts) == n:
                break
            rec = json.loads(line)
            texts.append(rec.get("text") or "")
            dst.write(line)
    return texts


def segment_seconds(texts: list[str], passes: int = 3) -> tuple[float, float]:
    """Wall and CPU seconds rjieba takes to segment ``texts`` (its dictionary loaded first): the
    least of ``passes`` passes — the reference is short (≈ 1 s), so one pass swings with the load."""
    import rjieba

    rjieba.cut("预热词典", True)  # the dictionary loads once; the engine pays that at start-up too
    best_wall = best_cpu = float("inf")
    for _ in range(passes):
        t, c = time.perf_counter(), time.process_time()
        for text in texts:
            rjieba.cut(text, True)
        best_wall, best_cpu = min(best_wall, time.perf_counter() - t), min(best_cpu, time.process_time() - c)
    return best_wall, best_cpu


def analyze(path: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one ``qingting analyze`` process over ``path``."""
    exe = Path(sys.executable).parent / "qingting"
    t = time.perf_counter()
    proc = subprocess.Popen([str(exe), "analyze", str(path), "-o", os.devnull], stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    err = proc.stderr.read().decode() if proc.stderr else ""
    if status != 0:
        sys.exit(f"qingting analyze failed ({status}): {err}")
    print("   ", err.strip())
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0  # Linux: kilobytes


def measure(label: str, texts: list[str], path: Path, repeat: int) -> None:
    chars = sum(len(t) for t in texts)
    print(f"{label}: {len(texts):,} texts, {chars / max(len(texts), 1):.0f} characters on average, file {path}")
    runs = []
    for r in range(repeat):
        seg, seg_cpu = segment_seconds(texts)
        wall, cpu, rss = analyze(path)
        runs.append((wall, cpu, rss, seg, seg_cpu))
        print(
            f"  run {r + 1}: analyze {wall:.2f} s wall, {cpu:.2f} s CPU, peak RSS {rss:.0f} MB; "
            f"rjieba {seg:.2f} s wall, {seg_cpu:.2f} s CPU (least of 3 passes); "
            f"ratio {wall / seg:.1f}× wall, {cpu / seg_cpu:.1f}× CPU"
        )
    # each side's least time over the runs: the run least disturbed by the rest of the machine
    wall, cpu = min(r[0] for r in runs), min(r[1] for r in runs)
    seg, seg_cpu = min(r[3] for r in runs), min(r[4] for r in runs)
    print(
        f"  least of {repeat}: analyze {cpu:.2f} s CPU / rjieba {seg_cpu:.2f} s CPU = {cpu / seg_cpu:.1f}× "
        f"({wall / seg:.1f}× wall), peak RSS {max(r[2] for r in runs):.0f} MB"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=8000)
    ap.add_argument("--chars", type=int, default=600)
    ap.add_argument("--ced", type=int, default=200_000)
    ap.add_argument("--only", choices=("docs", "ced"))
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"settings: default PipelineConfig, batch 2,000 (qingting analyze); load average {os.getloadavg()[0]:.1f}")
    if args.only in (None, "docs"):
        docs = long_documents(args.docs, args.chars)
        path = OUT / f"long_docs_{args.docs}_{args.chars}.jsonl"
        write_docs(docs, path)
        measure("long documents", docs, path, args.repeat)
    if args.only in (None, "ced"):
        path = OUT / f"ced_{args.ced}.jsonl"
        texts = ced_texts(args.ced, path)
        measure("CED posts (text only, parents not given)", texts, path, args.repeat)
    print(f"this process: peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
