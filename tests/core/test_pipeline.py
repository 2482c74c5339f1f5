"""The assembled pipeline: one assignment per item, duplicates and reposts, events, restarts, bad input."""

from __future__ import annotations

import random
from collections import Counter, defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qingting.core.io import Record, to_item
from qingting.core.pipeline import Pipeline, PipelineConfig
from qingting.core.types import DuplicateKind, Item, TrendState
from qingting.demo import generate

T0 = 1_790_812_800.0  # 2026-10-01 08:00 +08:00

WATER = [
    "柳湾镇今天上午突然停水，到现在还没有来水，家里老人孩子怎么办",
    "柳湾镇停水一整天了，自来水公司电话一直打不通，什么时候恢复供水",
    "柳湾镇大面积停水，超市的矿泉水都被买空了，希望尽快抢修",
    "柳湾镇停水原因是主管道爆裂，抢修队正在现场，预计晚上恢复供水",
    "住在柳湾镇的朋友说停水快二十个小时了，自来水公司给个说法",
]
SCHOOL = [
    "城关镇学区划分方案公布，不少家长对新划片范围有意见",
    "学区划分调整后孩子要去更远的小学，家长们希望教育局重新考虑",
    "教育局回应学区划分争议：将召开家长座谈会听取意见",
    "城关镇小学入学报名开始，学区划分新方案引发家长热议",
    "家长质疑学区划分不公平，教育局表示划片依据是居住人口",
]


def stream(n_rounds: int = 6, gap: float = 60.0) -> list[Item]:
    items, t = [], T0
    for r in range(n_rounds):
        for i, text in enumerate(WATER):
            items.append(Item(f"w{r}-{i}", f"{text}（第{r}轮）" if r % 2 else text, time=t, source=f"s{(i + r) % 3}"))
            t += gap
        for i, text in enumerate(SCHOOL):
            items.append(Item(f"s{r}-{i}", text + ("！" * (r % 3)), time=t, source=f"s{i % 2}"))
            t += gap
    return items


def test_one_assignment_per_item_in_order() -> None:
    items = stream()
    result = Pipeline().partial_fit(items)
    assert [a.item_id for a in result.assignments] == [it.id for it in items]


def background() -> list[Item]:
    """Ordinary chatter before the stories: the engine learns which words are common."""
    recs = [r for r in generate() if r["scenario"] == "background"][:400]
    items = [to_item(Record(r["id"], {**r, "time": T0 - 86400 + i})) for i, r in enumerate(recs)]
    return [it for it in items if isinstance(it, Item)]


def test_two_stories_become_two_events() -> None:
    p = Pipeline()
    p.partial_fit(background())
    result = p.partial_fit(stream())
    water = Counter(a.event_id for a in result.assignments if a.item_id.startswith("w"))
    school = Counter(a.event_id for a in result.assignments if a.item_id.startswith("s"))
    assert not set(water) & set(school), "no event mixes the two stories"
    ((w, n),) = water.most_common(1)
    assert n >= 0.6 * water.total()
    assert school.most_common(1)[0][1] >= 0.6 * school.total()
    events = {e.event_id: e for e in result.events}
    assert "停水" in events[w].title and "停水" in events[w].keywords


def test_demo_stories_each_become_one_main_event() -> None:
    records = generate()
    items = [to_item(Record(r["id"], r)) for r in records]
    result = Pipeline().partial_fit([it for it in items if isinstance(it, Item)])
    sizes = Counter(a.event_id for a in result.assignments)
    by_story: dict[str, Counter[int | None]] = defaultdict(Counter)
    for r, a in zip(records, result.assignments, strict=True):
        by_story[r["scenario"]][a.event_id] += 1
    for story, events in by_story.items():
        if story == "background":
            continue
        event, n = events.most_common(1)[0]
        assert n / sum(events.values()) >= 0.6, f"{story}: its main event holds too little of it"
        assert n / sizes[event] >= 0.9, f"{story}: its main event mixes in other stories"


