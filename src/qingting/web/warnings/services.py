"""Writes for warnings: evaluation on ingestion, the lifecycle, the outbox, escalation, digests.

Every write that matters is one transaction with its audit entry and its notifications (the
outbox pattern): a warning is never stored without the rows that announce it, and a crash
between the two cannot happen. Delivery (:func:`outbox_deliver`) runs later, in a periodic job.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from qingting.core.types import EventSummary, TrendState
from qingting.core.warnings import EarlyWarning, Step, WarningEngine, WarningPolicy
from qingting.core.warnings import WarningStatus as CoreStatus
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
from qingting.web.accounts.selectors import has_role, visible_unit_ids
from qingting.web.audit.services import audit_record
from qingting.web.monitoring import selectors as monitoring_selectors
from qingting.web.monitoring.models import Event, Scheme, Source
from qingting.web.outbound import allow_hosts as outbound_allow_hosts
from qingting.web.outbound import validate_host, validate_url
from qingting.web.warnings.models import (
    OPEN_STATUSES,
    ChannelKind,
    DeliveryAttempt,
    DigestRun,
    DutyMember,
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    Subscription,
    Warning,
    WarningKind,
    WarningSeen,
    WarningStatus,
)
from qingting.web.warnings.policy import from_core_tier, policy_for, to_core_tier

log = logging.getLogger(__name__)

HANDLE_ROLES: set[str] = {"admin", "analyst", "handler", "leader"}  # who may act on a warning
ADMIN_ROLES: set[str] = {"admin"}
RETRY = RetryPolicy()
CLAIM_SECONDS = 300  # a row claimed by a worker that died is taken up again after this
DIGEST_HOUR = 8  # local hour from which yesterday's digest goes out


def _ts(d: datetime) -> float:
    return d.timestamp()


def _dt(t: float) -> datetime:
    return datetime.fromtimestamp(t, tz=UTC)


# --- matching the scheme's expression -----------------------------------------------------------


def _matcher(scheme: Scheme) -> Any:
    """The scheme's compiled expression, or ``None`` when it matches everything (empty or ``*``)."""
    expr = (scheme.expression or "").strip()
    if not expr or expr == "*":
        return None
    from qingting.core.rules import compile_expression

    return compile_expression(expr)


def _update_match(event: Event, matcher: Any, bucket_seconds: float, *, scheme: Scheme) -> Any:
    """The scheme's figures on the event: how many of its items the scheme matches, per bucket.

    Read from the (scheme, event) membership the monitoring app keeps (decision 0061); ``None``
    when the scheme matches none of the event's items. ``matcher`` and ``bucket_seconds`` are
    kept for callers; the membership is counted in the engine's 30-minute buckets.
    """
    return monitoring_selectors.scheme_events(scheme.pk).filter(event_id=event.pk).first()


def event_summary(event: Event, *, match: Any = None) -> EventSummary:
    """The core summary of a stored event (volumes from the matching items when ``match`` is given)."""
    from qingting.web.sentiment.selectors import negative_share as corrected_negative_share

    if match is not None:
        buckets = tuple(sorted((float(k), int(v)) for k, v in match.buckets.items()))
        count = match.matched
    else:
        buckets = tuple((float(t), int(c)) for t, c in event.buckets)
        count = event.item_count
    return EventSummary(
        event_id=event.pk,
        title=event.title,
        keywords=tuple(event.keywords or ()),
        first_seen=_ts(event.first_seen),
        last_seen=_ts(event.last_seen),
        item_count=count,
        duplicate_count=event.duplicate_count,
        source_count=event.source_count,
        mainstream_count=event.mainstream_count,
        engagement=event.engagement,
        buckets=buckets,
        heat=event.heat,
        trend=TrendState(event.trend),
        burst_z=event.burst_z,
        sentiment=event.sentiment,
        negative_share=corrected_negative_share(event),  # analysts' sentiment corrections applied
        lang=event.lang,
        retired=event.retired,
    )


# --- evaluation ---------------------------------------------------------------------------------


