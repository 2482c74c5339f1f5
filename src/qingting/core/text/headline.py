"""What a post says of its own: content-free posts, readable headlines, keywords that show a story.

Three small rules the engine applies to events (decision 0065):

- :func:`content_free` — a post that carries no story of its own (``顶``, ``同问``, ``转发微博``,
  ``+1``, emoticons or a bare hashtag only) must never open an event: it follows its parent, or a
  story it names, or stays outside events.
- :func:`headline` — an event's title is a readable line: hashtags ``#…#``, bracket emoticons
  ``[泪]``, URLs, @mentions and emoji taken out, cut at a sentence end where one is near.
- :data:`FILLER_WORDS` — words people put around any story (``今天``, ``大家``, ``点个``) that
  should not be an event's keywords.

>>> content_free("顶！！"), content_free("同问[吃瓜]"), content_free("柳湾镇停水了")
(True, True, False)
>>> headline("#柳湾镇停水#水压低得可怜[衰] http://t.cn/A6x @青禾县水务局 半夜十一点才有水")
'水压低得可怜 半夜十一点才有水'
"""

from __future__ import annotations

import re

from qingting.core.text.normalization import Normalized, fold, normalize
from qingting.core.text.tokens import tokenize

__all__ = ["FILLER_WORDS", "content_free", "headline", "is_filler", "only_hashtags", "reactions_only"]

# Reactions that say "I saw this" and nothing about what: written for Qingting, matching form.
_FILLER = """
顶 顶顶 顶上去 真的假 同问 同求 求 扩散 求扩散 帮转 转 转需 转起 关注 持续关注
mark 马克 码 码住 收藏 求后续 后续 蹲 蹲一个 坐等 围观 吃瓜 路过 沙发 板凳 前排
支持 赞 点赞 +1 真的假的 真的吗 真的 假的 是真的吗 有人管管吗 有人 管管 谁 管 哈
哈哈 哈哈哈 哈哈哈哈 呵呵 嗯 嗯嗯 好 好的 对 对的 是的 确实 同意 无语 厉害 牛 加油
不错 挺好 ok lol 666 啊啊啊 天呐 天哪 我的天 卧槽 服了 醉了 心疼 可怕 太可怕了
恐怖 害怕 惊呆 震惊 晕 汗 泪目 哭 笑死 绝了 离谱 服气 唉 哎
"""
_GENERIC = """
今天 今早 昨天 昨晚 明天 刚才 现在 这两天 一下 问一下 知道 有人知道 听说 听 说 看到
觉得 感觉 希望 真的 大家 点个 一下子 一个 这个 那个 事情 东西 情况 问题 时候 时间
地方 真是 实在 简直 终于 已经 还是 就是 不是 没有 可以 需要 能不能 到底 记录 记录一下
分享 分享一下 插一句 讲真 话说 说真的 家人们 坐标 以上 仅供参考 大家怎么看 怎么看 评评理
有没有 一肚子火 先记下 记下 蹲一个结果 结果 心累 气死 气死了 谁来管管 无力吐槽 吐槽
不吐不快 实名 反映 求助 网友 网友们 朋友 邻居
"""
FILLER_WORDS: frozenset[str] = frozenset(_FILLER.split()) | frozenset(_GENERIC.split())
"""Words that do not name a story: reactions and the everyday words people wrap around one."""

_REACTION: frozenset[str] = frozenset(_FILLER.split())
_SENTENCE_END = re.compile(r"[。！？!?；;…]+")
_TITLE_CHARS = 60


def is_filler(word: str) -> bool:
    """Whether ``word`` (matching form) is a reaction or an everyday word, not a story's keyword."""
    return word in FILLER_WORDS


def content_free(text: str | Normalized, lang: str = "zh", words: list[str] | None = None) -> bool:
    """Whether a post carries no story of its own.

    True for an empty matching form (``转发微博``, emoticons, emoji, URLs or mentions only), for a
    post whose words are all reactions (``顶``, ``同问``, ``+1``, ``真的假的``, ``有人管管吗``), and for a
    bare hashtag (``#柳湾镇停水#``: it names a story, so the engine lets it join one it matches, but
    it never opens one). Long posts are never content-free: only posts of at most 24 characters
    are checked word by word (``words``: their tokens, when the caller has them already).
    """
    n = text if isinstance(text, Normalized) else normalize(text)
    match = n.match
    if not match:
        return True
    if n.topics and _only_topics(match, n.topics):
        return True
    if len(match) > 24:
        return False
    if words is None:
        words = tokenize(match, lang)
    return reactions_only(words)  # no word at all (+1, 666, ！！！) counts as reactions only


def reactions_only(words: list[str]) -> bool:
    """Whether the tokens of a short post are all reactions (``顶``, ``同问``), or there are none."""
    return all(w in _REACTION for w in words)


def only_hashtags(n: Normalized) -> bool:
    """Whether the post's own words are its hashtags' words only (``#柳湾镇停水# [泪]``)."""
    return bool(n.topics) and bool(n.match) and _only_topics(n.match, n.topics)


def _only_topics(match: str, topics: tuple[str, ...]) -> bool:
    rest = "".join(match.split())
    for t in topics:
        rest = rest.replace("".join(fold(t).split()), "", 1)
    return not any(ch.isalnum() for ch in rest)


_STRIP = re.compile(
    r"#[^#\n]{1,60}#"  # hashtags #…#
    r"|\[[^\[\]\s]{1,8}\]"  # bracket emoticons [泪], [doge]
    r"|(?:https?://|www\.)\S+"  # URLs
    r"|[@＠][\w\-]{1,30}"  # @mentions
    r"|[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d]"  # emoji
    r"|//\s*[@＠].*$",  # a repost chain
    re.IGNORECASE | re.DOTALL,
)
_LEADING = re.compile(r"^[\s,，。.:：;；!！?？、~～\-—|｜/]+")


def headline(text: str, limit: int = _TITLE_CHARS) -> str:
    """A readable one-line title made from ``text`` (an article title, or a post).

    Hashtags, bracket emoticons, URLs, @mentions, emoji and a repost chain are taken out;
    whitespace is collapsed; a text longer than ``limit`` is cut at the last sentence end inside
    it when that keeps at least a third of it, else at ``limit`` with an ellipsis. Returns ``""``
    when nothing readable is left.
    """
    text = _STRIP.sub(" ", text)
    text = " ".join(text.split())
    text = _LEADING.sub("", text).strip()
    if len(text) <= limit:
        return text
    head = text[:limit]
    ends = list(_SENTENCE_END.finditer(head))
    if ends and ends[-1].end() >= limit // 3:
        return head[: ends[-1].start()].rstrip()
    return head[: limit - 1].rstrip() + "…"
