"""Push intake: systems that send us items (a message board, a hotline system) — pure functions.

The web endpoint (one per source, behind a token) calls, in this order:

1. :func:`verify_signature` — HMAC-SHA256 of ``"<timestamp>." + body`` under the source's
   secret, compared in constant time; the timestamp must be within ``tolerance`` seconds of now,
   which bounds replays. Several secrets may be valid at once (rotation).
2. :func:`validate_batch` — the body is one JSON item, a JSON list, or ``{"items": [...]}``;
   every item gets its own result (``accepted``, ``duplicate`` or ``rejected`` with the reason),
   in input order. Idempotency is by external id: an id already stored (``seen``) or repeated in
   the batch is a ``duplicate``, so a replayed or retried batch stores nothing twice.

The sender signs with :func:`sign`; its header is ``X-Qingting-Signature: t=<unix>,v1=<hex>``.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from qingting.core.io import parse_time
from qingting.sources.types import Attachment, FetchedItem, SourceError, pseudonymise

__all__ = [
    "SIGNATURE_HEADER",
    "PayloadError",
    "PushBatch",
    "PushItemResult",
    "SignatureError",
    "sign",
    "validate_batch",
    "verify_signature",
]

SIGNATURE_HEADER = "X-Qingting-Signature"
_ALLOWED = frozenset(
    {
        "id",
        "text",
        "title",
        "url",
        "published_at",
        "time",
        "author",
        "engagement",
        "lang",
        "attachments",
        "extra",
        "contact",
    }
)


class SignatureError(SourceError):
    """The request is not signed, signed with another secret, or signed too long ago (a replay)."""


class PayloadError(SourceError):
    """The body as a whole is unacceptable (not JSON, too large, too many items)."""


def sign(secret: bytes, body: bytes, timestamp: int) -> str:
    """The signature header value for ``body`` sent at ``timestamp`` (unix seconds).

    >>> sign(b"s3cret", b'{"id":"1","text":"hi"}', 1790812800)[:13]
    't=1790812800,'
    """
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature(
    secrets: bytes | Iterable[bytes],
    body: bytes,
    header: str | None,
    *,
    now: float,
    tolerance: float = 300.0,
) -> int:
    """Check the signature header; return its timestamp or raise :class:`SignatureError`.

    >>> body = b'{"id":"1","text":"hi"}'
    >>> verify_signature(b"s3cret", body, sign(b"s3cret", body, 1000), now=1010)
    1000
    """
    if not header:
        raise SignatureError(f"missing {SIGNATURE_HEADER} header", SIGNATURE_HEADER)
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        k, sep, v = part.strip().partition("=")
        if sep:
            fields.setdefault(k, []).append(v)
    stamp = fields.get("t", [""])[0]
    if not stamp.isdigit():
        raise SignatureError("signature header has no valid t=<unix seconds>", SIGNATURE_HEADER)
    timestamp = int(stamp)
    if abs(now - timestamp) > tolerance:
        raise SignatureError(
            f"signature timestamp is {abs(now - timestamp):.0f} s away from now (allowed {tolerance:.0f} s): "
            "a replay or a wrong clock",
            SIGNATURE_HEADER,
        )
    given = fields.get("v1", [])
    if not given:
        raise SignatureError("signature header has no v1=<hex HMAC-SHA256>", SIGNATURE_HEADER)
    keys = [secrets] if isinstance(secrets, bytes) else list(secrets)
    ok = False
    for secret in keys:
        expected = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        for candidate in given:
            # compare_digest on every pair: the time taken does not reveal which one matched
            ok |= hmac.compare_digest(expected.encode(), candidate.strip().lower().encode())
    if not ok:
        raise SignatureError("signature does not match the body", SIGNATURE_HEADER)
    return timestamp


@dataclass(frozen=True, slots=True)
class PushItemResult:
    """What happened to item ``index`` of a batch."""

    index: int
    external_id: str | None
    status: str  # "accepted", "duplicate" or "rejected"
    message: str = ""
    item: FetchedItem | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON the endpoint answers with for this item."""
        out: dict[str, Any] = {"index": self.index, "id": self.external_id, "status": self.status}
        if self.message:
            out["message"] = self.message
        return out


@dataclass(frozen=True, slots=True)
class PushBatch:
    """Per-item results in input order, and the items to store."""

    results: tuple[PushItemResult, ...]

    @property
    def accepted(self) -> tuple[FetchedItem, ...]:
        return tuple(r.item for r in self.results if r.status == "accepted" and r.item is not None)

    def summary(self) -> dict[str, int]:
        """Counts per status, for the response and the source's health."""
        out = {"accepted": 0, "duplicate": 0, "rejected": 0}
        for r in self.results:
            out[r.status] += 1
        return out


def _attachments(value: Any) -> tuple[Attachment, ...]:
    if value in (None, []):
        return ()
    if not isinstance(value, list):
        raise ValueError("attachments: expected a list")
    out = []
    for a in value:
        if not isinstance(a, Mapping) or not isinstance(a.get("name", ""), str):
            raise ValueError("attachments: each must be an object with name, content_type, size")
        size = a.get("size", 0)
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValueError("attachments: size must be a whole number of bytes")
        out.append(Attachment(str(a.get("name", "")), str(a.get("content_type", "")), size))
    return tuple(out)


