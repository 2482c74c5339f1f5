"""The assessment (考核) at scale (issue 14 target: 200 units over a year with 100,000 cases and
10,000 tasks ≤ 10 s; its pages ≤ 300 ms server time).

One command::

    .venv/bin/python bench/bench_assessment.py [--units 200] [--cases 100000] [--tasks 10000] [--repeat 10]

Embedded mode (SQLite WAL) in a fresh data directory. An office with ``--units`` townships, one
handler each; cases and ledger tasks are synthetic rows written in bulk (shaped like the services'
output: ~80 % of cases closed, 70 % of them on time; tasks due over the year, 75 % completed, a
fifth of those late), plus 2 training sessions per unit. The scheme has the indicators of the
tests (closure and on-time rates, task completion, overdue tasks, training, 直报 adopted, duty
gaps as a veto, a manual bonus). Timed: ``assessment.compute`` for the year (twice: cold, warm),
storing the run, and the pages — the stored run's scorecards, one unit's figure traced to its
rows, the scheme list — through Django's test client. Reference in the same run: counting the
cases of the year with one ``COUNT(*)``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from datetime import time as dtime
from typing import Any

from _timing import first_median_p95, page_times

INDICATORS = [
    {"name": "网民诉求办结率", "metric": "case_closure_rate", "role": "score", "weight": 30, "full_at": 100,
     "zero_at": 50},
    {"name": "按时办结率", "metric": "case_on_time_rate", "role": "score", "weight": 30, "full_at": 100, "zero_at": 50},
    {"name": "台账任务按期完成率", "metric": "task_completion_rate", "role": "score", "weight": 20, "full_at": 100,
     "zero_at": 0},
    {"name": "培训学习", "metric": "training_sessions", "role": "score", "weight": 20, "full_at": 4, "zero_at": 0},
    {"name": "逾期台账任务", "metric": "tasks_overdue", "role": "deduction", "weight": 10, "per": 2},
    {"name": "直报被采用", "metric": "submissions_adopted", "role": "bonus", "weight": 5, "per": 1},
    {"name": "重要节点值班空档", "metric": "duty_gap_days", "role": "veto", "full_at": 1},
    {"name": "创新工作", "metric": "manual", "role": "bonus", "weight": 3, "per": 1},
]  # fmt: skip


def _setup(data_dir: str | None) -> str:
    directory = data_dir or tempfile.mkdtemp(prefix="qingting-bench-assess-")
    os.environ["QINGTING_DATA_DIR"] = directory
    os.environ["DJANGO_SETTINGS_MODULE"] = "qingting.web.config.settings.embedded"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    return directory


def _seed(units_n: int, cases_n: int, tasks_n: int, year: int, seed: int) -> dict[str, Any]:
    from django.db import transaction

    from qingting.core.cases.calendar import CHINA_TZ
    from qingting.web.accounts import services as accounts
    from qingting.web.accounts.models import Membership, Role, Unit, User
    from qingting.web.cases.models import Case, CaseCounter
    from qingting.web.ledger import assessment
    from qingting.web.ledger.models import Task, TrainingSession

    rng = random.Random(seed)
    office = accounts.unit_create(actor=None, code="office", name="县委网信办", kind="office")
    admin = accounts.user_create(actor=None, username="admin", password="Bench-pass-2026!")
    accounts.membership_grant(actor=None, user=admin, unit=office, role=Role.ADMIN)
    units = [
        accounts.unit_create(actor=None, code=f"t{i}", name=f"第{i + 1}乡镇", kind="township", parent=office)
        for i in range(units_n)
    ]
    handlers = User.objects.bulk_create([User(username=f"h{i}", is_active=True) for i in range(units_n)])
    Membership.objects.bulk_create(
        [Membership(user=h, unit=u, role=Role.HANDLER) for h, u in zip(handlers, units, strict=True)]
    )
    first = datetime(year, 1, 1, tzinfo=CHINA_TZ)
    span = (min(datetime.now(CHINA_TZ), datetime(year + 1, 1, 1, tzinfo=CHINA_TZ)) - first).total_seconds()
    seqs: dict[int, int] = {}
    cases = []
    for _ in range(cases_n):
        unit = rng.choice(units)
        received = first + timedelta(seconds=rng.uniform(0, span))
        seq = seqs[unit.pk] = seqs.get(unit.pk, 0) + 1
        closed_ok = rng.random() < 0.8
        due = received + timedelta(days=rng.choice([3, 13, 14]))
        closed = received + timedelta(days=rng.uniform(0.5, 20)) if closed_ok else None
        cases.append(
            Case(
                unit=unit, number=f"B{unit.pk}-{seq}", year=year, seq=seq, channel="web", category="complaint",
                summary="诉求", status="closed" if closed else "in_progress", is_open=closed is None,
                received_at=received, updated_at=closed or received, closed_at=closed, answer_due=due, close_due=due,
                on_time=(closed <= due) if closed else None,
            )
        )  # fmt: skip
    today = date.today()
    tasks = []
    for _ in range(tasks_n):
        i = rng.randrange(units_n)
        due = date(year, 1, 1) + timedelta(days=rng.randrange(0, 365))
        start = due - timedelta(days=10)
        done = rng.random() < 0.75 and due - timedelta(days=5) <= today
        late = done and rng.random() < 0.2
        done_at = (
            datetime.combine(due + timedelta(days=3 if late else -1), dtime(10), tzinfo=CHINA_TZ) if done else None
        )
        tasks.append(
            Task(
                unit=units[i], issuing_unit=office, assignee=handlers[i], title="台账任务", source="document",
                start=start, working_days=8, due=due, status="done" if done else "in_progress", done_at=done_at,
                created_at=datetime.combine(start, dtime(9), tzinfo=CHINA_TZ),
            )
        )  # fmt: skip
    trainings = [
        TrainingSession(
            unit=u,
            date=date(year, 3 + k, 10),
            topic="学习",
            form="online",
            hours=2,
            participant_count=10,
            created_at=datetime(year, 3 + k, 10, 18, tzinfo=CHINA_TZ),
        )
        for u in units
        for k in range(2)
    ]
    with transaction.atomic():
        Case.objects.bulk_create(cases, batch_size=2000)
        CaseCounter.objects.bulk_create([CaseCounter(unit_id=u, year=year, last=s) for u, s in seqs.items()])
        Task.objects.bulk_create(tasks, batch_size=2000)
        TrainingSession.objects.bulk_create(trainings, batch_size=2000)
    scheme = assessment.scheme_save(
        actor=admin, office=office, year=year, level="township", name=f"{year}年度乡镇考核", indicators=INDICATORS
    )
    return {"admin": admin, "scheme": scheme, "units": Unit.objects.filter(kind="township").count()}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=200)
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--tasks", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--data-dir")
    args = ap.parse_args(argv)
    directory = _setup(args.data_dir)

    import django
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from qingting.web.cases.models import Case
    from qingting.web.ledger import assessment

    setup_test_environment()
    year = date.today().year
    t0 = time.perf_counter()
    made = _seed(args.units, args.cases, args.tasks, year, args.seed)
    seeded = time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("select sqlite_version()")
        sqlite = cursor.fetchone()[0]
    t0 = time.perf_counter()
    reference_n = Case.objects.filter(year=year).count()
    reference = time.perf_counter() - t0
    scheme = made["scheme"]
    timings = []
    for _ in range(2):
        t0 = time.perf_counter()
        result = assessment.compute(scheme, str(year))
        timings.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    run = assessment.run_store(actor=made["admin"], scheme=scheme, period=str(year))
    stored = time.perf_counter() - t0
    print(
        f"$ python bench/bench_assessment.py --units {args.units} --cases {args.cases} --tasks {args.tasks} "
        f"--repeat {args.repeat} --seed {args.seed}"
    )
    print(f"{made['units']} units, {args.cases:,} cases, {args.tasks:,} tasks in {year}; seeded in {seeded:.1f} s")
    print(
        f"embedded mode, SQLite {sqlite}, Django {django.get_version()}, Python {sys.version.split()[0]}; "
        f"dir {directory}"
    )
    print("load average at start", os.getloadavg())
    print(f"reference: COUNT(*) of the year's {reference_n:,} cases: {reference * 1000:.0f} ms")
    print(
        f"assessment.compute: cold {timings[0]:.2f} s, warm {timings[1]:.2f} s "
        f"({timings[1] / reference:.0f}× the reference); run_store (with the previous year): {stored:.2f} s; "
        f"target ≤ 10 s: {'met' if max(timings) <= 10 else 'NOT met'}"
    )
    top = result["units"][0]
    print(f"ranked {len(result['units'])} units; first {top['unit']} {top['total']}")
    client = Client()
    client.force_login(made["admin"])
    unit_id = result["units"][0]["unit_id"]
    pages = [
        ("scheme list", "/ledger/assessment/"),
        ("stored scorecards (200 units)", f"/ledger/assessment/{scheme.pk}/{run.period}/"),
        ("one unit's closure rate traced", f"/ledger/assessment/{scheme.pk}/{run.period}/{unit_id}/case_closure_rate/"),
        ("one unit's tasks traced", f"/ledger/assessment/{scheme.pk}/{run.period}/{unit_id}/task_completion_rate/"),
    ]
    print(f"{'page':<34} {'first ms':>9} {'median ms':>10} {'p95 ms':>8}")
    for name, url in pages:
        times = page_times(client, url, args.repeat)
        assert times is not None
        first, median, p95 = first_median_p95(times)
        print(f"{name:<34} {first:>9.0f} {median:>10.0f} {p95:>8.0f}")


if __name__ == "__main__":
    main()
