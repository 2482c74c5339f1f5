"""Report figures from the database: one function per report kind, for a unit and its descendants.

Every number a report prints comes from here, computed by queries over the period's local days
(``settings.TIME_ZONE``, Asia/Shanghai). Volume, sentiment, sources and regions come from the
``DailyCount`` aggregate table (maintained by ingestion in the items' transaction), so a monthly
report costs the same at a thousand items as at ten million. Warnings, cases and upward
submissions come from the other apps' contract selectors, imported lazily: when an app is not
installed (or has no data source yet) its figures are ``None`` and print as "—", never 0.

>>> period_bounds("2026-10")  # doctest: +SKIP
(datetime(2026, 10, 1, 0, 0, tzinfo=Asia/Shanghai), datetime(2026, 11, 1, 0, 0, tzinfo=Asia/Shanghai))
"""

from __future__ import annotations

import importlib
import logging
import re
from dataclasses import asdict, dataclass, is_dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Sum
from django.utils import timezone

from qingting.reports.figures import (
    EventFigure,
    Period,
    PeriodFigures,
    SentimentMix,
    UnitWork,
    WorkFigures,
)
from qingting.web.accounts.models import Unit
from qingting.web.monitoring.models import DailyCount, SourceKind
from qingting.web.monitoring.selectors import events_of_units, items_of_units

log = logging.getLogger(__name__)

__all__ = [
    "KIND_LABEL_FORMS",
    "TIER_LABELS",
    "PeriodError",
    "canonical_period",
    "period_bounds",
    "period_figures",
    "subtree_ids",
    "work_figures",
]

TIER_LABELS = {1: "Ⅰ级（红色）", 2: "Ⅱ级（橙色）", 3: "Ⅲ级（黄色）", 4: "Ⅳ级（蓝色）"}

# Which period labels each report kind takes (the CLI's --period, the generate form).
KIND_LABEL_FORMS: dict[str, tuple[str, str]] = {
    "daily": (r"\d{4}-\d{2}-\d{2}", "2026-10-05"),
    "weekly": (r"\d{4}-W\d{2}", "2026-W43"),
    "monthly": (r"\d{4}-\d{2}", "2026-10"),
    "quarterly": (r"\d{4}-Q[1-4]", "2026-Q4"),
    "half": (r"\d{4}-H[12]", "2026-H1"),
    "annual": (r"\d{4}", "2026"),
}


class PeriodError(ValueError):
    """A period label that does not parse, or does not fit the report kind."""


def _parse(label: str) -> Period:
    try:
        return Period.parse(label)
    except ValueError as exc:
        raise PeriodError(str(exc)) from exc


def canonical_period(label: str, kind: str | None = None) -> str:
    """The label written the one way the archive stores it (``2026-w43`` → ``2026-W43``, ``2026-1`` →
    ``2026-01``), checked against ``kind`` when given (a monthly report needs ``2026-10``)."""
    text = label.strip().upper()
    period = _parse(text)
    if period.name == "月度":
        text = f"{period.start.year}-{period.start.month:02d}"
    elif period.name == "周":
        year, week, _ = period.start.isocalendar()
        text = f"{year}-W{week:02d}"
    elif period.name == "日":
        text = period.start.isoformat()
    if kind is not None and kind in KIND_LABEL_FORMS:
        pattern, example = KIND_LABEL_FORMS[kind]
        if not re.fullmatch(pattern, text):
            raise PeriodError(f"a {kind} report needs a period like {example}, not {label!r}")
    return text


def period_bounds(label: str) -> tuple[datetime, datetime]:
    """``(start, end)`` of a period label as aware datetimes in the installation's time zone
    (Asia/Shanghai), half-open: ``start <= t < end``. Labels: 2026-10, 2026-W43, 2026-10-05,
    2026-Q4, 2026-H1, 2026, 2026-10-01..2026-10-15. :class:`PeriodError` for anything else."""
    period = _parse(label)
    return _bounds(period)


def _bounds(period: Period) -> tuple[datetime, datetime]:
    tz = timezone.get_default_timezone()
    start = datetime.combine(period.start, time.min).replace(tzinfo=tz)
    end = datetime.combine(period.end + timedelta(days=1), time.min).replace(tzinfo=tz)
    return start, end


