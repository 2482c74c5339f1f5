"""Render a :class:`~qingting.reports.model.Document` to DOCX laid out after GB/T 9704-2012.

python-docx covers paragraphs, runs, tables and pictures; the parts of the standard it has no API
for are written as WordprocessingML directly: the line grid (``w:docGrid``, 579 twips = 22 lines
per page), East Asian font names (``w:rFonts/@w:eastAsia``), character spacing (−0.25 pt, so 28
characters fill a line), paragraph borders for the red rule and the 版记 rules, and PAGE fields in
separate odd and even footers ("— 1 —", odd pages right, even pages left).

Layout figures (twips; 1 mm = 56.7 twips) — see docs/reports.md:

* A4 11906 × 16838; margins top 2098 (37 mm), left 1587 (28 mm), right 1474, bottom 1984;
  text block 8845 × 12756 (156 × 225 mm).
* Body 3号 (16 pt) 仿宋, line pitch exactly 579 twips, first line indented two characters.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from docx import Document as new_docx
from docx.enum.section import WD_SECTION_START
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Mm, Pt, RGBColor, Twips

from qingting.reports.charts import render_chart
from qingting.reports.fonts import FONT_BODY, FONT_HEI, FONT_KAI, FONT_PAGE, FONT_TITLE
from qingting.reports.model import (
    Block,
    Document,
    Figure,
    Heading,
    ListBlock,
    Paragraph,
    Table,
    format_cell,
    format_date,
    heading_labels,
    is_numeric_cell,
)

__all__ = ["LAYOUT", "render_docx", "write_docx"]

# GB/T 9704-2012 in DOCX units (STANDARDS.md §1). Kept in one mapping so tests and docs quote it.
LAYOUT: dict[str, int] = {
    "page_width": 11906,
    "page_height": 16838,
    "margin_top": 2098,
    "margin_left": 1587,
    "margin_right": 1474,
    "margin_bottom": 1984,
    "line_pitch": 579,
    "char_spacing": -5,  # twentieths of a point: −0.25 pt
    "lines_per_page": 22,
    "chars_per_line": 28,
}
TEXT_WIDTH = LAYOUT["page_width"] - LAYOUT["margin_left"] - LAYOUT["margin_right"]  # 8845 twips = 156 mm

SIZE_BODY = Pt(16)  # 3号
SIZE_TITLE = Pt(22)  # 2号
SIZE_SMALL = Pt(14)  # 4号: 版记, page numbers, tables
RED = RGBColor(0xFF, 0x00, 0x00)
CHAR = 320  # one 3号 character in twips (16 pt)
CHAR_SMALL = 280  # one 4号 character

_HEADING_FONTS = {1: FONT_HEI, 2: FONT_KAI, 3: FONT_BODY, 4: FONT_BODY}


# --- low-level XML helpers ------------------------------------------------------------------------

# Child order that the WordprocessingML schema requires (ECMA-376 §17.3.1.26, §17.3.2.28); Word
# rejects a document whose pPr/rPr children are out of order, LibreOffice does not — so keep it.
_PPR_ORDER = tuple(
    [
        "pStyle",
        "keepNext",
        "keepLines",
        "pageBreakBefore",
        "framePr",
        "widowControl",
        "numPr",
        "suppressLineNumbers",
        "pBdr",
        "shd",
        "tabs",
        "suppressAutoHyphens",
        "kinsoku",
        "wordWrap",
        "overflowPunct",
        "topLinePunct",
        "autoSpaceDE",
        "autoSpaceDN",
        "bidi",
        "adjustRightInd",
        "snapToGrid",
        "spacing",
        "ind",
        "contextualSpacing",
        "mirrorIndents",
        "suppressOverlap",
        "jc",
        "textDirection",
        "textAlignment",
        "textboxTightWrap",
        "outlineLvl",
        "divId",
        "cnfStyle",
        "rPr",
        "sectPr",
        "pPrChange",
    ]
)
_RPR_ORDER = tuple(
    [
        "rStyle",
        "rFonts",
        "b",
        "bCs",
        "i",
        "iCs",
        "caps",
        "smallCaps",
        "strike",
        "dstrike",
        "outline",
        "shadow",
        "emboss",
        "imprint",
        "noProof",
        "snapToGrid",
        "vanish",
        "webHidden",
        "color",
        "spacing",
        "w",
        "kern",
        "position",
        "sz",
        "szCs",
        "highlight",
        "u",
        "effect",
        "bdr",
        "shd",
        "fitText",
        "vertAlign",
        "rtl",
        "cs",
        "em",
        "lang",
        "eastAsianLayout",
        "specVanish",
        "oMath",
    ]
)


def _insert_ordered(parent: Any, child: Any, order: tuple[str, ...]) -> None:
    """Insert ``child`` before the first existing sibling that the schema puts after it."""
    name = child.tag.rsplit("}", 1)[-1]
    later = {qn(f"w:{tag}") for tag in order[order.index(name) + 1 :]}
    for i, sibling in enumerate(parent):
        if sibling.tag in later:
            parent.insert(i, child)
            return
    parent.append(child)


def _set_fonts(rpr: Any, name: str) -> None:
    """Name ``name`` for every script, East Asian included, and drop theme fonts that override it."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)
    fonts.set(qn("w:hint"), "eastAsia")


