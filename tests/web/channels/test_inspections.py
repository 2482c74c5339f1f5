"""Inspections of registered channels on the platform: from stored posts, on demand with a real
site crawl on loopback, the silence warning through the outbox, the pages, the API and the
quarterly report."""

from __future__ import annotations

import io
import threading
import zipfile
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from qingting.web.channels import inspections, services
from qingting.web.channels.models import Inspection

from ..conftest import PASSWORD


def _client(user: Any) -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


def _channel(org: dict[str, Any], name: str, *, last_days_ago: float | None, every: float = 2.0, **kw: Any) -> Any:
    from qingting.web.monitoring import services as monitoring

    source = monitoring.source_create(actor=None, unit=org["east"], name=f"{name}（发布）", kind="import")
    if last_days_ago is not None:
        now = timezone.now()
        ages = [60 - every * i for i in range(int((60 - last_days_ago) / every) + 1)] + [last_days_ago]
        records = [
            {
                "id": f"{name}-{i}",
                "title": f"{name}第{i}条",
                "text": f"{name}发布的第{i}条信息。",
                "time": now - timedelta(days=a),
            }
            for i, a in enumerate(ages)
        ]
        monitoring.store_items(source=source, records=records)
    return services.channel_save(actor=None, unit=org["east"], kind="wechat", name=name, source=source, **kw)


@pytest.fixture
def admin(org: dict[str, Any]) -> Any:
    from qingting.web.accounts import services as accounts
    from qingting.web.accounts.models import Role

    user = accounts.user_create(actor=None, username="east_admin", password=PASSWORD)
    user.email = "east_admin@example.org"
    user.save(update_fields=["email"])
    accounts.membership_grant(actor=None, user=user, unit=org["east"], role=Role.ADMIN)
    return user


def test_a_channel_silent_for_three_weeks_fails_with_its_last_post_as_evidence(org: dict[str, Any]) -> None:
    channel = _channel(org, "东街道发布", last_days_ago=21)
    row = inspections.inspection_run(actor=None, channel=channel)
    assert row.verdict == "fail" and row.trigger == "auto"
    veto = next(f for f in row.result["findings"] if f["severity"] == "veto")
    assert veto["code"] == "silent" and veto["params"]["days"] == 21 and veto["evidence"].startswith("东街道发布第")
    assert 20.9 < row.days_since_update < 21.1


def test_a_channel_posting_regularly_passes_and_one_without_a_source_is_undetermined(org: dict[str, Any]) -> None:
    good = inspections.inspection_run(actor=None, channel=_channel(org, "东街道微博", last_days_ago=1))
    assert good.verdict == "pass" and good.score == 100
    screen = services.channel_save(actor=None, unit=org["east"], kind="screen", name="东街道LED屏")
    none = inspections.inspection_run(actor=None, channel=screen)
    assert none.verdict == "undetermined"  # never a false 不合格 for what we could not read
    assert [f["code"] for f in none.result["findings"] if f["severity"] == "unreadable"] == ["unreadable"]


def test_a_serious_wording_error_from_the_units_list_fails_the_channel(org: dict[str, Any]) -> None:
    from qingting.web.monitoring import services as monitoring
    from qingting.web.releases.models import WordingEntry

    WordingEntry.objects.create(unit=org["office"], wrong="李四区长", right="李四副区长", serious=True)
    WordingEntry.objects.create(unit=org["office"], wrong="区工商局", right="区市场监督管理局")
    channel = _channel(org, "东街道发布", last_days_ago=1)
    assert channel.source is not None
    monitoring.store_items(
        source=channel.source,
        records=[{"id": "x", "title": "会议", "text": "李四区长出席会议。区工商局参加。", "time": timezone.now()}],
    )
    row = inspections.inspection_run(actor=None, channel=channel)
    codes = {f["code"]: f for f in row.result["findings"]}
    assert row.verdict == "fail" and codes["wording_serious"]["evidence"] == "李四区长出席会议。"
    assert codes["wording"]["points"] == 1.0 and row.score == 99


def test_late_and_unanswered_messages_come_from_cases_on_the_messages_source(org: dict[str, Any]) -> None:
    from qingting.web.cases import services as cases
    from qingting.web.monitoring import services as monitoring
    from qingting.web.monitoring.models import Item

    mailbox = monitoring.source_create(actor=None, unit=org["east"], name="东街道留言", kind="mailbox")
    monitoring.store_items(
        source=mailbox,
        records=[{"id": "m1", "text": "路灯坏了", "time": timezone.now() - timedelta(days=30)}],
    )
    channel = _channel(org, "东街道发布", last_days_ago=1, interaction_source=mailbox)
    item = Item.objects.get(source=mailbox)
    thirty_days_ago = timezone.now() - timedelta(days=30)
    case = cases.case_create(
        actor=None, unit=org["east"], channel="web", category="help", summary="路灯坏了", item=item,
        received_at=thirty_days_ago, now=thirty_days_ago,
    )  # fmt: skip
    assert case.answer_due is not None
    row = inspections.inspection_run(actor=None, channel=channel)
    assert any(f["code"] == "unanswered" and f["params"]["ref"] == case.number for f in row.result["findings"])


