"""A correlation id per request, so every audit entry of one request can be found together."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

_correlation_id: ContextVar[str] = ContextVar("qingting_correlation_id", default="")
_SAFE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def current_correlation_id() -> str:
    """The id of the request (or task) being served, or ``""`` outside one."""
    return _correlation_id.get()


def set_correlation_id(value: str) -> None:
    """Set the correlation id for work outside a request (a command or a task)."""
    _correlation_id.set(value)


class CorrelationIdMiddleware:
    """Take ``X-Request-ID`` from a trusted proxy when well-formed, else make one; echo it back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        value = incoming if _SAFE.match(incoming) else uuid.uuid4().hex
        token = _correlation_id.set(value)
        try:
            response = self.get_response(request)
        finally:
            _correlation_id.reset(token)
        response["X-Request-ID"] = value
        return response
