"""One sentence, in Chinese and in English, saying why a warning fired.

>>> from qingting.core.types import TrendState
>>> s = Signals(window_items=320, velocity=400.0, burst_z=6.2, total_items=410, negative_share=0.58,
...             sources=1, mainstream=4, trend=TrendState.RISING)
>>> zh, en = reason(s, window_seconds=1800)
>>> zh
'30 分钟内 320 条（累计 410 条），高于基线 6.2σ，正在上升；负面 58%；4 家主流媒体报道'
>>> en
'320 items in 30 minutes (410 in all), 6.2σ above its baseline, rising; 58% negative; reported by 4 mainstream outlets'
"""

from __future__ import annotations

from qingting.core.types import TrendState
from qingting.core.warnings.policy import KeyDate, Signals

__all__ = ["duration_en", "duration_zh", "reason"]

NEGATIVE_NOTABLE = 0.3  # below this, the negative share is ordinary and not worth a clause

_TREND_ZH = {
    TrendState.NEW: "刚刚出现",
    TrendState.RISING: "正在上升",
    TrendState.PEAK: "处于高峰",
    TrendState.DECLINING: "开始回落",
    TrendState.DORMANT: "趋于平静",
}
_TREND_EN = {
    TrendState.NEW: "just emerged",
    TrendState.RISING: "rising",
    TrendState.PEAK: "at its peak",
    TrendState.DECLINING: "declining",
    TrendState.DORMANT: "quiet",
}


def duration_zh(seconds: float) -> str:
    """``1800`` → ``"30 分钟"``, ``7200`` → ``"2 小时"``."""
    if seconds % 86400 == 0:
        return f"{int(seconds // 86400)} 天"
    if seconds % 3600 == 0:
        return f"{int(seconds // 3600)} 小时"
    return f"{round(seconds / 60)} 分钟"


def duration_en(seconds: float) -> str:
    """``1800`` → ``"30 minutes"``, ``3600`` → ``"1 hour"``."""
    if seconds % 86400 == 0:
        n, unit = int(seconds // 86400), "day"
    elif seconds % 3600 == 0:
        n, unit = int(seconds // 3600), "hour"
    else:
        n, unit = round(seconds / 60), "minute"
    return f"{n} {unit}{'' if n == 1 else 's'}"


def reason(s: Signals, *, window_seconds: float, key_date: KeyDate | None = None) -> tuple[str, str]:
    """The reason of a warning as ``(chinese, english)``; clauses appear only when they say something."""
    zh = [f"{duration_zh(window_seconds)}内 {s.window_items} 条"]
    en = [f"{s.window_items} item{'' if s.window_items == 1 else 's'} in {duration_en(window_seconds)}"]
    if s.total_items > s.window_items:
        zh[0] += f"（累计 {s.total_items} 条）"
        en[0] += f" ({s.total_items} in all)"
    if s.burst_z >= 1.0:
        zh[0] += f"，高于基线 {s.burst_z:.1f}σ"
        en[0] += f", {s.burst_z:.1f}σ above its baseline"
    zh[0] += f"，{_TREND_ZH[s.trend]}"
    en[0] += f", {_TREND_EN[s.trend]}"
    if s.negative_share >= NEGATIVE_NOTABLE:
        pct = round(100 * s.negative_share)
        zh.append(f"负面 {pct}%")
        en.append(f"{pct}% negative")
    if s.sources >= 2:
        zh.append(f"来自 {s.sources} 个来源")
        en.append(f"from {s.sources} sources")
    if s.mainstream >= 1:
        zh.append(f"{s.mainstream} 家主流媒体报道")
        en.append(f"reported by {s.mainstream} mainstream outlet{'' if s.mainstream == 1 else 's'}")
    if key_date is not None:
        pct = round(100 * key_date.factor)
        zh.append(f"重点时段“{key_date.label}”，阈值按 {pct}% 计")
        en.append(f"key period “{key_date.label}”: thresholds at {pct}%")
    return "；".join(zh), "; ".join(en)
