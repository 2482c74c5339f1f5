"""The demo stream: a few thousand FICTIONAL public posts for Qingting's first ten minutes.

Everything in it is invented by the Qingting authors: 青禾县 (Qinghe County) and its townships
(柳湾镇, 石桥乡, 城关镇, 白鹭镇, 荷塘乡, 桂溪乡, 云岭镇), the estates, schools and markets, the
government accounts (青禾发布, 青禾县水务局 …), the media (青禾日报 …) and every user handle. It
does not describe any real place, body or person. Five stories — a water outage, a
school-admission dispute, road works, a lotus festival and a food-safety rumour — each rise,
peak and decline amid everyday chatter; see ``docs/demo.md``.

>>> from qingting.demo import generate
>>> records = generate(seed=7)
>>> sorted({r["scenario"] for r in records})[:3]
['background', 'food_rumour', 'lotus_festival']
"""

from __future__ import annotations

from qingting.demo._scenarios import SCENARIOS, Scenario
from qingting.demo.stream import DEFAULT_START, SOURCE_KINDS, generate, write_jsonl

SCENARIO_KEYS: tuple[str, ...] = tuple(s.key for s in SCENARIOS)

__all__ = ["DEFAULT_START", "SCENARIOS", "SCENARIO_KEYS", "SOURCE_KINDS", "Scenario", "generate", "write_jsonl"]
