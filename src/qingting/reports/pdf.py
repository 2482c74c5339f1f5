"""DOCX → PDF with LibreOffice headless, fonts mapped to open CJK fonts, labelled 仅供预览 if so.

LibreOffice runs with a private user profile (so concurrent conversions and a user's own
LibreOffice never share state) and a timeout, and with ``FONTCONFIG_FILE`` pointing at the mapping
written by :func:`qingting.reports.fonts.fontconfig_file`. When a standard font is replaced by an
open one, the PDF carries "仅供预览" in its header on every page: it is a faithful preview, not the
document an office would file with its licensed fonts.
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from docx import Document as open_docx
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt, RGBColor

from qingting.reports.docx import _font, build_docx
from qingting.reports.fonts import FONT_HEI, FontSubstitution, fontconfig_env, fontconfig_file, substitutions
from qingting.reports.model import Document

__all__ = [
    "PREVIEW_LABEL",
    "LibreOfficeError",
    "LibreOfficeMissingError",
    "PdfResult",
    "StandardFontsMissingError",
    "convert_docx_to_pdf",
    "find_soffice",
    "render_pdf",
]

PREVIEW_LABEL = "仅供预览"


class LibreOfficeError(RuntimeError):
    """LibreOffice ran but produced no PDF (or ran past the timeout)."""


class LibreOfficeMissingError(LibreOfficeError):
    """``soffice`` is not installed or not on PATH."""


class StandardFontsMissingError(LibreOfficeError):
    """The caller asked for the standard fonts only, and some are not installed."""


@dataclass(frozen=True, slots=True)
class PdfResult:
    """Where the PDF went, and which standard fonts were replaced (empty: the real fonts)."""

    path: Path
    substitutions: tuple[FontSubstitution, ...]

    @property
    def preview_only(self) -> bool:
        return bool(self.substitutions)


def find_soffice() -> str:
    """Path of the LibreOffice binary; :class:`LibreOfficeMissingError` with the fix when absent."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    raise LibreOfficeMissingError(
        "LibreOffice is needed to render PDF but `soffice` was not found on PATH; "
        "install it with `apt-get install libreoffice-writer-nogui` (and fonts-noto-cjk for Chinese)"
    )


def _label_preview(docx: object, substituted: list[FontSubstitution]) -> None:
    """Put 仅供预览 and the font replacements in the header of every page (odd and even)."""
    detail = "；".join(f"{s.standard}→{s.substitute or '系统默认'}" for s in substituted)
    for section in docx.sections:  # type: ignore[attr-defined]
        for header in (section.header, section.even_page_header):
            header.is_linked_to_previous = False
            p = header.paragraphs[0] if header.paragraphs else header.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.paragraph_format.first_line_indent = 0
            _font(
                p.add_run(f"{PREVIEW_LABEL}（字体替代：{detail}）"), FONT_HEI, Pt(9), colour=RGBColor(0x80, 0x80, 0x80)
            )


@contextlib.contextmanager
def _profile_lock(profile_dir: str | Path | None) -> Iterator[None]:
    if profile_dir is None:
        yield
        return
    path = Path(profile_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / f".{path.name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def convert_docx_to_pdf(
    docx_path: str | Path,
    pdf_path: str | Path,
    *,
    timeout: float = 120.0,
    require_standard_fonts: bool = False,
    label_preview: bool = True,
    profile_dir: str | Path | None = None,
) -> PdfResult:
    """Convert a DOCX file to PDF with LibreOffice headless.

    With ``require_standard_fonts`` the conversion refuses (:class:`StandardFontsMissingError`)
    rather than substitute; otherwise substitutes are used and, with ``label_preview``, the pages
    are marked 仅供预览. Raises :class:`LibreOfficeMissingError` when LibreOffice is absent and
    :class:`LibreOfficeError` when it fails or runs past ``timeout`` seconds.

    ``profile_dir`` keeps LibreOffice's user profile between runs (about 1.3 s less per
    conversion than creating one each time); conversions sharing it are serialised with a file
    lock, because two LibreOffice processes must never use one profile at once. Without it every
    conversion gets a fresh private profile.
    """
    docx_path, pdf_path = Path(docx_path), Path(pdf_path)
    soffice = find_soffice()
    substituted = substitutions()
    if substituted and require_standard_fonts:
        names = "、".join(s.standard for s in substituted)
        raise StandardFontsMissingError(f"standard fonts not installed: {names}")
    with tempfile.TemporaryDirectory(prefix="qingting-soffice-") as tmp:
        work = Path(tmp)
        source = work / "document.docx"
        if substituted and label_preview:
            docx = open_docx(str(docx_path))
            _label_preview(docx, substituted)
            docx.save(str(source))
        else:
            shutil.copyfile(docx_path, source)
        env = fontconfig_env(fontconfig_file(work / "fontconfig"))
        env["HOME"] = str(work)  # LibreOffice writes caches under HOME even with a profile dir
        env.setdefault("SAL_USE_VCLPLUGIN", "svp")  # headless, never tries an X display
        profile_path = Path(profile_dir) if profile_dir is not None else work / "profile"
        profile = profile_path.resolve().as_uri()
        cmd = [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf:writer_pdf_Export",
            "--outdir",
            str(work / "out"),
            str(source),
        ]
        with _profile_lock(profile_dir):
            try:
                proc = subprocess.run(
                    cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False, start_new_session=True
                )
            except subprocess.TimeoutExpired as exc:
                raise LibreOfficeError(f"LibreOffice did not finish within {timeout:.0f} s") from exc
        produced = work / "out" / "document.pdf"
        if proc.returncode != 0 or not produced.is_file():
            raise LibreOfficeError(
                f"LibreOffice failed (exit {proc.returncode}): {(proc.stderr or proc.stdout).strip()[:500]}"
            )
        pdf_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(produced), pdf_path)
    return PdfResult(pdf_path, tuple(substituted))


def render_pdf(
    doc: Document,
    pdf_path: str | Path,
    *,
    timeout: float = 120.0,
    require_standard_fonts: bool = False,
    profile_dir: str | Path | None = None,
) -> PdfResult:
    """Render ``doc`` straight to PDF (via a DOCX in a temporary directory)."""
    with tempfile.TemporaryDirectory(prefix="qingting-docx-") as tmp:
        docx_path = Path(tmp) / "document.docx"
        build_docx(doc).save(str(docx_path))
        return convert_docx_to_pdf(
            docx_path,
            pdf_path,
            timeout=timeout,
            require_standard_fonts=require_standard_fonts,
            profile_dir=profile_dir,
        )
