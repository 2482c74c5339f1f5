"""Storage and rules around the case row: the contact encrypted at rest and shown only to handlers,
attachments (type and size), joint tasks, sign-off, transfer, merge, reopen window, editable SLA
policies, the admin, and the figures (办结率 …) agreeing with the core metrics."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test import Client, override_settings
from django.utils import translation

from qingting.core.cases.metrics import TOTAL, MetricCase, case_metrics
from qingting.core.cases.workflow import CaseState
from qingting.web.cases import selectors, services
from qingting.web.cases.models import Case, CaseAttachment, CaseContact, SlaPolicy, UnitProfile

from ..conftest import PASSWORD
from .conftest import at


def _case(people: dict[str, Any], unit: str = "east", category: str = "complaint", **kw: Any) -> Case:
    return services.case_create(
        actor=None,
        unit=people[unit],
        channel=kw.pop("channel", "mailbox"),
        category=category,
        summary=kw.pop("summary", "路面积水"),
        contact={"name": "钱七", "phone": "13611112222", "email": "qian@example.org", "address": "东街1号"},
        **kw,
    )


def _act(people: dict[str, Any], case: Case, action: str, who: str = "dispatcher", **kw: Any) -> Case:
    return services.case_act(actor=people[who], case_id=case.pk, action=action, **kw)


def test_contact_is_encrypted_at_rest_and_shown_only_to_handlers(people: dict[str, Any]) -> None:
    case = _case(people)
    with connection.cursor() as c:
        c.execute("SELECT name, phone FROM cases_casecontact WHERE case_id = %s", [case.pk])
        name, phone = c.fetchone()
    assert name.startswith("enc1:") and "钱七" not in name and "13611112222" not in phone
    assert CaseContact.objects.get(case=case).name == "钱七"
    assert selectors.contact_for(people["east_handler"], case) is not None
    assert selectors.contact_for(people["dispatcher"], case) is not None
    assert selectors.contact_for(people["east_analyst"], case) is None  # sees the case, not the person
    assert selectors.contact_for(people["west_handler"], case) is None


def test_attachments_type_and_size(people: dict[str, Any]) -> None:
    case = _case(people)
    h = people["east_handler"]
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    att = services.attachment_add(actor=h, case_id=case.pk, name="现场照片.png", data=png)
    assert att.content_type == "image/png" and att.size == len(png) and bytes(att.data) == png
    with pytest.raises(ValidationError, match="不接受"):
        services.attachment_add(actor=h, case_id=case.pk, name="run.exe", data=b"MZ\x90\x00")
    with pytest.raises(ValidationError, match="看起来不是"):
        services.attachment_add(actor=h, case_id=case.pk, name="fake.pdf", data=b"<script>alert(1)</script>")
    with override_settings(QINGTING_CASE_ATTACHMENT_MAX_BYTES=50), pytest.raises(ValidationError, match="上限"):
        services.attachment_add(actor=h, case_id=case.pk, name="big.png", data=png)
    with pytest.raises(Http404):
        services.attachment_add(actor=people["west_handler"], case_id=case.pk, name="a.txt", data=b"hi")
    with pytest.raises(PermissionDenied):
        services.attachment_add(actor=people["east_analyst"], case_id=case.pk, name="a.txt", data=b"hi")
    assert CaseAttachment.objects.filter(case=case).count() == 1


def test_joint_tasks_sign_off_transfer_merge_and_reopen(people: dict[str, Any]) -> None:
    case = _case(people, category="report")  # 举报: needs a leader's sign-off before answering
    _act(people, case, "register")
    _act(people, case, "assign", assignee_id=people["east_handler"].pk)
    _act(people, case, "claim", "east_handler")
    _act(people, case, "add_task", unit_id=people["west"].pk, reason="涉及西街道路段")
    # The west unit now sees the case through its task.
    assert case in selectors.cases_for(people["west_handler"])
    with pytest.raises(ValidationError, match="签批"):
        _act(people, case, "answer", "east_handler", reply="已查处")
    with pytest.raises(PermissionDenied):
        _act(people, case, "sign_off", "dispatcher", reason="同意")
    case = _act(people, case, "sign_off", "leader", reason="请从严查处，三日内回复")
    assert case.sign_off_instructions == "请从严查处，三日内回复" and case.signed_off_by == people["leader"]
    # What the user reads: in their language, with the unit's name (not its id).
    with pytest.raises(ValidationError, match="以下联合办理单位尚未办结：西街道"):
        _act(people, case, "answer", "east_handler", reply="已查处")
    with translation.override("en"), pytest.raises(ValidationError, match="Joint tasks are still open for: 西街道"):
        _act(people, case, "answer", "east_handler", reply="已查处")
    with pytest.raises(PermissionDenied):
        _act(people, case, "complete_task", "east_handler", unit_id=people["west"].pk)
    _act(people, case, "complete_task", "west_handler", reason="西段已整改")
    case = _act(people, case, "answer", "east_handler", reply="已查处")
    case = _act(people, case, "return", "leader", reason="答复过于简单，请补充处理结果")
    assert case.status == "in_progress" and case.signed_off_at is None  # a fresh sign-off is needed

    other = _case(people, summary="同一处积水")
    _act(people, other, "register")
    with pytest.raises(ValidationError, match="merge_into"):
        _act(people, other, "merge", reason="重复", merge_into=other.pk)
    other = _act(people, other, "merge", reason="与前件重复", merge_into=case.pk)
    assert other.status == "duplicate" and not other.is_open and other.merged_into == case

    moved = _case(people, summary="应由西街道处理")
    _act(people, moved, "register")
    moved = _act(people, moved, "transfer", "dispatcher", unit_id=people["west"].pk, reason="属地为西街道")
    assert moved.unit == people["west"] and moved.status == "transferred"
    assert moved not in selectors.cases_for(people["east_handler"])
    assert moved in selectors.cases_for(people["west_handler"])


def test_reopen_only_within_the_window(people: dict[str, Any]) -> None:
    now = [at(2026, 3, 2, 9, 0)]
    case = services.case_create(
        actor=None,
        unit=people["east"],
        channel="web",
        category="enquiry",
        summary="咨询",
        received_at=now[0],
        now=now[0],
    )
    for action, who, kw in [
        ("register", "dispatcher", {}),
        ("assign", "dispatcher", {}),
        ("claim", "east_handler", {}),
        ("answer", "east_handler", {"reply": "已答复"}),
        ("close", "dispatcher", {}),
    ]:
        _act(people, case, action, who, now=now[0], **kw)
    now[0] += timedelta(days=31)
    with translation.override("en"), pytest.raises(ValidationError, match="30 days"):
        _act(people, case, "reopen", reason="市民不满意", now=now[0])


def test_editing_an_sla_policy_changes_new_deadlines(people: dict[str, Any]) -> None:
    before = _case(people, category="enquiry", received_at=at(2026, 3, 2, 9, 0), now=at(2026, 3, 2, 9, 0))
    assert before.close_due == at(2026, 3, 5, 23, 59, 59, 999999)
    policy = SlaPolicy.objects.get(name="enquiry")
    policy.close = {"amount": 5, "unit": "working_days"}
    policy.save()  # as the admin does
    after = _case(people, category="enquiry", received_at=at(2026, 3, 2, 9, 0), now=at(2026, 3, 2, 9, 0))
    assert after.close_due == at(2026, 3, 9, 23, 59, 59, 999999)


def test_unit_abbreviation_in_numbers(people: dict[str, Any]) -> None:
    UnitProfile.objects.create(unit=people["west"], abbreviation="青西")
    assert _case(people, unit="west").number.startswith("青西〔")


def test_admin_pages_render(people: dict[str, Any]) -> None:
    from qingting.web.accounts import services as accounts

    accounts.user_create(actor=None, username="root", password=PASSWORD, is_staff=True, is_superuser=True)
    case = _case(people)
    c = Client()
    assert c.login(username="root", password=PASSWORD)
    for url in (
        "/admin/cases/slapolicy/",
        "/admin/cases/calendaryear/",
        "/admin/cases/category/",
        "/admin/cases/case/",
        f"/admin/cases/case/{case.pk}/change/",
        "/admin/cases/caseaction/",
    ):
        assert c.get(url).status_code == 200, url
    r = c.post(
        "/admin/cases/calendaryear/add/",
        {"year": "2027", "holidays": '["2027-01-01"]', "workdays": '["2027-01-04"]', "source": "admin"},
    )
    assert r.status_code == 200 and "Saturdays or Sundays" in r.content.decode()  # 4 Jan 2027 is a Monday


def test_figures_agree_with_the_core_metrics(people: dict[str, Any]) -> None:
    rng = random.Random(7)
    clock = [at(2026, 9, 1, 9, 0)]
    cases: list[Case] = []
    for i in range(40):
        clock[0] = at(2026, 9, 1, 9, 0) + timedelta(hours=17 * i)
        unit = rng.choice(["east", "west", "east_c"])
        case = _case(
            people, unit=unit, category=rng.choice(["enquiry", "complaint"]), received_at=clock[0], now=clock[0]
        )
        roll = rng.random()
        if roll < 0.15:
            _act(people, case, "decline", reason="非本单位职责", now=clock[0])
        elif roll < 0.25:
            _act(people, case, "merge", reason="重复", merge_into=cases[0].pk if cases else case.pk - 1, now=clock[0])
        elif roll < 0.85:
            _act(people, case, "register", now=clock[0])
            _act(people, case, "assign", now=clock[0])
            _act(people, case, "claim", now=clock[0])
            clock[0] += timedelta(days=rng.choice([1, 3, 6, 20]))
            _act(people, case, "answer", reply="答复", now=clock[0])
            _act(people, case, "close", now=clock[0])
        cases.append(case)
    start, end = at(2026, 9, 1), at(2026, 10, 1)
    rows = [
        MetricCase(str(c.unit_id), CaseState(c.status), c.received_at, c.closed_at, c.close_due)
        for c in Case.objects.all()
    ]
    expected = case_metrics(rows, start=start, end=end)
    got = selectors.unit_figures([people["office"].pk], start, end)
    total = selectors.case_figures([people["office"].pk], start, end)
    for key, m in expected.items():
        f = total if key == TOTAL else got[int(key)]
        assert (f.received, f.closed, f.closed_of_received, f.due, f.closed_on_time, f.open_at_end) == (
            m.received,
            m.closed,
            m.closed_of_received,
            m.due,
            m.due_on_time,
            m.open_at_end,
        ), key
        assert f.closure_rate == m.closure_rate and f.on_time_rate == m.on_time_rate
        median = m.median_handling.total_seconds() / 3600 if m.median_handling else None
        assert f.median_handling_hours == pytest.approx(median)
    assert total.received > 10 and total.due > 0 and 0 < (total.on_time_rate or 0) < 1
