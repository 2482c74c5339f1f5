"""The resident (pre-started) LibreOffice converter: fast hand-over, restarts, timeouts, clean-up."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from qingting.reports.docx import write_docx
from qingting.reports.model import Document
from qingting.reports.pdf import LibreOfficeError, ResidentConverter, convert_docx_to_pdf_fast


@pytest.fixture
def converter(need_tool: Callable[..., None]) -> Iterator[ResidentConverter]:
    need_tool("soffice", "pdftotext")
    c = ResidentConverter()
    try:
        yield c
    finally:
        c.stop()


@pytest.fixture
def docx(tmp_path: Path, bulletin: Document) -> Path:
    return write_docx(bulletin, tmp_path / "b.docx")


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _wait_running(c: ResidentConverter, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with c._lock:
            if c.running:
                return
        time.sleep(0.1)
    raise AssertionError("the next LibreOffice did not start")


def test_conversions_go_through_a_prestarted_instance(converter: ResidentConverter, docx: Path, tmp_path: Path) -> None:
    converter.start()
    assert converter.running and converter.starts == 1
    first = converter.convert(docx, tmp_path / "1.pdf")
    assert "舆情专报" in "".join(_text(first.path).split())
    _wait_running(converter)  # the next instance is started in the background
    t = time.perf_counter()
    converter.convert(docx, tmp_path / "2.pdf")
    warm = time.perf_counter() - t
    assert converter.handed_over == 2 and converter.starts >= 2
    assert (tmp_path / "2.pdf").read_bytes().startswith(b"%PDF")
    assert warm < 30  # generous on a loaded machine; the benchmark records the real figure


def test_a_killed_instance_is_replaced(converter: ResidentConverter, docx: Path, tmp_path: Path) -> None:
    converter.start()
    proc = converter._proc
    assert proc is not None
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    result = converter.convert(docx, tmp_path / "after-kill.pdf")
    assert result.path.read_bytes().startswith(b"%PDF") and converter.starts >= 2


def test_a_conversion_past_the_timeout_is_an_error_and_the_next_one_works(
    converter: ResidentConverter, docx: Path, tmp_path: Path
) -> None:
    converter.start()
    with pytest.raises(LibreOfficeError, match="did not finish within"):
        converter.convert(docx, tmp_path / "slow.pdf", timeout=0.01)
    assert not converter.running
    assert converter.convert(docx, tmp_path / "ok.pdf").path.is_file()


def test_stop_leaves_no_process(converter: ResidentConverter) -> None:
    converter.start()
    proc = converter._proc
    assert proc is not None
    converter.stop()
    assert proc.poll() is not None
    deadline = time.monotonic() + 10
    while _alive_in_session(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _alive_in_session(proc.pid) == []


def _alive_in_session(sid: int) -> list[str]:
    """Processes of the session that are not zombies (a killed child may await its reaper)."""
    pids = subprocess.run(["pgrep", "-s", str(sid)], capture_output=True, text=True).stdout.split()
    alive = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.append(pid)
    return alive


def test_one_shot_mode_by_environment(
    need_tool: Callable[..., None], docx: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    need_tool("soffice")
    monkeypatch.setenv("QINGTING_PDF_RESIDENT", "0")
    from qingting.reports import pdf

    before = pdf._RESIDENT
    assert convert_docx_to_pdf_fast(docx, tmp_path / "once.pdf").path.is_file()
    assert pdf._RESIDENT is before  # no resident converter was made


def test_an_instance_left_by_a_dead_process_is_stopped(need_tool: Callable[..., None], tmp_path: Path) -> None:
    need_tool("soffice")
    import sys
    import textwrap

    from qingting.reports.pdf import _reap_orphans

    # A process starts a resident instance and is killed without stopping it.
    script = textwrap.dedent(
        """
        from qingting.reports.pdf import ResidentConverter
        c = ResidentConverter(); c.start(); print(c._proc.pid, flush=True)
        import time; time.sleep(600)
        """
    )
    owner = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert owner.stdout is not None
    session = int(owner.stdout.readline())
    owner.kill()
    owner.wait(timeout=10)
    assert _alive_in_session(session)  # the orphan is still running
    assert _reap_orphans() >= 1
    deadline = time.monotonic() + 10
    while _alive_in_session(session) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _alive_in_session(session) == []
