"""The quarterly inspection report of a unit's channels (DOCX/PDF after GB/T 9704).

Figures from the stored inspections: for each channel of the unit and its descendants, the
latest inspection in the period; the document itself is :mod:`qingting.reports.inspections`.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone, translation

from qingting.core.inspection import Inspection as Result
from qingting.reports.figures import Letterhead, Period
from qingting.reports.inspections import ChannelInspectionRow, InspectionFigures, build_inspection_report
from qingting.reports.model import Document
from qingting.web.accounts.models import Unit
from qingting.web.channels.messages import finding_text
from qingting.web.channels.models import Channel, ChannelState, Inspection


def _bounds(period: Period) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(period.start, time.min), tz)
    end = timezone.make_aware(datetime.combine(period.end + timedelta(days=1), time.min), tz)
    return start, end


def inspection_figures(unit: Unit, period_label: str) -> InspectionFigures:
    """Each channel of ``unit`` (and below) with its latest inspection in the period."""
    period = Period.parse(period_label)
    start, end = _bounds(period)
    channels = list(
        Channel.objects.filter(unit__path__startswith=unit.path)
        .exclude(state=ChannelState.CLOSED, closed_on__lt=period.start)
        .select_related("unit")
        .order_by("unit__path", "kind", "name")
    )
    rows = Inspection.objects.filter(channel__in=channels, checked_at__gte=start, checked_at__lt=end).order_by(
        "channel_id", "-checked_at", "-id"
    )
    latest: dict[int, Inspection] = {}
    counts: dict[int, list[int]] = {}
    for r in rows:
        latest.setdefault(r.channel_id, r)
        c = counts.setdefault(r.channel_id, [0, 0])
        c[0] += 1
        c[1] += r.verdict == "fail"
    out = []
    for ch in channels:
        row = latest.get(ch.pk)
        result = Result.from_dict(row.result) if row is not None else None
        faults = (
            tuple(
                finding_text(f, lang="zh") for f in result.findings if f.severity in ("veto", "deduction", "unreadable")
            )[:8]
            if result
            else ()
        )
        out.append(
            ChannelInspectionRow(
                channel=ch.name,
                kind=ch.get_kind_display(),
                unit=ch.unit.name,
                verdict=row.verdict if row else "",
                score=row.score if row else None,
                last_update=(
                    timezone.localtime(
                        datetime.fromtimestamp(result.last_update, tz=timezone.get_current_timezone())
                    ).date()
                    if result and result.last_update
                    else None
                ),
                longest_silence_days=result.longest_silence_days if result else None,
                inspections=counts.get(ch.pk, [0, 0])[0],
                failed=counts.get(ch.pk, [0, 0])[1],
                faults=faults,
            )
        )
    return InspectionFigures(scope=unit.name, period=period, rows=tuple(out))


def inspection_report(unit: Unit, period_label: str, *, day: datetime | None = None) -> Document:
    """The report as a document; always in Chinese (kinds and states by their Chinese labels)."""
    with translation.override("zh-hans"):
        figures = inspection_figures(unit, period_label)
    head = Letterhead(issuing_unit=unit.name, date=timezone.localdate(day) if day else timezone.localdate())
    return build_inspection_report(figures, head)
