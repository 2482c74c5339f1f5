"""Pages: two clicks from an event to a draft, live preview, sign-off, issue, downloads, 直报, access."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse

from qingting.web.bulletins import services
from qingting.web.bulletins.models import Bulletin, BulletinStatus, Submission
from qingting.web.monitoring.models import Item

from ..conftest import HOSTILE, PASSWORD

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


def _hostile(event: Any) -> None:
    """Make the event's most engaging post a hostile one (as a post on the internet may be)."""
    item = Item.objects.filter(event=event, duplicate_of__isnull=True).order_by("pk").first()
    Item.objects.filter(pk=item.pk).update(text="停水了 " + HOSTILE, engagement=99999, author_pseudonym="ab" * 16)


def test_event_to_draft_in_two_clicks_and_preview(world: dict[str, Any]) -> None:
    w = world
    event = w["east_events"][0]
    _hostile(event)
    c = _client(w["east_analyst"])
    # The event page include renders the button (the lead includes it on the event page).
    from django.template import Context, Template
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = w["east_analyst"]
    html = Template('{% include "bulletins/_add_to_bulletin.html" %}').render(
        Context({"event": event, "request": request, "csrf_token": "t"})
    )
    assert reverse("bulletins:new") in html and f'value="{event.pk}"' in html
    r = c.post(reverse("bulletins:new"), {"event": event.pk})  # click 1 (click 2 is opening the event)
    b = Bulletin.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("bulletins:edit", args=[b.pk])
    page = c.get(r["Location"])
    body = page.content.decode()
    assert page.status_code == 200 and "srcdoc=" in body
    assert "<script>alert" not in body and "<img src=x" not in body
    assert "&amp;lt;script&amp;gt;" in body  # escaped by the renderer, then again as an attribute
    r = c.post(
        reverse("bulletins:preview", args=[b.pk]), {"title": "关于<b>停水</b>的专报", "assessment": "研判 <i>x</i>"}
    )
    body = r.content.decode()
    assert r.status_code == 200 and "<b>停水" not in body and "&amp;lt;b&amp;gt;停水" in body
    b.refresh_from_db()
    assert b.title != "关于<b>停水</b>的专报"  # the preview saves nothing


