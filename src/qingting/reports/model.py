"""A report as data, independent of its format (公文 model).

A :class:`Document` describes what an office files — 版头 (red issuing-unit mark, 发文字号, 签发人),
主体 (title, 主送, body blocks, 附件说明, 署名, 成文日期, 附注) and 版记 (抄送, 印发) — after
GB/T 9704-2012. The renderers in :mod:`qingting.reports.docx`, :mod:`qingting.reports.pdf` and
:mod:`qingting.reports.html` lay the same object out; none of them adds wording of its own, so a
template edited by an administrator changes every format at once.

Headings carry only their level; the hierarchy numbers (一、 （一） 1. （1）) are assigned in
document order by :func:`heading_labels`, so inserting a section never leaves a gap.

Example::

    >>> from datetime import date
    >>> doc = Document(
    ...     kind=DocumentKind.BULLETIN, issuing_unit="青禾县委网信办", mark="青禾县委网信办舆情专报",
    ...     number="青禾舆〔2026〕12号", title="关于某事件的舆情专报", addressee="县委办公室：",
    ...     body=(Heading(1, "基本情况"), Paragraph("10月5日，……")),
    ...     signature="青禾县委网信办", date=date(2026, 10, 5))
    >>> format_date(doc.date)
    '2026年10月5日'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

__all__ = [
    "Block",
    "Cell",
    "ChartKind",
    "ChartSeries",
    "ChartSpec",
    "Closing",
    "Document",
    "DocumentKind",
    "Figure",
    "Heading",
    "ListBlock",
    "Paragraph",
    "Table",
    "chinese_number",
    "format_cell",
    "format_date",
    "heading_labels",
    "is_numeric_cell",
]


class DocumentKind(StrEnum):
    """What the document is; decides nothing about layout, but names the file and the archive."""

    BULLETIN = "bulletin"  # 舆情专报
    PERIODIC = "periodic"  # 舆情分析报告 (daily … annual)
    WORK = "work"  # 工作报告 / 工作总结 figures


class ChartKind(StrEnum):
    LINE = "line"  # volume over time
    BAR = "bar"
    PIE = "pie"
    DONUT = "donut"  # sentiment mix


# A table cell: text as given, numbers formatted by the renderers (and right-aligned).
Cell = str | int | float

_NUMBER_RE = re.compile(r"^[+\-−]?[\d,]+(\.\d+)?\s*(%|‰|件|条|个|次|天|小时|h)?$")
_DOC_NUMBER_RE = re.compile(r"^\S+〔\d{4}〕[1-9]\d*号$")


def is_numeric_cell(value: Cell) -> bool:
    """True for cells a reader compares as numbers (right-aligned in every format)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return bool(_NUMBER_RE.match(value.strip()))


def format_cell(value: Cell) -> str:
    """Text of a cell: thousands separators for large integers, one decimal for floats."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10000 else str(value)
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10000 else f"{value:.1f}"
    return value


def format_date(day: date) -> str:
    """成文日期 in Arabic numerals without zero padding, as GB/T 9704-2012 §7.3.5.4 asks."""
    return f"{day.year}年{day.month}月{day.day}日"


_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (1–99; headings never go further)."""
    if not 1 <= n <= 99:
        raise ValueError(f"heading numbers run from 1 to 99, got {n}")
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS[ones]
    head = "" if tens == 1 else _DIGITS[tens]
    return head + "十" + (_DIGITS[ones] if ones else "")


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading; level 1 一、(黑体), 2 （一）(楷体), 3 1.(仿宋), 4 （1）(仿宋)."""

    level: int
    text: str

    def __post_init__(self) -> None:
        if not 1 <= self.level <= 4:
            raise ValueError(f"heading level must be 1–4 (一、/（一）/1./（1）), got {self.level}")
        if not self.text.strip():
            raise ValueError("a heading needs text")


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A body paragraph (3号仿宋, first line indented two characters).

    ``lead`` is a run-in phrase set in 黑体 before the text, as in "一是加强研判。……".
    """

    text: str
    lead: str = ""


@dataclass(frozen=True, slots=True)
class ListBlock:
    """Items without bullets (公文 have none): each an indented paragraph, optionally （1）-numbered."""

    items: tuple[str, ...]
    numbered: bool = False


@dataclass(frozen=True, slots=True)
class Table:
    """A table with a header row; numeric cells are right-aligned in every format."""

    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    caption: str = ""
    note: str = ""  # 注：source or definition line under the table

    def __post_init__(self) -> None:
        if not self.header:
            raise ValueError("a table needs a header row")
        for i, row in enumerate(self.rows):
            if len(row) != len(self.header):
                raise ValueError(f"row {i + 1} has {len(row)} cells but the header has {len(self.header)}")


