"""Warning rules and tiers: thresholds, key dates, quiet hours and the reasons people read."""

from __future__ import annotations

import datetime as dt

import pytest

from qingting.core.types import EventSummary, TrendState
from qingting.core.warnings import (
    KeyDate,
    QuietHours,
    Signals,
    Tier,
    TierRule,
    WarningPolicy,
    assess,
    reason,
    signals_of,
)

BUCKET = 1800.0
# 2026-03-05 10:00 in China (UTC+8) — the opening days of the NPC (两会) in an ordinary year
T0 = dt.datetime(2026, 3, 5, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))).timestamp()


def event(
    counts: list[int],
    *,
    now: float = T0,
    z: float = 6.0,
    negative: float = 0.1,
    sources: int = 1,
    mainstream: int = 0,
    trend: TrendState = TrendState.RISING,
    event_id: int = 1,
) -> EventSummary:
    """An event whose last ``len(counts)`` buckets (ending with the open one at ``now``) held ``counts``."""
    open_start = now - now % BUCKET
    buckets = tuple((open_start - (len(counts) - 1 - i) * BUCKET, c) for i, c in enumerate(counts) if c)
    return EventSummary(
        event_id=event_id,
        title="柳湾镇停水",
        keywords=("停水",),
        first_seen=buckets[0][0] if buckets else now,
        last_seen=now,
        item_count=sum(counts),
        duplicate_count=0,
        source_count=sources,
        mainstream_count=mainstream,
        engagement=0,
        buckets=buckets,
        heat=50.0,
        trend=trend,
        burst_z=z,
        sentiment=0.5,
        negative_share=negative,
        lang="zh",
    )


def tier_of(ev: EventSummary, policy: WarningPolicy | None = None, now: float = T0) -> Tier | None:
    a = assess(ev, policy or WarningPolicy(), now)
    return None if a is None else a.tier


def test_tiers_order_by_severity_and_read_well() -> None:
    assert Tier.I > Tier.II > Tier.III > Tier.IV
    assert Tier.I.colour == "red" and Tier.IV.colour == "blue"
    assert Tier.II.label_zh == "Ⅱ级（橙色）预警"
    assert Tier.III.label_en == "Tier III (yellow)"
    assert Tier.parse("orange") is Tier.II and Tier.parse("红色") is Tier.I and Tier.parse("iv") is Tier.IV
    with pytest.raises(ValueError, match="unknown tier"):
        Tier.parse("purple")


def test_window_volume_counts_only_recent_buckets() -> None:
    ev = event([500, 0, 0, 10, 30])  # a big old burst, then a small recent rise
    s = signals_of(ev, T0, window_seconds=3600, bucket_seconds=BUCKET)
    assert s.window_items == 40  # the last two buckets overlap the last hour
    assert s.total_items == 540
    assert s.velocity == 60.0  # 30 in the busiest of the last two half-hour buckets, per hour


def test_quiet_event_raises_nothing() -> None:
    assert tier_of(event([3, 4, 2, 5], z=0.5)) is None
    # enough volume, but steady (no burst): nothing either
    assert tier_of(event([30, 30, 30, 30], z=0.4, trend=TrendState.PEAK)) is None


def test_tiers_grow_with_the_event() -> None:
    assert tier_of(event([5, 25])) is Tier.IV
    assert tier_of(event([40, 80])) is Tier.III
    assert tier_of(event([100, 250])) is Tier.II
    assert tier_of(event([400, 900])) is Tier.I


def test_mainstream_coverage_and_negative_share_raise_the_tier_early() -> None:
    base = event([40, 80])
    assert tier_of(base) is Tier.III
    assert tier_of(event([40, 80], mainstream=3)) is Tier.II
    assert tier_of(event([10, 25], negative=0.7)) is Tier.IV  # 35 in all: too small for III yet
    assert tier_of(event([30, 30], negative=0.7)) is Tier.III


def test_min_tier_suppresses_low_tiers() -> None:
    policy = WarningPolicy(min_tier=Tier.III)
    assert tier_of(event([5, 25]), policy) is None
    assert tier_of(event([40, 80]), policy) is Tier.III


def test_key_dates_tighten_thresholds() -> None:
    small = event([3, 12])  # 15 items in the hour: below blue normally
    assert tier_of(small) is None
    npc = KeyDate(dt.date(2026, 3, 4), dt.date(2026, 3, 11), "两会", factor=0.5)
    policy = WarningPolicy(key_dates=(npc,))
    a = assess(small, policy, T0)
    assert a is not None and a.tier is Tier.IV and a.key_date is npc
    assert tier_of(small, policy, now=T0 + 10 * 86400) is None  # after the period, normal thresholds