def _early(w: Warning) -> EarlyWarning:
    """A stored warning as the core engine's record (enough for dedupe, raise and cooldown)."""
    status = CoreStatus(w.status)
    history: tuple[Step, ...] = ()
    if w.closed_at is not None:
        history = (Step(_ts(w.closed_at), w.status),)
    return EarlyWarning(
        id=f"db{w.pk}",
        scheme=str(w.scheme_id),
        event_id=w.event_id or 0,
        tier=to_core_tier(w.tier),
        created_at=_ts(w.raised_at),
        title=w.title,
        reason_zh=w.reason,
        reason_en=w.reason_en,
        status=status,
        history=history,
    )


def _duty(unit: Unit, at: datetime | None = None) -> list[Any]:
    """Who a warning of ``unit`` reaches, in order: first whoever the duty plan has on duty at
    ``at`` (the ledger's shifts: the person on duty, then the leader in charge — decision 0092),
    then the standing duty list of the unit, or of its nearest ancestor that has one."""
    ids = [int(p) for p in unit.path.strip("/").split("/") if p.isdigit()] or [unit.pk]
    members = list(DutyMember.objects.filter(unit_id__in=ids).select_related("user").order_by("position"))
    standing: list[Any] = []
    for unit_id in reversed(ids):
        standing = [m.user for m in members if m.unit_id == unit_id and m.user.is_active]
        if standing:
            break
    first = [u for u in _on_duty(unit, at or timezone.now()) if u.is_active]
    return first + [u for u in standing if u.pk not in {f.pk for f in first}]


def _on_duty(unit: Unit, at: datetime) -> list[Any]:
    """The people the ledger's duty plan has on duty (the ledger app may be absent)."""
    try:
        ledger: Any = importlib.import_module("qingting.web.ledger.selectors")
    except ImportError:
        return []
    return list(ledger.on_duty_people(unit, at))


