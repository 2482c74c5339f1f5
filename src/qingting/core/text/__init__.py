"""Text processing for the listening engine: normalise, identify the language, tokenise.

Typical use, per post: ``n = normalize(text)``; ``lang = detect_language(n.match)`` (on the
matching form, so URLs and @names do not count as English); ``tokenize(n.match, lang)``. A pure
repost has an empty ``match`` (language ``"und"``, no tokens); its ``repost_of_text``, when the
chain shows it, can stand in for it. Costs, from ``bench/bench_text.py`` on the CED stream: ≈ 11 µs
+ 3 µs + 6 µs per average (17-character) post, one core. All functions are pure: no state is
kept between calls except lazily built, read-only resources (OpenCC tables, the rjieba dictionary,
the lingua models).

>>> from qingting.core.text import normalize, detect_language, tokenize
>>> n = normalize("轉發理由：臺灣暴雨成災[淚] http://t.cn/x //@新华社:台湾暴雨")
>>> n.own, n.match, n.emoticons, n.is_repost
('轉發理由：臺灣暴雨成災[淚] http://t.cn/x', '转发理由:台湾暴雨成灾', ('泪',), True)
>>> lang = detect_language(n.match)
>>> lang, tokenize(n.match, lang)
('zh', ['理由', '台湾', '暴雨成灾'])
"""

from __future__ import annotations

from qingting.core.text.language import LANG_SAMPLE_CHARS, detect_language
from qingting.core.text.normalization import MAX_MATCH_CHARS, Normalized, fold, normalize
from qingting.core.text.stopwords import EN_STOPWORDS, ZH_STOPWORDS
from qingting.core.text.tokens import tokenize

__all__ = [
    "EN_STOPWORDS",
    "LANG_SAMPLE_CHARS",
    "MAX_MATCH_CHARS",
    "ZH_STOPWORDS",
    "Normalized",
    "detect_language",
    "fold",
    "normalize",
    "tokenize",
]
