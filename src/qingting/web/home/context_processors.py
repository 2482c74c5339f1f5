"""Whether the navigation shows 工作台 (My desk): only for roles the home page serves."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def home_nav(request: HttpRequest) -> dict[str, Any]:
    def has_home() -> bool:
        from qingting.web.accounts.selectors import role_codes
        from qingting.web.home.views import HOME_ROLES

        return bool(role_codes(getattr(request, "user", None)) & HOME_ROLES)

    # Lazy: pages that never render the navigation (API, files) never ask.
    return {"has_home": SimpleLazyObject(has_home)}