def warnings_evaluate(*, scheme_id: int, event_ids: Sequence[int], now: datetime | None = None) -> list[Warning]:
    """Assess the given events of a scheme; raise, supersede and announce warnings in ONE transaction.

    Each event is assessed at its own latest time (``last_seen``, capped at ``now``), so a
    back-filled stream warns as it would have live. Returns the warnings raised.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # One evaluation of a scheme at a time (PostgreSQL row lock; SQLite holds the write lock).
        scheme = Scheme.objects.select_for_update().select_related("unit").filter(pk=scheme_id).first()
        if scheme is None or not scheme.is_active or not event_ids:
            return []
        try:
            matcher = _matcher(scheme)
            policy = policy_for(scheme)
        except ValueError as exc:  # a malformed stored expression or rule: say so, do not crash ingestion
            log.warning("scheme %s: warnings not evaluated: %s", scheme.pk, exc)
            return []
        matched = monitoring_selectors.scheme_events(scheme.pk).filter(event_id__in=list(event_ids))
        events = list(Event.objects.filter(pk__in=matched.values("event_id"), merged_into__isnull=True).order_by("pk"))
        horizon = now - timedelta(seconds=policy.cooldown_seconds)
        stored = {
            w.pk: w
            for w in Warning.objects.filter(scheme=scheme, event__in=events, kind=WarningKind.EVENT).filter(
                Q(status__in=OPEN_STATUSES) | Q(closed_at__gte=horizon)
            )
        }
        engine = WarningEngine.restore([_early(w) for w in stored.values()], policy, scheme=f"s{scheme.pk}")
        by_engine_id = {f"db{pk}": w for pk, w in stored.items()}
        duty = _duty(scheme.unit, now)
        raised: list[Warning] = []
        for event in events:
            match = _update_match(event, matcher, policy.bucket_seconds, scheme=scheme)
            if match is None or match.matched == 0:
                continue
            summary = event_summary(event, match=match)
            at = min(_ts(now), summary.last_seen)
            for early in engine.evaluate([summary], now=at):
                previous = by_engine_id.get(early.raised_from) if early.raised_from else None
                w = _store_raised(scheme, event, early, summary, policy, previous, duty, now)
                by_engine_id[early.id] = w
                raised.append(w)
        return raised


def _store_raised(
    scheme: Scheme,
    event: Event,
    early: EarlyWarning,
    summary: EventSummary,
    policy: WarningPolicy,
    previous: Warning | None,
    duty: list[Any],
    now: datetime,
    *,
    announce: bool = True,
    backfill: bool = False,
) -> Warning:
    s = early.signals
    figures: dict[str, Any] = {}
    if s is not None:
        figures = {k: (str(v) if isinstance(v, TrendState) else v) for k, v in asdict(s).items()}
        figures["window_seconds"] = policy.window_seconds
    kd = policy.key_date(early.created_at)
    if kd is not None:
        figures["key_date"] = kd.label
    state = asdict(summary)
    state["trend"] = str(summary.trend)
    state.pop("keywords", None)
    if previous is not None and previous.is_open:
        old = previous.status
        previous.status = WarningStatus.SUPERSEDED
        previous.closed_at = now
        previous.save(update_fields=["status", "closed_at"])
        audit_record(
            actor=None, action="warning.supersede", obj=previous, old={"status": old}, new={"status": "superseded"}
        )
    tier = from_core_tier(early.tier)
    w = Warning.objects.create(
        unit=scheme.unit,
        scheme=scheme,
        event=event,
        kind=WarningKind.EVENT,
        tier=tier,
        title=early.title[:300],
        reason=early.reason_zh,
        reason_en=early.reason_en,
        figures=figures,
        engine_state=state,
        raised_at=now,
        observed_at=_dt(early.created_at),
        held=not policy.should_notify(early.tier, _ts(now)),
        raised_from=previous,
        assignee=duty[0] if duty else None,
        last_escalated_at=now,
        backfill=backfill,
    )
    audit_record(
        actor=None,
        action="warning.raise",
        obj=w,
        new={
            "tier": tier,
            "event": event.pk,
            "reason": w.reason,
            "raised_from": previous.pk if previous else None,
            "backfill": backfill,
        },
    )
    if announce and not w.held:
        _queue_warning(w, now)
    return w


def warnings_backfill(*, scheme: Scheme, now: datetime | None = None) -> list[Warning]:
    """Walk a scheme's stored events through time, bucket by bucket, as if they were arriving now.

    For history loaded before the rules existed (the demo, an import): each event is assessed at
    the end of each of its buckets with the volumes it had then. The burst z, shares and source
    counts of the past are not stored, so the event's current ones stand in (z is set to 0: rules
    that need a burst do not fire in a backfill). Warnings are dated when they would have fired
    and are not announced (they are history). Idempotent: already raised tiers are not raised again.
    """
    from dataclasses import replace

    now = now or timezone.now()
    raised: list[Warning] = []
    with transaction.atomic():
        scheme = Scheme.objects.select_for_update().select_related("unit").get(pk=scheme.pk)
        matcher = _matcher(scheme)
        policy = policy_for(scheme)
        matched = monitoring_selectors.scheme_events(scheme.pk)
        events = {e.pk: e for e in Event.objects.filter(pk__in=matched.values("event_id"), merged_into__isnull=True)}
        stored = {w.pk: w for w in Warning.objects.filter(scheme=scheme, kind=WarningKind.EVENT)}
        engine = WarningEngine.restore([_early(w) for w in stored.values()], policy, scheme=f"s{scheme.pk}")
        by_engine_id: dict[str, Warning] = {f"db{pk}": w for pk, w in stored.items()}
        duty = _duty(scheme.unit)
        summaries: dict[int, EventSummary] = {}
        steps: list[tuple[float, int]] = []
        for event in events.values():
            match = _update_match(event, matcher, policy.bucket_seconds, scheme=scheme)
            if match is None or match.matched == 0:
                continue
            summaries[event.pk] = event_summary(event, match=match)
            steps.extend((t + policy.bucket_seconds, event.pk) for t, _ in summaries[event.pk].buckets)
        for t_end, event_id in sorted(steps):
            full = summaries[event_id]
            at = min(t_end, _ts(now), full.last_seen)
            buckets = tuple(b for b in full.buckets if b[0] < t_end)
            summary = replace(
                full, buckets=buckets, item_count=sum(c for _, c in buckets), last_seen=at, burst_z=0.0, retired=False
            )
            for early in engine.evaluate([summary], now=at):
                previous = by_engine_id.get(early.raised_from) if early.raised_from else None
                w = _store_raised(
                    scheme,
                    events[event_id],
                    early,
                    summary,
                    policy,
                    previous,
                    duty,
                    _dt(at),
                    announce=False,
                    backfill=True,
                )
                by_engine_id[early.id] = w
                raised.append(w)
    return raised


# --- the outbox ---------------------------------------------------------------------------------


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


# --- people acting on warnings ------------------------------------------------------------------


def _get_for(actor: Any, warning_id: int, *, lock: bool = True) -> Warning:
    qs = Warning.objects.select_related("unit", "scheme", "event")
    if lock:
        qs = qs.select_for_update(of=("self",))
    w = qs.filter(pk=warning_id).first()
    seen = visible_unit_ids(actor)
    if w is None or (seen is not None and w.unit_id not in seen):
        from django.http import Http404

        raise Http404("no such warning")
    if not has_role(actor, w.unit, HANDLE_ROLES):
        raise PermissionDenied("your role does not allow acting on warnings")
    return w


def _need_status(w: Warning, verb: str, *allowed: Any) -> None:
    if w.status not in allowed:
        raise ValidationError(f"cannot {verb} a warning that is {w.get_status_display()}", code="status")


@transaction.atomic
def warning_acknowledge(*, actor: Any, warning_id: int, now: datetime | None = None) -> Warning:
    """Someone has seen it and takes care of it: stops escalation."""
    now = now or timezone.now()
    w = _get_for(actor, warning_id)
    _need_status(w, "acknowledge", "new")
    w.status, w.acknowledged_by, w.acknowledged_at = WarningStatus.ACKNOWLEDGED, actor, now
    w.save(update_fields=["status", "acknowledged_by", "acknowledged_at"])
    audit_record(actor=actor, action="warning.acknowledge", obj=w, old={"status": "new"}, new={"status": w.status})
    return w


@transaction.atomic
def warning_dismiss(*, actor: Any, warning_id: int, reason: str, now: datetime | None = None) -> Warning:
    """Close it as needing no action; a reason is required (it teaches the thresholds)."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "dismissing a warning needs a reason"})
    w = _get_for(actor, warning_id)
    _need_status(w, "dismiss", "new", "acknowledged")
    old = w.status
    w.status, w.dismiss_reason, w.closed_at = WarningStatus.DISMISSED, reason[:2000], now
    w.save(update_fields=["status", "dismiss_reason", "closed_at"])
    audit_record(
        actor=actor, action="warning.dismiss", obj=w, old={"status": old}, new={"status": w.status}, reason=reason
    )
    return w


