"""Demo data for reports: the office's own monthly template, and last month's monthly report archived
when the demo stream reaches into last month (else yesterday's daily report), plus the last
complete week's, which a demo stream of 7 days or more covers."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from qingting.web.monitoring.models import Item
from qingting.web.reporting import services
from qingting.web.reporting.figures import due_period, period_bounds
from qingting.web.reporting.models import IssuedReport, ReportTemplate

KIND_NAMES = {"daily": "daily", "weekly": "weekly", "monthly": "monthly"}


def seed(setup: Any) -> str:
    """Idempotent: the template and each report are made once."""
    office = setup.office
    template = ReportTemplate.objects.filter(unit=office, kind="monthly", name="青禾县舆情月报（演示）").first()
    if template is None:
        template = services.template_save(
            actor=None,
            unit=office,
            name="青禾县舆情月报（演示）",
            kind="monthly",
            is_default=True,
            lead="现将{period}{scope}网络舆情监测情况报告如下。",
            closing="以上数据均由倾听系统自动统计生成。",
            mark="青禾县委网信办",
            issuer="青禾县委网信办（演示）",
            number_prefix="青禾舆",
            addressee="县委办公室、县政府办公室",
            copy_to="县委宣传部\n县政务服务中心",
        )
    today = timezone.localdate()
    made = []
    plan: list[tuple[str, ReportTemplate | None]] = [("monthly", template), ("weekly", None)]
    # Last month's report only when the demo stream reaches into last month (the stream is the
    # last --days days): an archived month of zeros would look like a fault. Else yesterday's.
    start, end = period_bounds(due_period("monthly", today))
    if not Item.objects.filter(
        source__unit__path__startswith=office.path, published_at__gte=start, published_at__lt=end
    ).exists():
        plan[0] = ("daily", None)
    for kind, template_used in plan:
        label = due_period(kind, today)
        if not IssuedReport.objects.filter(unit=office, kind=kind, period_label=label).exists():
            services.report_issue(
                actor=None,
                kind=kind,
                unit=office,
                period_label=label,
                template=template_used,
                with_pdf=False,  # made from the DOCX on first download (LibreOffice may be absent here)
                issued_by_label="system (demo)",
            )
        made.append(f"{KIND_NAMES[kind]} {label}")
    return f"reports: template 青禾县舆情月报（演示）, archived {' and '.join(made)}"
