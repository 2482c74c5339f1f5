"""The work report's responsibility-system section: every figure from the ledger's rows, each
cross-checked against a direct query on seeded data, and printed in the document."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from qingting.core.cases.calendar import CHINA_TZ
from qingting.web.ledger import assessment, services
from qingting.web.ledger.models import (
    Drill,
    DutyShift,
    Equipment,
    Expert,
    Meeting,
    Task,
    TaskStatus,
    TrainingSession,
)

from .test_assessment import at, year  # noqa: F401  (the seeded year is a fixture)


def _more(staff: dict[str, Any]) -> None:
    """Meetings, a drill, a handover, an expert and equipment on top of the seeded year."""
    leader, admin = staff["office_leader"], staff["office_admin"]
    services.meeting_record(
        actor=leader, unit=staff["office"], kind="joint", title="网信工作联席会议", day=date(2026, 3, 10),
        units_present=[staff["east"], staff["west"]], decisions="建立周调度机制\n落实值班制度",
    )  # fmt: skip
    services.meeting_record(
        actor=leader, unit=staff["office"], kind="topic", title="停水舆情专题研究会", day=date(2026, 7, 2),
        decisions="水务局每日发布进展",
    )  # fmt: skip
    services.meeting_record(
        actor=leader, unit=staff["office"], kind="topic", title="上年度专题会", day=date(2025, 12, 2)
    )  # last year: not counted
    services.drill_record(actor=leader, unit=staff["east"], day=date(2026, 6, 20), scenario="网络谣言处置演练")
    shift = DutyShift.objects.filter(unit=staff["east"]).order_by("start").first()
    assert shift is not None
    services.handover_write(actor=staff["east_handler"], shift_id=shift.pk, happened="平稳", open_items="")
    services.expert_add(
        actor=admin, unit=staff["office"], name="王专家", field="网络传播", consent_date=date(2026, 1, 5),
        consent_note="书面同意", contact="13800000000",
    )  # fmt: skip
    services.equipment_add(
        actor=admin, unit=staff["east"], name="内网计算机1", kind="intranet", keeper=staff["east_handler"],
        antivirus=True, check_every_days=30, last_check=timezone.localdate() - timedelta(days=60),
    )  # fmt: skip
    services.equipment_add(
        actor=admin, unit=staff["east"], name="外网计算机1", kind="internet", keeper=staff["east_handler"],
        check_every_days=90, last_check=timezone.localdate(),
    )  # fmt: skip


def test_each_work_report_figure_matches_a_direct_query(year: dict[str, Any]) -> None:  # noqa: F811
    from qingting.reports.docx import build_docx
    from qingting.reports.figures import Letterhead, build_work_report
    from qingting.web.accounts.models import Unit
    from qingting.web.reporting.figures import work_figures

    _more(year)
    run = assessment.run_store(actor=year["office_admin"], scheme=year["scheme"], period="2026")
    assessment.run_finish(actor=year["office_admin"], run_id=run.pk)
    office = year["office"]
    figures = work_figures(office, "2026")
    r = figures.responsibility
    assert r is not None

    ids = list(Unit.objects.filter(path__startswith=office.path).values_list("pk", flat=True))
    lo = at(date(2026, 1, 1), 0)
    hi = at(date(2027, 1, 1), 0)
    tasks = Task.objects.filter(unit_id__in=ids)
    assert r.tasks_created == tasks.filter(created_at__gte=lo, created_at__lt=hi).count()
    due = list(tasks.filter(due__year=2026))
    assert r.tasks_due == len(due) == 4
    on_time = [
        t
        for t in due
        if t.done_at is not None
        and t.status in (TaskStatus.DONE, TaskStatus.CLOSED)
        and timezone.localtime(t.done_at, CHINA_TZ).date() <= t.due
    ]
    assert r.tasks_done_on_time == len(on_time) == 2
    assert r.tasks_overdue == len(due) - len(on_time) == 2  # one late, one still open past its due date
    assert r.completion_rate == "50.0%"
    assert r.tasks_closed == tasks.filter(closed_at__gte=lo, closed_at__lt=hi).count()
    meetings = Meeting.objects.filter(unit_id__in=ids, date__year=2026)
    by_kind = dict(r.meetings)
    assert by_kind["联席会议"] == meetings.filter(kind="joint").count() == 1
    assert by_kind["专题研究会"] == meetings.filter(kind="topic").count() == 1
    assert by_kind["舆情会商研判"] == meetings.filter(kind="consult").count() == 0
    assert r.meeting_decisions == sum(len([x for x in m.decisions.splitlines() if x.strip()]) for m in meetings) == 3
    assert r.drills == Drill.objects.filter(unit_id__in=ids, date__year=2026).count() == 1
    assert (
        r.handovers
        == DutyShift.objects.filter(unit_id__in=ids, start__gte=lo, start__lt=hi, handover__isnull=False).count()
        == 1
    )
    sessions = TrainingSession.objects.filter(unit_id__in=ids, date__year=2026)
    assert r.trainings == sessions.count() == 4
    assert r.training_hours == float(sessions.aggregate(h=Sum("hours"))["h"]) == 9.0
    assert r.training_participants == sessions.aggregate(p=Sum("participant_count"))["p"] == 35
    assert r.experts == Expert.objects.filter(unit_id__in=ids).count() == 1
    assert r.equipment == Equipment.objects.filter(unit_id__in=ids).count() == 2
    assert r.equipment_overdue == 1  # checked 60 days ago, every 30 days
    # The office keeps no duty itself: every required day so far is a gap of the office's own plan.
    assert 0 <= r.duty_gap_days <= r.duty_required_days
    # The assessment finished this year: units ranked as stored in the run (units, never people).
    run.refresh_from_db()
    stored = sorted((c["rank"], c["unit"], c["total"]) for c in run.result["units"])
    assert [(rank, unit, total) for rank, unit, total, _ in r.assessment] == stored
    assert r.assessment_title.startswith("2026")

    doc = build_work_report(figures, Letterhead(issuing_unit=office.name, date=date(2026, 12, 31)))
    xml = build_docx(doc)
    text = "\n".join(p.text for p in xml.paragraphs) + "\n".join(
        c.text for t in xml.tables for row in t.rows for c in row.cells
    )
    assert "网络意识形态工作责任制落实情况" in text
    assert f"期内到期{r.tasks_due}项" in text and "完成率50.0%" in text
    assert "召开联席会议1次、专题研究会1次" in text and "形成决定事项3项" in text
    assert f"组织学习培训{r.trainings}次，共9学时，参训35人次" in text
    assert f"{stored[0][1]}得分最高" in text
