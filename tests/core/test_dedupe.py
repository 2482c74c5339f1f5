"""Near-duplicate detection: what a user of the stream would notice."""

from __future__ import annotations

import math
import pickle
import random

import opencc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qingting.core.dedupe import Deduper, DuplicateMatch, PairScores, evaluate_pairs, read_pairs
from qingting.core.dedupe.evaluate import default_fold

DAY = 24 * 3600.0

NEWS = "市交通局今天宣布地铁二号线将从下周一起延长运营时间至午夜十二点"
NEWS_EDITED = "市交通局今天宣布地铁二号线将从下周一起延长运营时间至午夜十二点！！转发"
OTHER = "本周末全市中小学将组织防溺水安全教育活动，请家长配合学校做好监护"


def test_first_item_is_canonical_and_a_copy_is_an_exact_duplicate_of_it() -> None:
    d = Deduper()
    assert d.add("a", NEWS, 0.0) is None
    assert d.add("b", NEWS, 10.0) == DuplicateMatch("a", "exact", 1.0)


def test_an_edited_copy_is_a_near_duplicate_with_a_similarity_below_one() -> None:
    d = Deduper()
    d.add("a", NEWS, 0.0)
    match = d.add("b", NEWS_EDITED, 10.0)
    assert match is not None
    assert match.canonical_id == "a"
    assert match.kind == "near"
    assert d.threshold <= match.similarity < 1.0


def test_unrelated_text_is_not_a_duplicate() -> None:
    d = Deduper()
    d.add("a", NEWS, 0.0)
    assert d.add("b", OTHER, 10.0) is None
    # ... and it became a canonical of its own.
    assert d.add("c", OTHER, 20.0) == DuplicateMatch("b", "exact", 1.0)


def test_chains_collapse_to_the_first_seen_root() -> None:
    d = Deduper()
    d.add("root", NEWS, 0.0)
    near = d.add("near", NEWS_EDITED, 1.0)
    assert near is not None and (near.canonical_id, near.kind) == ("root", "near")
    # A copy of the near duplicate points at the root, with the near duplicate's own answer.
    assert d.add("copy-of-near", NEWS_EDITED, 2.0) == near
    # A copy of the root is still an exact duplicate of the root.
    assert d.add("copy-of-root", NEWS, 3.0) == DuplicateMatch("root", "exact", 1.0)


def test_the_most_similar_canonical_wins() -> None:
    # A and B share a long prefix (Jaccard 0.43, below the threshold: both are canonical); a
    # text between them is near both (0.69 vs 0.59, then 0.56 vs 0.72) and goes to the closer.
    prefix = "市交通局今天宣布地铁二号线将从下周一起延长运营时间至午夜"
    tail_a, tail_b = "请广大市民合理安排出行计划注意安全", "沿线各站的公交接驳也会同步调整班次"
    d = Deduper(threshold=0.55, num_perm=256)
    assert d.add("A", prefix + tail_a, 0.0) is None
    assert d.add("B", prefix + tail_b, 1.0) is None
    closer_to_a = d.add("q1", prefix + tail_b[:6] + tail_a[6:], 2.0)
    closer_to_b = d.add("q2", prefix + tail_b[:10] + tail_a[10:], 3.0)
    assert closer_to_a is not None and closer_to_a.canonical_id == "A"
    assert closer_to_b is not None and closer_to_b.canonical_id == "B"


def test_items_older_than_the_window_are_forgotten() -> None:
    d = Deduper(window_seconds=DAY)
    d.add("a", NEWS, 0.0)
    assert d.add("b", NEWS, DAY) is not None  # exactly at the edge: still inside
    d.add("tick", OTHER, 2 * DAY + 1)  # the stream moves on; "a" is now too old
    assert d.add("c", NEWS, 2 * DAY + 2) is None  # becomes a new canonical
    match = d.add("d", NEWS_EDITED, 2 * DAY + 3)
    assert match is not None and (match.canonical_id, match.kind) == ("c", "near")
    assert len(d) == 2  # "tick" and "c": memory holds only the window


