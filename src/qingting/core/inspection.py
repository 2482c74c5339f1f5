"""Inspection of a channel the organisation runs, after the national indicators.

政府网站与政务新媒体检查指标 (国办秘函〔2019〕19号; docs/channels.md cites the rows used):

* **Silence** — a new-media account with no post in the 14 days before the check fails outright
  (单项否决); so does a website whose home page is silent for 2 weeks. The longest silence in the
  period is reported and costs points; an undated post does not count as an update.
* **Columns** (websites) — a stale column (news: 2 weeks, others: 6 months) or an empty one costs
  points; 5 or more of either fail the site.
* **Links** — every dead link costs points (the sheet's points per link could not be verified:
  the default is ours and configurable).
* **Wording** — a wrong standard form from the organisation's list costs points; a serious one
  (a leader's name or title) is a 严重表述错误 and fails the channel. Suspected typos are listed
  for a person to confirm and cost nothing: a checker's false alarm must never fail a channel.
* **Interaction** — messages answered late or not at all cost points; one unanswered for more
  than 3 months fails the channel.

The verdict is 合格 (pass), 不合格 (fail: a veto, or a score under 60) or 无法判定
(undetermined): when what we could not read leaves the silence check open, we say so instead
of failing the channel for a fault that may be ours (a feed without dates, a site that timed
out). Pure data in, pure data out; the command line uses it without a database.

>>> day = 86400.0
>>> posts = [Post("通知", "https://x/1", 100 * day), Post("动态", "https://x/2", 120 * day)]
>>> r = inspect(posts, now=140 * day, messages=[])
>>> r.verdict, r.score, [f.code for f in r.findings]
('fail', 95.0, ['silent', 'long_silence'])
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Protocol

from qingting.core.wording import WordingRule, check_wording, sentence_at

__all__ = [
    "FORMAT",
    "MESSAGES",
    "VERDICT_LABELS",
    "Column",
    "Finding",
    "Inspection",
    "InspectionPolicy",
    "LinkFault",
    "Message",
    "PageText",
    "Post",
    "ReadFault",
    "SiteFacts",
    "TypoHit",
    "inspect",
    "silence",
]

FORMAT = "qingting.inspection/1"  # the stored result's format; a newer reader migrates older ones
DAY = 86400.0
CST = timezone(timedelta(hours=8))

_SKELETON = re.compile(r"[\W\d_]+")
PASS, FAIL, UNDETERMINED = "pass", "fail", "undetermined"
VERDICT_LABELS = {PASS: "合格", FAIL: "不合格", UNDETERMINED: "无法判定"}
VETO, DEDUCTION, NOTE, UNREADABLE = "veto", "deduction", "note", "unreadable"

# English templates; the platform translates the same templates by code (channels/messages.py).
MESSAGES: dict[str, str] = {
    "silent": "No update for {days} days (last {last}): {limit} days without a post fail the channel (单项否决)",
    "silent_home": "The home page shows nothing newer than {last} ({days} days): a home page silent for "
    "{limit} days fails the site (单项否决)",
    "silent_soon": "No update for {days} days (last {last}): the channel fails at {limit} days",
    "long_silence": "Longest silence in the period: {days} days, from {start} to {end}",
    "undated": "{count} of {total} posts carry no date; an undated post does not count as an update",
    "future_dated": "{count} posts are dated in the future (latest {last}); they are not counted",
    "no_dates": "Could not read the publication dates: none of the {total} posts carries a date",
    "no_posts": "Could not read any post: {what}",
    "unreadable": "Could not read {where}: {what}",
    "no_home_dates": "Could not find a date on the home page",
    "dead_link": "Dead link {url} ({what}) on {page}",
    "stale_column": "Column “{name}” not updated for {days} days (last {last}; limit {limit} days)",
    "stale_columns": "{count} stale columns: {limit} or more fail the site (单项否决)",
    "empty_column": "Column “{name}” is empty",
    "empty_columns": "{count} empty columns: {limit} or more fail the site (单项否决)",
    "wording": "Wrong wording “{text}”: write “{suggestion}”",
    "wording_serious": "Serious wording error “{text}”: write “{suggestion}” (严重表述错误, 单项否决)",
    "typo": "Suspected typo “{text}”: perhaps “{suggestion}”",
    "late_answer": "Message {ref} answered {days} days after it was due",
    "unanswered": "Message {ref} unanswered, {days} days past due",
    "unanswered_long": "Message {ref} unanswered for {days} days: more than {limit} days fails the channel",
    "crawl_budget": "The crawl stopped at its {limit} budget after {pages} pages; {unchecked} links were not checked",
    "interaction_unchecked": "Interaction not checked: no source of the public's messages is linked",
    "typos_unchecked": "Typos not checked: {what}",
    "typo_budget": "Typos checked in the first {limit} characters only; {skipped} more were not checked",
}


@dataclass(frozen=True, slots=True)
class InspectionPolicy:
    """Thresholds and points. The vetoes follow the national sheet; the points are local practice."""

    silence_fail_days: float = 14.0
    silence_warn_days: float = 10.0
    period_days: float = 90.0
    long_silence_points: float = 5.0
    news_stale_days: float = 14.0
    column_stale_days: float = 183.0
    stale_column_points: float = 2.0
    empty_column_points: float = 2.0
    columns_veto: int = 5
    dead_link_points: float = 1.0
    dead_link_cap: float = 20.0
    wording_points: float = 1.0
    wording_cap: float = 10.0
    late_answer_points: float = 2.0
    interaction_cap: float = 20.0
    unanswered_veto_days: float = 90.0
    pass_score: float = 60.0
    future_tolerance_days: float = 1.0
    typo_max_chars: int = 60_000  # distinct text the typo checker reads per inspection

    def __post_init__(self) -> None:
        if not 0 < self.silence_warn_days <= self.silence_fail_days:
            raise ValueError("InspectionPolicy: need 0 < silence_warn_days <= silence_fail_days")
        if self.period_days <= 0:
            raise ValueError("InspectionPolicy: period_days must be positive")


@dataclass(frozen=True, slots=True)
class Post:
    """Something the channel published: a title, where it is, when (unix seconds or ``None``)."""

    title: str
    url: str = ""
    published_at: float | None = None
    text: str = ""


@dataclass(frozen=True, slots=True)
class ReadFault:
    """What we could not read (``where``: a URL or the source) and why — a fault that may be ours."""

    where: str
    what: str


@dataclass(frozen=True, slots=True)
class LinkFault:
    """A dead link: the target ``url``, why (``HTTP 404``), the ``page`` it is on, its anchor text."""

    url: str
    what: str
    page: str
    anchor: str = ""


@dataclass(frozen=True, slots=True)
class Column:
    """A column (栏目) of a site: a list page with dated entries, or one that says it is empty."""

    url: str
    name: str
    last: float | None = None  # the newest entry's date
    entries: int = 0
    news: bool = False  # a news column goes stale after 2 weeks, others after 6 months
    empty: bool = False


@dataclass(frozen=True, slots=True)
class PageText:
    """The readable text of a page or post, for the wording and typo checks."""

    url: str
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class SiteFacts:
    """What a bounded crawl of a site found (``qingting.sources.sitecrawl`` builds it)."""

    home: str
    home_dates: tuple[float, ...] = ()
    columns: tuple[Column, ...] = ()
    dead_links: tuple[LinkFault, ...] = ()
    pages: int = 0
    links_checked: int = 0
    unchecked_links: int = 0
    budget: str = ""  # "" or what stopped the crawl: "pages", "time", "bytes"
    home_read: bool = True


@dataclass(frozen=True, slots=True)
class Message:
    """A message from the public to the channel (a case linked to it), with its deadline."""

    ref: str
    received_at: float
    due_at: float | None = None
    answered_at: float | None = None
    where: str = ""


@dataclass(frozen=True, slots=True)
class TypoHit:
    """A suspected typo at ``text[start:end]`` with a suggestion (any checker's result)."""

    start: int
    end: int
    text: str
    suggestion: str


class TypoChecker(Protocol):
    def __call__(self, text: str) -> Iterable[Any]:
        """Hits with ``start``, ``end``, ``text`` and ``suggestion`` attributes."""
        ...


@dataclass(frozen=True, slots=True)
class Finding:
    """One result line: what (``code`` + ``params``), how it counts, and the evidence."""

    code: str
    severity: str  # veto | deduction | note | unreadable
    points: float = 0.0
    params: Mapping[str, Any] = field(default_factory=dict)
    evidence: str = ""  # the post, link text or sentence
    where: str = ""  # the URL (or reference) of the evidence

    @property
    def message(self) -> str:
        """The finding in English (the platform shows its translation)."""
        try:
            return MESSAGES[self.code].format(**self.params)
        except (KeyError, IndexError, ValueError):
            return f"{self.code} {dict(self.params)}"


@dataclass(frozen=True, slots=True)
class Silence:
    """Last update and the longest silence of a channel in a period."""

    last: float | None
    days_since_last: float | None
    longest_days: float | None
    longest_from: float | None
    longest_to: float | None
    dated: int
    undated: int
    future: int
    latest_future: float | None = None


@dataclass(frozen=True, slots=True)
class Inspection:
    """The result: verdict, score out of 100, findings with evidence, and the figures behind them."""

    kind: str  # "feed" (an account or feed) or "site"
    checked_at: float
    period_start: float
    period_end: float
    verdict: str
    score: float
    findings: tuple[Finding, ...]
    last_update: float | None = None
    days_since_update: float | None = None
    longest_silence_days: float | None = None
    posts: int = 0
    pages: int = 0
    links_checked: int = 0

    @property
    def verdict_label(self) -> str:
        """合格 / 不合格 / 无法判定."""
        return VERDICT_LABELS[self.verdict]

    @property
    def vetoes(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == VETO)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-able dict in the versioned format :data:`FORMAT` (stored by the platform)."""
        data = asdict(self)
        data["format"] = FORMAT
        data["findings"] = [{**asdict(f), "params": dict(f.params)} for f in self.findings]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Inspection:
        """Read :meth:`as_dict`'s output back; an unknown format raises ``ValueError``."""
        if data.get("format") != FORMAT:
            raise ValueError(f"not an inspection in format {FORMAT}: {data.get('format')!r}")
        fields = {k: v for k, v in data.items() if k not in ("format", "findings")}
        findings = tuple(Finding(**f) for f in data.get("findings", ()))
        return cls(**fields, findings=findings)


def day_label(ts: float) -> str:
    """A unix time as a China-time date, ``2026-12-07``."""
    return datetime.fromtimestamp(ts, CST).date().isoformat()


def _days(seconds: float) -> int:
    return int(seconds // DAY)


def silence(
    times: Iterable[float | None],
    *,
    start: float,
    end: float,
    covered_from: float | None = None,
    tolerance: float = DAY,
) -> Silence:
    """Last update before ``end`` and the longest gap in [max(start, covered_from), end].

    ``covered_from`` is where what we can see begins (a feed lists its last few posts; a source
    was added on some day): a gap before it is unknown, not silence.

    >>> s = silence([0.0, 10 * DAY, 30 * DAY], start=0.0, end=35 * DAY)
    >>> s.days_since_last, s.longest_days
    (5.0, 20.0)
    """
    times = list(times)
    dated = [t for t in times if t is not None]
    undated = len(times) - len(dated)
    future = [t for t in dated if t > end + tolerance]
    past = sorted(min(t, end) for t in dated if t <= end + tolerance)
    last = past[-1] if past else None
    lo = max(start, covered_from) if covered_from is not None else start
    points = [lo] + [t for t in past if t >= lo] + [end]
    longest, frm, to = 0.0, None, None
    for a, b in itertools.pairwise(points):
        if b - a > longest:
            longest, frm, to = b - a, a, b
    if not dated:
        return Silence(None, None, None, None, None, 0, undated, 0)
    return Silence(
        last=last,
        days_since_last=round((end - last) / DAY, 1) if last is not None else None,
        longest_days=round(longest / DAY, 1) if last is not None else None,
        longest_from=frm,
        longest_to=to,
        dated=len(dated),
        undated=undated,
        future=len(future),
        latest_future=max(future) if future else None,
    )


def _cap(findings: list[Finding], cap: float) -> list[Finding]:
    """Keep every finding but stop counting points once ``cap`` is reached."""
    total = 0.0
    out: list[Finding] = []
    for f in findings:
        points = min(f.points, max(0.0, cap - total))
        total += points
        out.append(Finding(f.code, f.severity, points, f.params, f.evidence, f.where))
    return out


def _silence_findings(
    posts: Sequence[Post],
    *,
    now: float,
    start: float,
    policy: InspectionPolicy,
    covered_from: float | None,
    faults: Sequence[ReadFault],
) -> tuple[list[Finding], Silence | None, bool]:
    """Findings about updates; the bool says whether the silence check could be decided."""
    out: list[Finding] = []
    if not posts:
        # What could not be read is already a finding of its own; say "no posts" only without one.
        if not faults:
            out.append(Finding("no_posts", UNREADABLE, params={"what": "nothing was published or recorded"}))
        return out, None, False
    s = silence(
        [p.published_at for p in posts],
        start=start,
        end=now,
        covered_from=covered_from,
        tolerance=policy.future_tolerance_days * DAY,
    )
    if s.undated and s.dated:
        example = next(p for p in posts if p.published_at is None)
        out.append(
            Finding(
                "undated",
                NOTE,
                params={"count": s.undated, "total": len(posts)},
                evidence=example.title,
                where=example.url,
            )
        )
    if s.future:
        assert s.latest_future is not None
        out.append(Finding("future_dated", NOTE, params={"count": s.future, "last": day_label(s.latest_future)}))
    if s.last is None or s.days_since_last is None:
        if s.dated == 0:
            out.append(Finding("no_dates", UNREADABLE, params={"total": len(posts)}))
        return out, s, False
    newest = max((p for p in posts if p.published_at is not None and p.published_at <= s.last), key=_published)
    params = {"days": _days(now - s.last), "last": day_label(s.last), "limit": int(policy.silence_fail_days)}
    if s.days_since_last >= policy.silence_fail_days:
        out.append(Finding("silent", VETO, params=params, evidence=newest.title, where=newest.url))
    elif s.days_since_last >= policy.silence_warn_days:
        out.append(Finding("silent_soon", NOTE, params=params, evidence=newest.title, where=newest.url))
    if (
        s.longest_days is not None
        and s.longest_days >= policy.silence_fail_days
        and s.longest_from is not None
        and s.longest_to is not None
        and s.longest_to < now  # the current silence is the veto above, not counted twice
    ):
        out.append(
            Finding(
                "long_silence",
                DEDUCTION,
                policy.long_silence_points,
                params={
                    "days": _days(s.longest_to - s.longest_from),
                    "start": day_label(s.longest_from),
                    "end": day_label(s.longest_to),
                },
            )
        )
    return out, s, True


def _published(p: Post) -> float:
    return p.published_at or 0.0


def _site_findings(site: SiteFacts, *, now: float, policy: InspectionPolicy) -> tuple[list[Finding], bool]:
    out: list[Finding] = []
    decided = True
    home_dates = [t for t in site.home_dates if t <= now + policy.future_tolerance_days * DAY]
    if not site.home_read:
        decided = False
    elif not home_dates:
        out.append(Finding("no_home_dates", UNREADABLE, where=site.home))
        decided = False
    else:
        last = max(home_dates)
        if now - last >= policy.silence_fail_days * DAY:
            params = {"days": _days(now - last), "last": day_label(last), "limit": int(policy.silence_fail_days)}
            out.append(Finding("silent_home", VETO, params=params, where=site.home))
    stale: list[Finding] = []
    empty: list[Finding] = []
    for col in site.columns:
        if col.empty:
            empty.append(
                Finding("empty_column", DEDUCTION, policy.empty_column_points, {"name": col.name}, where=col.url)
            )
            continue
        if col.last is None:
            continue
        limit = policy.news_stale_days if col.news else policy.column_stale_days
        if now - col.last >= limit * DAY:
            params = {"name": col.name, "days": _days(now - col.last), "last": day_label(col.last), "limit": int(limit)}
            stale.append(Finding("stale_column", DEDUCTION, policy.stale_column_points, params, where=col.url))
    out += stale + empty
    if len(stale) >= policy.columns_veto:
        out.append(Finding("stale_columns", VETO, params={"count": len(stale), "limit": policy.columns_veto}))
    if len(empty) >= policy.columns_veto:
        out.append(Finding("empty_columns", VETO, params={"count": len(empty), "limit": policy.columns_veto}))
    dead = [
        Finding(
            "dead_link",
            DEDUCTION,
            policy.dead_link_points,
            {"url": d.url, "what": d.what, "page": d.page},
            evidence=d.anchor,
            where=d.page,
        )
        for d in site.dead_links
    ]
    out += _cap(dead, policy.dead_link_cap)
    if site.budget:
        out.append(
            Finding(
                "crawl_budget",
                NOTE,
                params={"limit": site.budget, "pages": site.pages, "unchecked": site.unchecked_links},
            )
        )
    return out, decided


def _text_findings(
    texts: Sequence[PageText],
    rules: Sequence[WordingRule],
    typo_check: Callable[[str], Iterable[Any]] | None,
    policy: InspectionPolicy,
) -> list[Finding]:
    wording: list[Finding] = []
    serious: list[Finding] = []
    typos: list[Finding] = []
    seen: set[tuple[str, str, str]] = set()
    lines_seen: set[str] = set()
    budget, skipped = policy.typo_max_chars, 0

    def fresh(code: str, text: str, evidence: str) -> bool:
        # One finding per wrong form and sentence: a menu or a headline repeated on every page
        # of a site is one mistake, not two hundred.
        key = (code, text, _SKELETON.sub("", evidence))
        if key in seen:
            return False
        seen.add(key)
        return True

    for page in texts:
        for part in (page.title, page.text):
            if not part:
                continue
            for hit in check_wording(part, rules):
                params = {"text": hit.text, "suggestion": hit.suggestion}
                evidence = sentence_at(part, hit.start, hit.end)
                if not fresh("wording", hit.text, evidence):
                    continue
                if hit.serious:
                    serious.append(Finding("wording_serious", VETO, 0.0, params, evidence, page.url))
                else:
                    wording.append(Finding("wording", DEDUCTION, policy.wording_points, params, evidence, page.url))
            if typo_check is None:
                continue
            # Line by line, each distinct line once: menus and footers repeat on every page, and
            # the checker is the slow part (a budget of characters bounds it).
            for line in part.splitlines():
                line = line.strip()
                if len(line) < 4 or line in lines_seen:
                    continue
                if budget - len(line) < 0:
                    skipped += len(line)
                    continue
                lines_seen.add(line)
                budget -= len(line)
                for t in typo_check(line):
                    params = {"text": str(t.text), "suggestion": str(t.suggestion)}
                    evidence = sentence_at(line, t.start, t.end)
                    if fresh("typo", params["text"], evidence):
                        typos.append(Finding("typo", NOTE, 0.0, params, evidence, page.url))
    if skipped:
        typos.append(Finding("typo_budget", NOTE, params={"limit": policy.typo_max_chars, "skipped": skipped}))
    return serious + _cap(wording, policy.wording_cap) + typos


def _interaction_findings(messages: Sequence[Message], *, now: float, policy: InspectionPolicy) -> list[Finding]:
    out: list[Finding] = []
    for m in messages:
        if m.due_at is None:
            continue
        if m.answered_at is None:
            waited = now - m.received_at
            if waited > policy.unanswered_veto_days * DAY:
                params = {"ref": m.ref, "days": _days(waited), "limit": int(policy.unanswered_veto_days)}
                out.append(Finding("unanswered_long", VETO, params=params, where=m.where))
            elif now > m.due_at:
                params = {"ref": m.ref, "days": _days(now - m.due_at) or 1}
                out.append(Finding("unanswered", DEDUCTION, policy.late_answer_points, params, where=m.where))
        elif m.answered_at > m.due_at:
            params = {"ref": m.ref, "days": _days(m.answered_at - m.due_at) or 1}
            out.append(Finding("late_answer", DEDUCTION, policy.late_answer_points, params, where=m.where))
    vetoes = [f for f in out if f.severity == VETO]
    return vetoes + _cap([f for f in out if f.severity != VETO], policy.interaction_cap)


def inspect(
    posts: Sequence[Post],
    *,
    now: float,
    kind: str = "feed",
    policy: InspectionPolicy | None = None,
    period_start: float | None = None,
    covered_from: float | None = None,
    faults: Sequence[ReadFault] = (),
    site: SiteFacts | None = None,
    texts: Sequence[PageText] | None = None,
    wording_rules: Sequence[WordingRule] = (),
    typo_check: Callable[[str], Iterable[Any]] | None = None,
    typo_unavailable: str = "",
    messages: Sequence[Message] | None = None,
) -> Inspection:
    """Inspect one channel at ``now`` over the period ending then (default: ``policy.period_days``).

    ``posts`` are what it published (any order); for a site, ``site`` is what the crawl found and
    the posts are its dated entries. ``texts`` default to the posts' titles and texts.
    ``messages`` is ``None`` when no source of the public's messages is linked (not checked).
    ``faults`` are what could not be read: they become findings and never a failure.
    """
    policy = policy or InspectionPolicy()
    if kind not in ("feed", "site"):
        raise ValueError(f"kind must be 'feed' or 'site', not {kind!r}")
    start = period_start if period_start is not None else now - policy.period_days * DAY
    findings: list[Finding] = [
        Finding("unreadable", UNREADABLE, params={"where": f.where, "what": f.what}) for f in faults
    ]
    decided_site = True
    if site is not None:
        site_findings, decided_site = _site_findings(site, now=now, policy=policy)
    else:
        site_findings = []
    silence_findings, s, decided_posts = _silence_findings(
        posts,
        now=now,
        start=start,
        policy=policy,
        covered_from=covered_from,
        faults=() if site is not None else faults,
    )
    if site is not None:
        # A site's home page speaks for its updates (its own veto); the columns' entries give the
        # longest silence, and their absence is no fault of the site.
        silence_findings = [
            f for f in silence_findings if f.code not in ("no_posts", "no_dates", "silent", "silent_soon")
        ]
    findings += silence_findings + site_findings
    if texts is None:
        texts = [PageText(p.url, p.title, p.text) for p in posts]
    findings += _text_findings(texts, wording_rules, typo_check, policy)
    if typo_check is None and typo_unavailable:
        findings.append(Finding("typos_unchecked", NOTE, params={"what": typo_unavailable}))
    if messages is None:
        findings.append(Finding("interaction_unchecked", NOTE))
    else:
        findings += _interaction_findings(messages, now=now, policy=policy)
    score = max(0.0, 100.0 - sum(f.points for f in findings))
    decided = decided_site if site is not None else decided_posts
    if site is not None and decided_posts is False and decided_site is False:
        decided = False
    if any(f.severity == VETO for f in findings) or score < policy.pass_score:
        verdict = FAIL
    elif not decided:
        verdict = UNDETERMINED
    else:
        verdict = PASS
    order = {VETO: 0, DEDUCTION: 1, UNREADABLE: 2, NOTE: 3}
    findings.sort(key=lambda f: order.get(f.severity, 9))
    return Inspection(
        kind=kind,
        checked_at=now,
        period_start=start,
        period_end=now,
        verdict=verdict,
        score=round(score, 1),
        findings=tuple(findings),
        last_update=s.last if s else None,
        days_since_update=s.days_since_last if s else None,
        longest_silence_days=s.longest_days if s else None,
        posts=len(posts),
        pages=site.pages if site else 0,
        links_checked=site.links_checked if site else 0,
    )


def now_ts() -> float:
    """The current unix time (the interfaces pass ``now`` explicitly; this is their default)."""
    return datetime.now(UTC).timestamp()
