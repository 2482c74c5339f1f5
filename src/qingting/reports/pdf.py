"""DOCX → PDF with LibreOffice headless, fonts mapped to open CJK fonts, labelled 仅供预览 if so.

LibreOffice runs with a private user profile (so concurrent conversions and a user's own
LibreOffice never share state) and a timeout, and with ``FONTCONFIG_FILE`` pointing at the mapping
written by :func:`qingting.reports.fonts.fontconfig_file`. When a standard font is replaced by an
open one, the PDF carries "仅供预览" in its header on every page: it is a faithful preview, not the
document an office would file with its licensed fonts.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
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
    "ResidentConverter",
    "StandardFontsMissingError",
    "convert_docx_to_pdf",
    "convert_docx_to_pdf_fast",
    "find_soffice",
    "render_pdf",
    "resident_converter",
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


def _prepared_source(docx_path: Path, work: Path, substituted: list[FontSubstitution], label: bool) -> Path:
    """The DOCX to convert, as ``work/document.docx``: labelled 仅供预览 when fonts are substituted."""
    source = work / "document.docx"
    if substituted and label:
        docx = open_docx(str(docx_path))
        _label_preview(docx, substituted)
        docx.save(str(source))
    else:
        shutil.copyfile(docx_path, source)
    return source


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
        source = _prepared_source(docx_path, work, substituted, label_preview)
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


# --- a resident LibreOffice ----------------------------------------------------------------------


def _ipc_pipe_paths(profile_uri: str) -> list[Path]:
    """Where LibreOffice puts the pipe through which a second ``soffice`` hands it work.

    Its name is ``OSL_PIPE_<uid>_SingleOfficeIPC_<md5>``, the MD5 taken over the profile URL in
    UTF-16 and written byte by byte in unpadded hex (desktop/source/app/officeipcthread.cxx).
    """
    digest = hashlib.md5(profile_uri.encode("utf-16-le"), usedforsecurity=False).digest()
    name = f"OSL_PIPE_{os.getuid()}_SingleOfficeIPC_{''.join(f'{b:x}' for b in digest)}"
    return [Path("/tmp") / name, Path("/var/tmp") / name]


class ResidentConverter:
    """A LibreOffice started ahead of time; each conversion is handed to it through its IPC pipe.

    LibreOffice's start-up is most of a one-shot conversion (2–5 s). An instance started in
    advance with our font mapping and a private profile converts a report in well under a second:
    a short-lived ``soffice --convert-to`` with the same profile finds the running instance's
    pipe, hands over the file and waits until it is written. LibreOffice 7.4 ends a headless
    instance after such a hand-over, so the converter at once starts the next one in a background
    thread (reusing the profile): a conversion waits for start-up only when conversions come
    faster than LibreOffice starts. One conversion at a time (a lock); a conversion past
    ``timeout`` kills the instance and the next one is fresh; if the pipe never appears
    (an unusual build), conversions fall back to one-shot runs.

    >>> ResidentConverter().convert("report.docx", "report.pdf")  # doctest: +SKIP
    """

    def __init__(self, *, start_timeout: float = 60.0, prestart: bool = True) -> None:
        self.start_timeout = start_timeout
        self.prestart = prestart
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._work: tempfile.TemporaryDirectory[str] | None = None
        self._env: dict[str, str] = {}
        self._profile_uri = ""
        self.starts = 0  # how many instances were started (tests, diagnostics)
        self.handed_over = 0  # conversions done by a pre-started instance
        self.usable = True  # False after the pipe never appeared: one-shot conversions only
        self._closed = False

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None and self._pipe_ready()

    def _pipe_ready(self) -> bool:
        return bool(self._profile_uri) and any(p.exists() for p in _ipc_pipe_paths(self._profile_uri))

    def _prepare(self) -> None:
        if self._work is not None:
            return
        _reap_orphans()
        self._work = tempfile.TemporaryDirectory(prefix=_RESIDENT_PREFIX)
        work = Path(self._work.name)
        env = fontconfig_env(fontconfig_file(work / "fontconfig"))
        env["HOME"] = str(work)
        env.setdefault("SAL_USE_VCLPLUGIN", "svp")
        self._env = env
        self._profile_uri = (work / "profile").resolve().as_uri()

    def _start(self) -> None:
        """Start an instance and wait for its pipe (call with the lock held)."""
        self._reap()
        soffice = find_soffice()
        self._prepare()
        for stale in _ipc_pipe_paths(self._profile_uri):  # left by a killed instance
            with contextlib.suppress(OSError):
                stale.unlink()
        cmd = [
            soffice,
            f"-env:UserInstallation={self._profile_uri}",
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            "--nolockcheck",
        ]
        self._proc = subprocess.Popen(
            cmd,
            env=self._env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        # Who owns this instance: a later process kills it if we die without stopping it (SIGKILL,
        # or SIGTERM without atexit), since it runs in its own session and would outlive us.
        assert self._work is not None
        (Path(self._work.name) / "owner").write_text(f"{os.getpid()} {self._proc.pid}")
        self.starts += 1
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                break
            if self._pipe_ready():
                return
            time.sleep(0.05)
        self._reap()
        self.usable = False

    def _reap(self, *, wait: float = 0.0) -> None:
        """Make sure the current instance is gone (kill its whole session after ``wait`` seconds)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if wait:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=wait)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # the whole session: soffice.bin may outlive its launcher
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)

    def _discard_profile(self) -> None:
        if self._work is not None:
            with contextlib.suppress(OSError):
                self._work.cleanup()
        self._work = None
        self._profile_uri = ""

    def _start_next(self) -> None:
        def run() -> None:
            with self._lock:
                if not self._closed and self.usable and not self.running:
                    with contextlib.suppress(LibreOfficeError, OSError):
                        self._start()

        threading.Thread(target=run, name="qingting-soffice-prestart", daemon=True).start()

    def start(self) -> None:
        """Start an instance now (otherwise the first conversion does)."""
        with self._lock:
            if self.usable and not self.running:
                self._start()

    def stop(self) -> None:
        """Stop the instance and remove its profile (a later conversion starts afresh)."""
        with self._lock:
            self._closed = True
            self._reap()
            self._discard_profile()
            self._closed = False

    def convert(
        self,
        docx_path: str | Path,
        pdf_path: str | Path,
        *,
        timeout: float = 60.0,
        require_standard_fonts: bool = False,
        label_preview: bool = True,
    ) -> PdfResult:
        """Convert like :func:`convert_docx_to_pdf`, through a pre-started instance."""
        docx_path, pdf_path = Path(docx_path), Path(pdf_path)
        soffice = find_soffice()
        substituted = substitutions()
        if substituted and require_standard_fonts:
            names = "、".join(s.standard for s in substituted)
            raise StandardFontsMissingError(f"standard fonts not installed: {names}")
        with self._lock:
            if self.usable and not self.running:
                self._start()
            if not self.usable:
                return convert_docx_to_pdf(docx_path, pdf_path, timeout=timeout, label_preview=label_preview)
            with tempfile.TemporaryDirectory(prefix="qingting-convert-") as tmp:
                work = Path(tmp)
                source = _prepared_source(docx_path, work, substituted, label_preview)
                produced = work / "out" / "document.pdf"
                cmd = [
                    soffice,
                    f"-env:UserInstallation={self._profile_uri}",
                    "--headless",
                    "--norestore",
                    "--convert-to",
                    "pdf:writer_pdf_Export",
                    "--outdir",
                    str(work / "out"),
                    str(source),
                ]
                try:
                    proc = subprocess.run(
                        cmd,
                        capture_output=True,
                        text=True,
                        timeout=timeout,
                        env=self._env,
                        check=False,
                        start_new_session=True,
                    )
                except subprocess.TimeoutExpired as exc:
                    self._reap()  # a hung instance is replaced, with a fresh profile
                    self._discard_profile()
                    raise LibreOfficeError(f"LibreOffice did not finish within {timeout:.0f} s") from exc
                # The instance ends after a hand-over; give it a moment to finish writing and exit.
                self._reap(wait=5.0)
                if proc.returncode != 0 or not produced.is_file():
                    self._discard_profile()
                    raise LibreOfficeError(
                        f"LibreOffice failed (exit {proc.returncode}): {(proc.stderr or proc.stdout).strip()[:500]}"
                    )
                self.handed_over += 1
                pdf_path.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(produced), pdf_path)
        if self.prestart:
            self._start_next()
        return PdfResult(pdf_path, tuple(substituted))