def test_memory_stays_bounded_by_the_window_on_a_long_stream() -> None:
    d = Deduper(window_seconds=100.0)
    rng = random.Random(1)
    for i in range(3000):
        text = "".join(rng.choice("天地玄黄宇宙洪荒日月盈昃辰宿列张寒来暑往秋收冬藏") for _ in range(20))
        d.add(str(i), text, float(i))
    assert len(d) <= 101
    # Exact keys: live canonicals plus the near duplicates pointing at them, all inside the window.
    assert len(d.exact_) <= 101
    assert all(isinstance(v, int) or len(v) >= 2 for v in d.lsh_.values())
    live_rows = {row for _, _, row in d.heap_}
    for bucket in d.lsh_.values():
        rows = [bucket] if isinstance(bucket, int) else bucket
        assert set(rows) <= live_rows


def test_max_items_caps_memory_and_drops_the_oldest_first() -> None:
    d = Deduper(window_seconds=math.inf, max_items=2)
    d.add("a", NEWS, 0.0)
    d.add("b", OTHER, 1.0)
    d.add("c", "第三条完全不同的消息，关于图书馆开放时间调整", 2.0)
    assert len(d) == 2
    assert d.add("a2", NEWS, 3.0) is None  # "a" was the oldest and is gone
    assert d.add("b2", "本周末全市中小学将组织防溺水安全教育活动，请家长配合学校做好监护", 4.0) is None


def test_out_of_order_times_never_evict_newer_items() -> None:
    d = Deduper(window_seconds=DAY)
    d.add("new", NEWS, 10 * DAY)
    # A late item from long ago: it must not push "new" out, and it does not stay itself.
    assert d.add("late", OTHER, 0.0) is None
    assert d.add("copy", NEWS, 10 * DAY + 5) == DuplicateMatch("new", "exact", 1.0)
    assert len(d) == 1
    # A slightly late item inside the window is matched and kept as usual.
    d.add("slightly-late", OTHER, 10 * DAY - 60)
    assert d.add("copy2", OTHER, 10 * DAY + 6) == DuplicateMatch("slightly-late", "exact", 1.0)


def test_short_texts_are_matched_exactly_only() -> None:
    d = Deduper()
    d.add("a", "转发微博", 0.0)
    assert d.add("b", "转发微博", 1.0) == DuplicateMatch("a", "exact", 1.0)
    assert d.add("c", "转发微博了", 2.0) is None  # one extra character: no near match on 5 chars
    d.add("d", "哈哈哈哈哈哈", 3.0)
    assert d.add("e", "哈哈哈哈哈哈哈", 4.0) is None


def test_empty_and_blank_texts_are_never_duplicates_and_never_remembered() -> None:
    d = Deduper()
    assert d.add("a", "", 0.0) is None
    assert d.add("b", "", 1.0) is None
    assert d.add("c", "   \n", 2.0) is None
    assert len(d) == 0


def test_a_10_mb_text_is_handled_quickly_and_its_copies_found() -> None:
    rng = random.Random(7)
    block = "".join(
        rng.choice("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成") for _ in range(100_000)
    )
    big = block * 100  # 10 million characters
    d = Deduper()
    assert d.add("big", big, 0.0) is None
    assert d.add("big-copy", big, 1.0) == DuplicateMatch("big", "exact", 1.0)
    edited = big[:-100] + "完全不同的结尾" * 10
    match = d.add("big-edited", edited, 2.0)
    assert match is not None and match.canonical_id == "big" and match.kind == "near"
    # Exact matching uses the whole text: an edit in the unsigned middle is not "exact".
    middle = big[:5_000_000] + "改" + big[5_000_001:]
    match = d.add("big-middle", middle, 3.0)
    assert match is not None and match.kind == "near" and match.similarity == 1.0


def test_invalid_text_characters_do_not_crash() -> None:
    d = Deduper()
    junk = "\ud800\udfff\x00\x01" + "坏数据" * 5  # lone surrogates and control characters
    assert d.add("a", junk, 0.0) is None
    assert d.add("b", junk, 1.0) == DuplicateMatch("a", "exact", 1.0)


def test_same_seed_gives_the_same_answers_and_another_seed_may_not() -> None:
    rng = random.Random(3)
    base = [NEWS, NEWS_EDITED, OTHER]
    texts = [
        rng.choice(base) + "".join(rng.choice("的一是在不了") for _ in range(rng.randint(0, 8))) for _ in range(300)
    ]
    ids = [str(i) for i in range(len(texts))]
    times = [float(i) for i in range(len(texts))]
    a = Deduper(seed=5).add_many(ids, texts, times)
    b = Deduper(seed=5).add_many(ids, texts, times)
    assert a == b
    assert sum(m is not None and m.kind == "near" for m in a) > 10