@transaction.atomic
def warning_promote(*, actor: Any, warning_id: int, now: datetime | None = None) -> Any:
    """Turn the warning into a case (事件处置) of its unit; returns the case."""
    now = now or timezone.now()
    w = _get_for(actor, warning_id)
    _need_status(w, "promote", "new", "acknowledged")
    try:
        cases: Any = importlib.import_module("qingting.web.cases.services")
    except ImportError as exc:  # pragma: no cover - until cases-core is merged
        raise ValidationError("cases are not available in this installation") from exc
    case = cases.case_create(
        actor=actor,
        unit=w.unit,
        channel="online",  # 网络舆情
        category="opinion",
        summary=f"{w.title}"[:300],
        description=f"{to_core_tier(w.tier).label_zh}：{w.reason}\n{w.reason_en}",
        priority={1: "urgent", 2: "high"}.get(w.tier, "normal"),
        event=w.event,
        origin_kind="warning",
        origin_id=w.pk,
    )
    old = w.status
    w.status, w.case_id, w.closed_at = WarningStatus.PROMOTED, case.pk, now
    w.save(update_fields=["status", "case_id", "closed_at"])
    audit_record(
        actor=actor, action="warning.promote", obj=w, old={"status": old}, new={"status": w.status, "case": case.pk}
    )
    return case


def warning_mark_seen(*, user: Any, warning: Warning, now: datetime | None = None) -> None:
    """Note that ``user`` opened ``warning`` (the unread badge counts the rest)."""
    if not getattr(user, "is_authenticated", False):
        return
    try:
        with transaction.atomic():
            WarningSeen.objects.get_or_create(user=user, warning=warning, defaults={"at": now or timezone.now()})
    except IntegrityError:  # opened twice at once
        pass


# --- source health ------------------------------------------------------------------------------


