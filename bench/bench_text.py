"""Benchmark of core text processing: normalize, detect_language and tokenize per post.

Reads a JSONL stream of posts (default: the CED stream made by
``python3 ../shared/tools/ced_stream.py > /tmp/ced.jsonl``), runs each stage on every post's text
on one core, and prints posts/s and µs/post per stage and for the three together.

    .venv/bin/python bench/bench_text.py [--input /tmp/ced.jsonl] [--limit N] [--field text]
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

from qingting.core.text import MAX_MATCH_CHARS, detect_language, normalize, tokenize


def _load(path: Path, field: str, limit: int | None) -> list[str]:
    texts: list[str] = []
    with path.open(encoding="utf-8") as handle:
        for line in itertools.islice(handle, limit):
            value = json.loads(line).get(field)
            if isinstance(value, str):
                texts.append(value)
    return texts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=Path("/tmp/ced.jsonl"))
    parser.add_argument("--field", default="text")
    parser.add_argument("--limit", type=int, default=None, help="first N posts only (default: all)")
    args = parser.parse_args(argv)
    if not args.input.is_file():
        print(
            f"input not found: {args.input}; make it with `python3 ../shared/tools/ced_stream.py > /tmp/ced.jsonl`",
            file=sys.stderr,
        )
        return 0
    texts = _load(args.input, args.field, args.limit)
    n = len(texts)
    chars = sum(map(len, texts))
    # Warm up lazily built state (OpenCC, rjieba dictionary, lingua) outside the timings.
    for text in texts[:200]:
        tokenize(normalize(text).match, detect_language(text))

    gc.disable()
    t0 = time.perf_counter()
    normed = [normalize(text) for text in texts]
    t1 = time.perf_counter()
    langs = [detect_language(item.match) for item in normed]
    t2 = time.perf_counter()
    tokens = [tokenize(item.match, lang) for item, lang in zip(normed, langs, strict=True)]
    t3 = time.perf_counter()
    gc.enable()

    def line(stage: str, seconds: float) -> str:
        return f"  {stage:<22} {n / seconds:>12,.0f} posts/s {seconds / n * 1e6:>8.2f} µs/post"

    print("bench_text — core text processing, one core")
    print(f"command:  {' '.join([Path(sys.executable).name, *sys.argv])}")
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