def test_exact_and_near_duplicates_point_to_the_first_copy() -> None:
    items = [
        Item("a", WATER[0], time=T0),
        Item("b", WATER[0], time=T0 + 10),
        Item("c", WATER[0] + "！！", time=T0 + 20),
        Item("d", WATER[1], time=T0 + 30),
    ]
    a = Pipeline().partial_fit(items).assignments
    assert a[0].duplicate_of is None
    assert (a[1].duplicate_of, a[1].duplicate_kind) == ("a", DuplicateKind.EXACT)
    assert (a[2].duplicate_of, a[2].duplicate_kind) == ("a", DuplicateKind.NEAR)
    assert a[3].duplicate_of is None
    assert a[0].event_id == a[1].event_id == a[2].event_id


def test_traditional_and_simplified_copies_collapse() -> None:
    a = (
        Pipeline()
        .partial_fit(
            [
                Item("s", "柳湾镇停水一整天了，自来水公司电话一直打不通", time=T0),
                Item("t", "柳灣鎮停水一整天了，自來水公司電話一直打不通", time=T0 + 5),
            ]
        )
        .assignments
    )
    assert a[1].duplicate_of == "s" and a[1].duplicate_kind is DuplicateKind.EXACT


def test_bare_repost_joins_its_parent() -> None:
    a = (
        Pipeline()
        .partial_fit(
            [
                Item("o", WATER[0], time=T0),
                Item("r1", "转发微博", time=T0 + 5, parent="o"),
                Item("r2", "//@某网友:太难了", time=T0 + 6, parent="o"),
                Item("r3", "转发微博", time=T0 + 7, parent="unknown"),
            ]
        )
        .assignments
    )
    assert a[1].duplicate_kind is DuplicateKind.REPOST and a[1].event_id == a[0].event_id
    assert a[2].event_id == a[0].event_id and a[2].duplicate_of == "o"
    assert a[3].event_id is None and "no-content" in a[3].notes


def test_repost_with_own_words_joins_its_parents_conversation() -> None:
    a = (
        Pipeline()
        .partial_fit([Item("o", WATER[0], time=T0), Item("r", "太可怕了，支持尽快解决", time=T0 + 5, parent="o")])
        .assignments
    )
    assert a[1].event_id == a[0].event_id
    assert a[1].duplicate_kind is None  # it says something of its own: a voice, not a copy


def test_short_copies_are_marked_but_do_not_glue_stories_together() -> None:
    a = (
        Pipeline()
        .partial_fit(
            [
                Item("1", "支持", time=T0),
                Item("2", WATER[0], time=T0 + 1),
                Item("3", "支持", time=T0 + 2),
            ]
        )
        .assignments
    )
    assert a[2].duplicate_of == "1" and a[2].duplicate_kind is DuplicateKind.EXACT
    assert a[2].event_id != a[1].event_id


def test_repost_chain_with_own_words_is_matched_on_them() -> None:
    a = (
        Pipeline()
        .partial_fit([Item("o", WATER[0], time=T0), Item("r", f"这也太过分了吧//@某网友:{WATER[0]}", time=T0 + 5)])
        .assignments
    )
    assert a[1].duplicate_kind is None


def test_events_report_counts_sources_and_trend() -> None:
    p = Pipeline()
    p.partial_fit(background())
    result = p.partial_fit(stream(n_rounds=10, gap=20.0))
    ev = max((e for e in result.events if "停水" in e.keywords), key=lambda e: e.item_count)
    assert ev.source_count == 3  # the water posts come from s0, s1 and s2
    assert ev.duplicate_count >= 0.5 * ev.item_count  # each text is repeated ten times
    assert sum(c for _, c in ev.buckets) == ev.item_count
    assert 0 < ev.heat <= 100
    assert ev.trend in set(TrendState)
    assert ev.first_seen <= ev.last_seen


def test_negative_posts_make_a_negative_event() -> None:
    p = Pipeline()
    p.partial_fit(background())
    result = p.partial_fit(stream())
    water = next(e for e in result.events if "停水" in e.keywords)
    assert water.negative_share > 0.5


