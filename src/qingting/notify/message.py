"""The message a warning becomes, before any channel formats it.

>>> from qingting.core.warnings import EarlyWarning, Tier
>>> w = EarlyWarning("w1", "water", 7, Tier.II, 0.0, "柳湾镇停水", "1 小时内 320 条", "320 items in 1 hour")
>>> m = message_for(w, url="https://qt.example/warnings/w1")
>>> m.title
'【Ⅱ级（橙色）预警】柳湾镇停水'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qingting.core.warnings import EarlyWarning

__all__ = ["Message", "message_for"]


@dataclass(frozen=True, slots=True)
class Message:
    """What every channel sends: a title, the reason in both languages, the tier, a link."""

    title: str
    text_zh: str
    text_en: str
    tier: str = ""  # "I" … "IV"
    colour: str = ""  # red, orange, yellow, blue
    url: str = ""
    warning_id: str = ""
    scheme: str = ""
    created_at: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """The generic webhook's JSON body."""
        return {
            "type": "warning",
            "warning_id": self.warning_id,
            "scheme": self.scheme,
            "tier": self.tier,
            "colour": self.colour,
            "title": self.title,
            "reason_zh": self.text_zh,
            "reason_en": self.text_en,
            "url": self.url,
            "created_at": self.created_at,
        }


def message_for(warning: EarlyWarning, *, url: str = "") -> Message:
    """The message announcing ``warning`` (with a link to it in the platform, when given)."""
    return Message(
        title=f"【{warning.tier.label_zh}】{warning.title}",
        text_zh=warning.reason_zh,
        text_en=f"{warning.tier.label_en}: {warning.reason_en}",
        tier=warning.tier.name,
        colour=warning.tier.colour,
        url=url,
        warning_id=warning.id,
        scheme=warning.scheme,
        created_at=warning.created_at,
    )
