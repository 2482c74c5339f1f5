"""Benchmark of the proofreading assist (三校): detection quality and speed on one core.

Two sets, sentence-level detection (a sentence is flagged when the proofreader reports any typo
or idiom finding in it; precision = flagged sentences that really have an error / flagged):

1. **SIGHAN 2015 CSC test set**, as shipped inside the PyPI wheel of pycorrector 1.1.4
   (``pycorrector/data/sighan2015_test.tsv``: 707 ``source<TAB>target`` pairs, 373 with errors,
   334 without). Get it without installing pycorrector (nothing is downloaded at run time)::

       pip download --no-deps pycorrector==1.1.4 -d bench/out/

2. **Official-writing errors** (hand-written here, small): 46 words and idioms that are often
   misspelt in official documents (再接再厉/再接再励, 部署/布署 …), each put into the same five
   sentence templates of official style, once correct and once misspelt (460 sentences). It is
   ours and it is small: read it as a check that the common cases are caught and the correct
   forms are left alone, not as a published figure.

Speed: sentences per second of CPU time over set 1, with the segmenter the pipeline uses
(rjieba) timed on the same sentences in the same run as the reference.

    .venv/bin/python bench/bench_proofread.py --sighan bench/out/pycorrector-1.1.4-py3-none-any.whl
    .venv/bin/python bench/bench_proofread.py --sighan path/to/sighan2015_test.tsv --threshold 3
"""

from __future__ import annotations

import argparse
import io
import platform
import resource
import sys
import time
import zipfile
from pathlib import Path

from qingting.core.proofread import Proofreader

MEMBER = "pycorrector/data/sighan2015_test.tsv"

# (right, wrong) — frequent slips in official writing
OFFICIAL = [
    ("再接再厉", "再接再励"),
    ("按部就班", "按步就班"),
    ("一筹莫展", "一愁莫展"),
    ("迫不及待", "迫不急待"),
    ("针砭时弊", "针贬时弊"),
    ("振聋发聩", "振聋发馈"),
    ("脍炙人口", "烩炙人口"),
    ("谈笑风生", "谈笑风声"),
    ("变本加厉", "变本加利"),
    ("出谋划策", "出谋化策"),
    ("不胫而走", "不径而走"),
    ("莫衷一是", "莫衷一事"),
    ("部署", "布署"),
    ("贯彻", "贯切"),
    ("精简", "精减"),
    ("辐射", "幅射"),
    ("宣泄", "渲泄"),
    ("松弛", "松驰"),
    ("装潢", "装璜"),
    ("蛰伏", "蜇伏"),
    ("针灸", "针炙"),
    ("寒暄", "寒喧"),
    ("编纂", "编篡"),
    ("膨胀", "膨涨"),
    ("竣工", "峻工"),
    ("惟妙惟肖", "惟妙唯肖"),
    ("声名鹊起", "声名雀起"),
    ("各行其是", "各行其事"),
    ("一张一弛", "一张一驰"),
    ("不落窠臼", "不落巢臼"),
    ("墨守成规", "默守成规"),
    ("陈词滥调", "陈词烂调"),
    ("直截了当", "直接了当"),
    ("明火执仗", "明火执杖"),
    ("甘拜下风", "甘败下风"),
    ("励精图治", "厉精图治"),
    ("事必躬亲", "事必恭亲"),
    ("鞠躬尽瘁", "鞠躬尽粹"),
    ("坚持不懈", "坚持不泄"),
    ("美轮美奂", "美仑美奂"),
    ("全力以赴", "全力以付"),
    ("以身作则", "以身做则"),
    ("如火如荼", "如火如茶"),
    ("言简意赅", "言简意骇"),
    ("众志成城", "众志城城"),
    ("川流不息", "穿流不息"),
]
TEMPLATES = [
    "各级各部门要{}，确保各项工作落到实处。",
    "会议强调，{}是做好当前工作的重要要求。",
    "我县在推进乡村振兴工作中{}，取得了明显成效。",
    "全体干部职工{}，为全年目标任务的完成打下基础。",
    "下一步，我们将{}，持续推动高质量发展。",
]


def load_sighan(path: Path) -> list[tuple[str, str]]:
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as z:
            text = io.TextIOWrapper(z.open(MEMBER), encoding="utf-8").read()
    else:
        text = path.read_text(encoding="utf-8")
    rows = []
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) == 2:
            rows.append((parts[0], parts[1]))
    return rows


def evaluate(checker: Proofreader, rows: list[tuple[str, bool]]) -> dict[str, float]:
    tp = fp = fn = 0
    for sentence, has_error in rows:
        flagged = any(f.kind in ("typo", "idiom") for f in checker.check(sentence))
        if flagged and has_error:
            tp += 1
        elif flagged:
            fp += 1
        elif has_error:
            fn += 1
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "sentences": len(rows),
        "flagged": tp + fp,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "P": precision,
        "R": recall,
        "F1": f1,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sighan", type=Path, default=Path("bench/out/pycorrector-1.1.4-py3-none-any.whl"))
    ap.add_argument("--threshold", type=float, default=3.0)
    args = ap.parse_args()
    if not args.sighan.exists():
        sys.exit(f"{args.sighan}: not found; run: pip download --no-deps pycorrector==1.1.4 -d bench/out/")
    print(f"python {platform.python_version()}, threshold {args.threshold}")

    t0 = time.process_time()
    checker = Proofreader(threshold=args.threshold)
    checker.check("预热")  # loads the dictionary
    print(
        f"load: {time.process_time() - t0:.2f} s CPU, "
        f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )

    sighan = load_sighan(args.sighan)
    rows = [(src, src != tgt) for src, tgt in sighan]
    result = evaluate(checker, rows)
    print(f"SIGHAN 2015 test ({args.sighan.name}): " + _fmt(result))

    official = [(t.format(right), False) for right, _ in OFFICIAL for t in TEMPLATES]
    official += [(t.format(wrong), True) for _, wrong in OFFICIAL for t in TEMPLATES]
    result = evaluate(checker, official)
    print(f"official-writing set ({len(OFFICIAL)} pairs × {len(TEMPLATES)} templates): " + _fmt(result))
    missed = sorted(
        {w for _, w in OFFICIAL if not any(f.kind in ("typo", "idiom") for f in checker.check(TEMPLATES[0].format(w)))}
    )
    print(f"  misspellings not caught in template 1: {' '.join(missed)}")

    sentences = [src for src, _ in sighan]
    import rjieba

    for _ in range(2):  # second round is the one reported: caches warm
        t = time.process_time()
        for s in sentences:
            checker.check(s)
        proof = time.process_time() - t
        t = time.process_time()
        for _ in range(10):
            for s in sentences:
                rjieba.cut(s, False)
        seg = (time.process_time() - t) / 10
    rate = len(sentences) / proof
    print(
        f"speed: {rate:,.0f} sentences/s CPU ({proof / len(sentences) * 1e3:.2f} ms each); "
        f"reference rjieba.cut {len(sentences) / seg:,.0f} sentences/s; ratio {proof / seg:.0f}× the segmenter"
    )


def _fmt(r: dict[str, float]) -> str:
    return (
        f"{r['sentences']} sentences, flagged {r['flagged']} (tp {r['tp']}, fp {r['fp']}, fn {r['fn']}): "
        f"precision {r['P']:.3f}, recall {r['R']:.3f}, F1 {r['F1']:.3f}"
    )


if __name__ == "__main__":
    main()
