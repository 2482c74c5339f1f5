"""The outbox: notifications queued in the transaction that raises a warning, delivered later.

Delivery (:func:`outbox_deliver`) runs in a periodic job with retries; escalations, other apps'
reminders (:func:`people_notify`) and the daily digest (:func:`digest_send`) go through it too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from qingting.notify.channels import (
    DingTalkChannel,
    EmailChannel,
    FeishuChannel,
    SlackChannel,
    WebhookChannel,
    WeComChannel,
)
from qingting.notify.message import Message
from qingting.notify.retry import RetryPolicy, next_delay
from qingting.web.accounts.models import Unit
from qingting.web.accounts.selectors import visible_unit_ids
from qingting.web.outbound import allow_hosts as outbound_allow_hosts
from qingting.web.warnings.models import (
    ChannelKind,
    DeliveryAttempt,
    DigestRun,
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    Subscription,
    Warning,
)
from qingting.web.warnings.policy import to_core_tier
from qingting.web.warnings.services.times import _ts

RETRY = RetryPolicy()
CLAIM_SECONDS = 300  # a row claimed by a worker that died is taken up again after this
DIGEST_HOUR = 8  # local hour from which yesterday's digest goes out


def _site_url(path: str) -> str:
    return str(getattr(settings, "QINGTING_SITE_URL", "") or "").rstrip("/") + path


def warning_message(w: Warning, *, prefix: str = "") -> Message:
    """The message announcing ``w`` (what every channel formats)."""
    core_tier = to_core_tier(w.tier)
    return Message(
        title=f"{prefix}【{core_tier.label_zh}】{w.title}",
        text_zh=w.reason,
        text_en=f"{core_tier.label_en}: {w.reason_en}",
        tier=core_tier.name,
        colour=core_tier.colour,
        url=_site_url(reverse("warnings:detail", args=[w.pk])),
        warning_id=str(w.pk),
        scheme=w.scheme.name if w.scheme is not None else "",
        created_at=_ts(w.raised_at),
    )


def _enqueue(
    *,
    kind: Any,
    channel: NotificationChannel,
    message: Message,
    key: str,
    now: datetime,
    warning: Warning | None = None,
    user: Any = None,
) -> Notification | None:
    """Add one row to the outbox unless the same message to the same place is already there."""
    recipient = ""
    if channel.kind == ChannelKind.EMAIL:
        recipient = (getattr(user, "email", "") or "").strip()
        if not recipient:
            return None  # nobody to write to
    dedupe = f"{key}:{channel.pk}:{recipient or '-'}"[:200]
    if Notification.objects.filter(dedupe_key=dedupe).exists():
        return None
    return Notification.objects.create(
        kind=kind,
        warning=warning,
        channel=channel,
        recipient=recipient,
        user=user,
        dedupe_key=dedupe,
        payload=asdict(message),
        next_attempt_at=now,
        created_at=now,
    )


def _subscribers(w: Warning) -> Iterable[Subscription]:
    subs = Subscription.objects.filter(min_tier__gte=w.tier, channel__is_active=True).select_related("user", "channel")
    subs = (
        subs.filter(Q(scheme__isnull=True) | Q(scheme_id=w.scheme_id))
        if w.scheme_id
        else subs.filter(scheme__isnull=True)
    )
    for sub in subs:
        if not sub.user.is_active:
            continue
        seen = visible_unit_ids(sub.user)
        if seen is None or w.unit_id in seen:
            yield sub


def _queue_warning(w: Warning, now: datetime) -> int:
    message = warning_message(w)
    n = 0
    for sub in _subscribers(w):
        if _enqueue(
            kind=NotificationKind.WARNING, channel=sub.channel, message=message, key=f"w{w.pk}", now=now,
            warning=w, user=sub.user,
        ):  # fmt: skip
            n += 1
    return n


def channel_for(row: NotificationChannel, recipient: str) -> Any:
    """The :mod:`qingting.notify` channel a stored configuration stands for, under the outbound
    policy (checked again on every send: DNS may have changed since the channel was saved)."""
    allowed = outbound_allow_hosts()
    if row.kind == ChannelKind.EMAIL:
        return EmailChannel(
            host=row.smtp_host,
            port=row.smtp_port,
            sender=row.smtp_sender,
            recipients=[recipient],
            username=row.smtp_username,
            password=row.smtp_password,
            starttls=row.smtp_starttls,
            allow_hosts=allowed,
        )
    if row.kind == ChannelKind.WEBHOOK:
        return WebhookChannel(url=row.url, secret=row.secret, allow_hosts=allowed)
    if row.kind == ChannelKind.WECOM:
        return WeComChannel(url=row.url, allow_hosts=allowed)
    if row.kind == ChannelKind.DINGTALK:
        return DingTalkChannel(url=row.url, secret=row.secret, allow_hosts=allowed)
    if row.kind == ChannelKind.FEISHU:
        return FeishuChannel(url=row.url, secret=row.secret, allow_hosts=allowed)
    if row.kind == ChannelKind.SLACK:
        return SlackChannel(url=row.url, allow_hosts=allowed)
    raise ValueError(f"unknown channel kind {row.kind!r}")


def _claim(now: datetime, limit: int) -> list[int]:
    """Take due rows for this worker: a conditional update per row, so two workers never share one."""
    due = (
        Notification.objects.filter(
            Q(status=NotificationStatus.PENDING, next_attempt_at__lte=now)
            | Q(status=NotificationStatus.SENDING, claimed_until__lt=now)
        )
        .order_by("next_attempt_at")
        .values_list("pk", "status", "attempts")[:limit]
    )
    mine = []
    for pk, status, attempts in list(due):
        took = Notification.objects.filter(pk=pk, status=status, attempts=attempts).update(
            status=NotificationStatus.SENDING,
            attempts=attempts + 1,
            claimed_until=now + timedelta(seconds=CLAIM_SECONDS),
        )
        if took:
            mine.append(pk)
    return mine


def outbox_deliver(now: datetime | None = None, *, limit: int = 100, retry: RetryPolicy = RETRY) -> int:
    """Send the due rows of the outbox once each; failed ones wait (exponential backoff). Returns sent."""
    now = now or timezone.now()
    sent = 0
    for pk in _claim(now, limit):
        n = Notification.objects.select_related("channel").get(pk=pk)
        message = Message(**n.payload)
        try:
            channel = channel_for(n.channel, n.recipient)
            d = channel.send(message, attempt=n.attempts)
            ok, status, error, answer, seconds, retryable = d.ok, d.status, d.error, d.answer, d.seconds, d.retryable
        except Exception as exc:  # a broken configuration (e.g. unreadable secret): log it, do not retry forever
            ok, status, error, answer, seconds, retryable = False, None, f"{type(exc).__name__}: {exc}", "", 0.0, False
        with transaction.atomic():
            DeliveryAttempt.objects.create(
                notification=n, attempt=n.attempts, at=now, ok=ok, status=status, error=error[:2000],
                answer=answer[:2000], seconds=seconds,
            )  # fmt: skip
            if ok:
                fields: dict[str, Any] = {"status": NotificationStatus.SENT, "sent_at": now, "last_error": ""}
                sent += 1
            else:
                delay = next_delay(retry, n.attempts) if retryable else None
                if delay is None:
                    fields = {"status": NotificationStatus.FAILED, "last_error": error}
                else:
                    fields = {
                        "status": NotificationStatus.PENDING,
                        "last_error": error,
                        "next_attempt_at": now + timedelta(seconds=delay),
                    }
            Notification.objects.filter(pk=pk, status=NotificationStatus.SENDING).update(claimed_until=None, **fields)
    return sent


def _person_channels(user: Any, unit: Unit) -> list[NotificationChannel]:
    """Where to reach one person: their subscription channels, else the unit's e-mail channel."""
    own = {s.channel for s in Subscription.objects.filter(user=user, channel__is_active=True).select_related("channel")}
    if own:
        return sorted(own, key=lambda c: c.pk)
    ids = [int(p) for p in unit.path.strip("/").split("/") if p.isdigit()]
    email = (
        NotificationChannel.objects.filter(unit_id__in=ids, kind=ChannelKind.EMAIL, is_active=True)
        .order_by("-unit__path")
        .first()
    )
    return [email] if email is not None else []


