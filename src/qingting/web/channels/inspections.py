"""Inspections of the organisation's own channels on the platform, and the silence watch.

The scoring is :func:`qingting.core.inspection.inspect` (the national indicators, see
docs/channels.md). What the platform adds is where the facts come from:

* **Updates** — the items Qingting already stored from the channel's publication source (its RSS,
  its site, or imports of the platform's export): no network call, so an automatic inspection of a
  hundred accounts costs a few queries. Before the source was added we saw nothing: that time is
  not counted as silence.
* **Sites** — a website with an address is crawled (bounded, polite, through the safe fetcher and
  the outbound policy) when an inspection is asked for on demand.
* **Wording** — the unit's standard-wording list, the one the proofreader uses (releases app).
* **Interaction** — cases made from the channel's messages source, with their answer deadlines.

A channel silent for ``silence_warn_days`` (10) raises a tier-Ⅳ warning to its owners through the
warnings app's outbox, four days before the 14-day veto would fail it (decision 0081).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qingting.core.inspection import (
    DAY,
    InspectionPolicy,
    Message,
    Post,
    ReadFault,
    day_label,
    inspect,
)
from qingting.core.inspection import (
    Inspection as Result,
)
from qingting.web.accounts.models import Membership, Role
from qingting.web.accounts.selectors import has_role
from qingting.web.audit.services import audit_record
from qingting.web.channels.models import Channel, ChannelKind, ChannelState, Inspection, InspectionTrigger

POLICY = InspectionPolicy()
MAX_POSTS = 5000  # the newest items read per inspection (a busy account posts a few a day)
INSPECT_ROLES = {str(Role.ADMIN), str(Role.REVIEWER), str(Role.LEADER), str(Role.ANALYST)}


def _ts(d: datetime) -> float:
    return d.timestamp()


def _posts(channel: Channel, start: datetime) -> tuple[list[Post], float | None, list[ReadFault]]:
    """What the channel published since ``start`` (plus the last post before it), from stored items."""
    from qingting.web.monitoring.models import Item

    if channel.source_id is None:
        return [], None, [ReadFault(channel.name, "未关联发布来源")]
    items = Item.objects.filter(source_id=channel.source_id)
    rows = list(
        items.filter(published_at__gte=start)
        .order_by("-published_at")
        .values_list("title", "url", "published_at", "text")[:MAX_POSTS]
    )
    before = (
        items.filter(published_at__lt=start)
        .order_by("-published_at")
        .values_list("title", "url", "published_at", "text")[:1]
    )
    rows += list(before)
    posts = [Post(t or x[:60], u, _ts(p), x) for t, u, p, x in rows]
    first = items.order_by("published_at").values_list("published_at", flat=True).first()
    created = channel.source.created_at if channel.source else None
    seen_from = [d for d in (first, created) if d is not None]
    covered = _ts(min(seen_from)) if seen_from else None
    return posts, covered, []


def _messages(channel: Channel, start: datetime) -> list[Message] | None:
    if channel.interaction_source_id is None:
        return None
    from qingting.web.cases.selectors import channel_messages

    return [
        Message(
            ref=number,
            received_at=_ts(received),
            due_at=_ts(due) if due else None,
            answered_at=_ts(answered) if answered else None,
        )
        for number, received, due, answered in channel_messages(channel.interaction_source_id, start)
    ]


def _wording(channel: Channel) -> list[Any]:
    try:
        from qingting.web.releases.selectors import wording_rules_for
    except ImportError:  # the releases app is not installed
        return []
    return wording_rules_for(channel.unit)


def inspect_channel(channel: Channel, *, now: datetime, crawl: bool = False, fetcher: Any = None) -> Result:
    """Inspect ``channel`` at ``now`` (nothing stored): stored items, or a site crawl with ``crawl``."""
    start = now - timedelta(days=POLICY.period_days)
    messages = _messages(channel, start)
    rules = _wording(channel)
    if crawl and channel.kind == ChannelKind.WEBSITE and channel.url:
        from qingting.sources.channelcheck import inspect_url
        from qingting.web.monitoring.services.polling import default_fetcher

        result, _crawl = inspect_url(
            channel.url,
            kind="site",
            fetcher=fetcher or default_fetcher(),
            now=_ts(now),
            policy=POLICY,
            wording_rules=rules,
            messages=messages,
        )
        return result
    from qingting.sources.channelcheck import typo_checker

    posts, covered, faults = _posts(channel, start)
    check, unavailable = typo_checker()
    return inspect(
        posts,
        now=_ts(now),
        kind="feed",
        policy=POLICY,
        covered_from=covered,
        faults=faults,
        wording_rules=rules,
        typo_check=check,
        typo_unavailable=unavailable,
        messages=messages,
    )


def inspection_run(
    *, actor: Any, channel: Channel, now: datetime | None = None, crawl: bool | None = None, fetcher: Any = None
) -> Inspection:
    """Inspect ``channel`` and store the result (``actor=None``: the automatic inspection).

    On demand (an actor) a website with an address is crawled; the automatic run reads what is
    stored. Anyone who may inspect the channel's unit (admin, reviewer, leader, analyst) may ask.
    """
    if actor is not None and not has_role(actor, channel.unit, INSPECT_ROLES):
        raise PermissionDenied(_("You may not inspect this channel."))
    now = now or timezone.now()
    crawl = (actor is not None) if crawl is None else crawl
    result = inspect_channel(channel, now=now, crawl=crawl, fetcher=fetcher)
    with transaction.atomic():
        row = Inspection.objects.create(
            channel=channel,
            checked_at=now,
            trigger=InspectionTrigger.MANUAL if actor is not None else InspectionTrigger.AUTO,
            verdict=result.verdict,
            score=result.score,
            days_since_update=result.days_since_update,
            result=result.as_dict(),
            requested_by=actor if getattr(actor, "pk", None) else None,
        )
        audit_record(
            actor=actor,
            action="channel.inspect",
            obj=channel,
            new={"inspection": row.pk, "verdict": result.verdict, "score": result.score},
        )
    return row


def inspections_due(now: datetime | None = None, *, every_hours: float = 24.0) -> int:
    """The automatic inspection: each live channel once a day, from what is stored."""
    now = now or timezone.now()
    n = 0
    since = now - timedelta(hours=every_hours)
    for channel in Channel.objects.filter(state=ChannelState.ACTIVE, inspect_automatically=True).select_related(
        "unit", "source"
    ):
        if channel.inspections.filter(checked_at__gt=since, trigger=InspectionTrigger.AUTO).exists():
            continue
        inspection_run(actor=None, channel=channel, now=now, crawl=False)
        n += 1
    return n


def owners(channel: Channel) -> list[Any]:
    """Who answers for a channel: its operator and reviewer, and the administrators of its unit."""
    people = [channel.operator, channel.reviewer]
    people += [
        m.user
        for m in Membership.objects.filter(unit=channel.unit, role=Role.ADMIN).select_related("user").order_by("pk")
    ]
    return [p for p in people if p is not None]


def last_update(channel: Channel) -> datetime | None:
    """The newest stored post of the channel (``None`` without a source or posts)."""
    from qingting.web.monitoring.models import Item

    if channel.source_id is None:
        return None
    return (
        Item.objects.filter(source_id=channel.source_id, published_at__lte=timezone.now() + timedelta(days=1))
        .order_by("-published_at")
        .values_list("published_at", flat=True)
        .first()
    )


def silence_watch(now: datetime | None = None) -> int:
    """Raise a tier-Ⅳ warning for each live channel silent ``silence_warn_days`` or more.

    The warnings app keeps one open warning per channel, so running this every hour warns once per
    silence; a post ends the silence and the next one warns again. Returns the warnings raised.
    """
    from qingting.web.warnings.services import channel_warning_raise

    now = now or timezone.now()
    raised = 0
    for channel in Channel.objects.filter(state=ChannelState.ACTIVE, source__isnull=False).select_related(
        "unit", "source", "operator", "reviewer"
    ):
        assert channel.source is not None  # filtered above
        last = channel.source.items.filter(published_at__lte=now + timedelta(days=1)).order_by("-published_at")
        last_at = last.values_list("published_at", flat=True).first()
        if last_at is None:
            continue
        days = (now - last_at).total_seconds() / DAY
        if days < POLICY.silence_warn_days:
            continue
        d, limit = int(days), int(POLICY.silence_fail_days)
        last_day = day_label(_ts(last_at))
        if days < POLICY.silence_fail_days:
            reason = (
                f"{channel.name}已{d}天未更新（最近一次{last_day}），"
                f"连续{limit}天不更新即为检查不合格（单项否决），请及时更新。"
            )
            reason_en = (
                f"{channel.name} has not posted for {d} days (last {last_day}); "
                f"{limit} days without a post fail the inspection."
            )
        else:
            reason = f"{channel.name}已{d}天未更新（最近一次{last_day}），超过{limit}天，检查不合格（单项否决）。"
            reason_en = f"{channel.name} has not posted for {d} days (last {last_day}): it fails the inspection."
        w = channel_warning_raise(
            unit=channel.unit,
            channel_id=channel.pk,
            title=f"自有平台即将断更：{channel.name}"
            if days < POLICY.silence_fail_days
            else f"自有平台断更：{channel.name}",
            reason=reason,
            reason_en=reason_en,
            people=owners(channel),
            now=now,
        )
        if w is not None:
            raised += 1
    return raised
