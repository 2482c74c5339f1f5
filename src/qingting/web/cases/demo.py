"""Demo cases: a few dozen fictional concerns of 青禾县 in every state, made through the services.

Called by ``qingting demo`` after the stream is loaded (the public mailbox's letters have become
cases through the intake by then). Everything is invented, like the rest of the demo (see
``docs/demo.md``): no real person, place or phone number. Each case is created with
``services.case_create`` and moved with ``services.case_act`` at back-dated times, so its audit
trail, deadlines and on-time verdict are real. Running it again adds nothing (the cases are found
by their ``origin_kind="manual"`` and summary).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoCase:
    unit: str  # unit name in the demo organisation
    channel: str
    category: str
    summary: str
    description: str
    days_ago: float  # received this long ago
    steps: tuple[tuple[str, float], ...]  # (action, hours after receipt)
    priority: str = "normal"
    region: str = ""
    contact: tuple[tuple[str, str], ...] = ()


def _c(*pairs: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    return pairs


# Hours after receipt of each step; "answer" writes a public reply, "pend"/"resume" pause the clock.
_REG = ("register", 2.0)
_ASSIGN = ("assign", 4.0)
_CLAIM = ("claim", 20.0)

CASES: tuple[DemoCase, ...] = (
    # --- just in: received, registered, assigned ---------------------------------------------
    DemoCase("柳湾镇", "hotline", "complaint", "荷香苑小区二次供水水箱有异味",
             "来电反映荷香苑3栋自来水有异味，怀疑二次供水水箱未按期清洗，要求物业公布清洗记录。",
             0.1, (), region="柳湾镇", contact=_c(("name", "王女士"), ("phone", "0000-0000-101"))),
    DemoCase("城关镇", "web", "enquiry", "新学期学区划分何时公布",
             "孩子明年上小学，想了解城关镇今年学区划分方案什么时候公布、在哪里查询。",
             0.2, (), region="城关镇"),
    DemoCase("白鹭镇", "hotline", "complaint", "滨河路夜间施工噪音扰民",
             "滨河路施工工地晚上十一点后仍在打桩，附近居民无法休息，请求限定夜间施工时间。",
             0.6, (_REG,), region="白鹭镇", contact=_c(("name", "李先生"), ("phone", "0000-0000-102"))),
    DemoCase("荷塘乡", "visit", "suggestion", "荷花节期间增设临时停车场",
             "来访群众建议荷花节期间在乡政府后空地开放临时停车场，缓解进村道路拥堵。",
             1.0, (_REG,), region="荷塘乡"),
    DemoCase("县水务局", "hotline", "complaint", "柳湾镇河西社区水压偏低",
             "河西社区高层住户反映早晚用水高峰水压不足，五楼以上几乎无水。",
             1.2, (_REG, _ASSIGN), region="柳湾镇", contact=_c(("name", "赵先生"), ("phone", "0000-0000-103"))),
    DemoCase("县教育局", "web", "enquiry", "随迁子女入学需要哪些材料",
             "外地来青禾务工，想咨询随迁子女在城关镇入学需要准备哪些证明材料。",
             1.5, (_REG, _ASSIGN), region="城关镇"),
    DemoCase("石桥乡", "hotline", "complaint", "石桥菜市场部分摊位未亮证经营",
             "石桥菜市场东侧几个熟食摊位没有公示营业执照和健康证，请求核查。",
             2.0, (_REG, _ASSIGN), region="石桥乡"),
    # --- being handled ------------------------------------------------------------------------
    DemoCase("县水务局", "hotline", "complaint", "荷香苑停水后水质发黄",
             "恢复供水后自来水连续两天发黄，请求检测水质并说明原因。",
             2.5, (_REG, _ASSIGN, _CLAIM), region="柳湾镇",
             contact=_c(("name", "陈女士"), ("phone", "0000-0000-104"), ("address", "柳湾镇荷香苑5栋"))),
    DemoCase("城关镇", "web", "help", "老旧小区楼道灯损坏",
             "城关镇东风巷12号楼道灯坏了一个多月，老人夜间上下楼不便。",
             3.0, (_REG, _ASSIGN, _CLAIM), region="城关镇"),
    DemoCase("县市场监管局", "hotline", "complaint", "网传石桥乡食品有问题，要求公布检测结果",
             "看到网上说石桥乡某食品有问题，担心家里孩子吃过，请求公布抽检结果。",
             3.5, (_REG, _ASSIGN, _CLAIM), priority="high", region="石桥乡"),
    DemoCase("桂溪乡", "visit", "help", "桂溪村道路塌陷需修复",
             "桂溪村通往小学的村道有一处塌陷，雨天积水，学生上学有安全隐患。",
             4.0, (_REG, _ASSIGN, _CLAIM), priority="high", region="桂溪乡"),
    DemoCase("云岭镇", "hotline", "enquiry", "云岭镇医保缴费时间咨询",
             "咨询今年城乡居民医保缴费截止时间和缴费渠道。",
             2.0, (_REG, _ASSIGN, _CLAIM), region="云岭镇"),
    # --- waiting (pending: the clock pauses) ---------------------------------------------------
    DemoCase("白鹭镇", "web", "complaint", "滨河路施工占道未设警示标志",
             "滨河路东段施工围挡外没有警示灯，晚上有电动车撞上围挡。",
             5.0, (_REG, _ASSIGN, _CLAIM, ("pend", 30.0)), region="白鹭镇",
             contact=_c(("name", "周先生"), ("phone", "0000-0000-105"))),
    DemoCase("县教育局", "petition", "complaint", "学区调整后孩子需跨片区就读",
             "家长来信反映学区调整后孩子需到三公里外学校就读，请求过渡期安排。",
             9.0, (("register", 24.0), ("assign", 30.0), ("claim", 48.0), ("pend", 72.0)), region="城关镇",
             contact=_c(("name", "孙女士"), ("address", "城关镇学府路8号"))),
    # --- answered, waiting to be closed --------------------------------------------------------
    DemoCase("荷塘乡", "web", "suggestion", "荷花节接驳车班次太少",
             "周末荷花节接驳车一小时一班，排队很长，建议加密班次。",
             4.0, (_REG, _ASSIGN, _CLAIM, ("answer", 50.0)), region="荷塘乡"),
    DemoCase("柳湾镇", "hotline", "help", "停水期间送水点位置咨询",
             "家里有行动不便的老人，想知道最近的送水点在哪里，能否送水上门。",
             3.0, (_REG, _ASSIGN, _CLAIM, ("answer", 26.0)), region="柳湾镇",
             contact=_c(("name", "刘先生"), ("phone", "0000-0000-106"))),
    DemoCase("县市场监管局", "web", "enquiry", "个体户营业执照年报怎么填",
             "第一次做个体工商户年报，不知道在哪个网站填报。",
             6.0, (_REG, _ASSIGN, _CLAIM, ("answer", 70.0)), region="城关镇"),
    # --- closed on time ------------------------------------------------------------------------
    DemoCase("县水务局", "hotline", "complaint", "柳湾镇停水未提前通知",
             "柳湾镇停水前没有任何通知，居民来不及储水，请求今后提前公告。",
             12.0, (_REG, _ASSIGN, _CLAIM, ("answer", 60.0), ("close", 80.0)), region="柳湾镇",
             contact=_c(("name", "吴女士"), ("phone", "0000-0000-107"))),
    DemoCase("城关镇", "web", "enquiry", "城关镇政务服务中心周末是否办公",
             "想周六去办理居住证，咨询政务服务中心周末是否办公。",
             10.0, (_REG, _ASSIGN, _CLAIM, ("answer", 22.0), ("close", 30.0)), region="城关镇"),
    DemoCase("白鹭镇", "hotline", "help", "白鹭镇公交站台顶棚破损",
             "白鹭镇中心站台顶棚破损漏雨，候车群众淋雨。",
             15.0, (_REG, _ASSIGN, _CLAIM, ("answer", 100.0), ("close", 120.0)), region="白鹭镇"),
    DemoCase("荷塘乡", "visit", "suggestion", "荷塘乡增设垃圾分类投放点",
             "荷花节游客多，垃圾桶满溢，建议增设分类投放点。",
             11.0, (_REG, _ASSIGN, _CLAIM, ("answer", 70.0), ("close", 90.0)), region="荷塘乡"),
    DemoCase("县教育局", "web", "enquiry", "中考体育考试项目咨询",
             "咨询今年中考体育考试的必考和选考项目。",
             8.0, (_REG, _ASSIGN, _CLAIM, ("answer", 20.0), ("close", 26.0)), region="城关镇"),
    DemoCase("石桥乡", "hotline", "complaint", "石桥乡农贸市场周边乱停车",
             "农贸市场周边早市时段乱停车严重，堵塞消防通道。",
             13.0, (_REG, _ASSIGN, _CLAIM, ("answer", 90.0), ("close", 110.0)), region="石桥乡"),
    DemoCase("县水务局", "hotline", "complaint", "主干管爆裂，路面大量积水",
             "青禾大道与滨河路口水管爆裂，路面积水严重，车辆无法通行。",
             7.0, (("register", 0.2), ("assign", 0.3), ("claim", 0.5), ("answer", 5.0), ("close", 6.0)),
             priority="urgent", region="白鹭镇"),
    # --- closed late ---------------------------------------------------------------------------
    DemoCase("柳湾镇", "hotline", "complaint", "柳湾镇老旧管网改造进度",
             "反映多次停水，询问荷香苑老旧管网改造的时间安排。",
             28.0, (_REG, _ASSIGN, _CLAIM, ("answer", 400.0), ("close", 420.0)), region="柳湾镇",
             contact=_c(("name", "郑先生"), ("phone", "0000-0000-108"))),
    DemoCase("县市场监管局", "web", "complaint", "网购退货商家拒不处理",
             "在本县一家网店购买的电器有质量问题，商家拒绝退货。",
             26.0, (_REG, _ASSIGN, _CLAIM, ("answer", 380.0), ("close", 400.0)), region="城关镇"),
    DemoCase("云岭镇", "hotline", "help", "云岭镇山路护栏缺失",
             "云岭镇通往水库的山路有一段没有护栏，夜间行车危险。",
             30.0, (_REG, _ASSIGN, _CLAIM, ("answer", 450.0), ("close", 470.0)), region="云岭镇"),
    # --- overdue, still open -------------------------------------------------------------------
    DemoCase("县教育局", "web", "complaint", "校外培训机构退费难",
             "城关镇一家校外培训机构停课后不退剩余课时费，涉及几十名家长。",
             21.0, (_REG, _ASSIGN, _CLAIM), priority="high", region="城关镇",
             contact=_c(("name", "钱女士"), ("phone", "0000-0000-109"))),
    DemoCase("白鹭镇", "hotline", "complaint", "白鹭镇菜市场排水沟堵塞",
             "菜市场排水沟堵塞，污水外溢，气味很大。",
             18.0, (_REG, _ASSIGN), region="白鹭镇"),
    # --- transferred, declined, duplicate, reopened --------------------------------------------
    DemoCase("柳湾镇", "hotline", "complaint", "河西社区小区内部道路积水",
             "河西社区一小区内部道路下雨积水，属小区内部管理问题，由社区协调物业处理。",
             2.0, (_REG, ("transfer", 5.0)), region="柳湾镇"),
    DemoCase("桂溪乡", "web", "enquiry", "邻县高速出口何时开通",
             "咨询邻县高速公路新出口的开通时间。",
             6.0, (_REG, ("decline", 8.0)), region="桂溪乡"),
    DemoCase("县水务局", "hotline", "complaint", "柳湾镇停水要求赔偿（重复来电）",
             "与此前来电内容相同：柳湾镇停水一天，要求说明原因。",
             11.5, (("merge", 2.0),), region="柳湾镇"),
    DemoCase("荷塘乡", "hotline", "complaint", "荷塘乡路灯维修后再次损坏",
             "上次反映的路灯修好没几天又坏了，请求彻底维修。",
             16.0, (_REG, _ASSIGN, _CLAIM, ("answer", 30.0), ("close", 40.0), ("reopen", 200.0)),
             region="荷塘乡", contact=_c(("name", "冯先生"), ("phone", "0000-0000-110"))),
)  # fmt: skip

_REPLIES = {
    "answer": "您好，您反映的问题已收悉并已核实处理。{summary}一事，相关单位已安排专人落实，"
    "后续进展将通过本平台公开。感谢您对青禾县工作的关心和支持。",
}
_REASONS = {
    "pend": "已联系来信人补充材料，等待回复。",
    "transfer": "属小区内部管理问题，转河西社区协调物业办理。",
    "decline": "所涉高速出口不在本县辖区，已告知来电人向邻县反映。",
    "merge": "与已受理工单内容相同，合并办理。",
    "reopen": "来电人反映问题再次出现，重新办理。",
    "sign_off": "请相关部门高度重视，三个工作日内拿出方案。",
    "return": "答复内容不完整，请补充整改时间表。",
}
# Who does what (the demo users, all members of the office, so they act on every unit).
_ACTORS = {
    "register": "demo_reviewer",
    "assign": "demo_reviewer",
    "claim": "demo_handler",
    "pend": "demo_handler",
    "resume": "demo_handler",
    "answer": "demo_handler",
    "transfer": "demo_handler",
    "close": "demo_reviewer",
    "decline": "demo_reviewer",
    "merge": "demo_reviewer",
    "reopen": "demo_admin",
    "sign_off": "demo_leader",
    "return": "demo_leader",
}


def _category(code: str, known: set[str], fallback: str) -> str:
    return code if code in known else fallback


def _one(spec: DemoCase, *, units: dict[str, Any], users: dict[str, Any], now: datetime, ctx: dict[str, Any]) -> Any:
    from qingting.web.cases import services
    from qingting.web.cases.models import Case

    received = now - timedelta(days=spec.days_ago)
    unit = units.get(spec.unit) or ctx["office"]
    # The demo back-dates its cases' histories: each service call is given its time.
    case = services.case_create(
        actor=users.get("demo_reviewer"),
        unit=unit,
        channel=spec.channel if spec.channel in ctx["channels"] else "hotline",
        category=_category(spec.category, ctx["categories"], ctx["fallback_category"]),
        priority=spec.priority,
        summary=spec.summary,
        description=spec.description,
        region=spec.region,
        contact=dict(spec.contact) or None,
        origin_kind="manual",
        received_at=received,
        now=received,
    )
    for action, hours in spec.steps:
        at = received + timedelta(hours=hours)
        if at > now:
            break
        payload: dict[str, Any] = {}
        if action == "assign" and users.get("demo_handler") is not None:
            payload["assignee_id"] = users["demo_handler"].pk
        elif action == "transfer":
            payload["unit_id"] = (units.get("柳湾镇河西社区") or ctx["office"]).pk
        elif action == "merge":
            target = Case.objects.filter(unit=unit, is_open=False).exclude(pk=case.pk).order_by("pk").first()
            target = target or Case.objects.filter(unit=unit).exclude(pk=case.pk).order_by("pk").first()
            if target is None:
                break
            payload["merge_into"] = target.pk
        elif action == "answer":
            payload["reply"] = _REPLIES["answer"].format(summary=spec.summary)
        case = services.case_act(
            actor=users.get(_ACTORS[action]),
            case_id=case.pk,
            action=action,
            expected_version=case.version,
            reason=_REASONS.get(action, ""),
            now=at,
            **payload,
        )
    return case


# Letters to the county mailbox are routed by what they are about (the demo stories).
_ROUTES = (("停水", "县水务局"), ("供水", "县水务局"), ("学区", "县教育局"), ("招生", "县教育局"),
           ("食品", "县市场监管局"), ("谣言", "县市场监管局"), ("施工", "白鹭镇"), ("荷花", "荷塘乡"))  # fmt: skip


def _route(case: Any, units: dict[str, Any]) -> Any:
    text = f"{case.summary} {case.description}"
    for word, unit_name in _ROUTES:
        if word in text and unit_name in units:
            return units[unit_name]
    return None


def _handle_letters(units: dict[str, Any], users: dict[str, Any], now: datetime) -> int:
    """Move the mailbox letters along: older ones answered and closed, recent ones routed or left new.

    Letters received more than 3 days ago are registered, assigned to the department or township
    they concern, claimed, answered (a public reply) and closed; those from the last 3 days are
    registered and assigned; the newest stay ``received`` for the dispatcher.
    """
    from qingting.web.cases import services
    from qingting.web.cases.models import Case

    moved = 0
    letters = Case.objects.filter(origin_kind="mailbox", status="received", unit__path__startswith=_office_path(units))
    for case in letters.order_by("received_at"):
        age = now - case.received_at
        if age < timedelta(hours=12):
            continue
        target = _route(case, units)
        steps: list[tuple[str, float, dict[str, Any]]] = [("register", 3.0, {})]
        assign: dict[str, Any] = {"unit_id": target.pk} if target is not None else {}
        steps.append(("assign", 5.0, assign))
        if age > timedelta(days=3):
            steps += [
                ("claim", 24.0, {}),
                ("answer", 24.0 * (2 + case.pk % 9), {"reply": _REPLIES["answer"].format(summary=case.summary)}),
                ("close", 24.0 * (3 + case.pk % 9), {}),
            ]
        try:
            for action, hours, payload in steps:
                at = case.received_at + timedelta(hours=hours)
                if at > now:
                    break
                case = services.case_act(
                    actor=users.get(_ACTORS[action]),
                    case_id=case.pk,
                    action=action,
                    expected_version=case.version,
                    reason=_REASONS.get(action, ""),
                    now=at,
                    **payload,
                )
        except Exception:
            log.exception("demo: could not move letter case %s along", case.pk)
            continue
        moved += 1
    return moved


def _office_path(units: dict[str, Any]) -> str:
    return min((u.path for u in units.values()), key=len, default="")


def seed(setup: Any) -> str:
    """Create the demo cases (once); returns one line saying what exists."""
    from django.contrib.auth import get_user_model

    from qingting.web.accounts.models import Unit
    from qingting.web.cases.models import Case, Category, Channel

    office = setup.office
    units = {u.name: u for u in Unit.objects.filter(path__startswith=office.path)}
    users = {u.username: u for u in get_user_model().objects.filter(username__startswith="demo_")}
    existing = set(Case.objects.filter(origin_kind="manual").values_list("summary", flat=True))
    categories = set(Category.objects.filter(is_active=True).values_list("code", flat=True))
    ctx = {
        "office": office,
        "channels": set(Channel.values),
        "categories": categories,
        "fallback_category": next(iter(sorted(categories)), "other"),
    }
    now = timezone.now()
    made = 0
    for spec in CASES:
        if spec.summary in existing:
            continue
        try:
            _one(spec, units=units, users=users, now=now, ctx=ctx)
        except Exception:  # one bad demo case must not stop the demo; say which
            log.exception("demo case %r could not be made", spec.summary)
            continue
        made += 1
    letters = _handle_letters(units, users, now)
    total = Case.objects.filter(unit__path__startswith=office.path).count()
    overdue = Case.objects.filter(unit__path__startswith=office.path, is_open=True, next_due__lt=now).count()
    return f"cases: {made} demo cases made, {letters} mailbox letters handled; {total} cases in all, {overdue} overdue"
