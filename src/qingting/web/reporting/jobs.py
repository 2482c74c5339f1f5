"""Scheduled reports: each active schedule's report for the last complete period, once, e-mailed.

:func:`run_schedules` is registered as the periodic job ``reporting.schedules``. It may run late,
twice, or on two hosts at once: a run row unique per (schedule, period) is claimed first, so only
one process generates and sends; a claim left by a crashed process is taken over after
``STALE_AFTER``; a failed delivery is retried on later ticks up to ``MAX_ATTEMPTS`` times.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from qingting.notify import EmailChannel, Message
from qingting.web.audit.services import audit_record
from qingting.web.reporting import services
from qingting.web.reporting.figures import due_period
from qingting.web.reporting.models import ReportSchedule, ScheduledRun
from qingting.web.reporting.views import CONTENT_TYPES

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=30)
MAX_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class ReportEmailChannel(EmailChannel):
    """The notify e-mail channel, with the report files attached."""

    attachments: tuple[tuple[str, str, bytes], ...] = ()  # (file name, content type, data)

    def build(self, message: Message) -> EmailMessage:
        msg = EmailChannel.build(self, message)
        for name, content_type, data in self.attachments:
            main, _, sub = content_type.partition(";")[0].partition("/")
            msg.add_attachment(data, maintype=main, subtype=sub, filename=name)
        return msg


def _claim(schedule: ReportSchedule, label: str, now: datetime) -> ScheduledRun | None:
    """This process's claim on (schedule, period), or ``None`` when another has it or it is done."""
    try:
        with transaction.atomic():
            return ScheduledRun.objects.create(schedule=schedule, period_label=label, claimed_at=now, attempts=1)
    except IntegrityError:
        pass
    retry = Q(state=ScheduledRun.State.CLAIMED, claimed_at__lt=now - STALE_AFTER) | Q(
        state=ScheduledRun.State.FAILED, attempts__lt=MAX_ATTEMPTS
    )
    run = ScheduledRun.objects.filter(retry, schedule=schedule, period_label=label).first()
    if run is None:
        return None
    # Conditional update: of two processes racing for the same stale row, one wins.
    taken = (
        ScheduledRun.objects.filter(pk=run.pk, state=run.state, attempts=run.attempts)
        .filter(retry)
        .update(state=ScheduledRun.State.CLAIMED, claimed_at=now, attempts=F("attempts") + 1)
    )
    if not taken:
        return None
    run.refresh_from_db()
    return run


def _deliver(schedule: ReportSchedule, run: ScheduledRun) -> tuple[bool, str]:
    report = run.report
    assert report is not None
    files: list[tuple[str, str, bytes]] = []
    for fmt in schedule.formats:
        data: Any = {"docx": report.docx, "pdf": report.pdf, "html": report.html}.get(fmt)
        if data is None:
            continue
        body = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        files.append((f"{report.title}.{fmt}", CONTENT_TYPES[fmt], body))
    smtp = settings.QINGTING_REPORTS_SMTP
    channel = ReportEmailChannel(
        host=smtp["host"],
        port=smtp["port"],
        sender=smtp["sender"],
        recipients=tuple(schedule.recipient_list),
        username=smtp.get("username", ""),
        password=smtp.get("password", ""),
        starttls=bool(smtp.get("starttls")),
        use_ssl=bool(smtp.get("use_ssl")),
        allow_hosts=frozenset({smtp["host"].strip().lower()}),  # the operator's own mail server
        attachments=tuple(files),
    )
    text = f"{report.title}（{report.unit.name}，{report.period_label}），由倾听系统按计划自动生成，见附件。"
    message = Message(title=report.title, text_zh=text, text_en=f"Scheduled report: {report.title} (attached).")
    delivery = channel.send(message)
    return delivery.ok, delivery.error


def run_one(schedule: ReportSchedule, now: datetime) -> str | None:
    """Generate, archive and e-mail ``schedule``'s due report if this process claims it."""
    label = due_period(schedule.kind, timezone.localtime(now).date())
    run = _claim(schedule, label, now)
    if run is None:
        return None
    try:
        if run.report is None:
            report = services.report_issue(
                actor=None,
                kind=schedule.kind,
                unit=schedule.unit,
                period_label=label,
                template=schedule.template,
                with_pdf="pdf" in schedule.formats,
                issued_by_label=f"system (schedule {schedule.pk})",
            )
            run.report = report
            run.save(update_fields=["report"])
        ok, error = _deliver(schedule, run)
    except Exception as exc:  # one bad schedule must not stop the others; recorded and retried
        log.exception("scheduled report %s for %s failed", schedule.pk, label)
        ok, error = False, f"{type(exc).__name__}: {exc}"
    with transaction.atomic():
        run.state = ScheduledRun.State.SENT if ok else ScheduledRun.State.FAILED
        run.error = error[:1000]
        run.finished_at = timezone.now()
        run.save(update_fields=["state", "error", "finished_at"])
        audit_record(
            actor=None,
            action="report_schedule.sent" if ok else "report_schedule.failed",
            obj=schedule,
            new={"period": label, "report": run.report_id, "recipients": schedule.recipient_list},
            reason=error[:200],
        )
    return f"{schedule.pk}:{label}:{run.state}"


def run_schedules(now: datetime) -> int:
    """The periodic job: every active schedule's due report, once. Returns how many were handled."""
    done = 0
    for schedule in ReportSchedule.objects.filter(is_active=True).select_related("unit", "template"):
        if run_one(schedule, now) is not None:
            done += 1
    return done
