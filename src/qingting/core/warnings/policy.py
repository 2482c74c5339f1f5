"""Tiers, warning rules and their settings: what makes an event worth a warning, and how grave.

A :class:`WarningPolicy` holds, per scheme, a list of :class:`TierRule` — each a set of thresholds
that must *all* hold (volume in a window, velocity, burst z, total volume, negative share, unique
sources, mainstream-media coverage, trend state) — plus a key-dates calendar that tightens the
thresholds and quiet hours that hold back notifications below a tier. :func:`assess` returns the
highest tier whose rule holds for an event right now.

>>> from qingting.core.types import EventSummary, TrendState
>>> ev = EventSummary(event_id=1, title="柳湾镇停水", keywords=(), first_seen=0.0, last_seen=1700.0,
...     item_count=320, duplicate_count=0, source_count=6, mainstream_count=4, engagement=0,
...     buckets=((0.0, 320),), heat=60.0, trend=TrendState.RISING, burst_z=6.2, sentiment=0.3,
...     negative_share=0.58, lang="zh")
>>> a = assess(ev, WarningPolicy(), now=1700.0)
>>> a.tier.label_en, a.signals.window_items
('Tier II (orange)', 320)
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from enum import IntEnum
from typing import Any

from qingting.core.types import EventSummary, TrendState

__all__ = [
    "Assessment",
    "KeyDate",
    "QuietHours",
    "Signals",
    "Tier",
    "TierRule",
    "WarningPolicy",
    "assess",
    "default_rules",
    "signals_of",
]


class Tier(IntEnum):
    """Warning tiers (预警级别); the value is the severity, so ``Tier.I > Tier.IV``."""

    IV = 1  # blue 蓝色
    III = 2  # yellow 黄色
    II = 3  # orange 橙色
    I = 4  # red 红色  # noqa: E741 - the tier's official name

    @property
    def colour(self) -> str:
        return _COLOURS[self]

    @property
    def label_zh(self) -> str:
        """``"Ⅱ级（橙色）预警"``."""
        return f"{_ROMAN[self]}级（{_COLOUR_ZH[self]}）预警"

    @property
    def label_en(self) -> str:
        return f"Tier {self.name} ({self.colour})"

    @classmethod
    def parse(cls, value: str | int) -> Tier:
        """``"II"``, ``"orange"``, ``"橙"``, ``3`` → :attr:`Tier.II`."""
        if isinstance(value, int):
            return cls(value)
        v = value.strip()
        for t in cls:
            if v.upper() == t.name or v.lower() == t.colour or v in (_COLOUR_ZH[t], _COLOUR_ZH[t][0], _ROMAN[t]):
                return t
        raise ValueError(f"unknown tier {value!r}: use IV, III, II, I (or blue, yellow, orange, red)")


_COLOURS = {Tier.IV: "blue", Tier.III: "yellow", Tier.II: "orange", Tier.I: "red"}
_COLOUR_ZH = {Tier.IV: "蓝色", Tier.III: "黄色", Tier.II: "橙色", Tier.I: "红色"}
_ROMAN = {Tier.IV: "Ⅳ", Tier.III: "Ⅲ", Tier.II: "Ⅱ", Tier.I: "Ⅰ"}


@dataclass(frozen=True, slots=True)
class Signals:
    """What the rules look at, computed from one event summary at one moment."""

    window_items: int  # items in the policy's window (the last ``window_seconds``)
    velocity: float  # items per hour in the busiest of the last two buckets
    burst_z: float
    total_items: int
    negative_share: float
    sources: int
    mainstream: int
    trend: TrendState


@dataclass(frozen=True, slots=True)
class TierRule:
    """Thresholds for one tier; every threshold that is set must hold (``None`` = not checked).

    Several rules may give the same tier (any one suffices), e.g. "300 items in an hour" or
    "100 items and 3 mainstream outlets".
    """

    tier: Tier
    min_window_items: int | None = None
    min_velocity: float | None = None  # items per hour
    min_burst_z: float | None = None
    min_total_items: int | None = None
    min_negative_share: float | None = None  # 0..1
    min_sources: int | None = None
    min_mainstream: int | None = None
    trends: tuple[TrendState, ...] = ()  # empty = any trend state

    def __post_init__(self) -> None:
        checks = [getattr(self, f.name) for f in fields(self) if f.name.startswith("min_")]
        if all(c is None for c in checks) and not self.trends:
            raise ValueError(f"a rule for {self.tier.label_en} needs at least one threshold")
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name.startswith("min_") and v is not None and (not math.isfinite(v) or v < 0):
                raise ValueError(f"{f.name} must be a non-negative number, got {v!r}")
        if self.min_negative_share is not None and self.min_negative_share > 1:
            raise ValueError(f"min_negative_share is a share in 0..1, got {self.min_negative_share!r}")

    def holds(self, s: Signals, factor: float = 1.0) -> bool:
        """Whether ``s`` meets every threshold, with count and z thresholds scaled by ``factor``."""

        def ge(value: float, threshold: float | None) -> bool:
            return threshold is None or value >= threshold * factor

        return (
            ge(s.window_items, self.min_window_items)
            and ge(s.velocity, self.min_velocity)
            and ge(s.burst_z, self.min_burst_z)
            and ge(s.total_items, self.min_total_items)
            and ge(s.sources, self.min_sources)
            and ge(s.mainstream, self.min_mainstream)
            # a share is not a volume: key dates do not lower it
            and (self.min_negative_share is None or s.negative_share >= self.min_negative_share)
            and (not self.trends or s.trend in self.trends)
        )

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"tier": self.tier.name}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name.startswith("min_") and v is not None:
                d[f.name] = v
        if self.trends:
            d["trends"] = [t.value for t in self.trends]
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> TierRule:
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown rule settings: {', '.join(sorted(unknown))}")
        kw = {k: v for k, v in d.items() if k not in ("tier", "trends")}
        return cls(tier=Tier.parse(d["tier"]), trends=tuple(TrendState(t) for t in d.get("trends", ())), **kw)


def default_rules() -> tuple[TierRule, ...]:
    """The shipped thresholds, measured on the CED Weibo stream (see ``docs/warnings.md``).

    Volume in the window is the backbone; burst z keeps a big but steady event from warning again
    and again; negative share, several sources and mainstream coverage raise the tier earlier.
    """
    return (
        TierRule(Tier.IV, min_window_items=30, min_burst_z=3.0),
        TierRule(Tier.III, min_window_items=100, min_burst_z=4.0),
        TierRule(Tier.III, min_window_items=30, min_burst_z=3.0, min_negative_share=0.6, min_total_items=50),
        TierRule(Tier.III, min_window_items=30, min_burst_z=3.0, min_mainstream=2),
        TierRule(Tier.II, min_window_items=300),
        TierRule(Tier.II, min_window_items=100, min_mainstream=3),
        TierRule(Tier.II, min_window_items=100, min_negative_share=0.6, min_sources=3),
        TierRule(Tier.I, min_window_items=1000),
        TierRule(Tier.I, min_window_items=300, min_mainstream=5, min_negative_share=0.5),
    )


@dataclass(frozen=True, slots=True)
class KeyDate:
    """A date or period (重点时段/敏感日) when thresholds are multiplied by ``factor`` (< 1 tightens).

    ``start``/``end`` are inclusive local dates. ``annual`` repeats the period every year (month
    and day of ``start``/``end``; a period may wrap the new year). ``watch_24h`` suspends quiet
    hours during the period.
    """

    start: dt.date
    end: dt.date
    label: str
    factor: float = 0.5
    annual: bool = False
    watch_24h: bool = True

    def __post_init__(self) -> None:
        if not 0 < self.factor <= 1:
            raise ValueError(f"a key date's factor must be in (0, 1], got {self.factor!r}")
        if not self.annual and self.end < self.start:
            raise ValueError(f"key date {self.label!r} ends ({self.end}) before it starts ({self.start})")

    def covers(self, day: dt.date) -> bool:
        if not self.annual:
            return self.start <= day <= self.end
        md, a, b = (day.month, day.day), (self.start.month, self.start.day), (self.end.month, self.end.day)
        return a <= md <= b if a <= b else (md >= a or md <= b)


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local hours when only warnings of ``min_tier`` and above are notified (others wait).

    ``start``/``end`` may wrap midnight (22:00–07:00).
    """

    start: dt.time = dt.time(22, 0)
    end: dt.time = dt.time(7, 0)
    min_tier: Tier = Tier.II

    def covers(self, t: dt.time) -> bool:
        if self.start <= self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end


