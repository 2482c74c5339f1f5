"""Builders compute every derived figure; the DOCX carries exactly those figures."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, datetime

import docx as python_docx
import pytest

from qingting.reports.docx import column_widths, render_docx
from qingting.reports.figures import (
    BulletinFigures,
    Period,
    PeriodFigures,
    ReportTemplate,
    SentimentMix,
    UnitWork,
    build_bulletin,
    build_period_report,
    build_work_report,
    mask_personal_data,
    percent,
)
from qingting.reports.html import render_html
from qingting.reports.model import Document, DocumentKind, Figure, Heading, Paragraph, Table
from qingting.reports.samples import (
    sample_bulletin_figures,
    sample_letterhead,
    sample_period_figures,
    sample_work_figures,
)


def _opened(doc: Document) -> python_docx.document.Document:
    return python_docx.Document(io.BytesIO(render_docx(doc)))


def _table_rows(d: python_docx.document.Document) -> list[list[list[str]]]:
    return [[[c.text for c in row.cells] for row in t.rows] for t in d.tables]


def _text(d: python_docx.document.Document) -> str:
    return "\n".join(p.text for p in d.paragraphs)


@pytest.mark.parametrize(
    ("text", "start", "end", "label"),
    [
        ("2026-10", date(2026, 10, 1), date(2026, 10, 31), "2026年10月"),
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28), "2026年2月"),
        ("2026-H1", date(2026, 1, 1), date(2026, 6, 30), "2026年上半年"),
        ("2026-h2", date(2026, 7, 1), date(2026, 12, 31), "2026年下半年"),
        ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31), "2026年第四季度"),
        ("2026", date(2026, 1, 1), date(2026, 12, 31), "2026年"),
        ("2026-W41", date(2026, 10, 5), date(2026, 10, 11), "2026年第41周"),
        ("2026-10-05", date(2026, 10, 5), date(2026, 10, 5), "2026年10月5日"),
    ],
)
def test_periods_parse(text: str, start: date, end: date, label: str) -> None:
    p = Period.parse(text)
    assert (p.start, p.end, p.label) == (start, end, label)


def test_bad_periods_are_refused_with_the_accepted_forms() -> None:
    for bad in ("2026-13", "2026-H3", "last month", "2026-10-40"):
        with pytest.raises(ValueError, match="period"):
            Period.parse(bad)
    assert Period.parse("2026-01").previous().label == "2025年12月"


def test_percent_never_divides_by_zero() -> None:
    assert percent(1, 3) == "33.3%"
    assert percent(0, 0) == "—"


def test_monthly_report_figures_are_computed_and_printed() -> None:
    figures = sample_period_figures("2026-10")
    doc = build_period_report(figures, sample_letterhead())
    assert doc.kind is DocumentKind.PERIODIC
    assert doc.title == "青禾县2026年10月网络舆情分析报告"
    d = _opened(doc)
    text = _text(d)
    total = sum(n for _, n in figures.volume)
    assert f"共监测到青禾县相关网络信息{total:,}条" in text
    assert f"日均{total / 31:.1f}条" in text
    change = (total - figures.previous_total) / figures.previous_total * 100  # type: ignore[operator]
    assert f"环比上升{change:.1f}%" in text
    peak_day, peak = max(figures.volume, key=lambda v: v[1])
    peak_text = f"{peak:,}" if peak >= 10000 else str(peak)  # separators from five digits on (GB/T 15835)
    assert f"信息量最高的是{peak_day.month}月{peak_day.day}日，当日{peak_text}条" in text
    tables = _table_rows(d)
    sources = next(t for t in tables if t[0][0] == "来源")
    src_total = sum(c for _, c in figures.sources)
    assert sources[-1] == ["合计", f"{src_total:,}", "100.0%"]
    assert sources[1][0] == "微博"  # sorted by volume
    regions = next(t for t in tables if t[0][0] == "地域")
    assert regions[-2][0] == "其他"  # the 11th town folds into 其他
    warnings = next(t for t in tables if t[0][0] == "预警等级")
    assert warnings[1] == ["一级（红色）", "1", "3.3%"]
    assert len(d.inline_shapes) == 3  # volume line, sentiment donut, sources bar
    headings = [p.text for p in d.paragraphs if p.style.name == "Heading 1"]
    assert headings == [
        "一、总体态势",
        "二、情感倾向",
        "三、热点事件",
        "四、信息来源",
        "五、地域分布",
        "六、预警情况",
        "七、研判与建议",
    ]


def test_empty_period_says_so_without_empty_tables_or_charts() -> None:
    p = Period.parse("2026-10")
    figures = PeriodFigures(scope="青禾县", period=p, volume=(), sentiment=SentimentMix(0, 0, 0))
    doc = build_period_report(figures, sample_letterhead())
    assert not [b for b in doc.body if isinstance(b, Table | Figure)]
    text = " ".join(b.text for b in doc.body if isinstance(b, Paragraph))
    assert "未监测到青禾县相关网络信息" in text and "本期未发出预警" in text
    assert "研判与建议" not in [b.text for b in doc.body if isinstance(b, Heading)]
    render_html(doc)  # renders without division by zero


def test_volume_outside_the_period_is_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        PeriodFigures("青禾县", Period.parse("2026-10"), ((date(2026, 11, 1), 3),), SentimentMix(1, 1, 1))


def test_work_report_rates_and_units() -> None:
    figures = sample_work_figures("2026-H1")
    d = _opened(build_work_report(figures, sample_letterhead()))
    text = _text(d)
    closure = 100 * figures.cases_closed / figures.cases_received
    on_time = 100 * figures.cases_on_time / figures.cases_closed
    assert f"办结率{closure:.1f}%" in text
    assert f"按时办结率{on_time:.1f}%" in text
    assert "共监测网络信息1,046,388条" in text
    assert "编发舆情专报38期，被上级采用11期" in text
    assert "办理时长中位数27.5小时" in text
    metrics = dict((row[0], row[1]) for row in _table_rows(d)[0][1:])
    assert metrics["办结率"] == f"{closure:.1f}%"
    assert metrics["受理网民诉求（件）"] == str(figures.cases_received)
    units = next(t for t in _table_rows(d) if t[0][0] == "单位")
    assert units[1] == ["县住建局", "412", "398", "96.6%", "371", "93.2%", "30.5"]
    assert units[-1][:4] == ["合计", "1005", "970", "96.5%"]
    assert "县市场监管局办结率最高（100.0%）" in text


def test_work_figures_refuse_impossible_counts() -> None:
    with pytest.raises(ValueError, match="on-time"):
        UnitWork("县住建局", 10, 5, 6)
    with pytest.raises(ValueError, match="on-time"):
        replace(sample_work_figures(), cases_on_time=10_000)


def test_bulletin_sections_pseudonyms_and_masking() -> None:
    figures = sample_bulletin_figures()
    doc = build_bulletin(figures, sample_letterhead(bulletin=True))
    assert doc.title == "关于白鹭镇滨河路道路施工引发网民关注的舆情专报"
    d = _opened(doc)
    text = _text(d)
    assert "共监测到相关信息1427条，其中负面信息477条，占33.4%" in text
    assert "目前处于上升阶段，热度78.6" in text
    assert "10月5日8时30分，网民在微博发帖反映滨河路早高峰拥堵。" in text
    assert "网民“a3f9c2e1”（微博，10月5日8时30分，互动532次）" in text
    assert "13812345678" not in text and "138****5678" in text
    assert "信息量在12时达到峰值（260条）" in text
    leads = [p.runs[0].text for p in d.paragraphs if p.text.startswith(("一是", "二是", "三是"))]
    assert leads == ["一是", "二是", "三是"]
    headings = [p.text for p in d.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["一、基本情况", "二、传播情况", "三、网民观点", "四、研判", "五、处置建议"]
    assert len(d.inline_shapes) == 2


def test_minimal_bulletin_still_renders() -> None:
    figures = BulletinFigures(
        event_title="关于某事的舆情专报",
        as_of=datetime(2026, 10, 5, 18),
        summary="某事",
        total_items=0,
        sentiment=SentimentMix(0, 0, 0),
        trend="new",
        heat=0.0,
        first_seen=datetime(2026, 10, 5, 9),
    )
    doc = build_bulletin(figures, sample_letterhead(bulletin=True))
    assert doc.title == "关于某事的舆情专报"
    assert "占—" in _text(_opened(doc))


def test_personal_data_masking() -> None:
    assert mask_personal_data("邮箱zhang.san@example.com") == "邮箱z***@example.com"
    assert mask_personal_data("订单号2026100512345678901") == "订单号2026100512345678901"


def test_column_widths_follow_content_and_fill_the_block() -> None:
    table = Table(("序号", "事件", "信息量"), ((1, "青禾大道道路施工影响出行", 4307),))
    widths = column_widths(table)
    assert sum(widths) == 8845
    assert widths[1] > widths[0] and widths[1] > widths[2]


def test_template_chooses_orders_and_renames_sections() -> None:
    template = ReportTemplate(
        sections=("warnings", "overview", "sources"),
        headings=(("warnings", "预警发布情况"),),
        title="{scope}{period}舆情简报",
    )
    doc = build_period_report(sample_period_figures("2026-10"), sample_letterhead(), template)
    assert doc.title == "青禾县2026年10月舆情简报"
    headings = [b.text for b in doc.body if isinstance(b, Heading) and b.level == 1]
    assert headings == ["预警发布情况", "总体态势", "信息来源"]
    d = _opened(doc)
    assert [p.text for p in d.paragraphs if p.style.name == "Heading 1"] == [
        "一、预警发布情况",
        "二、总体态势",
        "三、信息来源",
    ]
    assert [t.rows[0].cells[0].text for t in d.tables] == ["预警等级", "来源"]
    assert "表1　预警分级统计" in _text(d)  # numbering follows the new order


def test_template_rejects_unknown_sections_and_keeps_title_placeholders_plain() -> None:
    with pytest.raises(ValueError, match="unknown report sections"):
        build_work_report(sample_work_figures(), sample_letterhead(), ReportTemplate(sections=("figures", "budget")))
    doc = build_bulletin(
        sample_bulletin_figures(), sample_letterhead(), ReportTemplate(title="关于{event}的情况报告{event.__class__}")
    )
    assert doc.title == "关于白鹭镇滨河路道路施工引发网民关注的情况报告{event.__class__}"
    full = build_bulletin(sample_bulletin_figures(), sample_letterhead(), ReportTemplate())
    assert full.body == build_bulletin(sample_bulletin_figures(), sample_letterhead()).body
