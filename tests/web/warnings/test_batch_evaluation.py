"""Set-based evaluation (decision 0118) raises exactly the warnings the per-event evaluation raised.

The reference here is the evaluation as it was before: for each event, its (scheme, event)
membership read on its own, its summary built with its own query for the corrected negative
share, then the core engine — on ingestion (a receiver running beside the warnings app's, on
the same batches) and in a backfill (the walk through each event's buckets).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Q

from qingting.core.warnings import WarningEngine
from qingting.web.monitoring import services as monitoring
from qingting.web.monitoring.models import Event, Item, Scheme, SchemeEvent
from qingting.web.monitoring.signals import batch_ingested
from qingting.web.sentiment import services as sentiment
from qingting.web.warnings import services
from qingting.web.warnings.models import Warning
from qingting.web.warnings.policy import from_core_tier, policy_for
from qingting.web.warnings.services.evaluation import event_summaries

from .conftest import START, burst, ingest

pytestmark = pytest.mark.django_db

FESTIVAL = "青禾公园荷花节今天开幕，门票免费，游客赏花拍照"


def _per_event(scheme: Scheme, event_ids: Any) -> list[tuple[Event, Any]]:
    """The summaries as the evaluation read them before: a query per event for its membership and
    one for its corrected negative share."""
    out = []
    for event in Event.objects.filter(pk__in=list(event_ids), merged_into__isnull=True).order_by("pk"):
        match = SchemeEvent.objects.filter(scheme_id=scheme.pk, event_id=event.pk).first()
        if match is None or match.matched == 0:
            continue
        out.append((event, services.event_summary(event, match=match)))
    return out


def _second_scheme(setup: dict[str, Any]) -> Scheme:
    """A scheme over the same source whose rule needs a negative share: only analysts'
    corrections make the festival's event negative."""
    scheme = monitoring.scheme_create(
        actor=setup["admin"], unit=setup["east"], name="荷花节", expression="荷花", sources=[setup["source"]]
    )
    services.rules_set(
        actor=setup["admin"], scheme=scheme, rules=[{"tier": 4, "min_window_items": 5, "min_negative_share": 0.5}]
    )
    return scheme


def _stream(setup: dict[str, Any], festival: Scheme) -> None:
    """Three stories over four batches; the festival's items are corrected to negative between
    batches (the corrected share decides its scheme's warning)."""
    ingest(setup, [*burst("a", 8), *burst("f", 6, text=FESTIVAL), *burst("x", 9, text="柳湾镇今天天气很好")])
    for item in Item.objects.filter(external_id__startswith="f-"):
        sentiment.correct(setup["analyst"], item.pk, "negative")
    ingest(setup, [*burst("b", 15, start=START + 200, step=5), *burst("g", 4, start=START + 200, text=FESTIVAL)])
    ingest(setup, [*burst("c", 30, start=START + 400, step=5), *burst("d", 6, start=START + 400, text="断水了")])
    ingest(setup, burst("e", 10, start=START + 5000, step=10))


