"""DOCX → PDF with LibreOffice: Chinese text in the text layer, a page image for a person to check."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from qingting.reports import pdf as pdf_module
from qingting.reports.docx import write_docx
from qingting.reports.fonts import substitutions
from qingting.reports.model import Document, Paragraph
from qingting.reports.pdf import (
    PREVIEW_LABEL,
    LibreOfficeMissingError,
    PdfResult,
    StandardFontsMissingError,
    convert_docx_to_pdf,
)


@pytest.fixture(scope="module")
def profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A LibreOffice profile kept across this module's conversions."""
    return tmp_path_factory.mktemp("libreoffice") / "profile"


@pytest.fixture(scope="module")
def converted(
    need_tool: Callable[..., None], artifacts: Path, bulletin: Document, profile: Path
) -> tuple[PdfResult, Path]:
    need_tool("soffice", "pdftoppm", "pdftotext")
    out = artifacts
    # A long run of one character fills whole pages, so the line grid can be counted in the PDF.
    long_doc = replace(bulletin, body=(*bulletin.body, Paragraph(GRID_CHAR * 28 * 60)))
    docx_path = write_docx(long_doc, out / "bulletin-for-pdf.docx")
    result = convert_docx_to_pdf(docx_path, out / "bulletin.pdf", timeout=180, profile_dir=profile)
    # Page 1 as PNG, kept for a person to look at.
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "80",
            "-f",
            "1",
            "-l",
            "1",
            "-png",
            "-singlefile",
            str(result.path),
            str(out / "bulletin-page1"),
        ],
        check=True,
        timeout=60,
    )
    return result, out / "bulletin-page1.png"


GRID_CHAR = "国"


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def test_pdf_text_layer_has_the_chinese_title_and_figures(converted: tuple[PdfResult, Path]) -> None:
    result, _ = converted
    text = _text(result.path)
    flat = "".join(text.split())
    assert "关于青禾大道道路施工" in flat
    assert "青禾县委网信办舆情专报" in flat
    assert "青禾舆〔2026〕12号" in flat
    assert "1,234" in flat and "64.8%" in flat and "800" in flat
    assert "一、基本情况" in flat and "（一）传播情况" in flat
    assert "—1—" in flat  # the page number field was computed


def test_chinese_is_drawn_with_embedded_cjk_fonts(converted: tuple[PdfResult, Path]) -> None:
    result, _ = converted
    fonts = subprocess.run(["pdffonts", str(result.path)], capture_output=True, text=True, check=False).stdout
    assert any(name in fonts for name in ("CJK", "WenKai", "UKai", "Fandol")), fonts


def test_preview_label_when_fonts_are_substituted(converted: tuple[PdfResult, Path]) -> None:
    result, _ = converted
    flat = "".join(_text(result.path).split())
    if result.substitutions:
        assert result.preview_only
        assert PREVIEW_LABEL in flat
        assert "仿宋_GB2312→" in flat
    else:
        assert PREVIEW_LABEL not in flat


def test_page_one_image_shows_the_red_mark(converted: tuple[PdfResult, Path]) -> None:
    import numpy as np
    from PIL import Image

    _, png = converted
    pixels = np.asarray(Image.open(png).convert("RGB")).astype(int)
    height, width, _ = pixels.shape
    assert height > width  # portrait A4
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    red = (r > 200) & (g < 80) & (b < 80)
    # The red mark and rule sit in the upper half of the page (the rule at about 42 % down).
    assert red[: height // 2].sum() > 500
    assert red[height // 2 :].sum() < 50
    dark = (r < 90) & (g < 90) & (b < 90)
    assert dark[height // 2 :].sum() > 2000  # body text on page 1 (the standard requires it)


def test_missing_libreoffice_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bulletin: Document
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    docx_path = write_docx(bulletin, tmp_path / "b.docx")
    with pytest.raises(LibreOfficeMissingError, match="apt-get install libreoffice"):
        convert_docx_to_pdf(docx_path, tmp_path / "b.pdf")


def test_standard_fonts_can_be_required(tmp_path: Path, bulletin: Document, need_tool: Callable[..., None]) -> None:
    need_tool("soffice")
    if not substitutions():
        pytest.skip("the standard fonts are installed here")
    docx_path = write_docx(bulletin, tmp_path / "b.docx")
    with pytest.raises(StandardFontsMissingError, match="仿宋_GB2312"):
        convert_docx_to_pdf(docx_path, tmp_path / "b.pdf", require_standard_fonts=True)
    assert pdf_module.PREVIEW_LABEL == "仅供预览"


def test_a_kept_profile_is_reused(
    tmp_path: Path, bulletin: Document, converted: tuple[PdfResult, Path], profile: Path
) -> None:
    assert (profile / "user").is_dir()  # the first conversion created its profile where we asked
    docx_path = write_docx(bulletin, tmp_path / "b.docx")
    result = convert_docx_to_pdf(docx_path, tmp_path / "two.pdf", profile_dir=profile, timeout=180)
    assert "青禾县委网信办舆情专报" in "".join(_text(result.path).split())


def test_a_full_page_has_22_lines_of_28_characters(converted: tuple[PdfResult, Path]) -> None:
    result, _ = converted
    pages = _text(result.path).split("\f")
    grids = [
        [ln.strip() for ln in page.splitlines() if ln.strip().strip(GRID_CHAR) == "" and ln.strip()] for page in pages
    ]
    full = [lines for lines in grids if len(lines) >= 20]
    assert full, "no page filled by the long paragraph"
    lines = full[0]
    assert len(lines) == 22  # GB/T 9704-2012: 22 lines a page
    assert sorted({len(ln) for ln in lines[1:-1]}) == [28]  # and 28 characters a line
