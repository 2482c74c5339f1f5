"""/api/reports: list, generate, download — scoped, with the API's one error shape."""

from __future__ import annotations

import io
import json
from typing import Any

from django.test import Client
from docx import Document as open_docx

from qingting.web.accounts.services import api_token_create
from qingting.web.reporting.services import report_issue


def _token(user: Any) -> str:
    return api_token_create(actor=None, user=user, name="t")[1]


def _get(token: str, path: str, **params: Any) -> Any:
    return Client().get(f"/api/reports{path}", params, HTTP_AUTHORIZATION=f"Bearer {token}")


def _post(token: str, path: str, body: dict[str, Any]) -> Any:
    return Client().post(
        f"/api/reports{path}", json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def test_generate_list_and_download(seeded: dict[str, Any]) -> None:
    token = _token(seeded["east_analyst"])
    made = _post(token, "/generate", {"kind": "work", "period": "2026-H1", "unit": "east", "pdf": False})
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["unit_code"] == "east" and body["period_label"] == "2026-H1" and body["issued_by"] == "east_analyst"
    listing = _get(token, "", kind="work").json()
    assert listing["count"] == 1 and listing["items"][0]["id"] == body["id"]
    docx = Client().get(body["downloads"]["docx"], HTTP_AUTHORIZATION=f"Bearer {token}")
    assert docx.status_code == 200
    text = "\n".join(p.text for p in open_docx(io.BytesIO(docx.content)).paragraphs)
    assert "工作情况报告" in text and "主要工作数据" in text


def test_api_scoping_and_errors(seeded: dict[str, Any]) -> None:
    west = report_issue(actor=None, kind="monthly", unit=seeded["west"], period_label="2026-01", with_pdf=False)
    token = _token(seeded["east_analyst"])
    assert _get(token, "").json()["count"] == 0
    missing = _get(token, f"/{west.pk}")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert _get(token, f"/{west.pk}/download/docx").status_code == 404
    other_unit = _post(token, "/generate", {"kind": "monthly", "period": "2026-01", "unit": "west"})
    assert other_unit.status_code == 404
    bad = _post(token, "/generate", {"kind": "monthly", "period": "2026-13", "unit": "east"})
    assert bad.status_code == 422 and "period" in bad.json()["error"]["message"]
    bad_kind = _post(token, "/generate", {"kind": "poem", "period": "2026-01"})
    assert bad_kind.status_code == 422
    assert Client().get("/api/reports").status_code == 401
    leader = _token(seeded["office_leader"])
    assert _get(leader, "").json()["count"] == 1


def test_handlers_may_read_but_not_issue(seeded: dict[str, Any]) -> None:
    from qingting.web.accounts import services as accounts
    from qingting.web.accounts.models import Role

    handler = accounts.user_create(actor=None, username="h", password="Qt-test-pass-2026!")
    accounts.membership_grant(actor=None, user=handler, unit=seeded["east"], role=Role.HANDLER)
    refused = _post(_token(handler), "/generate", {"kind": "monthly", "period": "2026-01", "unit": "east"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