def source_warning_raise(*, source: Source, reason: str, now: datetime) -> Warning | None:
    """A Ⅳ (blue) warning that a source stopped working; ``None`` if one is already open for it."""
    with transaction.atomic():
        Source.objects.select_for_update().filter(pk=source.pk).first()
        if Warning.objects.filter(source=source, kind=WarningKind.SOURCE, status__in=OPEN_STATUSES).exists():
            return None
        w = Warning.objects.create(
            unit_id=source.unit_id,
            kind=WarningKind.SOURCE,
            source=source,
            tier=4,
            title=f"信息源异常：{source.name}"[:300],
            reason=reason,
            reason_en=reason,
            raised_at=now,
            observed_at=now,
            last_escalated_at=now,
        )
        audit_record(actor=None, action="warning.raise", obj=w, new={"tier": 4, "source": source.pk, "reason": reason})
        _queue_warning(w, now)
        return w


def channel_warning_raise(
    *, unit: Unit, channel_id: int, title: str, reason: str, reason_en: str, people: Sequence[Any], now: datetime
) -> Warning | None:
    """A Ⅳ (blue) warning that one of the organisation's own channels is going silent.

    It reaches the warnings' subscribers and, through the same outbox, the channel's owners
    (``people``: its operator, reviewer and the unit's administrators). ``None`` when one is
    already open for the channel: one warning per silence, not one per day.
    """
    with transaction.atomic():
        Unit.objects.select_for_update().filter(pk=unit.pk).first()
        open_ = Warning.objects.filter(kind=WarningKind.CHANNEL, unit=unit, status__in=OPEN_STATUSES)
        if any(int(w.figures.get("channel", 0)) == channel_id for w in open_.only("figures")):
            return None
        w = Warning.objects.create(
            unit=unit,
            kind=WarningKind.CHANNEL,
            tier=4,
            title=title[:300],
            reason=reason,
            reason_en=reason_en,
            figures={"channel": channel_id},
            raised_at=now,
            observed_at=now,
            last_escalated_at=now,
        )
        audit_record(
            actor=None, action="warning.raise", obj=w, new={"tier": 4, "channel": channel_id, "reason": reason}
        )
        _queue_warning(w, now)
        message = warning_message(w)
        people_notify(users=people, unit=unit, message=message, key=f"w{w.pk}.owner", now=now, kind="warning")
        return w


# --- periodic jobs ------------------------------------------------------------------------------


def quiet_release(now: datetime | None = None) -> int:
    """Announce the warnings quiet hours held back, once their scheme's quiet hours are over."""
    now = now or timezone.now()
    released = 0
    policies: dict[int, WarningPolicy] = {}
    for w in Warning.objects.filter(held=True, status__in=OPEN_STATUSES).select_related("scheme__unit"):
        if w.scheme is None:
            continue
        policy = policies.get(w.scheme.pk) or policies.setdefault(w.scheme.pk, policy_for(w.scheme))
        if policy.is_quiet(_ts(now)):
            continue
        with transaction.atomic():
            if Warning.objects.filter(pk=w.pk, held=True).update(held=False, last_escalated_at=now):
                _queue_warning(w, now)
                released += 1
    return released


def _timeout(policy: WarningPolicy, tier: int) -> float | None:
    return policy.ack_timeouts.get(to_core_tier(tier))


def escalate_due(now: datetime | None = None) -> int:
    """Pass each overdue unacknowledged warning to the next person on its unit's duty list."""
    now = now or timezone.now()
    n = 0
    policies: dict[int, WarningPolicy] = {}
    candidates = Warning.objects.filter(status=WarningStatus.NEW, held=False, kind=WarningKind.EVENT).select_related(
        "scheme__unit", "unit"
    )
    for w in candidates:
        if w.scheme is None:  # an event warning always has its scheme (set when it is raised)
            continue
        policy = policies.get(w.scheme.pk) or policies.setdefault(w.scheme.pk, policy_for(w.scheme))
        timeout = _timeout(policy, w.tier)
        since = w.last_escalated_at or w.raised_at
        if timeout is None or (now - since).total_seconds() < timeout:
            continue
        duty = _duty(w.unit, now)
        nxt = w.escalation_level + 1
        if nxt >= len(duty):
            continue
        person = duty[nxt]
        with transaction.atomic():
            took = Warning.objects.filter(
                pk=w.pk, status=WarningStatus.NEW, escalation_level=w.escalation_level
            ).update(escalation_level=nxt, assignee=person, last_escalated_at=now)
            if not took:
                continue  # someone acknowledged it, or another worker escalated it
            audit_record(
                actor=None, action="warning.escalate", obj=w,
                old={"level": w.escalation_level, "assignee": w.assignee_id}, new={"level": nxt, "assignee": person.pk},
            )  # fmt: skip
            w.escalation_level, w.assignee = nxt, person
            message = warning_message(w, prefix="【升级提醒 Escalated】")
            channels = _person_channels(person, w.unit)
            for channel in channels:
                _enqueue(
                    kind=NotificationKind.ESCALATION, channel=channel, message=message, key=f"e{w.pk}.{nxt}",
                    now=now, warning=w, user=person,
                )  # fmt: skip
            n += 1
    return n


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


