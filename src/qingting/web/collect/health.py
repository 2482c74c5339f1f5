"""Source health (信息源健康): is each source working, and is it as busy as it normally is?

A source is

- ``failing`` when its last ``QINGTING_SOURCE_FAILURES`` polls or more failed in a row;
- ``silent`` when it normally brings items (its *normal*: the median of its daily item counts
  over the last 14 full days, judged once 7 days are known, at least
  ``QINGTING_SOURCE_SILENT_MIN_NORMAL``) but the last 24 hours brought less than
  ``QINGTING_SOURCE_SILENT_RATIO`` of that normal;
- ``paused`` when disabled, ``new`` before its first successful poll, else ``ok``.

Failing and silent are *problems*: :func:`source_problems` lists them for the sources page's
banner and for source warnings. Everything is computed from ``DailyCount``, the per-hour counts
``SourceHour`` and a few grouped queries, so the page costs the same with ten sources or a
thousand, and with a thousand items a day or a million.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Min, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qingting.sources.schedule import SourceStats, assess_health
from qingting.web.monitoring.models import DailyCount, Source
from qingting.web.monitoring.selectors import item_counts

NORMAL_DAYS = 14


# What a fetch error means, for the people who read the sources page: the stored error stays as
# it was (for the administrator, under "technical details"), the sentence is in the user's words.
_ERRORS: tuple[tuple[tuple[str, ...], Any], ...] = (
    (("Name or service not known", "nodename nor servname", "Temporary failure in name resolution",
      "getaddrinfo failed", "No address associated"),
     gettext_lazy("the site's address does not resolve: check the address with the site's webmaster")),
    (("BlockedAddressError", "resolves to a private", "private or loopback", "refused: "),
     gettext_lazy("the address leads into the internal network, which sources may not reach unless the "
                  "operator allows that host")),
    (("Connection refused",), gettext_lazy("the site refused the connection")),
    (("timed out", "Timeout", "timeout"), gettext_lazy("the site did not answer in time")),
    (("CERTIFICATE", "certificate", "SSL"), gettext_lazy("the site's certificate could not be verified")),
    (("not well-formed", "Expat", "ParseError", "syntax error", "no element found"),
     gettext_lazy("what the site sent is not a valid feed")),
    (("too large", "size limit"), gettext_lazy("the site sent more than the size limit")),
    (("IMAP", "LOGIN failed", "AUTHENTICATIONFAILED"), gettext_lazy("the mailbox refused the login")),
)  # fmt: skip


def explain_error(raw: str | None) -> str:
    """A fetch error as a sentence in the user's language (the raw text is kept elsewhere).

    >>> explain_error("https://x.invalid/rss.xml: cannot connect: [Errno -2] Name or service not known")
    "the site's address does not resolve: check the address with the site's webmaster"
    """
    text = (raw or "").strip()
    if not text:
        return _("no error recorded")
    for needles, sentence in _ERRORS:
        if any(n in text for n in needles):
            return str(sentence)
    status = re.search(r"HTTP(?: error| status)?:? ?(\d{3})", text)
    if status:
        code = int(status.group(1))
        if code == 404:
            return _("the page was not found on the site (HTTP 404)")
        if code in (401, 403):
            return _("the site refused access, login or permission needed (HTTP %(code)d)") % {"code": code}
        return _("the site answered with an error (HTTP %(code)d)") % {"code": code}
    return _("the source could not be read (see the technical details)")


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


@dataclass(frozen=True)
class SourceProblem:
    """A source that needs someone's attention: ``kind`` is ``"failing"`` or ``"silent"``."""

    source: Source
    kind: str
    message: str


@dataclass(frozen=True)
class SourceHealth:
    """One source's health as the sources page shows it."""

    source: Source
    state: str  # ok / failing / silent / paused / new
    reason: str
    normal: float  # median items per day over the last 14 full days
    last_day: int  # items published in the last 24 hours
    daily: tuple[int, ...]  # items per day, oldest first (the 14 days of the normal)

    @property
    def is_problem(self) -> bool:
        return self.state in ("failing", "silent")


def _local_day(now: datetime) -> date:
    return timezone.localtime(now).date()


