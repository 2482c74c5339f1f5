"""The core :class:`~qingting.core.warnings.WarningPolicy` of a scheme, built from its rows.

A scheme with no rules uses the shipped default rules; a unit without key dates or quiet hours
has none. Key dates of the scheme's unit and of its ancestors apply; the nearest unit's quiet
hours apply.
"""

from __future__ import annotations

from typing import Any

from qingting.core.types import TrendState
from qingting.core.warnings import KeyDate as CoreKeyDate
from qingting.core.warnings import QuietHours as CoreQuietHours
from qingting.core.warnings import Tier, TierRule, WarningPolicy
from qingting.web.monitoring.models import Scheme
from qingting.web.warnings.models import KeyDate, QuietHours, SchemeWarningSettings, WarningRule

THRESHOLD_FIELDS = (
    "min_window_items",
    "min_velocity",
    "min_burst_z",
    "min_total_items",
    "min_negative_share",
    "min_sources",
    "min_mainstream",
)


def to_core_tier(tier: int) -> Tier:
    """Stored tier (4 = Ⅳ blue … 1 = Ⅰ red) → the core's :class:`Tier` (Ⅳ = 1 … Ⅰ = 4)."""
    if tier not in (1, 2, 3, 4):
        raise ValueError(f"a tier is 1 (Ⅰ red) to 4 (Ⅳ blue), got {tier!r}")
    return Tier(5 - tier)


def from_core_tier(tier: Tier) -> int:
    return 5 - int(tier)


def _ancestor_ids(path: str) -> list[int]:
    return [int(p) for p in path.strip("/").split("/") if p.isdigit()]


def rule_to_core(rule: WarningRule) -> TierRule:
    kw: dict[str, Any] = {name: getattr(rule, name) for name in THRESHOLD_FIELDS}
    return TierRule(to_core_tier(rule.tier), trends=tuple(TrendState(t) for t in rule.trends or ()), **kw)


def policy_for(scheme: Scheme) -> WarningPolicy:
    """The policy of ``scheme`` now (``ValueError`` if a stored rule is invalid)."""
    kw: dict[str, Any] = {}
    rules = [rule_to_core(r) for r in WarningRule.objects.filter(scheme=scheme)]
    if rules:
        kw["rules"] = tuple(rules)
    s = SchemeWarningSettings.objects.filter(scheme=scheme).first()
    if s is not None:
        kw.update(
            window_seconds=float(s.window_seconds),
            cooldown_seconds=float(s.cooldown_seconds),
            min_tier=to_core_tier(s.min_tier),
            ack_timeouts={
                to_core_tier(t): (None if v is None else float(v))
                for t, v in (
                    (1, s.ack_timeout_1),
                    (2, s.ack_timeout_2),
                    (3, s.ack_timeout_3),
                    (4, s.ack_timeout_4),
                )
            },
        )
    unit_ids = _ancestor_ids(scheme.unit.path) or [scheme.unit_id]
    kw["key_dates"] = tuple(
        CoreKeyDate(k.start, k.end, k.label, factor=k.factor, annual=k.annual, watch_24h=k.watch_24h)
        for k in KeyDate.objects.filter(unit_id__in=unit_ids)
    )
    quiet = {q.unit_id: q for q in QuietHours.objects.filter(unit_id__in=unit_ids)}
    for unit_id in reversed(unit_ids):  # the nearest unit's quiet hours win
        if unit_id in quiet:
            q = quiet[unit_id]
            kw["quiet_hours"] = CoreQuietHours(q.start, q.end, to_core_tier(q.min_tier))
            break
    return WarningPolicy(**kw)
