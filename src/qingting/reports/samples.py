"""Fictional figures for the demo county 青禾县 (docs/demo.md): template previews, tests, benchmarks.

An administrator editing a report template needs a preview before any data exists; these figures
fill one. They are deterministic (seeded), clearly fictional and never mixed with real data.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from qingting.reports.figures import (
    BulletinFigures,
    EventFigure,
    Letterhead,
    Period,
    PeriodFigures,
    RepresentativePost,
    SentimentMix,
    TimelineEntry,
    UnitWork,
    WorkFigures,
)

__all__ = ["sample_bulletin_figures", "sample_letterhead", "sample_period_figures", "sample_work_figures"]

TIERS = ("一级（红色）", "二级（橙色）", "三级（黄色）", "四级（蓝色）")


def sample_letterhead(day: date = date(2026, 11, 3), number: int = 12, *, bulletin: bool = False) -> Letterhead:
    """The fictional county's network information office as issuer (a 舆情专报 mark for bulletins)."""
    return Letterhead(
        issuing_unit="青禾县委网信办",
        date=day,
        mark="青禾县委网信办舆情专报" if bulletin else "",
        number=f"青禾舆〔{day.year}〕{number}号",
        addressee="县委办公室、县政府办公室",
        copy_to=("县委宣传部", "县政务服务中心"),
        note="联系人：县委网信办舆情科，电话：0000-0000000",
    )


def sample_period_figures(period: str = "2026-10", seed: int = 7, daily_base: int = 900) -> PeriodFigures:
    """A month (or any period) of plausible figures with one road-works peak."""
    rng = random.Random(seed)
    p = Period.parse(period)
    volume = []
    peak_at = p.start + timedelta(days=p.days // 3)
    for i in range(p.days):
        day = p.start + timedelta(days=i)
        bump = max(0.0, 1.0 - abs((day - peak_at).days) / 4) * daily_base * 3
        volume.append((day, int(daily_base * rng.uniform(0.7, 1.2) + bump)))
    total = sum(n for _, n in volume)
    negative = int(total * 0.18)
    positive = int(total * 0.27)
    events = (
        EventFigure("滨河路道路施工影响出行", int(total * 0.12), 86.4, "declining", peak_at, 0.41),
        EventFigure("柳湾镇停水", int(total * 0.05), 61.2, "rising", p.start + timedelta(days=9), 0.52),
        EventFigure("荷塘乡荷花节", int(total * 0.04), 48.9, "peak", p.start + timedelta(days=20), 0.06),
        EventFigure("城关镇学区划分调整", int(total * 0.02), 30.5, "new", p.start + timedelta(days=25), 0.18),
    )
    share = (0.46, 0.22, 0.14, 0.1, 0.05, 0.03)
    names = ("微博", "微信公众号", "新闻网站", "抖音", "本地论坛", "政务留言板")
    sources = tuple((n, int(total * s)) for n, s in zip(names, share, strict=True))
    towns = ("城关镇", "白鹭镇", "柳湾镇", "荷塘乡", "石桥乡", "桂溪乡", "云岭镇", "县外", "省外", "境外", "未标注")
    regions = tuple((t, int(total * 0.4 / (i + 1))) for i, t in enumerate(towns))
    return PeriodFigures(
        scope="青禾县",
        period=p,
        volume=tuple(volume),
        sentiment=SentimentMix(positive, total - positive - negative, negative),
        top_events=events,
        sources=sources,
        regions=regions,
        warnings_by_tier=tuple(zip(TIERS, (1, 3, 9, 17), strict=True)),
        previous_total=int(total * 0.93),
        assessment=("道路施工类诉求集中在通行和噪声两方面，施工周期内仍可能反复出现，建议住建部门按周发布施工进度。",),
    )


def sample_work_figures(period: str = "2026-H1") -> WorkFigures:
    units = (
        UnitWork("县住建局", 412, 398, 371, 30.5),
        UnitWork("县水务局", 268, 259, 244, 26.0),
        UnitWork("县教育局", 155, 150, 147, 18.2),
        UnitWork("城关镇", 97, 90, 81, 41.7),
        UnitWork("县市场监管局", 73, 73, 72, 12.4),
    )
    received = sum(u.received for u in units)
    closed = sum(u.closed for u in units)
    return WorkFigures(
        scope="青禾县",
        period=Period.parse(period),
        items_monitored=1_046_388,
        warnings_by_tier=tuple(zip(TIERS, (4, 15, 52, 113), strict=True)),
        bulletins=38,
        bulletins_adopted=11,
        cases_received=received,
        cases_closed=closed,
        cases_on_time=sum(u.on_time for u in units),
        median_handling_hours=27.5,
        units=units,
        summary=("个别单位按时办结率偏低，下一步将对超期件实行周通报。",),
    )


def sample_bulletin_figures() -> BulletinFigures:
    t0 = datetime(2026, 10, 5, 8, 30)
    hourly = tuple(
        (f"{(t0 + timedelta(hours=h)).hour}时", n) for h, n in enumerate((12, 40, 95, 180, 260, 210, 150, 120, 90, 70))
    )
    return BulletinFigures(
        event_title="白鹭镇滨河路道路施工引发网民关注",
        as_of=datetime(2026, 10, 5, 18, 0),
        summary="10月5日，有网民在微博发帖反映白鹭镇滨河路施工封闭半幅道路、绕行标识不清，早高峰拥堵严重",
        total_items=1427,
        sentiment=SentimentMix(96, 854, 477),
        trend="rising",
        heat=78.6,
        first_seen=t0,
        timeline=(
            TimelineEntry(t0, "网民在微博发帖反映滨河路早高峰拥堵"),
            TimelineEntry(datetime(2026, 10, 5, 11, 0), "本地论坛出现多条同题帖子，部分附现场视频"),
            TimelineEntry(datetime(2026, 10, 5, 14, 20), "青禾交警在政务微博发布绕行提示，县住建局回应施工工期"),
        ),
        posts=(
            RepresentativePost(
                "微博",
                "a3f9c2e1",
                datetime(2026, 10, 5, 8, 30),
                "滨河路封了一半，绕行牌子都没有，堵了四十分钟！",
                532,
            ),
            RepresentativePost(
                "本地论坛",
                "7be04d19",
                datetime(2026, 10, 5, 10, 12),
                "施工可以理解，能不能提前发个公告？有事请联系13812345678",
                88,
            ),
            RepresentativePost(
                "微信公众号", "c81d6f07", datetime(2026, 10, 5, 15, 2), "住建局的回应很及时，希望按期完工。", 41
            ),
        ),
        sources=(("微博", 702), ("本地论坛", 318), ("微信公众号", 205), ("抖音", 132), ("新闻网站", 70)),
        volume=hourly,
        assessment=(
            "该事件属民生类舆情，诉求集中在通行不便和信息公开不足，情绪以不满为主但未出现过激言论。",
            "晚高峰前后信息量可能再次上升，如处置不及时存在向“施工扰民”话题扩散的风险。",
        ),
        recommendations=(
            "由县住建局在今日晚高峰前发布施工进度和绕行示意图",
            "由青禾交警在主要路口增设临时指引和疏导警力",
            "县委网信办持续监测，每日18时报送动态",
        ),
    )