def _font(run: Any, name: str, size: Any = None, *, colour: RGBColor | None = None, bold: bool = False) -> Any:
    run.font.name = name
    _set_fonts(run._element.get_or_add_rPr(), name)
    if size is not None:
        run.font.size = size
    run.font.bold = bold
    if colour is not None:
        run.font.color.rgb = colour
    return run


def _char_spacing(rpr: Any, twentieths: int) -> None:
    spacing = rpr.find(qn("w:spacing"))
    if spacing is None:
        spacing = OxmlElement("w:spacing")
        _insert_ordered(rpr, spacing, _RPR_ORDER)
    spacing.set(qn("w:val"), str(twentieths))


def _border(paragraph: Any, side: str, *, size_eighths: int, colour: str = "000000", space_pt: int = 1) -> None:
    """A rule along one side of a paragraph (as wide as the text block)."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        _insert_ordered(ppr, borders, _PPR_ORDER)
    edge = OxmlElement(f"w:{side}")
    edge.set(qn("w:val"), "single")
    edge.set(qn("w:sz"), str(size_eighths))
    edge.set(qn("w:space"), str(space_pt))
    edge.set(qn("w:color"), colour)
    borders.append(edge)


def _exact(paragraph: Any, line: Any) -> None:
    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = line
    fmt.space_before = 0
    fmt.space_after = 0


def _no_grid(paragraph: Any) -> None:
    """Let a paragraph (picture, table cell) keep its own height instead of snapping to the grid."""
    ppr = paragraph._p.get_or_add_pPr()
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    _insert_ordered(ppr, snap, _PPR_ORDER)


def _field(paragraph: Any, instr: str, placeholder: str, font: str, size: Any) -> None:
    """A complex field (begin / instrText / separate / result / end), as Word writes PAGE."""

    def add(kind: str | None = None, text: str | None = None, instr_text: str | None = None) -> None:
        run = _font(paragraph.add_run(), font, size)
        if kind:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._r.append(fld)
        if instr_text is not None:
            it = OxmlElement("w:instrText")
            it.set(qn("xml:space"), "preserve")
            it.text = instr_text
            run._r.append(it)
        if text is not None:
            run.text = text

    add("begin")
    add(instr_text=f" {instr} ")
    add("separate")
    add(text=placeholder)
    add("end")


def _width(text: str) -> float:
    """Width in 3号 characters: ASCII digits and letters are half width."""
    return sum(0.5 if ord(ch) < 0x2E80 else 1.0 for ch in text)


# --- document set-up ------------------------------------------------------------------------------


def _setup_styles(docx: Any) -> None:
    styles = docx.styles
    normal = styles["Normal"]
    normal.font.name = FONT_BODY
    normal.font.size = SIZE_BODY
    normal.font.color.rgb = RGBColor(0, 0, 0)
    rpr = normal.element.get_or_add_rPr()
    _set_fonts(rpr, FONT_BODY)
    _char_spacing(rpr, LAYOUT["char_spacing"])
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    _insert_ordered(rpr, lang, _RPR_ORDER)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Twips(LAYOUT["line_pitch"])
    fmt.space_before = 0
    fmt.space_after = 0
    fmt.widow_control = False  # a fixed grid: a lone line must not push a whole line to the next page
    for level, font in _HEADING_FONTS.items():
        style = styles[f"Heading {level}"]
        style.font.name = font
        style.font.size = SIZE_BODY
        style.font.bold = False
        style.font.italic = False
        style.font.color.rgb = RGBColor(0, 0, 0)
        srpr = style.element.get_or_add_rPr()
        _set_fonts(srpr, font)
        colour = srpr.find(qn("w:color"))
        if colour is not None:
            for attr in ("w:themeColor", "w:themeShade", "w:themeTint"):
                colour.attrib.pop(qn(attr), None)
        sfmt = style.paragraph_format
        sfmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        sfmt.line_spacing = Twips(LAYOUT["line_pitch"])
        sfmt.space_before = 0
        sfmt.space_after = 0
        sfmt.first_line_indent = Twips(2 * CHAR)
        sfmt.keep_with_next = True


def _setup_section(docx: Any) -> None:
    section = docx.sections[0]
    section.start_type = WD_SECTION_START.NEW_PAGE
    section.page_width = Twips(LAYOUT["page_width"])
    section.page_height = Twips(LAYOUT["page_height"])
    section.top_margin = Twips(LAYOUT["margin_top"])
    section.left_margin = Twips(LAYOUT["margin_left"])
    section.right_margin = Twips(LAYOUT["margin_right"])
    section.bottom_margin = Twips(LAYOUT["margin_bottom"])
    section.header_distance = Mm(15)
    # The page number's top sits 7 mm below the text block (35 mm from the bottom edge): a 4号 line
    # is about 6 mm tall, so the footer's baseline area ends about 22 mm above the edge.
    section.footer_distance = Mm(22)
    sect = section._sectPr
    grid = sect.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect.append(grid)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(LAYOUT["line_pitch"]))
    docx.settings.odd_and_even_pages_header_footer = True
    for footer, align in ((section.footer, "right"), (section.even_page_footer, "left")):
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
        _exact(p, Pt(17))
        fmt = p.paragraph_format
        fmt.first_line_indent = 0
        # 4号 "— 1 —": odd pages right, even pages left, each one character in from the edge.
        if align == "right":
            p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            fmt.right_indent = Twips(CHAR_SMALL)
        else:
            p.alignment = WD_ALIGN_PARAGRAPH.LEFT
            fmt.left_indent = Twips(CHAR_SMALL)
        _font(p.add_run("— "), FONT_PAGE, SIZE_SMALL)
        _field(p, "PAGE", "1", FONT_PAGE, SIZE_SMALL)
        _font(p.add_run(" —"), FONT_PAGE, SIZE_SMALL)


def _blank(docx: Any, n: int = 1) -> None:
    for _ in range(n):
        docx.add_paragraph()


# --- the parts of a 公文 --------------------------------------------------------------------------


def _head(docx: Any, doc: Document) -> None:
    """版头: 份号, the red 发文机关标志, 发文字号 (with 签发人 for 上行文) and the red rule."""
    used_mm = 0.0
    # 份号 (仿宋), then 密级 and 紧急程度 (黑体), stacked top-left, one line each.
    for text, font in ((doc.copy_number, FONT_BODY), (doc.secrecy, FONT_HEI), (doc.urgency, FONT_HEI)):
        if text:
            _font(docx.add_paragraph().add_run(text), font, SIZE_BODY)
            used_mm += LAYOUT["line_pitch"] / 56.7
    mark = doc.mark_text
    # As large as fits on one line, at most 小初 (36 pt); the mark's width must stay in the block.
    size_pt = max(22.0, min(36.0, (TEXT_WIDTH / 20 - 8) / max(_width(mark), 1.0)))
    p = docx.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _exact(p, Pt(size_pt * 1.25))
    # Upper edge of the mark 35 mm below the top of the text block (GB/T 9704-2012 §7.2.4).
    p.paragraph_format.space_before = Mm(max(0.0, 35.0 - used_mm - size_pt * 0.125 * 0.3528))
    run = _font(p.add_run(mark), FONT_TITLE, Pt(size_pt), colour=RED)
    _char_spacing(run._element.get_or_add_rPr(), 0)
    _blank(docx, 2)
    p = docx.add_paragraph()
    if doc.signer:
        # 上行文: number one character in from the left, 签发人 one character in from the right.
        p.paragraph_format.left_indent = Twips(CHAR)
        p.paragraph_format.tab_stops.add_tab_stop(Twips(TEXT_WIDTH - CHAR), WD_TAB_ALIGNMENT.RIGHT)
        _font(p.add_run(doc.number + "\t签发人："), FONT_BODY, SIZE_BODY)
        _font(p.add_run(doc.signer), FONT_KAI, SIZE_BODY)
    else:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(p.add_run(doc.number), FONT_BODY, SIZE_BODY)
    # Red rule 4 mm below the number, as wide as the text block.
    _border(p, "bottom", size_eighths=12, colour="FF0000", space_pt=11)


def _title_lines(title: str) -> list[str]:
    """Break a long title into balanced lines, upper lines no shorter (梯形), never one orphan word.

    Word would fill the first line and leave a lone character on the second; the standard asks for
    a trapezoid or diamond shape instead.
    """
    # characters of 2号 on one line, less one: substitute fonts draw digits and brackets wider
    # than the half/full widths counted here, and a title that just overflows leaves an orphan
    per_line = TEXT_WIDTH / 20 / SIZE_TITLE.pt - 1.0
    width = _width(title)
    if width <= per_line:
        return [title]
    n = int(width // per_line) + 1
    target = width / n
    lines: list[str] = []
    current, used = "", 0.0
    for ch in title:
        if len(lines) < n - 1 and used >= target and ch not in "，。、；：）》”":
            lines.append(current)
            current, used = "", 0.0
        current += ch
        used += _width(ch)
    lines.append(current)
    return lines


def _title(docx: Any, doc: Document) -> None:
    _blank(docx, 2)
    p = docx.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _exact(p, Twips(LAYOUT["line_pitch"] + 120))
    lines = _title_lines(doc.title)
    for i, line in enumerate(lines):
        run = _font(p.add_run(line), FONT_TITLE, SIZE_TITLE)
        _char_spacing(run._element.get_or_add_rPr(), 0)
        if i < len(lines) - 1:
            run.add_break()
    if doc.addressee:
        _blank(docx)
        addressee = doc.addressee if doc.addressee.endswith(("：", ":")) else doc.addressee + "："
        _font(docx.add_paragraph().add_run(addressee), FONT_BODY, SIZE_BODY)


def _body(docx: Any, blocks: tuple[Block, ...]) -> None:
    labels = iter(heading_labels(blocks))
    tables = figures = 0
    for block in blocks:
        if isinstance(block, Heading):
            p = docx.add_paragraph(style=f"Heading {block.level}")
            _font(p.add_run(next(labels) + block.text), _HEADING_FONTS[block.level], SIZE_BODY)
        elif isinstance(block, Paragraph):
            p = docx.add_paragraph()
            p.paragraph_format.first_line_indent = Twips(2 * CHAR)
            if block.lead:
                _font(p.add_run(block.lead), FONT_HEI, SIZE_BODY)
            _font(p.add_run(block.text), FONT_BODY, SIZE_BODY)
        elif isinstance(block, ListBlock):
            for i, item in enumerate(block.items, 1):
                p = docx.add_paragraph()
                p.paragraph_format.first_line_indent = Twips(2 * CHAR)
                _font(p.add_run((f"（{i}）" if block.numbered else "") + item), FONT_BODY, SIZE_BODY)
        elif isinstance(block, Table):
            tables += 1
            _table(docx, block, tables)
        elif isinstance(block, Figure):
            figures += 1
            _figure(docx, block, figures)


def _caption(docx: Any, text: str, *, keep_with_next: bool = False) -> None:
    p = docx.add_paragraph()
    p.paragraph_format.keep_with_next = keep_with_next
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p.add_run(text), FONT_HEI, SIZE_SMALL)


def column_widths(block: Table, total: int = TEXT_WIDTH, char: int = CHAR_SMALL) -> list[int]:
    """Column widths in twips summing to ``total``: by content, numbers never wrapped.

    Equal columns wrap a long event title into a column of single characters; widths follow the
    longest cell instead (headers may wrap onto two lines), and when the table is too wide the text
    columns give way, not the figures.
    """
    cells = [[format_cell(v) for v in row] for row in block.rows]
    natural: list[float] = []
    numeric: list[bool] = []
    for c, head in enumerate(block.header):
        body = max((_width(row[c]) for row in cells), default=0.0)
        natural.append(max(2.0, body, (_width(head) + 1) // 2) + 1.5)  # cell margins and digit widths
        numeric.append(bool(block.rows) and all(is_numeric_cell(row[c]) for row in block.rows))
    available = total / char
    if sum(natural) > available:
        fixed = sum(w for w, n in zip(natural, numeric, strict=True) if n)
        flexible = sum(w for w, n in zip(natural, numeric, strict=True) if not n)
        if flexible and available > fixed:
            # The widest text columns give way first (a cap on their width), so a short text column
            # such as a date or a trend word keeps its width while a long event title wraps.
            room = available - fixed
            low, high = 3.0, max(natural)
            for _ in range(40):
                cap = (low + high) / 2
                used = sum(min(w, cap) for w, n in zip(natural, numeric, strict=True) if not n)
                low, high = (cap, high) if used <= room else (low, cap)
            natural = [w if n else max(3.0, min(w, low)) for w, n in zip(natural, numeric, strict=True)]
    factor = total / (sum(natural) * char)
    widths = [int(w * char * factor) for w in natural]
    widths[-1] += total - sum(widths)
    return widths


def _table(docx: Any, block: Table, number: int) -> None:
    if block.caption:
        _caption(docx, f"表{number}　{block.caption}", keep_with_next=True)
    table = docx.add_table(rows=1 + len(block.rows), cols=len(block.header))
    table.style = docx.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = column_widths(block)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Twips(width)
    # Repeat the header row on every page a long table spans.
    trpr = table.rows[0]._tr.get_or_add_trPr()
    header_flag = OxmlElement("w:tblHeader")
    trpr.append(header_flag)
    for r, values in enumerate((block.header, *block.rows)):
        for c, value in enumerate(values):
            cell = table.cell(r, c)
            cell.width = Twips(widths[c])
            p = cell.paragraphs[0]
            _no_grid(p)
            _exact(p, Pt(20))
            if r == 0:
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                _font(p.add_run(str(value)), FONT_HEI, SIZE_SMALL)
            else:
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT if is_numeric_cell(value) else WD_ALIGN_PARAGRAPH.LEFT
                _font(p.add_run(format_cell(value)), FONT_BODY, SIZE_SMALL)
    if block.note:
        p = docx.add_paragraph()
        _font(p.add_run(block.note), FONT_BODY, SIZE_SMALL)
    else:
        _blank(docx)


def _figure(docx: Any, block: Figure, number: int) -> None:
    png = render_chart(block.chart)
    p = docx.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _no_grid(p)
    # A picture in an exact-height line is clipped to that line: let this paragraph grow.
    p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    p.paragraph_format.keep_with_next = True  # the caption stays under its picture
    p.add_run().add_picture(io.BytesIO(png), width=Emu(Mm(140)))
    _caption(docx, f"图{number}　{block.caption or block.chart.title}")


def _ending(docx: Any, doc: Document) -> None:
    """附件说明, 署名, 成文日期 and 附注 (unsealed layout, GB/T 9704-2012 §7.3.5.2)."""
    if doc.attachments:
        _blank(docx)
        many = len(doc.attachments) > 1
        for i, name in enumerate(doc.attachments, 1):
            p = docx.add_paragraph()
            label = f"{i}. " if many else ""
            if i == 1:
                p.paragraph_format.first_line_indent = Twips(2 * CHAR)
                text = f"附件：{label}{name}"
            else:
                p.paragraph_format.left_indent = Twips(5 * CHAR)  # aligned under the first name
                text = f"{label}{name}"
            _font(p.add_run(text), FONT_BODY, SIZE_BODY)
    # The signature and date never start a page alone: they travel with the last line above them.
    if docx.paragraphs:
        docx.paragraphs[-1].paragraph_format.keep_with_next = True
    docx.add_paragraph().paragraph_format.keep_with_next = True
    signature = doc.signature_text
    date_text = format_date(doc.date)
    p = docx.add_paragraph()
    p.paragraph_format.keep_with_next = True
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    p.paragraph_format.right_indent = Twips(2 * CHAR)
    _font(p.add_run(signature), FONT_BODY, SIZE_BODY)
    # The date starts two characters right of the signature's first character.
    p = docx.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    indent = 2 + _width(signature) - 2 - _width(date_text)
    p.paragraph_format.right_indent = Twips(int(max(0.0, indent) * CHAR))
    p.paragraph_format.keep_with_next = bool(doc.note)
    _font(p.add_run(date_text), FONT_BODY, SIZE_BODY)
    if doc.note:
        p = docx.add_paragraph()
        p.paragraph_format.first_line_indent = Twips(2 * CHAR)
        _font(p.add_run(f"（{doc.note.strip('（）()')}）"), FONT_BODY, SIZE_BODY)


def _closing(docx: Any, doc: Document) -> None:
    """版记: 4号仿宋, one character in; thick outer rules (0.35 mm), thin inner rule (0.25 mm)."""
    if doc.closing is None:
        return
    closing = doc.closing
    _blank(docx, 2)
    paragraphs = []
    if closing.copy_to:
        p = docx.add_paragraph()
        text = "，".join(closing.copy_to).rstrip("。") + "。"
        _font(p.add_run("抄送：" + text), FONT_BODY, SIZE_SMALL)
        paragraphs.append(p)
    p = docx.add_paragraph()
    p.paragraph_format.tab_stops.add_tab_stop(Twips(TEXT_WIDTH - CHAR_SMALL), WD_TAB_ALIGNMENT.RIGHT)
    _font(p.add_run(f"{closing.printer}\t{format_date(closing.print_date)}印发"), FONT_BODY, SIZE_SMALL)
    paragraphs.append(p)
    for q in paragraphs:
        q.paragraph_format.left_indent = Twips(CHAR_SMALL)
        q.paragraph_format.right_indent = Twips(CHAR_SMALL)
    _border(paragraphs[0], "top", size_eighths=8, space_pt=4)
    if len(paragraphs) == 2:
        _border(paragraphs[0], "bottom", size_eighths=6, space_pt=4)
    _border(paragraphs[-1], "bottom", size_eighths=8, space_pt=4)


def _properties(docx: Any, doc: Document) -> None:
    props = docx.core_properties
    props.title = doc.title
    props.author = doc.issuing_unit
    props.last_modified_by = doc.issuing_unit
    props.subject = doc.number
    props.keywords = str(doc.kind)
    props.comments = "Qingting (倾听); GB/T 9704-2012 layout"
    # Dated by the document, not the clock, so the same figures give the same file.
    stamp = datetime(doc.date.year, doc.date.month, doc.date.day)
    props.created = stamp
    props.modified = stamp
    props.revision = 1


def build_docx(doc: Document) -> Any:
    """The python-docx ``Document`` for ``doc`` (for callers that post-process it)."""
    docx = new_docx()
    _setup_styles(docx)
    _setup_section(docx)
    # The template starts with one empty paragraph; drop it so page 1 starts with the 版头.
    body = docx.element.body
    for p in list(body.iterchildren(qn("w:p"))):
        body.remove(p)
    _head(docx, doc)
    _title(docx, doc)
    _body(docx, doc.body)
    _ending(docx, doc)
    _closing(docx, doc)
    _properties(docx, doc)
    return docx


def render_docx(doc: Document) -> bytes:
    """``doc`` as DOCX bytes.

    >>> from datetime import date
    >>> from qingting.reports.model import Document, DocumentKind, Paragraph
    >>> data = render_docx(Document(kind=DocumentKind.BULLETIN, issuing_unit="青禾县委网信办",
    ...     title="测试", date=date(2026, 10, 5), body=(Paragraph("正文。"),)))
    >>> data[:2]
    b'PK'
    """
    buf = io.BytesIO()
    build_docx(doc).save(buf)
    return _stable_zip(buf.getvalue(), (doc.date.year, doc.date.month, doc.date.day, 0, 0, 0))


def _stable_zip(data: bytes, stamp: tuple[int, int, int, int, int, int]) -> bytes:
    """The same archive with every member dated ``stamp``: python-docx stamps the wall clock,
    and an archive of issued reports should be able to tell a changed document by its hash."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=stamp)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = info.external_attr
            dst.writestr(member, src.read(info.filename))
    return out.getvalue()


def write_docx(doc: Document, path: str | Path) -> Path:
    """Write ``doc`` as DOCX to ``path`` and return the path."""
    path = Path(path)
    path.write_bytes(render_docx(doc))
    return path
