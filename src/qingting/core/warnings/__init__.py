"""Tiered early warning (分级预警): rules on events, tiers, reasons, and each warning's life.

>>> from qingting.core.warnings import WarningEngine, WarningPolicy, Tier
>>> engine = WarningEngine(WarningPolicy(), scheme="water", duty=("li", "wang"))

Feed it the events of each pipeline batch with ``engine.evaluate(result.events, now=...)``; see
:mod:`qingting.core.warnings.engine` for the deduplication, cooldown and escalation rules,
:mod:`qingting.core.warnings.policy` for thresholds, key dates and quiet hours.
"""

from __future__ import annotations

from qingting.core.warnings.engine import Escalation, WarningEngine
from qingting.core.warnings.lifecycle import (
    EarlyWarning,
    Step,
    TransitionError,
    WarningStatus,
    acknowledge,
    dismiss,
    escalate,
    promote,
    supersede,
)
from qingting.core.warnings.policy import (
    Assessment,
    KeyDate,
    QuietHours,
    Signals,
    Tier,
    TierRule,
    WarningPolicy,
    assess,
    default_rules,
    signals_of,
)
from qingting.core.warnings.reasons import reason

__all__ = [
    "Assessment",
    "EarlyWarning",
    "Escalation",
    "KeyDate",
    "QuietHours",
    "Signals",
    "Step",
    "Tier",
    "TierRule",
    "TransitionError",
    "WarningEngine",
    "WarningPolicy",
    "WarningStatus",
    "acknowledge",
    "assess",
    "default_rules",
    "dismiss",
    "escalate",
    "promote",
    "reason",
    "signals_of",
    "supersede",
]
