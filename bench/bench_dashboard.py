"""Issue 15's targets: every role's first page and the dashboard in ≤ 300 ms server time at
1,000,000 items, and an export of 100,000 rows streamed in ≤ 10 s with bounded memory.

    .venv/bin/python bench/bench_dashboard.py --items 1000000 [--repeat 10] [--export-rows 100000]
    .venv/bin/python bench/bench_dashboard.py --items 1000000 \
        --database-url postgres://postgres@127.0.0.1:5432/qt_dash

Seeds like ``bench_web.py pages`` (items, events, placements, search index, daily counts; on
PostgreSQL the database is created, and dropped only if a benchmark made it), then moves every
twentieth item to a township's source, so a township user's pages are measured in their scope.
Users: the office's admin, leader, reviewer, handler and analyst, and a township analyst.

Times are the Django test client's (server time: routing, queries, templates; no network), the
median and 95th percentile of ``--repeat`` requests after one warm-up, wall and CPU. The
reference is the sign-in page (no query), measured in the same run: a page's cost is quoted as a
multiple of it too, since the machine is shared. The export is read to its end as a browser
would; its memory is Python's peak allocation while streaming (tracemalloc, a second pass).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_web


def _people(office: Any) -> dict[str, Any]:
    from qingting.web.accounts import services as accounts
    from qingting.web.accounts.models import Role, UnitKind

    out = {}
    for role in (Role.ADMIN, Role.LEADER, Role.REVIEWER, Role.HANDLER):
        user = accounts.user_create(actor=None, username=f"bench_{role}", password="Bench-password-2026")
        accounts.membership_grant(actor=None, user=user, unit=office, role=role)
        out[str(role)] = user
    town = accounts.unit_create(actor=None, code="bench-town", name="基准镇", kind=UnitKind.TOWNSHIP, parent=office)
    user = accounts.user_create(actor=None, username="bench_town", password="Bench-password-2026")
    accounts.membership_grant(actor=None, user=user, unit=town, role=Role.ANALYST)
    out["township analyst"] = user
    out["town"] = town
    return out


def _reused() -> tuple[Any, dict[str, Any]]:
    """The users and the township of a database an earlier run seeded (``--reuse``)."""
    from qingting.web.accounts.models import Unit, User

    by_name = {u.username: u for u in User.objects.filter(username__startswith="bench_")}
    people: dict[str, Any] = {r: by_name[f"bench_{r}"] for r in ("admin", "leader", "reviewer", "handler")}
    people["township analyst"] = by_name["bench_town"]
    people["town"] = Unit.objects.get(code="bench-town")
    return by_name["bench_analyst"], people


def _move_to_township(town: Any) -> int:
    """Every twentieth item to the township's own source; daily counts rebuilt."""
    from django.db import connection

    from qingting.web.monitoring import services
    from qingting.web.monitoring.models import Item

    source = services.source_create(actor=None, unit=town, name="基准镇来源", kind="forum")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE monitoring_item SET source_id = %s WHERE id %% 20 = 0", [source.pk])
    services.daily_counts_rebuild()
    services.event_places_rebuild()
    services.source_hours_rebuild()
    with connection.cursor() as cursor:
        # Statistics as a source that stored these items over time would have (autoanalyze waits
        # for 10 % of a table to change; a twentieth moved here left the planner believing the
        # township's source empty, and it chose the source-only index for its range counts).
        cursor.execute("ANALYZE monitoring_item")
        cursor.execute("ANALYZE monitoring_eventplace")
    return Item.objects.filter(source=source).count()