def subtree_ids(unit: Unit) -> list[int]:
    """The unit and everything below it (one indexed prefix query on the materialised path)."""
    return list(Unit.objects.filter(path__startswith=unit.path).values_list("id", flat=True))


# --- other apps' contract selectors, lazily -----------------------------------------------------


def _selector(module: str, name: str) -> Any:
    """``module.name`` when that app provides it; ``None`` when it does not (yet)."""
    try:
        found = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None
    return found if callable(found) else None


def warning_counts(unit_ids: list[int], start: datetime, end: datetime) -> tuple[tuple[str, int], ...] | None:
    """Warnings raised in the period by tier, Ⅰ (red) first; ``None`` without a warnings module."""
    counts = _selector("qingting.web.warnings.selectors", "warning_counts")
    if counts is None:
        return None
    by_tier: dict[int, int] = {int(k): int(v) for k, v in counts(unit_ids, start, end).items()}
    return tuple((TIER_LABELS[tier], by_tier.get(tier, 0)) for tier in sorted(TIER_LABELS))


def _field(obj: Any, *names: str) -> Any:
    for name in names:
        if isinstance(obj, dict) and name in obj:
            return obj[name]
        if hasattr(obj, name):
            return getattr(obj, name)
    return None


@dataclass(frozen=True, slots=True)
class CaseNumbers:
    received: int
    closed: int  # of those received in the period, closed by its end (办结)
    on_time: int | None
    due: int | None  # due in the period (the base of 按时办结率)
    median_hours: float | None
    units: tuple[UnitWork, ...]


def case_numbers(unit_ids: list[int], start: datetime, end: datetime) -> CaseNumbers | None:
    """Cases received/closed/on time, median handling time and the per-unit breakdown;
    ``None`` without the cases module."""
    figures = _selector("qingting.web.cases.selectors", "case_figures")
    if figures is None:
        return None
    total = figures(unit_ids, start, end)
    units: list[UnitWork] = []
    per_unit = _selector("qingting.web.cases.selectors", "unit_figures")
    if per_unit is not None:
        rows = per_unit(unit_ids, start, end)
        pairs = rows.items() if isinstance(rows, dict) else ((None, row) for row in rows)
        names = dict(Unit.objects.filter(id__in=unit_ids).values_list("id", "name"))
        for key, row in pairs:
            unit = key if key is not None else _field(row, "unit", "unit_id", "unit_name")
            name = getattr(unit, "name", None) or names.get(unit if isinstance(unit, int) else -1) or str(unit)
            received = int(_field(row, "received") or 0)
            closed = int(_field(row, "closed_of_received", "closed") or 0)
            on_time = int(_field(row, "closed_on_time", "on_time") or 0)
            due = _field(row, "due")
            median = _field(row, "median_handling_hours", "median_hours")
            if received or closed or due:
                units.append(UnitWork(name, received, closed, on_time, median, due=None if due is None else int(due)))
    on_time_total = _field(total, "closed_on_time", "on_time")
    due_total = _field(total, "due")
    return CaseNumbers(
        received=int(_field(total, "received") or 0),
        closed=int(_field(total, "closed_of_received", "closed") or 0),
        on_time=None if on_time_total is None else int(on_time_total),
        due=None if due_total is None else int(due_total),
        median_hours=_field(total, "median_handling_hours", "median_hours"),
        units=tuple(sorted(units, key=lambda u: (-u.received, u.unit))),
    )


def submission_counts(unit_ids: list[int], start: datetime, end: datetime) -> dict[str, int] | None:
    """直报 counts (submitted, adopted_full, adopted_summary, not_adopted); ``None`` without bulletins."""
    counts = _selector("qingting.web.bulletins.selectors", "submission_counts")
    if counts is None:
        return None
    raw = counts(unit_ids, start, end)
    return {key: int(_field(raw, key) or 0) for key in ("submitted", "adopted_full", "adopted_summary", "not_adopted")}


def release_counts(unit_ids: list[int], start: datetime, end: datetime) -> tuple[Any, ...] | None:
    """Releases published per own channel and corrected (信息准确率); ``None`` without releases."""
    from qingting.reports.figures import ChannelReleases

    counts = _selector("qingting.web.releases.selectors", "release_counts")
    if counts is None:
        return None
    return tuple(
        ChannelReleases(str(_field(r, "channel")), int(_field(r, "published")), int(_field(r, "corrected")))
        for r in counts(unit_ids, start, end)
    )


