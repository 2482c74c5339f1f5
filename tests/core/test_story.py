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
from qingting.core.text.headline import content_free, headline
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
    assert got == expected  # assignments, summaries and merges, field by field
