"""Reports (舆情专报, periodic analysis reports, work reports) as DOCX after GB/T 9704-2012, PDF and HTML.

The web layer fills a figures dataclass from its queries, builds a :class:`Document` with one of the
builders in :mod:`qingting.reports.figures`, and renders it with :func:`render_docx`,
:func:`render_pdf` or :func:`render_html`. Nothing here imports Django.
"""

from __future__ import annotations

from qingting.reports.model import (
    Block,
    ChartKind,
    ChartSeries,
    ChartSpec,
    Closing,
    Document,
    DocumentKind,
    Figure,
    Heading,
    ListBlock,
    Paragraph,
    Table,
)

__all__ = [
    "Block",
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
]
