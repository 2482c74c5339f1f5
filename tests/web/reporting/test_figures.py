"""Every figure of a report cross-checked against direct queries on the items."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Count, Q

from qingting.web.accounts.models import Unit
from qingting.web.monitoring.models import Event, Item
from qingting.web.reporting.figures import TIER_LABELS, period_bounds, period_figures, subtree_ids, work_figures

SH = ZoneInfo("Asia/Shanghai")


def _items(unit: Any, label: str) -> Any:
    start, end = period_bounds(label)
    return Item.objects.filter(source__unit_id__in=subtree_ids(unit), published_at__gte=start, published_at__lt=end)


@pytest.mark.parametrize(("unit_key", "label"), [("office", "2026-01"), ("east", "2026-02"), ("west", "2026-W05")])
def test_period_figures_match_the_items(with_warnings: dict[str, Any], unit_key: str, label: str) -> None:
    seeded = with_warnings
    unit = seeded[unit_key]
    f = period_figures(unit, label)
    items = _items(unit, label)
    assert f.total == items.count() > 0
    # per local (Shanghai) day
    by_day: dict[date, int] = {}
    for t in items.values_list("published_at", flat=True):
        d = t.astimezone(SH).date()
        by_day[d] = by_day.get(d, 0) + 1
    assert {d: n for d, n in f.volume if n} == by_day
    assert len(f.volume) == f.period.days  # zero days included
    mix = dict(items.values_list("sentiment_label").annotate(n=Count("id")))
    assert (f.sentiment.positive, f.sentiment.neutral, f.sentiment.negative) == (
        mix.get("positive", 0),
        mix.get("neutral", 0),
        mix.get("negative", 0),
    )
    assert dict(f.sources) == dict(items.values_list("source__name").annotate(n=Count("id")))
    from qingting.web.monitoring.models import SourceKind

    labels = {k: str(v) for k, v in SourceKind.choices}
    kinds = {labels[k]: n for k, n in items.values_list("source__kind").annotate(n=Count("id"))}
    assert dict(f.source_kinds) == kinds
    regions = dict(items.exclude(region="").values_list("region").annotate(n=Count("id")))
    assert dict(f.regions) == regions
    # Events with an item of the unit's sources or about its places (decision 0061), counted over those.
    ids = subtree_ids(unit)
    names = list(Unit.objects.filter(pk__in=ids).values_list("name", flat=True))
    mine = Item.objects.filter(Q(source__unit_id__in=ids) | Q(region__in=names))
    events = Event.objects.filter(pk__in=mine.values("event_id"), merged_into__isnull=True)
    start, end = period_bounds(label)
    expected = {
        e.title: mine.filter(event=e, published_at__gte=start, published_at__lt=end).count()
        for e in events.filter(first_seen__lt=end, last_seen__gte=start).order_by("-heat", "id")[:10]
    }
    assert {e.title: e.items for e in f.top_events} == expected
    assert f.warnings_by_tier == _tiers(unit, label)


def _tiers(unit: Any, label: str) -> tuple[tuple[str, int], ...]:
    """Warnings raised in the period in the unit's subtree, by tier, Ⅰ first: a direct query."""
    from qingting.web.warnings.models import Warning

    start, end = period_bounds(label)
    rows = Warning.objects.filter(unit_id__in=subtree_ids(unit), raised_at__gte=start, raised_at__lt=end)
    by_tier = dict(rows.values_list("tier").annotate(n=Count("id")))
    return tuple((TIER_LABELS[t], by_tier.get(t, 0)) for t in (1, 2, 3, 4))


def test_subtree_scoping_counts_descendants_only(seeded: dict[str, Any]) -> None:
    east = period_figures(seeded["east"], "2026-01").total
    community = period_figures(seeded["east_community"], "2026-01").total
    west = period_figures(seeded["west"], "2026-01").total
    office = period_figures(seeded["office"], "2026-01").total
    assert community > 0 and east > community
    assert office == east + west + _items(seeded["office"], "2026-01").filter(source__unit=seeded["office"]).count()


def test_local_midnight_decides_the_day(seeded: dict[str, Any]) -> None:
    # 2026-02-01 00:30 in Shanghai is 2026-01-31 16:30 UTC: it counts on 1 February.
    f = period_figures(seeded["east"], "2026-02-01")
    assert f.total == _items(seeded["east"], "2026-02-01").count()
    assert (
        f.total
        == Item.objects.filter(
            source__unit_id__in=subtree_ids(seeded["east"]),
            published_at__gte=datetime(2026, 1, 31, 16, tzinfo=ZoneInfo("UTC")),
            published_at__lt=datetime(2026, 2, 1, 16, tzinfo=ZoneInfo("UTC")),
        ).count()
    )


def test_previous_period_total_for_month_on_month(seeded: dict[str, Any]) -> None:
    f = period_figures(seeded["office"], "2026-02")
    assert f.previous_total == _items(seeded["office"], "2026-01").count()