def test_workflow_through_pages_and_downloads(world: dict[str, Any]) -> None:
    from docx import Document as open_docx

    w = world
    analyst, leader = _client(w["east_analyst"]), _client(w["east_leader"])
    b = services.bulletin_create(actor=w["east_analyst"], unit=w["east"], events=w["east_events"])
    r = analyst.post(
        reverse("bulletins:edit", args=[b.pk]),
        {
            "title": "关于东街道停水的舆情专报",
            "summary": "东街道部分小区停水。",
            "assessment": "关注度上升。",
            "recommendations": "及时发布恢复供水时间\n做好解释",
            "version": 1,
        },
    )
    assert r.status_code == 302
    r = analyst.post(reverse("bulletins:submit", args=[b.pk]), {"to_user": w["east_leader"].pk, "version": 2})
    b.refresh_from_db()
    assert b.status == BulletinStatus.SUBMITTED, [m.message for m in r.wsgi_request._messages]
    assert analyst.post(reverse("bulletins:sign", args=[b.pk]), {"instructions": "同意"}).status_code == 302
    b.refresh_from_db()
    assert b.status == BulletinStatus.SUBMITTED  # an analyst cannot sign
    page = leader.get(reverse("bulletins:detail", args=[b.pk])).content.decode()
    assert 'id="sign-form"' in page and 'id="bulletin-figures"' in page
    assert f"<dd>{b.figures['total_items']}</dd>" in page and "论坛" in page  # source kind
    leader.post(reverse("bulletins:sign", args=[b.pk]), {"instructions": "请水务局今日回应。", "version": b.version})
    b.refresh_from_db()
    assert b.status == BulletinStatus.SIGNED and b.instructions == "请水务局今日回应。"
    analyst.post(reverse("bulletins:issue", args=[b.pk]))
    b.refresh_from_db()
    assert b.status == BulletinStatus.ISSUED
    r = analyst.get(reverse("bulletins:download", args=[b.pk, "docx"]))
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment")
    # A Chinese file name (RFC 6266 filename*), with the issue number people quote.
    assert "filename*=utf-8''" in r["Content-Disposition"]
    assert quote(f"关于东街道停水的舆情专报〔{b.year}〕第{b.seq}期.docx") in r["Content-Disposition"]
    page = analyst.get(reverse("bulletins:detail", args=[b.pk])).content.decode()
    # The issued document's page: who signed (not "None"), the time in Beijing time, history in words.
    assert "None" not in page and "bulletin.create" not in page.replace('data-action="bulletin.create"', "")
    assert "签批" in page and "起草" in page and "截至" in page
    doc = open_docx(io.BytesIO(r.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "东街道舆情专报" in text and f"东街舆〔{b.year}〕{b.seq}号" in text and "关于东街道停水的舆情专报" in text
    for heading in ("一、基本情况", "二、传播情况", "三、网民观点", "四、研判", "五、处置建议"):
        assert heading in text
    assert "东街道部分小区停水。" in text and "及时发布恢复供水时间" in text
    r = analyst.get(reverse("bulletins:download", args=[b.pk, "html"]) + "?inline=1")
    assert r.status_code == 200 and "sandbox" in r["Content-Security-Policy"]
    assert r["X-Frame-Options"] == "SAMEORIGIN"  # shown in the iframe of the bulletin's page, not blank
    # 直报 to the office; the office leader adopts it; counts page shows it.
    analyst.post(reverse("bulletins:upward", args=[b.pk]), {"note": "请审阅"})
    s = Submission.objects.get()
    office = _client(w["office_leader"])
    inbox = office.get(reverse("bulletins:inbox")).content.decode()
    assert "请审阅" in inbox and 'data-test="decide"' in inbox  # the office leader may decide it
    office.post(reverse("bulletins:decide", args=[s.pk]), {"adoption": "full", "note": "全文采用"})
    s.refresh_from_db()
    assert s.adoption == "full"
    page = office.get(reverse("bulletins:counts")).content.decode()
    assert "东街道" in page
    assert office.get(reverse("bulletins:counts") + "?period=2026-13").status_code == 200  # error shown, no crash


def test_another_township_sees_nothing(world: dict[str, Any]) -> None:
    w = world
    b = services.bulletin_create(actor=w["east_analyst"], unit=w["east"], events=w["east_events"])
    west = _client(w["west_analyst"])
    for name in ("detail", "edit"):
        assert west.get(reverse(f"bulletins:{name}", args=[b.pk])).status_code == 404
    assert west.post(reverse("bulletins:preview", args=[b.pk]), {"title": "x"}).status_code == 404
    assert west.post(reverse("bulletins:new"), {"event": w["east_events"][0].pk}).status_code == 404
    assert b.title not in west.get(reverse("bulletins:list")).content.decode()
    r = west.get("/api/bulletins")
    assert r.status_code == 200 and r.json()["count"] == 0
    assert west.get(f"/api/bulletins/{b.pk}").status_code == 404
    office = _client(w["office_leader"])
    assert b.title in office.get(reverse("bulletins:list")).content.decode()


def test_new_bulletin_from_the_picker(world: dict[str, Any]) -> None:
    w = world
    c = _client(w["office_analyst"])
    east, west = w["east_events"][0], w["west_events"][0]
    page = c.get(reverse("bulletins:new") + f"?event={east.pk}").content.decode()
    assert f'value="{east.pk}" checked' in page and f'value="{west.pk}"' in page
    fragment = c.get(reverse("bulletins:new") + "?q=学校", headers={"HX-Request": "true"}).content.decode()
    assert f'value="{west.pk}"' in fragment and "<html" not in fragment
    r = c.post(reverse("bulletins:new"), {"event": [east.pk, west.pk]})
    b = Bulletin.objects.get()
    assert r["Location"] == reverse("bulletins:edit", args=[b.pk]) and b.unit == w["office"]
    assert set(b.events.values_list("pk", flat=True)) == {east.pk, west.pk}
    assert _client(w["west_analyst"]).post(reverse("bulletins:new"), {"event": [east.pk]}).status_code == 404
