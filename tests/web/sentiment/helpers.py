"""What the sentiment tests share: an administrator of the office, and posts with a house word."""

from __future__ import annotations

from typing import Any

from qingting.web.accounts import services as accounts
from qingting.web.accounts.models import Role

from ..conftest import PASSWORD


def office_admin(monitored: dict[str, Any]) -> Any:
    """An administrator of the whole organisation (the ``monitored`` fixture's office)."""
    user = accounts.user_create(actor=None, username="office_admin", password=PASSWORD)
    accounts.membership_grant(actor=None, user=user, unit=monitored["office"], role=Role.ADMIN)
    return user


def house_word_posts(n: int = 80) -> list[dict[str, Any]]:
    """``n`` posts ``h0`` … whose tone only the house words 蓝牌 (odd) and 红榜 (even) carry: words the
    default model does not know, which a model retrained on the analysts' labels learns."""
    return [
        {
            "id": f"h{i}",
            "text": f"{['东门', '西门', '南站', '北岸', '老街'][i % 5]}又{'蓝牌' if i % 2 else '红榜'}了，第{i}回",
            "time": 1_767_500_000 + 60 * i,
        }
        for i in range(n)
    ]
