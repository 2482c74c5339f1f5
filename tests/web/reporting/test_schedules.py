"""Scheduled reports: generated once per period, archived, e-mailed with attachments (aiosmtpd on loopback)."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from datetime import date, datetime
from email import policy
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from django.core.exceptions import PermissionDenied, ValidationError

from qingting.web import periodic
from qingting.web.reporting.jobs import due_period, run_schedules
from qingting.web.reporting.models import IssuedReport, ScheduledRun
from qingting.web.reporting.services import schedule_create

SH = ZoneInfo("Asia/Shanghai")


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.QINGTING_REPORTS_SMTP = {"host": "127.0.0.1", "port": port, "sender": "qingting@example.org"}
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.mark.parametrize(
    ("kind", "today", "label"),
    [
        ("daily", date(2026, 2, 1), "2026-01-31"),
        ("weekly", date(2026, 2, 4), "2026-W05"),
        ("monthly", date(2026, 2, 1), "2026-01"),
        ("monthly", date(2026, 1, 15), "2025-12"),
        ("quarterly", date(2026, 2, 1), "2025-Q4"),
        ("half", date(2026, 7, 1), "2026-H1"),
        ("annual", date(2026, 2, 1), "2025"),
    ],
)
def test_due_period_is_the_last_complete_one(kind: str, today: date, label: str) -> None:
    assert due_period(kind, today) == label


def test_schedule_is_generated_once_archived_and_emailed(seeded: dict[str, Any], smtp: Inbox) -> None:
    schedule = schedule_create(
        actor=None,
        kind="monthly",
        unit=seeded["east"],
        recipients=["a@example.org", "b@example.org"],
        formats=["docx", "html"],
    )
    now = datetime(2026, 2, 1, 0, 10, tzinfo=SH)  # ten minutes into February, local time
    assert "reporting.schedules" in {j.name for j in periodic.jobs()}
    assert run_schedules(now) == 1
    assert run_schedules(now) == 0  # again (another tick, another host): nothing new
    report = IssuedReport.objects.get()
    assert report.period_label == "2026-01" and report.issued_by is None
    assert report.issued_by_label == f"system (schedule {schedule.pk})"
    assert len(smtp.messages) == 1
    recipients, msg = smtp.messages[0]
    assert sorted(recipients) == ["a@example.org", "b@example.org"]
    assert msg["Subject"] == report.title
    names = sorted(part.get_filename() for part in msg.iter_attachments())
    assert names == sorted([f"{report.title}.docx", f"{report.title}.html"])
    docx = next(p for p in msg.iter_attachments() if p.get_filename().endswith(".docx")).get_content()
    assert bytes(report.docx) == docx
    assert ScheduledRun.objects.get().state == "sent"


def test_failed_delivery_is_retried_then_given_up(seeded: dict[str, Any], settings: Any) -> None:
    settings.QINGTING_REPORTS_SMTP = {"host": "127.0.0.1", "port": _free_port(), "sender": "q@example.org"}
    schedule_create(actor=None, kind="daily", unit=seeded["west"], recipients=["x@example.org"], formats=["html"])
    now = datetime(2026, 2, 2, 8, tzinfo=SH)
    for _ in range(5):
        run_schedules(now)
    run = ScheduledRun.objects.get()
    assert run.state == "failed" and run.attempts == 3 and "Error" in run.error
    assert IssuedReport.objects.count() == 1  # generated once, sending retried


def test_schedules_need_an_admin_and_valid_addresses(seeded: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        schedule_create(
            actor=seeded["east_analyst"], kind="monthly", unit=seeded["east"], recipients=["a@b.cn"], formats=["docx"]
        )
    with pytest.raises(ValidationError, match="not an e-mail address"):
        schedule_create(actor=None, kind="monthly", unit=seeded["east"], recipients=["nobody"], formats=["docx"])