def _time(client: Any, url: str, repeat: int) -> tuple[list[float], list[float]]:
    wall, cpu = [], []
    for _ in range(repeat + 1):
        w, c = time.perf_counter(), time.process_time()
        response = client.get(url)
        if getattr(response, "streaming", False):
            for _chunk in response.streaming_content:
                pass
        cpu.append((time.process_time() - c) * 1000)
        wall.append((time.perf_counter() - w) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return wall[1:], cpu[1:]  # the first request warms caches


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=".venv/bin/python bench/bench_dashboard.py", description=__doc__)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--export-rows", type=int, default=100_000, help="0: no export")
    parser.add_argument("--data-dir", default=None, help="default: a new directory under /tmp")
    parser.add_argument("--database-url", default=None, help="PostgreSQL (created; dropped only if a bench made it)")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="with --database-url: measure the database an earlier run of this benchmark seeded (only migrated)",
    )
    args = parser.parse_args(argv)
    if args.reuse and not args.database_url:
        parser.error("--reuse needs --database-url")

    directory = bench_web._setup_django(args.data_dir, args.database_url, reuse=args.reuse)
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    from qingting.web.monitoring.models import Item

    setup_test_environment()
    t0 = time.perf_counter()
    if args.reuse:
        analyst, people = _reused()
        args.items = Item.objects.count()
        moved = Item.objects.filter(source__unit=people["town"]).count()
        with connection.cursor() as cursor:  # tables a migration just filled: statistics, as autovacuum would
            cursor.execute("ANALYZE monitoring_eventplace")
            cursor.execute("ANALYZE monitoring_sourcehour")
    else:
        analyst, source, scheme = bench_web._org()
        people = _people(source.unit)
        if connection.vendor == "postgresql":
            bench_web._seed_postgres(args.items, source, scheme)
        else:
            bench_web._seed_direct(args.items, source, scheme)
        moved = _move_to_township(people["town"])
    seeded = time.perf_counter() - t0

    users = {"analyst": analyst, **{k: v for k, v in people.items() if k != "town"}}
    clients = {}
    for name, user in users.items():
        clients[name] = Client()
        clients[name].force_login(user)
    pages = [("reference: sign-in page", Client(), "/accounts/login/")]
    for name in ("admin", "leader", "reviewer", "handler"):
        pages.append((f"home, {name}", clients[name], "/home/"))
    for name in ("analyst", "township analyst"):
        for period in ("today", "7d", "30d"):
            pages.append((f"dashboard {period}, {name}", clients[name], f"/?period={period}"))
    pages.append(("dashboard 7d, admin", clients["admin"], "/?period=7d"))
    pages.append(("dashboard daily table as CSV (30d)", clients["analyst"], "/?period=30d&export=csv"))

    print(f"command   .venv/bin/python bench/bench_dashboard.py {' '.join(sys.argv[1:])}")
    print(f"data      {args.items:,} items ({args.items // 200:,} events) "
          f"{'reused' if args.reuse else 'seeded'} in {seeded:.0f} s, "
          f"{moved:,} of them in the township's scope; db {directory}")  # fmt: skip
    print(f"settings  {bench_web._mode()}, Django test client, repeat={args.repeat}")
    print(f"{'page':<42} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>8} {'× ref CPU':>10}")
    reference = None
    for name, client, url in pages:
        wall, cpu = _time(client, url, args.repeat)
        cpu_med = statistics.median(cpu)
        reference = reference or cpu_med
        print(f"{name:<42} {statistics.median(wall):>10.0f} {_p95(wall):>8.0f} {cpu_med:>8.0f} "
              f"{cpu_med / reference:>10.1f}")  # fmt: skip

    if args.export_rows <= 0:  # --export-rows 0: the pages only
        return
    # The export: the newest days' items, about --export-rows of them, as the search page lists them.
    newest = Item.objects.order_by("-published_at").values_list("published_at", flat=True)
    edge = newest[min(args.export_rows, args.items) - 1]
    first = timezone.localtime(edge).date()  # whole days: at least --export-rows items
    rows = Item.objects.filter(published_at__gte=timezone.make_aware(
        timezone.datetime.combine(first, timezone.datetime.min.time()))).count()  # fmt: skip
    print(f"export    search results from {first} (all the office may see): {rows:,} items")
    print(f"{'export':<22} {'seconds':>8} {'CPU s':>7} {'MB sent':>8} {'peak MB (Python)':>17}")
    client = clients["analyst"]
    for fmt in ("csv", "xlsx"):
        url = f"/exports/search/?date_from={first}&format={fmt}"
        w, c = time.perf_counter(), time.process_time()
        response = client.get(url)
        size = sum(len(chunk) for chunk in response.streaming_content)
        seconds, cpu_s = time.perf_counter() - w, time.process_time() - c
        tracemalloc.start()
        response = client.get(url)
        for _chunk in response.streaming_content:
            pass
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"{fmt:<22} {seconds:>8.1f} {cpu_s:>7.1f} {size / 1e6:>8.1f} {peak / 1e6:>17.1f}")


if __name__ == "__main__":
    main()
