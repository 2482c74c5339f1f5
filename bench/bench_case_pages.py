"""Case pages' server time with many cases (issue 6 target: queues and figures ≤ 200 ms at 100,000).

One command::

    .venv/bin/python bench/bench_case_pages.py [--cases 100000] [--repeat 20] [--seed 7] [--data-dir DIR]

Embedded mode (SQLite WAL) in a fresh data directory; Django's test client (server time, no
network). The organisation is the demo's shape: an office with 3 departments and 7 townships, a
dispatcher at the office, a handler in one township. Cases are synthetic (no real case data
exists) and written in bulk — rows as ``services.case_create``/``case_act`` would leave them
(numbers, due dates, ~75 % closed, 8 % overdue among the open) — plus one case made through the
services for the case page. Timed per page: median and p95 over ``--repeat`` requests after one
warm-up, for the township handler (sees one unit) and the office dispatcher (sees all).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import timedelta
from typing import Any

from _timing import first_median_p95, page_times

UNITS = [
    ("water", "县水务局", "department"),
    ("edu", "县教育局", "department"),
    ("market", "县市场监管局", "department"),
]
UNITS += [
    (f"t{i}", name, "township")
    for i, name in enumerate(["柳湾镇", "石桥乡", "城关镇", "白鹭镇", "荷塘乡", "桂溪乡", "云岭镇"])
]
SUMMARIES = [
    "夜间施工噪音扰民",
    "小区停水",
    "学区划分咨询",
    "菜市场占道经营",
    "路灯不亮",
    "公交站台破损",
    "医保缴费咨询",
]


def _setup(data_dir: str | None) -> str:
    directory = data_dir or tempfile.mkdtemp(prefix="qingting-bench-cases-")
    os.environ["QINGTING_DATA_DIR"] = directory
    os.environ["DJANGO_SETTINGS_MODULE"] = "qingting.web.config.settings.embedded"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    return directory


def _seed(n: int, seed: int) -> dict[str, Any]:
    from django.db import transaction
    from django.utils import timezone

    from qingting.web.accounts import services as accounts
    from qingting.web.accounts.models import Role
    from qingting.web.cases import services
    from qingting.web.cases.models import Case, CaseCounter

    rng = random.Random(seed)
    office = accounts.unit_create(actor=None, code="office", name="青禾县委网信办", kind="office")
    units = [accounts.unit_create(actor=None, code=c, name=name, kind=k, parent=office) for c, name, k in UNITS]
    dispatcher = accounts.user_create(actor=None, username="dispatcher", password="Bench-pass-2026!")
    accounts.membership_grant(actor=None, user=dispatcher, unit=office, role=Role.REVIEWER)
    handler = accounts.user_create(actor=None, username="handler", password="Bench-pass-2026!")
    accounts.membership_grant(actor=None, user=handler, unit=units[5], role=Role.HANDLER)  # 城关镇

    now = timezone.now()
    statuses = ["closed"] * 15 + ["in_progress"] * 2 + ["assigned", "answered", "pending", "registered", "received"]
    seqs: dict[tuple[int, int], int] = {}
    rows = []
    for _ in range(n):
        unit = rng.choice(units)
        received = now - timedelta(days=rng.uniform(0, 365), minutes=rng.randint(0, 600))
        year = received.year
        seq = seqs[(unit.pk, year)] = seqs.get((unit.pk, year), 0) + 1
        status = rng.choice(statuses)
        closed = received + timedelta(days=rng.uniform(0.5, 20)) if status == "closed" else None
        if closed is not None and closed > now:
            closed = now
        close_due = received + timedelta(days=rng.choice([3, 13, 14, 19]))
        is_open = status != "closed"
        overdue = is_open and rng.random() < 0.08
        next_due = (
            (now - timedelta(days=rng.uniform(0.1, 5))) if overdue else (now + timedelta(days=rng.uniform(0.1, 10)))
        )
        rows.append(
            Case(
                unit=unit,
                number=f"{unit.name[:2]}〔{year}〕{seq:04d}号",
                year=year,
                seq=seq,
                channel=rng.choice(["hotline", "web", "mailbox", "visit"]),
                category=rng.choice(["enquiry", "complaint", "suggestion", "help"]),
                priority=rng.choice(["normal"] * 8 + ["high", "urgent"]),
                summary=f"{unit.name}{rng.choice(SUMMARIES)}",
                description="群众来电反映的情况说明。",
                status=status,
                is_open=is_open,
                assignee=handler if unit is units[5] and status in ("in_progress", "assigned", "answered") else None,
                version=0,
                received_at=received,
                updated_at=closed or received,
                closed_at=closed,
                sla_policy="complaint",
                ack_due=received + timedelta(days=1),
                answer_due=close_due,
                close_due=close_due,
                next_due=None if (not is_open or status == "pending") else next_due,
                on_time=(closed <= close_due) if closed else None,
                clock=[[received.isoformat(), "received"]],
                origin_kind="manual",
            )
        )
    with transaction.atomic():
        Case.objects.bulk_create(rows, batch_size=2000)
        CaseCounter.objects.bulk_create([CaseCounter(unit_id=u, year=y, last=s) for (u, y), s in seqs.items()])
    # One case through the services (with its audit trail) for the case page.
    case = services.case_create(
        actor=dispatcher, unit=units[5], channel="hotline", category="complaint",
        summary="城关镇东风巷楼道灯损坏", contact={"name": "王女士", "phone": "0000-1"},
    )  # fmt: skip
    services.case_act(actor=dispatcher, case_id=case.pk, action="register")
    services.case_act(actor=dispatcher, case_id=case.pk, action="assign", assignee_id=handler.pk)
    services.case_act(actor=handler, case_id=case.pk, action="claim")
    services.case_reply(actor=handler, case_id=case.pk, body="已安排维修。", public=True)
    return {"dispatcher": dispatcher, "handler": handler, "case": case}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data-dir")
    args = parser.parse_args(argv)
    directory = _setup(args.data_dir)

    import django
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    t0 = time.perf_counter()
    made = _seed(args.cases, args.seed)
    seeded = time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("PRAGMA optimize")
        cursor.execute("select sqlite_version()")
        sqlite = cursor.fetchone()[0]
    case = made["case"]
    pages = [
        ("my queue", "/cases/"),
        ("unit queue", "/cases/unit/"),
        ("unit queue, page 3", "/cases/unit/?page=3"),
        ("unit queue, search 路灯, high", "/cases/unit/?q=路灯&priority=high"),
        ("overdue", "/cases/overdue/"),
        ("all cases, page 40", "/cases/all/?page=40"),
        ("figures, last 30 days", "/cases/metrics/"),
        ("figures, this year", "/cases/metrics/?period=year"),
        ("case page", f"/cases/{case.pk}/"),
    ]
    print(f"$ python bench/bench_case_pages.py --cases {args.cases} --repeat {args.repeat} --seed {args.seed}")
    print(f"cases {args.cases + 1:,} in 10 units + office; seeded in {seeded:.1f} s; data dir {directory}")
    print(f"embedded mode, SQLite {sqlite}, Django {django.get_version()}, Python {sys.version.split()[0]}")
    print("server time through Django's test client (no network); load average at start", os.getloadavg())
    print("first = the first request (nothing reused); the figures page then reuses counts for 2 minutes")
    print(f"{'user':<11} {'page':<34} {'first ms':>9} {'median ms':>10} {'p95 ms':>8}")
    for who in ("handler", "dispatcher"):
        client = Client()
        client.force_login(made[who])
        for name, url in pages:
            times = page_times(client, url, args.repeat, skip=(403,))  # "all cases" is for administrators
            if times is None:
                continue
            first, median, p95 = first_median_p95(times)
            print(f"{who:<11} {name:<34} {first:>9.0f} {median:>10.0f} {p95:>8.0f}")


if __name__ == "__main__":
    main()
