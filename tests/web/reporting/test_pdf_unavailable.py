"""Without LibreOffice the PDF link says why and offers the DOCX (503), never a bare Not Found;
once the converter is back, the same link makes the PDF (a report issued earlier gets one too)."""

from __future__ import annotations

import shutil
from typing import Any

import pytest
from django.test import Client

from ..conftest import PASSWORD


def test_missing_converter_gives_a_clear_page_and_the_docx(
    seeded: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from qingting.web.reporting.services import report_issue

    issued = report_issue(actor=None, kind="monthly", unit=seeded["east"], period_label="2026-01", with_pdf=False)
    client = Client()
    assert client.login(username="east_analyst", password=PASSWORD)
    monkeypatch.setenv("PATH", str(tmp_path))  # no soffice on this PATH: the converter is missing
    monkeypatch.setenv("QINGTING_PDF_RESIDENT", "0")
    response = client.get(f"/reports/{issued.pk}/pdf/")
    assert response.status_code == 503
    page = response.content.decode()
    assert "暂时无法生成 PDF" in page and f"/reports/{issued.pk}/docx/" in page
    assert client.get(f"/reports/{issued.pk}/docx/").status_code == 200
    monkeypatch.undo()
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed: the second half needs it")
    made = client.get(f"/reports/{issued.pk}/pdf/")
    assert made.status_code == 200 and made.content.startswith(b"%PDF")
    issued.refresh_from_db()
    assert issued.pdf  # kept: the next download does not convert again
