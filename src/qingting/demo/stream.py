"""Build the demo stream: a deterministic, time-ordered list of FICTIONAL public posts.

The county (青禾县), its townships, accounts, media and people are all invented; see
``docs/demo.md``. Nothing here reads a file or the network, and the output for a given seed and
arguments is the same byte for byte on every run and machine (all randomness comes from
:class:`random.Random` seeded with a string, which does not depend on ``PYTHONHASHSEED``).
"""

from __future__ import annotations

import itertools
import json
import math
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from qingting.demo._scenarios import (
    BACKGROUND_ENGLISH,
    BACKGROUND_N,
    BACKGROUND_REPOSTS,
    BACKGROUND_SLOTS,
    BACKGROUND_TEXTS,
    BACKGROUND_TOPICS,
    BACKGROUND_TRADITIONAL,
    COMMON_REPOST_COMMENTS,
    COMMON_SLOTS,
    REGIONS,
    SCENARIOS,
    Scenario,
)

CST = timezone(timedelta(hours=8), "CST")
DEFAULT_START = datetime(2026, 6, 15, 0, 0, tzinfo=CST)

SOURCE_KINDS: tuple[str, ...] = ("weibo", "news", "forum", "mailbox", "wechat")

# Sources, all invented. (name, mainstream)
WEIBO_SOURCE = "微博·青禾同城"
FORUM_SOURCE = "青禾论坛"
VISITOR_FORUM_SOURCE = "旅人茶館·青禾版"  # a Hong Kong/Taiwan-style visitor forum, Traditional
EXPAT_FORUM_SOURCE = "Qinghe Expat Forum"
MAILBOX_SOURCE = "青禾县县长信箱"
NEWS_SOURCES: tuple[tuple[str, bool, float], ...] = (
    ("青禾日报", True, 4.0),
    ("青禾融媒", True, 3.0),
    ("青禾生活网", False, 2.0),
    ("青禾晚报", True, 1.0),
)
WECHAT_SOURCES: tuple[str, ...] = ("青禾身边事", "青禾吃喝玩乐", "柳湾那些事", "青禾头条号")

SUBJECTS: dict[str, str] = {
    "water_outage": "柳湾镇停水问题",
    "school_admission": "学区划分问题",
    "road_works": "滨河路施工问题",
    "lotus_festival": "荷花节的几点建议",
    "food_rumour": "石桥农贸市场食品安全传言",
}

BACKGROUND_NEWS: tuple[tuple[str, str], ...] = (
    ("青禾县部署防汛工作 确保安全度汛", "县政府召开防汛工作会议，要求各乡镇落实24小时值班制度，加强河道巡查。"),
    ("城关镇新建三个口袋公园", "城关镇利用闲置地块新建三个口袋公园，为周边居民提供休闲去处。"),
    ("青禾县医院开通手机挂号", "县医院开通手机预约挂号服务，市民可通过公众号选择科室和时段。"),
    ("云岭镇茶叶喜获丰收", "云岭镇今年春茶产量同比增长，茶农收入稳步提高。"),
    ("桂溪乡农村公路提档升级", "桂溪乡完成12公里农村公路改造，村民出行更加方便。"),
)

# Relative activity by local hour of day: people sleep, then read at breakfast, lunch and evening.
DIURNAL: tuple[float, ...] = (
    0.35, 0.2, 0.12, 0.1, 0.1, 0.15, 0.35, 0.7, 0.95, 1.0, 1.0, 1.0,
    1.05, 0.95, 0.9, 0.9, 0.95, 1.0, 1.1, 1.25, 1.35, 1.3, 1.0, 0.65,
)  # fmt: skip

