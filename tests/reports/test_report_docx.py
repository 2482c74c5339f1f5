"""The DOCX follows GB/T 9704-2012: checked by opening it again with python-docx."""

from __future__ import annotations

import io
import time
from dataclasses import replace
from pathlib import Path

import docx as python_docx
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn

from qingting.reports.docx import LAYOUT, render_docx, write_docx
from qingting.reports.model import Document


@pytest.fixture()
def opened(bulletin: Document, artifacts: Path) -> python_docx.document.Document:
    path = write_docx(bulletin, artifacts / "bulletin.docx")
    return python_docx.Document(str(path))


def _east_asia(run: object) -> str | None:
    fonts = run._element.rPr.find(qn("w:rFonts"))  # type: ignore[attr-defined]
    return None if fonts is None else fonts.get(qn("w:eastAsia"))


def _texts(d: python_docx.document.Document) -> list[str]:
    return [p.text for p in d.paragraphs]


def test_page_margins_and_line_grid(opened: python_docx.document.Document) -> None:
    section = opened.sections[0]
    assert (section.page_width.twips, section.page_height.twips) == (11906, 16838)
    margins = (section.top_margin, section.left_margin, section.right_margin, section.bottom_margin)
    assert tuple(m.twips for m in margins) == (2098, 1587, 1474, 1984)
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "lines"
    assert grid.get(qn("w:linePitch")) == "579"
    assert 22 * LAYOUT["line_pitch"] <= 16838 - 2098 - 1984  # 22 lines fit the 225 mm text block


def test_body_font_size_and_char_spacing(opened: python_docx.document.Document) -> None:
    normal = opened.styles["Normal"]
    assert normal.font.size.pt == 16  # 3号
    rpr = normal.element.rPr
    assert rpr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert rpr.find(qn("w:spacing")).get(qn("w:val")) == "-5"  # −0.25 pt: 28 characters a line
    assert normal.paragraph_format.line_spacing.twips == 579


def test_head_red_mark_number_and_rule(opened: python_docx.document.Document) -> None:
    paragraphs = opened.paragraphs
    mark = next(p for p in paragraphs if p.text == "青禾县委网信办舆情专报")
    run = mark.runs[0]
    assert str(run.font.color.rgb) == "FF0000"
    assert _east_asia(run) == "方正小标宋简体"
    assert mark.alignment == WD_ALIGN_PARAGRAPH.CENTER
    number = next(p for p in paragraphs if p.text == "青禾舆〔2026〕12号")
    bottom = number._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert bottom.get(qn("w:color")) == "FF0000"