# --- settings edited by admins ------------------------------------------------------------------


def require_admin(actor: Any, unit: Unit) -> None:
    if not has_role(actor, unit, ADMIN_ROLES):
        raise PermissionDenied("only an administrator of the unit may change this")


def _admin_unit(actor: Any, unit: Unit) -> None:
    seen = visible_unit_ids(actor)
    if seen is not None and unit.pk not in seen:
        from django.http import Http404

        raise Http404("no such unit")
    require_admin(actor, unit)


@transaction.atomic
def channel_save(
    *,
    actor: Any,
    unit: Unit,
    name: str,
    kind: str,
    url: str = "",
    secret: str = "",
    smtp_host: str = "",
    smtp_port: int = 25,
    smtp_username: str = "",
    smtp_password: str = "",
    smtp_sender: str = "",
    smtp_starttls: bool = False,
) -> NotificationChannel:
    """Add a notification channel to ``unit`` (admins only); secrets are stored encrypted."""
    _admin_unit(actor, unit)
    if kind not in ChannelKind.values:
        raise ValidationError({"kind": f"unknown channel kind {kind!r}"})
    if not name.strip():
        raise ValidationError({"name": "a channel needs a name"})
    if kind == "email":
        if not smtp_host.strip() or not smtp_sender.strip():
            raise ValidationError({"smtp_host": "an e-mail channel needs an SMTP host and a sender address"})
        if not 0 < int(smtp_port) < 65536:
            raise ValidationError({"smtp_port": "the SMTP port is a number from 1 to 65535"})
        validate_host(smtp_host.strip(), int(smtp_port), field="smtp_host")
    elif not url.startswith(("https://", "http://")):
        raise ValidationError({"url": "the channel's URL must start with https:// (or http://)"})
    else:
        validate_url(url, field="url")
    channel = NotificationChannel(
        unit=unit, name=name.strip()[:100], kind=kind, url=url.strip(), secret=secret.strip(),
        smtp_host=smtp_host.strip(), smtp_port=int(smtp_port), smtp_username=smtp_username.strip(),
        smtp_password=smtp_password, smtp_sender=smtp_sender.strip(), smtp_starttls=smtp_starttls,
    )  # fmt: skip
    channel.full_clean(exclude=["secret", "smtp_password"])
    channel.save()
    audit_record(actor=actor, action="warning_channel.create", obj=channel, new={"name": channel.name, "kind": kind})
    return channel


@transaction.atomic
def channel_delete(*, actor: Any, channel_id: int) -> None:
    channel = NotificationChannel.objects.select_related("unit").filter(pk=channel_id).first()
    if channel is None:
        from django.http import Http404

        raise Http404("no such channel")
    _admin_unit(actor, channel.unit)
    audit_record(actor=actor, action="warning_channel.delete", obj=channel, old={"name": channel.name})
    channel.delete()


def channel_set_active(*, actor: Any, channel_id: int, active: bool) -> NotificationChannel:
    """Enable or disable a channel (admins only). A disabled channel sends nothing: no warning,
    escalation or digest is queued for it, and rows already queued are not delivered."""
    with transaction.atomic():
        channel: NotificationChannel | None = (
            NotificationChannel.objects.select_for_update().select_related("unit").filter(pk=channel_id).first()
        )
        if channel is None:
            from django.http import Http404

            raise Http404("no such channel")
        _admin_unit(actor, channel.unit)
        if channel.is_active != active:
            old = channel.is_active
            channel.is_active = active
            channel.save(update_fields=["is_active"])
            audit_record(
                actor=actor, action="warning_channel.enable" if active else "warning_channel.disable", obj=channel,
                old={"is_active": old}, new={"is_active": active},
            )  # fmt: skip
    return channel


