"""Meetings and the registers: training with attendance, experts with consent and an encrypted
contact, equipment with self-checks and one self-check task at a time."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from qingting.web.ledger import selectors, services
from qingting.web.ledger.models import Expert, Task, TrainingSession


def test_meeting_with_units_decisions_and_the_tasks_it_created(staff: dict[str, Any]) -> None:
    m = services.meeting_record(
        actor=staff["office_leader"],
        unit=staff["office"],
        kind="consult",
        title="停水舆情会商研判",
        day=date(2026, 9, 29),
        units_present=[staff["east"], staff["west"]],
        decisions="一、东街道三日内答复\n二、水务局公布抢修进度",
    )
    services.task_create(
        actor=staff["office_leader"],
        issuing_unit=staff["office"],
        unit=staff["east"],
        assignee=staff["east_handler"],
        title="三日内答复网民",
        source="meeting",
        meeting=m,
        start=date(2026, 9, 29),
        working_days=3,
    )
    assert m.decision_lines == ["一、东街道三日内答复", "二、水务局公布抢修进度"]
    assert [t.title for t in m.tasks.all()] == ["三日内答复网民"]
    assert set(m.units_present.all()) == {staff["east"], staff["west"]}
    with pytest.raises(ValidationError) as exc:
        services.meeting_record(
            actor=staff["office_leader"], unit=staff["office"], kind="party", title="x", day=date(2026, 1, 1)
        )
    assert "kind" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.meeting_record(
            actor=staff["office_leader"],
            unit=staff["office"],
            kind="joint",
            title="x",
            day=date(2026, 1, 1),
            event_ids=[999999],
        )
    assert "events" in exc.value.message_dict


def test_training_with_attendance_and_bad_hours(staff: dict[str, Any]) -> None:
    s = services.training_record(
        actor=staff["east_leader"],
        unit=staff["east"],
        day=date(2026, 4, 8),
        topic="网络意识形态工作专题学习",
        form="offline",
        hours="2.5",
        participant_count=20,
        attendees=[staff["east_handler"], staff["east_analyst"]],
    )
    assert float(s.hours) == 2.5 and s.attendees.count() == 2
    for bad, field in (
        (dict(hours="abc"), "hours"),
        (dict(hours=0), "hours"),
        (dict(form="radio"), "form"),
        (dict(attendees=[staff["west_handler"]]), "attendees"),
        (dict(participant_count=0), "participant_count"),
    ):
        args = dict(
            actor=staff["east_leader"], unit=staff["east"], day=date(2026, 4, 9), topic="t", form="online", hours=1
        )
        args.update(bad)
        with pytest.raises(ValidationError) as exc:
            services.training_record(**args)
        assert field in exc.value.message_dict
    assert TrainingSession.objects.count() == 1
    assert selectors.training_figures([staff["east"].pk], date(2026, 1, 1), date(2026, 12, 31)) == {
        staff["east"].pk: {"sessions": 1, "hours": 2.5, "people": 20}
    }


def test_expert_needs_consent_contact_encrypted_and_visible_by_rule(staff: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as exc:
        services.expert_add(
            actor=staff["office_admin"],
            unit=staff["office"],
            name="李教授",
            field="网络传播",
            consent_date=None,
            consent_note="",
        )
    assert "consent_date" in exc.value.message_dict
    e = services.expert_add(
        actor=staff["office_admin"],
        unit=staff["office"],
        name="李教授",
        field="网络传播",
        employer="青禾学院",
        consent_date=date(2026, 3, 1),
        consent_note="书面同意书（存档）",
        contact="13800000000",
        visibility="admins",
    )
    with connection.cursor() as cur:
        cur.execute("SELECT contact FROM ledger_expert WHERE id = %s", [e.pk])
        stored = cur.fetchone()[0]
    assert "13800000000" not in stored
    e = Expert.objects.get(pk=e.pk)
    assert selectors.expert_contact(staff["office_leader"], e) == "13800000000"
    assert selectors.expert_contact(staff["east_handler"], e) is None  # not an admin or leader of the office
    from qingting.web.audit.models import AuditEntry

    assert "13800000000" not in str(list(AuditEntry.objects.values_list("new", flat=True)))


def test_equipment_self_check_task_once_and_overdue(staff: dict[str, Any]) -> None:
    today = timezone.localdate()
    item = services.equipment_add(
        actor=staff["office_admin"],
        unit=staff["east"],
        name="网信办内网计算机01",
        kind="intranet",
        keeper=staff["east_handler"],
        antivirus=True,
        check_every_days=30,
        last_check=today - timedelta(days=40),
    )
    fine = services.equipment_add(
        actor=staff["office_admin"],
        unit=staff["east"],
        name="舆情监测大屏",
        kind="screen",
        keeper=staff["east_handler"],
        check_every_days=90,
        last_check=today - timedelta(days=5),
    )
    assert selectors.check_overdue(item, today) and not selectors.check_overdue(fine, today)
    assert selectors.equipment_overdue([staff["east"].pk], today) == {staff["east"].pk: [item.pk]}
    assert services.selfcheck_tasks() == 1
    assert services.selfcheck_tasks() == 0  # one open task per item
    task = Task.objects.get(equipment=item)
    assert task.source == "self_check" and task.assignee == staff["east_handler"]
    with pytest.raises(ValidationError) as exc:
        services.equipment_check(
            actor=staff["east_handler"],
            equipment_id=item.pk,
            day=today + timedelta(days=1),
            antivirus=True,
            password_policy=True,
            removable_media=True,
            encryption=True,
        )
    assert "date" in exc.value.message_dict
    services.equipment_check(
        actor=staff["east_handler"],
        equipment_id=item.pk,
        day=today,
        antivirus=True,
        password_policy=True,
        removable_media=True,
        encryption=False,
    )
    item.refresh_from_db()
    task.refresh_from_db()
    assert item.last_check == today and item.password_policy and task.status == "done"
    assert selectors.equipment_overdue([staff["east"].pk], today) == {}
