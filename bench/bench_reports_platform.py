"""Benchmark of reports generated from the database: a monthly report over 1,000,000 items and 10,000
cases (DOCX and PDF), a work report, and a bulletin (DOCX + PDF) — issue 7's targets.

Seeds a fresh embedded installation (SQLite WAL) in a temporary data directory: units (an office,
3 departments, 7 townships), 12 sources, ``--events`` events, ``--items`` items spread over the
month ``--period`` (bulk insert, then the ``DailyCount`` aggregate rebuilt as ingestion keeps it)
and ``--cases`` cases received over the month, ~80 % closed (bulk insert). Then times, in one
process (what a web worker or the command line pays after start-up):

* the monthly report's figures (queries), DOCX, and PDF (resident LibreOffice, then one-shot);
* the work report (cases per unit) as DOCX;
* a bulletin built with ``qingting.reports`` builders from the sample figures, DOCX + PDF.

    .venv/bin/python bench/bench_reports_platform.py [--items 1000000] [--cases 10000] [--repeat 3]

Targets (issue 7): a monthly report over 1,000,000 items and 10,000 cases in ≤ 30 s; a bulletin
in ≤ 3 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

SH = ZoneInfo("Asia/Shanghai")
REGIONS = ["柳湾镇", "石桥乡", "城关镇", "白鹭镇", "荷塘乡", "桂溪乡", "云岭镇", ""]
KINDS = ["social", "news", "forum", "mailbox"]


def _setup(data_dir: str | None) -> str:
    directory = data_dir or tempfile.mkdtemp(prefix="qingting-bench-reports-")
    os.environ["QINGTING_DATA_DIR"] = directory
    os.environ["DJANGO_SETTINGS_MODULE"] = "qingting.web.config.settings.embedded"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    return directory


def _seed(items: int, cases: int, events: int, period: str) -> Any:
    from django.db import connection, transaction

    from qingting.demo import generate
    from qingting.web.accounts import services as accounts
    from qingting.web.accounts.models import UnitKind
    from qingting.web.cases.models import Case
    from qingting.web.monitoring import services
    from qingting.web.monitoring.models import Event, Item
    from qingting.web.reporting.figures import period_bounds

    rng = random.Random(0)
    office = accounts.unit_create(actor=None, code="bench", name="青禾县", kind=UnitKind.OFFICE)
    units = [office]
    for i, name in enumerate(["县水务局", "县教育局", "县市场监管局"]):
        units.append(accounts.unit_create(actor=None, code=f"d{i}", name=name, kind=UnitKind.DEPARTMENT, parent=office))
    for i, name in enumerate(REGIONS[:-1]):
        units.append(accounts.unit_create(actor=None, code=f"t{i}", name=name, kind=UnitKind.TOWNSHIP, parent=office))
    sources = [
        services.source_create(actor=None, unit=units[i % len(units)], name=f"来源{i:02d}", kind=KINDS[i % 4])
        for i in range(12)
    ]
    scheme = services.scheme_create(actor=None, unit=office, name="全县舆情", sources=sources)
    start, end = period_bounds(period)
    span = (end - start).total_seconds()
    base = generate(seed=7, scale=2.0)
    with transaction.atomic():
        Event.objects.bulk_create(
            [
                Event(
                    scheme=scheme,
                    engine_event_id=k,
                    title=base[k % len(base)]["text"][:40],
                    keywords=["基准"],
                    first_seen=start + timedelta(seconds=span * rng.random() * 0.9),
                    last_seen=end - timedelta(seconds=span * rng.random() * 0.1),
                    item_count=items // events,
                    heat=rng.random() * 100,
                    trend=rng.choice(["new", "rising", "peak", "declining", "dormant"]),
                    sentiment=rng.random(),
                    negative_share=rng.random(),
                )
                for k in range(events)
            ],
            batch_size=2000,
        )
    event_ids = list(Event.objects.values_list("pk", flat=True))
    labels = ["negative", "neutral", "positive"]
    step = 20000
    t0 = time.perf_counter()
    for offset in range(0, items, step):
        with transaction.atomic():
            Item.objects.bulk_create(
                [
                    Item(
                        source=sources[i % len(sources)],
                        external_id=f"seed-{i}",
                        text=base[i % len(base)]["text"],
                        lang="zh",
                        published_at=start + timedelta(seconds=span * rng.random()),
                        region=rng.choice(REGIONS),
                        scheme=scheme,
                        event_id=event_ids[i % len(event_ids)],
                        sentiment_label=rng.choice(labels),
                    )
                    for i in range(offset, min(items, offset + step))
                ],
                batch_size=2000,
            )
        print(f"  seeded {min(items, offset + step):,} items", file=sys.stderr, end="\r")
    print(file=sys.stderr)
    services.daily_counts_rebuild()  # the bulk insert bypassed ingestion, which keeps these current
    seeded_items = time.perf_counter() - t0
    year = start.year
    rows = []
    for i in range(cases):
        received = start + timedelta(seconds=span * rng.random())
        closed = received + timedelta(hours=rng.expovariate(1 / 60)) if rng.random() < 0.8 else None
        due = received + timedelta(days=15)
        rows.append(
            Case(
                unit=units[1 + i % (len(units) - 1)],
                number=f"青禾〔{year}〕B{i + 1}号",
                year=year,
                seq=i + 1,
                channel="web",
                category="complaint",
                summary=f"基准诉求{i}",
                status="closed" if closed else "in_progress",
                is_open=closed is None,
                received_at=received,
                updated_at=closed or received,
                closed_at=closed,
                close_due=due,
                on_time=None if closed is None else closed <= due,
            )
        )
    with transaction.atomic():
        Case.objects.bulk_create(rows, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return office, seeded_items


def _time(func: Callable[[], Any], repeat: int) -> tuple[float, list[float], Any]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=5_000)
    parser.add_argument("--period", default="2026-10")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--out", default="bench/out/reports-platform")
    args = parser.parse_args()
    directory = _setup(args.data_dir)
    from qingting.reports.charts import render_chart
    from qingting.reports.docx import render_docx
    from qingting.reports.figures import build_bulletin
    from qingting.reports.pdf import convert_docx_to_pdf, resident_converter
    from qingting.reports.samples import sample_bulletin_figures, sample_letterhead
    from qingting.web.reporting import services
    from qingting.web.reporting.figures import period_figures, work_figures

    t = time.perf_counter()
    office, seeded_items = _seed(args.items, args.cases, args.events, args.period)
    print(f"seeded in {time.perf_counter() - t:.0f} s (items {seeded_items:.0f} s)", file=sys.stderr)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def fresh(func: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            render_chart.cache_clear()  # charts redrawn every run, as for a new report
            return func()

        return run

    q_med, q_all, pf = _time(lambda: period_figures(office, args.period), args.repeat)
    w_med, w_all, wf = _time(lambda: work_figures(office, args.period), args.repeat)
    docx_med, docx_all, made = _time(
        fresh(lambda: services.report_generate(actor=None, kind="monthly", unit=office, period_label=args.period)),
        args.repeat,
    )
    (out / "monthly.docx").write_bytes(made.docx)
    work_med, work_all, work = _time(
        fresh(lambda: services.report_generate(actor=None, kind="work", unit=office, period_label=args.period)),
        args.repeat,
    )
    (out / "work.docx").write_bytes(work.docx)
    converter = resident_converter()
    converter.start()
    time.sleep(3)  # let the pre-started LibreOffice finish starting, as it has in a running server

    def monthly_pdf() -> Any:
        render_chart.cache_clear()
        return services.report_generate(
            actor=None, kind="monthly", unit=office, period_label=args.period, formats=("docx", "pdf")
        )

    pdf_times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        made_pdf = monthly_pdf()
        pdf_times.append(time.perf_counter() - t)
        time.sleep(4)  # a report every few seconds at most: the next LibreOffice is ready
    (out / "monthly.pdf").write_bytes(made_pdf.pdf)
    # one-shot LibreOffice (the "before"): a fresh process and profile per conversion
    once_times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        convert_docx_to_pdf(out / "monthly.docx", out / "monthly-once.pdf")
        once_times.append(time.perf_counter() - t)

    def bulletin(pdf: bool) -> Any:
        render_chart.cache_clear()
        doc = build_bulletin(sample_bulletin_figures(), sample_letterhead(bulletin=True))
        data = render_docx(doc)
        path = out / "bulletin.docx"
        path.write_bytes(data)
        if pdf:
            converter.convert(path, out / "bulletin.pdf")
        return data

    b_docx_med, b_docx_all, _ = _time(lambda: bulletin(False), args.repeat)
    b_times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        bulletin(True)
        b_times.append(time.perf_counter() - t)
        time.sleep(4)
    b_once = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        convert_docx_to_pdf(out / "bulletin.docx", out / "bulletin-once.pdf")
        b_once.append(time.perf_counter() - t)
    converter.stop()

    def fmt(times: list[float]) -> str:
        return f"{statistics.median(times):.2f} s (runs {', '.join(f'{x:.2f}' for x in times)})"

    print(f"command   .venv/bin/python bench/bench_reports_platform.py {' '.join(sys.argv[1:])}")
    print(
        f"data      {args.items:,} items over {args.period} in 12 sources / 11 units, {args.events:,} events, "
        f"{args.cases:,} cases (~80% closed); db {directory}"
    )
    print(
        f"settings  embedded (SQLite WAL), Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.1f}; charts redrawn every run"
    )
    print(f"monthly   figures (queries)          {fmt(q_all)}  total {pf.total:,} items")
    print(f"monthly   DOCX (queries + render)    {fmt(docx_all)}  {len(made.docx) // 1024} kB")
    print(f"monthly   DOCX + PDF (resident LO)   {fmt(pdf_times)}")
    print(f"monthly   PDF only, one-shot LO      {fmt(once_times)}")
    print(f"work      figures (queries)          {fmt(w_all)}  cases received {wf.cases_received:,}")
    print(f"work      DOCX (queries + render)    {fmt(work_all)}")
    print(f"bulletin  DOCX                       {fmt(b_docx_all)}")
    print(f"bulletin  DOCX + PDF (resident LO)   {fmt(b_times)}")
    print(f"bulletin  PDF only, one-shot LO      {fmt(b_once)}")
    print(f"resident  instances started {converter.starts}, conversions handed over {converter.handed_over}")
    del q_med, w_med, docx_med, work_med, b_docx_med, work


if __name__ == "__main__":
    main()