@transaction.atomic
def key_date_add(
    *, actor: Any, unit: Unit, label: str, start: Any, end: Any, factor: float = 0.5, annual: bool = False,
    watch_24h: bool = True,
) -> Any:  # fmt: skip
    """Add a key date or period to ``unit``'s calendar (tightens thresholds of its schemes)."""
    from qingting.core.warnings import KeyDate as CoreKeyDate
    from qingting.web.warnings.models import KeyDate

    _admin_unit(actor, unit)
    if not label.strip():
        raise ValidationError({"label": "a key date needs a label"})
    try:
        CoreKeyDate(start, end, label, factor=float(factor), annual=annual, watch_24h=watch_24h)
    except ValueError as exc:
        raise ValidationError({"factor": str(exc)}) from exc
    kd = KeyDate.objects.create(
        unit=unit, label=label.strip()[:100], start=start, end=end, factor=float(factor), annual=annual,
        watch_24h=watch_24h,
    )  # fmt: skip
    audit_record(actor=actor, action="warning_keydate.create", obj=kd, new={"label": kd.label, "start": str(start)})
    return kd


@transaction.atomic
def key_date_delete(*, actor: Any, key_date_id: int) -> None:
    from qingting.web.warnings.models import KeyDate

    kd = KeyDate.objects.select_related("unit").filter(pk=key_date_id).first()
    if kd is None:
        from django.http import Http404

        raise Http404("no such key date")
    _admin_unit(actor, kd.unit)
    audit_record(actor=actor, action="warning_keydate.delete", obj=kd, old={"label": kd.label})
    kd.delete()


@transaction.atomic
def quiet_hours_set(*, actor: Any, unit: Unit, start: Any = None, end: Any = None, min_tier: int = 2) -> Any:
    """Set (or, with ``start=None``, clear) the unit's quiet hours."""
    from qingting.web.warnings.models import QuietHours

    _admin_unit(actor, unit)
    old = QuietHours.objects.filter(unit=unit).first()
    if start is None or end is None:
        if old is not None:
            audit_record(actor=actor, action="warning_quiet.clear", obj=old, old={"start": str(old.start)})
            old.delete()
        return None
    if min_tier not in (1, 2, 3, 4):
        raise ValidationError({"min_tier": "choose a tier"})
    q, _ = QuietHours.objects.update_or_create(unit=unit, defaults={"start": start, "end": end, "min_tier": min_tier})
    audit_record(
        actor=actor, action="warning_quiet.set", obj=q, new={"start": str(start), "end": str(end), "min_tier": min_tier}
    )
    return q


@transaction.atomic
def duty_set(*, actor: Any, unit: Unit, users: Sequence[Any]) -> list[DutyMember]:
    """Replace the unit's duty list with ``users`` in order (each must see the unit)."""
    _admin_unit(actor, unit)
    for u in users:
        seen = visible_unit_ids(u)
        if seen is not None and unit.pk not in seen:
            raise ValidationError({"users": f"{u} is not a member of {unit.name} (or of a unit above it)"})
    if len({u.pk for u in users}) != len(users):
        raise ValidationError({"users": "a person appears twice on the duty list"})
    old = list(DutyMember.objects.filter(unit=unit).values_list("user_id", flat=True))
    DutyMember.objects.filter(unit=unit).delete()
    rows = [DutyMember.objects.create(unit=unit, user=u, position=i) for i, u in enumerate(users)]
    audit_record(
        actor=actor, action="warning_duty.set", obj=unit, old={"users": old}, new={"users": [u.pk for u in users]}
    )
    return rows


