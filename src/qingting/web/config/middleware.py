"""Language choice (Simplified Chinese unless the user switched; the browser's header is ignored) and
the session's idle timeout and absolute lifetime."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers


class LanguageMiddleware:
    """Activate the language from the ``set_language`` cookie, else ``LANGUAGE_CODE``.

    Django's ``LocaleMiddleware`` would follow ``Accept-Language``, so an analyst whose browser is
    set to English would get English pages; the product's default is Chinese, English on request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _ in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie",))  # the page depends on the language cookie
        return response


AUTH_AT = "_qingting_auth_at"  # unix time of the sign-in (set by accounts.signals)
SEEN_AT = "_qingting_seen_at"  # unix time of the latest request, rounded to TOUCH_EVERY


class SessionLifetimeMiddleware:
    """Sign out a session idle for ``QINGTING_SESSION_IDLE_SECONDS`` or older than
    ``QINGTING_SESSION_MAX_SECONDS`` since sign-in, whatever the activity.

    The check runs before the view, so the request continues as an anonymous one: a page
    redirects to the sign-in form (and back after it), the API answers 401. The last-seen time is
    written at most once a minute, so reading pages does not save the session on every request.
    API tokens are not sessions and are not affected.
    """

    TOUCH_EVERY = 60

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is not None and user is not None and user.is_authenticated and session.session_key:
            now = time.time()
            auth_at = session.get(AUTH_AT)
            seen_at = session.get(SEEN_AT)
            idle = int(settings.QINGTING_SESSION_IDLE_SECONDS)
            lifetime = int(settings.QINGTING_SESSION_MAX_SECONDS)
            if auth_at is None:  # a session from before this rule: its lifetime starts now
                session[AUTH_AT] = auth_at = now
            expired = (idle > 0 and seen_at is not None and now - float(seen_at) > idle) or (
                lifetime > 0 and now - float(auth_at) > lifetime
            )
            if expired:
                from django.contrib.auth import logout

                logout(request)  # flushes the session; request.user is anonymous from here on
            elif seen_at is None or now - float(seen_at) >= self.TOUCH_EVERY:
                session[SEEN_AT] = now
        return self.get_response(request)


def content_security_policy(nonce: str) -> str:
    """The policy of every response that does not set its own (exports and attachments do).

    Scripts only from our static files or an inline ``<script nonce="{{ csp_nonce }}">``; no
    ``unsafe-inline`` and no ``unsafe-eval`` for scripts, so an injected ``<script>`` or ``onerror=``
    does not run even if escaping ever fails. Styles allow inline ``style=`` attributes (ECharts and
    htmx set them; a style cannot run code). Nothing is loaded from another origin.
    """
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "frame-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
        ]
    )


class ContentSecurityPolicyMiddleware:
    """A fresh nonce per request (``request.csp_nonce``, ``{{ csp_nonce }}`` in templates) and the
    ``Content-Security-Policy`` header on every response that has none of its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(18)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        if "Content-Security-Policy" not in response.headers:
            response.headers["Content-Security-Policy"] = content_security_policy(nonce)
        return response


def csp_nonce(request: HttpRequest) -> dict[str, str]:
    """Context processor: ``{{ csp_nonce }}`` for the rare inline ``<script>`` a template needs."""
    return {"csp_nonce": str(getattr(request, "csp_nonce", ""))}
