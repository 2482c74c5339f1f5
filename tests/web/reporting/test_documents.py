"""Generated reports as files: DOCX structure against the database, PDF text layer and a rendered page."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from docx import Document as open_docx

from qingting.reports.figures import percent
from qingting.web.reporting.figures import period_figures, work_figures
from qingting.web.reporting.services import report_generate

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "reporting"


def _need(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        reason = f"{', '.join(missing)} not installed (apt-get install libreoffice-writer-nogui poppler-utils)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


def _n(value: int) -> str:
    return f"{value:,}" if value >= 10000 else str(value)


def test_monthly_docx_structure_matches_the_database(with_warnings: dict[str, Any]) -> None:
    seeded = with_warnings
    made = report_generate(actor=None, kind="monthly", unit=seeded["office"], period_label="2026-01", formats=("docx",))
    assert made.docx is not None
    doc = open_docx(io.BytesIO(made.docx))
    f = period_figures(seeded["office"], "2026-01")
    # one A4 section, margins after GB/T 9704 (top 37 mm, left 28 mm)
    assert len(doc.sections) == 1
    section = doc.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    assert round(section.top_margin.mm) == 37 and round(section.left_margin.mm) == 28
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading 1")]
    assert headings == ["一、总体态势", "二、情感倾向", "三、热点事件", "四、信息来源", "五、地域分布", "六、预警情况"]
    text = "\n".join(p.text for p in doc.paragraphs)
    assert f"共监测到区网信办相关网络信息{_n(f.total)}条" in text
    assert f"负面信息{f.sentiment.negative}条（占{percent(f.sentiment.negative, f.sentiment.total)}）" in text
    # warnings: the Warning rows raised in January in the office's tree (conftest.WARNING_PLAN)
    assert f.warnings_by_tier is not None and sum(n for _, n in f.warnings_by_tier) == 7
    assert "本期共发出预警7次，其中Ⅰ级（红色）1次，Ⅱ级（橙色）1次，Ⅲ级（黄色）2次，Ⅳ级（蓝色）3次。" in text
    # tables: events, sources, regions, warnings — each with the database's figures
    tables = {t.rows[0].cells[0].text + "|" + t.rows[0].cells[1].text: t for t in doc.tables}
    tiers = tables["预警等级|次数"]
    assert {r.cells[0].text: r.cells[1].text for r in tiers.rows[1:-1]} == {k: str(v) for k, v in f.warnings_by_tier}
    sources = tables["来源|信息量"]
    rows = {r.cells[0].text: r.cells[1].text for r in sources.rows[1:]}
    assert rows == {**{name: str(n) for name, n in f.sources}, "合计": str(f.total)}
    regions = tables["地域|信息量"]
    assert {r.cells[0].text: r.cells[1].text for r in regions.rows[1:-1]} == {k: str(v) for k, v in f.regions}
    events = tables["序号|事件"]
    assert [r.cells[1].text for r in events.rows[1:]] == [
        e.title for e in sorted(f.top_events, key=lambda e: (-e.heat, -e.items, e.title))
    ]
    # charts are pictures in the document (volume, sentiment, sources)
    assert len(doc.inline_shapes) == 3


def test_work_docx_indicator_table(
    with_cases: dict[str, Any], with_warnings: dict[str, Any], with_submissions: dict[str, Any]
) -> None:
    made = report_generate(
        actor=None, kind="work", unit=with_cases["office"], period_label="2026-01", formats=("docx",)
    )
    assert made.docx is not None
    doc = open_docx(io.BytesIO(made.docx))
    w = work_figures(with_cases["office"], "2026-01")
    table = doc.tables[0]
    values = {r.cells[0].text: r.cells[1].text for r in table.rows[1:]}
    assert values["监测网络信息（条）"] == str(w.items_monitored)
    assert values["受理网民诉求（件）"] == "7" and values["办结（件）"] == "5" and values["办结率"] == "71.4%"
    assert values["按时办结率"] == w.on_time_rate and values["编发舆情专报（期）"] == "0"
    # warnings and 直报 from the warnings and bulletins apps (conftest: 7 warnings, 5 sent, 3 adopted)
    assert values["发出预警（次）"] == "7" and values["向上级直报（期）"] == "5" and values["专报被采用（期）"] == "3"
    units = next(t for t in doc.tables if t.rows[0].cells[0].text == "单位")
    rows = {r.cells[0].text: [c.text for c in r.cells[1:3]] for r in units.rows[1:]}
    assert rows["合计"] == ["7", "5"] and rows["西街道"] == ["2", "1"]
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "受理网民诉求7件，办结5件，办结率71.4%" in text
    assert "发出预警7次（其中Ⅰ级（红色）1次，Ⅱ级（橙色）1次，Ⅲ级（黄色）2次，Ⅳ级（蓝色）3次）" in text
    assert "向上级直报5期，被上级采用3期" in text


def test_pdf_has_chinese_text_and_figures_and_renders(seeded: dict[str, Any]) -> None:
    _need("soffice", "pdftotext", "pdftoppm")
    made = report_generate(
        actor=None, kind="monthly", unit=seeded["office"], period_label="2026-01", formats=("pdf", "html")
    )
    assert made.pdf is not None and made.pdf.startswith(b"%PDF")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTIFACTS / "monthly-2026-01.pdf"
    pdf.write_bytes(made.pdf)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    compact = "".join(text.split())
    f = period_figures(seeded["office"], "2026-01")
    assert "区网信办2026年1月舆情月报" in compact
    assert f"共监测到区网信办相关网络信息{f.total}条" in compact
    assert "总体态势" in compact and "信息来源" in compact
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(ARTIFACTS / "monthly-p")], check=True
    )
    page = next(ARTIFACTS.glob("monthly-p*.png"))
    assert page.stat().st_size > 5000  # a page with content, not a blank one
