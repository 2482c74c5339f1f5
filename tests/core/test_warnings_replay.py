"""Replays of constructed streams through the real pipeline: a known burst and known quiet days."""

from __future__ import annotations

import random

from qingting.core.rules import compile_expression
from qingting.core.types import Item
from qingting.core.warnings import Tier, WarningPolicy
from qingting.core.warnings.replay import Raised, ReplayStats, format_summary, replay, summarize

T0 = 1_778_551_200.0  # 2026-05-12 10:00 UTC+8
PLACES = ["河口村", "青禾镇", "东岭乡", "西坝村", "南山社区", "北湖街道", "石桥镇", "桃园村"]
TOPICS = ["路灯坏了", "垃圾没人清运", "公交改线", "菜市场搬迁", "学校门口堵车", "小区停车难", "广场舞扰民"]


def quiet_stream(days: int, rng: random.Random) -> list[tuple[Item, str]]:
    """One ordinary post every ~20 minutes on a rotating set of unrelated local topics."""
    out = []
    t = T0
    n = 0
    while t < T0 + days * 86400:
        place, topic = rng.choice(PLACES), rng.choice(TOPICS)
        out.append(
            (Item(f"q{n}", f"{place}{topic}，希望有关部门看看。{n}", time=t, source="weibo"), f"q-{place}{topic}")
        )
        n += 1
        t += rng.uniform(600, 1800)
    return out


def burst(start: float, count: int, minutes: float, rng: random.Random) -> list[tuple[Item, str]]:
    """``count`` posts about one water cut within ``minutes``."""
    tails = ["什么时候恢复供水？", "家里一滴水都没有了", "老人孩子怎么办", "也没提前通知", "水务局电话打不通"]
    out = []
    for i in range(count):
        t = start + rng.random() * minutes * 60
        text = f"柳湾镇全镇停水{rng.choice(['，', '！', '了，'])}{rng.choice(tails)}"
        out.append((Item(f"b{i}", text, time=t, source=rng.choice(["weibo", "douyin", "news"])), "water"))
    return out


def run(stream: list[tuple[Item, str]], expr: str = "*") -> tuple[list[Raised], ReplayStats]:
    stream.sort(key=lambda p: p[0].time or 0.0)
    stats = ReplayStats()
    raised = list(replay(stream, matcher=compile_expression(expr), policy=WarningPolicy(), stats=stats))
    return raised, stats


def test_quiet_days_raise_no_warning() -> None:
    raised, stats = run(quiet_stream(2, random.Random(3)))
    assert stats.items > 100
    assert raised == []


def test_a_burst_is_warned_early_with_a_reason() -> None:
    rng = random.Random(5)
    stream = quiet_stream(2, rng) + burst(T0 + 30 * 3600, 300, 45, rng)
    raised, stats = run(stream)
    assert raised, "the burst raised no warning"
    water = [r for r in raised if r.cluster == "water"]
    assert water and len(water) == len(raised)  # nothing else warned
    first = water[0]
    assert first.warning.created_at - (T0 + 30 * 3600) < 20 * 60  # within 20 minutes of the first post
    assert first.cluster_count < 150  # before half of the burst had arrived
    assert max(r.warning.tier for r in water) >= Tier.III  # it was raised as it grew
    assert "条" in first.warning.reason_zh and "items in 1 hour" in first.warning.reason_en
    summary = summarize(raised, stats, big=200)
    (lead,) = summary.leads
    assert lead.cluster == "water" and lead.share is not None and lead.share < 0.5
    assert summary.quiet_warnings == 0
    text = "\n".join(format_summary(summary, stats))
    assert "warned 1 (100%)" in text


def test_the_scheme_decides_what_reaches_the_rules() -> None:
    rng = random.Random(7)
    stream = quiet_stream(1, rng) + burst(T0 + 10 * 3600, 200, 40, rng)
    raised, stats = run(stream, expr="停电 OR 断电")
    assert raised == [] and stats.matched == 0
    raised, stats = run(stream, expr="柳湾镇 (停水 OR 断水) -演习")
    assert raised and stats.matched == 200
