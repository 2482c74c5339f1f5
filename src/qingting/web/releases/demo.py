"""Demo releases for ``qingting demo``: one at each review step, one returned, two published (one
of them sensitive, signed by the head of the office), and one corrected after publishing.

Everything is made through the services, so the demo's review history and audit trail read like
real use. Two extra people take the 复审 and the 主要领导 steps (the demo prints no password for
them: the signed-in demo users act on the releases waiting at 初审 and 终审).
"""

from __future__ import annotations

import secrets
from typing import Any

from qingting.web.accounts import services as accounts
from qingting.web.accounts.models import Role, User
from qingting.web.channels import services as channels
from qingting.web.channels.selectors import channels_for
from qingting.web.releases import services
from qingting.web.releases.models import Finding, FindingState, Release, SensitiveDay, WordingEntry


def _user(name: str) -> User | None:
    return User.objects.filter(username=name).first()


def _extra(name: str, display: str, unit: Any, role: str) -> User:
    user = _user(name)
    if user is None:
        user = accounts.user_create(
            actor=None, username=name, password=secrets.token_urlsafe(18) + "-Qt1", display_name=display
        )
        accounts.membership_grant(actor=None, user=user, unit=unit, role=role, reason="demo")
    return user


def _dismiss_all(release: Release, actor: Any) -> None:
    release.refresh_from_db()
    for f in Finding.objects.filter(
        revision__release=release, revision__number=release.revision_count, state=FindingState.OPEN
    ):
        services.finding_mark(actor=actor, finding_id=f.pk, state=FindingState.DISMISSED)


def _approve(release: Release, actor: Any, comments: str = "") -> Release:
    _dismiss_all(release, actor)
    return services.release_approve(actor=actor, release_id=release.pk, comments=comments)


def seed(setup: Any) -> str:
    """Idempotent: does nothing when the office already has releases."""
    office = setup.office
    if Release.objects.filter(unit=office).exists():
        return "releases: demo releases already present"
    author, reviewer, leader = _user("demo_analyst"), _user("demo_reviewer"), _user("demo_leader")
    if author is None or reviewer is None or leader is None:
        return "releases: skipped (demo users missing)"
    section_head = _extra("demo_section_head", "科室负责人（演示）", office, Role.REVIEWER)
    head = _extra("demo_head", "主要领导（演示）", office, Role.LEADER)

    WordingEntry.objects.get_or_create(
        unit=office, wrong="县工商局", defaults={"right": "县市场监督管理局", "note": "机构改革后名称"}
    )
    SensitiveDay.objects.get_or_create(unit=office, month=12, day=13, defaults={"name": "国家公祭日"})
    live = list(channels_for(None).model.objects.filter(unit__path__startswith=office.path, state="active")[:3])
    if len(live) < 2:
        live = [
            channels.channel_save(actor=None, unit=office, kind="website", name="青禾县人民政府门户网站"),
            channels.channel_save(actor=None, unit=office, kind="wechat", name="青禾县政务微信"),
        ]
    site, wechat = live[0], live[1]

    def write(title: str, body: str, chans: list[Any], sensitive: bool = False) -> Release:
        return services.release_create(
            actor=author, unit=office, title=title, body=body, channels=chans, sensitive=sensitive
        )

    write(
        "关于召开全县冬季安全生产工作会议的通知",
        "定于12月7日（周二）上午9时召开全县冬季安全生产工作会议，县工商局等单位主要负责同志参加。",
        [site],
    )
    at_first = write("青禾县启动2026年冬季供暖", "11月15日起，县城集中供暖正式启动，覆盖居民3.2万户。", [site, wechat])
    services.release_submit(actor=author, release_id=at_first.pk)

    at_second = write("柳湾镇完成老旧管网改造", "柳湾镇完成老旧供水管网改造12公里，惠及群众4500余户。", [wechat])
    services.release_submit(actor=author, release_id=at_second.pk)
    _approve(at_second, reviewer, "文字已校对")

    at_final = write("县城区道路施工期间交通管制公告", "因道路施工，城区解放路部分路段实行交通管制。", [site, wechat])
    services.release_submit(actor=author, release_id=at_final.pk)
    _approve(at_final, reviewer)
    _approve(at_final, section_head, "事实已核实")

    returned = write("荷花节活动安排", "第五届青禾荷花节将于明年7月举办，具体安排另行通知。", [wechat])
    services.release_submit(actor=author, release_id=returned.pk)
    _approve(returned, reviewer)
    services.release_return(
        actor=section_head, release_id=returned.pk, comments="活动时间尚未经县政府常务会议研究，请删除具体月份后再报。"
    )

    sensitive = write(
        "关于网传“食品安全问题”的情况通报",
        "近日，网传我县某学校食堂存在食品安全问题。经县市场监督管理局调查核实，相关情况不属实。",
        [site, wechat],
        sensitive=True,
    )
    services.release_submit(actor=author, release_id=sensitive.pk)
    _approve(sensitive, reviewer)
    _approve(sensitive, section_head)
    _approve(sensitive, leader)
    _approve(sensitive, head, "同意发布")
    services.release_publish(actor=author, release_id=sensitive.pk)

    corrected = write(
        "青禾县召开停水事件情况发布会", "12月1日，县水务局通报了柳湾镇停水原因及抢修进展。", [site, wechat]
    )
    services.release_submit(actor=author, release_id=corrected.pk)
    for who in (reviewer, section_head, leader):
        _approve(corrected, who)
    services.release_publish(actor=author, release_id=corrected.pk)
    services.correction_record(
        actor=author,
        release_id=corrected.pk,
        what_was_wrong="发布会日期误写为12月1日，应为12月2日。",
        correction="已在政务微信发布更正说明。",
        channel=wechat,
    )
    return "releases: 7 demo releases (a draft, one at each review step, one returned, two published, one corrected)"
