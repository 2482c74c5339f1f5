"""RSS and Atom feeds: our safe fetcher gets the bytes, feedparser only parses them.

feedparser is never given a URL (it would fetch it) nor a string (it would try it as a file
name): it gets a byte stream of the body we fetched and decoded ourselves, re-encoded as UTF-8,
so the detected encoding is ours and reported. A malformed or truncated feed keeps every entry
the lenient parser could recover, and the fault is recorded next to them.
"""

from __future__ import annotations

import calendar
import hashlib
import io
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from qingting.sources._html import html_to_text
from qingting.sources.encoding import decode_bytes
from qingting.sources.http import SafeFetcher
from qingting.sources.types import (
    FetchedItem,
    FetchError,
    FetchResult,
    FetchState,
    HTTPStatusError,
    ParseError,
    SourceError,
    pseudonymise,
)

__all__ = ["RssConnector", "parse_feed"]

ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1"
_DECL_ENCODING = re.compile(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""", re.I)


def _http_url(value: Any) -> str:
    url = str(value or "").strip()
    return url if urlsplit(url).scheme.lower() in ("http", "https") else ""


def _time(entry: Any) -> float | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        t = entry.get(key)
        if t:
            return float(calendar.timegm(t))
    return None


def _entry_text(entry: Any) -> str:
    content = entry.get("content") or []
    html = ""
    if content:
        html = max((c.get("value", "") for c in content), key=len)
    html = html or entry.get("summary", "") or entry.get("description", "")
    return html_to_text(str(html))


def parse_feed(
    body: bytes, *, key: bytes, url: str = "", declared: str | None = None, max_items: int = 1000
) -> FetchResult:
    """Parse feed bytes into items; never raises for bad content (errors are recorded).

    ``declared`` is the HTTP charset; ``key`` pseudonymises authors.
    """
    decoded = decode_bytes(body, declared)
    text = _DECL_ENCODING.sub(r"\1\2utf-8\2", decoded.text, count=1)
    parsed = feedparser.parse(
        io.BytesIO(text.encode("utf-8")),
        # No base URL: feedparser would rewrite relative guids into URLs; links we resolve below.
        response_headers={"content-type": "application/xml; charset=utf-8"},
        sanitize_html=False,  # we never render it: html_to_text keeps text only, scripts dropped
        resolve_relative_uris=False,
    )
    where = url or "feed"
    errors: list[FetchError] = []
    entries = list(parsed.get("entries", []))
    if parsed.get("bozo"):
        exc = parsed.get("bozo_exception")
        msg = f"feed is not well-formed XML ({type(exc).__name__}: {exc})"
        if entries:
            msg += f"; {len(entries)} entries recovered by the lenient parser"
        errors.append(ParseError(msg, where).as_error())
    if not entries and not parsed.get("feed") and not parsed.get("version"):
        errors.append(ParseError("not an RSS or Atom feed: no channel and no entries found", where).as_error())
        return FetchResult(errors=tuple(errors), encoding=decoded.encoding, failed=True)
    lang = parsed.get("feed", {}).get("language") or None
    items: list[FetchedItem] = []
    for n, entry in enumerate(entries[:max_items], 1):
        link = _http_url(urljoin(url, str(entry.get("link") or "")) if entry.get("link") else "")
        title = html_to_text(str(entry.get("title", "")))
        eid = str(entry.get("id") or "").strip() or link
        body_text = _entry_text(entry)
        if not eid:
            if not (title or body_text):
                errors.append(ParseError(f"entry {n} has no id, link, title or text", where).as_error())
                continue
            # No id and no link: a content hash is the only stable identity left.
            eid = "sha256:" + hashlib.sha256(f"{title}\n{body_text}".encode()).hexdigest()[:32]
        author = str(entry.get("author") or "")
        items.append(
            FetchedItem(
                external_id=eid,
                url=link,
                title=title,
                text=body_text or title,
                published_at=_time(entry),
                author_pseudonym=pseudonymise(author, key) if author else "",
                lang=str(lang) if lang else None,
                extra={"tags": [t.get("term") for t in entry.get("tags", []) if t.get("term")]},
            )
        )
    if len(entries) > max_items:
        errors.append(FetchError(f"{len(entries) - max_items} entries beyond max_items={max_items} skipped", where))
    return FetchResult(items=tuple(items), errors=tuple(errors), encoding=decoded.encoding)


@dataclass
class RssConnector:
    """Poll one RSS/Atom feed: conditional GET, our encoding detection, feedparser on the bytes.

    >>> from qingting.sources.http import FetchPolicy
    >>> c = RssConnector("https://example.org/feed.xml", key=b"secret", fetcher=SafeFetcher(FetchPolicy()))
    >>> c.url
    'https://example.org/feed.xml'
    """

    url: str
    key: bytes
    fetcher: SafeFetcher = field(default_factory=SafeFetcher)
    max_items: int = 1000

    def fetch(self, state: FetchState) -> FetchResult:
        """Poll once; a 304 answer gives ``not_modified`` and no items."""
        try:
            resp = self.fetcher.get(self.url, etag=state.etag, last_modified=state.last_modified, accept=ACCEPT)
        except SourceError as e:
            status = e.status if isinstance(e, HTTPStatusError) else None
            return FetchResult(
                errors=(e.as_error(),),
                http_status=status,
                etag=state.etag,
                last_modified=state.last_modified,
                failed=True,
                requests=1,
            )
        if resp.not_modified:
            return FetchResult(
                http_status=304,
                etag=resp.etag or state.etag,
                last_modified=resp.last_modified or state.last_modified,
                not_modified=True,
                requests=resp.requests,
            )
        result = parse_feed(resp.body, key=self.key, url=resp.url, declared=resp.charset, max_items=self.max_items)
        return FetchResult(
            items=result.items,
            errors=result.errors,
            http_status=resp.status,
            encoding=result.encoding,
            etag=resp.etag,
            last_modified=resp.last_modified,
            requests=resp.requests,
            failed=result.failed,
        )
