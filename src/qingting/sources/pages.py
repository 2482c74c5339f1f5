"""Web pages: a list page, a link pattern, and the article pages it links to.

The list page is polled with a conditional GET; links whose absolute URL matches ``link_pattern``
are followed (same host only by default), each article fetched through the same safe fetcher
after robots.txt says yes, and its main text extracted with trafilatura (offline: it only sees
the HTML we fetched and decoded). An article's URL is its external id. The cursor remembers the
articles already fetched so a re-poll only fetches new links.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
import trafilatura
from lxml import etree

from qingting.core.io import parse_time
from qingting.sources.encoding import decode_bytes
from qingting.sources.http import SafeFetcher
from qingting.sources.types import (
    FetchedItem,
    FetchError,
    FetchResult,
    FetchState,
    HTTPStatusError,
    ParseError,
    RobotsDisallowedError,
    SourceError,
    pseudonymise,
)

__all__ = ["PageConnector", "extract_article", "extract_links"]

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_REMEMBER = 2000  # article URLs remembered in the cursor (hashed), enough for a busy list page


def extract_links(html: str, base_url: str, pattern: re.Pattern[str], *, same_host: bool = True) -> list[str]:
    """Absolute http(s) URLs in ``html`` that match ``pattern``, fragments removed, in page order.

    >>> extract_links('<a href="/n/1.html">1</a><a href="/about">x</a><a href="/n/1.html#c">1</a>',
    ...               "http://news.example/list", re.compile(r"/n/\\d+"))
    ['http://news.example/n/1.html']
    """
    try:
        # lxml refuses a str that still carries an XML encoding declaration (XHTML pages do)
        doc = lxml.html.fromstring(_XML_DECL.sub("", html, count=1))
    except (etree.ParserError, ValueError):
        return []
    host = urlsplit(base_url).hostname
    out: list[str] = []
    seen: set[str] = set()
    for el in doc.iter("a"):
        href = el.get("href")
        if not href:
            continue
        url = urldefrag(urljoin(base_url, href.strip())).url
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or (same_host and parts.hostname != host):
            continue
        if url not in seen and pattern.search(url):
            seen.add(url)
            out.append(url)
    return out


def extract_article(html: str, url: str) -> dict[str, Any] | None:
    """trafilatura's main text and metadata (title, author, date, text, language), or ``None``."""
    raw = trafilatura.extract(
        html, url=url, output_format="json", with_metadata=True, include_comments=False, include_tables=True
    )
    if not raw:
        return None
    data: dict[str, Any] = json.loads(raw)
    text = str(data.get("text") or "")
    title = str(data.get("title") or "")
    if title and text.startswith(title + "\n"):
        text = text[len(title) + 1 :]  # trafilatura repeats the headline as the first line
    data["text"] = text.strip()
    return data if data["text"] else None


def _h(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:16]


@dataclass
class PageConnector:
    """Poll a list page and fetch the new articles it links to.

    ``link_pattern`` is a regular expression searched in each absolute link URL.
    """

    list_url: str
    link_pattern: str
    key: bytes
    fetcher: SafeFetcher = field(default_factory=SafeFetcher)
    max_articles: int = 30
    same_host: bool = True
    respect_robots: bool = True
    delay: float = 1.0  # seconds between article requests to the host (robots.txt Crawl-delay wins if longer)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def __post_init__(self) -> None:
        try:
            self._pattern = re.compile(self.link_pattern)
        except re.error as e:
            raise ValueError(f"link_pattern is not a valid regular expression: {e}") from None

    def _failed(self, e: SourceError, state: FetchState, requests: int) -> FetchResult:
        return FetchResult(
            errors=(e.as_error(),),
            http_status=e.status if isinstance(e, HTTPStatusError) else None,
            etag=state.etag,
            last_modified=state.last_modified,
            cursor=state.cursor,
            failed=True,
            requests=requests,
        )

    def fetch(self, state: FetchState) -> FetchResult:
        """Poll the list page once, then fetch up to ``max_articles`` new articles."""
        if self.respect_robots and not self.fetcher.allowed_by_robots(self.list_url):
            return self._failed(RobotsDisallowedError("robots.txt disallows the list page", self.list_url), state, 0)
        try:
            resp = self.fetcher.get(self.list_url, etag=state.etag, last_modified=state.last_modified)
        except SourceError as e:
            return self._failed(e, state, 1)
        if resp.not_modified:
            return FetchResult(
                http_status=304,
                etag=resp.etag or state.etag,
                last_modified=resp.last_modified or state.last_modified,
                not_modified=True,
                cursor=state.cursor,
                requests=resp.requests,
            )
        page = decode_bytes(resp.body, resp.charset)
        links = extract_links(page.text, resp.url, self._pattern, same_host=self.same_host)
        known: list[str] = json.loads(state.cursor) if state.cursor else []
        known_set = set(known)
        new = [u for u in links if _h(u) not in known_set][: self.max_articles]
        items: list[FetchedItem] = []
        errors: list[FetchError] = []
        requests = resp.requests
        if not links:
            errors.append(FetchError(f"no link on the list page matches {self.link_pattern!r}", resp.url, "ParseError"))
        pause = max(self.delay, self.fetcher.robots.crawl_delay(resp.url) if self.respect_robots else 0.0)
        for k, url in enumerate(new):
            if k and pause > 0:
                self.sleep(min(pause, 60.0))  # polite to the site; a minute at most per article
            item, n = self.fetch_article(url)
            requests += n
            if isinstance(item, FetchError):
                errors.append(item)
                if item.kind in ("RobotsDisallowedError", "ParseError", "HTTPStatusError"):
                    known.append(_h(url))  # permanent for this URL: do not hammer it every poll
                continue
            items.append(item)
            known.append(_h(url))
        return FetchResult(
            items=tuple(items),
            errors=tuple(errors),
            http_status=resp.status,
            encoding=page.encoding,
            etag=resp.etag,
            last_modified=resp.last_modified,
            cursor=json.dumps(known[-_REMEMBER:]),
            requests=requests,
        )

    def fetch_article(self, url: str) -> tuple[FetchedItem | FetchError, int]:
        """Fetch and extract one article page: the item (or the error) and the requests made."""
        if self.respect_robots and not self.fetcher.allowed_by_robots(url):
            return RobotsDisallowedError("robots.txt disallows this page", url).as_error(), 0
        try:
            resp = self.fetcher.get(url, accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.1")
        except SourceError as e:
            return e.as_error(), 1
        decoded = decode_bytes(resp.body, resp.charset)
        data = extract_article(decoded.text, resp.url)
        if data is None:
            return ParseError("no main text found on the page", url).as_error(), resp.requests
        published: float | None = None
        if data.get("date"):
            try:
                published = parse_time(str(data["date"]))
            except ValueError:
                published = None
        author = str(data.get("author") or "")
        return (
            FetchedItem(
                external_id=url,
                url=resp.url,
                title=str(data.get("title") or ""),
                text=str(data["text"]),
                published_at=published,
                author_pseudonym=pseudonymise(author, self.key) if author else "",
                lang=str(data["language"]) if data.get("language") else None,
                extra={"encoding": decoded.encoding},
            ),
            resp.requests,
        )
