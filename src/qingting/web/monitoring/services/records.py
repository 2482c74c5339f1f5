"""Incoming records checked and cleaned before they are stored; authors' pseudonyms."""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from qingting.core.types import RecordError

MAX_TEXT = 20_000


# --- pseudonyms ---------------------------------------------------------------------------------


def author_pseudonym(handle: str) -> str:
    """A keyed HMAC-SHA256 of the author's handle (32 hex digits); the handle is never stored.

    The same handle always gives the same pseudonym under one key, so "how many distinct people
    wrote about this" can be counted without knowing who they are.
    """
    handle = handle.strip()
    if not handle:
        return ""
    key = hashlib.sha256(("qingting-pseudonym:" + settings.QINGTING_PSEUDONYM_KEY).encode()).digest()
    return hmac.new(key, handle.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


# --- records ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Record:
    external_id: str
    text: str
    title: str
    url: str
    published_at: datetime
    author_pseudonym: str
    engagement: int
    region: str
    lang: str
    parent: str | None


def _parse_time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value, UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        return datetime.fromtimestamp(float(value), tz=UTC)
    if isinstance(value, str):
        parsed = parse_datetime(value.strip())
        if parsed is None:
            raise ValueError(f"not an ISO 8601 date-time: {value[:40]!r}")
        return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, UTC)
    raise ValueError(f"unsupported time value of type {type(value).__name__}")


def _normalise(position: int, raw: Mapping[str, Any], now: datetime) -> _Record | RecordError:
    """One incoming record checked and cleaned, or the reason it cannot be stored."""
    ext = raw.get("external_id", raw.get("id"))
    label = str(ext) if ext not in (None, "") else f"record {position}"
    if ext is None or str(ext).strip() == "":
        return RecordError(label, "external_id", "missing: every item needs the id its source gives it")
    ext = str(ext).strip()
    if len(ext) > 200:
        return RecordError(label, "external_id", "longer than 200 characters")
    text = str(raw.get("text") or "")[:MAX_TEXT]
    title = str(raw.get("title") or "")[:500]
    if not text.strip() and not title.strip():
        return RecordError(label, "text", "empty: an item needs a text or a title")
    try:
        published = _parse_time(raw.get("published_at", raw.get("time"))) or now
    except ValueError as exc:
        return RecordError(label, "published_at", str(exc))
    try:
        engagement = max(0, int(raw.get("engagement") or 0))
    except (TypeError, ValueError):
        return RecordError(label, "engagement", "not a whole number")
    url = str(raw.get("url") or "")[:1000]
    if url and not url.startswith(("http://", "https://")):
        return RecordError(label, "url", "only http and https addresses are kept")
    parent = raw.get("parent")
    return _Record(
        external_id=ext,
        text=text,
        title=title,
        url=url,
        published_at=min(published, now),  # a clock in the future must not pin events there
        # A connector sends ``author_pseudonym`` already keyed (the handle never left it).
        author_pseudonym=author_pseudonym(str(raw.get("author") or "")) or str(raw.get("author_pseudonym") or "")[:32],
        engagement=min(engagement, 2**31 - 1),
        region=str(raw.get("region") or "")[:100],
        lang=str(raw.get("lang") or "")[:16],
        parent=str(parent) if parent not in (None, "") else None,
    )


def _validated(records: Iterable[Mapping[str, Any]], now: datetime) -> tuple[list[_Record], list[RecordError], int]:
    records_ok: list[_Record] = []
    errors: list[RecordError] = []
    seen: set[str] = set()
    skipped = 0
    for position, raw in enumerate(records, start=1):
        rec = _normalise(position, raw, now)
        if isinstance(rec, RecordError):
            errors.append(rec)
        elif rec.external_id in seen:
            skipped += 1
        else:
            seen.add(rec.external_id)
            records_ok.append(rec)
    return records_ok, errors, skipped
