"""The task ledger: creation with a working-day deadline, progress with evidence, closure, states,
reminders and escalation through the warnings outbox, tasks from bulletins and cases."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from qingting.web.audit.models import AuditEntry
from qingting.web.ledger import selectors, services
from qingting.web.ledger.models import Evidence, Progress, Task

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


def _task(s: dict[str, Any], **kw: Any) -> Task:
    args: dict[str, Any] = {
        "actor": s["office_leader"],
        "issuing_unit": s["office"],
        "unit": s["east"],
        "assignee": s["east_handler"],
        "title": "核查柳湾镇停水舆情并答复",
        "source": "document",
        "start": date(2026, 9, 28),
        "working_days": 3,
    }
    args.update(kw)
    return services.task_create(**args)


def test_deadline_counts_working_days_over_the_national_day_holiday(staff: dict[str, Any]) -> None:
    # 2026-09-28 (Mon) + 3 working days: 29, 30 September, then the holiday 1–7 October; 9 October
    # (Sat) is not a working day in 2026? The calendar decides: the test asks the same calendar.
    task = _task(staff)
    cal = selectors.calendar()
    assert task.due == cal.add_working_days(date(2026, 9, 28), 3).due_date
    assert task.due > date(2026, 10, 7)  # the National Day holiday is skipped
    assert task.status == "not_started"
    assert AuditEntry.objects.filter(action="ledger_task.create", object_id=str(task.pk)).exists()


def test_year_without_official_schedule_carries_the_notice(staff: dict[str, Any]) -> None:
    task = _task(staff, start=date(2031, 3, 2), working_days=5)
    assert "2031" in task.due_notice and "尚无官方放假安排" in task.due_notice


def test_bad_input_names_the_field_and_stores_nothing(staff: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as exc:
        _task(staff, working_days=None, due=date(2026, 9, 1))
    assert "due" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        _task(staff, assignee=staff["west_handler"])  # not staff of east
    assert "assignee" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        _task(staff, unit=staff["office"], issuing_unit=staff["east"], actor=staff["east_leader"])
    assert "unit" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        _task(staff, actor=staff["east_handler"])  # a handler does not issue tasks
    assert Task.objects.count() == 0


def test_progress_evidence_completion_and_closure(staff: dict[str, Any]) -> None:
    task = _task(staff)
    services.task_progress(actor=staff["east_handler"], task_id=task.pk, text="已联系水务局，正在抢修")
    task.refresh_from_db()
    assert task.status == "in_progress"
    with pytest.raises(ValidationError) as exc:  # completing needs evidence
        services.task_progress(actor=staff["east_handler"], task_id=task.pk, text="完成", completes=True)
    assert "files" in exc.value.message_dict
    with pytest.raises(ValidationError):  # a wrong type refuses the whole report
        services.task_progress(
            actor=staff["east_handler"],
            task_id=task.pk,
            text="完成",
            completes=True,
            files=[("说明.pdf", PDF), ("run.exe", b"MZ\x90\x00")],
        )
    assert Progress.objects.filter(task=task).count() == 1 and Evidence.objects.count() == 0
    services.task_progress(
        actor=staff["east_handler"], task_id=task.pk, text="已恢复供水并答复", completes=True, files=[("说明.pdf", PDF)]
    )
    task.refresh_from_db()
    assert task.status == "done" and task.done_at is not None
    with pytest.raises(PermissionDenied):  # closure is the issuing unit's
        services.task_close(actor=staff["east_leader"], task_id=task.pk)
    services.task_close(actor=staff["office_leader"], task_id=task.pk, note="同意销号")
    task.refresh_from_db()
    assert task.status == "closed" and task.closed_by == staff["office_leader"]
    with pytest.raises(ValidationError):
        services.task_progress(actor=staff["east_handler"], task_id=task.pk, text="再补充")


def test_oversized_evidence_is_refused(staff: dict[str, Any], settings: Any) -> None:
    settings.QINGTING_CASE_ATTACHMENT_MAX_BYTES = 100
    task = _task(staff)
    with pytest.raises(ValidationError) as exc:
        services.task_progress(actor=staff["east_handler"], task_id=task.pk, text="x", files=[("a.pdf", PDF * 10)])
    assert "data" in exc.value.message_dict
    assert Progress.objects.count() == 0


def test_states_overdue_is_computed_and_scoped(staff: dict[str, Any]) -> None:
    today = timezone.localdate()
    late = _task(staff, start=today - timedelta(days=30), due=today - timedelta(days=1), working_days=None)
    fresh = _task(staff, start=today, working_days=10)
    assert selectors.task_state(late) == "overdue"
    assert selectors.task_state(fresh) == "not_started"
    assert list(selectors.task_list(staff["east_handler"], state="overdue")) == [late]
    assert selectors.task_counts(staff["east_handler"])["overdue"] == 1
    assert not selectors.tasks_for(staff["west_analyst"]).exists()  # west sees nothing of east's


def test_reminder_then_escalation_through_the_outbox_once_each(staff: dict[str, Any]) -> None:
    from qingting.web.warnings.models import Notification, NotificationChannel

    NotificationChannel.objects.create(unit=staff["office"], name="邮件", kind="email", smtp_host="127.0.0.1")
    for user in (staff["east_handler"], staff["office_leader"]):
        user.email = f"{user.username}@example.org"
        user.save()
    now = timezone.now()
    today = timezone.localdate(now)
    cal = selectors.calendar()
    due = cal.add_working_days(today, 1).due_date
    task = _task(staff, start=today, due=due, working_days=None)
    assert services.deadline_alerts(now) == 1
    assert services.deadline_alerts(now) == 0  # once
    rows = list(Notification.objects.filter(kind="reminder"))
    assert [r.recipient for r in rows] == ["east_handler@example.org"]
    assert "即将到期" in rows[0].payload["title"]
    # After the due date: escalated to the responsible person and the issuing unit's leaders.
    later = now + timedelta(days=(due - today).days + 3)
    assert services.deadline_alerts(later) == 1
    assert services.deadline_alerts(later) == 0
    escalated = sorted(
        r.recipient for r in Notification.objects.filter(kind="reminder") if "逾期" in r.payload["title"]
    )
    assert escalated == ["east_handler@example.org", "office_leader@example.org"]
    task.refresh_from_db()
    assert task.reminded_at and task.escalated_at


def test_periodic_job_is_registered() -> None:
    from qingting.web import periodic

    names = {j.name for j in periodic.jobs()}
    assert {"ledger.deadlines", "ledger.selfchecks"} <= names


def test_task_from_bulletin_instructions_in_one_step(staff: dict[str, Any]) -> None:
    from qingting.web.bulletins.models import Bulletin

    b = Bulletin.objects.create(
        unit=staff["office"],
        title="关于柳湾镇停水的舆情专报",
        status="signed",
        instructions="请柳湾镇三日内核实答复",
        signed_by=staff["office_leader"],
        signed_at=timezone.now(),
        year=2026,
        seq=3,
    )
    task = services.task_from_bulletin(
        actor=staff["office_leader"],
        bulletin_id=b.pk,
        unit=staff["east"],
        assignee=staff["east_handler"],
        working_days=3,
    )
    assert task.source == "instruction" and task.bulletin_id == b.pk
    assert task.description == "请柳湾镇三日内核实答复" and task.source_ref == "〔2026〕第3期"
    with pytest.raises(ValidationError) as exc:
        services.task_from_bulletin(
            actor=staff["west_analyst"],
            bulletin_id=b.pk,
            unit=staff["west"],
            assignee=staff["west_handler"],
            working_days=3,
        )
    assert "bulletin" in exc.value.message_dict


def test_task_from_case_in_one_step(staff: dict[str, Any]) -> None:
    from qingting.web.cases.services import case_create

    case = case_create(actor=None, unit=staff["east"], channel="web", category="complaint", summary="停水三天无人答复")
    task = services.task_from_case(
        actor=staff["office_leader"], case_id=case.pk, assignee=staff["east_handler"], working_days=2
    )
    assert task.source == "case" and task.case_id == case.pk and task.unit == staff["east"]
    assert task.issuing_unit == staff["office"] and str(case.number) in task.title