def test_work_figures_without_a_data_source_say_so(seeded: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from qingting.web.reporting import figures

    w = work_figures(seeded["office"], "2026-H1")
    assert w.items_monitored == _items(seeded["office"], "2026-H1").count()
    assert w.cases_received == 0 and w.closure_rate == "—"  # no cases: 0 received, a rate of 0/0 is "—"
    assert w.bulletins == 0 and w.submitted == 0  # bulletins and 直报 are installed: real zeros
    assert w.warnings_by_tier == tuple((label, 0) for label in TIER_LABELS.values())  # installed: real zeros
    real = figures._selector
    monkeypatch.setattr(figures, "_selector", lambda m, n: None if "cases" in m or "bulletins" in m else real(m, n))
    missing = work_figures(seeded["office"], "2026-H1")
    assert missing.cases_received is None and missing.closure_rate == "—" and missing.submitted is None


def test_work_figures_take_cases_from_the_cases_module(with_cases: dict[str, Any]) -> None:
    from qingting.web.cases.models import Case
    from qingting.web.cases.selectors import case_figures

    w = work_figures(with_cases["east"], "2026-01")
    start, end = period_bounds("2026-01")
    ids = subtree_ids(with_cases["east"])
    received = Case.objects.filter(unit_id__in=ids, received_at__gte=start, received_at__lt=end)
    assert w.cases_received == received.count() == 5
    closed = [c for c in received if c.closed_at is not None and c.closed_at < end]
    assert w.cases_closed == len(closed) == 4
    direct = case_figures(ids, start, end)
    assert (w.cases_on_time, w.cases_due, w.median_handling_hours) == (
        direct.closed_on_time,
        direct.due,
        direct.median_handling_hours,
    )
    assert {u.unit for u in w.units} == {"东街道", "东一社区"}
    assert sum(u.received for u in w.units) == 5
    office = work_figures(with_cases["office"], "2026-01")
    assert office.cases_received == 7 and office.closure_rate == "71.4%"  # 5 of 7 closed


def test_warnings_by_tier_from_the_contract_selector(seeded: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """The warnings app's ``warning_counts(unit_ids, start, end) -> {tier: n}`` (4 = Ⅳ … 1 = Ⅰ),
    called with the unit and its descendants and the period's bounds; listed Ⅰ (red) first."""
    from qingting.web.reporting import figures
    from qingting.web.reporting.services import report_document

    calls = []

    def warning_counts(unit_ids: Any, start: Any, end: Any) -> dict[int, int]:
        calls.append((sorted(unit_ids), start, end))
        return {4: 3, 3: 2, 2: 0, 1: 1}

    real = figures._selector
    monkeypatch.setattr(figures, "_selector", lambda m, n: warning_counts if n == "warning_counts" else real(m, n))
    f = period_figures(seeded["east"], "2026-01")
    assert f.warnings_by_tier == (("Ⅰ级（红色）", 1), ("Ⅱ级（橙色）", 0), ("Ⅲ级（黄色）", 2), ("Ⅳ级（蓝色）", 3))
    assert calls[0] == (sorted(subtree_ids(seeded["east"])), *period_bounds("2026-01"))
    doc, data = report_document(kind="monthly", unit=seeded["east"], period_label="2026-01", template=None)
    text = "".join(getattr(b, "text", "") for b in doc.body)
    assert "本期共发出预警6次，其中Ⅰ级（红色）1次，Ⅱ级（橙色）0次，Ⅲ级（黄色）2次，Ⅳ级（蓝色）3次。" in text
    assert data["warnings_by_tier"][0] == ["Ⅰ级（红色）", 1]


@pytest.mark.parametrize(
    ("unit_key", "tiers"),
    [("office", (1, 1, 2, 3)), ("east", (1, 0, 1, 2)), ("west", (0, 1, 0, 1)), ("east_community", (1, 0, 0, 1))],
)
def test_warnings_by_tier_are_the_warning_rows(with_warnings: dict[str, Any], unit_key: str, tiers: Any) -> None:
    """Real warnings (warnings app installed): raised in the period in the subtree, any status, by
    Shanghai days; the expected numbers are read off ``WARNING_PLAN`` and checked against a query."""
    unit = with_warnings[unit_key]
    expected = tuple(zip(TIER_LABELS.values(), tiers, strict=True))
    assert period_figures(unit, "2026-01").warnings_by_tier == _tiers(unit, "2026-01") == expected
    assert work_figures(unit, "2026-01").warnings_by_tier == expected
    # the warnings just outside January (31 Dec 23:59 and 1 Feb 00:01 local) land in their own months
    assert dict(period_figures(with_warnings["east"], "2026-02").warnings_by_tier or ())["Ⅱ级（橙色）"] == 1
    assert dict(period_figures(with_warnings["east"], "2025-12").warnings_by_tier or ())["Ⅰ级（红色）"] == 1


def test_work_figures_count_real_submissions(with_submissions: dict[str, Any]) -> None:
    """直报 in a work report: the bulletins app's submissions sent by the subtree in the period."""
    from qingting.web.bulletins.models import Submission

    start, end = period_bounds("2026-01")
    for key, submitted, adopted in (("office", 5, 3), ("east", 4, 2), ("west", 1, 1), ("east_community", 2, 0)):
        unit = with_submissions[key]
        w = work_figures(unit, "2026-01")
        sent = Submission.objects.filter(
            from_unit_id__in=subtree_ids(unit), submitted_at__gte=start, submitted_at__lt=end
        )
        assert w.submitted == sent.count() == submitted, key
        assert w.bulletins_adopted == sent.filter(adoption__in=["full", "summary"]).count() == adopted, key
