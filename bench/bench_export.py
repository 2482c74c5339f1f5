"""Issue 15's export target: 100,000 rows streamed in ≤ 10 s with bounded memory (decision 0112).

    .venv/bin/python bench/bench_dashboard.py --items 1000000 \
        --database-url postgres://postgres@127.0.0.1:5432/qt_export      # seeds (once)
    .venv/bin/python bench/bench_export.py --rows 100000 --repeat 3 --xlsx-libraries \
        --database-url postgres://postgres@127.0.0.1:5432/qt_export      # measures

Runs on a database ``bench_dashboard.py`` (or ``bench_web.py pages``) seeded, without changing it:
the search results of the newest whole days holding at least ``--rows`` items, exported by the
office analyst through ``/exports/search/`` (Django test client, read to the end as a browser
would), as CSV and xlsx, ``--repeat`` times each, interleaved.

The reference, measured in the same run: PostgreSQL's own ``COPY (the same query) TO STDOUT
(FORMAT csv)`` read by psycopg — what producing the same rows costs with no Python per row.
Memory: the peak resident size while one export streams, above the size before it (Linux
``/proc/self/status`` VmHWM, reset through ``clear_refs``), so the Rust writer's memory counts
too; tracemalloc would see only Python's.

``--xlsx-libraries``: the same rows, read once into memory, written by each xlsx library
installed (openpyxl write-only, rvgsrust-xlsxwriter constant-memory, and XlsxWriter
constant-memory and PyExcelerate when installed: ``pip install xlsxwriter pyexcelerate``), CPU
per row and rows per CPU-second.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_web


def _setup(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        tables = {r[0] for r in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()}
    if bench_web.BENCH_MARKER not in tables or "monitoring_item" not in tables:
        raise SystemExit(f"{url} was not seeded by bench_dashboard.py / bench_web.py: seed it first")
    os.environ["QINGTING_DATA_DIR"] = tempfile.mkdtemp(prefix="qingting-bench-")
    os.environ["QINGTING_DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "qingting.web.config.settings.server"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def _rss_reset() -> int:
    """Reset the peak resident size (Linux) and return the current one, in bytes."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")
    return _status("VmRSS")


def _status(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    return 0


def _export(client: Any, url: str) -> dict[str, float]:
    before = _rss_reset()
    w, c = time.perf_counter(), time.process_time()
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    size = sum(len(chunk) for chunk in response.streaming_content)
    return {
        "wall": time.perf_counter() - w,
        "cpu": time.process_time() - c,
        "mb": size / 1e6,
        "peak": (_status("VmHWM") - before) / 1e6,
    }


def _copy(sql: str, params: list[Any]) -> dict[str, float]:
    from django.db import connection

    w, c = time.perf_counter(), time.process_time()
    size = 0
    with connection.cursor() as cursor:
        raw = cursor.connection.cursor()
        with raw.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)", params) as copy:
            for block in copy:
                size += len(block)
    return {"wall": time.perf_counter() - w, "cpu": time.process_time() - c, "mb": size / 1e6, "peak": 0.0}


