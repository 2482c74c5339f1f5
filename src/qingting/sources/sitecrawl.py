"""A polite, bounded crawl of one website for its inspection: dead links, columns, dates, text.

Everything goes through the safe fetcher (:mod:`qingting.sources.http`): non-public addresses
are refused unless the host is allow-listed, robots.txt is obeyed, and every request is bounded
in bytes and time. The crawl itself is bounded in pages, link checks, total bytes and total
seconds, and waits ``delay`` seconds (or the site's ``Crawl-delay``, up to 5 s) between requests.

What it finds is plain data for :func:`qingting.core.inspection.inspect`:

* the **home page's dates** (its newest one is the site's last update);
* **columns** (栏目): pages listing three or more dated links, with the newest date; pages that
  say they are empty (暂无信息 …);
* **dead links**: a link whose target answers 404, 410 or a 5xx after a retry — on the site, and
  (bounded) to other sites; a target we could not reach for our own reasons (refused address,
  robots.txt, time-out) is *not* a dead link but a :class:`ReadFault`, or nothing;
* the **posts** (the columns' dated entries) and the **text** of every page read, for the
  silence, wording and typo checks.

A page that cannot be read — it timed out, redirected forever, was larger than the limit —
becomes a :class:`ReadFault` ("could not read …"), never an exception.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
from lxml import etree

from qingting.core.inspection import CST, Column, LinkFault, PageText, Post, ReadFault, SiteFacts
from qingting.sources._html import html_to_text
from qingting.sources.encoding import decode_bytes
from qingting.sources.http import HttpResponse, SafeFetcher, check_address
from qingting.sources.types import BodyTooLargeError, HTTPStatusError, SourceError

__all__ = ["CrawlLimits", "CrawlResult", "crawl_site", "find_dates"]

_DATE = re.compile(r"(20\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)")
_EMPTY = re.compile(
    r"暂无(?:相关)?(?:信息|内容|数据|记录|文章|资料)|没有(?:相关)?(?:信息|内容|记录)|no (?:entries|content)", re.I
)
_NEWS = re.compile(r"新闻|动态|要闻|资讯|快讯|工作|时政|图片|视频|news", re.I)
_TITLE_SPLIT = re.compile(r"\s*[-_|｜—–]+\s*")
_ATTACHMENT = re.compile(
    r"\.(?:pdf|docx?|xlsx?|pptx?|wps|et|zip|rar|7z|gz|tar|jpe?g|png|gif|bmp|webp|mp[34]|avi|mov|flv|txt|csv|xml|apk|exe)$",
    re.I,
)
_ENTRY_TAGS = ("li", "tr", "dd", "dt", "p", "div", "span", "td")
ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"
_DEAD = frozenset({404, 410})
_MAX_TEXT = 20_000  # characters of a page's text kept for the wording and typo checks


@dataclass(frozen=True, slots=True)
class CrawlLimits:
    """How far and how fast the crawl may go; the defaults read a 200-page site within a minute."""

    max_pages: int = 200
    max_link_checks: int = 100  # attachments and links to other sites, checked but not read
    max_seconds: float = 120.0
    max_page_bytes: int = 2 * 1024 * 1024
    max_total_bytes: int = 64 * 1024 * 1024
    delay: float = 0.1
    check_external: bool = True
    respect_robots: bool = True

    def __post_init__(self) -> None:
        if self.max_pages < 1 or self.max_seconds <= 0 or self.max_page_bytes <= 0 or self.delay < 0:
            raise ValueError("CrawlLimits: max_pages >= 1, max_seconds > 0, max_page_bytes > 0, delay >= 0")


@dataclass
class CrawlResult:
    """What the crawl found, ready for ``inspect(posts, site=facts, texts=texts, faults=faults)``."""

    facts: SiteFacts
    posts: list[Post] = field(default_factory=list)
    texts: list[PageText] = field(default_factory=list)
    faults: list[ReadFault] = field(default_factory=list)
    requests: int = 0
    bytes: int = 0
    seconds: float = 0.0


def find_dates(text: str) -> list[float]:
    """Calendar dates written in ``text`` (2026-12-07, 2026/12/7, 2026年12月7日) as China-time midnights.

    >>> [datetime.fromtimestamp(t, CST).date().isoformat() for t in find_dates("发布：2026年12月7日 2026-13-01")]
    ['2026-12-07']
    """
    out: list[float] = []
    for m in _DATE.finditer(text):
        try:
            out.append(datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=CST).timestamp())
        except ValueError:
            continue
    return out


def _origin(url: str) -> str:
    p = urlsplit(url)
    return f"{p.scheme.lower()}://{p.netloc.lower()}"


@dataclass
class _Page:
    url: str
    title: str
    links: list[tuple[str, str]]  # (absolute URL, anchor text)
    entries: list[Post]
    dates: list[float]
    empty: bool
    text: str


def _parse(html: str, url: str) -> _Page:
    try:
        doc = lxml.html.fromstring(re.sub(r"^\s*<\?xml[^>]*\?>", "", html, count=1))
    except (etree.ParserError, ValueError):
        text = html_to_text(html)
        return _Page(url, "", [], [], find_dates(text), bool(_EMPTY.search(text)), text[:_MAX_TEXT])
    title_el = doc.find(".//title")
    title = " ".join((title_el.text_content() if title_el is not None else "").split())
    links: list[tuple[str, str]] = []
    seen: set[str] = set()
    for a in doc.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
            continue
        target = urldefrag(urljoin(url, href)).url
        if urlsplit(target).scheme not in ("http", "https"):
            continue
        if target not in seen:
            seen.add(target)
            links.append((target, " ".join(a.text_content().split())[:100]))
    entries: list[Post] = []
    taken: set[str] = set()
    for el in doc.iter(*_ENTRY_TAGS):
        anchors = [a for a in el.iter("a") if a.get("href")]
        if len(anchors) != 1:
            continue
        dates = find_dates(el.text_content())
        if len(dates) != 1:
            continue
        target = urldefrag(urljoin(url, (anchors[0].get("href") or "").strip())).url
        if target in taken:
            continue
        taken.add(target)
        entries.append(Post(" ".join(anchors[0].text_content().split())[:200], target, dates[0]))
    body = doc.find(".//body")
    text = html_to_text(lxml.html.tostring(body if body is not None else doc, encoding="unicode"))
    return _Page(url, title, links, entries, find_dates(text), bool(_EMPTY.search(text)), text[:_MAX_TEXT])


def _column_name(page: _Page) -> str:
    parts = [p for p in _TITLE_SPLIT.split(page.title) if p]
    return parts[0] if parts else page.url


class _Crawl:
    def __init__(self, home: str, fetcher: SafeFetcher, limits: CrawlLimits, sleep: Callable[[float], None]) -> None:
        self.home = home
        self.origin = _origin(home)
        self.fetcher = fetcher
        self.limits = limits
        self.sleep = sleep
        self.started = time.monotonic()
        self.requests = 0
        self.bytes = 0
        self.budget = ""
        self.faults: list[ReadFault] = []
        self.dead: list[LinkFault] = []
        self.referrer: dict[str, tuple[str, str]] = {}  # target → (first page linking it, anchor)
        self.last_request = 0.0

    def remaining(self) -> float:
        return self.limits.max_seconds - (time.monotonic() - self.started)

    def _polite_wait(self, url: str) -> None:
        pause = self.limits.delay
        if self.limits.respect_robots and _origin(url) == self.origin:
            pause = max(pause, min(5.0, self.fetcher.robots.crawl_delay(url)))
        wait = self.last_request + pause - time.monotonic()
        if wait > 0:
            self.sleep(min(wait, max(0.0, self.remaining())))

    def get(self, url: str, *, max_bytes: int) -> HttpResponse | SourceError:
        """Fetch within the crawl's remaining time; the error instead of raising."""
        self._polite_wait(url)
        remaining = self.remaining()
        policy = self.fetcher.policy
        policy = replace(policy, max_bytes=max_bytes, deadline=max(0.5, min(policy.deadline, remaining)))
        fetcher = SafeFetcher(policy, resolver=self.fetcher.resolver, sleep=self.fetcher.sleep, rng=self.fetcher.rng)
        self.requests += 1
        try:
            resp = fetcher.get(url, accept=ACCEPT)
        except SourceError as e:
            return e
        finally:
            self.last_request = time.monotonic()
        self.bytes += len(resp.body)
        return resp

    def link_fault(self, url: str, err: SourceError) -> None:
        """Record a dead link, or a fault of ours, for a target that could not be fetched."""
        page, anchor = self.referrer.get(url, (self.home, ""))
        if isinstance(err, HTTPStatusError) and (err.status in _DEAD or err.status >= 500):
            self.dead.append(LinkFault(url, f"HTTP {err.status}", page, anchor))


