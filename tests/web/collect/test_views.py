"""The sources pages: access by unit and role, add/edit per connector, test (stores nothing), run now."""

from __future__ import annotations

import re
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from _loopback import LoopbackServer, send
from django.test import Client
from django.urls import reverse

from qingting.web.audit.models import AuditEntry
from qingting.web.collect.models import SourceSecret
from qingting.web.monitoring.models import Item, Source

from ..conftest import HOSTILE, PASSWORD
from .conftest import rss


def _client(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def _rss_form(unit: Any, url: str, **extra: Any) -> dict[str, Any]:
    return {"name": "镇政府新闻", "unit": unit.pk, "connector": "rss", "url": url, "poll_minutes": 15,
            "is_active": "on", "respect_robots": "on", **extra}  # fmt: skip


def _serve(server: LoopbackServer, body: bytes, path: str = "/feed") -> str:
    def handler(h: BaseHTTPRequestHandler) -> None:
        send(h, 200, body, "application/rss+xml", headers={"ETag": '"v1"'})

    server.routes[path] = handler
    return server.url(path)


def test_an_admin_sees_and_changes_only_their_units_sources(admins: dict[str, Any]) -> None:
    east = _client("east_admin")
    page = east.get(reverse("collect:list")).content.decode()
    assert "east-论坛" in page and "west-论坛" not in page
    west_source = admins["west_source"]
    for name in ("collect:edit", "collect:import"):
        assert east.get(reverse(name, args=[west_source.pk])).status_code == 404
    for name in ("collect:run", "collect:toggle"):
        assert east.post(reverse(name, args=[west_source.pk])).status_code == 404
    assert Source.objects.get(pk=west_source.pk).is_active
    # Adding into another township is refused as an invalid choice.
    response = east.post(reverse("collect:add"), _rss_form(admins["west"], "https://news.example/rss"))
    assert response.status_code == 200 and "unit" in response.context["form"].errors
    assert not Source.objects.filter(name="镇政府新闻").exists()


def test_non_admins_see_the_list_but_cannot_add_or_change(admins: dict[str, Any]) -> None:
    analyst = _client("east_analyst")
    page = analyst.get(reverse("collect:list")).content.decode()
    assert "east-论坛" in page and reverse("collect:add") not in page
    assert analyst.get(reverse("collect:add")).status_code == 403
    assert analyst.post(reverse("collect:add"), _rss_form(admins["east"], "https://x.example/rss")).status_code == 403
    assert analyst.post(reverse("collect:test"), _rss_form(admins["east"], "https://x.example/rss")).status_code == 403
    east_source = admins["east_source"]
    assert analyst.get(reverse("collect:edit", args=[east_source.pk])).status_code == 403
    assert analyst.post(reverse("collect:toggle", args=[east_source.pk])).status_code == 403
    # The sources page keeps its address (/sources/, once served by the monitoring app too).
    assert "east-论坛" in analyst.get("/sources/").content.decode()


def test_field_errors_name_the_field_per_connector(admins: dict[str, Any]) -> None:
    east = _client("east_admin")
    form = {"name": "列表页", "unit": admins["east"].pk, "connector": "page", "url": "https://x.example/list",
            "poll_minutes": 15, "link_pattern": "([unclosed"}  # fmt: skip
    errors = east.post(reverse("collect:add"), form).context["form"].errors
    assert "link_pattern" in errors and "at position 1" in str(errors["link_pattern"])  # the re module says where
    mailbox = {"name": "市长信箱", "unit": admins["east"].pk, "connector": "imap", "poll_minutes": 5}
    errors = east.post(reverse("collect:add"), mailbox).context["form"].errors
    assert {"imap_host", "imap_username", "imap_password"} <= set(errors)
    rss_without_url = east.post(reverse("collect:add"), {**_rss_form(admins["east"], ""), "name": "x"})
    assert "url" in rss_without_url.context["form"].errors
    assert not Source.objects.filter(name__in=["列表页", "市长信箱", "x"]).exists()


def test_test_button_shows_what_would_be_ingested_escaped_and_stores_nothing(
    admins: dict[str, Any], server: LoopbackServer, allow_loopback: str
) -> None:
    # Markup in a title is stripped by the connector; a literal "<" in text must reach the page escaped.
    body = rss([1, 2], title="停水 水位&amp;lt;警戒线" + HOSTILE.replace("<", "&lt;").replace(">", "&gt;"))
    url = _serve(server, body)
    east = _client("east_admin")
    before = (Source.objects.count(), Item.objects.count(), AuditEntry.objects.count())
    response = east.post(reverse("collect:test"), _rss_form(admins["east"], url), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "停水" in html and "utf-8" in html and "2026-11-22" in html
    assert "<script>alert" not in html and "<img" not in html
    assert "水位&lt;警戒线" in html
    assert (Source.objects.count(), Item.objects.count(), AuditEntry.objects.count()) == before
    # A fault is shown as a clear error, not a crash.
    server.routes["/broken"] = lambda h: send(h, 500, b"oops")
    html = east.post(reverse("collect:test"), _rss_form(admins["east"], server.url("/broken")))
    assert "500" in html.content.decode()


def test_add_then_run_now_stores_the_feed_and_shows_health(
    admins: dict[str, Any], server: LoopbackServer, allow_loopback: str
) -> None:
    url = _serve(server, rss([1, 2, 3]))
    east = _client("east_admin")
    response = east.post(reverse("collect:add"), _rss_form(admins["east"], url))
    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    source = Source.objects.get(name="镇政府新闻")
    assert source.config["connector"] == "rss" and source.poll_interval == 900 and source.unit == admins["east"]
    assert source.schemes.filter(unit=admins["east"]).exists()  # joined the unit's scheme
    response = east.post(reverse("collect:run", args=[source.pk]), follow=True)
    assert "3" in response.content.decode()
    assert Item.objects.filter(source=source).count() == 3
    source.refresh_from_db()
    assert source.last_success_at is not None and source.consecutive_failures == 0
    # Disable: the list says so, and run now is refused.
    east.post(reverse("collect:toggle", args=[source.pk]))
    assert not Source.objects.get(pk=source.pk).is_active
    assert AuditEntry.objects.filter(action="source.disable", object_id=str(source.pk)).exists()


def test_failing_source_shows_a_problem_banner_with_its_reason(admins: dict[str, Any]) -> None:
    Source.objects.filter(pk=admins["east_source"].pk).update(
        consecutive_failures=4, last_error="http://x.example/rss: HTTP 503 Service Unavailable"
    )
    html = _client("east_analyst").get(reverse("collect:list")).content.decode()
    assert 'id="problems"' in html and "HTTP 503" in html and 'id="problem-count"' in html
    assert 'id="problems"' not in _client("west_analyst").get(reverse("collect:list")).content.decode()


@pytest.mark.parametrize("connector", ["imap", "push"])
def test_credentials_are_write_only(admins: dict[str, Any], connector: str) -> None:
    east = _client("east_admin")
    form = {"name": "信箱", "unit": admins["east"].pk, "connector": connector, "poll_minutes": 5,
            "imap_host": "mail.example.cn", "imap_username": "szxx", "imap_password": "S3cret-mail-pw",
            "imap_security": "ssl", "is_active": "on"}  # fmt: skip
    response = east.post(reverse("collect:add"), form)
    source = Source.objects.get(name="信箱")
    secret = SourceSecret.objects.get(source=source)
    if connector == "push":
        # Shown once on the answer to the save, never again.
        assert secret.push_token and secret.push_token in response.content.decode()
    else:
        assert secret.imap_password == "S3cret-mail-pw"
    edit = east.get(reverse("collect:edit", args=[source.pk])).content.decode()
    for value in ("S3cret-mail-pw", secret.push_token or "-never-"):
        assert value not in edit
    # Saving the form with an empty password keeps the stored one.
    east.post(reverse("collect:edit", args=[source.pk]), {**form, "imap_password": ""})
    assert SourceSecret.objects.get(source=source).imap_password == secret.imap_password
    for entry in AuditEntry.objects.filter(object_id=str(source.pk)):
        text = f"{entry.old} {entry.new}"
        assert "S3cret-mail-pw" not in text and (not secret.push_token or secret.push_token not in text)


def test_upload_import_summarises_and_is_idempotent(admins: dict[str, Any]) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from qingting.web.collect import services

    source = services.source_save(actor=admins["east_admin"], unit=admins["east"], name="留言导出", connector="file",
                                  options={"fields": {"id": "编号", "text": "内容"}})  # fmt: skip
    body = "编号,内容\n1,路灯坏了\n2,\n3,<b>噪音</b>扰民\n".encode()
    east = _client("east_admin")
    url = reverse("collect:import", args=[source.pk])
    response = east.post(url, {"file": SimpleUploadedFile("留言.csv", body), "fields": "id=编号,text=内容"})
    html = response.content.decode()
    assert response.status_code == 200 and 'id="import-result"' in html
    assert response.context["run"].created == 2 and response.context["run"].failed == 1
    assert "第 3 行（编号 2）：正文：为空" in html and "<b>噪音" not in html  # stored as a code, worded in Chinese
    again = east.post(url, {"file": SimpleUploadedFile("留言.csv", body), "fields": "id=编号,text=内容"})
    assert again.context["run"].created == 0 and again.context["run"].skipped == 2
    assert Item.objects.filter(source=source).count() == 2
    bad = east.post(url, {"file": SimpleUploadedFile("x.csv", body), "fields": "body=内容"})
    assert "fields" in bad.context["form"].errors
    assert _client("east_analyst").post(url, {"file": SimpleUploadedFile("留言.csv", body)}).status_code == 403
    assert _client("west_admin").get(url).status_code == 404


def test_the_field_mapping_is_shown_filled_in_on_the_edit_and_import_pages(admins: dict[str, Any]) -> None:
    # The form field is named "fields" like Form.fields; it is added per instance so that it cannot hide it.
    from qingting.web.collect import services

    source = services.source_save(actor=admins["east_admin"], unit=admins["east"], name="留言导出", connector="file",
                                  options={"fields": {"id": "编号", "text": "内容"}})  # fmt: skip
    east = _client("east_admin")
    for name in ("collect:edit", "collect:import"):
        html = east.get(reverse(name, args=[source.pk])).content.decode()
        assert 'name="fields"' in html and "id=编号,text=内容" in html, name


def test_an_admin_marks_a_source_as_an_official_account(admins: dict[str, Any]) -> None:
    """Its first post on an event is then the event's official response (decision 0104); audited."""
    from qingting.web.audit.models import AuditEntry

    east = _client("east_admin")
    response = east.post(reverse("collect:add"), _rss_form(admins["east"], "https://gov.example/rss", official="on"))
    assert response.status_code == 302
    source = Source.objects.get(name="镇政府新闻")
    assert source.official and not source.mainstream
    page = east.get(reverse("collect:edit", args=[source.pk])).content.decode()
    assert "官方账号" in page and re.search(r'name="official"[^>]*checked', page)
    east.post(reverse("collect:edit", args=[source.pk]), _rss_form(admins["east"], "https://gov.example/rss"))
    assert not Source.objects.get(pk=source.pk).official
    entry = AuditEntry.objects.filter(action="source.update").order_by("-pk").first()
    assert entry is not None and entry.old["official"] is True and entry.new["official"] is False