_SLOT = re.compile(r"\{(\w+)\}")
_URL_CHARS = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_EMOJI = ("😭", "👍", "🙏", "😡", "😂", "🌸", "❤️", "🤔")
_SENTENCE_END = "。！？!?~」）)]…"
# Openers and closers people wrap around what they say, by mood; they make one story's posts differ
# the way real posts do, so that only real copies look like near-duplicates.
_OPENERS: dict[str, tuple[str, ...]] = {
    "emo_neg": ("说真的，", "唉，", "无语，", "有没有人管管？", "求助：", "我就想问，", "家人们，", "服了，",
                "讲道理，", "一肚子火：", "不吐不快，", "实名反映："),
    "emo_pos": ("哇，", "真心推荐：", "太惊喜了！", "家人们，", "安利一下：", "终于去了！", "打卡：",
                "不得不说，", "夸一下，"),
    "emo_any": ("问一下，", "讲真，", "话说，", "刚看到，", "插一句，", "有人知道吗？", "记录一下：",
                "听邻居说，", "坐标{town}，"),
}  # fmt: skip
_CLOSERS: dict[str, tuple[str, ...]] = {
    "emo_neg": ("大家评评理", "有同样情况的吗？", "气死了", "心累", "什么时候是个头", "顶上去让更多人看到",
                "谁来管管", "无力吐槽", "已经打了12345"),
    "emo_pos": ("强烈推荐", "下次还来", "开心", "值得", "好评", "拍照超出片", "爱了爱了"),
    "emo_any": ("大家怎么看", "坐等后续", "蹲一个结果", "先记下", "有知道的说一声", "以上", "仅供参考"),
}  # fmt: skip


@dataclass(slots=True)
class _Post:
    """A record under construction; ``parent`` is the object reposted, resolved to an id later."""

    t: int  # seconds since the stream start
    scenario: str
    order: int  # scenario index, to break time ties deterministically
    seq: int
    source: str
    source_kind: str
    author: str
    text: str
    title: str = ""
    mainstream: bool = False
    region: str = ""
    lang: str = "zh"
    script: str = "Hans"
    engagement: int = 0
    parent: _Post | None = None
    official: bool = False
    copy: bool = False
    popularity: float = 1.0
    extra: dict[str, Any] = field(default_factory=dict)


def _handles(rng: random.Random, n: int) -> list[str]:
    """Invented user handles in the style of Chinese social media; never a real person's name."""
    heads = ("小", "阿", "老", "大", "爱吃", "不吃", "一只", "会飞的", "安静的", "青禾", "柳湾", "石桥", "荷塘")
    nouns = (
        "鱼", "猫", "土豆", "包子", "西瓜", "星星", "茉莉", "橘子", "月亮", "饺子", "兔子", "麦穗",
        "晚风", "白云", "咸鱼", "豆浆", "柚子", "松果", "海棠", "莲蓬",
    )  # fmt: skip
    tails = ("", "", "儿", "酱", "君", "_", "呀", "本人", "同学")
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        roll = rng.random()
        if roll < 0.2:
            handle = f"用户{rng.randrange(1000000000, 9999999999)}"
        elif roll < 0.3:
            handle = f"qh_{rng.choice(('river', 'lotus', 'tea', 'rain', 'moon'))}{rng.randrange(10, 9999)}"
        else:
            handle = rng.choice(heads) + rng.choice(nouns) + rng.choice(tails)
            if rng.random() < 0.5:
                handle += str(rng.randrange(1, 2030))
        if handle not in seen:
            seen.add(handle)
            out.append(handle)
    return out


class _Writer:
    """Fills templates and composes texts for one story, from its own random generator."""

    def __init__(self, rng: random.Random, slots: Mapping[str, Sequence[str]], mention: str, topics: Sequence[str]):
        self.rng = rng
        self.slots = slots
        self.mention = mention
        self.topics = topics

    def fill(self, template: str) -> str:
        """Replace each ``{slot}`` with a fresh choice (a URL, mention or topic for those names)."""

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name == "url":
                return self.url()
            if name == "mention":
                return self.mention
            if name == "topic":
                return self.rng.choice(self.topics)
            return self.rng.choice(self.slots[name])

        return _SLOT.sub(one, template.removeprefix("~"))

    def url(self) -> str:
        return "http://t.cn/A6" + "".join(self.rng.choice(_URL_CHARS) for _ in range(6))

    def weibo(self, pool: Sequence[str], mood: str) -> str:
        """One Weibo-style post: a sentence or two, with topics, emoticons, mentions, URLs."""
        rng = self.rng
        first = rng.choice(pool)
        text = self.fill(first)
        if rng.random() < 0.45:
            text = self.fill(rng.choice(_OPENERS[mood])) + text
        if rng.random() < 0.4:
            text = _end(text) + rng.choice(_CLOSERS[mood])
        if rng.random() < 0.3:
            second = rng.choice(_same_stance(pool, first))
            if second != first:
                text = _end(text) + self.fill(second)
        if rng.random() < 0.45:
            topic = rng.choice(self.topics)
            text = topic + text if rng.random() < 0.7 else _end(text) + topic
        if rng.random() < 0.5:
            text += self.fill("{" + mood + "}") * (1 + (rng.random() < 0.25))
        elif rng.random() < 0.15:
            text += rng.choice(_EMOJI)
        if self.mention and rng.random() < 0.18:
            text += " " + self.mention
        if rng.random() < 0.08:
            text += " " + self.url()
        return text

    def paragraphs(self, pool: Sequence[str], k: int) -> str:
        """``k`` distinct paragraphs from ``pool``, in the pool's order (as an article reads)."""
        picks = sorted(self.rng.sample(range(len(pool)), min(k, len(pool))))
        return "\n".join(self.fill(pool[i]) for i in picks)


