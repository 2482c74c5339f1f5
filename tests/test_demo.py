"""The fictional demo stream: deterministic, time-ordered, bursty, and readable by the engine."""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from qingting.core.io import items, read_records
from qingting.core.types import Item
from qingting.demo import DEFAULT_START, SCENARIO_KEYS, SCENARIOS, SOURCE_KINDS, generate, write_jsonl
from qingting.demo.__main__ import main as demo_main
from qingting.demo._scenarios import COMMON_SLOTS, REGIONS

Records = list[dict[str, Any]]
OFFICIAL_AUTHORS = {"青禾发布", "青禾县水务局", "青禾县教育局", "青禾交警", "青禾文旅", "青禾县市场监管"}
FIELDS = {
    "id", "time", "text", "title", "source", "source_kind", "mainstream", "region", "author",
    "engagement", "lang", "script", "scenario", "kind", "parent",
}  # fmt: skip


@pytest.fixture(scope="module")
def records() -> Records:
    return generate()


def _time(record: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(record["time"])


def _hourly(recs: Records) -> tuple[datetime, Counter[int]]:
    """Items per hour counted from a story's first item."""
    t0 = _time(recs[0])
    return t0, Counter(int((_time(r) - t0).total_seconds() // 3600) for r in recs)


def _shingles(text: str) -> set[str]:
    t = "".join(text.split())
    return {t[i : i + 3] for i in range(max(len(t) - 2, 1))}


def test_same_seed_gives_the_same_file_byte_for_byte(tmp_path: Path) -> None:
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write_jsonl(a, generate(seed=7))
    write_jsonl(b, generate(seed=7))
    assert a.read_bytes() == b.read_bytes()
    other = [r["text"] for r in generate(seed=8)]
    assert other != [r["text"] for r in generate(seed=7)]


def test_a_few_thousand_items_fast_and_scaled() -> None:
    began = time.perf_counter()
    full = generate()
    elapsed = time.perf_counter() - began
    assert 3000 <= len(full) <= 5000
    assert elapsed < 1.0, f"generate() took {elapsed:.2f} s"
    half = generate(scale=0.5)
    assert 0.4 * len(full) <= len(half) <= 0.6 * len(full)


def test_records_are_time_ordered_within_the_stream_and_in_china_time(records: Records) -> None:
    times = [_time(r) for r in records]
    assert times == sorted(times)
    assert all(r["time"].endswith("+08:00") for r in records)
    assert times[0] >= DEFAULT_START
    assert times[-1] < DEFAULT_START + timedelta(days=14)


def test_ids_are_unique_and_every_field_is_present_and_typed(records: Records) -> None:
    assert len({r["id"] for r in records}) == len(records)
    for r in records:
        assert set(r) == FIELDS, r["id"]
        assert r["text"].strip() and "~" not in r["text"], r["id"]  # "~" marks templates only
        assert r["source_kind"] in SOURCE_KINDS
        assert r["scenario"] in (*SCENARIO_KEYS, "background")
        assert r["region"] in (*REGIONS, "全县")
        assert isinstance(r["engagement"], int) and r["engagement"] >= 0
        assert r["lang"] in ("zh", "en")
        assert r["kind"] in ("original", "repost")
        # Mainstream media are news outlets; weibo users, forums and mailboxes never are.
        assert not r["mainstream"] or r["source_kind"] == "news"
        if r["source_kind"] in ("news", "wechat", "mailbox", "forum"):
            assert r["title"], r["id"]
    kinds = Counter(r["source_kind"] for r in records)
    assert set(kinds) == set(SOURCE_KINDS)
    assert kinds["weibo"] > len(records) / 2
    assert any(r["mainstream"] for r in records)
    assert any(r["source"] == "青禾日报" for r in records)


def test_every_story_bursts_from_a_slow_first_day_to_a_peak(records: Records) -> None:
    by_story: dict[str, Records] = defaultdict(list)
    for r in records:
        by_story[r["scenario"]].append(r)
    assert set(by_story) == {*SCENARIO_KEYS, "background"}
    for key in SCENARIO_KEYS:
        _, hours = _hourly(by_story[key])
        first_day = sum(n for h, n in hours.items() if h < 24) / 24
        peak_hour, peak = max(hours.items(), key=lambda kv: kv[1])
        assert peak_hour >= 24, key  # the peak comes after the slow start
        assert peak >= 10 * first_day and peak >= 15, (key, peak, first_day)
        # ...and declines: the last day is far below the peak.
        last = max(hours)
        assert sum(n for h, n in hours.items() if h > last - 24) / 24 < peak / 5, key
    # Background chatter has no burst: its busiest hour is a small share of the whole.
    _, hours = _hourly(by_story["background"])
    assert max(hours.values()) < 0.02 * len(by_story["background"])


def test_official_responses_come_after_the_peak(records: Records) -> None:
    for key in SCENARIO_KEYS:
        story = [r for r in records if r["scenario"] == key]
        t0, hours = _hourly(story)
        peak_start = t0 + timedelta(hours=max(hours.items(), key=lambda kv: kv[1])[0])
        official = [r for r in story if r["author"] in OFFICIAL_AUTHORS and r["kind"] == "original"]
        assert official, key
        assert min(_time(r) for r in official) >= peak_start, key


def test_the_rumour_is_refuted_by_market_regulation_and_talk_changes_after(records: Records) -> None:
    story = [r for r in records if r["scenario"] == "food_rumour"]
    refutation = [r for r in story if r["author"] == "青禾县市场监管" and "辟谣" in r["text"]]
    assert refutation
    refuted_at = _time(refutation[0])
    before = [r for r in story if _time(r) < refuted_at]
    after = [r for r in story if _time(r) > refuted_at and r["kind"] == "original"]
    assert not any("辟谣了" in r["text"] or "原来是谣言" in r["text"] for r in before)
    assert sum("扩散" in r["text"] for r in before) > 20  # the rumour spread first
    assert sum("谣" in r["text"] for r in after) > 10


def test_no_post_spreads_the_rumour_and_calls_it_a_rumour_at_once(records: Records) -> None:
    story = [r for r in records if r["scenario"] == "food_rumour" and r["kind"] == "original"]
    spreading = [r for r in story if "紧急扩散！石桥" in r["text"]]
    assert spreading
    assert not any("别乱传" in r["text"] or "不信谣" in r["text"] for r in spreading)


def test_festival_is_mostly_positive_and_the_outage_mostly_negative(records: Records) -> None:
    def mood(key: str) -> tuple[int, int]:
        texts = "".join(r["text"] for r in records if r["scenario"] == key)
        pos = sum(texts.count(e) for e in COMMON_SLOTS["emo_pos"])
        neg = sum(texts.count(e) for e in COMMON_SLOTS["emo_neg"])
        return pos, neg

    pos, neg = mood("lotus_festival")
    assert pos > 3 * neg
    pos, neg = mood("water_outage")
    assert neg > 3 * pos


def test_reposts_point_to_earlier_items_of_the_same_story(records: Records) -> None:
    index = {r["id"]: i for i, r in enumerate(records)}
    reposts = [r for r in records if r["kind"] == "repost"]
    assert len(reposts) > 0.15 * len(records)
    chains = 0
    for r in reposts:
        parent = records[index[r["parent"]]]
        assert index[r["parent"]] < index[r["id"]]
        assert _time(parent) <= _time(r)
        assert parent["scenario"] == r["scenario"]
        if "//@" in r["text"]:
            chains += 1
            assert f"//@{parent['author']}:" in r["text"]
    assert all(r["parent"] is None for r in records if r["kind"] == "original")
    assert chains > 20
    assert sum(r["text"] == "转发微博" for r in reposts) > 50
    # Official posts draw reposts.
    assert any(records[index[r["parent"]]]["author"] in OFFICIAL_AUTHORS for r in reposts)


def test_a_healthy_share_of_near_duplicates(records: Records) -> None:
    recent: dict[str, list[set[str]]] = defaultdict(list)
    near = total = 0
    for r in records:
        if r["kind"] != "original" or r["source_kind"] != "weibo" or len(r["text"]) < 12:
            continue
        s = _shingles(r["text"])
        prev = recent[r["scenario"]]
        total += 1
        if any(len(s & p) / len(s | p) >= 0.6 for p in prev[-150:]):
            near += 1
        prev.append(s)
    # Copy-pasted posts with small edits exist, but most posts are their own words.
    assert 0.15 <= near / total <= 0.6, near / total
    # Copies are edited, not only identical.
    texts = Counter(r["text"] for r in records if r["kind"] == "original" and r["source_kind"] == "weibo")
    assert sum(n for n in texts.values() if n > 1) < 0.2 * total


def test_traditional_and_english_items_are_present(records: Records) -> None:
    hant = [r for r in records if r["script"] == "Hant"]
    assert len(hant) >= 50
    assert all(re.search("[鄉鎮縣節灣橋們聽說來滷薦買雲風錯]", r["text"]) for r in hant)
    assert any(r["source"] == "旅人茶館·青禾版" for r in hant)
    assert len({r["scenario"] for r in hant}) >= 4
    english = [r for r in records if r["lang"] == "en"]
    assert 10 <= len(english) <= 0.05 * len(records)
    assert all(r["script"] == "Latn" and re.fullmatch(r"[ -~]+", r["text"]) for r in english)


def test_weibo_style_markup_is_there(records: Records) -> None:
    weibo = [r["text"] for r in records if r["source_kind"] == "weibo"]
    assert sum(bool(re.search(r"#[^#]+#", t)) for t in weibo) > 300
    assert sum(bool(re.search(r"\[[^\]]+\]", t)) for t in weibo) > 300
    assert sum("@青禾" in t for t in weibo) > 50
    assert sum("http://t.cn/" in t for t in weibo) > 30


def test_the_engine_reads_every_record(tmp_path: Path, records: Records) -> None:
    path = tmp_path / "demo.jsonl"
    assert write_jsonl(path, records) == len(records)
    parsed = [item for _, item in items(read_records(path))]
    assert len(parsed) == len(records)
    assert all(isinstance(item, Item) for item in parsed)
    first = parsed[0]
    assert isinstance(first, Item)
    assert first.id == records[0]["id"]
    assert first.time == _time(records[0]).timestamp()
    assert sum(isinstance(i, Item) and i.mainstream for i in parsed) == sum(r["mainstream"] for r in records)


def test_start_is_taken_in_china_time_and_bad_arguments_are_refused() -> None:
    naive = generate(start=datetime(2026, 1, 1), days=5, scale=0.2)
    assert naive[0]["time"].startswith("2026-01-0") and naive[0]["time"].endswith("+08:00")
    aware = generate(start=datetime(2025, 12, 31, 16, tzinfo=UTC), days=5, scale=0.2)
    assert [r["time"] for r in aware] == [r["time"] for r in naive]
    other_zone = generate(start=datetime(2026, 1, 1, 1, tzinfo=timezone(timedelta(hours=9))), days=5, scale=0.2)
    assert other_zone[0]["time"] == naive[0]["time"]
    with pytest.raises(ValueError, match="days"):
        generate(days=0)
    with pytest.raises(ValueError, match="scale"):
        generate(scale=0)


def test_the_module_command_writes_jsonl(tmp_path: Path) -> None:
    out = tmp_path / "demo.jsonl"
    assert demo_main(["-o", str(out), "--scale", "0.2", "--seed", "3"]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(generate(seed=3, scale=0.2))
    assert "青禾" in out.read_text(encoding="utf-8")


def test_scenarios_are_the_five_stories_of_the_brief() -> None:
    assert SCENARIO_KEYS == ("water_outage", "school_admission", "road_works", "lotus_festival", "food_rumour")
    assert all(s.officials for s in SCENARIOS)