def responsibility_figures(unit: Unit, first: date, last: date, start: datetime, end: datetime) -> Any:
    """The responsibility system's figures (ledger, channels); ``None`` without the ledger app.

    Tasks, meetings, duty, training and registers: ``ledger.selectors.ledger_figures`` over the local
    days ``[first, last]`` for ``unit`` and below; the assessment: the latest one finished in the
    period (``ledger.selectors.finished_assessments``); own channels: their latest inspection
    verdict in the period (``channels.selectors.verdict_counts``).
    """
    from qingting.reports.figures import ResponsibilityFigures

    figures = _selector("qingting.web.ledger.selectors", "ledger_figures")
    if figures is None:
        return None
    lf = figures(unit, first, last)
    labels = {"joint": "联席会议", "consult": "舆情会商研判", "topic": "专题研究会"}
    finished = _selector("qingting.web.ledger.selectors", "finished_assessments")
    title, ranking = finished(unit, first, last) if finished is not None else ("", [])
    verdicts = _selector("qingting.web.channels.selectors", "verdict_counts")
    channels = None
    if verdicts is not None:
        v = verdicts(subtree_ids(unit), start, end)
        channels = (int(v.get("pass", 0)), int(v.get("fail", 0)), int(v.get("undetermined", 0)))
    return ResponsibilityFigures(
        tasks_created=lf.tasks_created,
        tasks_due=lf.tasks_due,
        tasks_done_on_time=lf.tasks_done_on_time,
        tasks_overdue=lf.tasks_overdue,
        tasks_closed=lf.tasks_closed,
        meetings=tuple((labels.get(k, k), int(n)) for k, n in lf.meetings.items()),
        meeting_decisions=lf.meeting_decisions,
        duty_required_days=lf.duty_required_days,
        duty_gap_days=lf.duty_gap_days,
        handovers=lf.handovers,
        drills=lf.drills,
        trainings=lf.trainings,
        training_hours=lf.training_hours,
        training_participants=lf.training_participants,
        experts=lf.experts,
        equipment=lf.equipment,
        equipment_overdue=lf.equipment_overdue,
        assessment=tuple(ranking),
        assessment_title=title,
        channels=channels,
    )


def bulletin_count(unit_ids: list[int], start: datetime, end: datetime) -> int:
    """舆情专报 issued in the period: the bulletins archived through :func:`services.report_archive`."""
    from qingting.web.reporting.models import IssuedReport, ReportKind

    return IssuedReport.objects.filter(
        kind=ReportKind.BULLETIN, unit_id__in=unit_ids, issued_at__gte=start, issued_at__lt=end
    ).count()


# --- the reports' figures ------------------------------------------------------------------------


def _daily(unit_ids: list[int], period: Period) -> Any:
    return DailyCount.objects.filter(source__unit_id__in=unit_ids, day__gte=period.start, day__lte=period.end)


def items_total(unit_ids: list[int], period: Period) -> int:
    return int(_daily(unit_ids, period).aggregate(n=Sum("n"))["n"] or 0)


def _sentiment_model(unit: Unit) -> str:
    """The name of the sentiment model that scored ``unit``'s items, for the report's text."""
    from qingting.web.sentiment.selectors import model_in_use
    from qingting.web.sentiment.services import organisation_of

    return model_in_use(organisation_of(unit)).text()


