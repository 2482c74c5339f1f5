"""One call for interfaces: write a Document as DOCX, PDF or HTML (chosen by name or suffix)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from qingting.reports.model import Document

__all__ = ["FORMATS", "Format", "write_report"]

Format = Literal["docx", "pdf", "html"]
FORMATS: tuple[Format, ...] = ("docx", "pdf", "html")


def write_report(doc: Document, path: str | Path, fmt: Format | None = None, *, timeout: float = 120.0) -> Path:
    """Write ``doc`` to ``path`` as ``fmt`` (default: from the suffix) and return the path.

    The command line (``qingting report … --format pdf -o FILE``) and scheduled delivery call this;
    PDF raises :class:`qingting.reports.pdf.LibreOfficeMissingError` with the fix when LibreOffice
    is absent.

    >>> write_report(doc, "report.xlsx")  # doctest: +SKIP
    Traceback (most recent call last):
    ValueError: unknown report format 'xlsx'; use docx, pdf or html
    """
    path = Path(path)
    chosen = fmt or path.suffix.lower().lstrip(".")
    if chosen == "docx":
        from qingting.reports.docx import write_docx

        return write_docx(doc, path)
    if chosen == "pdf":
        from qingting.reports.pdf import render_pdf

        return render_pdf(doc, path, timeout=timeout).path
    if chosen in ("html", "htm"):
        from qingting.reports.html import render_html

        path.write_text(render_html(doc), encoding="utf-8")
        return path
    raise ValueError(f"unknown report format {chosen!r}; use docx, pdf or html")