def test_annual_key_date_wraps_the_new_year() -> None:
    kd = KeyDate(dt.date(2000, 12, 30), dt.date(2000, 1, 2), "元旦", annual=True)
    assert kd.covers(dt.date(2031, 12, 31)) and kd.covers(dt.date(2032, 1, 2))
    assert not kd.covers(dt.date(2032, 1, 3))


def test_quiet_hours_hold_back_low_tiers_but_not_the_highest() -> None:
    policy = WarningPolicy(quiet_hours=QuietHours(dt.time(22, 0), dt.time(7, 0), min_tier=Tier.II))
    night = T0 + 13 * 3600  # 23:00 local
    assert policy.is_quiet(night) and not policy.is_quiet(T0)
    assert not policy.should_notify(Tier.III, night)
    assert policy.should_notify(Tier.II, night)
    assert policy.should_notify(Tier.IV, T0)
    # a key date with 24-hour watch suspends quiet hours
    watch = WarningPolicy(
        quiet_hours=policy.quiet_hours, key_dates=(KeyDate(dt.date(2026, 3, 5), dt.date(2026, 3, 5), "值守"),)
    )
    assert watch.should_notify(Tier.IV, night)


def test_reason_reads_like_the_example() -> None:
    s = Signals(
        window_items=320,
        velocity=640.0,
        burst_z=6.2,
        total_items=320,
        negative_share=0.58,
        sources=1,
        mainstream=4,
        trend=TrendState.RISING,
    )
    zh, en = reason(s, window_seconds=1800)
    assert zh == "30 分钟内 320 条，高于基线 6.2σ，正在上升；负面 58%；4 家主流媒体报道"
    assert (
        en == "320 items in 30 minutes, 6.2σ above its baseline, rising; 58% negative; reported by 4 mainstream outlets"
    )


def test_reason_names_the_key_date_and_leaves_out_ordinary_figures() -> None:
    s = Signals(20, 40.0, 0.5, 20, 0.1, 1, 0, TrendState.NEW)
    zh, en = reason(s, window_seconds=3600, key_date=KeyDate(dt.date(2026, 6, 1), dt.date(2026, 6, 4), "高考"))
    assert zh == "1 小时内 20 条，刚刚出现；重点时段“高考”，阈值按 50% 计"
    assert "σ" not in en and "negative" not in en and "key period “高考”: thresholds at 50%" in en


def test_rules_validate_and_round_trip() -> None:
    with pytest.raises(ValueError, match="at least one threshold"):
        TierRule(Tier.IV)
    with pytest.raises(ValueError, match="non-negative"):
        TierRule(Tier.IV, min_window_items=-1)
    with pytest.raises(ValueError, match="share"):
        TierRule(Tier.IV, min_negative_share=58)
    rule = TierRule(Tier.II, min_window_items=100, min_mainstream=3, trends=(TrendState.RISING,))
    assert TierRule.from_dict(rule.to_dict()) == rule
    assert rule.to_dict() == {"tier": "II", "min_window_items": 100, "min_mainstream": 3, "trends": ["rising"]}
    with pytest.raises(ValueError, match="unknown rule settings: min_likes"):
        TierRule.from_dict({"tier": "II", "min_likes": 3})


def test_policy_validates() -> None:
    with pytest.raises(ValueError, match="at least one rule"):
        WarningPolicy(rules=())
    with pytest.raises(ValueError, match="factor"):
        KeyDate(dt.date(2026, 1, 1), dt.date(2026, 1, 2), "x", factor=2.0)
    with pytest.raises(ValueError, match="before it starts"):
        KeyDate(dt.date(2026, 1, 3), dt.date(2026, 1, 2), "x")


def test_policy_settings_round_trip_through_plain_json() -> None:
    import json

    policy = WarningPolicy(
        key_dates=(KeyDate(dt.date(2026, 10, 1), dt.date(2026, 10, 7), "国庆", factor=0.6, annual=True),),
        quiet_hours=QuietHours(dt.time(23, 0), dt.time(6, 30), Tier.I),
        cooldown_seconds=7200.0,
        min_tier=Tier.III,
    )
    data = json.loads(json.dumps(policy.to_dict(), ensure_ascii=False))
    assert data["quiet_hours"] == {"start": "23:00", "end": "06:30", "min_tier": "I"}
    assert data["ack_timeouts"] == {"I": 600.0, "II": 1800.0, "III": 14400.0, "IV": None}
    assert WarningPolicy.from_dict(data) == policy
    with pytest.raises(ValueError, match="unknown warning settings: window"):
        WarningPolicy.from_dict({"window": 60})
    edited = WarningPolicy.from_dict({"rules": [{"tier": "IV", "min_window_items": 5}]})
    assert tier_of(event([1, 5], z=0.0), edited) is Tier.IV
