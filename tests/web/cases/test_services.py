"""The case services: create, the one transition service, numbering, replies, attachments."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from qingting.web.cases import selectors, services
from qingting.web.cases.models import Case, CaseAction, CaseContact


def _new(people: dict[str, Any], **kw: Any) -> Case:
    args: dict[str, Any] = {
        "actor": people["east_analyst"],
        "unit": people["east"],
        "channel": "mailbox",
        "category": "complaint",
        "summary": "东街道夜间施工噪音扰民",
        "contact": {"name": "张三", "phone": "13800000000"},
    }
    args.update(kw)
    return services.case_create(**args)


def test_create_numbers_per_unit_and_year_and_audits(people: dict[str, Any]) -> None:
    a = _new(people)
    b = _new(people)
    c = _new(people, unit=people["west"], actor=people["dispatcher"])
    assert a.number.endswith("0001号") and b.number.endswith("0002号")
    assert a.number.startswith("东街〔") and c.number.startswith("西街〔") and c.number.endswith("0001号")
    assert a.status == "received" and a.is_open and a.version == 0
    assert a.close_due is not None and a.ack_due is not None and a.sla_policy == "complaint"
    entry = CaseAction.objects.get(case=a)
    assert entry.action == "create" and entry.version == 0 and entry.actor == people["east_analyst"]
    assert CaseContact.objects.get(case=a).phone == "13800000000"


def test_create_checks_role_and_input(people: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        _new(people, actor=people["west_handler"])  # not a member of east
    with pytest.raises(ValidationError, match="channel"):
        _new(people, channel="carrier-pigeon")
    with pytest.raises(ValidationError, match="category"):
        _new(people, category="nonsense")
    with pytest.raises(ValidationError, match="summary"):
        _new(people, summary="  ")


def test_full_lifecycle_through_case_act(people: dict[str, Any]) -> None:
    case = _new(people)
    d, h, lead = people["dispatcher"], people["east_handler"], people["leader"]
    case = services.case_act(actor=d, case_id=case.pk, action="register", expected_version=0)
    case = services.case_act(actor=d, case_id=case.pk, action="assign", assignee_id=h.pk, expected_version=1)
    assert case.assignee == h
    case = services.case_act(actor=h, case_id=case.pk, action="claim")
    case = services.case_act(actor=h, case_id=case.pk, action="pend", reason="等待市民补充材料")
    assert case.next_due is None and case.paused_at is not None
    case = services.case_act(actor=h, case_id=case.pk, action="resume")
    with pytest.raises(ValidationError, match="reply"):
        services.case_act(actor=h, case_id=case.pk, action="answer")
    case = services.case_act(actor=h, case_id=case.pk, action="answer", reply="已责令施工单位停止夜间施工。")
    case = services.case_act(actor=lead, case_id=case.pk, action="close")
    assert case.status == "closed" and not case.is_open and case.on_time is True and case.version == 7
    actions = list(CaseAction.objects.filter(case=case).values_list("action", "version"))
    assert actions == [
        ("create", 0),
        ("register", 1),
        ("assign", 2),
        ("claim", 3),
        ("pend", 4),
        ("resume", 5),
        ("answer", 6),
        ("close", 7),
    ]


def test_stale_version_is_a_conflict(people: dict[str, Any]) -> None:
    case = _new(people)
    services.case_act(actor=people["dispatcher"], case_id=case.pk, action="register", expected_version=0)
    with pytest.raises(services.CaseConflict, match="已被他人修改"):
        services.case_act(actor=people["dispatcher"], case_id=case.pk, action="decline", expected_version=0, reason="x")


def test_roles_and_visibility(people: dict[str, Any]) -> None:
    case = _new(people)
    with pytest.raises(PermissionDenied):
        services.case_act(actor=people["east_handler"], case_id=case.pk, action="decline", reason="不归我们管")
    with pytest.raises(Http404):
        services.case_act(actor=people["west_handler"], case_id=case.pk, action="register")
    with pytest.raises(ValidationError, match="状态为“已接收”的诉求不能“认领”"):
        services.case_act(actor=people["dispatcher"], case_id=case.pk, action="claim")
    assert list(selectors.cases_for(people["west_handler"])) == []
    assert list(selectors.cases_for(people["east_handler"])) == [case]
    assert list(selectors.cases_for(people["leader"])) == [case]