def test_title_heading_hierarchy_and_fonts(opened: python_docx.document.Document) -> None:
    texts = _texts(opened)
    title = next(p for p in opened.paragraphs if p.text.replace("\n", "").startswith("关于青禾大道"))
    assert title.runs[0].font.size.pt == 22
    assert _east_asia(title.runs[0]) == "方正小标宋简体"
    assert texts.index("县委办公室：") > _texts(opened).index(title.text)
    headings = [(p.style.name, p.text) for p in opened.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [
        ("Heading 1", "一、基本情况"),
        ("Heading 2", "（一）传播情况"),
        ("Heading 2", "（二）情感倾向"),
        ("Heading 3", "1.主要观点"),
        ("Heading 1", "二、研判与建议"),
    ]
    fonts = {p.text: _east_asia(p.runs[0]) for p in opened.paragraphs if p.style.name.startswith("Heading")}
    assert fonts["一、基本情况"] == "黑体"
    assert fonts["（一）传播情况"] == "楷体_GB2312"
    assert "（1）施工期间绕行标识不清。" in texts
    lead = next(p for p in opened.paragraphs if p.text.startswith("一是主动回应。"))
    assert _east_asia(lead.runs[0]) == "黑体"
    assert _east_asia(lead.runs[1]) == "仿宋_GB2312"


def test_tables_carry_the_figures_right_aligned(opened: python_docx.document.Document) -> None:
    assert len(opened.tables) == 1
    table = opened.tables[0]
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows == [
        ["来源", "信息量", "占比"],
        ["微博", "800", "64.8%"],
        ["新闻网站", "300", "24.3%"],
        ["论坛", "134", "10.9%"],
    ]
    assert table.cell(1, 1).paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert table.cell(1, 0).paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.LEFT
    assert "表1　信息来源分布" in _texts(opened)


def test_one_image_per_chart(opened: python_docx.document.Document) -> None:
    pictures = opened.inline_shapes
    assert len(pictures) == 1
    assert "图1　情感分布" in _texts(opened)
    blips = opened.element.body.findall(".//" + qn("a:blip"))
    part = opened.part.related_parts[blips[0].get(qn("r:embed"))]
    assert part.blob[:8] == b"\x89PNG\r\n\x1a\n"


def test_footers_have_page_fields_odd_right_even_left(opened: python_docx.document.Document) -> None:
    assert opened.settings.odd_and_even_pages_header_footer
    section = opened.sections[0]
    odd, even = section.footer.paragraphs[0], section.even_page_footer.paragraphs[0]
    for p in (odd, even):
        instr = "".join(t.text for t in p._p.iter(qn("w:instrText")))
        assert instr.strip() == "PAGE"
        assert p.text.startswith("— ") and p.text.endswith(" —")
        assert p.runs[0].font.size.pt == 14  # 4号
        assert _east_asia(p.runs[0]) == "宋体"
    assert odd.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert even.alignment == WD_ALIGN_PARAGRAPH.LEFT


def test_ending_and_closing_block(opened: python_docx.document.Document) -> None:
    texts = _texts(opened)
    assert "附件：1. 监测信息摘录" in texts
    assert "2. 网民代表性观点" in texts
    assert "2026年10月6日" in texts
    assert texts.index("青禾县委网信办") < texts.index("2026年10月6日")
    assert "（联系人：王芳，电话：0000-1234567）" in texts
    signature = next(p for p in opened.paragraphs if p.text == "青禾县委网信办")
    assert signature.paragraph_format.keep_with_next  # the signature never opens a page alone
    assert "抄送：县委宣传部，县住建局。" in texts
    printed = next(p for p in opened.paragraphs if p.text.endswith("印发"))
    assert printed.text == "青禾县委网信办\t2026年10月6日印发"
    assert printed.runs[0].font.size.pt == 14
    assert printed._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom")).get(qn("w:sz")) == "8"


def test_upward_document_puts_signer_beside_the_number(bulletin: Document) -> None:
    d = python_docx.Document(io.BytesIO(render_docx(replace(bulletin, signer="李明"))))
    line = next(p for p in d.paragraphs if p.text.startswith("青禾舆"))
    assert line.text == "青禾舆〔2026〕12号\t签发人：李明"
    assert _east_asia(line.runs[-1]) == "楷体_GB2312"


def test_same_document_gives_the_same_bytes(bulletin: Document) -> None:
    first = render_docx(bulletin)
    time.sleep(2.1)  # zip timestamps have two-second resolution: the clock must not leak in
    assert render_docx(bulletin) == first


def test_long_title_is_balanced(bulletin: Document) -> None:
    doc = replace(bulletin, title="关于2026年10月青禾县网络舆情态势及重点事件处置情况的分析报告")
    d = python_docx.Document(io.BytesIO(render_docx(doc)))
    title = next(p for p in d.paragraphs if p.text.replace("\n", "").startswith("关于2026"))
    lines = title.text.split("\n")
    assert len(lines) == 2
    assert len(lines[0]) >= len(lines[1]) >= len(lines[0]) - 3  # a trapezoid, not a lone word


def test_copy_number_secrecy_and_urgency_stack_above_the_mark(bulletin: Document) -> None:
    doc = replace(bulletin, copy_number="000012", secrecy="内部", urgency="特急")
    d = python_docx.Document(io.BytesIO(render_docx(doc)))
    texts = [p.text for p in d.paragraphs]
    assert texts[:4] == ["000012", "内部", "特急", "青禾县委网信办舆情专报"]
    assert _east_asia(d.paragraphs[2].runs[0]) == "黑体"
    with pytest.raises(ValueError, match="紧急程度"):
        replace(bulletin, urgency="急")


def test_paragraph_and_run_properties_follow_schema_order(bulletin: Document) -> None:
    # Word refuses documents whose pPr/rPr children are out of schema order; LibreOffice is lenient,
    # so the PDF tests would not notice.
    from qingting.reports.docx import _PPR_ORDER, _RPR_ORDER

    d = python_docx.Document(io.BytesIO(render_docx(replace(bulletin, signer="李明"))))
    parts = [d.element, d.styles.element]
    section = d.sections[0]
    parts += [section.footer._element, section.even_page_footer._element]
    checked = 0
    for part in parts:
        for tag, order in (("w:pPr", _PPR_ORDER), ("w:rPr", _RPR_ORDER)):
            for props in part.iter(qn(tag)):
                names = [child.tag.rsplit("}", 1)[-1] for child in props]
                known = [n for n in names if n in order]
                assert known == sorted(known, key=order.index), f"{tag}: {names}"
                checked += 1
    assert checked > 100