def crawl_site(
    url: str,
    *,
    fetcher: SafeFetcher | None = None,
    limits: CrawlLimits | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> CrawlResult:
    """Crawl the site at ``url`` within ``limits`` and say what an inspection needs to know.

    Never raises for the site's faults: they are in ``faults`` (could not read) or
    ``facts.dead_links``. Raises ``ValueError`` only for a URL that is not http(s).
    """
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    fetcher = fetcher or SafeFetcher()
    limits = limits or CrawlLimits()
    crawl = _Crawl(url, fetcher, limits, sleep)
    parts = urlsplit(url)
    try:
        # Said first and plainly: otherwise robots.txt, unreadable for the same reason, would
        # be blamed for a refusal that is the address check's.
        check_address(
            parts.hostname or "",
            parts.port or (443 if parts.scheme == "https" else 80),
            fetcher.policy.allow_hosts,
            fetcher.resolver,
            url,
        )
    except SourceError as e:
        crawl.faults.append(ReadFault(url, e.message))
        facts = SiteFacts(home=url, home_read=False)
        return CrawlResult(facts=facts, faults=crawl.faults)
    queue: deque[str] = deque([url])
    queued: set[str] = {url}
    checks: list[str] = []  # attachments and other sites' pages: fetched only to see they answer
    pages: list[_Page] = []
    home_page: _Page | None = None
    home_read = False
    while queue:
        if len(pages) >= limits.max_pages:
            crawl.budget = "pages"
            break
        if crawl.remaining() <= 0:
            crawl.budget = "time"
            break
        if crawl.bytes >= limits.max_total_bytes:
            crawl.budget = "bytes"
            break
        current = queue.popleft()
        if limits.respect_robots and not fetcher.allowed_by_robots(current):
            if current == url:
                crawl.faults.append(ReadFault(current, "robots.txt disallows the home page"))
            continue
        resp = crawl.get(current, max_bytes=limits.max_page_bytes)
        if isinstance(resp, SourceError):
            if isinstance(resp, HTTPStatusError) and current != url:
                crawl.link_fault(current, resp)
                if resp.status not in _DEAD and resp.status < 500:
                    crawl.faults.append(ReadFault(current, resp.message))
            else:
                crawl.faults.append(ReadFault(current, _describe(resp)))
            continue
        ctype = resp.headers.get("content-type", "").lower()
        if ctype and "html" not in ctype and "xml" not in ctype:
            continue  # an attachment served under a page-like URL: it answered, nothing to read
        decoded = decode_bytes(resp.body, resp.charset)
        page = _parse(decoded.text, resp.url)
        pages.append(page)
        if current == url:
            home_page, home_read = page, True
        for target, anchor in page.links:
            crawl.referrer.setdefault(target, (current, anchor))
            if target in queued:
                continue
            queued.add(target)
            same = _origin(target) == crawl.origin
            if same and not _ATTACHMENT.search(urlsplit(target).path):
                queue.append(target)
            elif same or limits.check_external:
                checks.append(target)
    unchecked = len(queue)
    # Link checks: attachments and other sites, bounded; a body larger than the probe is alive.
    for n, target in enumerate(checks):
        if n >= limits.max_link_checks or crawl.remaining() <= 0:
            unchecked += len(checks) - n
            crawl.budget = crawl.budget or ("time" if crawl.remaining() <= 0 else "link checks")
            break
        if limits.respect_robots and not fetcher.allowed_by_robots(target):
            continue
        result = crawl.get(target, max_bytes=64 * 1024)
        if isinstance(result, HTTPStatusError):
            crawl.link_fault(target, result)
        # BodyTooLarge means it answered; refused addresses, time-outs: not the site's fault.
    columns: list[Column] = []
    posts: dict[str, Post] = {}
    texts: list[PageText] = []
    for page in pages:
        if page is not home_page and len(page.entries) >= 3:
            name = _column_name(page)
            last = max(e.published_at for e in page.entries if e.published_at is not None)
            columns.append(Column(page.url, name, last, len(page.entries), news=bool(_NEWS.search(name))))
        elif page is not home_page and page.empty and not page.entries:
            columns.append(Column(page.url, _column_name(page), empty=True))
        for entry in page.entries:
            posts.setdefault(entry.url, entry)
        texts.append(PageText(page.url, page.title, page.text))
    facts = SiteFacts(
        home=url,
        home_dates=tuple(home_page.dates) if home_page else (),
        columns=tuple(columns),
        dead_links=tuple(crawl.dead),
        pages=len(pages),
        links_checked=crawl.requests,
        unchecked_links=unchecked,
        budget=crawl.budget,
        home_read=home_read,
    )
    return CrawlResult(
        facts=facts,
        posts=list(posts.values()),
        texts=texts,
        faults=crawl.faults,
        requests=crawl.requests,
        bytes=crawl.bytes,
        seconds=round(time.monotonic() - crawl.started, 2),
    )


def _describe(err: SourceError) -> str:
    if isinstance(err, BodyTooLargeError):
        return f"the page is too large ({err.message})"
    return err.message
