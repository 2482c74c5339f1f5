"""The stories of the demo stream: templates, slots and timing for each scenario.

Everything here is FICTIONAL. 青禾县 (Qinghe County), its townships, estates, markets, schools,
accounts and media are invented for the demo; any resemblance to a real place or body is
accidental. Templates use ``{slot}`` placeholders filled from :data:`COMMON_SLOTS` and the
scenario's own slots, a fresh choice for every occurrence. A leading ``~`` marks a sentence that
goes against the crowd of its phase (calming, sceptical, still complaining after the fix); a post
of several sentences never mixes it with the crowd's own, so that no post contradicts itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Slots every template may use. Weibo bracket emoticons are the site's own ``[名称]`` codes.
COMMON_SLOTS: dict[str, tuple[str, ...]] = {
    "emo_neg": ("[怒]", "[抓狂]", "[泪]", "[衰]", "[生病]", "[允悲]", "[吐]", "[哼]", "[费解]"),
    "emo_pos": ("[赞]", "[心]", "[哈哈]", "[鼓掌]", "[good]", "[太开心]", "[爱你]", "[给力]", "[微笑]"),
    "emo_any": ("[doge]", "[二哈]", "[吃瓜]", "[思考]", "[笑cry]", "[并不简单]", "[微笑]", "[泪]"),
    "when": ("今天", "今早", "昨晚", "这两天", "刚才", "今天下午", "一大早", "中午"),
    "very": ("太", "真的太", "实在是", "特别", "简直", "真是"),
    "pls": ("希望", "恳请", "麻烦", "请", "强烈建议", "拜托"),
    "town": ("柳湾镇", "石桥乡", "城关镇", "白鹭镇", "荷塘乡", "桂溪乡", "云岭镇"),
}

# Townships of the fictional county; "全县" marks county-wide items.
REGIONS: tuple[str, ...] = ("柳湾镇", "石桥乡", "城关镇", "白鹭镇", "荷塘乡", "桂溪乡", "云岭镇")

# Repost comments any scenario may use, before its own.
COMMON_REPOST_COMMENTS: tuple[str, ...] = (
    "转发微博",
    "转发微博",
    "转发微博",
    "同问",
    "扩散",
    "关注",
    "顶",
    "mark",
    "求后续",
    "[吃瓜]",
    "[doge]",
    "！！！",
    "真的假的",
    "有人管管吗",
)


@dataclass(frozen=True, slots=True)
class Official:
    """A post by one of the county's own accounts, ``hours`` after the scenario's peak."""

    hours: float
    source: str
    source_kind: str
    author: str
    text: str
    title: str = ""
    mainstream: bool = False


@dataclass(frozen=True, slots=True)
class Scenario:
    """One story of the demo stream and the arc it follows.

    ``onset`` is where the story begins as a fraction of the stream's length; ``rise`` is the
    number of hours from the end of the slow first day to the peak; ``tau`` is the decay time (h)
    after the peak; ``peak`` is the hourly rate at the peak relative to the first day's rate.
    """

    key: str
    region: str
    n: int
    onset: float
    onset_hour: int
    rise: int
    tau: float
    peak: float
    topics: tuple[str, ...]
    slots: dict[str, tuple[str, ...]]
    early: tuple[str, ...]
    middle: tuple[str, ...]
    late: tuple[str, ...]
    repost_comments: tuple[str, ...]
    news_titles: tuple[str, ...]
    news_paragraphs: tuple[str, ...]
    forum_titles: tuple[str, ...]
    mailbox_letters: tuple[str, ...]
    wechat_titles: tuple[str, ...]
    officials: tuple[Official, ...]
    mention: str
    traditional: tuple[str, ...] = ()
    english: tuple[str, ...] = ()
    late_news_titles: tuple[str, ...] = ()
    late_paragraphs: tuple[str, ...] = ()
    late_wechat_titles: tuple[str, ...] = ()
    late_repost_comments: tuple[str, ...] = ()
    extra: dict[str, float] = field(default_factory=dict)


WATER = Scenario(
    key="water_outage",
    region="柳湾镇",
    n=820,
    onset=0.12,
    onset_hour=7,
    rise=13,
    tau=16.0,
    peak=70.0,
    topics=("#柳湾镇停水#", "#柳湾镇停水#", "#青禾停水#", "#柳湾镇什么时候来水#"),
    mention="@青禾县水务局",
    slots={
        "estate": ("柳湾新村", "滨江花园", "柳湾二村", "荷香苑", "南街片区", "金柳小区", "柳湾中学宿舍区"),
        "dur": ("一天", "两天", "三十多个小时", "一整天", "快两天", "二十多个小时", "整整一天一夜"),
        "who": ("老人", "孩子", "上班族", "我家老人", "楼上邻居", "坐月子的嫂子", "卧床的奶奶"),
        "need": ("做饭", "洗澡", "冲厕所", "洗衣服", "给孩子冲奶粉", "洗菜"),
    },
    early=(
        "{estate}怎么停水了？一早起来水龙头一滴水都没有",
        "有人知道{estate}停水到什么时候吗？没看到任何通知啊",
        "{when}{estate}突然停水，{need}都成问题",
        "柳湾镇是不是在修水管？{estate}没水了",
        "{estate}水压好低，接一盆水要十分钟",
        "又停水？{estate}这个月第二次了吧",
    ),
    middle=(
        "{estate}已经停水{dur}了，{who}连饭都做不了，到底什么时候来水？",
        "停水{dur}，没有任何通知，物业说不知道，自来水公司电话一直占线！",
        "家里{who}要用水，只能去亲戚家拎水，{very}难了",
        "柳湾镇停水{dur}了，附近超市的桶装水都卖光了",
        "能不能派送水车过来？{estate}几千户人家等着{need}",
        "停水可以理解，但至少提前通知一声吧，{very}不尊重人了",
        "水压低得可怜，半夜十一点才有一点点水流出来",
        "{estate}的业主群已经吵翻了，大家就想要个准确的来水时间",
        "{dur}没法{need}，天这么热，{who}受不了",
        "去镇上打水排了半小时队，{estate}的老人拎不动",
        "听说是主管道爆了，抢修的师傅在挖路，辛苦是辛苦，但信息能不能公开一点",
    ),
    late=(
        "来水了！{estate}终于来水了，感谢连夜抢修的师傅们",
        "水务局回应说是主管道爆裂，今晚能恢复，希望别再出问题",
        "来水了但是水有点黄，放了十分钟才清",
        "送水车到{estate}门口了，工作人员挺辛苦的，点个赞",
        "恢复供水了，但希望以后停水能提前通知",
        "管网老化的问题什么时候彻底解决？每年夏天都来一次",
        "~{estate}还是没水，别的小区都来了，我们这是被忘了吗？",
        "终于可以{need}了，这两天{very}煎熬",
    ),
    repost_comments=(
        "希望早点来水",
        "{estate}也停了",
        "同停水",
        "什么时候恢复供水？",
        "{pls}{mention}给个说法",
        "抢修辛苦了",
        "{need}都难",
    ),
    late_repost_comments=("终于来水了", "来水了", "感谢抢修师傅"),
    news_titles=(
        "柳湾镇部分片区停水 抢修工作连夜进行",
        "供水主管道爆裂 柳湾镇数千户居民用水受影响",
        "柳湾镇停水追踪：临时送水点已设立",
    ),
    late_news_titles=(
        "柳湾镇全面恢复供水 县水务局：将加快老旧管网改造",
        "停水之后：柳湾镇老旧供水管网改造提上日程",
    ),
    news_paragraphs=(
        "记者从县水务局了解到，柳湾镇一处供水主管道于{when}发生爆裂，{estate}、{estate}等片区出现"
        "停水或水压不足的情况。",
        "在{estate}，不少居民拎着水桶到临时送水点取水。一位居民告诉记者，家里已经停水{dur}，{need}都很不方便。",
        "县水务局表示，抢修人员已连续作业，将尽快恢复供水，并提醒居民来水初期先放水几分钟。",
        "有居民反映停水前未收到通知，对此相关负责人表示将改进停水信息发布方式。",
    ),
    forum_titles=(
        "{estate}停水{dur}了，有没有人管？",
        "求问柳湾镇什么时候来水",
        "柳湾镇停水，哪里可以打水？",
        "停水这件事，说几句心里话",
    ),
    mailbox_letters=(
        "尊敬的县长：您好！我是柳湾镇{estate}的居民。自{when}起小区停水已{dur}，家中有{who}，"
        "{need}极为不便，且停水前未收到任何通知。恳请相关部门尽快恢复供水，并建立停水提前告知机制。"
        "此致 敬礼！",
        "县长您好：柳湾镇{estate}供水管网老化，今年已多次停水。此次停水{dur}，居民生活受到很大影响。"
        "建议尽快安排老旧管网改造，并在停水期间设置送水点。望予以答复，谢谢！",
    ),
    wechat_titles=(
        "柳湾镇停水最新消息！这些小区请注意",
        "停水{dur}，柳湾人太难了",
    ),
    late_wechat_titles=("来水了！柳湾镇供水恢复，用水前请注意这几点",),
    late_paragraphs=(
        "经连夜抢修，柳湾镇供水主管道已修复，各片区逐步恢复供水。县水务局表示，将于年内完成该片区老旧管网改造。",
    ),
    officials=(
        Official(
            hours=2.5,
            source="青禾县水务局官方微博",
            source_kind="weibo",
            author="青禾县水务局",
            text="【停水情况通报】因柳湾镇供水主管道爆裂，柳湾新村、滨江花园、金柳小区等片区出现停水、"
            "水压不足情况。我局已组织抢修，预计今晚22时前恢复供水。抢修期间在各小区门口设置临时送水点。"
            "给群众带来不便，深表歉意。#柳湾镇停水#",
        ),
        Official(
            hours=9.0,
            source="青禾县水务局官方微博",
            source_kind="weibo",
            author="青禾县水务局",
            text="【恢复供水】经连夜抢修，柳湾镇供水主管道已修复，各片区已逐步恢复供水。来水初期水质"
            "可能浑浊，请居民放水几分钟后再使用。感谢大家的理解和支持！#柳湾镇停水#",
        ),
        Official(
            hours=26.0,
            source="青禾发布",
            source_kind="weibo",
            author="青禾发布",
            text="县政府召开专题会议研究柳湾镇供水问题，要求年内完成柳湾镇老旧供水管网改造，停水须提前"
            "24小时通过社区、微信群和短信告知居民。",
        ),
        Official(
            hours=30.0,
            source="青禾县县长信箱",
            source_kind="mailbox",
            author="青禾县水务局",
            title="关于柳湾镇停水问题的答复",
            text="您好！您反映的柳湾镇停水问题已收悉。此次停水系供水主管道爆裂所致，已于当晚恢复供水。"
            "我局将于年内完成该片区老旧管网改造，并建立停水提前告知机制。感谢您对供水工作的监督。",
        ),
    ),
    traditional=(
        "住在柳灣鎮的民宿突然停水了，老闆很客氣幫我們買了礦泉水",
        "柳灣鎮停水好像停了兩天，當地人說是水管爆了，遊客也要注意",
    ),
    english=(
        "Water has been off in Liuwan Town since yesterday. Does anyone know when it comes back?",
        "Our guesthouse in Liuwan has no water, the owner says a main pipe burst.",
    ),
)


SCHOOL = Scenario(
    key="school_admission",
    region="城关镇",
    n=700,
    onset=0.47,
    onset_hour=9,
    rise=11,
    tau=24.0,
    peak=55.0,
    topics=("#青禾学区划分#", "#青禾学区划分#", "#城关二小学区#", "#青禾入学#"),
    mention="@青禾县教育局",
    slots={
        "estate": ("锦绣华庭", "东湖湾", "学府一号", "翠苑小区", "和平里", "新城名邸", "北门老街"),
        "school": ("城关二小", "城关二小", "实验小学", "青禾三中", "城关一小"),
        "money": ("三万多一平", "两万八一平", "每平贵了五千", "多花了四十万"),
        "kid": ("孩子", "娃", "我家老大", "闺女", "儿子"),
    },
    early=(
        "听说今年学区要重新划分，{estate}不划给{school}了？",
        "有没有人看到今年的入学划片公示？{estate}归哪个学校",
        "{school}今年的招生范围好像变了，家长群里都在问",
        "{when}听说{estate}划到新学校了，是真的吗",
    ),
    middle=(
        "买房的时候说好的{school}学区，花了{money}，现在说划走就划走？",
        "{estate}划出{school}，{kid}明年上学怎么办？路上要多走四十分钟",
        "学区划分为什么不提前征求意见？公示期只有三天，{very}草率了",
        "{estate}的家长今天去教育局反映情况了，希望能有个合理的解释",
        "新学校还没建好就把{estate}划过去，{kid}去哪上课？",
        "理解要均衡教育资源，但不能让已经买了房的家庭承担全部代价",
        "同一条街，一边是{school}，另一边划到新学校，这个线是怎么画的？",
        "{kid}户口早就落在{estate}了，今年突然不算数，我想不通",
        "~其实新学校师资也不差，大家不要太焦虑，先看看教育局怎么说",
        "~学区房炒成这样，早该调整了，支持均衡划片",
    ),
    late=(
        "教育局发了说明，已经落户满三年的可以按原学区入学，还算合理",
        "过渡期政策出来了，{estate}的家长们可以松口气了",
        "新学校的校长是从{school}调过去的，希望真能办好",
        "教育局的回应来得有点晚，但总算有个说法",
        "~还是觉得划片不透明，应该公开划分依据",
        "参加了教育局的家长座谈会，解释得比较清楚，{kid}的事算定了",
    ),
    repost_comments=(
        "家长们都关注一下",
        "{estate}的家长在吗",
        "坐等教育局回应",
        "{pls}{mention}公开划片依据",
        "太难了",
        "支持均衡教育",
    ),
    late_repost_comments=("过渡政策还算合理", "总算有个说法"),
    news_titles=(
        "青禾县公布今年义务教育学区划分方案",
        "学区调整引关注 家长盼过渡政策",
        "新学校建设进度如何？记者实地探访",
    ),
    late_news_titles=(
        "县教育局：落户满三年家庭可按原学区入学",
        "学区划分家长座谈会召开 教育局回应五大关切",
    ),
    news_paragraphs=(
        "根据县教育局近日公示的方案，{estate}等小区今年将从{school}划入新建的城南小学招生范围。",
        "部分家长认为方案公示时间过短，未充分征求意见；也有家长表示支持均衡配置教育资源。",
        "县教育局相关负责人表示，学区调整以就近入学和学位供给为依据，将认真研究家长意见。",
        "记者在城南小学建设现场看到，教学楼主体已经完工，正在进行内部装修。",
    ),
    forum_titles=(
        "{estate}划出{school}，家长们怎么看？",
        "学区划分到底按什么标准？",
        "城南小学到底怎么样，有了解的吗",
        "说说学区房这件事",
    ),
    mailbox_letters=(
        "尊敬的县长：我是城关镇{estate}的业主。购房时该小区属{school}学区，今年划分方案将其调出，"
        "且公示期仅三天。恳请公开划片依据，并对已落户家庭设置过渡期。此致 敬礼！",
        "县长您好：关于今年学区划分，建议教育部门召开家长座谈会，听取{estate}等小区居民意见，"
        "同时公开新学校的师资配置和建设进度，以消除家长顾虑。谢谢！",
    ),
    wechat_titles=(
        "重磅！青禾县今年学区划分方案公布",
        "学区划分，家长最关心的8个问题",
    ),
    late_wechat_titles=("最新！教育局回应学区划分：设置三年过渡期",),
    late_paragraphs=("县教育局随后发布说明，对户籍及房产在原学区满三年的家庭设置过渡期，今年仍可按原学区入学。",),
    officials=(
        Official(
            hours=5.0,
            source="青禾县教育局官方微博",
            source_kind="weibo",
            author="青禾县教育局",
            text="【关于今年义务教育学区划分的说明】今年学区调整依据学位供给和就近入学原则制定。考虑到"
            "家长关切，对户籍及房产在原学区满三年的家庭，今年仍可按原学区入学。欢迎通过12345热线反映意见。"
            "#青禾学区划分#",
        ),
        Official(
            hours=28.0,
            source="青禾发布",
            source_kind="weibo",
            author="青禾发布",
            text="县教育局召开学区划分家长座谈会，40余名家长代表参加。会上公布了划片依据、城南小学师资"
            "配置和建设进度，城南小学将于8月底前具备开学条件。",
        ),
        Official(
            hours=34.0,
            source="青禾县县长信箱",
            source_kind="mailbox",
            author="青禾县教育局",
            title="关于学区划分问题的答复",
            text="您好！来信收悉。今年学区划分方案已设置三年过渡期，符合条件的家庭可按原学区入学。"
            "划片依据已在县教育局网站公开。感谢您的意见和建议。",
        ),
    ),
    english=("Parents in Qinghe are upset about the new school zoning, the notice period was only three days.",),
)


ROAD = Scenario(
    key="road_works",
    region="白鹭镇",
    n=620,
    onset=0.05,
    onset_hour=7,
    rise=12,
    tau=16.0,
    peak=60.0,
    topics=("#滨河路施工#", "#滨河路施工#", "#青禾堵车#", "#白鹭镇交通#"),
    mention="@青禾交警",
    slots={
        "road": ("滨河路", "滨河路", "滨河路西段", "滨河路东段", "滨河路与青禾大道路口"),
        "mins": ("四十分钟", "一个多小时", "半个多小时", "快一小时", "五十分钟"),
        "veh": ("公交", "电动车", "私家车", "送孩子的车", "外卖小哥"),
    },
    early=(
        "{road}开始围挡施工了，要修多久啊？",
        "{when}路过{road}，一半车道被围起来了",
        "{road}在挖路，是要铺管道吗",
        "白鹭镇这边怎么突然修路了，没看到公告",
    ),
    middle=(
        "{road}堵了{mins}，上班又要迟到了{emo_neg}",
        "早高峰{road}根本走不动，{veh}全挤在一条道上",
        "施工就施工，能不能把绕行路线标清楚？{very}乱了",
        "{road}修路晚上还在施工，噪音吵得睡不着",
        "从白鹭镇到县城平时十分钟，今天走了{mins}",
        "{road}路口连个交警都没有，{veh}乱穿，太危险了",
        "修路是好事，但工期能不能公布一下？",
        "雨天{road}施工段全是泥，{veh}差点滑倒",
        "学校门口也在施工，接孩子的车排了好长",
    ),
    late=(
        "交警发了绕行方案，走白鹭大道快多了",
        "{road}早高峰有交警疏导了，比前几天顺畅",
        "听说{road}施工是为了改造雨污管网，忍一忍吧",
        "夜间施工改到十点前结束了，感谢回应",
        "~{road}还是堵，绕行的路也堵了",
        "工期说一个月，希望能按时完成",
    ),
    repost_comments=(
        "堵死了",
        "绕行吧各位",
        "{road}别走了",
        "{pls}{mention}派人疏导",
        "修路辛苦，但是太堵了",
        "收到，改道",
    ),
    news_titles=(
        "滨河路雨污分流改造工程开工",
        "滨河路施工致早高峰拥堵 市民盼科学组织",
    ),
    late_news_titles=(
        "交警发布滨河路施工期间绕行指引",
        "滨河路改造工程进度过半 夜间施工时间调整",
    ),
    news_paragraphs=(
        "滨河路雨污分流改造工程近日开工，施工期间{road}部分车道封闭，预计工期一个月。",
        "早高峰期间，{road}一带车流缓慢，不少市民反映通行时间比平时多出{mins}。",
        "县交警大队提醒，施工期间请市民提前规划出行路线，尽量选择白鹭大道等道路绕行。",
        "施工单位表示，将合理安排工序，尽量减少对周边居民出行和休息的影响。",
    ),
    forum_titles=(
        "{road}施工，大家都怎么绕？",
        "白鹭镇修路要修到什么时候",
        "夜里施工太吵了，找谁反映？",
    ),
    mailbox_letters=(
        "尊敬的县长：{road}施工以来，早晚高峰拥堵严重，且夜间施工至凌晨，影响周边居民休息。"
        "建议公布工期和绕行方案，高峰时段安排交警疏导，夜间施工限定时间。此致 敬礼！",
    ),
    wechat_titles=("注意！{road}施工，这些路段请绕行",),
    late_wechat_titles=("白鹭镇修路最新进展来了",),
    late_paragraphs=("县交警大队已发布绕行指引，早晚高峰在{road}安排警力疏导，夜间22时后停止高噪音作业。",),
    officials=(
        Official(
            hours=14.0,
            source="青禾交警官方微博",
            source_kind="weibo",
            author="青禾交警",
            text="【出行提示】滨河路雨污分流改造施工期间，东段实行半幅通行，早晚高峰安排警力疏导。"
            "建议过往车辆经白鹭大道、环城北路绕行。#滨河路施工#",
        ),
        Official(
            hours=30.0,
            source="青禾发布",
            source_kind="weibo",
            author="青禾发布",
            text="针对群众反映的滨河路施工噪音问题，县住建局要求施工单位夜间22时后停止高噪音作业，"
            "并公布工期：预计下月15日前完工。",
        ),
    ),
    traditional=(
        "從青禾縣城開車去荷塘鄉，濱河路在施工，塞了一個多小時",
        "白鷺鎮修路，計程車司機說要繞路，多花了二十塊",
    ),
    english=("Binhe Road in Qinghe is under construction, expect an hour of traffic jam in the morning.",),
)


FESTIVAL = Scenario(
    key="lotus_festival",
    region="荷塘乡",
    n=720,
    onset=0.62,
    onset_hour=10,
    rise=34,
    tau=26.0,
    peak=50.0,
    topics=("#青禾荷花节#", "#青禾荷花节#", "#荷塘乡荷花节#", "#夏日青禾#"),
    mention="@青禾文旅",
    slots={
        "spot": ("万亩荷塘", "荷花栈道", "古渡口", "荷塘老街", "观荷亭", "莲子湖"),
        "show": ("灯光秀", "荷灯夜游", "非遗表演", "渔歌对唱", "荷花摄影展", "莲子宴"),
        "food": ("莲子羹", "荷叶饭", "藕粉", "荷花酥", "莲藕排骨汤"),
        "who": ("带娃", "带爸妈", "和闺蜜", "一家人", "和对象"),
    },
    early=(
        "听说今年荷塘乡荷花节要开幕了，有{show}",
        "{spot}的荷花开了几朵了，下周应该是最好看的时候",
        "荷花节是这个周末吗？想{who}去",
        "{when}去{spot}踩点，荷花刚开，人还不多",
    ),
    middle=(
        "{who}去了荷花节，{spot}{very}美了{emo_pos}",
        "晚上的{show}绝了！拍了好多照片{emo_pos}",
        "荷花节的{food}好吃，推荐大家尝尝",
        "{spot}人山人海，不过荷花是真的好看",
        "荷花节停车太难了，找车位找了半小时{emo_neg}",
        "{show}好有氛围，青禾终于有个拿得出手的节了",
        "门票免费，志愿者很热情，点赞荷塘乡{emo_pos}",
        "{spot}的栈道太挤了，希望能限流",
        "第一次参加荷花节，{food}和{show}都很惊喜",
        "厕所排队排了二十分钟，其他都挺好",
        "拍到了超美的日落荷塘，分享给大家 {url}",
    ),
    late=(
        "荷花节太值了，明年还来{emo_pos}",
        "文旅局说下周末加开{show}，还没去的抓紧",
        "荷花节期间增开了接驳车，比第一天方便多了",
        "垃圾清理得很干净，环卫工人辛苦了",
        "荷塘乡这次真的火了，希望民宿别涨价太多",
    ),
    repost_comments=(
        "好美",
        "周末去",
        "想去！",
        "{emo_pos}",
        "已收藏",
        "荷花节yyds",
        "带上爸妈一起去",
    ),
    news_titles=(
        "第五届青禾荷花节在荷塘乡开幕",
        "荷花节首日迎客逾两万人次",
        "荷塘乡：一朵荷花带火一方乡村旅游",
    ),
    late_news_titles=(
        "荷花节接驳专线开通 周末加开荷灯夜游",
        "荷花节首周末客流创新高 乡村旅游带动增收",
    ),
    news_paragraphs=(
        "第五届青禾荷花节在荷塘乡{spot}开幕，{show}、{show}等活动吸引大批游客。",
        "游客们漫步{spot}，品尝{food}，不少人{who}前来赏荷。",
        "荷塘乡相关负责人介绍，今年荷花节持续两周，周末晚间还将举办{show}。",
    ),
    late_paragraphs=("针对首日停车难问题，县文旅局开通接驳专线，并在周边增设临时停车位600个。",),
    forum_titles=(
        "荷花节攻略：停车、美食、拍照机位",
        "{who}去荷花节，分享一下",
        "荷花节值得去吗？",
    ),
    mailbox_letters=(
        "尊敬的县长：荷花节办得很成功，为家乡增光。建议增设接驳车和临时厕所，{spot}栈道高峰时段"
        "适当限流，保障游客安全。谢谢！",
    ),
    wechat_titles=(
        "荷花节来了！最全赏荷攻略请收好",
        "美哭了！航拍青禾万亩荷塘",
    ),
    late_wechat_titles=("荷花节加开{show}，时间定了", "荷花节接驳专线开通，时刻表来了"),
    officials=(
        Official(
            hours=3.0,
            source="青禾文旅官方微博",
            source_kind="weibo",
            author="青禾文旅",
            text="【荷花节出行提示】为方便游客，自明日起开通县城至荷塘乡荷花节接驳专线，每20分钟一班。"
            "周末晚间加开荷灯夜游，栈道高峰时段实行分时限流。#青禾荷花节#",
        ),
        Official(
            hours=24.0,
            source="青禾发布",
            source_kind="weibo",
            author="青禾发布",
            text="感谢游客朋友们对第五届青禾荷花节的喜爱！荷花节期间已增设临时停车位600个、移动厕所30座，"
            "欢迎大家文明赏荷。#青禾荷花节#",
        ),
    ),
    traditional=(
        "荷塘鄉的荷花節真的很值得去，晚上的燈光秀超美",
        "第一次來青禾縣，荷花節的蓮子羹好好喝，當地人也很親切",
        "荷花節人好多，棧道有點擠，建議平日來",
        "推薦荷塘老街，古色古香，荷花酥必買",
        "帶爸媽去荷花節，接駁車很方便，志工很熱心",
    ),
    english=(
        "The lotus festival in Hetang is lovely, the lantern show at night is a must see.",
        "Went to the Qinghe lotus festival with friends, great food but parking was a nightmare.",
    ),
)


RUMOUR = Scenario(
    key="food_rumour",
    region="石桥乡",
    n=700,
    onset=0.33,
    onset_hour=20,
    rise=14,
    tau=14.0,
    peak=75.0,
    topics=("#石桥农贸市场#", "#青禾食品安全#", "#石桥农贸市场#"),
    mention="@青禾县市场监管",
    slots={
        "food": ("注胶虾", "病死猪肉", "染色馒头", "假鸡蛋"),
        "stall": ("水产摊", "肉摊", "东头那几家摊位", "二楼的批发档口"),
        "kid": ("孩子", "家里老人", "全家"),
    },
    early=(
        "听说石桥农贸市场在卖{food}，有人吃了住院了？",
        "群里在传石桥农贸市场{stall}有{food}，真的假的",
        "紧急扩散：石桥农贸市场{stall}卖{food}，大家别去买了！",
        "看到一个视频说石桥市场的{food}，吓得我不敢买菜了",
    ),
    middle=(
        "紧急扩散！石桥农贸市场{stall}卖{food}，已经有人吃出问题了，转给家人！",
        "扩散！石桥农贸市场发现{food}，{kid}千万别吃！",
        "石桥农贸市场的{food}到底有没有人管？{very}吓人了{emo_neg}",
        "昨天刚在石桥市场买了虾，{kid}都吃了，现在好慌",
        "~不信谣不传谣，等官方通报，别看到什么就转",
        "~我在石桥市场卖了十年菜，从来没见过{food}，别乱传了",
        "~这种视频一看就是别的地方的，配的字是石桥而已",
        "市场里今天人少了一大半，摊主们都在叹气",
        "~有没有懂行的说说，{food}能看出来吗？",
        "监管部门能不能出来说句话，现在谣言满天飞",
    ),
    late=(
        "市场监管局辟谣了，视频是外地几年前的，石桥市场抽检全部合格",
        "原来是谣言，害得摊主们生意都没了",
        "看了通报放心了，造谣的人应该被处理",
        "辟谣是辟谣了，但日常抽检结果也应该定期公开",
        "以后看到这种“紧急扩散”先等等官方消息",
        "今天去石桥市场买了菜，人又多起来了{emo_pos}",
    ),
    repost_comments=(
        "扩散",
        "紧急扩散",
        "转给家人",
        "真的假的？",
        "{pls}{mention}核实",
        "别信谣",
    ),
    late_repost_comments=("辟谣了，别再传了", "原来是谣言", "造谣的该罚"),
    news_titles=("石桥农贸市场“问题食品”传言引关注",),
    late_news_titles=(
        "县市场监管局：网传石桥农贸市场销售问题食品系谣言",
        "石桥农贸市场抽检结果公布 46批次全部合格",
        "网传视频系外地旧闻 造谣者被依法处理",
    ),
    news_paragraphs=(
        "近日，网络上流传一段视频，称石桥农贸市场{stall}销售{food}，引起部分市民担忧。",
        "记者走访石桥农贸市场发现，市场客流较平日明显减少，多名摊主表示生意受到影响。",
        "多名市民表示，希望有关部门尽快核实并公布结果。",
    ),
    late_paragraphs=(
        "县市场监管局对市场内水产、肉类等摊位开展抽检，46批次样品检测结果全部合格。",
        "经核查，网传视频系外地多年前旧闻，与石桥农贸市场无关。警方已对造谣者依法处理。",
    ),
    forum_titles=(
        "石桥市场{food}是真的吗？",
        "关于石桥农贸市场的传言，说点实话",
        "辟谣了！石桥市场的事是假的",
    ),
    mailbox_letters=(
        "尊敬的县长：近日网传石桥农贸市场销售{food}，群众十分担忧。恳请市场监管部门尽快核查并公开"
        "结果，如属谣言请及时辟谣，如属实请严肃处理。此致 敬礼！",
    ),
    wechat_titles=("石桥农贸市场{food}？真相来了",),
    late_wechat_titles=("官方辟谣！石桥农贸市场传言不实",),
    officials=(
        Official(
            hours=3.0,
            source="青禾县市场监督管理局官方微博",
            source_kind="weibo",
            author="青禾县市场监管",
            text="【辟谣】近日网传“石桥农贸市场销售注胶虾、病死猪肉”的视频，经我局核查，该视频系外地"
            "多年前旧闻，与石桥农贸市场无关。我局当日对市场46批次水产、肉类样品进行抽检，结果全部合格。"
            "请广大群众不信谣、不传谣。#石桥农贸市场#",
        ),
        Official(
            hours=10.0,
            source="青禾发布",
            source_kind="weibo",
            author="青禾发布",
            text="【警情通报】网民王某（男，32岁）为吸引流量，将外地旧视频配以“石桥农贸市场”字样在网上"
            "传播，造成不良影响。公安机关已依法对其行政处罚。",
        ),
        Official(
            hours=30.0,
            source="青禾县市场监督管理局官方微博",
            source_kind="weibo",
            author="青禾县市场监管",
            text="即日起，我局每周在官方微博公布全县农贸市场食品抽检结果，欢迎群众监督。本周石桥农贸市场"
            "抽检52批次，全部合格。",
        ),
    ),
    traditional=(
        "聽說石橋農貿市場的蝦有問題？後來看到官方闢謠了",
        "網路上傳石橋市場賣注膠蝦，結果是外地舊影片，大家別亂傳",
    ),
    english=("A rumour about bad shrimp at Shiqiao market turned out to be fake, officials say tests were fine.",),
)

SCENARIOS: tuple[Scenario, ...] = (WATER, SCHOOL, ROAD, FESTIVAL, RUMOUR)


# Background chatter: spread evenly over the stream, no arc.
BACKGROUND_N = 900
BACKGROUND_TOPICS: tuple[str, ...] = ("#青禾天气#", "#青禾生活#", "#我的家乡青禾#", "#青禾美食#")
BACKGROUND_SLOTS: dict[str, tuple[str, ...]] = {
    "weather": ("下雨", "闷热", "大太阳", "雷阵雨", "起雾", "凉快"),
    "food": ("米粉", "包子", "豆浆油条", "烧饼", "鱼头汤", "炒粉", "馄饨"),
    "place": ("滨河公园", "青禾广场", "老街", "体育馆", "图书馆", "夜市", "云岭山"),
    "thing": ("广场舞音响", "小区停车", "楼下烧烤摊", "流浪狗", "共享单车乱停", "快递柜不够"),
    "praise": ("环卫工人", "公交司机", "社区网格员", "医院的护士", "派出所民警", "志愿者"),
}
BACKGROUND_TEXTS: tuple[str, ...] = (
    "{when}青禾又{weather}了，出门记得带伞",
    "{when}{town}{weather}，这天气{very}难捉摸了",
    "青禾的{food}还是那个味，一早吃一碗舒服{emo_pos}",
    "{town}新开了一家{food}店，排队的人好多",
    "晚上去{place}散步，人好多，很热闹",
    "周末带孩子去{place}，环境比以前好多了{emo_pos}",
    "{thing}的问题什么时候能管管？{emo_neg}",
    "{town}的{thing}{very}烦人了，每天都这样",
    "给{praise}点个赞，{when}帮了我大忙{emo_pos}",
    "{praise}{very}辛苦了，大热天还在忙",
    "{place}的夜景越来越好看了",
    "又是上班的一天，{town}早高峰还行",
    "{town}的老人活动中心装修好了，爸妈天天去",
    "县医院挂号现在可以用手机了，方便多了",
    "{when}在{place}看到有人钓鱼，一下午钓了好几条{emo_any}",
    "青禾这两年变化挺大的，{place}修得很漂亮",
    "{town}菜价这两天涨了一点，{food}也贵了",
    "{thing}，说了好几次都没用",
    "今天{weather}，在家躺平{emo_any}",
    "外地朋友来青禾，带他去吃了{food}，赞不绝口",
)
BACKGROUND_TRADITIONAL: tuple[str, ...] = (
    "青禾縣的早餐好便宜，一碗米粉才八塊",
    "第一次來青禾縣旅遊，老街很有味道",
    "雲嶺山的步道很好走，風景不錯，推薦",
    "青禾的夜市小吃很多，滷味跟炒粉都好吃",
    "在青禾廣場看到跳廣場舞的阿姨們，好有活力",
)
BACKGROUND_ENGLISH: tuple[str, ...] = (
    "Rainy day again in Qinghe County. The riverside park is still beautiful though.",
    "Tried the rice noodles at the old street in Qinghe, cheap and delicious.",
    "Hiking on Yunling mountain this weekend, great views over the county.",
)
BACKGROUND_REPOSTS: tuple[str, ...] = ("转发微博", "哈哈哈", "同感", "[赞]", "是的", "+1", "真的")
