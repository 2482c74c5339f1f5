"""A :class:`~qingting.reports.model.Document` as safe HTML, for the in-app view and previews.

Template-free on purpose: every piece of text passes through :func:`html.escape` at the one place
it is written (``_e``), so a post quoted in a bulletin — which is user-generated content from the
internet — can never inject markup, whatever an administrator's template wording contains.
The markup mirrors the DOCX (same numbering, captions and order) with a small stylesheet of its own.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from html import escape

from qingting.reports.charts import render_chart
from qingting.reports.model import (
    ChartSpec,
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

__all__ = ["STYLESHEET", "data_uri", "render_html"]

# Font stacks name the standard's fonts first (offices that have them see them), then open CJK fonts.
STYLESHEET = """
.qt-doc{max-width:210mm;margin:0 auto;padding:37mm 26mm 35mm 28mm;background:#fff;color:#000;
  font:16pt/28.95pt "仿宋_GB2312","FangSong","Noto Serif CJK SC","Source Han Serif SC",serif;box-sizing:border-box}
.qt-doc p{margin:0}
.qt-mark{color:#f00;text-align:center;margin-top:35mm!important;
  font:bold 36pt/1.3 "方正小标宋简体","Noto Serif CJK SC",serif}
.qt-number{text-align:center;margin-top:57.9pt!important;padding-bottom:4mm;border-bottom:1.5pt solid #f00}
.qt-number.qt-upward{display:flex;justify-content:space-between;padding:0 1em 4mm}
.qt-secrecy,.qt-urgency{font-family:"黑体","SimHei","Noto Sans CJK SC",sans-serif}
.qt-signer{font-family:"楷体_GB2312","KaiTi","LXGW WenKai","AR PL UKai CN",serif}
.qt-title{text-align:center;font:bold 22pt/1.6 "方正小标宋简体","Noto Serif CJK SC",serif;margin:57.9pt 0 28.95pt}
.qt-doc h2,.qt-doc h3,.qt-doc h4,.qt-doc h5{font-size:16pt;font-weight:normal;margin:0;text-indent:2em}
.qt-doc h2{font-family:"黑体","SimHei","Noto Sans CJK SC",sans-serif}
.qt-doc h3{font-family:"楷体_GB2312","KaiTi","LXGW WenKai","AR PL UKai CN",serif}
.qt-body p{text-indent:2em}
.qt-lead{font-family:"黑体","SimHei","Noto Sans CJK SC",sans-serif}
.qt-doc figure{margin:8pt 0;text-align:center}
.qt-doc figcaption,.qt-doc caption{font:14pt/1.6 "黑体","SimHei","Noto Sans CJK SC",sans-serif}
.qt-doc img{max-width:100%;height:auto}
.qt-doc table{border-collapse:collapse;width:100%;font-size:14pt;line-height:1.5}
.qt-doc th,.qt-doc td{border:1px solid #000;padding:2pt 4pt}
.qt-doc th{font-family:"黑体","SimHei","Noto Sans CJK SC",sans-serif;font-weight:normal}
.qt-doc td.num{text-align:right;font-variant-numeric:tabular-nums}
.qt-table-note{font-size:14pt;text-indent:0!important}
.qt-attachments{margin-top:28.95pt!important}
.qt-signature{text-align:right;padding-right:2em;margin-top:28.95pt!important}
.qt-date{text-align:right}
.qt-note{text-indent:2em}
.qt-closing{margin-top:57.9pt;font-size:14pt;border-top:0.35mm solid #000;border-bottom:0.35mm solid #000}
.qt-closing p{padding:0 1em}
.qt-closing .qt-cc{border-bottom:0.25mm solid #000}
.qt-closing .qt-printed{display:flex;justify-content:space-between}
"""


def _e(text: str) -> str:
    return escape(text, quote=True)


def data_uri(spec: ChartSpec) -> str:
    """A chart as an inline ``data:`` URI (the default: the page needs no second request)."""
    return "data:image/png;base64," + base64.b64encode(render_chart(spec)).decode("ascii")


def render_html(
    doc: Document,
    *,
    standalone: bool = True,
    chart_src: Callable[[ChartSpec], str] = data_uri,
) -> str:
    """Render ``doc`` as HTML: a full page with its stylesheet, or (``standalone=False``) an
    ``<article>`` fragment for a page that already links :data:`STYLESHEET`.

    ``chart_src`` gives each chart's image address; the web layer may pass one that points at a
    cached PNG view instead of inlining it.

    >>> from datetime import date
    >>> from qingting.reports.model import DocumentKind
    >>> page = render_html(Document(kind=DocumentKind.BULLETIN, issuing_unit="县委网信办",
    ...     title="<script>", date=date(2026, 1, 5), body=(Paragraph("正文"),)), standalone=False)
    >>> "<script>" in page, "&lt;script&gt;" in page
    (False, True)
    """
    out: list[str] = [f'<article class="qt-doc qt-doc--{_e(str(doc.kind))}" lang="zh-CN">']
    out.append('<header class="qt-head">')
    for text, css in ((doc.copy_number, "qt-copy"), (doc.secrecy, "qt-secrecy"), (doc.urgency, "qt-urgency")):
        if text:
            out.append(f'<p class="{css}">{_e(text)}</p>')
    out.append(f'<p class="qt-mark">{_e(doc.mark_text)}</p>')
    if doc.signer:
        out.append(
            f'<p class="qt-number qt-upward"><span>{_e(doc.number)}</span>'
            f'<span>签发人：<span class="qt-signer">{_e(doc.signer)}</span></span></p>'
        )
    else:
        out.append(f'<p class="qt-number">{_e(doc.number)}</p>')
    out.append("</header>")
    out.append(f'<h1 class="qt-title">{_e(doc.title)}</h1>')
    if doc.addressee:
        addressee = doc.addressee if doc.addressee.endswith(("：", ":")) else doc.addressee + "："
        out.append(f'<p class="qt-addressee">{_e(addressee)}</p>')
    out.append('<div class="qt-body">')
    labels = iter(heading_labels(doc.body))
    tables = figures = 0
    for block in doc.body:
        if isinstance(block, Heading):
            tag = f"h{block.level + 1}"
            out.append(f"<{tag}>{_e(next(labels) + block.text)}</{tag}>")
        elif isinstance(block, Paragraph):
            lead = f'<span class="qt-lead">{_e(block.lead)}</span>' if block.lead else ""
            out.append(f"<p>{lead}{_e(block.text)}</p>")
        elif isinstance(block, ListBlock):
            out.append('<div class="qt-list">')
            for i, item in enumerate(block.items, 1):
                out.append(f"<p>{_e((f'（{i}）' if block.numbered else '') + item)}</p>")
            out.append("</div>")
        elif isinstance(block, Table):
            tables += 1
            out.append(_table(block, tables))
        elif isinstance(block, Figure):
            figures += 1
            caption = f"图{figures}　{block.caption or block.chart.title}"
            out.append(
                f'<figure><img src="{_e(chart_src(block.chart))}" alt="{_e(caption)}">'
                f"<figcaption>{_e(caption)}</figcaption></figure>"
            )
    out.append("</div>")
    out.extend(_ending(doc))
    out.append("</article>")
    body = "\n".join(out)
    if not standalone:
        return body
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{_e(doc.title)}</title><style>{STYLESHEET}</style></head>\n<body>\n{body}\n</body></html>\n"
    )


def _table(block: Table, number: int) -> str:
    rows = ["<table>"]
    if block.caption:
        rows.append(f"<caption>{_e(f'表{number}　{block.caption}')}</caption>")
    rows.append("<thead><tr>" + "".join(f'<th scope="col">{_e(h)}</th>' for h in block.header) + "</tr></thead>")
    rows.append("<tbody>")
    for row in block.rows:
        cells = "".join(
            f'<td class="num">{_e(format_cell(v))}</td>' if is_numeric_cell(v) else f"<td>{_e(format_cell(v))}</td>"
            for v in row
        )
        rows.append(f"<tr>{cells}</tr>")
    rows.append("</tbody></table>")
    if block.note:
        rows.append(f'<p class="qt-table-note">{_e(block.note)}</p>')
    return "".join(rows)


def _ending(doc: Document) -> list[str]:
    out: list[str] = []
    if doc.attachments:
        out.append('<div class="qt-attachments">')
        many = len(doc.attachments) > 1
        for i, name in enumerate(doc.attachments, 1):
            label = f"{i}. " if many else ""
            prefix = "附件：" if i == 1 else ""
            style = ' style="text-indent:2em"' if i == 1 else ' style="padding-left:5em"'
            out.append(f"<p{style}>{_e(prefix + label + name)}</p>")
        out.append("</div>")
    out.append(f'<p class="qt-signature">{_e(doc.signature_text)}</p>')
    out.append(f'<p class="qt-date">{_e(format_date(doc.date))}</p>')
    if doc.note:
        out.append(f'<p class="qt-note">{_e("（" + doc.note.strip("（）()") + "）")}</p>')
    if doc.closing is not None:
        c = doc.closing
        out.append('<footer class="qt-closing">')
        if c.copy_to:
            out.append(f'<p class="qt-cc">{_e("抄送：" + "，".join(c.copy_to).rstrip("。") + "。")}</p>')
        out.append(
            f'<p class="qt-printed"><span>{_e(c.printer)}</span>'
            f"<span>{_e(format_date(c.print_date) + '印发')}</span></p>"
        )
        out.append("</footer>")
    return out
