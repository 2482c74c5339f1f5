"""Push intake (推送接入), mounted by :mod:`qingting.web.api` at ``/api/intake``.

``POST /api/intake/{source_id}/items`` with ``Authorization: Bearer <the source's push token>``
and ``X-Qingting-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`` and
``Content-Type: application/json`` (else 415); the body is one JSON item, a list, or
``{"items": [...]}`` (anything else — ``"hello"``, ``{}`` — is a 400). The answer lists every item's result::

    {"source": 7, "stored": 2, "duplicate": 1, "error": 1,
     "results": [{"index": 0, "id": "a1", "status": "stored"}, ...,
                 {"index": 3, "id": "a4", "status": "error", "field": "text", "message": "text: required"}]}

A refused request has the API's one error shape, ``{"error": {"status", "code", "message", "fields"}}``.
This endpoint does not use user sessions or API tokens: the source's token and signature are its
credentials.

(No ``from __future__ import annotations`` here: django-ninja reads the annotations at import.)
"""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Router

router = Router()

_CODES = {
    400: "invalid",
    401: "unauthenticated",
    404: "not_found",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    503: "unavailable",
}


@router.post("/{source_id}/items", auth=None, summary="Push items into a push source")
def intake_items(request: HttpRequest, source_id: int) -> Any:
    from qingting.sources.push import SIGNATURE_HEADER
    from qingting.web.collect.services import IntakeRefused, push_receive

    kind = (request.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
    if kind != "application/json":
        shown = kind or "none"
        return _refused(IntakeRefused(415, f"Content-Type must be application/json, got {shown}", "Content-Type"))
    auth = request.headers.get("Authorization", "")
    token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
    limit = int(getattr(settings, "QINGTING_PUSH_MAX_BYTES", 2 * 1024 * 1024))
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        length = 0
    if length > limit:
        return _refused(IntakeRefused(413, f"body of {length} bytes exceeds the limit", "body"))
    try:
        answer = push_receive(
            source_id=source_id, token=token, signature=request.headers.get(SIGNATURE_HEADER), body=request.body
        )
    except IntakeRefused as exc:
        return _refused(exc)
    status = 200 if not answer["error"] else 207  # 207: some items were refused, see results
    return JsonResponse(answer, status=status, json_dumps_params={"ensure_ascii": False})


def _refused(exc: Any) -> HttpResponse:
    body: dict[str, Any] = {"status": exc.status, "code": _CODES.get(exc.status, "error"), "message": exc.message}
    if exc.field:
        body["fields"] = {exc.field: [exc.message]}
    return JsonResponse({"error": body}, status=exc.status, json_dumps_params={"ensure_ascii": False})
