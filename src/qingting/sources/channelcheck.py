"""Inspect a channel from the outside: read its feed or crawl its site, then score it.

The command line (``qingting channel inspect``) and the platform's inspections share this; the
scoring itself is :func:`qingting.core.inspection.inspect`. Nothing is stored here.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from qingting.core.inspection import Inspection, InspectionPolicy, Message, Post, ReadFault, inspect, now_ts
from qingting.core.wording import WordingRule
from qingting.sources.http import SafeFetcher
from qingting.sources.rss import ACCEPT, parse_feed
from qingting.sources.sitecrawl import CrawlLimits, CrawlResult, crawl_site
from qingting.sources.types import SourceError

__all__ = ["FeedRead", "inspect_url", "read_feed", "typo_checker"]


@dataclass(frozen=True, slots=True)
class FeedRead:
    """A feed's posts, what could not be read, and since when it lists posts."""

    posts: tuple[Post, ...]
    faults: tuple[ReadFault, ...]
    covered_from: float | None


def read_feed(url: str, *, fetcher: SafeFetcher, max_items: int = 1000) -> FeedRead:
    """The posts of an RSS/Atom feed; faults (time-out, too large, not a feed) are recorded, never raised.

    A feed lists its last few posts: it covers the time since its oldest dated entry.
    """
    try:
        resp = fetcher.get(url, accept=ACCEPT)
    except SourceError as e:
        return FeedRead((), (ReadFault(url, e.message),), None)
    result = parse_feed(resp.body, key=os.urandom(16), url=resp.url, declared=resp.charset, max_items=max_items)
    faults = tuple(ReadFault(e.where or url, e.what) for e in result.errors)
    posts = tuple(Post(i.title or i.text[:60], i.url, i.published_at, i.text) for i in result.items)
    if not posts and not faults:
        faults = (ReadFault(resp.url, "the feed lists no entries (is it an RSS or Atom feed?)"),)
    dated = [p.published_at for p in posts if p.published_at is not None]
    return FeedRead(posts, faults, min(dated) if dated else None)


def typo_checker() -> tuple[Callable[[str], Iterable[Any]] | None, str]:
    """The proofreader's typo and idiom check (三校 assist), or ``None`` and why it is unavailable.

    It is :class:`qingting.core.proofread.Proofreader` with its default threshold; only its
    ``typo`` and ``idiom`` findings are used here (wording comes from :mod:`qingting.core.wording`,
    which knows which forms are serious).
    """
    try:
        from qingting.core.proofread import Proofreader
    except ImportError:
        return None, "the proofreading module (qingting.core.proofread) is not installed"
    try:
        proofreader = Proofreader(typos=True)
    except (OSError, ValueError) as e:  # its dictionary missing or unreadable
        return None, f"the typo dictionary could not be loaded ({e})"

    def check(text: str) -> list[Any]:
        return [f for f in proofreader.check(text) if f.kind in ("typo", "idiom")]

    return check, ""


def inspect_url(
    url: str,
    *,
    kind: str,
    fetcher: SafeFetcher,
    now: float | None = None,
    policy: InspectionPolicy | None = None,
    limits: CrawlLimits | None = None,
    wording_rules: Sequence[WordingRule] = (),
    typos: bool = True,
    messages: Sequence[Message] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[Inspection, CrawlResult | None]:
    """Read ``url`` as a feed (``kind="rss"``) or crawl it as a site (``kind="site"``) and inspect it.

    Returns the inspection and, for a site, the crawl (pages, requests, bytes, seconds).
    """
    now = now_ts() if now is None else now
    check, unavailable = typo_checker() if typos else (None, "")
    if kind == "rss":
        feed = read_feed(url, fetcher=fetcher)
        result = inspect(
            feed.posts,
            now=now,
            kind="feed",
            policy=policy,
            covered_from=feed.covered_from,
            faults=feed.faults,
            wording_rules=wording_rules,
            typo_check=check,
            typo_unavailable=unavailable,
            messages=messages,
        )
        return result, None
    if kind != "site":
        raise ValueError(f"kind must be 'rss' or 'site', not {kind!r}")
    crawl = crawl_site(url, fetcher=fetcher, limits=limits, sleep=sleep)
    result = inspect(
        crawl.posts,
        now=now,
        kind="site",
        policy=policy,
        covered_from=min((p.published_at for p in crawl.posts if p.published_at), default=None),
        faults=crawl.faults,
        site=crawl.facts,
        texts=crawl.texts,
        wording_rules=wording_rules,
        typo_check=check,
        typo_unavailable=unavailable,
        messages=messages,
    )
    return result, crawl