def test_deterministic() -> None:
    items = stream()
    one = Pipeline(PipelineConfig(seed=3)).partial_fit(items)
    two = Pipeline(PipelineConfig(seed=3)).partial_fit(items)
    assert one == two


def test_batches_give_the_same_answer_as_one_batch() -> None:
    items = stream()
    whole = Pipeline().partial_fit(items).assignments
    p = Pipeline()
    parts = [a for i in range(0, len(items), 7) for a in p.partial_fit(items[i : i + 7]).assignments]
    assert [(a.event_id, a.duplicate_of) for a in parts] == [(a.event_id, a.duplicate_of) for a in whole]


def test_snapshot_and_restore_continue_the_same_events() -> None:
    items = stream()
    half = len(items) // 2
    straight = Pipeline().partial_fit(items).assignments
    p = Pipeline()
    first = p.partial_fit(items[:half]).assignments
    restored = Pipeline.restore(p.snapshot())
    second = restored.partial_fit(items[half:]).assignments
    assert [(a.event_id, a.duplicate_of) for a in (*first, *second)] == [(a.event_id, a.duplicate_of) for a in straight]


def test_restore_refuses_other_bytes() -> None:
    with pytest.raises(ValueError, match="snapshot"):
        Pipeline.restore(b"not a snapshot")


def test_idle_events_retire_and_memory_stays_bounded() -> None:
    p = Pipeline(PipelineConfig(window_seconds=3600.0))
    rng = random.Random(0)
    retired = 0
    for day in range(30):
        t = T0 + day * 86400
        batch = [Item(f"{day}-{i}", f"第{day}号话题 {rng.choice(WATER)} 编号{day}", time=t + i) for i in range(20)]
        retired += sum(1 for e in p.partial_fit(batch).events if e.retired)
    assert retired >= 25
    assert len(p.events_) <= 3
    assert len(p.item_event_) <= 40


def test_bad_input_never_stops_the_stream() -> None:
    huge = "停水" * 5_000_000  # 10 MB of text
    items = [
        Item("empty", "", time=T0),
        Item("blank", "   \n\t", time=T0 + 1),
        Item("junk", "\udcff\x00\x01\ufffd�", time=T0 + 2),
        Item("huge", huge, time=T0 + 3),
        Item("no-time", WATER[0]),
        Item("late", WATER[1], time=T0 - 86400),
        Item("url-only", "http://t.cn/abc @某人", time=T0 + 5),
        Item("foreign", "Привет, как дела? Всё хорошо.", time=T0 + 6),
    ]
    a = {x.item_id: x for x in Pipeline().partial_fit(items).assignments}
    assert len(a) == len(items)
    assert a["empty"].event_id is None and "empty-text" in a["empty"].notes
    assert a["blank"].event_id is None and "empty-text" in a["blank"].notes
    assert "truncated" in a["huge"].notes and a["huge"].event_id is not None
    assert "time-missing" in a["no-time"].notes and a["no-time"].time == T0 + 3
    assert "time-out-of-order" in a["late"].notes
    assert a["url-only"].event_id is None
    assert a["foreign"].lang == "ru"


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="window_seconds"):
        PipelineConfig(window_seconds=0)
    with pytest.raises(ValueError, match="neutral_band"):
        PipelineConfig(neutral_band=(0.7, 0.3))
    with pytest.raises(ValueError, match="dedupe_threshold"):
        PipelineConfig(dedupe_threshold=1.5)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(WATER + SCHOOL + ["", "转发微博"]), st.integers(0, 3), st.booleans()),
        min_size=1,
        max_size=30,
    )
)
def test_duplicates_and_reposts_always_point_backwards(rows: list[tuple[str, int, bool]]) -> None:
    items = []
    for i, (text, bang, repost) in enumerate(rows):
        parent = f"i{i - 1}" if repost and i else None
        items.append(Item(f"i{i}", text + "！" * bang, time=T0 + i, parent=parent))
    seen: set[str] = set()
    for a in Pipeline().partial_fit(items).assignments:
        if a.duplicate_of is not None:
            assert a.duplicate_of in seen
        seen.add(a.item_id)
