"""A leader's instructions open a case; the JSON API; 直报 of an archived report; hostile text in DOCX."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.test import Client

from qingting.web.audit.models import AuditEntry
from qingting.web.bulletins import services
from qingting.web.bulletins.models import BulletinStatus
from qingting.web.monitoring.models import Item

from ..conftest import HOSTILE, PASSWORD

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


def _submitted(w: dict[str, Any]) -> Any:
    b = services.bulletin_create(actor=w["east_analyst"], unit=w["east"], events=w["east_events"])
    return services.bulletin_submit(actor=w["east_analyst"], bulletin_id=b.pk, to_user=w["east_leader"])


def test_instruction_creates_a_case_for_the_responsible_unit(world: dict[str, Any]) -> None:
    from qingting.web.cases.models import Case

    w = world
    b = _submitted(w)
    b = services.bulletin_sign(
        actor=w["east_leader"],
        bulletin_id=b.pk,
        instructions="请社区今日入户核实供水情况。",
        case_unit=w["east_community"],
    )
    case = Case.objects.get(pk=b.case_id)
    assert case.unit == w["east_community"] and case.origin_kind == "bulletin" and case.origin_id == b.pk
    assert case.event_id in {e.pk for e in w["east_events"]} and "请社区今日入户核实供水情况" in case.summary
    assert "east_leader" in case.description
    assert AuditEntry.objects.filter(action="bulletin.case_create", object_id=str(b.pk)).exists()
    page = _client(w["east_leader"]).get(f"/bulletins/{b.pk}/").content.decode()
    assert case.number and f'data-test="case-link">{case.number}</a>' in page  # the number people quote, not "#id"


def test_case_for_an_unseen_unit_signs_nothing(world: dict[str, Any]) -> None:
    from django.core.exceptions import ValidationError

    w = world
    b = _submitted(w)
    with pytest.raises(ValidationError):
        services.bulletin_sign(actor=w["east_leader"], bulletin_id=b.pk, instructions="办理", case_unit=w["west"])
    b.refresh_from_db()
    assert b.status == BulletinStatus.SUBMITTED and b.case_id is None and b.seq is None


def test_api_workflow_and_errors(world: dict[str, Any]) -> None:
    w = world
    analyst, leader = _client(w["east_analyst"]), _client(w["east_leader"])
    ids = [e.pk for e in w["east_events"]]
    r = analyst.post("/api/bulletins", {"unit_id": w["east"].pk, "event_ids": ids}, content_type="application/json")
    assert r.status_code == 201, r.content
    b = r.json()
    assert b["status"] == "draft" and b["event_ids"] == sorted(ids) and b["figures"] is None
    r = analyst.patch(
        f"/api/bulletins/{b['id']}", {"expected_version": 99, "title": "x"}, content_type="application/json"
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "error"
    r = analyst.post(
        f"/api/bulletins/{b['id']}/actions/submit", {"to_user_id": w["east_leader"].pk}, content_type="application/json"
    )
    assert r.status_code == 200 and r.json()["figures"]["total_items"] == Item.objects.filter(event__in=ids).count()
    r = analyst.post(
        f"/api/bulletins/{b['id']}/actions/sign", {"instructions": "同意"}, content_type="application/json"
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = leader.post(f"/api/bulletins/{b['id']}/actions/sign", {"instructions": ""}, content_type="application/json")
    assert r.status_code == 422
    r = leader.post(f"/api/bulletins/{b['id']}/actions/sign", {"instructions": "同意"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["number"].endswith("第1期")
    r = analyst.post(f"/api/bulletins/{b['id']}/actions/issue", {}, content_type="application/json")
    assert r.status_code == 200 and set(r.json()["files"]) >= {"docx", "html"}
    assert analyst.get(r.json()["files"]["docx"]).status_code == 200
    r = analyst.post(f"/api/bulletins/{b['id']}/actions/upward", {"note": "报"}, content_type="application/json")
    assert r.status_code == 200
    office = _client(w["office_leader"])
    subs = office.get("/api/bulletins/submissions?direction=received").json()
    assert subs["count"] == 1
    r = office.post(
        f"/api/bulletins/submissions/{subs['items'][0]['id']}/decision",
        {"adoption": "summary"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["adoption"] == "summary"
    from django.utils import timezone

    counts = office.get(f"/api/bulletins/submissions/counts?period={timezone.localdate().year}").json()
    assert counts["submitted"] == 1 and counts["adopted_summary"] == 1 and counts["units"][0]["unit"] == "东街道"
    assert office.get("/api/bulletins/submissions/counts?period=nonsense").status_code == 422
    assert office.post("/api/bulletins/1/actions/explode", {}, content_type="application/json").status_code == 422


def test_archived_report_goes_upward(world: dict[str, Any]) -> None:
    from qingting.web.reporting.services import report_archive

    w = world
    report = report_archive(
        actor=w["east_analyst"],
        unit=w["east"],
        kind="monthly",
        period_label="2026-10",
        title="东街道2026年10月网络舆情分析报告",
        docx=b"PK-not-really",
        pdf=None,
        html="<p>x</p>",
        figures={},
    )
    s = services.submission_create(actor=w["east_analyst"], report_id=report.pk, note="月报")
    assert s.to_unit == w["office"] and s.report == report and s.bulletin is None
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.submission_create(actor=w["west_analyst"], report_id=report.pk)  # not theirs
    with pytest.raises(ValidationError):
        services.submission_create(actor=w["east_analyst"], report_id=report.pk)  # once


def test_hostile_post_in_docx_and_html(world: dict[str, Any]) -> None:
    from docx import Document as open_docx

    w = world
    event = w["east_events"][0]
    item = Item.objects.filter(event=event, duplicate_of__isnull=True).order_by("pk").first()
    Item.objects.filter(pk=item.pk).update(text="停水了 " + HOSTILE + " 电话13812345678", engagement=99999)
    b = _submitted(w)
    services.bulletin_sign(actor=w["east_leader"], bulletin_id=b.pk, instructions="阅")
    b = services.bulletin_issue(actor=w["east_analyst"], bulletin_id=b.pk)
    raw = bytes(b.archive.docx)
    xml = zipfile.ZipFile(io.BytesIO(raw)).read("word/document.xml").decode()
    assert "<script>" not in xml and "&lt;script&gt;" in xml  # text in the XML, never markup
    text = "\n".join(p.text for p in open_docx(io.BytesIO(raw)).paragraphs)
    assert HOSTILE in text and "138****5678" in text and "13812345678" not in text
    html = b.archive.html
    assert "<script>" not in html and "&lt;script&gt;" in html and "<img src=x" not in html


def test_case_link_renders_and_is_scoped(world: dict[str, Any]) -> None:
    """The case opened from the instructions links to its page for those who may see the case;
    once the case lives where a reader cannot see it, the reader gets its number, no dead link."""
    from qingting.web.cases import services as cases

    w = world
    b = _submitted(w)
    b = services.bulletin_sign(actor=w["east_leader"], bulletin_id=b.pk, instructions="请核实。", case_unit=w["east"])
    url = f"/cases/{b.case_id}/"
    for user in (w["east_leader"], w["east_analyst"]):
        c = _client(user)
        page = c.get(f"/bulletins/{b.pk}/").content.decode()
        assert f'href="{url}" data-test="case-link"' in page
        assert c.get(url).status_code == 200
    from qingting.web.accounts import services as accounts
    from qingting.web.accounts.models import Role

    dispatcher = accounts.user_create(actor=None, username="dispatcher", password=PASSWORD)
    accounts.membership_grant(actor=None, user=dispatcher, unit=w["office"], role=Role.REVIEWER)
    cases.case_act(actor=dispatcher, case_id=b.case_id, action="register")
    cases.case_act(actor=dispatcher, case_id=b.case_id, action="transfer", unit_id=w["west"].pk, reason="属西街道")
    c = _client(w["east_analyst"])
    page = c.get(f"/bulletins/{b.pk}/").content.decode()
    assert f'href="{url}"' not in page and 'data-test="case-link"' not in page and "其他单位的工单" in page
    assert c.get(url).status_code == 404  # the link would have been a dead end
    assert f'href="{url}"' in _client(w["office_leader"]).get(f"/bulletins/{b.pk}/").content.decode()