def _daily(source_ids: Sequence[int], today: date) -> dict[int, list[int]]:
    first = today - timedelta(days=NORMAL_DAYS)
    counts: dict[int, list[int]] = defaultdict(lambda: [0] * NORMAL_DAYS)
    rows = (
        DailyCount.objects.filter(source_id__in=source_ids, day__gte=first, day__lt=today)
        .values("source_id", "day")
        .annotate(total=Sum("n"))
    )
    for row in rows:
        counts[row["source_id"]][(row["day"] - first).days] = int(row["total"] or 0)
    return counts


def _last_day(source_ids: Sequence[int], now: datetime) -> dict[int, int]:
    """Items published in the 24 hours up to ``now`` (``now - 24 h < published ≤ now``), per
    source: the whole hours from the per-hour counts kept at store time, the partial ones from
    the items (``monitoring.hours``, decision 0110)."""
    tick = timedelta(microseconds=1)
    [counts] = item_counts(list(source_ids), [(now - timedelta(hours=24) + tick, now + tick)])
    return counts


def _connector(source: Source) -> str:
    config = source.config if isinstance(source.config, dict) else {}
    return str(config.get("connector") or "")


def _first_days(source_ids: Sequence[int]) -> dict[int, date]:
    rows = DailyCount.objects.filter(source_id__in=source_ids).values("source_id").annotate(first=Min("day"))
    return {row["source_id"]: row["first"] for row in rows}


def sources_health(now: datetime, sources: Iterable[Source]) -> list[SourceHealth]:
    """The health of each of ``sources`` at ``now``, in the given order.

    The verdict is :func:`qingting.sources.schedule.assess_health` on the source's figures: its
    normal is judged once 7 days of its history are known (counted from its first item or its
    creation), so a new source is ``new``, not ``silent``.
    """
    sources = list(sources)
    ids = [s.pk for s in sources]
    today = _local_day(now)
    daily = _daily(ids, today)
    last = _last_day(ids, now)
    first = _first_days(ids)
    failures = int(_setting("QINGTING_SOURCE_FAILURES", 3))
    ratio = _setting("QINGTING_SOURCE_SILENT_RATIO", 0.2)
    min_normal = _setting("QINGTING_SOURCE_SILENT_MIN_NORMAL", 5)
    out = []
    for s in sources:
        days = daily.get(s.pk, [0] * NORMAL_DAYS)
        start = min(filter(None, [first.get(s.pk), timezone.localtime(s.created_at).date() if s.created_at else None]),
                    default=today)  # fmt: skip
        known = max(0, min(NORMAL_DAYS, (today - start).days))
        n = last.get(s.pk, 0)
        verdict = assess_health(
            SourceStats(
                last_success=s.last_success_at.timestamp() if s.last_success_at else None,
                consecutive_failures=s.consecutive_failures,
                items_last_24h=n,
                # A file source is imported now and then: its "normal" says nothing about silence.
                daily_counts=tuple(days[NORMAL_DAYS - known :]) if _connector(s) != "file" else (),
                last_error=s.last_error,
            ),
            now=now.timestamp(),
            failing_after=failures,
            silent_ratio=ratio,
            min_normal=min_normal,
        )
        normal = verdict.normal_per_day or 0.0
        state, reason = verdict.status.value, ""
        if not s.is_active:
            state, reason = "paused", _("disabled by an administrator")
        elif state == "failing":
            reason = _("%(n)d polls in a row failed; last error: %(error)s") % {
                "n": s.consecutive_failures,
                "error": explain_error(s.last_error),
            }
        elif state == "silent":
            reason = _("%(n)d items in the last 24 hours, normally about %(normal)s a day") % {
                "n": n,
                "normal": f"{normal:g}",
            }
        elif s.last_success_at is None and not s.item_count:
            state, reason = "new", _("not polled successfully yet")
        elif state == "new":
            state = "ok"  # working, just too young to judge its volume
        out.append(SourceHealth(s, state, reason, normal, n, tuple(days)))
    return out


def source_problems(now: datetime, sources: Iterable[Source] | None = None) -> list[SourceProblem]:
    """Sources failing repeatedly or silent far below their own normal (all active sources by default).

    >>> [(p.source.name, p.kind) for p in source_problems(timezone.now())]  # doctest: +SKIP
    [('市政府网站', 'failing')]
    """
    qs: Any = Source.objects.filter(is_active=True).select_related("unit") if sources is None else sources
    return [SourceProblem(h.source, h.state, h.reason) for h in sources_health(now, qs) if h.is_problem]