_RESIDENT_PREFIX = "qingting-soffice-resident-"


def _reap_orphans() -> int:
    """Stop resident instances whose owning process is gone; returns how many were stopped."""
    stopped = 0
    for owner_file in Path(tempfile.gettempdir()).glob(f"{_RESIDENT_PREFIX}*/owner"):
        try:
            owner, session = (int(x) for x in owner_file.read_text().split())
        except (OSError, ValueError):
            continue
        if owner == os.getpid() or Path(f"/proc/{owner}").exists():
            continue
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(session, signal.SIGKILL)
            stopped += 1
        shutil.rmtree(owner_file.parent, ignore_errors=True)
    return stopped


_RESIDENT: tuple[int, ResidentConverter] | None = None
_RESIDENT_LOCK = threading.Lock()


def resident_converter() -> ResidentConverter:
    """This process's resident converter (a new one after a fork: an instance belongs to one process)."""
    global _RESIDENT
    with _RESIDENT_LOCK:
        if _RESIDENT is None or _RESIDENT[0] != os.getpid():
            converter = ResidentConverter()
            atexit.register(converter.stop)
            _RESIDENT = (os.getpid(), converter)
        return _RESIDENT[1]


def convert_docx_to_pdf_fast(docx_path: str | Path, pdf_path: str | Path, *, timeout: float = 60.0) -> PdfResult:
    """DOCX → PDF through this process's resident LibreOffice, unless ``QINGTING_PDF_RESIDENT=0``
    asks for one-shot conversions (a fresh LibreOffice each time)."""
    if os.environ.get("QINGTING_PDF_RESIDENT", "1").strip().lower() in ("0", "false", "no", "off"):
        return convert_docx_to_pdf(docx_path, pdf_path, timeout=timeout)
    return resident_converter().convert(docx_path, pdf_path, timeout=timeout)
