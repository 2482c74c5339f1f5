"""Audit successful sign-ins wherever they happen (our pages or the admin)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from qingting.web.accounts import services


@receiver(user_logged_in)
def _on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    services.login_success_record(user=user, ip=services.client_ip(request) if request is not None else "")
    session = getattr(request, "session", None)
    if session is not None:  # the absolute lifetime counts from here (config.middleware)
        import time

        from qingting.web.config.middleware import AUTH_AT, SEEN_AT

        session[AUTH_AT] = session[SEEN_AT] = time.time()
