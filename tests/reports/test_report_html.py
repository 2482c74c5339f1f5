"""The HTML view: same content and numbering as the DOCX, and every string escaped."""

from __future__ import annotations

import base64
from dataclasses import replace
from html.parser import HTMLParser

from qingting.reports.html import render_html
from qingting.reports.model import (
    ChartKind,
    ChartSeries,
    ChartSpec,
    Closing,
    Document,
    Figure,
    Heading,
    ListBlock,
    Paragraph,
    Table,
)

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>"\'&'
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "article", "header", "footer", "p", "span", "h1", "h2",
    "h3", "h4", "h5", "div", "table", "caption", "thead", "tbody", "tr", "th", "td", "figure", "img", "figcaption",
}  # fmt: skip


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Tags:
    parser = _Tags()
    parser.feed(page)
    return parser


def test_hostile_strings_are_escaped_everywhere(bulletin: Document) -> None:
    doc = replace(
        bulletin,
        title=HOSTILE,
        mark=HOSTILE,
        number="青禾舆〔2026〕12号",
        signer=HOSTILE,
        addressee=HOSTILE,
        body=(
            Heading(1, HOSTILE),
            Paragraph(HOSTILE, lead=HOSTILE),
            ListBlock((HOSTILE,)),
            Table((HOSTILE, "数"), ((HOSTILE, 3),), caption=HOSTILE, note=HOSTILE),
            Figure(ChartSpec(ChartKind.BAR, ("a",), (ChartSeries("s", (1.0,)),)), caption=HOSTILE),
        ),
        attachments=(HOSTILE,),
        signature=HOSTILE,
        note=HOSTILE,
        closing=Closing(HOSTILE, bulletin.date, (HOSTILE,)),
    )
    page = render_html(doc)
    assert "<script" not in page
    assert "<img src=x" not in page
    parsed = _parse(page)
    assert {tag for tag, _ in parsed.tags} <= ALLOWED_TAGS
    assert not [attr for _, attrs in parsed.tags for attr, _ in attrs if attr.startswith("on")]
    # The text survives, as text: a reader sees exactly what the post said.
    assert "".join(parsed.text).count('<script>alert("x")</script>') >= 10


def test_html_follows_the_document(bulletin: Document) -> None:
    page = render_html(bulletin, standalone=False)
    assert page.startswith('<article class="qt-doc qt-doc--bulletin" lang="zh-CN">')
    parsed = _parse(page)
    headings = [tag for tag, _ in parsed.tags if tag in {"h2", "h3", "h4"}]
    assert headings == ["h2", "h3", "h3", "h4", "h2"]
    text = "".join(parsed.text)
    for expected in (
        "一、基本情况",
        "（一）传播情况",
        "（二）情感倾向",
        "1.主要观点",
        "二、研判与建议",
        "表1　信息来源分布",
    ):
        assert expected in text
    assert '<td class="num">800</td>' in page
    assert "<td>微博</td>" in page
    assert "2026年10月6日" in text
    assert "抄送：县委宣传部，县住建局。" in text
    img = next(attrs for tag, attrs in parsed.tags if tag == "img")
    src = dict(img)["src"] or ""
    assert src.startswith("data:image/png;base64,")
    assert base64.b64decode(src.split(",", 1)[1])[:4] == b"\x89PNG"


def test_chart_source_can_point_at_a_url(bulletin: Document) -> None:
    page = render_html(bulletin, chart_src=lambda spec: f"/reports/chart/{len(spec.labels)}.png?a=1&b=2")
    assert 'src="/reports/chart/3.png?a=1&amp;b=2"' in page
    assert page.startswith("<!DOCTYPE html>")
    assert "<style>" in page
