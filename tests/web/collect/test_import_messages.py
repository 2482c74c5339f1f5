"""Import errors are stored as codes with parameters and worded in the reader's language (issue 15):
the import page, the administrator's home and the command line say the same thing in Chinese or
English, whatever language the import ran in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from qingting.web.collect import messages, services
from qingting.web.collect.models import ImportRun

from ..conftest import PASSWORD


def _client(username: str, language: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    client.cookies["django_language"] = language
    return client


@pytest.fixture()
def source(admins: dict[str, Any]) -> Any:
    return services.source_save(actor=admins["east_admin"], unit=admins["east"], name="留言导出", connector="file",
                                options={"fields": {"id": "编号", "text": "内容", "time": "时间"}})  # fmt: skip


def test_refused_records_are_stored_as_codes_and_shown_in_each_language(admins: dict[str, Any], source: Any) -> None:
    body = "编号,内容,时间\n1,路灯坏了,2026-12-01 08:00\n2,,2026-12-01 09:00\n3,噪音扰民,明天\n4,只有两列\n".encode()
    url = reverse("collect:import", args=[source.pk])
    zh = _client("east_admin", "zh-hans")
    response = zh.post(url, {"file": SimpleUploadedFile("留言.csv", body), "fields": "id=编号,text=内容,time=时间"})
    run = response.context["run"]
    assert (run.created, run.failed) == (1, 3)
    codes = [(e["code"], e["where"]["n"], e["field"]) for e in ImportRun.objects.get(pk=run.pk).errors]
    assert codes == [("empty_text", 3, "text"), ("bad_time", 4, "time"), ("short_row", 5, "时间")]
    html = response.content.decode()
    assert "第 3 行（编号 2）：正文：为空：每条信息须有正文或标题" in html
    assert "第 4 行（编号 3）：时间：无法将 &#x27;明天&#x27; 识别为时间" in html
    assert "该行只有 2 列（应有 3 列）" in html
    assert "empty" not in html and "cannot read" not in html

    en = _client("east_admin", "en").get(url).content.decode()  # the same run, read in English
    assert "Recent imports" in en or "留言.csv" in en
    with translation.override("en"):
        texts = ImportRun.objects.get(pk=run.pk).error_texts
    assert texts[0] == "line 3 (id 2): text: empty: an item needs a text or a title"
    assert texts[1].startswith("line 4 (id 3): time: cannot read '明天' as a time (")
    assert texts[2] == "line 5: 时间: the row has 2 of 3 columns"


def test_an_interrupted_import_reads_in_the_administrators_language_on_the_home_page(
    admins: dict[str, Any], source: Any
) -> None:
    now = timezone.now()
    run = ImportRun.objects.create(source=source, file_name="东街留言.xlsx", started_by=admins["east_admin"])
    ImportRun.objects.filter(pk=run.pk).update(started_at=now - timedelta(hours=1))
    with translation.override("en"):  # the periodic job runs in whatever language: nothing is worded then
        assert services.imports_interrupted(now) == 1
    stored = ImportRun.objects.get(pk=run.pk).errors[-1]
    assert stored["code"] == "interrupted" and stored["file"] == "东街留言.xlsx"
    since = timezone.localtime(now - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    assert stored["since"] == since

    zh = _client("east_admin", "zh-hans").get("/home/").content.decode()
    jobs = zh[zh.index('id="failed-jobs"') :]
    jobs = jobs[: jobs.index("</section>")]
    assert f"东街留言.xlsx：导入中断，自 {since} 起没有进展" in jobs and "interrupted" not in jobs
    en = _client("east_admin", "en").get("/home/").content.decode()
    jobs = en[en.index('id="failed-jobs"') :]
    jobs = jobs[: jobs.index("</section>")]
    assert f"东街留言.xlsx: interrupted — no progress since {since}" in jobs and "导入中断" not in jobs


def test_entries_stored_before_codes_are_shown_as_they_are_and_unknown_shapes_keep_their_text() -> None:
    assert messages.error_text("line 7: text: empty (and no title)") == "line 7: text: empty (and no title)"
    entry = messages.refusal("abc-17", "url", "a reason nobody anticipated")
    assert entry == {"where": "abc-17", "field": "url", "code": "refused", "detail": "a reason nobody anticipated"}
    with translation.override("zh-hans"):
        assert messages.error_text(entry) == "abc-17：链接：a reason nobody anticipated"
        assert messages.error_text(messages.file_failed("x.csv", "boom")) == "x.csv：文件无法继续读取：boom"
    with translation.override("en"):
        failed = messages.error_text(messages.file_failed("x.csv", "boom"))
        assert failed == "x.csv: the file could not be read on: boom"
