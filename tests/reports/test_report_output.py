"""Writing by format, and the package's boundary: no Django, no web layer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from qingting.reports.model import Document
from qingting.reports.output import write_report


def test_format_follows_the_suffix(tmp_path: Path, bulletin: Document) -> None:
    assert write_report(bulletin, tmp_path / "a.docx").read_bytes()[:2] == b"PK"
    page = write_report(bulletin, tmp_path / "a.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "青禾县委网信办舆情专报" in page
    assert write_report(bulletin, tmp_path / "b.out", "docx").read_bytes()[:2] == b"PK"
    with pytest.raises(ValueError, match="unknown report format 'xlsx'"):
        write_report(bulletin, tmp_path / "a.xlsx")


def test_reports_import_no_django_or_web_layer() -> None:
    code = (
        "import sys, qingting.reports.figures, qingting.reports.docx, qingting.reports.pdf, "
        "qingting.reports.html, qingting.reports.output, qingting.reports.samples\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'django' or m.startswith('qingting.web'))\n"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]"
