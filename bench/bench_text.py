"""Benchmark of core text processing: normalize, detect_language and tokenize per post.

Reads a JSONL stream of posts (default: the CED stream made by
``python3 ../shared/tools/ced_stream.py``, kept in ``bench/out/ced.jsonl``), runs each stage on every post's text
on one core, and prints posts/s and µs/post per stage and for the three together (CPU time of
this process, so that other load on a shared machine disturbs the figures less).

    .venv/bin/python bench/bench_text.py [--input bench/out/ced.jsonl] [--limit N] [--field text]
    .venv/bin/python bench/bench_text.py --input ../shared/data/weibo2018/train.txt
    .venv/bin/python bench/bench_text.py --segmenters --limit 50000   # jieba vs rjieba
    .venv/bin/python bench/bench_text.py --scripts --input ../shared/data/weibo2018/train.txt

An input that is not ``.jsonl`` is read as ``id,label,text`` lines (the weibo2018 layout).
With ``--segmenters`` it also times jieba and rjieba on the same matching-form texts (HMM on and
off) and reports their token agreement (boundary F1, share of identical segmentations). With
``--scripts`` it converts every post to Traditional (OpenCC s2t, s2tw, s2hk) and reports the share
of posts whose matching form differs from the original's: script folding should make it ~0.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import platform
import sys
import time
from collections import Counter
from pathlib import Path

from _ced import ced_stream
from qingting.core.text import MAX_MATCH_CHARS, detect_language, normalize, tokenize


def _load(path: Path, field: str, limit: int | None) -> list[str]:
    texts: list[str] = []
    with path.open(encoding="utf-8") as handle:
        for line in itertools.islice(handle, limit):
            # JSONL, or "id,label,text" lines (weibo2018), whose text may itself hold commas.
            jsonl = path.suffix == ".jsonl"
            value = json.loads(line).get(field) if jsonl else line.rstrip("\n").split(",", 2)[-1]
            if isinstance(value, str):
                texts.append(value)
    return texts


def _spans(tokens: list[str]) -> set[tuple[int, int]]:
    spans: set[tuple[int, int]] = set()
    start = 0
    for tok in tokens:
        spans.add((start, start + len(tok)))
        start += len(tok)
    return spans


def _script_folding(texts: list[str]) -> None:
    """Share of posts whose Traditional conversions get another matching form than the original."""
    import opencc

    print(f"script folding on {len(texts):,} posts: share whose Traditional form has another match")
    for config in ("s2t", "s2tw", "s2hk"):
        converter = opencc.OpenCC(config)
        differ = sum(normalize(converter.convert(text)).match != normalize(text).match for text in texts)
        print(f"  OpenCC {config:<5} {differ / max(len(texts), 1):>7.2%} ({differ:,} posts)")


def _compare_segmenters(texts: list[str]) -> None:
    """Time jieba and rjieba on the same texts; report their agreement."""
    import logging

    import jieba  # a dev dependency, only needed for this comparison
    import rjieba

    jieba.setLogLevel(logging.WARNING)
    t = time.process_time()
    jieba.initialize()
    print(f"segmenters on {len(texts):,} matching-form texts (jieba dictionary load {time.process_time() - t:.2f} s)")
    chars = sum(map(len, texts))
    cuts: dict[str, list[list[str]]] = {}
    for name, cut in (
        ("rjieba HMM on", lambda s: rjieba.cut(s, True)),
        ("rjieba HMM off", lambda s: rjieba.cut(s, False)),
        ("jieba HMM on", lambda s: jieba.lcut(s, HMM=True)),
        ("jieba HMM off", lambda s: jieba.lcut(s, HMM=False)),
    ):
        t = time.process_time()
        cuts[name] = [cut(text) for text in texts]
        dt = time.process_time() - t
        print(f"  {name:<16} {dt / len(texts) * 1e6:>8.2f} µs/post {chars / dt / 1e6:>6.2f} M chars/s")
    for hmm in ("on", "off"):
        a, b = cuts[f"rjieba HMM {hmm}"], cuts[f"jieba HMM {hmm}"]
        tp = fa = fb = same = 0
        for x, y in zip(a, b, strict=True):
            sx, sy = _spans(x), _spans(y)
            tp += len(sx & sy)
            fa += len(sx)
            fb += len(sy)
            same += sx == sy
        f1 = 2 * tp / max(fa + fb, 1)
        print(f"  agreement HMM {hmm:<3}  token boundary F1 {f1:.4f}, identical posts {same / len(texts):.2%}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=None, help="default: bench/out/ced.jsonl, made if missing")
    parser.add_argument("--field", default="text")
    parser.add_argument("--limit", type=int, default=None, help="first N posts only (default: all)")
    parser.add_argument("--segmenters", action="store_true", help="also compare jieba and rjieba")
    parser.add_argument("--scripts", action="store_true", help="also measure Traditional/Simplified folding")
    args = parser.parse_args(argv)
    args.input = args.input or ced_stream()
    if not args.input.is_file():
        print(
            f"input not found: {args.input}; make it with `python3 ../shared/tools/ced_stream.py > FILE`",
            file=sys.stderr,
        )
        return 0
    texts = _load(args.input, args.field, args.limit)
    n = len(texts)
    chars = sum(map(len, texts))
    # Warm up lazily built state (OpenCC, rjieba dictionary, lingua) outside the timings.
    for text in [*texts[:200], "Aujourd'hui il pleut beaucoup à Paris"]:
        tokenize(normalize(text).match, detect_language(text))

    gc.disable()
    t0 = time.process_time()
    normed = [normalize(text) for text in texts]
    t1 = time.process_time()
    langs = [detect_language(item.match) for item in normed]
    t2 = time.process_time()
    tokens = [tokenize(item.match, lang) for item, lang in zip(normed, langs, strict=True)]
    t3 = time.process_time()
    gc.enable()

    def line(stage: str, seconds: float) -> str:
        return f"  {stage:<22} {n / seconds:>12,.0f} posts/s {seconds / n * 1e6:>8.2f} µs/post"

    print("bench_text — core text processing, one core")
    python = Path(sys.executable)
    if python.is_relative_to(Path.cwd()):
        python = python.relative_to(Path.cwd())
    print(f"command:  {' '.join([str(python), *sys.argv])}")
    print(f"data:     {args.input} (field {args.field!r}, limit {args.limit})")
    print(f"posts:    {n:,}  mean length {chars / max(n, 1):.1f} chars  ({chars / 1e6:.1f} M chars)")
    print(f"settings: MAX_MATCH_CHARS={MAX_MATCH_CHARS}, segmenter rjieba HMM on, stopwords on")
    print(f"python:   {platform.python_version()} on {platform.machine()}")
    print(line("normalize", t1 - t0))
    print(line("detect_language", t2 - t1))
    print(line("tokenize", t3 - t2))
    print(line("all three", t3 - t0))
    total = t3 - t0
    print(f"  throughput             {chars / total / 1e6:.2f} M chars/s")
    reposts = sum(item.is_repost for item in normed)
    empty = sum(not item.match for item in normed)
    print(
        f"reposts: {reposts:,} ({reposts / max(n, 1):.1%}); empty match: {empty:,} ({empty / max(n, 1):.1%});"
        f" tokens/post {sum(map(len, tokens)) / max(n, 1):.1f}"
    )
    print("languages:", ", ".join(f"{k} {v:,}" for k, v in Counter(langs).most_common(8)))
    if args.scripts:
        _script_folding(texts)
    if args.segmenters:
        del tokens
        _compare_segmenters([item.match for item in normed if item.match])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