@dataclass(frozen=True, slots=True)
class WarningPolicy:
    """Everything that decides when a scheme warns and who hears of it; defaults are the measured ones.

    ``window_seconds`` — the volume window of the rules; ``bucket_seconds`` must equal the
    pipeline's. ``cooldown_seconds`` — after a warning is dismissed or promoted, no new one for the
    same event at the same or a lower tier for this long. ``ack_timeouts`` — seconds a notified
    warning of a tier may wait unacknowledged before the next person on the duty list is called
    (``None``: never escalate). ``utc_offset_hours`` — the organisation's local time, for key dates
    and quiet hours. ``min_tier`` — tiers below it are not raised at all.
    """

    rules: tuple[TierRule, ...] = field(default_factory=default_rules)
    window_seconds: float = 3600.0
    bucket_seconds: float = 1800.0
    cooldown_seconds: float = 6 * 3600.0
    key_dates: tuple[KeyDate, ...] = ()
    quiet_hours: QuietHours | None = None
    ack_timeouts: Mapping[Tier, float | None] = field(
        default_factory=lambda: {Tier.I: 600.0, Tier.II: 1800.0, Tier.III: 4 * 3600.0, Tier.IV: None}
    )
    utc_offset_hours: float = 8.0
    min_tier: Tier = Tier.IV

    def __post_init__(self) -> None:
        if not self.rules:
            raise ValueError("a warning policy needs at least one rule")
        for name in ("window_seconds", "bucket_seconds"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}")
        if self.cooldown_seconds < 0:
            raise ValueError(f"cooldown_seconds must not be negative, got {self.cooldown_seconds!r}")
        if not -14 <= self.utc_offset_hours <= 14:
            raise ValueError(f"utc_offset_hours must be within ±14, got {self.utc_offset_hours!r}")

    def local(self, now: float) -> dt.datetime:
        tz = dt.timezone(dt.timedelta(hours=self.utc_offset_hours))
        return dt.datetime.fromtimestamp(now, tz)

    def key_date(self, now: float) -> KeyDate | None:
        """The tightest key date covering ``now`` (local date), if any."""
        day = self.local(now).date()
        active = [k for k in self.key_dates if k.covers(day)]
        return min(active, key=lambda k: k.factor) if active else None

    def is_quiet(self, now: float) -> bool:
        """Whether ``now`` falls in quiet hours (never during a key date with 24-hour watch)."""
        if self.quiet_hours is None or not self.quiet_hours.covers(self.local(now).time()):
            return False
        kd = self.key_date(now)
        return not (kd is not None and kd.watch_24h)

    def should_notify(self, tier: Tier, now: float) -> bool:
        """Whether a warning of ``tier`` raised at ``now`` goes out at once (else it waits)."""
        return not self.is_quiet(now) or (self.quiet_hours is not None and tier >= self.quiet_hours.min_tier)

    def with_rules(self, rules: Iterable[TierRule]) -> WarningPolicy:
        return replace(self, rules=tuple(rules))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready settings (what the platform stores per scheme and the editor shows)."""
        qh = self.quiet_hours
        return {
            "rules": [r.to_dict() for r in self.rules],
            "window_seconds": self.window_seconds,
            "bucket_seconds": self.bucket_seconds,
            "cooldown_seconds": self.cooldown_seconds,
            "key_dates": [
                {
                    "start": k.start.isoformat(),
                    "end": k.end.isoformat(),
                    "label": k.label,
                    "factor": k.factor,
                    "annual": k.annual,
                    "watch_24h": k.watch_24h,
                }
                for k in self.key_dates
            ],
            "quiet_hours": None
            if qh is None
            else {"start": qh.start.strftime("%H:%M"), "end": qh.end.strftime("%H:%M"), "min_tier": qh.min_tier.name},
            "ack_timeouts": {t.name: v for t, v in sorted(self.ack_timeouts.items(), key=lambda kv: -kv[0])},
            "utc_offset_hours": self.utc_offset_hours,
            "min_tier": self.min_tier.name,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> WarningPolicy:
        """Settings from :meth:`to_dict` (missing keys take the defaults); ``ValueError`` if invalid."""
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown warning settings: {', '.join(sorted(unknown))}")
        kw: dict[str, Any] = {
            k: float(d[k])
            for k in ("window_seconds", "bucket_seconds", "cooldown_seconds", "utc_offset_hours")
            if k in d
        }
        if "rules" in d:
            kw["rules"] = tuple(TierRule.from_dict(r) for r in d["rules"])
        if "key_dates" in d:
            kw["key_dates"] = tuple(
                KeyDate(
                    start=dt.date.fromisoformat(k["start"]),
                    end=dt.date.fromisoformat(k["end"]),
                    label=str(k["label"]),
                    factor=float(k.get("factor", 0.5)),
                    annual=bool(k.get("annual", False)),
                    watch_24h=bool(k.get("watch_24h", True)),
                )
                for k in d["key_dates"]
            )
        if "quiet_hours" in d:
            q = d["quiet_hours"]
            kw["quiet_hours"] = (
                None
                if q is None
                else QuietHours(
                    dt.time.fromisoformat(q["start"]),
                    dt.time.fromisoformat(q["end"]),
                    Tier.parse(q.get("min_tier", "II")),
                )
            )
        if "ack_timeouts" in d:
            kw["ack_timeouts"] = {
                Tier.parse(t): (None if v is None else float(v)) for t, v in d["ack_timeouts"].items()
            }
        if "min_tier" in d:
            kw["min_tier"] = Tier.parse(d["min_tier"])
        return cls(**kw)


@dataclass(frozen=True, slots=True)
class Assessment:
    """The tier an event deserves now, the rule that gave it, and the signals behind it."""

    tier: Tier
    rule: TierRule
    signals: Signals
    key_date: KeyDate | None


def signals_of(event: EventSummary, now: float, *, window_seconds: float, bucket_seconds: float) -> Signals:
    """The rule signals of ``event`` at time ``now``."""
    horizon = now - window_seconds
    window = 0
    recent = []
    last_bucket = math.floor(now / bucket_seconds) * bucket_seconds
    for start, count in event.buckets:
        if start + bucket_seconds > horizon:  # the bucket overlaps the window
            window += count
        if start >= last_bucket - bucket_seconds:
            recent.append(count)
    velocity = (max(recent) if recent else 0) * 3600.0 / bucket_seconds
    return Signals(
        window_items=window,
        velocity=velocity,
        burst_z=event.burst_z,
        total_items=event.item_count,
        negative_share=event.negative_share,
        sources=event.source_count,
        mainstream=event.mainstream_count,
        trend=event.trend,
    )


def assess(event: EventSummary, policy: WarningPolicy, now: float) -> Assessment | None:
    """The highest tier whose rule holds for ``event`` at ``now``, or ``None``."""
    s = signals_of(event, now, window_seconds=policy.window_seconds, bucket_seconds=policy.bucket_seconds)
    kd = policy.key_date(now)
    factor = kd.factor if kd is not None else 1.0
    for rule in sorted(policy.rules, key=lambda r: -r.tier):  # gravest first: the first hit wins
        if rule.tier < policy.min_tier:
            break
        if rule.holds(s, factor):
            return Assessment(rule.tier, rule, s, kd)
    return None