def period_figures(unit: Unit, period_label: str, *, top_events: int = 10) -> PeriodFigures:
    """Figures of a periodic analysis report (舆情分析报告) for ``unit`` and its descendants.

    Items count by their source's unit; events are those with an item of the unit's sources or
    about its places (decision 0061).
    """
    period = _parse(period_label)
    ids = subtree_ids(unit)
    start, end = _bounds(period)
    daily = _daily(ids, period)
    per_day = dict(daily.values_list("day").annotate(n=Sum("n")).values_list("day", "n"))
    volume = tuple((d, int(per_day.get(d, 0))) for d in _days(period.start, period.end))
    mix = dict(daily.values_list("sentiment_label").annotate(n=Sum("n")).values_list("sentiment_label", "n"))
    sentiment = SentimentMix(
        positive=int(mix.get("positive", 0)),
        neutral=int(mix.get("neutral", 0)),
        negative=int(mix.get("negative", 0)),
        model=_sentiment_model(unit),
    )
    sources = tuple(
        (name, int(n))
        for name, n in daily.values_list("source__name").annotate(n=Sum("n")).values_list("source__name", "n")
        if n
    )
    kind_labels = {k: str(label) for k, label in SourceKind.choices}
    kinds = tuple(
        (kind_labels.get(k, k), int(n))
        for k, n in daily.values_list("source__kind").annotate(n=Sum("n")).values_list("source__kind", "n")
        if n
    )
    regions = tuple(
        (region, int(n))
        for region, n in daily.exclude(region="").values_list("region").annotate(n=Sum("n")).values_list("region", "n")
        if n
    )
    events = list(
        events_of_units(ids)
        .filter(first_seen__lt=end, last_seen__gte=start, merged_into__isnull=True)
        .order_by("-heat", "id")[:top_events]
    )
    in_period = dict(
        items_of_units(ids)
        .filter(event__in=events, published_at__gte=start, published_at__lt=end)
        .values_list("event")
        .annotate(n=Count("id"))
        .values_list("event", "n")
    )
    top = tuple(
        EventFigure(
            title=e.title,
            items=int(in_period.get(e.pk, 0)),
            heat=e.heat,
            trend=e.trend,
            first_seen=timezone.localtime(e.first_seen).date(),
            negative_share=e.negative_share,  # over its items as labelled now (decision 0131)
        )
        for e in events
    )
    previous = period.previous()
    return PeriodFigures(
        scope=unit.name,
        period=period,
        volume=volume,
        sentiment=sentiment,
        top_events=top,
        sources=sources,
        regions=regions,
        warnings_by_tier=warning_counts(ids, start, end),
        previous_total=items_total(ids, previous),
        source_kinds=kinds,
    )


def work_figures(unit: Unit, period_label: str) -> WorkFigures:
    """Figures of a work report (工作情况报告) for ``unit`` and its descendants."""
    period = _parse(period_label)
    ids = subtree_ids(unit)
    start, end = _bounds(period)
    cases = case_numbers(ids, start, end)
    submissions = submission_counts(ids, start, end)
    return WorkFigures(
        scope=unit.name,
        period=period,
        items_monitored=items_total(ids, period),
        warnings_by_tier=warning_counts(ids, start, end),
        bulletins=bulletin_count(ids, start, end),
        cases_received=None if cases is None else cases.received,
        cases_closed=None if cases is None else cases.closed,
        cases_on_time=None if cases is None else cases.on_time,
        cases_due=None if cases is None else cases.due,
        median_handling_hours=None if cases is None else cases.median_hours,
        units=() if cases is None else cases.units,
        submitted=None if submissions is None else submissions["submitted"],
        bulletins_adopted=None if submissions is None else submissions["adopted_full"] + submissions["adopted_summary"],
        releases=release_counts(ids, start, end),
        responsibility=responsibility_figures(unit, period.start, period.end, start, end),
    )


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def figures_json(figures: Any) -> dict[str, Any]:
    """A figures dataclass as JSON for the archive (dates as ISO strings)."""

    def convert(value: Any) -> Any:
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, dict):
            return {str(k): convert(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [convert(v) for v in value]
        return value

    data = asdict(figures) if is_dataclass(figures) and not isinstance(figures, type) else dict(figures)
    return dict(convert(data))


def due_period(kind: str, today: date) -> str:
    """The last complete period of ``kind`` on local day ``today`` (a monthly report on 1 November
    is October's)."""
    if kind == "daily":
        return (today - timedelta(days=1)).isoformat()
    if kind == "weekly":
        year, week, _ = (today - timedelta(days=today.isoweekday())).isocalendar()
        return f"{year}-W{week:02d}"
    if kind == "monthly":
        last = today.replace(day=1) - timedelta(days=1)
        return f"{last.year}-{last.month:02d}"
    if kind == "quarterly":
        q = (today.month - 1) // 3
        return f"{today.year}-Q{q}" if q else f"{today.year - 1}-Q4"
    if kind == "half":
        return f"{today.year}-H1" if today.month > 6 else f"{today.year - 1}-H2"
    if kind == "annual":
        return str(today.year - 1)
    raise ValueError(f"no schedule for {kind!r} reports")
