"""Case platform benchmark: queue and metrics server times with many cases, and one transition.

    .venv/bin/python bench/bench_cases_platform.py --cases 100000 [--repeat 20]
    .venv/bin/python bench/bench_cases_platform.py --cases 100000 --database-url postgres://postgres@127.0.0.1/qt_bench

Seeds ``--cases`` synthetic cases (no real case data exists) in bulk over 20 units and a year,
with their "create" audit entries, into a fresh embedded installation (SQLite WAL in a temporary
data directory) or the PostgreSQL database given (use a throwaway one). Then measures, through
Django's test client (server time, no network): the queues mine / unit / overdue / all and the
metrics (per-unit figures for a month), on the pages ``cases:queue`` … ``cases:metrics`` when
those URL names exist, else on the API list endpoints; and ``case_act`` transitions including
their audit entry. Targets: pages ≤ 200 ms, a transition ≤ 20 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from typing import Any


def _setup(database_url: str | None, data_dir: str | None) -> str:
    directory = data_dir or tempfile.mkdtemp(prefix="qingting-bench-cases-")
    os.environ["QINGTING_DATA_DIR"] = directory
    if database_url:
        os.environ["QINGTING_DATABASE_URL"] = database_url
        os.environ["DJANGO_SETTINGS_MODULE"] = "qingting.web.config.settings.server"
    else:
        os.environ.pop("QINGTING_DATABASE_URL", None)
        os.environ["DJANGO_SETTINGS_MODULE"] = "qingting.web.config.settings.embedded"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    return directory


def _seed(n: int, rng: random.Random, tag: str) -> dict[str, Any]:
    from django.db import transaction

    from qingting.core.cases.calendar import CHINA_TZ
    from qingting.web.accounts import services as accounts
    from qingting.web.accounts.models import Role, UnitKind
    from qingting.web.cases import selectors
    from qingting.web.cases.models import Case, CaseAction, CaseCounter

    office = accounts.unit_create(actor=None, code=f"{tag}-office", name="基准县", kind=UnitKind.OFFICE)
    units = [
        accounts.unit_create(
            actor=None, code=f"{tag}-u{i}", name=f"部门{i:02d}", kind=UnitKind.DEPARTMENT, parent=office
        )
        for i in range(20)
    ]
    password = "Bench-password-2026"
    dispatcher = accounts.user_create(actor=None, username=f"{tag}-dispatcher", password=password)
    accounts.membership_grant(actor=None, user=dispatcher, unit=office, role=Role.REVIEWER)
    handlers = []
    for i, unit in enumerate(units):
        for j in range(3):
            h = accounts.user_create(actor=None, username=f"{tag}-h{i}-{j}", password=password)
            accounts.membership_grant(actor=None, user=h, unit=unit, role=Role.HANDLER)
            handlers.append((unit, h))
    cal = selectors.working_calendar()
    from datetime import datetime

    now = datetime(2026, 11, 20, 10, 0, tzinfo=CHINA_TZ)
    start = now - timedelta(days=365)
    seqs: dict[int, int] = {}
    open_states = ["received", "registered", "assigned", "in_progress", "pending", "answered"]
    cases: list[Case] = []
    t0 = time.perf_counter()
    for _ in range(n):
        unit = rng.choice(units)
        received = start + timedelta(seconds=rng.uniform(0, 365 * 86400))
        seqs[unit.pk] = seqs.get(unit.pk, 0) + 1
        close_due = cal.add_working_days(received, rng.choice([3, 10, 10, 13])).due
        r = rng.random()
        age = (now - received).days
        if r < 0.05:
            status = "duplicate"
        elif r < 0.10:
            status = "not_responsible"
        elif (age > 30 and r < 0.97) or (age <= 30 and r < 0.5):
            status = "closed"
        else:
            status = rng.choice(open_states)
        closed_at = None
        if status in ("closed", "not_responsible", "duplicate"):
            closed_at = min(now, received + timedelta(hours=rng.expovariate(1 / 200)))
        assignee = None
        if status in ("in_progress", "pending", "answered", "closed"):
            assignee = rng.choice([h for u, h in handlers if u.pk == unit.pk])
        is_open = closed_at is None
        cases.append(
            Case(
                unit=unit,
                number=f"B{tag}{unit.pk}〔{received.year}〕{seqs[unit.pk]:05d}号",
                year=received.year,
                seq=seqs[unit.pk],
                channel=rng.choice(["web", "mailbox", "hotline"]),
                category=rng.choice(["enquiry", "complaint", "suggestion", "help"]),
                priority="normal",
                summary=f"基准诉求 {len(cases)}",
                status=status,
                is_open=is_open,
                assignee=assignee,
                received_at=received,
                updated_at=closed_at or received,
                closed_at=closed_at,
                close_due=close_due,
                answer_due=close_due,
                ack_due=received + timedelta(days=1),
                next_due=close_due if is_open and status != "pending" else None,
                on_time=(closed_at <= close_due) if status == "closed" and closed_at else None,
                clock=[[received.isoformat(), "received"]],
            )
        )
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    with transaction.atomic():
        Case.objects.bulk_create(cases, batch_size=2000)
        CaseCounter.objects.bulk_create(
            [CaseCounter(unit_id=u, year=2026, last=s) for u, s in seqs.items()], ignore_conflicts=True
        )
        CaseAction.objects.bulk_create(
            [
                CaseAction(
                    case=c,
                    version=0,
                    actor_label="bench",
                    action="create",
                    old_state="",
                    new_state=c.status,
                    at=c.received_at,
                    new={"number": c.number},
                )
                for c in cases
            ],
            batch_size=2000,
        )
    insert = time.perf_counter() - t0
    # Statistics as a running installation has them (autovacuum / ANALYZE after a bulk load).
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("VACUUM ANALYZE cases_case")
            cur.execute("VACUUM ANALYZE cases_caseaction")
        else:
            cur.execute("ANALYZE")
    me = max(
        (h for _, h in handlers),
        key=lambda h: Case.objects.filter(assignee=h, is_open=True).count(),
    )
    return {
        "office": office,
        "dispatcher": dispatcher,
        "me": me,
        "handlers": handlers,
        "build_s": build,
        "insert_s": insert,
        "now": now,
    }


def _timed(fn: Any, repeat: int) -> tuple[float, float]:
    fn()  # warm
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95


def _targets() -> tuple[str, dict[str, str]]:
    from django.urls import NoReverseMatch, reverse

    try:
        pages = {
            "queue mine": reverse("cases:queue"),
            "queue unit": reverse("cases:unit"),
            "overdue": reverse("cases:overdue"),
            "all": reverse("cases:all"),
            "metrics (month)": reverse("cases:metrics") + "?start=2026-10-01&end=2026-11-01",
        }
        return "pages", pages
    except NoReverseMatch:
        return "api", {
            "queue mine": "/api/cases?queue=mine&limit=50",
            "queue unit": "/api/cases?queue=unit&limit=50",
            "overdue": "/api/cases?queue=overdue&limit=50",
            "all": "/api/cases?queue=all&limit=50",
            "metrics (month)": "/api/cases/figures?start=2026-10-01&end=2026-11-01",
        }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--transitions", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    directory = _setup(args.database_url, args.data_dir)
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from qingting.web.cases import services

    setup_test_environment()  # the test client needs "testserver" allowed
    rng = random.Random(args.seed)
    tag = f"b{int(time.time()) % 100000}"
    data = _seed(args.cases, rng, tag)
    db = f"{connection.vendor} {connection.Database.sqlite_version if connection.vendor == 'sqlite' else ''}".strip()
    print(f"# bench_cases_platform: {args.cases:,} cases, 20 units, {db}, data dir {directory}")
    print(f"# command: {' '.join([sys.executable, *sys.argv])}")
    print(f"seed: build {data['build_s']:.1f} s, bulk insert (cases + audit) {data['insert_s']:.1f} s")

    kind, urls = _targets()
    results: list[tuple[str, str, float, float]] = []
    for label, url in urls.items():
        user = data["me"] if label == "queue mine" else data["dispatcher"]
        client = Client()
        client.force_login(user)
        r = client.get(url)
        if r.status_code != 200:
            raise SystemExit(f"{url}: HTTP {r.status_code}: {r.content[:300]!r}")
        med, p95 = _timed(lambda c=client, u=url: c.get(u), args.repeat)
        results.append((label, url, med, p95))
    print(f"\n{kind} ({args.repeat} runs each, Django test client, server time) — target ≤ 200 ms")
    for label, url, med, p95 in results:
        print(f"  {label:<16} median {med:7.1f} ms   p95 {p95:7.1f} ms   {url}")

    # Transitions: register → assign → claim → answer → close on fresh cases, each timed on its own.
    from qingting.web.cases.models import Case

    dispatcher = data["dispatcher"]
    handlers = data["handlers"]
    ids = list(Case.objects.filter(status="received", unit__code__startswith=tag).values_list("pk", flat=True))
    rng.shuffle(ids)
    per_action: dict[str, list[float]] = {}
    for pk in ids[: args.transitions]:
        case = Case.objects.get(pk=pk)
        handler = next(h for u, h in handlers if u.pk == case.unit_id)
        steps: list[tuple[Any, str, dict[str, Any]]] = [
            (dispatcher, "register", {}),
            (dispatcher, "assign", {"assignee_id": handler.pk}),
            (handler, "claim", {}),
            (handler, "answer", {"reply": "已办理"}),
            (dispatcher, "close", {}),
        ]
        for actor, action, kw in steps:
            t0 = time.perf_counter()
            services.case_act(actor=actor, case_id=pk, action=action, **kw)
            per_action.setdefault(action, []).append((time.perf_counter() - t0) * 1000)
    every = sorted(x for xs in per_action.values() for x in xs)
    print(
        f"\ncase_act with its audit entry ({len(every)} transitions on {min(len(ids), args.transitions)} cases)"
        " — target ≤ 20 ms"
    )
    for action, xs in per_action.items():
        xs.sort()
        print(f"  {action:<9} median {statistics.median(xs):6.1f} ms   p95 {xs[int(0.95 * (len(xs) - 1))]:6.1f} ms")
    if every:
        print(
            f"  all       median {statistics.median(every):6.1f} ms   p95 {every[int(0.95 * (len(every) - 1))]:6.1f} ms"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