@transaction.atomic
def rules_set(*, actor: Any, scheme: Scheme, rules: Sequence[dict[str, Any]]) -> list[Any]:
    """Replace the scheme's warning rules (an empty list returns it to the default rules)."""
    from qingting.web.warnings.models import WarningRule
    from qingting.web.warnings.policy import rule_to_core

    _admin_unit(actor, scheme.unit)
    rows = []
    for i, r in enumerate(rules, start=1):
        row = WarningRule(scheme=scheme, **r)
        try:
            rule_to_core(row)
        except (ValueError, KeyError) as exc:
            raise ValidationError({"rules": f"rule {i}: {exc}"}) from exc
        rows.append(row)
    old = list(WarningRule.objects.filter(scheme=scheme).values())
    WarningRule.objects.filter(scheme=scheme).delete()
    for row in rows:
        row.save()
    audit_record(
        actor=actor,
        action="warning_rules.set",
        obj=scheme,
        old={"rules": len(old)},
        new={"rules": [dict(r) for r in rules]},
    )
    return rows


@transaction.atomic
def subscription_add(
    *, actor: Any, channel_id: int, scheme_id: int | None = None, min_tier: int = 3, digest: bool = True
) -> Subscription:
    """The signed-in user subscribes to warnings (of one scheme, or all they see) by a channel."""
    seen = visible_unit_ids(actor)
    channel = NotificationChannel.objects.filter(pk=channel_id, is_active=True).first()
    if channel is None or (seen is not None and channel.unit_id not in seen):
        raise ValidationError({"channel": "choose a channel of your units"})
    scheme = None
    if scheme_id:
        scheme = Scheme.objects.filter(pk=scheme_id).first()
        if scheme is None or (seen is not None and scheme.unit_id not in seen):
            raise ValidationError({"scheme": "choose a scheme of your units"})
    if min_tier not in (1, 2, 3, 4):
        raise ValidationError({"min_tier": "choose a tier"})
    if channel.kind == ChannelKind.EMAIL and not (actor.email or "").strip():
        raise ValidationError({"channel": "your account has no e-mail address"})
    sub = Subscription.objects.create(user=actor, scheme=scheme, min_tier=min_tier, channel=channel, digest=digest)
    audit_record(
        actor=actor, action="warning_subscription.create", obj=sub, new={"channel": channel.pk, "tier": min_tier}
    )
    return sub


@transaction.atomic
def subscription_delete(*, actor: Any, subscription_id: int) -> None:
    sub = Subscription.objects.filter(pk=subscription_id, user=actor).first()
    if sub is None:
        from django.http import Http404

        raise Http404("no such subscription")
    audit_record(actor=actor, action="warning_subscription.delete", obj=sub)
    sub.delete()


@transaction.atomic
def scheme_settings_set(
    *,
    actor: Any,
    scheme: Scheme,
    window_seconds: int = 3600,
    cooldown_seconds: int = 6 * 3600,
    min_tier: int = 4,
    ack_timeouts: dict[int, int | None] | None = None,
) -> Any:
    """Set a scheme's window, cooldown, lowest tier and escalation timeouts (per tier, ``None`` = never)."""
    from qingting.web.warnings.models import SchemeWarningSettings

    _admin_unit(actor, scheme.unit)
    if not 60 <= window_seconds <= 7 * 86400:
        raise ValidationError({"window_seconds": "the window is between 60 seconds and 7 days"})
    if not 0 <= cooldown_seconds <= 30 * 86400:
        raise ValidationError({"cooldown_seconds": "the cooldown is between 0 and 30 days"})
    if min_tier not in (1, 2, 3, 4):
        raise ValidationError({"min_tier": "choose a tier"})
    timeouts = {1: 600, 2: 1800, 3: 4 * 3600, 4: None, **(ack_timeouts or {})}
    for tier, v in timeouts.items():
        if v is not None and not 60 <= v <= 7 * 86400:
            raise ValidationError({"ack_timeouts": f"tier {tier}: a timeout is between 60 seconds and 7 days"})
    row, _ = SchemeWarningSettings.objects.update_or_create(
        scheme=scheme,
        defaults={
            "window_seconds": window_seconds,
            "cooldown_seconds": cooldown_seconds,
            "min_tier": min_tier,
            "ack_timeout_1": timeouts[1],
            "ack_timeout_2": timeouts[2],
            "ack_timeout_3": timeouts[3],
            "ack_timeout_4": timeouts[4],
        },
    )
    audit_record(
        actor=actor, action="warning_settings.set", obj=scheme,
        new={"window": window_seconds, "cooldown": cooldown_seconds, "min_tier": min_tier,
             "ack_timeouts": {str(k): v for k, v in timeouts.items()}},
    )  # fmt: skip
    return row
