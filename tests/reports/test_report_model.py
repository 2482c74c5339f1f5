"""The format-free document model: numbering, dates, validation."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from qingting.reports.model import (
    ChartKind,
    ChartSeries,
    ChartSpec,
    Document,
    Heading,
    Paragraph,
    Table,
    chinese_number,
    format_cell,
    format_date,
    heading_labels,
    is_numeric_cell,
)


def test_dates_are_arabic_without_zero_padding() -> None:
    assert format_date(date(2026, 1, 5)) == "2026年1月5日"


@pytest.mark.parametrize(("n", "text"), [(1, "一"), (10, "十"), (11, "十一"), (20, "二十"), (35, "三十五")])
def test_chinese_numbers(n: int, text: str) -> None:
    assert chinese_number(n) == text


def test_headings_are_numbered_by_level_and_restart_under_each_parent() -> None:
    blocks = (
        Heading(1, "基本情况"),
        Heading(2, "a"),
        Heading(3, "x"),
        Heading(3, "y"),
        Heading(4, "z"),
        Heading(2, "b"),
        Heading(3, "x"),
        Heading(1, "研判"),
        Heading(2, "c"),
    )
    assert heading_labels(blocks) == ["一、", "（一）", "1.", "2.", "（1）", "（二）", "1.", "二、", "（一）"]


def test_numeric_cells_are_recognised() -> None:
    assert all(is_numeric_cell(v) for v in (3, 2.5, "1,234", "12.5%", "-3", "42件"))
    assert not any(is_numeric_cell(v) for v in ("微博", "2026年", True))
    assert format_cell(1234567) == "1,234,567"
    assert format_cell(2026) == "2026"
    assert format_cell(0.5) == "0.5"


def test_document_validation(bulletin: Document) -> None:
    with pytest.raises(ValueError, match="发文字号"):
        replace(bulletin, number="青禾舆〔2026〕第012号")
    with pytest.raises(ValueError, match="发文字号"):
        replace(bulletin, number="青禾舆[2026]12号")
    with pytest.raises(ValueError, match="paragraph"):
        replace(bulletin, body=(Heading(1, "只有标题"),))
    with pytest.raises(ValueError, match="six digits"):
        replace(bulletin, copy_number="12")
    with pytest.raises(ValueError, match="level"):
        Heading(5, "x")
    with pytest.raises(ValueError, match="row 1"):
        Table(("a", "b"), (("only one",),))
    with pytest.raises(ValueError, match="values"):
        ChartSpec(ChartKind.LINE, ("a", "b"), (ChartSeries("s", (1.0,)),))
    assert replace(bulletin, mark="").mark_text == "青禾县委网信办文件"
    assert replace(bulletin, body=(Paragraph("x"),)).signature_text == "青禾县委网信办"