def test_add_many_gives_the_same_result_as_add_one_by_one() -> None:
    rng = random.Random(11)
    texts = [
        rng.choice([NEWS, NEWS_EDITED, OTHER, "", "转发微博"]) + rng.choice(["", "。", "!!", "顶"]) for _ in range(200)
    ]
    ids = [f"i{i}" for i in range(len(texts))]
    times = [float(rng.randint(0, 5 * 24 * 3600)) for _ in texts]  # out of order on purpose
    one = Deduper(window_seconds=DAY)
    singles = [one.add(i, t, tm) for i, t, tm in zip(ids, texts, times, strict=True)]
    many = Deduper(window_seconds=DAY).add_many(ids, texts, times)
    assert singles == many


def test_one_text_and_a_batch_get_identical_signatures_and_band_keys() -> None:
    d = Deduper(max_chars=200)
    texts = [NEWS, NEWS_EDITED, OTHER, "短", "", "   ", "转发微博", NEWS * 20, "\ud800坏数据坏数据坏数据"]
    batch = d.prepare(texts)
    for k, text in enumerate(texts):
        one = d._prepare_one(text)
        assert one.text_keys[0] == batch.text_keys[k]
        assert one.bands[0] == batch.bands[k]
        if batch.bands[k]:
            assert (one.sigs[0] == batch.sigs[k]).all()


def test_add_prepared_refuses_a_batch_from_other_hash_parameters() -> None:
    batch = Deduper(seed=1).prepare([NEWS])
    with pytest.raises(ValueError, match="other hash parameters"):
        Deduper(seed=2).add_prepared(batch, 0, "a", 0.0)


def test_pickle_round_trip_continues_the_same_stream() -> None:
    d = Deduper(window_seconds=DAY)
    d.add("a", NEWS, 0.0)
    d.add("b", OTHER, 1.0)
    restored = pickle.loads(pickle.dumps(d))
    assert restored.add("c", NEWS_EDITED, 2.0) == d.add("c", NEWS_EDITED, 2.0)
    assert restored.add("d", OTHER, 3.0) == DuplicateMatch("b", "exact", 1.0)
    assert len(restored) == len(d)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"threshold": 0.0}, "threshold"),
        ({"threshold": 1.5}, "threshold"),
        ({"threshold": "high"}, "threshold"),
        ({"shingle": 0}, "shingle"),
        ({"num_perm": 1}, "num_perm"),
        ({"bands": 4}, "both bands and rows"),
        ({"bands": 20, "rows": 5, "num_perm": 64}, "bands·rows"),
        ({"window_seconds": 0}, "window_seconds"),
        ({"window_seconds": float("nan")}, "window_seconds"),
        ({"max_items": 0}, "max_items"),
        ({"seed": -1}, "seed"),
        ({"min_shingles": 0}, "min_shingles"),
    ],
)
def test_constructor_rejects_bad_parameters_with_a_message_naming_them(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Deduper(**kwargs)  # type: ignore[arg-type]


def test_bad_batch_input_raises_naming_the_item() -> None:
    d = Deduper()
    with pytest.raises(ValueError, match="differ in length"):
        d.add_many(["a", "b"], ["x"], [0.0, 1.0])
    with pytest.raises(ValueError, match=r"'b'.*time"):
        d.add_many(["a", "b"], ["x", "y"], [0.0, float("nan")])


def test_bands_are_chosen_from_the_threshold() -> None:
    low, high = Deduper(threshold=0.5), Deduper(threshold=0.9)
    # A higher threshold needs longer bands (more rows): fewer chance collisions.
    assert high.rows > low.rows
    assert low.bands * low.rows <= low.num_perm


# -- evaluation -----------------------------------------------------------------------------------


def test_evaluate_pairs_counts_hits_and_misses() -> None:
    pairs = [
        (NEWS, NEWS, 1),  # found
        (NEWS, NEWS_EDITED, 1),  # found
        (NEWS, OTHER, 1),  # a paraphrase-like positive the deduper misses
        (OTHER, NEWS, 0),  # correctly left alone
        (OTHER, OTHER, 0),  # a labeled negative that is textually identical: a false positive
    ]
    scores = evaluate_pairs(pairs)
    assert scores == PairScores(tp=2, fp=1, fn=1, tn=1)
    assert scores.precision == pytest.approx(2 / 3)
    assert scores.recall == pytest.approx(2 / 3)
    assert scores.f1 == pytest.approx(2 / 3)


def test_evaluate_pairs_folds_traditional_to_simplified() -> None:
    scores = evaluate_pairs([("轉發這條重要的交通通知給大家", "转发这条重要的交通通知给大家", 1)])
    assert scores.tp == 1


def test_read_pairs_reads_the_layout_and_names_bad_lines(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "pairs.txt"  # type: ignore[operator]
    path.write_text("s1\ts2\tlabel\n甲\t乙\t1\n丙\t丁\t0\n\n戊\t己\t4\n", encoding="utf-8")
    assert list(read_pairs(path)) == [("甲", "乙", 1), ("丙", "丁", 0), ("戊", "己", 1)]
    assert [p[2] for p in read_pairs(path, positive_min=5)] == [0, 0, 0]
    path.write_text("甲\t乙\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 1"):
        list(read_pairs(path))


def test_lcqmc_sample_paraphrases_are_mostly_not_duplicates(shared_data: object) -> None:
    from pathlib import Path

    path = Path(str(shared_data)) / "pairs" / "LCQMC_test.txt"
    sample = list(read_pairs(path))[:400]
    scores = evaluate_pairs(sample)
    assert scores.n == 400
    # Paraphrases are not copies: most positives are not found, but what is found is mostly right.
    assert scores.recall < 0.5
    assert scores.precision > 0.6


# -- properties -----------------------------------------------------------------------------------

_CHARS = st.sampled_from(list("天地人你我他的了是在有个上不大中国学生转发微博，。！abc 1"))
_TEXT = st.text(_CHARS, min_size=0, max_size=30)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_TEXT, st.floats(0, 10 * DAY)), min_size=1, max_size=40))
def test_property_a_match_always_names_an_earlier_canonical_item(items: list[tuple[str, float]]) -> None:
    d = Deduper(threshold=0.5, window_seconds=DAY)
    ids = [f"i{k}" for k in range(len(items))]
    matches = d.add_many(ids, [t for t, _ in items], [tm for _, tm in items])
    canonical: set[str] = set()
    for k, m in enumerate(matches):
        if m is None:
            canonical.add(ids[k])
            continue
        assert m.canonical_id in canonical  # earlier, and itself a root (never a duplicate)
        j = ids.index(m.canonical_id)
        assert j < k
        assert (m.kind == "exact") == (items[j][0] == items[k][0])
        assert 0.0 < m.similarity <= 1.0


