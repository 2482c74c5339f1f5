"""三审三校: the review workflow, its rules, proofreading on every revision, corrections, accuracy."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from qingting.web.audit.models import AuditEntry
from qingting.web.releases import selectors, services
from qingting.web.releases.models import Finding, FindingState, ReleaseStatus, ReviewAction, SensitiveDay, WordingEntry


def _clear_findings(release: Any, actor: Any) -> None:
    for f in Finding.objects.filter(revision__release=release, revision__number=release.revision_count):
        if f.state == FindingState.OPEN:
            services.finding_mark(actor=actor, finding_id=f.pk, state=FindingState.DISMISSED)


def _approve(release: Any, actor: Any, comments: str = "") -> Any:
    release.refresh_from_db()
    _clear_findings(release, actor)
    return services.release_approve(actor=actor, release_id=release.pk, comments=comments)


def test_default_plan_runs_in_order_and_every_step_is_recorded(team: dict[str, Any], draft: Any) -> None:
    r = services.release_submit(actor=team["east_analyst"], release_id=draft.pk)
    assert [s["name"] for s in r.plan] == ["初审", "复审", "终审"]  # not sensitive: no 主要领导
    assert r.status == ReleaseStatus.IN_REVIEW and r.current_step["name"] == "初审"
    # a leader cannot take the 初审 (a reviewer's step)
    with pytest.raises(PermissionDenied):
        services.release_approve(actor=team["deputy"], release_id=r.pk)
    r = _approve(r, team["editor"])
    assert r.current_step["name"] == "复审"
    r = _approve(r, team["section_head"])
    r = _approve(r, team["deputy"], "同意发布")
    assert r.status == ReleaseStatus.APPROVED
    r = services.release_publish(actor=team["east_analyst"], release_id=r.pk)
    assert r.status == ReleaseStatus.PUBLISHED and r.published_at is not None
    decisions = list(ReviewAction.objects.filter(release=r).values_list("step_name", "decision", "actor__username"))
    assert decisions == [
        ("", "submit", "east_analyst"),
        ("初审", "approve", "editor"),
        ("复审", "approve", "section_head"),
        ("终审", "approve", "deputy"),
        ("", "publish", "east_analyst"),
    ]
    actions = list(
        AuditEntry.objects.filter(object_id=str(r.pk), action__startswith="release.").values_list("action", flat=True)
    )
    assert actions.count("release.approve") == 3 and "release.publish" in actions and "release.submit" in actions


def test_sensitive_release_needs_the_head_too(team: dict[str, Any], draft: Any) -> None:
    services.release_update(actor=team["east_analyst"], release_id=draft.pk, sensitive=True)
    r = services.release_submit(actor=team["east_analyst"], release_id=draft.pk)
    assert [s["name"] for s in r.plan] == ["初审", "复审", "终审", "主要领导签发"]
    r = _approve(r, team["editor"])
    r = _approve(r, team["section_head"])
    r = _approve(r, team["deputy"])
    # the deputy who signed 终审 may not sign again as 主要领导
    with pytest.raises(PermissionDenied, match=r"already approved|已审核过"):
        services.release_approve(actor=team["deputy"], release_id=r.pk)
    r = _approve(r, team["head"])
    assert r.status == ReleaseStatus.APPROVED


def test_no_one_approves_their_own_draft(team: dict[str, Any]) -> None:
    r = services.release_create(
        actor=team["editor"],
        unit=team["east"],
        title="通知",
        body="关于做好节日值班工作的通知。",
        channels=[team["wechat"]],
    )
    services.release_submit(actor=team["editor"], release_id=r.pk)
    with pytest.raises(PermissionDenied, match=r"own release|自己撰写"):
        services.release_approve(actor=team["editor"], release_id=r.pk)
    with pytest.raises(PermissionDenied, match=r"own release|自己撰写"):
        services.release_return(actor=team["editor"], release_id=r.pk, comments="x")


def test_a_release_under_review_is_locked_and_returned_comes_back_as_a_new_revision(
    team: dict[str, Any], draft: Any
) -> None:
    r = services.release_submit(actor=team["east_analyst"], release_id=draft.pk)
    with pytest.raises(services.ReleaseConflict):
        services.release_update(actor=team["east_analyst"], release_id=r.pk, body="改过的正文")
    with pytest.raises(ValidationError):
        services.release_return(actor=team["editor"], release_id=r.pk, comments="  ")
    r = services.release_return(actor=team["editor"], release_id=r.pk, comments="请核实检查商铺数量")
    assert r.status == ReleaseStatus.RETURNED
    r = services.release_update(
        actor=team["east_analyst"],
        release_id=r.pk,
        body="12月7日，东街道组织开展冬季消防安全检查，共检查沿街商铺36家。",
    )
    assert r.revision_count == 2
    revisions = selectors.revisions_of(r)
    diff = selectors.revision_diff(revisions[1], revisions[0])
    assert ("delete", "5") in diff["body"] and ("insert", "6") in diff["body"]
    r = services.release_submit(actor=team["east_analyst"], release_id=r.pk)
    assert r.round == 2 and r.current_step["name"] == "初审"
    # the editor approved nothing in round 2 yet, so may take 初审 again
    r = _approve(r, team["editor"])
    assert r.current_step["name"] == "复审"


def test_stale_version_is_refused(team: dict[str, Any], draft: Any) -> None:
    with pytest.raises(services.ReleaseConflict, match=r"changed by someone else|被他人修改"):
        services.release_update(actor=team["east_analyst"], release_id=draft.pk, expected_version=99, title="x")


def test_per_unit_permissions(team: dict[str, Any], draft: Any) -> None:
    from django.http import Http404

    # the west analyst cannot see an east release at all
    with pytest.raises(Http404):
        services.release_submit(actor=team["west_analyst"], release_id=draft.pk)
    with pytest.raises(Http404):
        selectors.release_get(team["west_analyst"], draft.pk)
    # nor target a west channel from the east township
    with pytest.raises(ValidationError, match=r"No such channels|没有这些运营中的平台"):
        services.release_create(
            actor=team["east_analyst"], unit=team["east"], title="t", body="b", channels=[team["west_site"]]
        )
    assert not selectors.releases_for(team["west_analyst"]).exists()
    assert selectors.releases_for(team["office_leader"]).filter(pk=draft.pk).exists()


def test_proofreading_on_every_revision_and_approval_waits_for_marks(team: dict[str, Any]) -> None:
    WordingEntry.objects.create(unit=team["office"], wrong="东街道办", right="东街道办事处", note="规范全称")
    SensitiveDay.objects.create(unit=team["office"], month=12, day=13, name="国家公祭日")
    r = services.release_create(
        actor=team["east_analyst"],
        unit=team["east"],
        title="东街道3名干部获表彰",
        body="东街道办定于12月13日召开表彰会，4名干部受表彰。我们要再接再励。",
        channels=[team["wechat"]],
    )
    revision = selectors.revisions_of(r)[0]
    kinds = {(f.kind, f.text) for f in selectors.findings_of(revision)}
    assert ("wording", "东街道办") in kinds
    assert ("key_date", "12月13日") in kinds
    assert ("number", "3名") in kinds
    assert ("idiom", "励") in kinds
    services.release_submit(actor=team["east_analyst"], release_id=r.pk)
    with pytest.raises(services.ReleaseConflict, match=r"still open|未处理"):
        services.release_approve(actor=team["editor"], release_id=r.pk)
    # the author cannot mark findings while it is in review; the step's reviewer can
    idiom = next(f for f in selectors.findings_of(revision) if f.kind == "idiom")
    with pytest.raises(PermissionDenied):
        services.finding_mark(actor=team["east_analyst"], finding_id=idiom.pk, state="dismissed")
    services.release_return(actor=team["editor"], release_id=r.pk, comments="请改正成语和数字")
    r = services.release_update(
        actor=team["east_analyst"],
        release_id=r.pk,
        title="东街道4名干部获表彰",
        body="东街道办事处定于12月13日召开表彰会，4名干部受表彰。我们要再接再厉。",
    )
    old = {f.kind: f.state for f in selectors.findings_of(revision)}
    assert old["idiom"] == "fixed" and old["number"] == "fixed" and old["wording"] == "fixed"
    assert old["key_date"] == "open"  # still there in the new revision
    new = {f.kind for f in selectors.findings_of(selectors.revisions_of(r)[0])}
    assert new == {"key_date"}


def test_correction_and_accuracy_per_channel(team: dict[str, Any]) -> None:
    published = []
    for i in range(4):
        r = services.release_create(
            actor=team["east_analyst"],
            unit=team["east"],
            title=f"第{i + 1}期工作动态",
            body="本周工作情况。",
            channels=[team["wechat"], team["weibo"]] if i < 2 else [team["wechat"]],
        )
        services.release_submit(actor=team["east_analyst"], release_id=r.pk)
        for who in ("editor", "section_head", "deputy"):
            _approve(r, team[who])
        published.append(services.release_publish(actor=team["east_analyst"], release_id=r.pk))
    with pytest.raises(services.ReleaseConflict):
        draft = services.release_create(
            actor=team["east_analyst"], unit=team["east"], title="t", body="b", channels=[team["wechat"]]
        )
        services.correction_record(actor=team["east_analyst"], release_id=draft.pk, what_was_wrong="x")
    services.correction_record(
        actor=team["east_analyst"], release_id=published[0].pk, what_was_wrong="日期有误", channel=team["weibo"]
    )
    services.correction_record(actor=team["east_analyst"], release_id=published[2].pk, what_was_wrong="人名有误")
    now = timezone.now()
    rows = {
        r.channel: r
        for r in selectors.release_counts([team["east"].pk], now - timedelta(days=1), now + timedelta(days=1))
    }
    assert (rows["东街道发布"].published, rows["东街道发布"].corrected) == (4, 1)
    assert (rows["东街道微博"].published, rows["东街道微博"].corrected) == (2, 1)
    assert rows["东街道发布"].percent == "75%" and rows["东街道微博"].percent == "50%"
    assert AuditEntry.objects.filter(action="release.correct").count() == 2
    # a period before anything was published counts nothing
    assert selectors.release_counts([team["east"].pk], now - timedelta(days=9), now - timedelta(days=8)) == []


def test_review_steps_configured_per_unit(team: dict[str, Any], draft: Any) -> None:
    from qingting.web.accounts import services as accounts
    from qingting.web.accounts.models import Role

    with pytest.raises(PermissionDenied):
        services.review_steps_set(actor=team["east_analyst"], unit=team["east"], steps=[("初审", "reviewer", False)])
    admin = accounts.user_create(actor=None, username="east_admin", password="Qt-test-pass-2026!")
    accounts.membership_grant(actor=None, user=admin, unit=team["east"], role=Role.ADMIN)
    with pytest.raises(ValidationError):
        services.review_steps_set(actor=admin, unit=team["east"], steps=[("初审", "nobody", False)])
    services.review_steps_set(
        actor=admin, unit=team["east"], steps=[("编辑初审", "reviewer", False), ("领导审签", "leader", False)]
    )
    r = services.release_submit(actor=team["east_analyst"], release_id=draft.pk)
    assert [s["name"] for s in r.plan] == ["编辑初审", "领导审签"]
    # a community below the township inherits the township's plan; the west keeps the default
    assert [s["name"] for s in services.review_plan(team["east_community"], sensitive=False)] == [
        "编辑初审",
        "领导审签",
    ]
    assert len(services.review_plan(team["west"], sensitive=True)) == 4
    assert AuditEntry.objects.filter(action="release.steps").count() == 1


def test_work_report_counts_releases_per_channel_and_accuracy(team: dict[str, Any]) -> None:
    from qingting.reports.figures import build_work_report
    from qingting.reports.html import render_html
    from qingting.reports.samples import sample_letterhead
    from qingting.web.reporting.figures import work_figures

    for i in range(3):
        r = services.release_create(
            actor=team["east_analyst"],
            unit=team["east"],
            title=f"动态{i}",
            body="本周工作。",
            channels=[team["wechat"]],
        )
        services.release_submit(actor=team["east_analyst"], release_id=r.pk)
        for who in ("editor", "section_head", "deputy"):
            _approve(r, team[who])
        services.release_publish(actor=team["east_analyst"], release_id=r.pk)
    services.correction_record(actor=team["east_analyst"], release_id=r.pk, what_was_wrong="错别字")
    period = timezone.localdate().strftime("%Y-%m")
    figures = work_figures(team["office"], period)
    assert figures.releases is not None
    assert [(c.channel, c.published, c.corrected) for c in figures.releases] == [("东街道发布", 3, 1)]
    html = render_html(build_work_report(figures, sample_letterhead()))
    assert "共发布信息3条" in html and "信息准确率66.7%" in html