def _item(raw: Any, key: bytes, max_text_chars: int) -> FetchedItem:
    if not isinstance(raw, Mapping):
        raise ValueError(f"expected a JSON object, got {type(raw).__name__}")
    unknown = set(raw) - _ALLOWED
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(sorted(unknown))} (put extra data under 'extra')")
    rid = raw.get("id")
    if isinstance(rid, bool) or not isinstance(rid, str | int) or str(rid).strip() == "":
        raise ValueError("id: required, a non-empty string or number")
    text, title = raw.get("text", ""), raw.get("title", "")
    if not isinstance(text, str) or not isinstance(title, str):
        raise ValueError("text and title must be strings")
    if not text.strip() and not title.strip():
        raise ValueError("text: required (or a title)")
    if len(text) > max_text_chars:
        raise ValueError(f"text: longer than {max_text_chars} characters")
    when = raw.get("published_at", raw.get("time"))
    published = None
    if when not in (None, ""):
        try:
            published = parse_time(when)
        except (ValueError, TypeError, OverflowError) as e:
            raise ValueError(f"published_at: cannot read {when!r} as a time ({e})") from None
    engagement = raw.get("engagement", 0)
    if isinstance(engagement, bool) or not isinstance(engagement, int) or engagement < 0:
        raise ValueError("engagement: a whole number >= 0")
    extra = raw.get("extra", {})
    if not isinstance(extra, Mapping):
        raise ValueError("extra: expected an object")
    extra = dict(extra)
    contact = raw.get("contact")
    if contact not in (None, {}):
        extra["contact"] = _contact(contact, title)
    author, url, lang = raw.get("author"), raw.get("url", ""), raw.get("lang")
    if not isinstance(url, str) or (url and not url.lower().startswith(("http://", "https://"))):
        raise ValueError("url: an http(s) URL")
    return FetchedItem(
        external_id=str(rid).strip(),
        url=url,
        title=title.strip(),
        text=text.strip(),
        published_at=published if published is None or math.isfinite(published) else None,
        author_pseudonym=pseudonymise(str(author), key) if author not in (None, "") else "",
        engagement=engagement,
        lang=str(lang) if lang else None,
        attachments=_attachments(raw.get("attachments")),
        extra=extra,
    )


def _contact(value: Any, title: str) -> dict[str, str]:
    """The citizen's reply details (``{"name", "address"}``): kept apart from the item, encrypted."""
    if not isinstance(value, Mapping):
        raise ValueError("contact: expected an object with name and address")
    unknown = set(value) - {"name", "address"}
    if unknown:
        raise ValueError(f"contact: unknown field(s) {', '.join(sorted(unknown))} (name, address)")
    name, address = value.get("name", ""), value.get("address", "")
    if not isinstance(name, str) or not isinstance(address, str):
        raise ValueError("contact: name and address must be strings")
    if len(name) > 200 or len(address) > 500:
        raise ValueError("contact: name (200) or address (500 characters) too long")
    return {"name": name.strip(), "address": address.strip(), "subject": title.strip()[:500]}


_SHAPE = 'the body must be one item (a JSON object), a list of items, or {"items": [...]}'


def _item_list(data: Any) -> list[Any]:
    """The body's items; :class:`PayloadError` when the body is not items at all ("hello", {}, 7)."""
    if isinstance(data, Mapping) and "items" in data:
        if not isinstance(data["items"], list):
            raise PayloadError(f"{_SHAPE}; 'items' is a {_json_type(data['items'])}", "body")
        data = data["items"]
    elif isinstance(data, Mapping):
        if not data:
            raise PayloadError(f"{_SHAPE}; got an empty object", "body")
        return [data]
    if not isinstance(data, list):
        raise PayloadError(f"{_SHAPE}; got a {_json_type(data)}", "body")
    if data and not any(isinstance(x, Mapping) for x in data):
        raise PayloadError(f"{_SHAPE}; the list holds no objects (first: a {_json_type(data[0])})", "body")
    return data


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    for kind, name in ((bool, "boolean"), (str, "string"), (int, "number"), (float, "number"), (list, "list")):
        if isinstance(value, kind):
            return name
    return "object" if isinstance(value, Mapping) else type(value).__name__


def validate_batch(
    body: bytes,
    *,
    key: bytes,
    seen: Callable[[str], bool] = lambda _id: False,
    max_items: int = 500,
    max_bytes: int = 5 * 1024 * 1024,
    max_text_chars: int = 100_000,
) -> PushBatch:
    """Validate a pushed body into per-item results; raises :class:`PayloadError` for the whole body.

    ``seen(external_id)`` says whether the source already stored that id (idempotency).

    >>> b = validate_batch(b'[{"id": 1, "text": "ok"}, {"id": 2}, {"id": 1, "text": "again"}]', key=b"k")
    >>> [(r.index, r.status) for r in b.results]
    [(0, 'accepted'), (1, 'rejected'), (2, 'duplicate')]
    """
    if len(body) > max_bytes:
        raise PayloadError(f"body of {len(body)} bytes exceeds the limit of {max_bytes}", "body")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as e:
        raise PayloadError(f"body is not valid JSON: {e}", "body") from None
    raw_items = _item_list(data)
    if len(raw_items) > max_items:
        raise PayloadError(f"batch of {len(raw_items)} items exceeds the limit of {max_items}", "body")
    results: list[PushItemResult] = []
    in_batch: set[str] = set()
    for i, raw in enumerate(raw_items):
        rid = raw.get("id") if isinstance(raw, Mapping) else None
        shown = str(rid).strip() if isinstance(rid, str | int) and not isinstance(rid, bool) else None
        try:
            item = _item(raw, key, max_text_chars)
        except ValueError as e:
            results.append(PushItemResult(i, shown, "rejected", str(e)))
            continue
        if item.external_id in in_batch or seen(item.external_id):
            where = "earlier in this batch" if item.external_id in in_batch else "already received"
            results.append(PushItemResult(i, item.external_id, "duplicate", where))
            continue
        in_batch.add(item.external_id)
        results.append(PushItemResult(i, item.external_id, "accepted", item=item))
    return PushBatch(tuple(results))
