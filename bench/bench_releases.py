"""Release pages and review actions with many releases (issue 13 target: ≤ 300 ms server time at
100,000 releases).

One command::

    .venv/bin/python bench/bench_releases.py [--releases 100000] [--repeat 10] [--seed 7]

Embedded mode (SQLite WAL) in a fresh data directory. An office with 10 units, two channels each,
an author, two reviewers and a leader at the office. Releases are synthetic rows written in bulk
(each with its first revision and one or two target channels; 60 % published, 2 % of those
corrected, the rest spread over draft, in review, returned and approved), plus releases made
through the services for the actions. Timed through Django's test client (server time, no
network): the list (first page, a status filter, a title search, "awaiting my review"), a
release's page, 信息准确率 per channel over a year, and the actions — write a new release (it is
proofread), submit, approve a step — each on its own release. Reference in the same run: the
sign-in page.
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

from _timing import first_median_p95, ms, page_times

TITLES = ["关于开展冬季安全生产大检查的通知", "县城集中供暖启动", "老旧管网改造完成", "交通管制公告", "医保缴费提醒"]


def _setup(data_dir: str | None) -> str:
    directory = data_dir or tempfile.mkdtemp(prefix="qingting-bench-releases-")
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
    from qingting.web.channels import services as channels
    from qingting.web.releases.models import Correction, Release, Revision

    rng = random.Random(seed)
    office = accounts.unit_create(actor=None, code="office", name="县委网信办", kind="office")
    units = [
        accounts.unit_create(actor=None, code=f"u{i}", name=f"第{i + 1}单位", kind="township", parent=office)
        for i in range(10)
    ]
    people = {}
    for name, role in [("author", Role.ANALYST), ("r1", Role.REVIEWER), ("r2", Role.REVIEWER), ("lead", Role.LEADER)]:
        people[name] = accounts.user_create(actor=None, username=name, password="Bench-pass-2026!")
        accounts.membership_grant(actor=None, user=people[name], unit=office, role=role)
    chans = {
        u.pk: [channels.channel_save(actor=None, unit=u, kind=k, name=f"{u.name}{k}") for k in ("wechat", "weibo")]
        for u in units
    }
    now = timezone.now()
    statuses = ["published"] * 60 + ["draft"] * 15 + ["in_review"] * 15 + ["returned"] * 5 + ["approved"] * 5
    plan = [
        {"name": "初审", "role": "reviewer"},
        {"name": "复审", "role": "reviewer"},
        {"name": "终审", "role": "leader"},
    ]
    rows = []
    for _ in range(n):
        unit = rng.choice(units)
        status = rng.choice(statuses)
        step = rng.randrange(3) if status == "in_review" else 0
        rows.append(
            Release(
                unit=unit, title=rng.choice(TITLES), body="正文。" * 40, status=status,
                plan=plan if status != "draft" else [], step=step,
                awaiting_role=plan[step]["role"] if status == "in_review" else "",
                round=0 if status == "draft" else 1, revision_count=1, created_by=people["author"],
                published_at=now - timedelta(days=rng.uniform(0, 365)) if status == "published" else None,
            )
        )  # fmt: skip
    with transaction.atomic():
        made = Release.objects.bulk_create(rows, batch_size=2000)
        Revision.objects.bulk_create(
            [Revision(release=r, number=1, title=r.title, body=r.body, created_by=people["author"]) for r in made],
            batch_size=2000,
        )
        through = Release.channels.through
        links = []
        for r in made:
            options = chans[r.unit_id]
            for c in options[: rng.choice([1, 2])]:
                links.append(through(release_id=r.pk, channel_id=c.pk))
        through.objects.bulk_create(links, batch_size=5000)
        Correction.objects.bulk_create(
            [
                Correction(release=r, what_was_wrong="日期有误", recorded_by=people["author"])
                for r in made
                if r.status == "published" and rng.random() < 0.02
            ],
            batch_size=2000,
        )
    return {**people, "unit": units[0], "channel": chans[units[0].pk][0], "office": office}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--releases", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--data-dir")
    args = ap.parse_args(argv)
    directory = _setup(args.data_dir)

    import django
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from qingting.web.releases import services
    from qingting.web.releases.models import Finding, FindingState, Release

    setup_test_environment()
    t0 = time.perf_counter()
    made = _seed(args.releases, args.seed)
    seeded = time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("select sqlite_version()")
        sqlite = cursor.fetchone()[0]
    author, r1 = Client(), Client()
    author.force_login(made["author"])
    r1.force_login(made["r1"])
    one = Release.objects.filter(status="published").order_by("-id").first()
    assert one is not None
    print(f"$ python bench/bench_releases.py --releases {args.releases} --repeat {args.repeat} --seed {args.seed}")
    print(f"{Release.objects.count():,} releases in 10 units; seeded in {seeded:.1f} s; data dir {directory}")
    print(f"embedded mode, SQLite {sqlite}, Django {django.get_version()}, Python {sys.version.split()[0]}")
    print("server time through Django's test client; load average at start", os.getloadavg())
    print(f"{'who':<9} {'page or action':<38} {'first ms':>9} {'median ms':>10} {'p95 ms':>8}")

    def report(who: str, name: str, times: list[float]) -> None:
        first, median, p95 = first_median_p95(times)
        print(f"{who:<9} {name:<38} {first:>9.0f} {median:>10.0f} {p95:>8.0f}")

    anon = Client()
    report(
        "anyone",
        "reference: sign-in page",
        [ms(lambda: anon.get("/accounts/login/")) for _ in range(args.repeat + 1)],
    )
    pages = [
        ("list, first page", "/releases/"),
        ("list, in review", "/releases/?status=in_review"),
        ("list, title search 供暖", "/releases/?q=供暖"),
        ("list, page 200", "/releases/?page=200"),
        ("release page", f"/releases/{one.pk}/"),
        ("accuracy by channel (a year)", "/releases/accuracy/"),
    ]
    for who, client in (("author", author), ("reviewer", r1)):
        for name, url in [*pages, ("awaiting my review", "/releases/?awaiting=1")]:
            times = page_times(client, url, args.repeat)
            assert times is not None
            report(who, name, times)

    # Actions, each on its own release: write (proofread), submit, approve the first step.
    unit, channel = made["unit"], made["channel"]
    created: list[int] = []

    def write() -> None:
        resp = author.post(
            "/releases/new/",
            {"unit": unit.pk, "title": "县城集中供暖启动", "body": "11月15日起，县城集中供暖正式启动。",
             "channels": [channel.pk]},
        )  # fmt: skip
        assert resp.status_code == 302, resp.status_code
        created.append(int(resp.url.rstrip("/").split("/")[-1]))

    report("author", "write a release (proofread)", [ms(write) for _ in range(args.repeat + 1)])
    report(
        "author",
        "submit for review",
        [ms(lambda pk=pk: author.post(f"/releases/{pk}/submit/", {"version": "1"})) for pk in created],
    )
    for pk in created:  # the reviewer marks the proofreading findings first (not timed)
        for f in Finding.objects.filter(revision__release_id=pk, state=FindingState.OPEN):
            services.finding_mark(actor=made["r1"], finding_id=f.pk, state=FindingState.DISMISSED)
    versions = {pk: Release.objects.get(pk=pk).version for pk in created}
    report(
        "reviewer",
        "approve 初审",
        [ms(lambda pk=pk: r1.post(f"/releases/{pk}/approve/", {"version": str(versions[pk])})) for pk in created],
    )
    assert Release.objects.filter(pk__in=created, step=1).count() == len(created)


if __name__ == "__main__":
    main()