@dataclass(frozen=True, slots=True)
class ChartSeries:
    name: str
    values: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class ChartSpec:
    """What to draw; :func:`qingting.reports.charts.render_chart` turns it into a PNG.

    ``labels`` are the x positions (line, bar) or the slices (pie, donut); each series has one value
    per label. Pie and donut charts draw the first series only.
    """

    kind: ChartKind
    labels: tuple[str, ...]
    series: tuple[ChartSeries, ...]
    title: str = ""
    y_label: str = ""
    colours: tuple[str, ...] = ()  # one per series (line, bar) or per slice (pie); empty: house palette

    def __post_init__(self) -> None:
        if not self.series:
            raise ValueError("a chart needs at least one series")
        for s in self.series:
            if len(s.values) != len(self.labels):
                raise ValueError(f"series {s.name!r} has {len(s.values)} values for {len(self.labels)} labels")
        if self.kind in (ChartKind.PIE, ChartKind.DONUT) and any(v < 0 for v in self.series[0].values):
            raise ValueError("pie and donut charts need non-negative values")


@dataclass(frozen=True, slots=True)
class Figure:
    """A chart with its caption (图1 …); numbered in document order by the renderers."""

    chart: ChartSpec
    caption: str = ""


Block = Heading | Paragraph | ListBlock | Table | Figure


@dataclass(frozen=True, slots=True)
class Closing:
    """版记: 抄送 (ends with 。), 印发机关 and 印发日期."""

    printer: str
    print_date: date
    copy_to: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Document:
    """One office document, ready for any renderer.

    ``number`` (发文字号) follows 机关代字〔年份〕序号号 with no 第 and no leading zero, e.g.
    青禾舆〔2026〕12号. ``signer`` (签发人) is for 上行文 and puts the number and the signer on one line.
    ``attachments`` are the 附件说明 names in order.
    """

    kind: DocumentKind
    issuing_unit: str
    title: str
    date: date
    body: tuple[Block, ...]
    mark: str = ""  # 发文机关标志 (red); empty: "<issuing_unit>文件"
    number: str = ""
    signer: str = ""
    addressee: str = ""  # 主送机关, with the final ：
    attachments: tuple[str, ...] = ()
    signature: str = ""  # 署名; empty: the issuing unit
    note: str = ""  # 附注, shown in （）
    closing: Closing | None = None
    copy_number: str = ""  # 份号, six digits
    secrecy: str = ""  # 密级和保密期限, e.g. 秘密★1年
    urgency: str = ""  # 紧急程度: 特急 or 加急
    metadata: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not self.title.strip():
            raise ValueError("a document needs a title")
        if not self.issuing_unit.strip():
            raise ValueError("a document needs an issuing unit (发文机关)")
        if self.number and not _DOC_NUMBER_RE.match(self.number):
            raise ValueError(
                f"发文字号 {self.number!r} must look like 青禾舆〔2026〕12号 (〔〕 brackets, no 第, no leading zero)"
            )
        if self.copy_number and not re.fullmatch(r"\d{6}", self.copy_number):
            raise ValueError(f"份号 must be six digits, got {self.copy_number!r}")
        if self.urgency not in ("", "特急", "加急"):
            raise ValueError(f"紧急程度 must be 特急 or 加急 (GB/T 9704-2012 §7.2.3), got {self.urgency!r}")
        if not any(isinstance(b, Paragraph | ListBlock | Table) for b in self.body):
            # Page 1 must show body text (GB/T 9704-2012 §7.3.3); a document of headings is a mistake.
            raise ValueError("the body needs at least one paragraph, list or table")

    @property
    def mark_text(self) -> str:
        return self.mark or f"{self.issuing_unit}文件"

    @property
    def signature_text(self) -> str:
        return self.signature or self.issuing_unit


def heading_labels(blocks: tuple[Block, ...]) -> list[str]:
    """The number of each heading in ``blocks`` (in order): 一、 （一） 1. （1）.

    A level restarts its count under each new parent, as the hierarchy requires.

    >>> heading_labels((Heading(1, "a"), Heading(2, "b"), Heading(2, "c"), Heading(1, "d"), Heading(3, "e")))
    ['一、', '（一）', '（二）', '二、', '1.']
    """
    counters = [0, 0, 0, 0]
    labels: list[str] = []
    for block in blocks:
        if not isinstance(block, Heading):
            continue
        i = block.level - 1
        counters[i] += 1
        for deeper in range(i + 1, 4):
            counters[deeper] = 0
        n = counters[i]
        if block.level == 1:
            labels.append(f"{chinese_number(n)}、")
        elif block.level == 2:
            labels.append(f"（{chinese_number(n)}）")
        elif block.level == 3:
            labels.append(f"{n}.")
        else:
            labels.append(f"（{n}）")
    return labels
