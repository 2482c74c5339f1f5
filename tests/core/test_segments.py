"""One segmentation shared by clustering and the sentiment featuriser (decision 0068).

The derived segmentations must be exactly rjieba's, and the pipeline must decide exactly what it
decided when every text was cut twice.
"""

from __future__ import annotations

import csv
import random
import threading
from pathlib import Path

import pytest
import rjieba

from qingting.core.pipeline import SENTIMENT_CHARS, SENTIMENT_TAIL, Pipeline, PipelineConfig
from qingting.core.sentiment import sentiment_text
from qingting.core.text import normalize
from qingting.core.text import segments as segments_module
from qingting.core.text.segments import Segments, cut_slice, segment, shared
from qingting.core.types import Item

MIXED = [
    "柳湾镇停水五天了，iPhone 12 也没法充电……3.5 个小时排队！！#青禾停水# @青禾县水务局 真的太累了 [怒]",
    "abc123好的, test-case_1 & C++ 100% ok.好吧 2026-10-01 08:00",
    "臺灣暴雨成災😀😀，大家注意安全\r\n明天见🙏🏻 ~~~ (｡•́︿•̀｡) 〇一二",
    "荷塘乡荷花节开幕了风景真美推荐大家周末去玩" * 5,
    "the flood closed the road near Liuwan Town; rescue teams are there now.",
    "𠮷野家的牛丼饭很好吃𠮷𠮷，값싸고 맛있어요 ミルクティー",
]


def _texts(shared_data: Path | None) -> list[str]:
    texts = list(MIXED)
    if shared_data is not None:
        path = shared_data / "weibo2018" / "train.txt"
        if path.exists():
            with path.open(encoding="utf-8") as f:
                rows = [r[2] for r in csv.reader(f) if len(r) > 2][:1500]
            texts += rows
            texts += ["".join(rows[i : i + 6]) for i in range(0, 600, 6)]  # letter-length texts
    return texts


@pytest.fixture(scope="module")
def texts() -> list[str]:
    data = Path(__file__).resolve().parents[2].parent / "shared" / "data"
    return _texts(data if data.is_dir() else None)


def test_a_slice_is_cut_as_rjieba_cuts_it(texts: list[str]) -> None:
    rng = random.Random(5)
    for text in texts:
        for raw in (text, normalize(text).match):
            tokens = rjieba.cut(raw, True)
            n = len(raw)
            for a, b in [(0, n), (0, n // 2), (n // 3, n)] + [sorted(rng.sample(range(n + 1), 2)) for _ in range(4)]:
                assert cut_slice(raw, tokens, a, b) == rjieba.cut(raw[a:b], True), (raw, a, b)


def test_primed_sentiment_texts_are_cut_as_rjieba_cuts_them(texts: list[str]) -> None:
    """What the pipeline primes (the matching form; with emoticons and emoji; a long text's opening
    and close joined by a space, as the featuriser reads it) is exactly rjieba's cut."""
    head, tail = SENTIMENT_CHARS - SENTIMENT_TAIL, SENTIMENT_TAIL
    derived = 0
    for text in texts:
        norm = normalize(text)
        match = norm.match
        sent = sentiment_text(norm)
        extra = sent[len(match) + 1 :] if match and sent.startswith(match + " ") and sent != match else ""
        cut = len(sent) > SENTIMENT_CHARS
        key = f"{sent[:head]} {sent[-tail:]}" if cut else sent
        segs = Segments()
        segs.prime(match, key, extra=extra, head=head if cut else 0, tail=tail if cut else 0)
        if match:
            assert segs.cuts[match] == rjieba.cut(match, True)
        if key in segs.cuts:
            derived += key != match
            assert segs.cuts[key] == rjieba.cut(key, True), text
    assert derived >= 3  # emoticons appended and long texts cut were derived, not only copies


def test_segment_answers_from_the_store_only_inside_shared_and_only_in_its_thread() -> None:
    seen: list[bool] = []
    with shared() as segs:
        segs.cuts["柳湾镇停水"] = marker = ["柳湾镇", "停水"]
        assert segment("柳湾镇停水") is marker
        worker = threading.Thread(target=lambda: seen.append(segment("柳湾镇停水") is marker))
        worker.start()
        worker.join()
    assert seen == [False]
    assert segment("柳湾镇停水") is not marker and segment("柳湾镇停水") == rjieba.cut("柳湾镇停水", True)


def test_the_pipeline_decides_the_same_with_one_cut_per_text(texts: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Assignments (events, duplicates, sentiment) and event summaries are the same when nothing is
    shared (every text cut by the featuriser and by clustering, as before)."""
    t0 = 1_780_000_000.0
    items = [Item(f"i{k}", text, time=t0 + 20 * k) for k, text in enumerate(texts * 2)]

    def run() -> tuple[list[object], list[object]]:
        p = Pipeline(PipelineConfig(seed=0))
        out: list[object] = []
        for i in range(0, len(items), 700):
            out.extend(p.partial_fit(items[i : i + 700]).assignments)
        return out, sorted(p.events(), key=lambda e: e.event_id)

    chars = 0
    cut = rjieba.cut

    def counted(text: str, hmm: bool = True) -> list[str]:
        nonlocal chars
        chars += len(text)
        return cut(text, hmm)

    monkeypatch.setattr(segments_module.rjieba, "cut", counted)
    shared_run = run()
    shared_chars, chars = chars, 0
    monkeypatch.setattr(Segments, "prime", lambda self, *a, **k: None)
    assert run() == shared_run
    assert shared_chars < 0.75 * chars  # the featuriser no longer cuts what clustering cuts
