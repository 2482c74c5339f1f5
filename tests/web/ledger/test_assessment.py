"""The assessment (考核): scheme validation, figures from the other apps' data cross-checked against
direct queries, traceable rows, ranking with a veto, comparison with the previous period, and the
``qingting assess`` command."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from qingting.core.cases.calendar import CHINA_TZ
from qingting.web.ledger import assessment, selectors, services
from qingting.web.ledger.models import AssessmentScheme, Task, TrainingSession

INDICATORS = [
    {
        "name": "网民诉求办结率",
        "metric": "case_closure_rate",
        "role": "score",
        "weight": 30,
        "full_at": 100,
        "zero_at": 50,
    },
    {"name": "按时办结率", "metric": "case_on_time_rate", "role": "score", "weight": 30, "full_at": 100, "zero_at": 50},
    {
        "name": "台账任务按期完成率",
        "metric": "task_completion_rate",
        "role": "score",
        "weight": 20,
        "full_at": 100,
        "zero_at": 0,
    },
    {"name": "培训学习", "metric": "training_sessions", "role": "score", "weight": 20, "full_at": 4, "zero_at": 0},
    {"name": "逾期台账任务", "metric": "tasks_overdue", "role": "deduction", "weight": 10, "per": 2},
    {"name": "直报被采用", "metric": "submissions_adopted", "role": "bonus", "weight": 5, "per": 1},
    {"name": "重要节点值班空档", "metric": "duty_gap_days", "role": "veto", "full_at": 1},
    {"name": "创新工作", "metric": "manual", "role": "bonus", "weight": 3, "per": 1},
]


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=CHINA_TZ)


def _case(unit: Any, n: int, received: datetime, closed: datetime | None, due: datetime, status: str) -> Any:
    from qingting.web.cases.models import Case

    return Case(
        unit=unit,
        number=f"T{unit.pk}-{n}",
        year=received.year,
        seq=n,
        channel="web",
        category="complaint",
        summary=f"诉求{n}",
        status=status,
        is_open=closed is None,
        received_at=received,
        updated_at=closed or received,
        closed_at=closed,
        close_due=due,
    )


@pytest.fixture
def year(staff: dict[str, Any]) -> dict[str, Any]:
    """2026 data: cases, tasks, training; east keeps 24-hour duty on every holiday, west leaves gaps."""
    from qingting.web.cases.models import Case

    east, west, community = staff["east"], staff["west"], staff["east_community"]
    d = date(2026, 3, 2)
    Case.objects.bulk_create(
        [
            _case(east, 1, at(d), at(d + timedelta(days=2)), at(d + timedelta(days=5)), "closed"),  # on time
            _case(community, 2, at(d), at(d + timedelta(days=9)), at(d + timedelta(days=5)), "closed"),  # late
            _case(east, 3, at(d), None, at(d + timedelta(days=5)), "in_progress"),  # open, overdue
            _case(east, 4, at(d), at(d), at(d + timedelta(days=5)), "duplicate"),  # not counted
            _case(west, 5, at(d), at(d + timedelta(days=1)), at(d + timedelta(days=5)), "closed"),
            _case(east, 6, at(date(2025, 6, 1)), at(date(2025, 6, 2)), at(date(2025, 6, 5)), "closed"),  # last year
        ]
    )
    leader, admin = staff["office_leader"], staff["office_admin"]

    def task(unit: Any, who: Any, due: date, done: date | None) -> Task:
        t = services.task_create(
            actor=leader,
            issuing_unit=staff["office"],
            unit=unit,
            assignee=who,
            title=f"任务{due}",
            source="document",
            start=due - timedelta(days=10),
            due=due,
        )
        if done is not None:
            services.task_progress(
                actor=who, task_id=t.pk, text="完成", completes=True, files=[("a.txt", "佐证".encode())], now=at(done)
            )
        return t

    task(east, staff["east_handler"], date(2026, 4, 10), date(2026, 4, 9))
    task(east, staff["east_handler"], date(2026, 5, 10), date(2026, 5, 12))  # late
    task(east, staff["east_handler"], date(2026, 6, 10), None)  # overdue
    task(west, staff["west_handler"], date(2026, 4, 10), date(2026, 4, 1))
    for i in range(3):
        services.training_record(
            actor=leader,
            unit=east,
            day=date(2026, 2 + i, 5),
            topic=f"学习{i}",
            form="online",
            hours=2,
            participant_count=10,
        )
    services.training_record(
        actor=leader, unit=west, day=date(2026, 5, 5), topic="学习", form="offline", hours=3, participant_count=5
    )
    # East: 24-hour duty on every required day of the year so far; west: none.
    today = timezone.localdate()
    last = min(date(2026, 12, 31), today)
    for day in selectors.required_days(east, date(2026, 1, 1), last):
        services.duty_shift_add(
            actor=leader, unit=east, start=at(day, 0), end=at(day + timedelta(days=1), 0), person=staff["east_handler"]
        )
    scheme = assessment.scheme_save(
        actor=admin,
        office=staff["office"],
        year=2026,
        level="township",
        name="2026年度乡镇网信工作考核",
        indicators=INDICATORS,
    )
    manual = scheme.indicators.get(metric="manual")
    assessment.manual_entry_set(
        actor=admin,
        indicator_id=manual.pk,
        unit=east,
        value=2,
        note="创新案例2项",
        files=[("案例.txt", "案例材料".encode())],
    )
    return {**staff, "scheme": scheme}


def test_weights_must_add_up_to_100_and_nothing_is_stored(staff: dict[str, Any]) -> None:
    bad = [dict(i) for i in INDICATORS]
    bad[0]["weight"] = 25
    with pytest.raises(ValidationError) as exc:
        assessment.scheme_save(
            actor=staff["office_admin"], office=staff["office"], year=2026, level="township", name="x", indicators=bad
        )
    assert "weights" in exc.value.message_dict and "95" in exc.value.message_dict["weights"][0]
    bad = [dict(i) for i in INDICATORS]
    bad[1]["metric"] = "likes"
    with pytest.raises(ValidationError) as exc:
        assessment.scheme_save(
            actor=staff["office_admin"], office=staff["office"], year=2026, level="township", name="x", indicators=bad
        )
    assert "indicators[2].metric" in exc.value.message_dict
    bad = [dict(i) for i in INDICATORS]
    del bad[6]["full_at"]
    with pytest.raises(ValidationError) as exc:
        assessment.scheme_save(
            actor=staff["office_admin"], office=staff["office"], year=2026, level="township", name="x", indicators=bad
        )
    assert "indicators[7].full_at" in exc.value.message_dict
    assert not AssessmentScheme.objects.exists()


def test_every_figure_matches_a_direct_query(year: dict[str, Any]) -> None:
    from qingting.web.cases.models import Case

    result = assessment.compute(year["scheme"], "2026")
    cards = {c["code"]: c for c in result["units"]}
    assert set(cards) == {"east", "west"}
    start, end = at(date(2026, 1, 1), 0), at(date(2027, 1, 1), 0)
    for code in ("east", "west"):
        unit = year[code]
        fig = {s["metric"]: s for s in cards[code]["scores"]}
        cases = Case.objects.filter(unit__path__startswith=unit.path)
        received = cases.filter(received_at__gte=start, received_at__lt=end).exclude(status="duplicate")
        closed = received.filter(status__in=["closed", "not_responsible"], closed_at__lt=end)
        assert (fig["case_closure_rate"]["num"], fig["case_closure_rate"]["den"]) == (closed.count(), received.count())
        due = cases.filter(close_due__gte=start, close_due__lt=end).exclude(status__in=["duplicate", "not_responsible"])
        on_time = due.filter(status="closed", closed_at__lte=timezone.now()).filter(
            closed_at__lte=models_f("close_due")
        )
        assert (fig["case_on_time_rate"]["num"], fig["case_on_time_rate"]["den"]) == (on_time.count(), due.count())
        tasks = Task.objects.filter(
            unit__path__startswith=unit.path, due__gte=date(2026, 1, 1), due__lte=date(2026, 12, 31)
        )
        in_time = [t for t in tasks if t.done_at and timezone.localtime(t.done_at).date() <= t.due]
        assert (fig["task_completion_rate"]["num"], fig["task_completion_rate"]["den"]) == (len(in_time), tasks.count())
        assert fig["tasks_overdue"]["value"] == tasks.count() - len(in_time)  # all due dates are past
        trainings = TrainingSession.objects.filter(unit__path__startswith=unit.path, date__year=2026)
        assert fig["training_sessions"]["value"] == trainings.count()
        # The rows behind each figure, read through the scoped selectors, count the same.
        for metric, expect in (
            ("case_closure_rate", received.count()),
            ("case_on_time_rate", due.count()),
            ("task_completion_rate", tasks.count()),
            ("tasks_overdue", fig["tasks_overdue"]["value"]),
            ("training_sessions", trainings.count()),
            ("duty_gap_days", fig["duty_gap_days"]["value"]),
        ):
            _header, rows = assessment.metric_rows(year["office_leader"], metric, unit, "2026")
            assert len(rows) == expect, metric
    east = {s["metric"]: s for s in cards["east"]["scores"]}
    assert east["case_closure_rate"]["value"] == pytest.approx(100 * 2 / 3, abs=0.01)
    assert east["manual"]["value"] == 2 and east["manual"]["points"] == 2


def models_f(name: str) -> Any:
    from django.db.models import F

    return F(name)


def test_ranking_veto_and_previous_period(year: dict[str, Any]) -> None:
    result = assessment.with_previous(assessment.compute(year["scheme"], "2026"), year["scheme"])
    east, west = result["units"]
    assert east["code"] == "east" and not east["veto"] and east["rank"] == 1
    if timezone.localdate() >= date(2026, 1, 1) and selectors.required_days(
        year["west"], date(2026, 1, 1), timezone.localdate()
    ):
        assert west["veto"] and west["grade"].startswith("不合格") and west["rank"] == 2
    assert result["previous"]["period"] == "2025" and east["previous"] is not None
    # A finished run is never recomputed.
    run = assessment.run_store(actor=year["office_admin"], scheme=year["scheme"], period="2026")
    assessment.run_finish(actor=year["office_admin"], run_id=run.pk)
    with pytest.raises(ValidationError):
        assessment.run_store(actor=year["office_admin"], scheme=year["scheme"], period="2026")


def test_assess_command_writes_docx_and_xlsx(year: dict[str, Any], tmp_path: Path) -> None:
    from click.testing import CliRunner
    from openpyxl import load_workbook

    from qingting.cli import main

    runner = CliRunner()
    out = tmp_path / "a.xlsx"
    result = runner.invoke(main, ["assess", "--period", "2026", "--office", "office", "-o", str(out)])
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    ranking = [row for row in wb["排名"].iter_rows(min_row=2, values_only=True)]
    assert [r[1] for r in ranking] == ["东街道", "西街道"]
    out = tmp_path / "a.docx"
    result = runner.invoke(main, ["assess", "--period", "2026", "--office", "office", "--unit", "east", "-o", str(out)])
    assert result.exit_code == 0, result.output
    from docx import Document

    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert "考核结果" in text and "东街道" in text
    result = runner.invoke(main, ["assess", "--period", "2026-Q3", "-o", str(out)])
    assert result.exit_code != 0 and "2026-H1" in result.output
    result = runner.invoke(main, ["assess", "--period", "2024", "--office", "office", "-o", str(out)])
    assert result.exit_code != 0 and "no assessment scheme" in result.output


def test_duty_show_command(staff: dict[str, Any]) -> None:
    from click.testing import CliRunner

    from qingting.cli import main

    day = date(2026, 10, 1)
    services.duty_shift_add(
        actor=staff["east_leader"],
        unit=staff["east"],
        start=at(day, 0),
        end=at(day, 8),
        person=staff["east_handler"],
        leader=staff["east_leader"],
    )
    result = CliRunner().invoke(main, ["duty", "show", "--date", "2026-10-01", "--unit", "east"])
    assert result.exit_code == 0, result.output
    assert "east_handler" in result.output and "east_leader" in result.output
    assert "24" in result.output and "08:00 – 00:00" in result.output
    result = CliRunner().invoke(main, ["duty", "show", "--date", "2031-05-01", "--unit", "east"])
    assert "2031" in result.output and "尚无官方放假安排" in result.output
    result = CliRunner().invoke(main, ["duty", "show", "--date", "10/01", "--unit", "east"])
    assert result.exit_code != 0 and "2026-10-01" in result.output
    result = CliRunner().invoke(main, ["duty", "show", "--date", "2026-10-01", "--unit", "nowhere"])
    assert result.exit_code != 0 and "nowhere" in result.output