def people_notify(
    *, users: Sequence[Any], unit: Unit, message: Message, key: str, now: datetime | None = None, kind: str = "reminder"
) -> int:
    """Queue ``message`` in the outbox for each of ``users`` (their channels, else the unit's e-mail).

    For other apps' reminders and escalations (the ledger's task deadlines): the same outbox,
    retries and delivery log as warnings. ``key`` makes it idempotent: a message already queued
    under the same key to the same place is not queued again. Returns how many rows were queued.
    """
    now = now or timezone.now()
    if kind not in NotificationKind.values:
        raise ValueError(f"unknown notification kind {kind!r}; known: {', '.join(NotificationKind.values)}")
    n = 0
    seen: set[int] = set()
    for user in users:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        for channel in _person_channels(user, unit):
            if _enqueue(kind=kind, channel=channel, message=message, key=key, now=now, user=user):
                n += 1
    return n


def _local(now: datetime) -> datetime:
    return timezone.localtime(now)


def digest_send(now: datetime | None = None) -> int:
    """Once per local day and user (from ``DIGEST_HOUR``): yesterday's warnings in one message."""
    now = now or timezone.now()
    local = _local(now)
    if local.hour < DIGEST_HOUR:
        return 0
    day = (local - timedelta(days=1)).date()
    start = timezone.make_aware(datetime(day.year, day.month, day.day), timezone.get_current_timezone())
    end = start + timedelta(days=1)
    made = 0
    users = {s.user for s in Subscription.objects.filter(digest=True, channel__is_active=True).select_related("user")}
    for user in sorted(users, key=lambda u: u.pk):
        if not user.is_active or DigestRun.objects.filter(user=user, day=day).exists():
            continue
        subs = list(
            Subscription.objects.filter(user=user, digest=True, channel__is_active=True).select_related("channel")
        )
        warnings = Warning.objects.filter(raised_at__gte=start, raised_at__lt=end)
        seen = visible_unit_ids(user)
        if seen is not None:
            warnings = warnings.filter(unit_id__in=seen)
        if not any(s.scheme_id is None for s in subs):
            warnings = warnings.filter(scheme_id__in=[s.scheme_id for s in subs])
        rows = list(warnings.order_by("tier", "raised_at")[:50])
        total = warnings.count()
        try:
            with transaction.atomic():
                DigestRun.objects.create(user=user, day=day, warnings=total, created_at=now)
                if total:
                    message = _digest_message(day.isoformat(), rows, total)
                    for channel in {s.channel for s in subs}:
                        _enqueue(
                            kind=NotificationKind.DIGEST, channel=channel, message=message,
                            key=f"d{user.pk}.{day.isoformat()}", now=now, user=user,
                        )  # fmt: skip
        except IntegrityError:
            continue  # another worker made it
        made += 1
    return made


def _digest_message(day: str, rows: Sequence[Warning], total: int) -> Message:
    lines_zh = [f"{day} 共 {total} 条预警："]
    lines_en = [f"{total} warning{'s' if total != 1 else ''} on {day}:"]
    for w in rows:
        t = to_core_tier(w.tier)
        lines_zh.append(f"· {t.label_zh} {w.title}：{w.reason}")
        lines_en.append(f"· {t.label_en} {w.title}: {w.reason_en}")
    if total > len(rows):
        lines_zh.append(f"……另有 {total - len(rows)} 条")
        lines_en.append(f"… and {total - len(rows)} more")
    return Message(
        title=f"【预警日报】{day}",
        text_zh="\n".join(lines_zh),
        text_en="\n".join(lines_en),
        url=_site_url(reverse("warnings:list")),
        warning_id=f"digest-{day}",
    )
