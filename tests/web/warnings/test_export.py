"""The warnings list as a spreadsheet (issue 15): the user's warnings only, the list's filters first,
the reason in the reader's language, hostile text never a formula."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from qingting.web.warnings.models import Warning

from ..conftest import PASSWORD
from .conftest import burst, ingest

pytestmark = pytest.mark.django_db


def _client(user: Any, language: str = "zh-hans") -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    c.cookies["django_language"] = language
    return c


def _csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_the_warnings_list_downloads_with_its_filters_and_only_the_users_warnings(setup: dict[str, Any]) -> None:
    from openpyxl import load_workbook

    ingest(setup, burst("h", 8, text="=HYPERLINK(1) 停水"))
    w = Warning.objects.get()
    analyst = _client(setup["analyst"])
    page = analyst.get(reverse("warnings:list"), {"status": "open"}).content.decode()
    assert "下载此列表" in page and "status=open&amp;export=xlsx" in page

    rows = _csv(analyst.get(reverse("warnings:list"), {"status": "open", "export": "csv"}))
    assert rows[0] == ["预警"] and rows[1][0] == "导出时间"
    body = rows[rows.index([]) + 2 :]
    assert len(body) == 1 and body[0][1] == "'" + w.title and body[0][2] == w.reason  # a formula stays text
    assert body[0][0] == "Ⅳ级（蓝色）" and body[0][3] == "供水"
    assert not any(cell.startswith("=") for r in rows for cell in r)  # untrusted text stays text

    english = _csv(_client(setup["analyst"], "en").get(reverse("warnings:list"), {"export": "csv"}))
    assert english[0] == ["Warnings"] and english[-1][2] == (w.reason_en or w.reason)

    book = load_workbook(
        io.BytesIO(b"".join(analyst.get(reverse("warnings:list"), {"export": "xlsx"}).streaming_content))
    )
    assert [c.value for c in list(book.active.iter_rows())[-1]][1] == w.title

    west = _csv(_client(setup["west_analyst"]).get(reverse("warnings:list"), {"export": "csv"}))
    assert w.title not in {r[1] for r in west if len(r) > 1}  # another unit's warning never leaves