def _english_title(text: str) -> str:
    """A forum thread title: the post's first clause."""
    return re.split(r"[,.?!]", text, maxsplit=1)[0]


def _english_handle(rng: random.Random) -> str:
    names = ("lotus_lover", "riverwalker", "tea_and_trails", "expat_in_qinghe", "slowtraveller", "noodlehunter")
    return f"{rng.choice(names)}{rng.randrange(10, 99)}"


def _same_stance(pool: Sequence[str], first: str) -> list[str]:
    """The sentences of ``pool`` on the same side as ``first`` (``~`` marks the dissenting side)."""
    side = first.startswith("~")
    return [t for t in pool if t.startswith("~") == side]


def _end(text: str) -> str:
    """``text`` closed with a full stop unless it already ends a sentence."""
    return text if not text or text[-1] in _SENTENCE_END else text + "。"


def _near_copy(rng: random.Random, text: str, mention: str, topics: Sequence[str]) -> str:
    """Copy-paste with a small edit or two, as people re-post a text by hand."""
    out = text
    for _ in range(1 + (rng.random() < 0.4)):
        edit = rng.randrange(7)
        if edit == 0:
            out = rng.choice(("扩散！", "转：", "急！", "大家看看：", "求扩散 ", "【转】")) + out
        elif edit == 1:
            out = out + rng.choice((" +1", " 同问", "！！", " 转需", "[泪]", "[怒]", "，一样"))
        elif edit == 2:
            out = out.replace("，", ",", 1).replace("！", "!!", 1)
        elif edit == 3 and mention:
            out = out + " " + mention
        elif edit == 4:
            out = re.sub(r"(\[[^\]]+\]|http://t\.cn/\w+)\s*$", "", out) or out
        elif edit == 5:
            out = rng.choice(topics) + out
        else:
            out = out.replace("。", "，", 1) + rng.choice(("", "。", "..."))
    return out


def _hour_weights(sc: Scenario, hours: int, days: int, hour0: int) -> tuple[list[float], int, int]:
    """Hourly intensity of a story: a slow first day, an exponential burst, a peak, a decline."""
    # ``hour0`` is the local hour at which the stream starts; onsets are set in local time of day.
    onset = min(int(sc.onset * days) * 24 + (sc.onset_hour - hour0) % 24, max(hours - 1, 0))
    peak_at = onset + 24 + sc.rise
    weights: list[float] = []
    for h in range(hours):
        rel = h - onset
        if rel < 0:
            w = 0.0
        elif rel < 24:
            w = 1.0
        elif h < peak_at:
            w = sc.peak ** ((rel - 24) / sc.rise)
        else:
            w = sc.peak * math.exp(-(h - peak_at) / sc.tau) + 0.4
        weights.append(w * DIURNAL[(h + hour0) % 24])
    return weights, onset, peak_at


def _times(rng: random.Random, weights: Sequence[float], n: int) -> list[int]:
    if n <= 0 or not any(weights):
        return []
    hours = rng.choices(range(len(weights)), weights=weights, k=n)
    return sorted(h * 3600 + rng.randrange(3600) for h in hours)