def test_batch_evaluation_raises_what_per_event_evaluation_raised(setup: dict[str, Any]) -> None:
    festival = _second_scheme(setup)
    engines: dict[int, WarningEngine] = {}
    expected: list[tuple[int, int, int, float]] = []

    def reference(sender: Any, *, scheme_events: Any = None, now: Any = None, **_: Any) -> None:
        for scheme_id, event_ids in (scheme_events or {}).items():
            scheme = Scheme.objects.get(pk=scheme_id)
            engine = engines.setdefault(scheme_id, WarningEngine(policy_for(scheme), scheme=f"ref{scheme_id}"))
            for event, summary in _per_event(scheme, event_ids):
                at = min(now.timestamp(), summary.last_seen)
                for early in engine.evaluate([summary], now=at):
                    expected.append((scheme_id, event.pk, from_core_tier(early.tier), round(at, 3)))

    batch_ingested.connect(reference, dispatch_uid="per-event-reference")
    try:
        _stream(setup, festival)
    finally:
        batch_ingested.disconnect(dispatch_uid="per-event-reference")

    raised = [
        (w.scheme_id, w.event_id, w.tier, round(w.observed_at.timestamp(), 3))
        for w in Warning.objects.filter(kind="event").order_by("pk")
    ]
    assert raised == expected
    # The comparison covers what matters: two schemes, a tier raised and superseded, and a
    # warning that only the analysts' corrections make (the engine's own labels of the event's
    # items make a share below 0.5; the event's share is over its items as corrected, 0131).
    assert {(s, t) for s, _, t, _ in raised} >= {(setup["scheme"].pk, 4), (setup["scheme"].pk, 3), (festival.pk, 4)}
    [fw] = Warning.objects.filter(scheme=festival)
    items = Item.objects.filter(event_id=fw.event_id)
    by_engine = items.filter(
        Q(sentiment_correction__isnull=True, sentiment_label="negative")
        | Q(sentiment_correction__engine_label="negative")
    ).count()
    assert fw.engine_state["negative_share"] >= 0.5 > by_engine / items.count()
    assert Event.objects.get(pk=fw.event_id).negative_share >= 0.5


def test_event_summaries_equal_per_event_summaries(setup: dict[str, Any]) -> None:
    festival = _second_scheme(setup)
    _stream(setup, festival)
    all_events = list(Event.objects.values_list("pk", flat=True))
    for scheme in (setup["scheme"], festival):
        per_event = _per_event(scheme, all_events)
        assert per_event  # each scheme matches events
        assert event_summaries(scheme, all_events) == per_event
        assert event_summaries(scheme) == per_event
        assert event_summaries(scheme, [*all_events[:1], 10**9]) == _per_event(scheme, all_events[:1])


def test_backfill_raises_what_the_per_event_walk_raised(setup: dict[str, Any]) -> None:
    """History assessed set-wise, each event's past a prefix of its buckets: the same warnings,
    dates and tiers as the walk that read each event on its own and re-filtered its buckets."""
    from qingting.web.warnings.models import WarningRule

    festival = _second_scheme(setup)
    for scheme in (setup["scheme"], festival):  # nothing fires on ingestion
        WarningRule.objects.filter(scheme=scheme).delete()
        WarningRule.objects.create(scheme=scheme, tier=1, min_window_items=10_000)
    _stream(setup, festival)
    assert not Warning.objects.exists()
    services.rules_set(
        actor=setup["admin"],
        scheme=setup["scheme"],
        rules=[{"tier": 4, "min_window_items": 5}, {"tier": 3, "min_window_items": 20}],
    )
    services.rules_set(
        actor=setup["admin"], scheme=festival, rules=[{"tier": 4, "min_window_items": 5, "min_negative_share": 0.5}]
    )
    now = Item.objects.order_by("-published_at").first().published_at + timedelta(days=1)  # type: ignore[union-attr]
    for scheme in (setup["scheme"], festival):
        policy = policy_for(scheme)
        engine = WarningEngine(policy, scheme="ref")
        summaries = dict((e.pk, s) for e, s in _per_event(scheme, Event.objects.values_list("pk", flat=True)))
        steps = sorted((t + policy.bucket_seconds, pk) for pk, s in summaries.items() for t, _ in s.buckets)
        expected = []
        for t_end, pk in steps:
            full = summaries[pk]
            at = min(t_end, now.timestamp(), full.last_seen)
            buckets = tuple(b for b in full.buckets if b[0] < t_end)
            summary = replace(
                full, buckets=buckets, item_count=sum(c for _, c in buckets), last_seen=at, burst_z=0.0, retired=False
            )
            expected += [(pk, from_core_tier(w.tier), round(at, 3)) for w in engine.evaluate([summary], now=at)]
        raised = services.warnings_backfill(scheme=scheme, now=now)
        assert expected and [(w.event_id, w.tier, round(w.observed_at.timestamp(), 3)) for w in raised] == expected
        assert all(w.backfill for w in raised)
