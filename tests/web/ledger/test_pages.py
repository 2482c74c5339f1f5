"""Pages: every ledger page renders, scoped; forms write through the services and show errors
naming the field; evidence downloads as an attachment; hostile text is escaped."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from qingting.core.cases.calendar import CHINA_TZ
from qingting.web.ledger import assessment, services
from qingting.web.ledger.models import Task

from ..conftest import HOSTILE, PASSWORD
from .test_assessment import INDICATORS

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


def test_every_page_renders_for_a_leader(staff: dict[str, Any]) -> None:
    s = staff
    task = services.task_create(
        actor=s["office_leader"],
        issuing_unit=s["office"],
        unit=s["east"],
        assignee=s["east_handler"],
        title=HOSTILE,
        source="document",
        start=date(2026, 3, 2),
        working_days=3,
    )
    scheme = assessment.scheme_save(
        actor=s["office_admin"],
        office=s["office"],
        year=2026,
        level="township",
        name="2026年度考核",
        indicators=INDICATORS,
    )
    c = _client(s["office_leader"])
    for url in (
        reverse("ledger:tasks"),
        reverse("ledger:tasks") + "?state=overdue",
        reverse("ledger:task", args=[task.pk]),
        reverse("ledger:task_new"),
        reverse("ledger:meetings"),
        reverse("ledger:duty"),
        reverse("ledger:registers"),
        reverse("ledger:assessment"),
        reverse("ledger:assessment_view", args=[scheme.pk, "2026"]),
        reverse("ledger:scheme_edit", args=[scheme.pk]),
        reverse("ledger:scheme_new"),
        reverse("ledger:trace", args=[scheme.pk, "2026", s["east"].pk, "case_closure_rate"]),
    ):
        r = c.get(url)
        assert r.status_code == 200, url
        assert HOSTILE.encode() not in r.content, url
    assert "&lt;script&gt;" in c.get(reverse("ledger:tasks")).content.decode()


def test_scope_west_sees_nothing_of_east(staff: dict[str, Any]) -> None:
    s = staff
    task = services.task_create(
        actor=s["office_leader"],
        issuing_unit=s["office"],
        unit=s["east"],
        assignee=s["east_handler"],
        title="东街道任务",
        source="document",
        start=date(2026, 3, 2),
        working_days=3,
    )
    c = _client(s["west_analyst"])
    assert c.get(reverse("ledger:task", args=[task.pk])).status_code == 404
    assert "东街道任务" not in c.get(reverse("ledger:tasks")).content.decode()
    r = c.post(reverse("ledger:task", args=[task.pk]), {"action": "progress", "text": "x"})
    assert r.status_code == 404


def test_new_task_form_and_errors_name_the_field(staff: dict[str, Any]) -> None:
    s = staff
    c = _client(s["office_leader"])
    bad = {
        "title": "核查",
        "issuing_unit": s["office"].pk,
        "unit": s["east"].pk,
        "assignee": s["east_handler"].pk,
        "source": "document",
        "start": "2026-03-10",
        "due": "2026-03-01",
        "working_days": "3",
    }
    r = c.post(reverse("ledger:task_new"), bad, follow=True)
    assert "due:" in r.content.decode() and not Task.objects.exists()
    r = c.post(reverse("ledger:task_new"), {**bad, "due": ""}, follow=True)
    task = Task.objects.get()
    assert r.redirect_chain[-1][0] == reverse("ledger:task", args=[task.pk])
    # Progress with evidence, completion, then closure by the issuing unit.
    h = _client(s["east_handler"])
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = h.post(
        reverse("ledger:task", args=[task.pk]),
        {"action": "progress", "text": "完成", "completes": "1", "files": [SimpleUploadedFile("x.exe", b"MZ")]},
        follow=True,
    )
    assert "name:" in r.content.decode()
    h.post(
        reverse("ledger:task", args=[task.pk]),
        {
            "action": "progress",
            "text": "完成",
            "completes": "1",
            "files": [SimpleUploadedFile("说明.txt", "已答复".encode())],
        },
    )
    task.refresh_from_db()
    assert task.status == "done"
    ev = task.progress.get().evidence.get()
    r = h.get(reverse("ledger:evidence", args=[ev.pk]))
    assert r["Content-Disposition"].startswith("attachment") and r.content == "已答复".encode()
    assert _client(s["west_analyst"]).get(reverse("ledger:evidence", args=[ev.pk])).status_code == 404
    c.post(reverse("ledger:task", args=[task.pk]), {"action": "close", "note": "同意"})
    task.refresh_from_db()
    assert task.status == "closed"


def test_duty_page_shows_the_gap_and_overlap_error(staff: dict[str, Any]) -> None:
    s = staff
    day = date(2026, 10, 1)
    services.duty_shift_add(
        actor=s["east_leader"],
        unit=s["east"],
        start=datetime.combine(day, time(0), tzinfo=CHINA_TZ),
        end=datetime.combine(day, time(8), tzinfo=CHINA_TZ),
        person=s["east_handler"],
    )
    c = _client(s["east_leader"])
    url = reverse("ledger:duty") + f"?unit={s['east'].pk}&from=2026-10-01&to=2026-10-01"
    html = c.get(url).content.decode()
    assert "08:00–00:00" in html and 'data-test="gap-days"' in html
    r = c.post(
        url,
        {
            "unit": s["east"].pk,
            "start_date": "2026-10-01",
            "start_time": "07:00",
            "end_date": "2026-10-01",
            "end_time": "12:00",
            "person": s["east_analyst"].pk,
        },
        follow=True,
    )
    assert "start:" in r.content.decode()
    html = c.get(reverse("ledger:duty") + f"?unit={s['east'].pk}&from=2031-05-01&to=2031-05-01").content.decode()
    assert 'data-test="notice"' in html and "2031" in html


def test_scheme_form_refuses_weights_that_do_not_add_up(staff: dict[str, Any]) -> None:
    s = staff
    c = _client(s["office_admin"])
    data = {
        "rows": "2",
        "office": s["office"].pk,
        "year": "2026",
        "level": "township",
        "name": "考核",
        "name-0": "办结率",
        "metric-0": "case_closure_rate",
        "role-0": "score",
        "weight-0": "60",
        "full_at-0": "100",
        "zero_at-0": "50",
        "name-1": "培训",
        "metric-1": "training_sessions",
        "role-1": "score",
        "weight-1": "30",
        "full_at-1": "4",
        "zero_at-1": "0",
    }
    r = c.post(reverse("ledger:scheme_new"), data, follow=True)
    assert "weights:" in r.content.decode()
    from qingting.web.ledger.models import AssessmentScheme

    assert not AssessmentScheme.objects.exists()
    r = c.post(reverse("ledger:scheme_new"), {**data, "weight-1": "40"}, follow=True)
    assert AssessmentScheme.objects.get().indicators.count() == 2


def test_evidence_of_neither_a_progress_report_nor_an_entry_is_not_found(staff: dict[str, Any]) -> None:
    # Nothing in the schema forbids such a row (both links are nullable); it used to raise AttributeError (500).
    from django.utils import timezone

    from qingting.web.ledger.models import Evidence

    s = staff
    ev = Evidence.objects.create(
        name="x.txt",
        content_type="text/plain",
        size=1,
        sha256="0" * 64,
        data=b"x",
        uploaded_by=s["office_leader"],
        created_at=timezone.now(),
    )
    assert _client(s["office_leader"]).get(reverse("ledger:evidence", args=[ev.pk])).status_code == 404