def test_silence_warning_at_ten_days_reaches_the_owners_through_the_outbox_once(
    org: dict[str, Any], admin: Any
) -> None:
    from qingting.web.audit.models import AuditEntry
    from qingting.web.warnings.models import Notification, NotificationChannel, Warning

    NotificationChannel.objects.create(unit=org["office"], name="邮件", kind="email", smtp_host="127.0.0.1")
    _channel(org, "东街道发布", last_days_ago=11)
    _channel(org, "东街道微博", last_days_ago=3)
    assert inspections.silence_watch() == 1
    w = Warning.objects.get(kind="channel")
    assert w.tier == 4 and w.unit == org["east"] and "11天未更新" in w.reason and "14天" in w.reason
    assert AuditEntry.objects.filter(action="warning.raise", object_id=str(w.pk)).exists()
    sent = Notification.objects.filter(recipient="east_admin@example.org")
    assert sent.count() == 1 and "东街道发布" in sent.get().payload["title"]
    assert inspections.silence_watch() == 0  # one warning per silence, not one per run


def test_inspect_now_crawls_a_website_on_loopback(org: dict[str, Any], admin: Any) -> None:
    today = datetime.now().date().isoformat()
    head = '<html><head><meta charset="utf-8"><title>{}</title></head><body>{}</body></html>'
    pages = {
        "/": head.format(
            "东街道",
            f'<a href="/news/">新闻</a><a href="/gone.html">旧页</a>'
            f'<ul><li><a href="/news/1.html">区工商局检查</a> {today}</li></ul>',
        ),
        "/news/": head.format("新闻", f'<ul><li><a href="/news/1.html">一</a><span>{today}</span></li></ul>'),
        "/news/1.html": head.format("一", "<p>区工商局检查。</p>"),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            data = (body or "not found").encode()
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        site = services.channel_save(
            actor=None, unit=org["east"], kind="website", name="东街道网站", details={"url": url}
        )
        from qingting.web.channels import inspections as insp

        # Refused without the operator's allow-list: a clear finding, never 不合格.
        refused = insp.inspection_run(actor=admin, channel=site)
        assert refused.verdict == "undetermined" and refused.trigger == "manual"
        with override_settings(QINGTING_FETCH_ALLOW_HOSTS=["127.0.0.1"]):
            resp = _client(admin).post(f"/channels/{site.pk}/inspect/")
        assert resp.status_code == 302
        row = Inspection.objects.filter(channel=site).first()
        assert row is not None and row.result["pages"] >= 2
        assert any(f["code"] == "dead_link" and "gone.html" in f["params"]["url"] for f in row.result["findings"])
    finally:
        server.shutdown()


def test_pages_show_verdicts_and_evidence_scoped_to_the_users_units(org: dict[str, Any], admin: Any) -> None:
    channel = _channel(org, "东街道发布", last_days_ago=21)
    inspections.inspection_run(actor=None, channel=channel)
    east = _client(org["east_analyst"])
    page = east.get("/channels/")
    assert page.status_code == 200 and "东街道发布" in page.text and 'data-verdict="fail"' in page.text
    assert "不合格" in page.text  # Chinese by default
    detail = east.get(f"/channels/{channel.pk}/")
    assert detail.status_code == 200 and "已21天未更新" in detail.text and 'data-code="silent"' in detail.text
    assert _client(org["west_analyst"]).get(f"/channels/{channel.pk}/").status_code == 404
    assert east.post(f"/channels/{channel.pk}/inspect/").status_code == 302
    assert Inspection.objects.filter(channel=channel, trigger="manual").count() == 1
    # Registration through the page: the admin only; a bad address names the field.
    bad = _client(admin).post(
        "/channels/new/", {"unit": org["east"].pk, "kind": "weibo", "name": "东街道微博", "url": "not a url"}
    )
    assert bad.status_code == 200 and "url" in bad.context["form"].errors
    ok = _client(admin).post("/channels/new/", {"unit": org["east"].pk, "kind": "weibo", "name": "东街道微博"})
    assert ok.status_code == 302
    assert east.get("/channels/new/").status_code == 403


def test_api_lists_and_inspects(org: dict[str, Any]) -> None:
    channel = _channel(org, "东街道发布", last_days_ago=2)
    c = _client(org["east_analyst"])
    listing = c.get("/api/channels")
    assert listing.status_code == 200 and listing.json()["items"][0]["name"] == "东街道发布"
    made = c.post(f"/api/channels/{channel.pk}/inspections")
    assert made.status_code == 201 and made.json()["verdict"] == "pass"
    assert _client(org["west_analyst"]).get(f"/api/channels/{channel.pk}").status_code == 404


def test_quarterly_report_is_a_docx_with_the_inspection_table(org: dict[str, Any]) -> None:
    channel = _channel(org, "东街道发布", last_days_ago=21)
    inspections.inspection_run(actor=None, channel=channel)
    today = timezone.localdate()
    period = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    resp = _client(org["office_leader"]).get(
        "/channels/report/", {"unit": org["office"].pk, "period": period, "fmt": "docx"}
    )
    assert resp.status_code == 200 and resp["Content-Type"].startswith("application/vnd.openxmlformats")
    xml = zipfile.ZipFile(io.BytesIO(resp.content)).read("word/document.xml").decode()
    for text in ("自有平台检查情况通报", "东街道发布", "不合格", "单项否决", "微信公众号"):
        assert text in xml
    bad = _client(org["office_leader"]).get("/channels/report/", {"unit": org["office"].pk, "period": "2026Q9"})
    assert bad.status_code == 400 and "period" in bad.context["form"].errors
