"""Demo ledger for ``qingting demo``: tasks open, overdue and closed (one from the leader's
instructions on the demo bulletin), a 舆情会商研判 meeting, a duty plan through the next key date
with one gap, training records, an expert, equipment with one overdue self-check, and a finished
assessment of last year's townships with a ranking; this year's scheme is computed on demand.

Everything goes through the services (the audit trail reads like real use). Idempotent.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from qingting.core.cases.calendar import CHINA_TZ
from qingting.web.accounts.models import Unit, UnitKind, User
from qingting.web.ledger import assessment, selectors, services
from qingting.web.ledger.models import AssessmentRun, Task

DEMO_INDICATORS: list[dict[str, Any]] = [
    {
        "name": "网民诉求办结率",
        "metric": "case_closure_rate",
        "role": "score",
        "weight": 20,
        "full_at": 100,
        "zero_at": 60,
    },
    {"name": "按时办结率", "metric": "case_on_time_rate", "role": "score", "weight": 20, "full_at": 100, "zero_at": 60},
    {
        "name": "台账任务按期完成率",
        "metric": "task_completion_rate",
        "role": "score",
        "weight": 25,
        "full_at": 100,
        "zero_at": 50,
    },
    {
        "name": "培训学习（次）",
        "metric": "training_sessions",
        "role": "score",
        "weight": 15,
        "full_at": 4,
        "zero_at": 0,
    },
    {"name": "培训学时", "metric": "training_hours", "role": "score", "weight": 10, "full_at": 8, "zero_at": 0},
    {"name": "向上级直报（期）", "metric": "submissions", "role": "score", "weight": 10, "full_at": 2, "zero_at": 0},
    {"name": "逾期台账任务", "metric": "tasks_overdue", "role": "deduction", "weight": 10, "per": 2},
    {"name": "设备自查逾期", "metric": "equipment_overdue", "role": "deduction", "weight": 5, "per": 1},
    {"name": "直报被采用", "metric": "submissions_adopted", "role": "bonus", "weight": 5, "per": 1},
    {"name": "工作创新（考核组认定）", "metric": "manual", "role": "bonus", "weight": 3, "per": 1},
    {"name": "重要节点值班空档（天）", "metric": "duty_gap_days", "role": "veto", "full_at": 1},
]


def _user(name: str) -> User | None:
    return User.objects.filter(username=name).first()


def _at(day: date, hour: int = 0) -> datetime:
    return datetime.combine(day, time(0), tzinfo=CHINA_TZ) + timedelta(hours=hour)


def seed(setup: Any) -> str:
    office = setup.office
    if Task.objects.filter(issuing_unit=office).exists():
        return "ledger: demo ledger already present"
    leader, admin, handler, analyst = (_user(n) for n in ("demo_leader", "demo_admin", "demo_handler", "demo_analyst"))
    if leader is None or admin is None or handler is None or analyst is None:
        return "ledger: skipped (demo users missing)"
    townships = list(Unit.objects.filter(parent=office, kind=UnitKind.TOWNSHIP).order_by("pk"))
    departments = list(Unit.objects.filter(parent=office, kind=UnitKind.DEPARTMENT).order_by("pk"))
    if not townships or not departments:
        return "ledger: skipped (demo units missing)"
    now = timezone.now()
    today = timezone.localdate(now)
    rng = random.Random(14)
    with transaction.atomic():
        made = _tasks(office, townships, departments, leader, handler, analyst, today)
        gap = _duty(office, admin, leader, handler, analyst, today)
        _registers(office, townships, admin, leader, handler, analyst, today)
        ranking = _assessment(office, townships, admin, leader, handler, today, rng)
    services.selfcheck_tasks(now)
    return (
        f"ledger: {made} tasks (open, overdue, closed), a meeting, duty plan through {gap[0]} with a gap on "
        f"{gap[1]}, training, an expert, equipment (one self-check overdue), "
        f"{today.year - 1} assessment finished ({ranking})"
    )


def _tasks(
    office: Unit, townships: list[Unit], departments: list[Unit], leader: Any, handler: Any, analyst: Any, today: date
) -> int:
    from qingting.web.bulletins.models import Bulletin
    from qingting.web.monitoring.models import Event

    events = list(
        Event.objects.filter(organisation=office, merged_into__isnull=True)
        .order_by("-heat")
        .values_list("pk", flat=True)[:2]
    )
    meeting = services.meeting_record(
        actor=leader,
        unit=office,
        kind="consult",
        title="近期网络舆情会商研判会",
        day=today - timedelta(days=3),
        units_present=[office, *departments[:2], townships[0]],
        event_ids=events,
        decisions="一、县水务局当日发布停水抢修进度\n二、柳湾镇安排专人回应网民留言\n三、县委网信办加强夜间监测",
    )
    n = 0
    specs = [  # (unit, title, source, start offset, working days, outcome)
        (departments[0], "发布停水抢修进度并回应网民", "meeting", -3, 1, "closed"),
        (townships[0], "安排专人回应网民留言", "meeting", -3, 5, "progress"),
        (office, "加强夜间舆情监测", "meeting", -3, 10, "open"),
        (departments[1], "核实入学政策争议并公开答复", "document", -20, 5, "overdue"),
        (townships[1], "开展网络意识形态工作自查", "document", -40, 15, "done"),
        (townships[2], "整改政务新媒体长期未更新问题", "document", -30, 10, "overdue"),
    ]
    for unit, title, source, offset, days, outcome in specs:
        start = today + timedelta(days=offset)
        task = services.task_create(
            actor=leader,
            issuing_unit=office,
            unit=unit,
            assignee=handler,
            title=title,
            source=source,
            start=start,
            working_days=days,
            meeting=meeting if source == "meeting" else None,
            source_ref="" if source == "meeting" else f"青禾网信〔{today.year}〕{n + 3}号",
            now=_at(start, 9),
        )
        n += 1
        if outcome in ("progress", "done", "closed"):
            services.task_progress(actor=handler, task_id=task.pk, text="已部署落实，正在推进。", now=_at(start, 15))
        if outcome in ("done", "closed"):
            done_at = min(timezone.now(), _at(task.due, 16))
            services.task_progress(
                actor=handler,
                task_id=task.pk,
                text="已完成，附工作说明。",
                completes=True,
                files=[("工作说明.txt", f"{title}：已完成。".encode())],
                now=done_at,
            )
        if outcome == "closed":
            services.task_close(actor=leader, task_id=task.pk, note="材料齐全，同意销号。")
    signed = Bulletin.objects.filter(unit=office).exclude(instructions="").order_by("pk").first()
    if signed is not None:
        services.task_from_bulletin(
            actor=leader, bulletin_id=signed.pk, unit=departments[0], assignee=handler, working_days=3
        )
        n += 1
    return n


def _duty(office: Unit, admin: Any, leader: Any, handler: Any, analyst: Any, today: date) -> tuple[str, str]:
    """Shifts from today through the next key date (a demo key date a week ahead when the calendar
    has none sooner): day 08:00–20:00 and night 20:00–08:00, except that the key date's day shift
    ends at 18:00 — the one gap the duty page shows."""
    from qingting.web.warnings.services import key_date_add

    nxt = selectors.next_key_date(office, today, horizon_days=21)
    if nxt is None or nxt[0] <= today:
        first = today + timedelta(days=7)
        key_date_add(actor=admin, unit=office, label="县人代会会期（演示）", start=first, end=first + timedelta(days=1))
        nxt = (first, "县人代会会期（演示）")
    key = nxt[0]
    last = key + timedelta(days=1)
    people = [handler, analyst]
    d = today
    i = 0
    while d <= last:
        day_end = _at(d, 18 if d == key else 20)  # the key date's evening is left uncovered
        services.duty_shift_add(
            actor=admin, unit=office, start=_at(d, 8), end=day_end, person=people[i % 2], leader=leader
        )
        services.duty_shift_add(
            actor=admin, unit=office, start=_at(d, 20), end=_at(d + timedelta(days=1), 8), person=people[(i + 1) % 2]
        )
        d += timedelta(days=1)
        i += 1
    past = services.duty_shift_add(
        actor=admin,
        unit=office,
        start=_at(today - timedelta(days=1), 8),
        end=_at(today - timedelta(days=1), 20),
        person=handler,
        leader=leader,
    )
    services.handover_write(
        actor=handler,
        shift_id=past.pk,
        happened="处置Ⅲ级预警1条（停水），已转县水务局办理。",
        open_items="等待水务局答复网民。",
    )
    services.drill_record(
        actor=leader,
        unit=office,
        day=today - timedelta(days=60),
        scenario="突发停水舆情应急处置演练",
        participants=[handler, analyst],
        participant_count=18,
    )
    return last.isoformat(), f"{key.isoformat()} 18:00–20:00"


def _registers(
    office: Unit, townships: list[Unit], admin: Any, leader: Any, handler: Any, analyst: Any, today: date
) -> None:
    for i, (topic, form, hours, count) in enumerate(
        [
            ("网络意识形态工作责任制专题学习", "offline", "3", 32),
            ("舆情监测与研判业务培训", "online", "2", 45),
            ("网络安全与保密知识培训", "offline", "2.5", 28),
        ]
    ):
        services.training_record(
            actor=leader,
            unit=office,
            day=today - timedelta(days=20 + 25 * i),
            topic=topic,
            form=form,
            hours=hours,
            participant_count=count,
            attendees=[handler, analyst],
        )
    services.expert_add(
        actor=admin,
        unit=office,
        name="周明远（演示）",
        field="网络传播与舆情研究",
        employer="青禾学院（虚构）",
        consent_date=today - timedelta(days=100),
        consent_note="书面同意入库（演示）",
        contact="138-0000-0000（虚构）",
    )
    for name, kind, last, every, secure in (
        ("网信办内网计算机01", "intranet", 20, 90, True),
        ("网信办外网计算机02", "internet", 120, 90, True),  # self-check overdue
        ("舆情监测大屏", "screen", 40, 180, False),
    ):
        services.equipment_add(
            actor=admin,
            unit=office,
            name=name,
            kind=kind,
            keeper=handler,
            location="县委网信办",
            antivirus=secure,
            password_policy=secure,
            removable_media=secure,
            encryption=kind == "intranet",
            check_every_days=every,
            last_check=today - timedelta(days=last),
        )


def _assessment(
    office: Unit, townships: list[Unit], admin: Any, leader: Any, handler: Any, today: date, rng: random.Random
) -> str:
    """Last year's facts for the townships (tasks, training, holiday duty), the schemes for last
    year and this year, and last year's assessment stored and finished."""
    last_year = today.year - 1
    first, last = date(last_year, 1, 1), date(last_year, 12, 31)
    for k, unit in enumerate(townships):
        for j in range(3 + k % 3):
            due = first + timedelta(days=40 + 50 * j + 3 * k)
            start = due - timedelta(days=14)
            task = services.task_create(
                actor=leader,
                issuing_unit=office,
                unit=unit,
                assignee=handler,
                title=f"{unit.name}第{j + 1}项年度任务",
                source="document",
                start=start,
                due=due,
                source_ref=f"青禾网信〔{last_year}〕{j + 1}号",
                now=_at(start, 9),
            )
            late = rng.random() < 0.15 * (k % 4)
            if not (late and j == 0):
                done = due + timedelta(days=3 if late else -1)
                services.task_progress(
                    actor=handler,
                    task_id=task.pk,
                    text="已完成。",
                    completes=True,
                    files=[("说明.txt", "已完成".encode())],
                    now=_at(done, 16),
                )
                services.task_close(
                    actor=leader, task_id=task.pk, note="同意销号。", now=_at(done + timedelta(days=1), 10)
                )
        for j in range(1 + (k * 2) % 4):
            services.training_record(
                actor=leader,
                unit=unit,
                day=first + timedelta(days=60 + 70 * j + k),
                topic=f"{unit.name}网信业务学习",
                form="online" if j % 2 else "offline",
                hours=str(1.5 + j),
                participant_count=10 + 3 * k,
            )
        # 24-hour duty on every holiday of last year — one township leaves the night of one day open.
        for day in selectors.required_days(unit, first, last):
            missed = k == len(townships) - 1 and day.month == 10 and day.day == 3
            services.duty_shift_add(
                actor=admin, unit=unit, start=_at(day, 0), end=_at(day, 20 if missed else 24), person=handler
            )
    schemes = {}
    for year in (last_year, today.year):
        schemes[year] = assessment.scheme_save(
            actor=admin,
            office=office,
            year=year,
            level=UnitKind.TOWNSHIP,
            name=f"青禾县{year}年度乡镇网信工作考核（演示）",
            indicators=DEMO_INDICATORS,
        )
    manual = schemes[last_year].indicators.get(metric="manual")
    assessment.manual_entry_set(
        actor=admin,
        indicator_id=manual.pk,
        unit=townships[0],
        value=2,
        note="“网格员+舆情”工作法被市委网信办推广（演示）",
        files=[("推广通报.txt", "市委网信办通报（演示）".encode())],
    )
    run = assessment.run_store(actor=admin, scheme=schemes[last_year], period=str(last_year))
    assessment.run_finish(actor=admin, run_id=run.pk)
    run = AssessmentRun.objects.get(pk=run.pk)
    top = run.result["units"][0]
    return f"first {top['unit']} {top['total']:.1f}, {len(run.result['units'])} townships ranked"