def _pareto(rng: random.Random, alpha: float, scale: float, cap: int) -> int:
    return min(int(rng.paretovariate(alpha) * scale), cap)


def _story(
    sc: Scenario, order: int, rng: random.Random, handles: Sequence[str], hweights: Sequence[float], days: int,
    scale: float, hour0: int,
) -> list[_Post]:  # fmt: skip
    """All posts of one scenario, in time order, reposts pointing to earlier posts."""
    hours = days * 24
    weights, onset, peak_at = _hour_weights(sc, hours, days, hour0)
    slots = {**COMMON_SLOTS, **sc.slots}
    writer = _Writer(rng, slots, sc.mention, sc.topics)
    end = hours * 3600

    officials: list[_Post] = []
    for o in sc.officials:
        t = int(peak_at * 3600 + o.hours * 3600) + rng.randrange(600)
        local_hour = (t // 3600 + hour0) % 24
        if local_hour < 7:
            t += (8 - local_hour) * 3600  # offices publish in the morning, not at 3 a.m.
        if t >= end:
            continue  # the stream ends before this response; a shorter demo just lacks it
        officials.append(
            _Post(
                t=t, scenario=sc.key, order=order, seq=0, source=o.source, source_kind=o.source_kind,
                author=o.author, text=o.text, title=o.title, mainstream=o.mainstream, region=sc.region,
                engagement=rng.randrange(300, 3000), official=True, popularity=40.0,
            )
        )  # fmt: skip
    first_response = officials[0].t if officials else end
    first_day_end = (onset + 24) * 3600

    times = _times(rng, weights, max(round(sc.n * scale) - len(officials), 0))
    slots_in_order = sorted([(t, None) for t in times] + [(p.t, p) for p in officials], key=lambda x: x[0])
    posts: list[_Post] = []
    repostable: list[_Post] = []
    originals: list[_Post] = []
    news: list[_Post] = []
    trad_share = 0.09 if sc.key == "lotus_festival" else 0.03
    mood_middle = "emo_pos" if sc.key == "lotus_festival" else "emo_neg"

    for t, planned in slots_in_order:
        if planned is not None:
            post = planned
        else:
            phase = "early" if t < first_day_end else ("middle" if t < first_response else "late")
            if phase == "early":
                pool, mood = sc.early, "emo_any"
            elif phase == "middle":
                pool, mood = (sc.middle if rng.random() < 0.85 else sc.early), mood_middle
            else:
                pool, mood = (sc.late if rng.random() < 0.6 else sc.middle), "emo_any"
            author = rng.choices(handles, cum_weights=hweights)[0]
            post = _Post(t=t, scenario=sc.key, order=order, seq=0, source=WEIBO_SOURCE, source_kind="weibo",
                         author=author, text="", region=sc.region)  # fmt: skip
            roll = rng.random()
            if sc.traditional and roll < trad_share:
                post.text = rng.choice(sc.traditional)
                post.script = "Hant"
                if rng.random() < 0.6:
                    post.source, post.source_kind = VISITOR_FORUM_SOURCE, "forum"
                    post.title = re.split("[，,]", post.text)[0]
                    post.engagement = rng.randrange(0, 40)
                else:
                    post.engagement = _pareto(rng, 1.5, 2, 500)
            elif sc.english and roll < trad_share + 0.012:
                post.text = rng.choice(sc.english)
                post.lang, post.script = "en", "Latn"
                post.source, post.source_kind = EXPAT_FORUM_SOURCE, "forum"
                post.title, post.author = _english_title(post.text), _english_handle(rng)
                post.engagement = rng.randrange(0, 20)
            else:
                kind = rng.choices(SOURCE_KINDS, weights=(0.68, 0.02 if phase == "early" else 0.06, 0.1, 0.04, 0.05))[0]
                if kind == "weibo":
                    _weibo(post, rng, writer, pool, mood, repostable, originals, sc, phase == "late")
                elif kind == "news":
                    _news(post, rng, writer, sc, phase, pool, news)
                elif kind == "forum":
                    post.source, post.source_kind = FORUM_SOURCE, "forum"
                    post.title = writer.fill(rng.choice(sc.forum_titles))
                    said = _same_stance(pool, rng.choice(pool))
                    k = min(rng.randrange(2, 4), len(said))
                    post.text = writer.fill(rng.choice(_OPENERS[mood])) + "".join(
                        _end(writer.fill(s)) for s in rng.sample(said, k)
                    )
                    if rng.random() < 0.5:
                        post.text += rng.choice(_CLOSERS[mood])
                    post.engagement = _pareto(rng, 1.4, 3, 400)
                elif kind == "mailbox":
                    post.source, post.source_kind = MAILBOX_SOURCE, "mailbox"
                    post.title = "关于" + SUBJECTS[sc.key] + "的" + rng.choice(("反映", "建议", "求助", "咨询"))
                    post.text = _letter(rng, writer, sc, pool)
                    post.author = f"{sc.region}居民{rng.randrange(100, 999)}"
                else:
                    post.source, post.source_kind = rng.choice(WECHAT_SOURCES), "wechat"
                    post.author = post.source
                    late = phase == "late"
                    titles = sc.late_wechat_titles if late and sc.late_wechat_titles else sc.wechat_titles
                    post.title = writer.fill(rng.choice(titles))
                    post.text = writer.paragraphs(_paragraphs(sc, late), rng.randrange(2, 4))
                    post.text += "\n" + _quote(rng, writer, pool)
                    post.engagement = _pareto(rng, 1.2, 200, 100000)
        posts.append(post)
        if post.source_kind == "weibo":
            repostable.append(post)
            if post.parent is None and not post.copy and not post.official and post.script == "Hans":
                originals.append(post)
    return posts


def _weibo(
    post: _Post, rng: random.Random, writer: _Writer, pool: Sequence[str], mood: str,
    repostable: list[_Post], originals: list[_Post], sc: Scenario, late: bool,
) -> None:  # fmt: skip
    """Make ``post`` a Weibo original, a hand-made near-copy, or a repost of an earlier post."""
    roll = rng.random()
    if repostable and roll < 0.36:
        # Popular posts (official accounts, big originals) attract most reposts; recent ones too.
        recent = repostable[-300:]
        parent = rng.choices(recent, weights=[p.popularity for p in recent])[0]
        comments = COMMON_REPOST_COMMENTS + sc.repost_comments
        if late:
            comments += sc.late_repost_comments * 2
        comment = writer.fill(rng.choice(comments))
        post.parent = parent
        if parent.parent is not None:
            post.text = f"{'' if comment == '转发微博' else comment}//@{parent.author}:{parent.text}"
        else:
            post.text = comment
        post.engagement = _pareto(rng, 2.0, 1, 200) - 1
        post.popularity = 0.3
    elif originals and roll < 0.52:
        source = rng.choice(originals[-80:])
        post.text = _near_copy(rng, source.text, sc.mention, sc.topics)
        post.copy = True
        post.engagement = _pareto(rng, 1.6, 2, 1000)
        post.popularity = 0.8
    else:
        post.text = writer.weibo(pool, mood)
        post.engagement = _pareto(rng, 1.1, 3, 20000)
        post.popularity = min(rng.paretovariate(1.3), 30.0)


_SALUTATIONS = ("尊敬的县长：您好！", "县长您好：", "尊敬的领导：您好！", "尊敬的县领导：", "您好！")
_SIGN_OFFS = ("此致 敬礼！", "望予以答复，谢谢！", "盼复。", "谢谢！", "恳请重视，谢谢。")
_SPEAKERS = ("一位居民", "一位市民", "一位家长", "一位老人", "一位年轻人", "有网友", "一位摊主", "一位游客")


def _letter(rng: random.Random, writer: _Writer, sc: Scenario, pool: Sequence[str]) -> str:
    """A formal letter to the county mailbox (县长信箱), in the register people use for it."""
    body = re.sub(r"^(尊敬的县长：|县长您好：)(您好！)?|此致 敬礼！$", "", writer.fill(rng.choice(sc.mailbox_letters)))
    same = _same_stance(pool, rng.choice(pool))
    said = "".join(_end(writer.fill(s)) for s in rng.sample(same, min(rng.randrange(1, 3), len(same))))
    return rng.choice(_SALUTATIONS) + body + "具体情况是：" + said + rng.choice(_SIGN_OFFS)


def _quote(rng: random.Random, writer: _Writer, pool: Sequence[str]) -> str:
    """A quoted voice for an article: one of the public's sentences."""
    said = re.sub(r"\[[^\]]*\]|#[^#]*#|@\S+|http://\S+", "", writer.fill(rng.choice(pool))).strip()
    return f"{rng.choice(_SPEAKERS)}说：“{_end(said)}”"


def _paragraphs(sc: Scenario, late: bool) -> tuple[str, ...]:
    """Paragraphs a report may use: what is known so far, and after the official response, that."""
    return sc.news_paragraphs + sc.late_paragraphs if late else sc.news_paragraphs


def _news(
    post: _Post, rng: random.Random, writer: _Writer, sc: Scenario, phase: str, pool: Sequence[str],
    news: list[_Post],
) -> None:  # fmt: skip
    """A news article, or another outlet re-running an earlier one with small edits."""
    name, mainstream, _ = rng.choices(NEWS_SOURCES, weights=[w for _, _, w in NEWS_SOURCES])[0]
    post.source, post.source_kind, post.mainstream, post.author = name, "news", mainstream, name
    if news and rng.random() < 0.3:
        earlier = rng.choice(news[-10:])
        if earlier.source != name:
            post.title = earlier.title
            post.text = earlier.text + f"\n（来源：{earlier.source}）"
            post.copy = True
            post.engagement = _pareto(rng, 1.5, 10, 2000)
            return
    titles = sc.late_news_titles if phase == "late" and sc.late_news_titles else sc.news_titles
    post.title = writer.fill(rng.choice(titles))
    post.text = writer.paragraphs(_paragraphs(sc, phase == "late"), rng.randrange(2, 4))
    # Reporters quote people; the quotes make each article its own.
    lines = post.text.split("\n")
    for _ in range(rng.randrange(1, 3)):
        lines.insert(rng.randrange(1, len(lines) + 1), _quote(rng, writer, pool))
    post.text = "\n".join(lines)
    post.engagement = _pareto(rng, 1.3, 20, 20000)
    news.append(post)


def _background(
    rng: random.Random, order: int, handles: Sequence[str], hweights: Sequence[float], days: int, scale: float,
    hour0: int,
) -> list[_Post]:  # fmt: skip
    """Everyday chatter spread evenly over the stream: weather, food, praise, small complaints."""
    hours = days * 24
    times = _times(rng, [DIURNAL[(h + hour0) % 24] for h in range(hours)], round(BACKGROUND_N * scale))
    writer = _Writer(rng, {**COMMON_SLOTS, **BACKGROUND_SLOTS}, "", BACKGROUND_TOPICS)
    posts: list[_Post] = []
    repostable: list[_Post] = []
    for t in times:
        region = rng.choice(REGIONS)
        post = _Post(t=t, scenario="background", order=order, seq=0, source=WEIBO_SOURCE, source_kind="weibo",
                     author=rng.choices(handles, cum_weights=hweights)[0], text="", region=region)  # fmt: skip
        roll = rng.random()
        if roll < 0.05:
            post.text, post.script = rng.choice(BACKGROUND_TRADITIONAL), "Hant"
            post.source, post.source_kind = VISITOR_FORUM_SOURCE, "forum"
            post.title = re.split("[，,]", post.text)[0]
        elif roll < 0.07:
            post.text, post.lang, post.script = rng.choice(BACKGROUND_ENGLISH), "en", "Latn"
            post.source, post.source_kind = EXPAT_FORUM_SOURCE, "forum"
            post.title, post.author = _english_title(post.text), _english_handle(rng)
        elif roll < 0.10:
            name, mainstream, _ = rng.choice(NEWS_SOURCES)
            post.title, post.text = rng.choice(BACKGROUND_NEWS)
            post.source, post.source_kind, post.mainstream, post.author = name, "news", mainstream, name
            post.region = "全县"
            post.engagement = _pareto(rng, 1.5, 10, 3000)
        elif repostable and roll < 0.25:
            parent = rng.choice(repostable[-100:])
            post.parent = parent
            post.text = rng.choice(BACKGROUND_REPOSTS)
            post.region = parent.region
        else:
            post.text = writer.weibo(BACKGROUND_TEXTS, "emo_any")
            post.engagement = _pareto(rng, 1.4, 2, 3000)
        posts.append(post)
        if post.source_kind == "weibo":
            repostable.append(post)
    return posts


def generate(
    *, seed: int = 7, start: datetime | None = None, days: int = 14, scale: float = 1.0
) -> list[dict[str, Any]]:
    """Generate the FICTIONAL demo stream: a few thousand posts about 青禾县, in time order.

    ``start`` is when the stream begins (naive times are taken as China Standard Time, UTC+8; the
    default is a fixed date so that the output depends on the arguments only); ``days`` is its
    length; ``scale`` multiplies the number of items (≈4,400 at 1.0). The same arguments give the
    same records, byte for byte. Each record has ``id``, ``time`` (ISO 8601, ``+08:00``),
    ``text``, ``title``, ``source``, ``source_kind``, ``mainstream``, ``region``, ``author``,
    ``engagement``, ``lang``, ``script`` (``Hans``/``Hant``/``Latn``), ``scenario``, ``kind``
    (``original``/``repost``) and ``parent`` (the reposted item's id, or ``None``).

    >>> records = generate(days=7, scale=0.2)
    >>> records[0]["time"] <= records[-1]["time"]
    True
    """
    if not isinstance(days, int) or days < 3:
        raise ValueError(f"days must be an integer of at least 3 (each story needs a slow first day), got {days!r}")
    if not (0 < scale <= 100):
        raise ValueError(f"scale must be in (0, 100], got {scale!r}")
    begin = DEFAULT_START if start is None else start
    begin = begin.replace(tzinfo=CST) if begin.tzinfo is None else begin.astimezone(CST)

    hour0 = begin.hour
    base = f"qingting-demo:{seed}"
    hrng = random.Random(f"{base}:authors")
    handles = _handles(hrng, 1800)
    # A few people post a lot, most post once or twice, as on any platform.
    hweights = list(itertools.accumulate(1.0 / (rank + 1) ** 0.8 for rank in range(len(handles))))

    posts: list[_Post] = []
    for order, sc in enumerate(SCENARIOS):
        posts.extend(_story(sc, order, random.Random(f"{base}:{sc.key}"), handles, hweights, days, scale, hour0))
    rng = random.Random(f"{base}:background")
    posts.extend(_background(rng, len(SCENARIOS), handles, hweights, days, scale, hour0))
    for seq, p in enumerate(posts):
        p.seq = seq  # creation order: within a story a parent is always created before its reposts
    posts.sort(key=lambda p: (p.t, p.order, p.seq))

    ids: dict[int, str] = {}
    for i, p in enumerate(posts):
        ids[id(p)] = f"demo-{seed}-{i:05d}"
        if p.parent is not None:
            p.parent.engagement += 1  # a repost is engagement of the reposted post

    records: list[dict[str, Any]] = []
    for p in posts:
        records.append(
            {
                "id": ids[id(p)],
                "time": (begin + timedelta(seconds=p.t)).isoformat(timespec="seconds"),
                "source": p.source,
                "source_kind": p.source_kind,
                "mainstream": p.mainstream,
                "region": p.region,
                "author": p.author,
                "title": p.title,
                "text": p.text,
                "lang": p.lang,
                "script": p.script,
                "engagement": p.engagement,
                "scenario": p.scenario,
                "kind": "repost" if p.parent is not None else "original",
                "parent": ids[id(p.parent)] if p.parent is not None else None,
            }
        )
    return records


def write_jsonl(path: str | Path, records: Iterable[Mapping[str, Any]]) -> int:
    """Write ``records`` as UTF-8 JSON Lines (one object a line, Chinese unescaped); return the count.

    The result is what ``qingting analyze`` reads: ``id``, ``text``, ``time``, ``source`` and
    ``lang`` plus the extra fields, which the engine passes through or ignores.
    """
    n = 0
    with Path(path).open("w", encoding="utf-8", newline="\n") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            n += 1
    return n
