"""``warnings_unread`` for the nav badge (registered in ``TEMPLATES`` settings)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def unread(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from qingting.web.warnings.selectors import unread_count

    return {"warnings_unread": unread_count(user)}
