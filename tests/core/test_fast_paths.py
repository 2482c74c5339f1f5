"""The engine's fast paths give exactly what the plain code they replace gave (issue 11, speed).

Each fast path is checked against the plain definition it replaces, on real text where the shared
data is there and on generated input otherwise: a speed-up must never change a result.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest
import rjieba
from click.testing import CliRunner

from qingting.cli import main
from qingting.core import pipeline as pipeline_module
from qingting.core.cluster.online import _top_terms
from qingting.core.pipeline import Pipeline, PipelineConfig
from qingting.core.text import normalize, tokenize
from qingting.core.text.stopwords import ALL_STOPWORDS
from qingting.core.text.tokens import _judge
from qingting.core.types import Item

LETTER = (
    "柳湾镇自来水厂从上周三开始停水，到现在已经五天了，我们小区三百多户人家每天只能去镇上买桶装水。"
    "镇政府说是管道老化需要抢修，可是抢修了五天还没有任何进展，也没有人告诉我们什么时候能恢复供水。"
    "家里有老人和小孩，天气这么热，没有水洗澡做饭都成问题。希望有关部门尽快解决，给老百姓一个说法！"
    "另外，停水期间水务局的电话一直打不通，微博上留言也没有回复，这样的服务态度让人很失望。iPhone 12 "
    "也没法充电的时候，3.5 个小时的排队真的太累了。"
)


def test_top_terms_is_the_plain_ranking() -> None:
    """Heaviest first, ties by the term: the same list as sorting every (-weight, term) pair."""
    rng = random.Random(7)
    for n in (0, 1, 5, 48, 61, 300, 601):
        # rounded weights: many ties at the k-th weight, the case the threshold must handle
        centroid = {f"t{rng.randrange(10_000)}": round(rng.random(), 2) for _ in range(n)}
        for k in (0, 1, 3, 20, 30, 48, 300):
            plain = [t for _, t in sorted((-w, t) for t, w in centroid.items())[:k]]
            assert _top_terms(centroid, k) == plain, (n, k)


def test_tokenize_filters_a_long_text_word_by_word() -> None:
    """A long text (> 32 words) is filtered in one C pass: the same words, in order, repeats kept."""
    text = normalize(LETTER * 3).match
    raw = rjieba.cut(text, True)
    assert len(raw) > 32
    plain = [t for t in raw if _judge(t, ALL_STOPWORDS, {})]
    tokens = tokenize(text, "zh")
    assert tokens == plain
    assert "停水" in tokens and "的" not in tokens and "12" not in tokens and "3.5" not in tokens
    assert tokens.count("停水") == 3 * raw[: len(raw) // 3].count("停水")


def test_tokenize_is_the_same_on_real_letters(shared_data: Path) -> None:
    """On real reviews joined to letter length, the fast filter keeps exactly the words the per-word one keeps."""
    path = shared_data / "chnsenticorp" / "train.tsv"
    if not path.exists():
        pytest.skip(f"{path} not found")
    lines = path.read_text(encoding="utf-8").splitlines()[1:2001]
    texts = ["".join(lines[i : i + 8]) for i in range(0, len(lines), 8)]
    for text in texts:
        match = normalize(text).match
        raw = rjieba.cut(match.lower(), True)
        assert tokenize(match, "zh") == [t for t in raw if _judge(t, ALL_STOPWORDS, {})]


def _stream() -> list[Item]:
    """Posts, titled articles, mainstream items and official notices on three stories, with copies."""
    rng = random.Random(3)
    stories = [
        ("柳湾镇停水", "柳湾镇 停水 第五天 自来水 管道 抢修 供水 恢复 水务局"),
        ("荷花节", "荷塘乡 荷花节 开幕 游客 门票 停车 拥堵 风景"),
        ("学校招生", "青禾县 学校 招生 划片 学区 报名 家长 政策"),
    ]
    out: list[Item] = []
    t0 = 1_780_000_000.0
    for i in range(600):
        name, words = stories[rng.randrange(3)]
        ws = words.split()
        body = "".join(rng.sample(ws, k=rng.randint(3, len(ws)))) + rng.choice(["。", "！", "？", "，太难了。"])
        # each kind of item comes in its own stretch, in order of the title bonus it can earn, so
        # every kind gets to take over as representative (a wrong shortcut would keep the old one)
        kind = i // 120
        title = ""
        mainstream = False
        if kind == 1:
            mainstream = True
        elif kind == 2:
            body = f"【{name}通报】{body}"
        elif kind == 3:
            title = f"关于{name}的来信：{ws[3]}"
            body = f"【{name}】{body}" if i % 2 else body
        elif kind == 4:
            title, mainstream = f"{name}最新进展：{ws[1]}{ws[2]}", True
        out.append(
            Item(
                f"i{i}",
                body * rng.randint(1, 3),
                time=t0 + 30 * i,
                title=title,
                mainstream=mainstream,
                engagement=rng.randrange(500),
            )
        )
    return out


def test_skipping_headlines_that_cannot_win_changes_no_representative(monkeypatch: pytest.MonkeyPatch) -> None:
    """An item whose best possible score cannot beat the representative's gets no headline made;
    with that shortcut disabled, every event keeps the same representative and title."""
    items = _stream()

    def events() -> list[list[tuple[int, str, str, int]]]:
        """The representative of every event after every batch."""
        p = Pipeline(PipelineConfig(seed=0))
        out = []
        for i in range(0, len(items), 40):
            r = p.partial_fit(items[i : i + 40])
            out.append(sorted((e.event_id, e.representative_id, e.title, e.item_count) for e in r.events))
        return out

    fast = events()
    monkeypatch.setattr(pipeline_module, "_best_kind_bonus", lambda item, own: math.inf)
    assert events() == fast
    titles = {title for batch in fast for _, _, title, _ in batch}
    # each kind took over in its stretch: a post, an official notice, a letter, a news title
    assert any(t.startswith("【") for t in titles) and any("最新进展" in t for t in titles), titles


def test_analyze_lines_are_the_assignments_fields_in_order(tmp_path: Path) -> None:
    """`qingting analyze` writes each assignment as {"type": "assignment", <its fields in order>}."""
    src = tmp_path / "in.jsonl"
    items = _stream()[:50]
    src.write_text(
        "".join(json.dumps({"id": it.id, "text": it.text, "time": it.time}, ensure_ascii=False) + "\n" for it in items),
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["analyze", str(src)], catch_exceptions=False)
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assignments = [x for x in lines if x["type"] == "assignment"]
    assert [a["item_id"] for a in assignments] == [it.id for it in items]
    p = Pipeline(PipelineConfig(seed=0))
    expected = p.partial_fit([Item(it.id, it.text, time=it.time) for it in items]).assignments
    for line, a in zip(assignments, expected, strict=True):
        want = {"type": "assignment"}
        for k in a.__slots__:
            v = getattr(a, k)
            want[k] = v.value if hasattr(v, "value") else (list(v) if isinstance(v, tuple) else v)
        assert list(line) == list(want)
        assert line == want


# ---- decision 0132: more exact C paths on long texts -------------------------------------------

EDGE_TEXTS = [
    "",
    "好",
    "柳湾镇停水五天了",  # short: ≤ 32 words
    "臺灣今天下大雨，iPhone 也進水了，真的太糟糕了",  # Traditional
    "停水😡😡 [怒] 还要等多久？？ 😀👍🏻" * 5,  # emoji, emoticons
    "abc\ud800停水\udfff了",  # lone surrogates
    LETTER,
    LETTER * 12,  # very long
    "the water is off again in our street and nobody answers the phone at the office " * 10,
    "ひらがなだけのぶん と 漢字の文章",
]


@pytest.mark.parametrize("text", EDGE_TEXTS)
def test_tokenize_keeps_each_word_by_its_own_verdict(text: str) -> None:
    """The verdict cache judges an unseen word on first lookup: the same words as judging each one."""
    from qingting.core.text import detect_language
    from qingting.core.text.stopwords import EN_STOPWORDS
    from qingting.core.text.tokens import _KEEP, _WORD

    match = normalize(text).match
    lang = detect_language(match)
    for verdicts in _KEEP:
        verdicts.clear()  # first sight of every word, then (second call) every word cached
    for _ in range(2):
        tokens = tokenize(match, lang)
        if not match:
            assert tokens == []
        elif lang[:2] in ("zh", "ja") or (lang != "en" and any("\u3400" <= c <= "\u9fff" for c in match)):
            assert tokens == [t for t in rjieba.cut(match, True) if _judge(t, ALL_STOPWORDS, {})]
        else:
            raw = [t for t in _WORD.findall(match) if len(t) > 1]
            assert tokens == [t for t in raw if _judge(t, EN_STOPWORDS, {})]


def _plain_vector(tokens: list[str], postings: dict[str, dict[int, float]], n_events: int, k: int) -> dict[str, float]:
    """The item vector as it was written before decision 0132 (a Python loop per term)."""
    n = n_events + 2.0
    vec: dict[str, float] = {}
    if len(tokens) > 32:
        from collections import Counter

        for t, c in Counter(tokens).items():
            p = postings.get(t)
            vec[t] = c * math.log(n / (len(p) + 1.0) if p else n)
    else:
        for t in tokens:
            w = vec.get(t)
            p = postings.get(t)
            idf = math.log(n / (len(p) + 1.0) if p else n)
            vec[t] = idf if w is None else w + idf
    if len(vec) > k:
        kth = sorted(vec.values(), reverse=True)[k - 1]
        heavy = {t: w for t, w in vec.items() if w > kth}
        for t, w in vec.items():
            if len(heavy) >= k:
                break
            if w == kth:
                heavy[t] = w
        vec = heavy
    inv = 1.0 / math.sqrt(sum(w * w for w in vec.values()))
    return {t: w * inv for t, w in vec.items()}


def test_item_vectors_are_the_plain_definition() -> None:
    """Long texts' vectors (IDF by event count, heaviest terms, ties) equal the per-term loop's, bit for bit."""
    from qingting.core.cluster.online import OnlineClusterer

    rng = random.Random(11)
    vocab = [f"词{i}" for i in range(400)]
    clusterer = OnlineClusterer()
    for i in range(600):  # live events whose postings give many terms the same event count
        clusterer.add(rng.sample(vocab[: 60 + i % 200], rng.randrange(1, 60)), float(i))
    assert len(clusterer.events_) > 5
    for size in (1, 5, 32, 33, 64, 65, 200, 900):
        for _ in range(20):
            # few distinct counts: ties at the k-th weight are common
            tokens = [rng.choice(vocab) for _ in range(size)]
            fast = clusterer._vector(tokens)
            plain = _plain_vector(tokens, clusterer.postings_, len(clusterer.events_), clusterer.max_item_terms)
            assert list(fast.items()) == list(plain.items()), size


def test_sentiment_clean_reads_controls_as_spaces_and_drops_surrogates() -> None:
    """The regex gives what str.translate of the control characters gave."""
    import re

    from qingting.core.sentiment.features import MAX_CHARS, _clean

    table = str.maketrans({i: " " for i in range(32)})
    surrogates = re.compile("[\ud800-\udfff]+")
    for text in [*EDGE_TEXTS, "a\x00b\x1fc\x7f\n\r\t", "".join(map(chr, range(200))), "\ud83d" + LETTER + "\n" * 3]:
        assert _clean(text) == surrogates.sub("", text[:MAX_CHARS].translate(table))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # computed by the lexicon before decision 0132 (every sentence's clauses walked)
        ("今天天气。明天下雨。", (0.0, 0.0, 0.0, 0, 0.0, 0, 0, 0, 0, 10)),
        ("服务很好。。。但是", (0.5, 2.0, -1.5, 2, 0.0, 0, 1, 0, 0, 9)),
        ("他们不好吗？真的不好吗", (-4.6, 0.0, -4.6, 2, 0.0, 0, 0, 0, 0, 11)),
        ("不是不好，只是太贵了。。。价格还行", (-0.9199999999999999, 1.48, -2.4, 3, 0.0, 0, 0, 0, 0, 17)),
        ("第一句没有词。第二句很失望！第三句也没有。", (-2.5, 0.0, -2.5, 1, 0.0, 0, 0, 0, 0, 21)),
        ("[泪][泪][泪]没有。很差", (-2.0, 0.0, -2.0, 3, -3.0, 0, 0, 0, 0, 8)),
        ("\n\n好\n", (0.5, 0.5, 0.0, 1, 0.0, 0, 0, 0, 0, 4)),
        ("…没有…没有…满意", (2.0, 2.0, 0.0, 1, 0.0, 0, 0, 0, 0, 9)),
    ],
)
def test_sentences_without_terms_are_skipped_exactly(text: str, expected: tuple[object, ...]) -> None:
    """Skipping the sentences where no lexicon term starts gives the evidence the full walk gave."""
    import dataclasses

    from qingting.core.sentiment.lexicon import shipped_lexicon

    assert dataclasses.astuple(shipped_lexicon().evidence(text)) == expected


def test_analyze_leaves_the_collector_as_it_found_it(tmp_path: Path) -> None:
    """`analyze` tunes the cyclic collector for the stream only: thresholds and freeze restored."""
    import gc

    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"text": LETTER[i:] + str(i)}, ensure_ascii=False) + "\n" for i in range(40)))
    before = gc.get_threshold()
    result = CliRunner().invoke(main, ["analyze", str(src), "-o", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 0, result.output
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) > 40


def test_adding_into_a_centroid_is_the_plain_loop() -> None:
    """Centroid weights and order, norm (bit for bit) and posting order as the per-term loop left them."""
    import copy

    from qingting.core.cluster.online import OnlineClusterer

    rng = random.Random(5)
    vocab = [f"w{i}" for i in range(120)]
    clusterer = OnlineClusterer()
    for i in range(300):
        clusterer.add(rng.sample(vocab, rng.randrange(1, 80)), float(i))
    for eid in list(clusterer.events_)[:30]:
        vector = {t: rng.uniform(-0.5, 1.0) for t in rng.sample(vocab, rng.randrange(1, 90))}
        fast = copy.deepcopy(clusterer)
        fast._add_into(eid, fast.events_[eid], vector)
        event = copy.deepcopy(clusterer.events_[eid])
        postings = copy.deepcopy(clusterer.postings_)
        norm2 = event.norm2
        for t, w in vector.items():  # the loop it replaced
            old = event.centroid.get(t, 0.0)
            new = old + w
            event.centroid[t] = new
            norm2 += new * new - old * old
            p = postings.get(t)
            if p is None:
                postings[t] = {eid: new}
            else:
                p.pop(eid, None)
                p[eid] = new
        got = fast.events_[eid]
        if len(event.centroid) <= 2 * clusterer.max_terms:  # (no pruning at this size)
            assert list(got.centroid.items()) == list(event.centroid.items())
            assert got.norm2 == norm2 and got.norm == math.sqrt(norm2)
            assert {t: list(p.items()) for t, p in fast.postings_.items()} == {
                t: list(p.items()) for t, p in postings.items()
            }
