"""One story, one event: consolidation, content-free posts, readable titles, bounded item state."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from typing import Any

import pytest

from qingting.core import checkpoint
from qingting.core.cluster import OnlineClusterer
from qingting.core.io import Record, to_item
from qingting.core.pipeline import CHECKPOINT_VERSION, Pipeline, PipelineConfig
from qingting.core.text import detect_language, normalize, tokenize
from qingting.core.text.headline import content_free, headline
from qingting.core.text.romanise import romanised
from qingting.core.types import Item
from qingting.demo import generate

T0 = 1_790_812_800.0
WATER = "柳湾镇今天全镇停水，柳湾新村和滨江花园都没水了，什么时候恢复供水？"


def _item(record: dict[str, Any]) -> Item:
    item = to_item(Record(record["id"], record))
    assert isinstance(item, Item), item
    return item


def demo(seed: int) -> tuple[list[Item], dict[str, str]]:
    records = generate(seed=seed)
    items = [_item(r) for r in records]
    return items, {r["id"]: r["scenario"] for r in records}


def test_a_story_of_the_demo_is_one_event_with_a_readable_title() -> None:
    items, story = demo(11)  # a seed the shipped demo does not use
    p = Pipeline()
    event_of: dict[str, int | None] = {}
    merged: dict[int, int] = {}
    for k in range(0, len(items), 500):
        result = p.partial_fit(items[k : k + 500])
        event_of.update((a.item_id, a.event_id) for a in result.assignments)
        merged.update((m.absorbed, m.survivor) for m in result.merges)
        # every merge is also reported as the absorbed event's summary, for a store to follow
        closed = {s.event_id: s.merged_into for s in result.events if s.merged_into is not None}
        assert all(closed.get(m.absorbed) == m.survivor for m in result.merges)
        assert all(m.reason in ("consolidation", "young") for m in result.merges)

    def final(e: int) -> int:
        while e in merged:
            e = merged[e]
        return e

    water = Counter(final(e) for i, e in event_of.items() if story[i] == "water_outage" and e is not None)
    main, n = water.most_common(1)[0]
    assert n / sum(water.values()) >= 0.9
    titles = {s.event_id: s for s in p.events()}
    title = titles[main].title
    assert "停水" in title or "供水" in title or "来水" in title
    for s in p.events():
        if s.item_count >= 20:
            assert not re.search(r"#|\[[^\]]*\]|https?://", s.title), s.title
    assert any(w in titles[main].keywords for w in ("停水", "供水", "柳湾镇"))


def test_content_free_posts_never_open_an_event() -> None:
    p = Pipeline()
    a = p.partial_fit(
        [
            Item("w1", WATER, time=T0),
            Item("f1", "顶！！", time=T0 + 1),
            Item("f2", "同问[吃瓜]", time=T0 + 2),
            Item("f3", "[泪][泪]", time=T0 + 3),
            Item("t1", "#全镇停水# [怒]", time=T0 + 4),  # a bare hashtag may join the story it names
            Item("t2", "#荷花节#", time=T0 + 5),  # … but never opens one
            Item("r1", "顶", time=T0 + 6, parent="w1"),  # follows its parent
        ]
    ).assignments
    by = {x.item_id: x for x in a}
    assert by["f1"].event_id is None and "content-free" in by["f1"].notes
    assert by["f2"].event_id is None and by["f3"].event_id is None
    assert by["t1"].event_id == by["w1"].event_id
    assert by["t2"].event_id is None and "content-free" in by["t2"].notes
    assert by["r1"].event_id == by["w1"].event_id
    assert len({e.event_id for e in p.events()}) == 1


def test_content_free_words() -> None:
    assert content_free("顶") and content_free("转发微博") and content_free("+1") and content_free("有人管管吗")
    assert content_free("#柳湾镇停水#") and content_free("😭😭") and content_free("真的假的？？")
    assert not content_free("柳湾镇停水了") and not content_free("支持柳湾镇尽快恢复供水")


def test_headline_takes_out_hashtags_emoticons_urls_and_mentions() -> None:
    assert headline("#青禾停水#水压低得可怜[衰] http://t.cn/A6abc @青禾县水务局") == "水压低得可怜"
    long = "柳湾镇停水两天了，全镇的人都在等一个准确的来水时间！" + "什么时候来水" * 20
    assert headline(long) == "柳湾镇停水两天了，全镇的人都在等一个准确的来水时间"
    assert len(headline("停" * 200)) == 60


def test_news_title_is_preferred_to_a_post() -> None:
    p = Pipeline()
    p.partial_fit(
        [
            Item("p1", f"#停水#{WATER}[怒]", time=T0, engagement=50),
            Item("n1", WATER + "县水务局表示正在抢修。", T0 + 60, title="柳湾镇停水 抢修连夜进行", mainstream=True),
        ]
    )
    (ev,) = p.events()
    assert ev.title == "柳湾镇停水 抢修连夜进行" and ev.representative_id == "n1"


def test_consolidation_merges_fragments_and_split_undoes_it() -> None:
    c = OnlineClusterer(threshold=0.9, merge_threshold=None, consolidate_every=1_000_000, consolidate_min_size=2)
    a = [c.add(["停水", "柳湾镇", "水压", "来水", "做饭"], T0 + i).event_id for i in range(3)]
    b = [c.add(["停水", "柳湾镇", "水压", "来水", "送水车"], T0 + 10 + i).event_id for i in range(3)]
    assert len(set(a)) == 1 and len(set(b)) == 1 and a[0] != b[0]
    (m,) = c.consolidate()
    assert {m.absorbed, m.survivor} == {a[0], b[0]} and m.similarity >= c.consolidate_threshold  # type: ignore[operator]
    assert c.resolve(m.absorbed) == m.survivor and c.size(m.survivor) == 6
    assert c.split(m.absorbed) == m.survivor
    assert c.resolve(m.absorbed) == m.absorbed and c.size(m.survivor) == 3 and c.size(m.absorbed) == 3
    assert "送水车" in c.keywords(b[0]) and "送水车" not in c.keywords(a[0])
    assert c.consolidate() == []  # kept apart once an analyst split them
    with pytest.raises(KeyError):
        c.split(m.absorbed)


def test_pipeline_split_restores_the_counts() -> None:
    items, _ = demo(11)
    p = Pipeline()
    merges = []
    for k in range(0, 2500, 500):
        merges += [m for m in p.partial_fit(items[k : k + 500]).merges if m.reason == "consolidation"]
    live = {s.event_id: s for s in p.events() if not s.retired}
    m = next(m for m in reversed(merges) if m.survivor in live and p.clusterer_.resolve(m.absorbed) == m.survivor)
    before = live[m.survivor].item_count
    survivor, restored = p.split(m.absorbed)
    assert restored.event_id == m.absorbed and restored.merged_into is None
    assert survivor.item_count + restored.item_count == before
    assert Pipeline.from_checkpoint(p.checkpoint()).checkpoint() == p.checkpoint()


def test_item_state_is_bounded_whatever_the_length() -> None:
    c = OnlineClusterer(max_item_terms=16)
    e = c.add([f"词{i}" for i in range(500)], T0).event_id
    assert e is not None and len(c.events_[e].centroid) == 16


def test_a_format_1_checkpoint_is_migrated() -> None:
    items, _ = demo(23)
    p = Pipeline()
    p.partial_fit(items[:800])
    state = checkpoint.load(p.checkpoint(), version=CHECKPOINT_VERSION)
    # what format 1 wrote: no consolidation state, no merge log
    del state["merged_events"]
    cl = state["clusterer"]
    for key in (
        "checked",
        "n_entities",
        "entity_names",
        "entity_counts",
        "consolidated_pos",
        "merge_ids",
        "merge_floats",
        "merge_terms",
        "merge_weights",
        "apart",
    ):
        del cl[key]
    for key in ("max_item_terms", "consolidate_threshold", "consolidate_every", "consolidate_min_size"):
        del cl["params"][key]
    old = checkpoint.dump(state, version=1)
    q = Pipeline.from_checkpoint(old)
    assert q.clusterer_.merge_log_ == {} and q.merged_events_ == {}
    assert len(q.partial_fit(items[800:1200]).assignments) == 400


def test_fragments_sharing_a_rare_hashtag_are_one_story() -> None:
    c = OnlineClusterer(threshold=0.9, merge_threshold=None, consolidate_every=1_000_000)
    tag = ("#柳湾镇停水", "@青禾县水务局")
    a = [c.add(["停水", "柳湾镇", "水压", "做饭"], T0 + i, entities=tag).event_id for i in range(6)]
    b = [c.add(["送水车", "小区", "门口", "辛苦"], T0 + 10 + i, entities=tag[:1]).event_id for i in range(4)]
    chatter = (["广场舞", "音响", "太吵"], ["夜市", "好看", "夜景"], ["包子", "排队", "新开"], ["下雨", "带伞", "出门"])
    z = []
    for words in chatter:
        ids = {c.add(words, T0 + 20 + i, entities=("#我的家乡",)).event_id for i in range(4)}
        z += ids
    assert len({a[0], b[0], *z}) == 6
    merges = c.consolidate()
    assert [(m.absorbed, m.survivor) for m in merges] == [(b[0], a[0])]  # the shared tag no other event has
    assert all(c.resolve(e) == e for e in z)  # a tag that every chatter event carries names no story
    restored = OnlineClusterer.from_state(c.to_state())
    assert restored.events_[a[0]].entities == c.events_[a[0]].entities == {"#柳湾镇停水": 10, "@青禾县水务局": 6}


def test_a_restored_engine_consolidates_exactly_like_an_uninterrupted_one() -> None:
    items, _ = demo(42)
    items = items[:3000]
    cfg = PipelineConfig(cluster={"consolidate_every": 200})
    cuts = [0, 700, 1500, 2300, len(items)]
    straight = Pipeline(cfg)
    expected = [straight.partial_fit(items[a:b]) for a, b in itertools.pairwise(cuts)]
    assert sum(1 for r in expected for m in r.merges if m.reason == "consolidation") >= 3
    p = Pipeline(cfg)
    got = []
    for a, b in itertools.pairwise(cuts):
        blob = p.checkpoint()
        p = Pipeline.from_checkpoint(blob)
        assert p.checkpoint() == blob
        got.append(p.partial_fit(items[a:b]))
    assert got == expected  # assignments, summaries, merges and moves, field by field
    assert sum(len(r.moves) for r in expected) >= 1  # a weak join kept across checkpoints moved (0128)


# --- decision 0066: English fragments, a story that goes on after a lull, quick passes, no chatter blob


def _words(text: str) -> list[str]:
    n = normalize(text)
    return tokenize(n.match, detect_language(n.match))


def _quiet(**kw: Any) -> OnlineClusterer:
    """A clusterer that consolidates only when told (or at retirement), unless ``kw`` says otherwise."""
    return OnlineClusterer(
        **{"merge_threshold": None, "consolidate_every": 1_000_000, "consolidate_seconds": None, **kw}
    )


def test_romanised_spells_chinese_words_as_english_texts_write_them() -> None:
    assert romanised("柳湾镇") == ("liuwanzhen", "liuwan")  # Liuwan Town
    assert "binhe" in romanised("滨河路") and "hetang" in romanised("荷塘乡")
    assert "shiqiao" in romanised("石桥")  # 石 is also read dàn: every reading is kept
    assert romanised("水") == () and romanised("qinghe") == () and romanised("停水") == ("tingshui",)


def test_an_english_fragment_joins_the_chinese_story_it_names_in_pinyin() -> None:
    c = _quiet(threshold=0.05)  # low: a handful of posts make the story one event from the start
    story = [
        "青禾县柳湾镇今天全镇停水，柳湾新村都没水了",
        "柳湾镇停水第二天，水务局说主管爆裂正在抢修",
        "柳湾镇什么时候恢复供水？青禾县水务局回应了",
        "柳湾镇临时送水点已设立，停水片区居民可以去拎水",
        "柳湾镇停水追踪：抢修连夜进行，明早恢复供水",
        "柳湾新村还是没水，柳湾镇停水太久了",
    ]
    chatter = [
        "青禾的米粉还是那个味，一早吃一碗舒服",
        "周末带孩子去青禾广场，环境比以前好多了",
        "青禾今天大太阳，在家躺平",
    ]
    main = {c.add(_words(t), T0 + 60 * i).event_id for i, t in enumerate(story * 4)}  # a story of 24 posts
    others = [c.add(_words(chatter[i % 3]), T0 + 400 + i).event_id for i in range(24)]
    english = [
        c.add(_words(t), T0 + 900 + i).event_id
        for i, t in enumerate(
            [
                "Water has been off in Liuwan Town since yesterday. Does anyone know when it comes back?",
                "Our guesthouse in Liuwan has no water, the owner says a main pipe burst",
            ]
            * 2
        )
    ]
    county = {
        c.add(
            _words("Lovely weekend in Qinghe county, went hiking with friends and had great noodles"), T0 + 950 + i
        ).event_id
        for i in range(4)
    }
    (story_event,) = main
    assert len(set(english)) == 1 and english[0] != story_event and len(county) == 1
    merges = c.consolidate()
    assert [(m.absorbed, m.survivor) for m in merges] == [(english[0], story_event)]
    assert c.size(story_event) == 28
    # the county's name is in every event (青禾): an English post naming only it joins nothing
    (e,) = county
    assert c.resolve(e) == e and all(c.resolve(x) == x for x in others)


def test_a_story_that_goes_on_after_a_lull_keeps_its_event() -> None:
    day = 86400.0
    c = _quiet(window_seconds=3 * day, threshold=0.1)
    first = [
        "滨河路施工，早高峰堵了四十分钟，交警发了绕行方案",
        "滨河路雨污管网改造施工，东段封闭，请绕行白鹭大道",
        "滨河路施工噪音太大了，夜间施工能不能停一停",
        "滨河路与青禾大道路口施工，交警在疏导，走白鹭大道快多了",
    ]
    old = {c.add(_words(t), T0 + 600 * i).event_id for i, t in enumerate(first * 5)}  # 20 posts
    (story,) = old
    # two days later: the decayed likeness of a post is too low to join the idle event
    later = [
        c.add(_words(t), T0 + 2 * day + 600 * i).event_id
        for i, t in enumerate(
            ["滨河路施工还没完，交警说继续绕行白鹭大道", "滨河路施工还没完，交警说继续绕行白鹭大道[泪]"]
        )
    ]
    assert later[0] == later[1] != story
    chatter = ["广场舞音响太吵了", "夜市的烧烤很好吃", "明天下雨记得带伞", "新开的包子铺排队", "图书馆周末人很多"]
    for i, t in enumerate(chatter * 2):  # the everyday posts around it: 滨河路 and 施工 are one story's words
        c.add(_words(t), T0 + 2.5 * day + 60 * i)
    # the old event's window runs out: rather than retire, it takes its continuation in
    hit = c.add(_words("广场舞音响太吵了"), T0 + 3 * day + 6 * 3600)
    assert [(m.absorbed, m.survivor) for m in hit.consolidated] == [(later[0], story)]
    assert c.resolve(later[0]) == story and c.size(story) == 22 and not hit.retired


def test_a_quiet_stream_gets_a_pass_every_few_hours() -> None:
    c = _quiet(consolidate_seconds=6 * 3600.0, threshold=0.9)
    a = {c.add(["停水", "柳湾镇", "水压", "来水", "做饭"], T0 + i).event_id for i in range(4)}
    b = {c.add(["停水", "柳湾镇", "水压", "来水", "送水车"], T0 + 10 + i).event_id for i in range(4)}
    assert a != b
    merged = []
    for i in range(100):  # a few hundred posts a day: 100 posts take twelve hours
        merged += c.add(["天气", f"闲聊{i}"], T0 + 100 + 420 * i).consolidated
    assert [(m.absorbed, m.survivor) for m in merged] == [(b.pop(), a.pop())]


@pytest.mark.parametrize(("fragment", "merges"), [(4, True), (40, False)])
def test_a_weak_likeness_merges_a_fragment_but_not_two_settled_events(fragment: int, merges: bool) -> None:
    c = _quiet(threshold=0.5)
    for i in range(4):
        c.add(["包子", "排队", "新开", "早餐"], T0 + i)
    a = {c.add(["广场舞", "音响", "晚上", "小区", "热闹"], T0 + 10 + i).event_id for i in range(40)}
    b = {c.add(["夜市", "好看", "晚上", "小区", "热闹"], T0 + 60 + i).event_id for i in range(fragment)}
    (ea,), (eb,) = a, b
    assert 0.17 < c._specific_cosine(ea, eb, {}, {}) < 0.25  # weak: a few everyday words in common
    assert bool(c.consolidate()) is merges


def test_a_blob_holding_a_common_tag_at_the_common_rate_takes_no_fragment_by_it() -> None:
    c = _quiet(threshold=0.3)
    tag = ("#青禾美食",)
    blob = {
        c.add(["吃", "米粉", f"店{i % 7}", "好吃"], T0 + i, entities=tag if i % 5 == 0 else ()).event_id
        for i in range(60)
    }
    small = {c.add(["夜景", "好看", "老街"], T0 + 100 + i, entities=tag if i < 3 else ()).event_id for i in range(20)}
    assert len(blob) == 1 and len(small) == 1
    # 12 + 3 of the tag's 15 occurrences, but at the blob's rate (1 in 5) the tag is no story's name
    assert c.consolidate() == []


def test_an_analysts_split_is_kept_by_the_engine() -> None:
    p = Pipeline()
    water = [f"柳湾镇停水了，什么时候恢复供水？第{i}天" for i in range(6)]
    truck = [f"柳湾镇停水了，什么时候恢复？送水车到了南街 {i}号" for i in range(4)]
    items = [Item(f"w{i}", t, T0 + 60 * i) for i, t in enumerate(water)]
    items += [Item(f"t{i}", t, T0 + 600 + 60 * i) for i, t in enumerate(truck)]
    placed = {a.item_id: a.event_id for a in p.partial_fit(items).assignments}
    (story,) = set(placed.values())  # the engine saw one story
    kept, moved = p.split_off(story, items[6:])  # the analyst: the water truck is a story of its own
    assert (kept.event_id, kept.item_count, moved.item_count) == (story, 6, 4)
    q = Pipeline.from_checkpoint(p.checkpoint())  # the split survives a restart
    for engine in (p, q):
        later = engine.partial_fit(
            [
                Item("t9", "柳湾镇停水了，什么时候恢复？送水车到了南街 9号", T0 + 1200),  # a copy
                Item("t8", "南街的送水车今天又来了", T0 + 1230),  # no copy: by its words
                Item("w9", "柳湾镇停水了，什么时候恢复供水？第9天", T0 + 1260),
                Item("r9", "同问", T0 + 1300, parent="t1"),  # a reply follows its parent into the new event
            ]
        )
        assert [a.event_id for a in later.assignments] == [moved.event_id, moved.event_id, story, moved.event_id]
        assert engine.clusterer_.consolidate() == []  # and no pass merges them again
        assert (min(story, moved.event_id), max(story, moved.event_id)) in engine.clusterer_.apart_
    with pytest.raises(KeyError):
        p.split_off(10_000, items[:1])


# --- decision 0121: a small fragment in words its story holds (a sub-topic) joins the story

ROAD = (["滨河路", "施工", "绕行", "交警", "路口"], ["滨河路", "施工", "绕行", "东段", "封闭"])
SUBTOPIC = ["滨河路", "施工", "绕行", "工期", "一个月", "按时", "完成"]  # a few of the story's posts say this
CHATTER = (
    ["米粉", "好吃", "一早", "希望"],
    ["广场舞", "音响", "晚上", "热闹", "希望"],
    ["夜市", "好看", "晚上", "热闹"],
)


def _road_story(c: OnlineClusterer, n: int, t0: float = T0) -> int:
    """A story of ``n`` posts, one in eight on its sub-topic (工期), among three kinds of chatter."""
    for i in range(60):
        c.add(CHATTER[i % 3], t0 + i)
    ids = {c.add(SUBTOPIC if i % 8 == 7 else ROAD[i % 2], t0 + 100 + 60 * i).event_id for i in range(n)}
    (story,) = ids
    return story


def _fragment(c: OnlineClusterer, t0: float, words: list[str], n: int = 4) -> int:
    ids = {c.add(words, t0 + 60 * i).event_id for i in range(n)}
    (fragment,) = ids
    return fragment


def test_a_fragment_on_a_sub_topic_in_words_its_story_holds_joins_the_story() -> None:
    c = _quiet(threshold=0.3)
    story = _road_story(c, 40)
    fragment = _fragment(c, T0 + 3000, ["工期", "一个月", "按时", "完成", "希望"])
    assert fragment != story
    # its likeness to the story's whole profile is as weak as everyday chatter's
    assert c._specific_cosine(fragment, story, {}, {}) < c.consolidate_threshold  # type: ignore[operator]
    (m,) = c.consolidate()
    assert (m.absorbed, m.survivor) == (fragment, story) and m.similarity >= 0.8
    assert c.size(story) == 44
    assert c.split(fragment) == story and c.size(story) == 40 and c.consolidate() == []  # reversible


def test_a_fragment_does_not_join_a_peer_a_stale_story_or_words_nobody_holds() -> None:
    words = ["工期", "一个月", "按时", "完成", "希望"]
    c = _quiet(threshold=0.3)
    story = _road_story(c, 12)  # a story of 12: a peer of a fragment of 4, not its story
    _fragment(c, T0 + 3000, words)
    assert c.consolidate() == []
    c = _quiet(threshold=0.3)
    story = _road_story(c, 40)
    _fragment(c, T0 + 3 * 86400.0, words)  # three days after the story's last post
    assert c.consolidate() == [] and c.size(story) == 40
    c = _quiet(threshold=0.3)
    story = _road_story(c, 40)
    # everyday words spread over the chatter events: no one event holds most of them
    _fragment(c, T0 + 3000, ["晚上", "热闹", "好吃", "希望", "好看"])
    assert c.consolidate() == [] and c.size(story) == 40


def test_a_story_post_close_to_chatter_only_by_everyday_words_joins_the_story_that_holds_its_words() -> None:
    c = _quiet()
    blob = [["晚上", "散步", "好多", "热闹", "广场"], ["晚上", "好多", "热闹", "夜市", "烧烤"]]
    small = [["晚上", "下雨", "带伞", "记得"], ["好多", "快递", "柜子", "不够"], ["晚上", "音响", "太吵", "楼下"]]
    lotus = [["荷花节", "荷塘", "开幕", "游客", "栈道"], ["荷花节", "荷塘", "门票", "免费", "游客"]]
    lotus.append(["荷花节", "荷塘", "荷灯", "夜游", "加开"])
    (chatter,) = {c.add(blob[i % 2], T0 + i).event_id for i in range(40)}
    assert len({c.add(small[i % 3], T0 + 50 + i).event_id for i in range(30)} - {chatter}) == 3
    (story,) = {c.add(lotus[i % 3], T0 + 100 + 60 * i).event_id for i in range(30)}
    post = ["晚上", "荷灯", "夜游", "好多", "照片"]  # 晚上的荷灯夜游绝了！拍了好多照片
    # by the cosine, the big chatter event (晚上, 好多) is closer than the story's whole profile …
    best, sim = c._best(c._scores(c._vector(post)), 1.0, c.threshold, c.position_, c.now_)
    assert best == chatter and sim < 0.35
    # … but the story holds 荷灯 and 夜游, the words that say what the post is about
    hit = c.add(post, T0 + 2000)
    assert hit.event_id == story and not hit.created
    assert c.add(["晚上", "好多", "散步", "照片"], T0 + 2100).event_id == chatter  # everyday words: as before


def test_an_analysts_merge_is_followed_by_the_engine() -> None:
    p = Pipeline()
    water = [Item(f"w{i}", f"柳湾镇停水了，什么时候恢复供水？第{i}天", T0 + 60 * i) for i in range(6)]
    lotus = [Item(f"l{i}", f"荷塘乡荷花节开幕，门票免费，游客很多 {i}", T0 + 30 + 60 * i) for i in range(5)]
    placed = {a.item_id: a.event_id for a in p.partial_fit(water + lotus).assignments}
    into, other = placed["w0"], placed["l0"]
    assert into != other
    merged = p.merge_events(other, into)  # the analyst: one story
    assert (merged.event_id, merged.item_count) == (into, 11)
    assert p.clusterer_.resolve(other) == into
    q = Pipeline.from_checkpoint(p.checkpoint())  # the merge survives a restart
    for engine in (p, q):
        later = engine.partial_fit(
            [
                Item("w9", "柳湾镇停水了，什么时候恢复供水？第9天", T0 + 1200),
                Item("l9", "荷塘乡荷花节开幕，门票免费，游客很多 9", T0 + 1260),
            ]
        )
        assert {a.event_id for a in later.assignments} == {into}
        assert {e.event_id: e.item_count for e in later.events}[into] == 13
    with pytest.raises(KeyError):
        p.merge_events(10_000, into)
    assert p.merge_events(other, into).item_count == 13  # merging again changes nothing


# --- decision 0128: a story's first posts, placed in everyday chatter before the story had an event, move to it

BLOB = [["晚上", "散步", "好多", "热闹", "广场"], ["晚上", "好多", "热闹", "夜市", "烧烤"]]
ROADWORKS = [["滨河路", "车道", "围挡", "施工", "绕行"], ["滨河路", "围挡", "施工", "东段", "封闭"]]
SMALL = [["晚上", "下雨", "带伞", "记得"], ["好多", "快递", "柜子", "不够"], ["晚上", "音响", "太吵", "楼下"]]


def _chatter(c: OnlineClusterer, t0: float = T0) -> int:
    """A big event of everyday chatter (晚上, 好多) among three small ones with the same everyday words."""
    (chatter,) = {c.add(BLOB[i % 2], t0 + i).event_id for i in range(40)}
    assert len({c.add(SMALL[i % 3], t0 + 50 + i).event_id for i in range(30)} - {chatter}) == 3
    return chatter


def test_a_story_post_placed_in_chatter_before_its_story_had_an_event_moves_to_it() -> None:
    c = _quiet()
    chatter = _chatter(c)
    # the story's first post: no story to join yet, a weak likeness to the chatter (晚上, 好多)
    first = c.add(["晚上", "滨河路", "车道", "围挡", "好多"], T0 + 100, key="first")
    everyday = c.add(["晚上", "好多", "照片", "拍了"], T0 + 110, key="everyday")
    assert first.event_id == everyday.event_id == chatter
    assert 0 < first.similarity < 0.35 and 0 < everyday.similarity < 0.35
    assert c.tracks("first") and c.tracks("everyday")
    (story,) = {c.add(ROADWORKS[i % 2], T0 + 3600 + 60 * i).event_id for i in range(30)}
    assert story != chatter
    assert c.consolidate() == []  # no event merged …
    (move,) = c.take_moves()  # … but the post moved to the story that now holds its words
    assert (move.key, move.source, move.target) == ("first", chatter, story) and move.share >= 0.8
    assert (c.size(chatter), c.size(story)) == (41, 31)
    assert chatter not in c.postings_["滨河路"] and chatter in c.postings_["晚上"]
    assert not c.tracks("first") and c.tracks("everyday")  # everyday words: it stays where it is
    assert c.consolidate() == [] and c.take_moves() == ()
    c.transfer(chatter, story, 2)  # its copy and its reply follow it
    assert (c.size(chatter), c.size(story)) == (39, 33)


def test_a_post_does_not_move_to_a_story_that_began_days_later_or_an_event_it_was_split_from() -> None:
    c = _quiet()
    chatter = _chatter(c)
    c.add(["晚上", "滨河路", "车道", "围挡", "好多"], T0 + 100, key="early")
    later = T0 + 2 * 86400.0  # the road works begin two days after the post
    for i in range(30):
        c.add(BLOB[i % 2], T0 + 86400.0 + 60 * i)  # the chatter goes on
    (story,) = {c.add(ROADWORKS[i % 2], later + 100 + 60 * i).event_id for i in range(30)}
    c.consolidate()
    assert c.take_moves() == () and c.size(chatter) == 71 and c.tracks("early")
    # restored from a checkpoint, a weak join is still watched
    c = _quiet()
    chatter = _chatter(c)
    c.add(["晚上", "滨河路", "车道", "围挡", "好多"], T0 + 100, key="first")
    c = OnlineClusterer.from_state(c.to_state())
    assert c.tracks("first")
    (story,) = {c.add(ROADWORKS[i % 2], T0 + 3600 + 60 * i).event_id for i in range(30)}
    c.apart_.add((min(chatter, story), max(chatter, story)))  # an analyst split the two apart
    c.consolidate()
    assert c.take_moves() == ()
    c.apart_.clear()
    # the story goes on: looked at again once it has grown by a quarter
    assert {c.add(ROADWORKS[i % 2], T0 + 7200 + 60 * i).event_id for i in range(10)} == {story}
    c.consolidate()
    assert [m.key for m in c.take_moves()] == ["first"]


def test_a_storys_first_posts_leave_the_chatter_with_their_copies_and_replies() -> None:
    items, story = demo(42)  # its road works began with posts that joined everyday chatter
    p = Pipeline()
    event_of: dict[str, int | None] = {}
    merged: dict[int, int] = {}
    moved: list[tuple[str, ...]] = []
    counts: dict[int, int] = {}
    for k in range(0, len(items), 500):
        result = p.partial_fit(items[k : k + 500])
        event_of.update((a.item_id, a.event_id) for a in result.assignments)
        merged.update((m.absorbed, m.survivor) for m in result.merges)
        for mv in result.moves:
            assert mv.source != mv.target and mv.reason == "consolidation"
            event_of.update((i, mv.target) for i in mv.items)
            moved.append(mv.items)
        counts.update((s.event_id, s.item_count) for s in result.events if s.merged_into is None)

    def final(e: int) -> int:
        while e in merged:
            e = merged[e]
        return e

    per_event: Counter[int] = Counter(final(e) for e in event_of.values() if e is not None)
    road = Counter(final(e) for i, e in event_of.items() if e is not None and story[i] == "road_works")
    (main, n), *rest = road.most_common()
    assert n >= 0.95 * sum(road.values()) and all(c < 5 for _, c in rest[1:])
    # the first post moved with its copies and the replies to it (and the replies to those)
    (first,) = [m for m in moved if "demo-42-00016" in m]
    assert len(first) >= 8 and {"demo-42-00104", "demo-42-00109", "demo-42-00066", "demo-42-00188"} <= set(first)
    assert final(event_of["demo-42-00016"]) == main
    # every item moved went to the event of its own story, and the events' counts follow
    for items_moved in moved:
        (target,) = {final(event_of[i]) for i in items_moved}  # type: ignore[arg-type]
        owner = Counter(story[i] for i, e in event_of.items() if e is not None and final(e) == target)
        assert {story[i] for i in items_moved} == {owner.most_common(1)[0][0]}
    assert {e: counts[e] for e in per_event} == dict(per_event)  # every event counts the items it has


def test_a_young_fragment_close_to_chatter_by_everyday_words_joins_the_story_that_holds_its_words() -> None:
    """Decision 0129: a story's sub-topic (文旅局说下周末加开非遗表演) at its second chance is merged
    into the event that holds its words, not the chatter it is weakly closer to through 周末/孩子."""
    c = _quiet(threshold=0.3, merge_threshold=0.2)
    weekend = [["周末", "带", "孩子", "公园", "图书馆"], ["周末", "带", "孩子", "公园", "热闹"]]
    lotus = [["荷花节", "荷塘", "文旅局", "加开", "游客"], ["荷花节", "荷塘", "门票", "免费", "游客"]]
    lotus.append(["荷花节", "荷塘", "非遗", "表演", "文旅局"])
    for k, w in enumerate(["米粉", "夜市", "广场舞", "快递", "下雨", "烧烤", "跑步", "钓鱼", "书店", "电影"]):
        c.add([("周末", "带", "孩子")[k % 3], w, w + "店", w + "好"], T0 + 50 * k)  # everyday words everywhere
    (story,) = {c.add(lotus[i % 3], T0 + 1000 + 60 * i).event_id for i in range(30)}
    (chatter,) = {c.add(weekend[i % 2], T0 + 18 * 3600 + 60 * i).event_id for i in range(40)}
    words = ["文旅局", "周末", "带", "孩子", "加开", "非遗", "表演"]
    fragment = c.add(words, T0 + 20 * 3600)
    assert fragment.created
    # by the decayed cosine the chatter, active an hour ago, is closer than the story of last night
    young = c.events_[fragment.event_id]
    best, sim = c._best(c._scores(young.centroid, exclude=fragment.event_id), young.norm, 0.2, c.position_, c.now_)
    assert best == chatter and sim < 0.35
    hit = c.add(words, T0 + 20 * 3600 + 60)
    assert (hit.event_id, hit.merged) == (story, (fragment.event_id,))
    assert (c.size(story), c.size(chatter)) == (32, 40)
