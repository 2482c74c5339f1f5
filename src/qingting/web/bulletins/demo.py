"""Demo bulletins for ``qingting demo``: an issued one with a leader's instructions, a draft, and
a township's bulletin submitted upward (直报) and adopted by the county office.

Everything is made through the services, so the demo's audit trail reads like real use.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError

from qingting.web.accounts.models import Unit, UnitKind, User
from qingting.web.bulletins import services
from qingting.web.bulletins.models import Adoption, Bulletin
from qingting.web.monitoring.models import Event

TOWNSHIP_CODE = "qinghe-liuwan"


def _user(name: str) -> User | None:
    return User.objects.filter(username=name).first()


def seed(setup: Any) -> str:
    """Idempotent: does nothing when the office already has bulletins."""
    office = setup.office
    if Bulletin.objects.filter(unit=office).exists():
        return "bulletins: demo bulletins already present"
    analyst, leader = _user("demo_analyst"), _user("demo_leader")
    events = list(
        Event.objects.filter(scheme_matches__scheme=setup.scheme, merged_into__isnull=True).order_by("-heat")[:4]
    )
    if analyst is None or leader is None or len(events) < 3:
        return "bulletins: skipped (demo users or events missing)"

    issued = services.bulletin_create(
        actor=analyst,
        unit=office,
        events=events[:1],
        summary=f"近日，网民集中反映“{events[0].title}”相关问题，引发本地关注。",
        assessment="相关讨论以求证和诉求表达为主，负面情绪集中在信息发布不及时。\n如不及时回应，可能在本地社群进一步扩散。",
        recommendations="责成主管部门当日通过政务新媒体发布权威信息\n安排专人回应网民留言，做好解释说明\n持续监测，发现新情况及时报告",
    )
    issued = services.bulletin_submit(actor=analyst, bulletin_id=issued.pk, to_user=leader)
    case_unit = Unit.objects.filter(parent=office, kind=UnitKind.DEPARTMENT).order_by("pk").first()
    try:
        issued = services.bulletin_sign(
            actor=leader,
            bulletin_id=issued.pk,
            instructions="请相关部门今日内回应网民关切，办理结果报县委网信办。",
            case_unit=case_unit,
        )
    except (ValidationError, PermissionDenied):  # no case categories: sign off without a case
        issued = services.bulletin_sign(
            actor=leader, bulletin_id=issued.pk, instructions="请相关部门今日内回应网民关切，办理结果报县委网信办。"
        )
    issued = services.bulletin_issue(actor=analyst, bulletin_id=issued.pk)

    services.bulletin_create(
        actor=analyst,
        unit=office,
        events=events[1:3],
        assessment="两起事件热度仍在上升，需持续关注。",
    )

    made = f"bulletins: issued {issued.issue_label}, one draft"
    township = Unit.objects.filter(code=TOWNSHIP_CODE).first()
    if township is not None:
        local = services.bulletin_create(
            actor=None,
            unit=township,
            events=events[3:4] or events[:1],
            summary=f"{township.name}辖区网民关注相关话题。",
            assessment="镇内讨论集中，已安排村（社区）干部入户解释。",
            recommendations="镇政府发布情况说明\n村（社区）做好群众工作",
        )
        local = services.bulletin_submit(actor=None, bulletin_id=local.pk, to_user=leader)
        local = services.bulletin_sign(actor=None, bulletin_id=local.pk, instructions="同意报送。")
        local = services.bulletin_issue(actor=None, bulletin_id=local.pk)
        submission = services.submission_create(actor=None, bulletin_id=local.pk, note="柳湾镇舆情专报，请审阅。")
        services.submission_decide(
            actor=leader, submission_id=submission.pk, adoption=str(Adoption.FULL), note="全文采用，转发各乡镇参考。"
        )
        made += f", {township.name}'s bulletin submitted upward and adopted (直报采用)"
    return made
