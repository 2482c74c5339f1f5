"""Demo channels for ``qingting demo``: the county's site and accounts, a township account silent
for three weeks (it fails its inspection and has raised a tier-Ⅳ warning), a department account
at eleven days (warned, not yet failing), a community screen with nothing to read (无法判定),
and a closed account.

What each channel published is stored as items of its own publication source (a source no scheme
follows: the office's own posts are not public opinion), then every live channel is inspected
once and the silence watch runs, as the periodic jobs would.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from qingting.web.accounts.models import Unit, User
from qingting.web.accounts.selectors import has_role
from qingting.web.channels import inspections, services
from qingting.web.channels.models import Channel, ChannelState
from qingting.web.monitoring import services as monitoring
from qingting.web.monitoring.models import Source, SourceKind

TOPICS = [
    "县政府召开常务会议研究部署冬季安全生产工作",
    "全县冬季供暖工作正式启动",
    "柳湾镇老旧供水管网改造完成",
    "县医院开展义诊进社区活动",
    "城区道路施工期间交通管制公告",
    "2026年度城乡居民医保集中缴费开始",
    "县市场监督管理局开展校园食品安全检查",
    "青禾县举办农民丰收节系列活动",
    "县教育局发布义务教育招生政策解读",
    "关于做好冬季森林防火工作的通知",
]


def _user(name: str) -> User | None:
    return User.objects.filter(username=name).first()


def _posts(source: Source, *, every_days: float, last_days_ago: float, span_days: int, prefix: str) -> int:
    """Store posts of ``source`` every ``every_days`` from ``span_days`` ago, the last ``last_days_ago``."""
    now = timezone.now().replace(microsecond=0)
    ages: list[float] = []
    age = float(span_days)
    while age > last_days_ago:
        ages.append(age)
        age -= every_days
    ages.append(last_days_ago)
    records = [
        {
            "id": f"{prefix}-{i}",
            "title": TOPICS[i % len(TOPICS)],
            "text": f"{TOPICS[i % len(TOPICS)]}。详情请关注本平台后续发布。",
            "time": (now - timedelta(days=a)).isoformat(),
            "url": f"https://{prefix}.example.gov.cn/{i}",
        }
        for i, a in enumerate(ages)
    ]
    return monitoring.store_items(source=source, records=records).created


def _channel(unit: Unit, kind: str, name: str, **kw: Any) -> Channel:
    existing = Channel.objects.filter(unit=unit, kind=kind, name=name).first()
    return existing or services.channel_save(actor=None, unit=unit, kind=kind, name=name, **kw)


def _source(unit: Unit, name: str) -> Source:
    return Source.objects.filter(unit=unit, name=name).first() or monitoring.source_create(
        actor=None, unit=unit, name=name, kind=SourceKind.IMPORT
    )


def seed(setup: Any) -> str:
    """Idempotent: does nothing when the office already has channels with inspections."""
    office = setup.office
    if Channel.objects.filter(unit__path__startswith=office.path, inspections__isnull=False).exists():
        return "channels: demo channels already present"
    units = {u.code: u for u in Unit.objects.filter(path__startswith=office.path)}
    liuwan = units.get("qinghe-liuwan", office)
    water = units.get("qinghe-water", office)
    education = units.get("qinghe-education", office)
    community = units.get("qinghe-liuwan-1", liuwan)
    analyst, reviewer = _user("demo_analyst"), _user("demo_reviewer")
    township = _user("demo_liuwan")
    mailbox = Source.objects.filter(unit=office, kind=SourceKind.MAILBOX).first()

    plan = [
        # (unit, kind, name, prefix, every_days, last_days_ago, operator, reviewer, details)
        (office, "website", "青禾县人民政府门户网站", "www-qinghe", 2.0, 1.0, analyst, reviewer,
         {"account": "www.qinghe.example.gov.cn", "registrant": "青禾县人民政府办公室",
          "record_number": "演ICP备00000001号"}),
        (office, "wechat", "青禾发布", "wx-qinghe", 1.0, 0.5, analyst, reviewer,
         {"account": "qinghefabu", "registrant": "青禾县委网信办"}),
        (office, "weibo", "青禾县政务微博", "wb-qinghe", 3.0, 2.0, analyst, reviewer,
         {"account": "@青禾发布", "registrant": "青禾县委网信办"}),
        (liuwan, "wechat", "柳湾镇政务微信", "wx-liuwan", 4.0, 21.0, township, None,
         {"account": "liuwanzhen", "registrant": "柳湾镇人民政府"}),
        (water, "weibo", "青禾水务", "wb-water", 5.0, 11.0, None, None,
         {"account": "@青禾水务", "registrant": "青禾县水务局"}),
    ]  # fmt: skip
    made = []
    for unit, kind, name, prefix, every, last, op, rev, details in plan:
        # The office reads every channel's export (a source of a unit above the channel's is allowed).
        source = _source(office, f"{name}（自有平台发布）")
        _posts(source, every_days=every, last_days_ago=last, span_days=80, prefix=prefix)
        made.append(
            _channel(
                unit,
                kind,
                name,
                operator=op if has_role(op, unit) else None,
                reviewer=rev if has_role(rev, unit) else None,
                source=source,
                interaction_source=mailbox if kind == "website" else None,
                details=details,
            )
        )
    # One mistake in the county account's posts: an outdated institution name (a deduction, with the sentence).
    wechat_source = made[1].source
    assert wechat_source is not None
    monitoring.store_items(
        source=wechat_source,
        records=[
            {
                "id": "wx-qinghe-wording",
                "title": "县工商局提醒：冬季购买取暖器具注意安全",
                "text": "县工商局提醒广大群众，购买取暖器具请认准3C认证标志。",
                "time": (timezone.now() - timedelta(days=3)).isoformat(),
            }
        ],
    )
    _channel(community, "screen", "河西社区LED屏", details={"notes": "社区服务中心门口电子屏，内容由社区工作人员发布"})
    closed = _channel(education, "douyin", "青禾教育抖音号", details={"account": "qinghejiaoyu"})
    if closed.state != ChannelState.CLOSED:
        services.channel_set_state(
            actor=None, channel=closed, state=ChannelState.CLOSED, on=timezone.localdate() - timedelta(days=40),
            reason="账号整合至青禾发布",
        )  # fmt: skip
    now = timezone.now()
    inspected = inspections.inspections_due(now)
    warned = inspections.silence_watch(now)
    return (
        f"channels: {len(made) + 2} demo channels ({inspected} inspected; 柳湾镇政务微信 silent for 21 days fails; "
        f"{warned} silence warnings)"
    )
