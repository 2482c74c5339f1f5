"""Import limits (issue 16, audit finding 4 and 10): type, size while streaming, ZIP ratio, stale runs."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from qingting.web.collect import services
from qingting.web.collect.models import ImportRun
from qingting.web.monitoring.models import Item

from ..conftest import PASSWORD
from ..streaming import post_streamed


def _client(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.fixture()
def source(admins: dict[str, Any]) -> Any:
    return services.source_save(actor=admins["east_admin"], unit=admins["east"], name="留言导出", connector="file",
                                options={"fields": {"id": "编号", "text": "内容"}})  # fmt: skip


def _workbook(rows: list[tuple[str, str]]) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["编号", "内容"])
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _bomb(unpacked: int) -> bytes:
    """A real workbook whose shared strings unpack to ``unpacked`` bytes (one repeated string)."""
    good = zipfile.ZipFile(io.BytesIO(_workbook([("1", "路灯坏了")])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in good.infolist():
            z.writestr(info, good.read(info))
        piece = "<si><t>" + "停水" * 500 + "</t></si>"
        count = unpacked // len(piece.encode())
        z.writestr("xl/sharedStrings.xml", '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                   + piece * count + "</sst>")  # fmt: skip
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "body", "says"),
    [
        ("页面.html", b"<!doctype html><html><body>{}</body></html>", "type .html"),
        ("图.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "type .svg"),
        ("回复.docx", b"PK\x03\x04" + b"\0" * 100, "type .docx"),
        ("报告.pdf", b"%PDF-1.7\n...", "type .pdf"),
        ("renamed.jsonl", b"%PDF-1.7\n...", "a PDF document"),
        ("renamed.jsonl", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "HTML or XML"),
        ("renamed.csv", b"PK\x03\x04" + b"\0" * 100, "ZIP archive"),
    ],
)
def test_files_that_are_not_records_are_refused_by_name(source: Any, name: str, body: bytes, says: str) -> None:
    r = _client("east_admin").post(
        reverse("collect:import", args=[source.pk]), {"file": SimpleUploadedFile(name, body)}
    )
    html = r.content.decode()
    assert r.status_code == 200 and name in html and says in html
    assert not ImportRun.objects.filter(source=source).exists()  # refused, not "done, 0 records"


def test_a_zip_bomb_workbook_is_refused_before_it_is_opened(source: Any) -> None:
    bomb = _bomb(3 * 1024 * 1024)
    assert len(bomb) < 100 * 1024  # a small upload …
    r = _client("east_admin").post(reverse("collect:import", args=[source.pk]),
                                   {"file": SimpleUploadedFile("留言.xlsx", bomb)})  # fmt: skip
    html = r.content.decode()
    assert "留言.xlsx" in html and "xl/sharedStrings.xml" in html and "the limit is 100:1" in html
    assert not ImportRun.objects.filter(source=source).exists()
    # an ordinary workbook still imports
    ok = _client("east_admin").post(reverse("collect:import", args=[source.pk]),
                                    {"file": SimpleUploadedFile("留言.xlsx", _workbook([("1", "路灯坏了")])),
                                     "fields": "id=编号,text=内容"})  # fmt: skip
    assert ok.context["run"].created == 1


def test_the_command_line_refuses_a_bomb_too(source: Any, tmp_path: Any) -> None:
    from click.testing import CliRunner

    from qingting.cli import main

    path = tmp_path / "留言.xlsx"
    path.write_bytes(_bomb(3 * 1024 * 1024))
    result = CliRunner().invoke(main, ["import", str(path), "--source", source.name])
    assert result.exit_code != 0 and "ratio" in result.output and "留言.xlsx" in result.output


def test_an_upload_over_the_limit_is_cut_off_while_streaming(source: Any, settings: Any) -> None:
    settings.QINGTING_IMPORT_MAX_BYTES = 1024 * 1024
    client = _client("east_admin")
    client.get(reverse("collect:import", args=[source.pk]))
    r, body = post_streamed(client, reverse("collect:import", args=[source.pk]), fields={"fields": "text=内容"},
                            file_field="file", file_name="big.jsonl", size=200 * 1024 * 1024)  # fmt: skip
    html = r.content.decode()
    assert body.read_bytes < 2 * 1024 * 1024  # not 200 MB
    assert "big.jsonl" in html and "1.0 MB" in html
    assert not ImportRun.objects.filter(source=source).exists() and not Item.objects.filter(source=source).exists()


def test_a_killed_import_is_marked_failed_on_restart(source: Any, admins: dict[str, Any]) -> None:
    from qingting.web import periodic

    now = timezone.now()
    killed = ImportRun.objects.create(source=source, file_name="letters.jsonl", read=4000, created=4000)
    ImportRun.objects.filter(pk=killed.pk).update(started_at=now - timedelta(hours=1),
                                                  heartbeat_at=now - timedelta(minutes=30))  # fmt: skip
    alive = ImportRun.objects.create(source=source, file_name="other.jsonl")
    ImportRun.objects.filter(pk=alive.pk).update(heartbeat_at=now - timedelta(seconds=20))
    assert "collect.imports_interrupted" in [j.name for j in periodic.jobs()]
    assert periodic.run("collect.imports_interrupted", now) == 1
    killed.refresh_from_db()
    alive.refresh_from_db()
    assert killed.status == "failed" and killed.finished_at is not None
    assert killed.errors[-1]["code"] == "interrupted" and killed.errors[-1]["file"] == "letters.jsonl"
    assert alive.status == "running"
    assert periodic.run("collect.imports_interrupted", now) == 0  # once
