"""Warnings raised: a scheme's events assessed against its rules (on ingestion, and in a backfill)."""

from __future__ import annotations

import importlib
import logging
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from itertools import accumulate
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from qingting.core.types import EventSummary, TrendState
from qingting.core.warnings import EarlyWarning, Step, WarningEngine, WarningPolicy
from qingting.core.warnings import WarningStatus as CoreStatus
from qingting.web.accounts.models import Unit
from qingting.web.audit.services import audit_record
from qingting.web.monitoring import selectors as monitoring_selectors
from qingting.web.monitoring.models import Event, Scheme
from qingting.web.warnings.models import OPEN_STATUSES, DutyMember, Warning, WarningKind, WarningStatus
from qingting.web.warnings.policy import from_core_tier, policy_for, to_core_tier
from qingting.web.warnings.services.outbox import _queue_warning
from qingting.web.warnings.services.times import _dt, _ts

log = logging.getLogger(__name__)


# --- matching the scheme's expression -----------------------------------------------------------


def _matcher(scheme: Scheme) -> Any:
    """The scheme's compiled expression, or ``None`` when it matches everything (empty or ``*``)."""
    expr = (scheme.expression or "").strip()
    if not expr or expr == "*":
        return None
    from qingting.core.rules import compile_expression

    return compile_expression(expr)


def event_summary(event: Event, *, match: Any = None) -> EventSummary:
    """The core summary of a stored event (volumes from the matching items when ``match``, the
    scheme's ``SchemeEvent`` on it, is given). Its sentiment figures are the event's, over its
    items as labelled now — analysts' corrections and re-scores included (decision 0131)."""
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
        negative_share=event.negative_share,
        lang=event.lang,
        retired=event.retired,
    )


def event_summaries(scheme: Scheme, event_ids: Sequence[int] | None = None) -> list[tuple[Event, EventSummary]]:
    """The scheme's figures on its live events that it matches (of ``event_ids``, or all), in
    event order, as :func:`event_summary` gives them one by one — read set-wise: the (scheme,
    event) memberships with their events in one query per 500 ids (decision 0118). Events merged
    away and events the scheme matches no item of are left out."""
    matches = monitoring_selectors.scheme_events(scheme.pk).filter(matched__gt=0, event__merged_into__isnull=True)
    rows: list[Any] = []
    if event_ids is None:
        rows = list(matches.select_related("event").order_by("event_id"))
    else:
        ids = sorted(set(event_ids))
        for start in range(0, len(ids), 500):
            rows.extend(matches.filter(event_id__in=ids[start : start + 500]).select_related("event"))
        rows.sort(key=lambda m: m.event_id)
    return [(m.event, event_summary(m.event, match=m)) for m in rows]


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
            _matcher(scheme)  # a stored expression that no longer compiles stops here
            policy = policy_for(scheme)
        except ValueError as exc:  # a malformed stored expression or rule: say so, do not crash ingestion
            log.warning("scheme %s: warnings not evaluated: %s", scheme.pk, exc)
            return []
        summaries = event_summaries(scheme, event_ids)
        if not summaries:
            return []
        horizon = now - timedelta(seconds=policy.cooldown_seconds)
        stored: dict[int, Warning] = {}
        ids = [event.pk for event, _ in summaries]
        for start in range(0, len(ids), 500):
            stored.update(
                (w.pk, w)
                for w in Warning.objects.filter(
                    scheme=scheme, event_id__in=ids[start : start + 500], kind=WarningKind.EVENT
                ).filter(Q(status__in=OPEN_STATUSES) | Q(closed_at__gte=horizon))
            )
        engine = WarningEngine.restore([_early(w) for w in stored.values()], policy, scheme=f"s{scheme.pk}")
        by_engine_id = {f"db{pk}": w for pk, w in stored.items()}
        duty: list[Any] | None = None  # who is on duty: looked up only when a warning is raised
        raised: list[Warning] = []
        for event, summary in summaries:
            at = min(_ts(now), summary.last_seen)
            for early in engine.evaluate([summary], now=at):
                if duty is None:
                    duty = _duty(scheme.unit, now)
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
        _matcher(scheme)
        policy = policy_for(scheme)
        stored = {w.pk: w for w in Warning.objects.filter(scheme=scheme, kind=WarningKind.EVENT)}
        engine = WarningEngine.restore([_early(w) for w in stored.values()], policy, scheme=f"s{scheme.pk}")
        by_engine_id: dict[str, Warning] = {f"db{pk}": w for pk, w in stored.items()}
        duty = _duty(scheme.unit)
        events: dict[int, Event] = {}
        summaries: dict[int, EventSummary] = {}
        steps: list[tuple[float, int]] = []
        for event, summary in event_summaries(scheme):
            events[event.pk], summaries[event.pk] = event, summary
            steps.extend((t + policy.bucket_seconds, event.pk) for t, _ in summary.buckets)
        # The buckets are in time order: an event's past at t_end is a prefix of them, and its
        # item count a running sum (not re-read and re-added at every step).
        starts = {pk: [t for t, _ in s.buckets] for pk, s in summaries.items()}
        totals = {pk: list(accumulate((c for _, c in s.buckets), initial=0)) for pk, s in summaries.items()}
        for t_end, event_id in sorted(steps):
            full = summaries[event_id]
            at = min(t_end, _ts(now), full.last_seen)
            k = bisect_left(starts[event_id], t_end)
            summary = replace(
                full,
                buckets=full.buckets[:k],
                item_count=totals[event_id][k],
                last_seen=at,
                burst_z=0.0,
                retired=False,
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
