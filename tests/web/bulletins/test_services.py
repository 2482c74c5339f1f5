"""Bulletin workflow and 直报 through the services: roles, states, audit, numbering, counts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from qingting.web.audit.models import AuditEntry
from qingting.web.bulletins import selectors, services
from qingting.web.bulletins.models import Adoption, BulletinStatus, Submission

pytestmark = pytest.mark.django_db


def _draft(w: dict[str, Any], **kw: Any) -> Any:
    return services.bulletin_create(
        actor=w["east_analyst"],
        unit=w["east"],
        events=w["east_events"],
        assessment="研判一",
        recommendations="建议一\n建议二",
        **kw,
    )


def _signed(w: dict[str, Any]) -> Any:
    b = _draft(w)
    services.bulletin_submit(actor=w["east_analyst"], bulletin_id=b.pk, to_user=w["east_leader"])
    return services.bulletin_sign(actor=w["east_leader"], bulletin_id=b.pk, instructions="请水务部门及时回应。")


def test_full_workflow_is_audited_and_numbered(world: dict[str, Any]) -> None:
    w = world
    b = _draft(w)
    assert b.status == BulletinStatus.DRAFT and b.title.startswith("关于") and b.figures is None
    b = services.bulletin_submit(
        actor=w["east_analyst"], bulletin_id=b.pk, to_user=w["east_leader"], expected_version=1
    )
    assert b.status == BulletinStatus.SUBMITTED and b.figures["total_items"] > 0
    b = services.bulletin_return(actor=w["east_leader"], bulletin_id=b.pk, comments="补充处置建议")
    assert b.status == BulletinStatus.RETURNED and b.is_editable
    b = services.bulletin_update(
        actor=w["east_analyst"], bulletin_id=b.pk, expected_version=b.version, recommendations="建议三"
    )
    b = services.bulletin_submit(actor=w["east_analyst"], bulletin_id=b.pk, to_user=w["office_leader"])
    b = services.bulletin_sign(actor=w["office_leader"], bulletin_id=b.pk, instructions="同意。")
    year = timezone.localtime().year
    assert b.status == BulletinStatus.SIGNED and b.issue_label == f"〔{year}〕第1期"
    b = services.bulletin_issue(actor=w["east_analyst"], bulletin_id=b.pk)
    assert b.status == BulletinStatus.ISSUED and bytes(b.archive.docx)[:2] == b"PK" and "<article" in b.archive.html
    assert (
        b.archive.kind == "bulletin"
        and b.archive.period_label == f"〔{year}〕第1期"
        and b.archive.issued_by == w["east_analyst"]
    )
    actions = list(
        AuditEntry.objects.filter(object_type="bulletins.bulletin", object_id=str(b.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "bulletin.create",
        "bulletin.submit",
        "bulletin.return",
        "bulletin.update",
        "bulletin.submit",
        "bulletin.sign",
        "bulletin.issue",
    ]
    second = _signed(w)
    assert second.issue_label == f"〔{year}〕第2期"  # numbered per unit and year


def test_roles_are_checked(world: dict[str, Any]) -> None:
    w = world
    with pytest.raises(PermissionDenied):  # a leader does not compose
        services.bulletin_create(actor=w["east_leader"], unit=w["east"], events=w["east_events"])
    with pytest.raises(ValidationError):  # west's analyst cannot see east's events or unit
        services.bulletin_create(actor=w["west_analyst"], unit=w["east"], events=w["east_events"])
    b = _draft(w)
    with pytest.raises(ValidationError):  # only to a leader of the unit or above
        services.bulletin_submit(actor=w["east_analyst"], bulletin_id=b.pk, to_user=w["west_analyst"])
    services.bulletin_submit(actor=w["east_analyst"], bulletin_id=b.pk, to_user=w["east_leader"])
    with pytest.raises(PermissionDenied):  # the analyst cannot sign
        services.bulletin_sign(actor=w["east_analyst"], bulletin_id=b.pk, instructions="同意")
    with pytest.raises(services.BulletinConflict):  # not editable once submitted
        services.bulletin_update(actor=w["east_analyst"], bulletin_id=b.pk, title="改")
    with pytest.raises(ValidationError):  # instructions are required
        services.bulletin_sign(actor=w["east_leader"], bulletin_id=b.pk, instructions="  ")


def test_stale_version_is_refused(world: dict[str, Any]) -> None:
    b = _draft(world)
    services.bulletin_update(actor=world["east_analyst"], bulletin_id=b.pk, expected_version=1, title="新标题")
    with pytest.raises(services.BulletinConflict):
        services.bulletin_update(actor=world["east_analyst"], bulletin_id=b.pk, expected_version=1, title="另一个")


def test_submission_counts(world: dict[str, Any]) -> None:
    w = world
    ids = []
    for _ in range(3):
        b = services.bulletin_issue(actor=w["east_analyst"], bulletin_id=_signed(w).pk)
        ids.append(services.submission_create(actor=w["east_analyst"], bulletin_id=b.pk, note="请审阅").pk)
    with pytest.raises(ValidationError):  # once per document
        services.submission_create(actor=w["east_analyst"], bulletin_id=b.pk)
    with pytest.raises(Exception):  # noqa: B017  the township's analyst cannot decide for the office
        services.submission_decide(actor=w["east_analyst"], submission_id=ids[0], adoption=Adoption.FULL)
    services.submission_decide(actor=w["office_leader"], submission_id=ids[0], adoption=Adoption.FULL, note="全文采用")
    services.submission_decide(actor=w["office_leader"], submission_id=ids[1], adoption=Adoption.SUMMARY)
    today = timezone.localdate()
    counts = selectors.submission_counts([w["east"].pk], today, today)
    assert counts == {"submitted": 3, "adopted_full": 1, "adopted_summary": 1, "not_adopted": 0, "pending": 1}
    direct = Submission.objects.filter(from_unit=w["east"], adoption=Adoption.FULL).count()
    assert counts["adopted_full"] == direct
    assert selectors.submission_counts([w["west"].pk], today, today)["submitted"] == 0
    assert selectors.submission_counts([w["east"].pk], date(2000, 1, 1), today - timedelta(days=1))["submitted"] == 0
    by_unit = selectors.submission_counts_by_unit([w["east"].pk, w["west"].pk], today, today)
    assert [(r["unit"], r["submitted"]) for r in by_unit] == [("东街道", 3)]
    actions = set(AuditEntry.objects.filter(object_type="bulletins.submission").values_list("action", flat=True))
    assert actions == {"submission.create", "submission.decide"}


def test_issue_once_and_only_issued_bulletins_go_upward(world: dict[str, Any]) -> None:
    w = world
    b = _signed(w)
    with pytest.raises(ValidationError):  # signed, not yet issued
        services.submission_create(actor=w["east_analyst"], bulletin_id=b.pk)
    with pytest.raises(Http404):  # west's analyst cannot issue: cannot even see it
        services.bulletin_issue(actor=w["west_analyst"], bulletin_id=b.pk)
    services.bulletin_issue(actor=w["east_analyst"], bulletin_id=b.pk)
    with pytest.raises(services.BulletinConflict):
        services.bulletin_issue(actor=w["east_leader"], bulletin_id=b.pk)
    top = services.bulletin_create(actor=w["office_analyst"], unit=w["office"], events=w["east_events"])
    services.bulletin_submit(actor=w["office_analyst"], bulletin_id=top.pk, to_user=w["office_leader"])
    services.bulletin_sign(actor=w["office_leader"], bulletin_id=top.pk, instructions="阅")
    services.bulletin_issue(actor=w["office_analyst"], bulletin_id=top.pk)
    with pytest.raises(ValidationError):  # the top unit has no parent
        services.submission_create(actor=w["office_analyst"], bulletin_id=top.pk)
