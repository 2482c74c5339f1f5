"""Benchmark of the report renderer: a 舆情专报 and a monthly analysis report from prepared figures.

Times, for each document, building the Document from its figures and rendering it to DOCX, to HTML
and to PDF (LibreOffice headless, a fresh private profile each time), with charts redrawn every
run (the chart cache is cleared). "cold" is a fresh Python process doing one DOCX (imports,
fontconfig look-ups and matplotlib start-up included): what a command-line run pays. "warm" is the
median of ``--repeat`` runs in one process: what a web worker pays. The figures are the fictional
samples in ``qingting.reports.samples`` (a 31-day month, 4 events, 6 sources, 11 regions); counting
them from the database is the web layer's part and is not timed here.

    .venv/bin/python bench/bench_reports.py [--repeat 5] [--pdf-repeat 2] [--no-pdf] [--out bench/out/reports]

Targets (issue 7): a bulletin in ≤ 3 s, a monthly report in ≤ 30 s (including the queries).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from qingting.reports.charts import render_chart
from qingting.reports.docx import render_docx
from qingting.reports.figures import build_bulletin, build_period_report
from qingting.reports.html import render_html
from qingting.reports.model import Document
from qingting.reports.pdf import LibreOfficeError, convert_docx_to_pdf, find_soffice
from qingting.reports.samples import (
    sample_bulletin_figures,
    sample_letterhead,
    sample_period_figures,
)

COLD = """
import time
t = time.perf_counter()
from qingting.reports.docx import render_docx
from qingting.reports.figures import {builder}
from qingting.reports.samples import {figures}, sample_letterhead
render_docx({builder}({figures}(), sample_letterhead()))
print(time.perf_counter() - t)
"""


def _median(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        render_chart.cache_clear()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _cold(builder: str, figures: str) -> float:
    code = COLD.format(builder=builder, figures=figures)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="warm runs per measurement (median)")
    parser.add_argument("--pdf-repeat", type=int, default=2, help="PDF conversions per document (median)")
    parser.add_argument("--no-pdf", action="store_true", help="skip LibreOffice")
    parser.add_argument("--out", type=Path, default=None, help="keep the DOCX, PDF and HTML here for a look")
    args = parser.parse_args()

    docs: dict[str, tuple[Callable[[], Document], str, str]] = {
        "bulletin": (
            lambda: build_bulletin(sample_bulletin_figures(), sample_letterhead(bulletin=True)),
            "build_bulletin",
            "sample_bulletin_figures",
        ),
        "monthly": (
            lambda: build_period_report(sample_period_figures("2026-10"), sample_letterhead()),
            "build_period_report",
            "sample_period_figures",
        ),
    }
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"python {platform.python_version()} on {platform.machine()}, {platform.system()}; repeat={args.repeat}")
    print("figures: qingting.reports.samples (fictional 青禾县; bulletin 1,427 items, month 2026-10)")
    soffice = None
    if not args.no_pdf:
        try:
            soffice = find_soffice()
            version = subprocess.run([soffice, "--version"], capture_output=True, text=True, timeout=60).stdout
            print(f"LibreOffice: {version.strip()}")
        except LibreOfficeError as exc:
            print(f"PDF skipped: {exc}")
    print()
    columns = (
        ("pages*", 7),
        ("DOCX cold s", 13),
        ("DOCX warm s", 13),
        ("HTML warm s", 13),
        ("PDF s", 9),
        ("PDF kept s", 12),
        ("DOCX kB", 9),
    )
    print(f"{'document':<10}" + "".join(f"{title:>{width}}" for title, width in columns))
    for name, (build, builder, figures) in docs.items():
        cold = _cold(builder, figures)
        docx_s = _median(lambda build=build: render_docx(build()), args.repeat)  # type: ignore[misc]
        html_s = _median(lambda build=build: render_html(build()), args.repeat)  # type: ignore[misc]
        data = render_docx(build())
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / f"{name}.docx").write_bytes(data)
            (args.out / f"{name}.html").write_text(render_html(build()), encoding="utf-8")
        pdf_s = pdf_kept_s = float("nan")
        pages = "-"
        if soffice:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / f"{name}.docx"
                path.write_bytes(data)
                times, kept = [], []
                for _ in range(args.pdf_repeat):
                    t = time.perf_counter()
                    result = convert_docx_to_pdf(path, Path(tmp) / f"{name}.pdf", timeout=300)
                    times.append(time.perf_counter() - t)
                # A kept profile: the first run creates it, the following ones reuse it.
                convert_docx_to_pdf(path, Path(tmp) / "warm.pdf", timeout=300, profile_dir=Path(tmp) / "profile")
                for _ in range(args.pdf_repeat):
                    t = time.perf_counter()
                    convert_docx_to_pdf(path, Path(tmp) / "warm.pdf", timeout=300, profile_dir=Path(tmp) / "profile")
                    kept.append(time.perf_counter() - t)
                pdf_s = statistics.median(times)
                if args.out:
                    (args.out / f"{name}.pdf").write_bytes(result.path.read_bytes())
                pdf_kept_s = statistics.median(kept)
                info = subprocess.run(["pdfinfo", str(result.path)], capture_output=True, text=True, check=False)
                pages = next((ln.split()[-1] for ln in info.stdout.splitlines() if ln.startswith("Pages:")), "?")
        print(
            f"{name:<10}{pages:>7}{cold:>13.2f}{docx_s:>13.3f}{html_s:>13.3f}"
            f"{pdf_s:>9.2f}{pdf_kept_s:>12.2f}{len(data) / 1024:>9.0f}"
        )
    print("\n* pages of the PDF. PDF s = DOCX → PDF with LibreOffice headless, fresh profile (start-up included);")
    print("  PDF kept s = the same with a kept profile (convert_docx_to_pdf(..., profile_dir=...)).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