def _libraries(rows: list[tuple[Any, ...]], header: list[str], preamble: list[list[str]]) -> None:
    from qingting.web.exports import writer

    cells = [list(r) for r in writer._xlsx_cells(rows)]  # converted once: the writers alone are timed

    def with_xlsxwriter(handle: Any) -> None:
        import xlsxwriter

        book = xlsxwriter.Workbook(
            handle,
            {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
             "strings_to_urls": False, "in_memory": False},
        )  # fmt: skip
        sheet = book.add_worksheet("export")
        bold = book.add_format({"bold": True})
        n = 0
        for line in preamble:
            sheet.write_row(n, 0, line)
            n += 1
        sheet.write_row(n, 0, header, bold)
        for i, row in enumerate(cells, start=n + 1):
            sheet.write_row(i, 0, row)
        book.close()

    def with_pyexcelerate(handle: Any) -> None:
        from pyexcelerate import Workbook

        book = Workbook()
        book.new_sheet("export", data=[*preamble, header, *cells])
        book.save(handle)

    candidates = [
        ("openpyxl 3.1 write-only", "openpyxl",
         lambda h: writer.write_xlsx_openpyxl(h, "export", preamble, header, cells)),
        ("rvgsrust-xlsxwriter constant memory", "rvgsrust_xlsxwriter",
         lambda h: writer.write_xlsx_rvgsrust(h, "export", preamble, header, cells)),
        ("XlsxWriter constant_memory", "xlsxwriter", with_xlsxwriter),
        ("PyExcelerate (whole sheet in memory)", "pyexcelerate", with_pyexcelerate),
    ]  # fmt: skip
    print(f"\nxlsx libraries, the same {len(cells):,} rows (read once, converted once), one pass each:")
    print(f"{'library':<40} {'version':>8} {'wall s':>7} {'CPU s':>6} {'µs/row':>7} {'rows/CPU-s':>11} {'MB':>5} "
          f"{'peak MB':>8} {'× openpyxl CPU':>15}")  # fmt: skip
    from importlib.metadata import version

    reference = None
    for name, module, write in candidates:
        try:
            __import__(module)
        except ImportError:
            print(f"{name:<40} not installed")
            continue
        dist = {"rvgsrust_xlsxwriter": "rvgsrust-xlsxwriter", "pyexcelerate": "PyExcelerate"}.get(module, module)
        with tempfile.TemporaryFile() as handle:
            before = _rss_reset()
            w, c = time.perf_counter(), time.process_time()
            write(handle)
            wall, cpu = time.perf_counter() - w, time.process_time() - c
            peak = (_status("VmHWM") - before) / 1e6
            size = handle.seek(0, 2) / 1e6
        reference = reference or cpu
        print(f"{name:<40} {version(dist):>8} {wall:>7.1f} {cpu:>6.1f} {cpu / len(cells) * 1e6:>7.1f} "
              f"{len(cells) / cpu:>11,.0f} {size:>5.1f} {peak:>8.1f} {cpu / reference:>15.2f}")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=".venv/bin/python bench/bench_export.py", description=__doc__)
    parser.add_argument("--database-url", required=True, help="a database bench_dashboard.py seeded (not changed)")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--xlsx-libraries", action="store_true", help="also compare the xlsx libraries")
    args = parser.parse_args(argv)
    _setup(args.database_url)

    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    from qingting.web.exports import views as export_views
    from qingting.web.exports import writer
    from qingting.web.monitoring import selectors
    from qingting.web.monitoring.models import Item

    setup_test_environment()
    analyst = get_user_model().objects.get(username="bench_analyst")
    client = Client()
    client.force_login(analyst)
    total = Item.objects.count()
    newest = Item.objects.order_by("-published_at").values_list("published_at", flat=True)
    first = timezone.localtime(newest[min(args.rows, total) - 1]).date()  # whole days: at least --rows
    filters = selectors.ItemFilters(date_from=first)
    query = selectors.item_search(analyst, filters).values_list(*export_views._ITEM_COLUMNS)
    rows = query.count()
    sql, params = query.query.sql_with_params()

    print(f"command   .venv/bin/python bench/bench_export.py {' '.join(sys.argv[1:])}")
    print(f"data      {total:,} items; search results from {first} (all the office analyst may see): {rows:,} rows")
    print(f"settings  {bench_web._mode()}, Django test client, xlsx writer {writer.xlsx_engine()}, "
          f"repeat={args.repeat}, load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    runs: dict[str, list[dict[str, float]]] = {"COPY … TO STDOUT (reference)": [], "CSV": [], "xlsx": []}
    client.get(f"/exports/search/?date_from={first}&format=csv&warm=1")  # imports, caches
    for _ in range(args.repeat):
        runs["COPY … TO STDOUT (reference)"].append(_copy(sql, list(params)))
        for fmt in ("csv", "xlsx"):
            url = f"/exports/search/?date_from={first}&format={fmt}"
            runs["CSV" if fmt == "csv" else "xlsx"].append(_export(client, url))
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print(f"{'export':<30} {'rows':>8} {'wall s':>7} {'CPU s':>6} {'rows/s':>8} {'MB':>5} {'peak RSS MB':>12} "
          f"{'× ref wall':>10}")  # fmt: skip
    ref = statistics.median(r["wall"] for r in runs["COPY … TO STDOUT (reference)"])
    for name, values in runs.items():
        wall = statistics.median(r["wall"] for r in values)
        cpu = statistics.median(r["cpu"] for r in values)
        peak = max(r["peak"] for r in values)
        print(f"{name:<30} {rows:>8,} {wall:>7.1f} {cpu:>6.1f} {rows / wall:>8,.0f} {values[0]['mb']:>5.1f} "
              f"{peak:>12.1f} {wall / ref:>10.1f}")  # fmt: skip
    each = "; ".join(k + " " + ", ".join(f"{r['wall']:.1f}" for r in v) for k, v in runs.items())
    print(f"(medians; wall seconds of each run: {each})")

    if args.xlsx_libraries:
        data = list(export_views._item_rows(analyst, filters))
        preamble = writer._preamble("检索结果", analyst, [("起始日期", str(first))])
        _libraries(data, export_views._item_header(), preamble)


if __name__ == "__main__":
    main()
