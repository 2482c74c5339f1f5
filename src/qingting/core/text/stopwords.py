"""Stopword lists shipped with Qingting (Chinese and English).

Both lists were written for this project (no third-party list was copied), so they ship under the
project's own licence. They hold function words only — particles, pronouns, conjunctions,
prepositions, auxiliaries, common adverbs of degree and time, and Weibo boilerplate such as
``转发`` and ``回复`` — and deliberately no content words, so that keywords of an event
(``疫苗``, ``暴雨``, ``拆迁``) are never dropped. Words are in matching form (Simplified,
lower-case), because :func:`qingting.core.text.tokenize` is applied to
``Normalized.match``.
"""

from __future__ import annotations

_ZH = """
的 地 得 之 了 着 过 吗 呢 吧 啊 呀 哦 喔 哇 嘛 么 啦 咯 嘞 哟 呗 罢了 而已 似的 一样 般
我 你 您 他 她 它 我们 你们 您们 他们 她们 它们 咱 咱们 自己 自个儿 人家 大家 别人 各位
这 那 哪 这个 那个 哪个 这些 那些 哪些 这里 那里 哪里 这儿 那儿 哪儿 这样 那样 怎样 这么 那么 怎么
什么 啥 谁 多少 几 为什么 为何 如何 怎么样 何 某 某些 每 各 另 另外 其 其他 其它 其中 其余 此 彼
是 为 乃 即 就是 便是 也是 还是 只是 正是 不是 有 没 没有 无 非 不 别 勿 未 莫
在 于 从 自 自从 向 往 朝 到 至 对 对于 关于 至于 给 把 被 让 叫 由 以 用 按 按照 根据 依 依照 据
通过 经过 随着 除 除了 除非 比 跟 同 与 和 及 以及 并 并且 而 而且 且 或 或者 还有 要么
但 但是 可是 然而 不过 只不过 却 虽 虽然 尽管 即使 即便 就算 哪怕 如果 假如 要是 若 倘若 只要 只有
因 因为 由于 所以 因此 因而 于是 从而 以便 以免 免得 为了 既 既然 那么 否则 不然 要不 然后 接着
也 都 又 再 还 就 才 只 仅 仅仅 已 已经 曾 曾经 正 正在 将 将要 会 能 能够 可 可以 可能 应 应该 应当
要 想 得以 须 必须 需要 肯定 一定 也许 或许 大概 大约 似乎 好像 仿佛 简直 几乎 差不多
很 太 挺 更 最 非常 十分 特别 比较 稍 稍微 有点 有些 一些 一点 越 越来越 极 极其 多么 如此 这般
又是 总 总是 老是 常 常常 经常 往往 一直 一向 向来 从来 始终 终于 忽然 突然 马上 立刻 随时 随便
刚 刚刚 刚才 才能 正好 恰好 本来 原来 其实 确实 的确 当然 果然 居然 竟然 难道 究竟 到底 反正 毕竟
一 一个 一种 一下 一起 一边 一切 所有 全部 任何 有的 有些人 个 些 点 种 样 次 下 上 中 里 内 外 前 后
等 等等 之类 之一 之后 之前 之间 之中 以上 以下 以前 以后 以来 以外 左右 时 时候 的话 来说 而言 来讲
嗯 哈 呵 唉 哎 嗨 喂 哼 噢 嘿 咦 哎呀 哎哟 呵呵 哈哈 嘿嘿 嘻嘻
转发 回复 via 哦哦
"""

_EN = """
a about above after again against all am an and any are aren't as at be because been before being
below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down
during each few for from further had hadn't has hasn't have haven't having he he'd he'll he's her here
here's hers herself him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself
let's me more most mustn't my myself no nor not of off on once only or other ought our ours ourselves
out over own same shan't she she'd she'll she's should shouldn't so some such than that that's the
their theirs them themselves then there there's these they they'd they'll they're they've this those
through to too under until up very was wasn't we we'd we'll we're we've were weren't what what's when
when's where where's which while who who's whom why why's will with won't would wouldn't you you'd
you'll you're you've your yours yourself yourselves also just get got gets like via rt amp s t d ll m
re ve y u ur im dont cant wont didnt doesnt isnt thats its yeah yes ok okay oh lol
"""

ZH_STOPWORDS: frozenset[str] = frozenset(_ZH.split())
"""Chinese function words and Weibo boilerplate, Simplified, in matching form."""

EN_STOPWORDS: frozenset[str] = frozenset(_EN.split())
"""English function words, lower-case (with and without apostrophes)."""

ALL_STOPWORDS: frozenset[str] = ZH_STOPWORDS | EN_STOPWORDS
"""Both lists together: mixed Chinese–English posts are the norm on Weibo."""