@settings(max_examples=60, deadline=None)
@given(st.lists(_TEXT, min_size=1, max_size=30), st.data())
def test_property_an_identical_text_repeats_its_first_copy(texts: list[str], data: st.DataObject) -> None:
    k = data.draw(st.integers(0, len(texts) - 1))
    stream = [*texts, texts[k]]
    d = Deduper(window_seconds=math.inf)
    ids = [str(i) for i in range(len(stream))]
    matches = d.add_many(ids, stream, [float(i) for i in range(len(stream))])
    first = stream.index(texts[k])
    if not texts[k].strip():
        assert matches[-1] is None
    elif matches[first] is None:
        # The first copy became canonical: the repeat is an exact duplicate of it.
        assert matches[-1] == DuplicateMatch(str(first), "exact", 1.0)
    else:
        # The first copy was itself a duplicate: the repeat gets the same answer (the root).
        assert matches[-1] == matches[first]


_T2S = [("記者從市政府獲悉，這條地鐵線將於明年開通運營", "记者从市政府获悉，这条地铁线将于明年开通运营")]


@settings(max_examples=40, deadline=None)
@given(
    st.text(st.sampled_from(list("記者從市政府獲悉這條地鐵線將於明年開通運營，。發現問題")), min_size=1, max_size=40)
)
def test_property_traditional_and_simplified_forms_collapse(traditional: str) -> None:
    fold = default_fold()
    simplified = opencc.OpenCC("t2s").convert(traditional)
    d = Deduper()
    assert d.add("t", fold(traditional), 0.0) is None
    match = d.add("s", fold(simplified), 1.0)
    assert match == DuplicateMatch("t", "exact", 1.0)


def test_a_known_traditional_sentence_collapses_with_its_simplified_form() -> None:
    fold = default_fold()
    d = Deduper()
    for trad, simp in _T2S:
        d.add("t", fold(trad), 0.0)
        assert d.add("s", fold(simp), 1.0) == DuplicateMatch("t", "exact", 1.0)
