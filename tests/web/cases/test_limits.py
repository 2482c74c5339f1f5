"""Limits on what comes into a case (issue 16, audit finding 10): attachments refused at the limit
while the body streams in, a too-long file name named as such — not as "type (none)" — and one
length limit per field whichever way the text arrives (page, /api/cases, Open311)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from qingting.web.cases import services
from qingting.web.cases.models import CaseAttachment

from ..conftest import PASSWORD
from ..streaming import post_streamed


@pytest.fixture
def case(people: dict[str, Any]) -> Any:
    c = services.case_create(
        actor=None, unit=people["east"], channel="mailbox", category="complaint", summary="路灯坏了"
    )
    services.case_act(actor=people["dispatcher"], case_id=c.pk, action="register")
    return c


def _client(user: Any) -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


def test_a_200_mb_attachment_is_refused_at_the_limit_without_reading_it(people: dict[str, Any], case: Any) -> None:
    c = _client(people["east_handler"])
    r, body = post_streamed(c, f"/cases/{case.pk}/attachments/", fields={}, file_field="file",
                            file_name="现场.pdf", size=200 * 1024 * 1024, head=b"%PDF-1.7\n")  # fmt: skip
    limit = services.attachment_max_bytes()
    assert body.read_bytes < limit + 2 * 1024 * 1024, body.read_bytes
    assert r.status_code == 413
    html = r.content.decode()
    assert "现场.pdf" in html and "10.0 MB" in html
    assert not CaseAttachment.objects.filter(case=case).exists()


def test_a_small_attachment_still_goes_through_the_same_handler(people: dict[str, Any], case: Any) -> None:
    c = _client(people["east_handler"])
    r, _ = post_streamed(c, f"/cases/{case.pk}/attachments/", fields={}, file_field="file",
                         file_name="现场.pdf", size=50_000, head=b"%PDF-1.7\n")  # fmt: skip
    assert r.status_code == 302
    assert CaseAttachment.objects.get(case=case).size == 50_000


def test_a_300_character_file_name_is_named_as_the_problem(people: dict[str, Any], case: Any) -> None:
    name = "回" * 296 + ".pdf"
    # sent as a browser sends it (SimpleUploadedFile would cut the name to 255 characters itself)
    r, _ = post_streamed(_client(people["east_handler"]), f"/cases/{case.pk}/attachments/", fields={},
                         file_field="file", file_name=name, size=1000, head=b"%PDF-1.7\n")  # fmt: skip
    html = r.content.decode()
    assert r.status_code in (400, 413)
    assert "300" in html and "200" in html and "(none)" not in html and "（无）" not in html
    with pytest.raises(Exception, match="300"):  # the service says the same to scripts and the API
        services.check_attachment(name, b"%PDF-1.7\n")


def test_one_length_limit_for_the_description_everywhere(people: dict[str, Any]) -> None:
    from qingting.web.cases.models import TEXT_LIMITS, Case

    limit = TEXT_LIMITS["description"]
    issued = services.open311_client_create(actor=people["east_admin"], name="市民App", unit=people["east"])
    c = Client()
    form = {"api_key": issued.api_key, "service_code": "complaint", "lat": "30.1", "long": "120.2"}
    too_long = "塌" * 100_000
    r = c.post("/open311/v2/requests.json", {**form, "description": too_long})
    assert r.status_code == 400 and r.json()[0]["code"] == 400
    assert "100000" in r.json()[0]["description"] and str(limit) in r.json()[0]["description"]
    api = _client(people["dispatcher"])
    body = {"unit_id": people["east"].pk, "channel": "hotline", "category": "complaint", "summary": "路面塌陷"}
    assert api.post("/api/cases", {**body, "description": too_long}, content_type="application/json").status_code in (
        400,
        422,
    )
    assert not Case.objects.exists()
    # exactly at the limit passes both ways
    at_limit = "塌" * limit
    assert c.post("/open311/v2/requests.json", {**form, "description": at_limit}).status_code == 200
    r = api.post("/api/cases", {**body, "description": at_limit}, content_type="application/json")
    assert r.status_code in (200, 201), r.content
    assert Case.objects.filter(description=at_limit).count() == 2


def test_no_silent_truncation_of_place_or_address(people: dict[str, Any]) -> None:
    with pytest.raises(Exception, match="120"):
        services.case_create(actor=None, unit=people["east"], channel="hotline", category="complaint",
                             summary="路面塌陷", region="东" * 120)  # fmt: skip
