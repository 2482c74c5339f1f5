"""Pages: archive, generate (two clicks), view, downloads, templates with preview — and access rules."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from docx import Document as open_docx

from qingting.web.reporting.models import IssuedReport, ReportTemplate
from qingting.web.reporting.services import report_issue, template_save


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_nav_links_to_the_archive(seeded: dict[str, Any]) -> None:
    page = _client(seeded["east_analyst"]).get("/")
    assert 'href="/reports/"' in page.content.decode()


def test_two_clicks_give_a_monthly_report(seeded: dict[str, Any]) -> None:
    c = _client(seeded["east_analyst"])
    page = c.get("/reports/")  # click 1: the nav link
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["kind"] == "monthly" and form.fields["unit"].initial == seeded["east"].pk
    # click 2: "Generate" with the defaults (last month, first unit), here for a month with data
    response = c.post(
        "/reports/generate/", {"kind": "monthly", "period": "2026-01", "unit": seeded["east"].pk, "format": "docx"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    doc = open_docx(io.BytesIO(response.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "东街道2026年1月舆情月报" in text
    issued = IssuedReport.objects.get()
    assert issued.issued_by == seeded["east_analyst"] and issued.unit == seeded["east"]
    assert issued.period_label == "2026-01" and issued.figures["period"]["label"] == "2026年1月"
    listing = c.get("/reports/").content.decode()
    assert issued.title in listing and "east_analyst" in listing


def test_generate_html_redirects_to_the_view(seeded: dict[str, Any]) -> None:
    c = _client(seeded["east_analyst"])
    response = c.post(
        "/reports/generate/", {"kind": "weekly", "period": "2026-w05", "unit": seeded["east"].pk, "format": "html"}
    )
    issued = IssuedReport.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reports/{issued.pk}/"
    view = c.get(response["Location"])
    assert view.status_code == 200 and issued.title in view.content.decode()
    html = c.get(f"/reports/{issued.pk}/html/?inline=1")
    assert html.status_code == 200 and "sandbox" in html["Content-Security-Policy"]
    assert "信息量" in html.content.decode()
    assert issued.period_label == "2026-W05"


def test_bad_period_is_a_form_error(seeded: dict[str, Any]) -> None:
    c = _client(seeded["east_analyst"])
    response = c.post(
        "/reports/generate/", {"kind": "monthly", "period": "2026-H1", "unit": seeded["east"].pk, "format": "docx"}
    )
    assert response.status_code == 422
    assert "2026-10" in response.content.decode()  # the error names the form a monthly period takes
    assert not IssuedReport.objects.exists()


def test_other_units_reports_are_not_found(seeded: dict[str, Any]) -> None:
    west_report = report_issue(
        actor=seeded["west_analyst"], kind="monthly", unit=seeded["west"], period_label="2026-01", with_pdf=False
    )
    east = _client(seeded["east_analyst"])
    for url in (f"/reports/{west_report.pk}/", f"/reports/{west_report.pk}/docx/", f"/reports/{west_report.pk}/html/"):
        assert east.get(url).status_code == 404
    assert west_report.title not in east.get("/reports/").content.decode()
    # ... and a unit the analyst does not see cannot be chosen in the form
    response = east.post(
        "/reports/generate/", {"kind": "monthly", "period": "2026-01", "unit": seeded["west"].pk, "format": "html"}
    )
    assert response.status_code == 422
    leader = _client(seeded["office_leader"])  # the office sees both townships
    assert leader.get(f"/reports/{west_report.pk}/docx/").status_code == 200


def test_anonymous_users_are_sent_to_sign_in(seeded: dict[str, Any]) -> None:
    response = Client().get("/reports/")
    assert response.status_code == 302 and "/login" in response["Location"]


def test_template_editor_previews_and_saves(seeded: dict[str, Any]) -> None:
    from qingting.web.accounts import services as accounts
    from qingting.web.accounts.models import Role

    admin = accounts.user_create(actor=None, username="east_admin", password="Qt-test-pass-2026!")
    accounts.membership_grant(actor=None, user=admin, unit=seeded["east"], role=Role.ADMIN)
    c = _client(admin)
    values = {
        "name": "东街道月报",
        "kind": "monthly",
        "title": "{scope}{period}网情简报",
        "lead": "现将{period}网络舆情情况报告如下。",
        "closing": "特此报告。",
        "section_keys": ["overview", "sources"],
        "mark": "东街道办事处",
        "issuer": "东街道办事处",
        "number_prefix": "东街舆",
        "addressee": "区网信办",
        "copy_to": "区委宣传部\n区政府办公室",
        "printer": "",
        "secrecy": "",
        "unit": seeded["east"].pk,
    }
    preview = c.post("/reports/templates/preview/", values)
    body = preview.content.decode()
    assert preview.status_code == 200
    assert "网情简报" in body and "现将" in body and "特此报告" in body
    assert "总体态势" in body and "信息来源" in body and "情感倾向" not in body  # only the ticked sections
    saved = c.post("/reports/templates/new/", {**values, "is_default": "on"})
    assert saved.status_code == 302
    template = ReportTemplate.objects.get(name="东街道月报")
    assert template.unit == seeded["east"] and template.sections == ["overview", "sources"] and template.is_default
    # the default template shapes the next report of the unit
    issued = report_issue(actor=admin, kind="monthly", unit=seeded["east"], period_label="2026-01", with_pdf=False)
    assert issued.title == "东街道2026年1月网情简报"
    text = "\n".join(p.text for p in open_docx(io.BytesIO(bytes(issued.docx))).paragraphs)
    assert "东街舆〔" in text and "区委宣传部" in text and "情感倾向" not in text


def test_analysts_cannot_edit_templates(seeded: dict[str, Any]) -> None:
    template = template_save(actor=None, unit=seeded["east"], name="t", kind="monthly")
    c = _client(seeded["east_analyst"])
    response = c.post(f"/reports/templates/{template.pk}/", {"name": "changed", "kind": "monthly"})
    assert response.status_code == 403
    template.refresh_from_db()
    assert template.name == "t"


def test_hostile_text_is_escaped_in_the_view(seeded: dict[str, Any]) -> None:
    hostile = '<script>alert("x")</script>'
    template_save(actor=None, unit=seeded["east"], name="x", kind="monthly", lead=hostile, is_default=True)
    issued = report_issue(actor=None, kind="monthly", unit=seeded["east"], period_label="2026-01", with_pdf=False)
    body = _client(seeded["east_analyst"]).get(f"/reports/{issued.pk}/html/").content.decode()
    assert hostile not in body and "&lt;script&gt;" in body


@pytest.mark.parametrize("fmt", ["docx", "html"])
def test_downloads_have_a_chinese_file_name(seeded: dict[str, Any], fmt: str) -> None:
    issued = report_issue(actor=None, kind="monthly", unit=seeded["east"], period_label="2026-01", with_pdf=False)
    response = _client(seeded["east_analyst"]).get(f"/reports/{issued.pk}/{fmt}/")
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response["Content-Disposition"] and "attachment" in response["Content-Disposition"]
