"""Warnings raised on ingestion: dedupe, tier raise, cooldown, expression, quiet hours, key dates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from qingting.web.warnings import services
from qingting.web.warnings.models import Notification, Warning

from .conftest import START, burst, ingest

pytestmark = pytest.mark.django_db


def _email_channel(setup: dict[str, Any]) -> Any:
    return services.channel_save(
        actor=setup["admin"], unit=setup["east"], name="邮件", kind="email", smtp_host="127.0.0.1", smtp_port=2525,
        smtp_sender="qt@east.example",
    )  # fmt: skip


def test_a_burst_raises_one_explained_warning_with_its_notification(setup: dict[str, Any]) -> None:
    channel = _email_channel(setup)
    services.subscription_add(actor=setup["analyst"], channel_id=channel.pk, min_tier=4)
    ingest(setup, burst("a", 8))
    [w] = Warning.objects.all()
    assert (w.tier, w.status, w.scheme_id) == (4, "new", setup["scheme"].pk)
    assert w.reason.startswith("1 小时内 8 条") and "8 items in 1 hour" in w.reason_en
    assert w.figures["window_items"] == 8 and w.engine_state["item_count"] == 8
    assert w.assignee == setup["analyst"]  # first on the duty list
    [n] = Notification.objects.all()
    assert (n.warning_id, n.recipient, n.status) == (w.pk, "analyst@east.example", "pending")
    assert "Ⅳ级（蓝色）预警" in n.payload["title"]


def test_one_open_warning_per_event_and_tier(setup: dict[str, Any]) -> None:
    ingest(setup, burst("a", 8))
    ingest(setup, burst("b", 4, start=START + 200))
    assert Warning.objects.count() == 1  # still tier Ⅳ: nothing new


def test_a_growing_event_is_raised_to_a_higher_tier_and_the_lower_one_superseded(setup: dict[str, Any]) -> None:
    ingest(setup, burst("a", 8))
    ingest(setup, burst("b", 20, start=START + 200, step=5))
    low, high = Warning.objects.order_by("pk")
    low.refresh_from_db()
    assert (low.tier, low.status) == (4, "superseded")
    assert (high.tier, high.status, high.raised_from_id) == (3, "new", low.pk)
    assert high.event_id == low.event_id


def test_dismissed_warning_cools_down_at_its_tier_but_not_above(setup: dict[str, Any]) -> None:
    ingest(setup, burst("a", 8))
    w = Warning.objects.get()
    services.warning_dismiss(actor=setup["analyst"], warning_id=w.pk, reason="演习，已核实")
    ingest(setup, burst("b", 5, start=START + 200, step=5))  # still Ⅳ: in cooldown
    assert Warning.objects.count() == 1
    ingest(setup, burst("c", 15, start=START + 300, step=5))  # now Ⅲ: above the dismissed tier
    assert list(Warning.objects.order_by("pk").values_list("tier", "status")) == [(4, "dismissed"), (3, "new")]


def test_items_outside_the_expression_do_not_count(setup: dict[str, Any]) -> None:
    ingest(setup, burst("x", 30, text="柳湾镇今天天气很好，适合出游"))
    assert Warning.objects.count() == 0


def test_traditional_characters_match_the_simplified_expression(setup: dict[str, Any]) -> None:
    ingest(setup, burst("t", 8, text="柳灣鎮停水，甚麼時候恢復供水"))
    assert Warning.objects.count() == 1


def test_quiet_hours_hold_the_notification_until_they_end(setup: dict[str, Any]) -> None:
    channel = _email_channel(setup)
    services.subscription_add(actor=setup["analyst"], channel_id=channel.pk, min_tier=4)
    services.quiet_hours_set(
        actor=setup["admin"], unit=setup["east"], start=dt.time(0, 0), end=dt.time(23, 59, 59, 999999), min_tier=2
    )
    ingest(setup, burst("a", 8))
    w = Warning.objects.get()
    assert w.held and Notification.objects.count() == 0
    services.quiet_hours_set(actor=setup["admin"], unit=setup["east"])  # quiet hours cleared: they are over
    assert services.quiet_release() == 1
    assert Notification.objects.filter(warning=w).count() == 1
    assert services.quiet_release() == 0  # released once


def test_quiet_hours_let_the_top_tiers_through(setup: dict[str, Any]) -> None:
    channel = _email_channel(setup)
    services.subscription_add(actor=setup["analyst"], channel_id=channel.pk, min_tier=4)
    services.quiet_hours_set(
        actor=setup["admin"], unit=setup["east"], start=dt.time(0, 0), end=dt.time(23, 59, 59, 999999), min_tier=2
    )
    ingest(setup, burst("a", 70, step=5))
    w = Warning.objects.get()
    assert w.tier == 2 and not w.held
    assert Notification.objects.filter(warning=w).count() == 1


def test_a_key_date_tightens_the_thresholds(setup: dict[str, Any]) -> None:
    services.key_date_add(
        actor=setup["admin"], unit=setup["office"] if False else setup["east"], label="两会",
        start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 2), factor=0.5,
    )  # fmt: skip
    ingest(setup, burst("a", 10))  # 10 ≥ 20 × 0.5: tier Ⅲ during the key date
    w = Warning.objects.get()
    assert w.tier == 3
    assert w.figures["key_date"] == "两会" and "两会" in w.reason


def test_subscribers_get_only_their_tiers_and_their_units(setup: dict[str, Any]) -> None:
    channel = _email_channel(setup)
    services.subscription_add(actor=setup["analyst"], channel_id=channel.pk, min_tier=3)  # Ⅲ and graver
    services.subscription_add(actor=setup["admin"], channel_id=channel.pk, min_tier=4)
    ingest(setup, burst("a", 8))
    assert list(Notification.objects.values_list("recipient", flat=True)) == ["admin@east.example"]


def test_source_warning_is_tier_iv_and_one_per_source(setup: dict[str, Any]) -> None:
    from django.utils import timezone

    now = timezone.now()
    w = services.source_warning_raise(source=setup["source"], reason="连续 5 次抓取失败", now=now)
    assert w is not None and (w.tier, w.kind, w.scheme_id, w.event_id) == (4, "source", None, None)
    assert services.source_warning_raise(source=setup["source"], reason="again", now=now) is None
    services.warning_dismiss(actor=setup["analyst"], warning_id=w.pk, reason="已恢复")
    assert services.source_warning_raise(source=setup["source"], reason="又失败", now=now) is not None


def test_warning_counts_by_tier(setup: dict[str, Any]) -> None:
    from django.utils import timezone

    from qingting.web.warnings.selectors import warning_counts

    ingest(setup, burst("a", 8))
    now = timezone.now()
    counts = warning_counts([setup["east"].pk], now - dt.timedelta(hours=1), now + dt.timedelta(hours=1))
    assert counts == {4: 1, 3: 0, 2: 0, 1: 0}
    assert warning_counts([setup["west"].pk], now - dt.timedelta(hours=1), now + dt.timedelta(hours=1))[4] == 0


def test_backfill_walks_history_and_dates_warnings_when_they_would_have_fired(setup: dict[str, Any]) -> None:
    from qingting.web.warnings.models import WarningRule

    WarningRule.objects.filter(scheme=setup["scheme"]).delete()
    WarningRule.objects.create(scheme=setup["scheme"], tier=1, min_window_items=10_000)  # nothing fires on ingest
    ingest(setup, [*burst("a", 8, step=60), *burst("b", 30, start=START + 7200, step=30)])
    assert Warning.objects.count() == 0
    services.rules_set(actor=setup["admin"], scheme=setup["scheme"], rules=[{"tier": 4, "min_window_items": 5}])
    raised = services.warnings_backfill(scheme=setup["scheme"])
    assert len(raised) == 1
    w = raised[0]
    assert w.raised_at == w.observed_at and w.raised_at.timestamp() < START + 7200  # when it would have fired
    assert Notification.objects.count() == 0  # history is not announced
    assert services.warnings_backfill(scheme=setup["scheme"]) == []  # idempotent


def test_promote_opens_a_case_linked_to_the_warning_and_its_event(setup: dict[str, Any]) -> None:
    from qingting.web.cases.models import Case

    ingest(setup, burst("a", 70, step=5))
    w = Warning.objects.get()
    case = services.warning_promote(actor=setup["analyst"], warning_id=w.pk)
    w.refresh_from_db()
    assert (w.status, w.case_id) == ("promoted", case.pk)
    case = Case.objects.get(pk=case.pk)
    assert (case.origin_kind, case.origin_id, case.event_id, case.unit_id) == ("warning", w.pk, w.event_id, w.unit_id)
    assert case.priority == "high" and case.channel == "online"
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.warning_promote(actor=setup["analyst"], warning_id=w.pk)  # already promoted
