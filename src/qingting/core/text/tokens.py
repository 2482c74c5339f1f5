"""Tokenisation of the matching form: rjieba for Chinese, a regex word tokenizer for the rest.

rjieba (the Rust port of jieba, same dictionary) was chosen on figures: ~18× faster than jieba
with 0.999 token-boundary F1 against it on Weibo text — see docs/decisions/0002-chinese-segmenter.md.
"""

from __future__ import annotations

import re
from itertools import compress

from qingting.core.text.normalization import MAX_MATCH_CHARS
from qingting.core.text.segments import segment
from qingting.core.text.stopwords import ALL_STOPWORDS, EN_STOPWORDS

# Languages written without spaces between words that the Chinese segmenter handles; Japanese
# kanji compounds come out as words, kana as single characters, which are dropped (a known limit:
# text in kana only gives no tokens).
_SEGMENTED = frozenset({"zh", "ja"})
_HAS_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[^\W_](?:[\w'’\-]*[^\W_])?")
# Tokens that carry no word: punctuation, spaces, emoji, and numbers such as 12, 3.5, 100%, 2:30.
_NO_LETTER = re.compile(r"[\W\d_.,:%+\-/]*")


class _Verdicts(dict[str, bool]):
    """Each word's verdict (kept?) for one stopword list, judged on first sight (``__missing__``):
    ``verdicts[t]`` stays a C dict lookup for a word seen before."""

    __slots__ = ("stop",)

    def __init__(self, stop: frozenset[str]) -> None:
        super().__init__()
        self.stop = stop

    def __missing__(self, t: str) -> bool:
        return _judge(t, self.stop, self)


_KEEP: tuple[_Verdicts, _Verdicts] = (_Verdicts(ALL_STOPWORDS), _Verdicts(EN_STOPWORDS))  # Chinese path, other
_KEEP_MAX = 200_000


def tokenize(match_text: str, lang: str, *, drop_stopwords: bool = True) -> list[str]:
    """Split a matching-form text (``Normalized.match``) into word tokens.

    Chinese (``lang`` ``"zh…"`` or ``"ja"``, or ``"und"`` text with Han characters) is segmented
    with rjieba (HMM on, so unseen names are kept whole); other languages use a regex word
    tokenizer on the lower-cased text. Tokens without any letter (punctuation, emoji, digits-only
    and numbers like ``3.5``/``100%``) are always dropped; with ``drop_stopwords`` (default) the
    Chinese and English function words of :mod:`qingting.core.text.stopwords` — single-character
    particles such as ``的``/``了`` included — and single letters and single kana are dropped too. Sentiment
    features may want ``drop_stopwords=False``: negations (``不``, ``not``) are stopwords.

    Never raises; empty text gives ``[]``; only the first :data:`MAX_MATCH_CHARS` characters are
    tokenised.

    >>> tokenize("台湾今天的暴雨, iphone 12 也进水了!", "zh")
    ['台湾', '今天', '暴雨', 'iphone', '进水']
    """
    if not isinstance(match_text, str) or not match_text:
        return []
    text = match_text[:MAX_MATCH_CHARS]
    text = text.lower()  # a no-op on the matching form, needed for any other text
    lang = lang if isinstance(lang, str) else "und"
    if lang[:2] in _SEGMENTED or (lang[:2] not in ("en",) and _HAS_HAN.search(text) is not None):
        try:
            raw: list[str] = segment(text)  # the sentiment featuriser's cut of it, when the pipeline shares one
        except Exception:  # a compiled extension: fall back rather than stop the stream
            raw = _WORD.findall(text)
        stop = ALL_STOPWORDS
    else:
        # A single letter is not a word in an alphabetic script ("в", "a", the "s" of "it's").
        raw = [t for t in _WORD.findall(text) if len(t) > 1] if drop_stopwords else _WORD.findall(text)
        stop = EN_STOPWORDS
    # The text is already lower-case (matching form, or lowered above), so tokens are too.
    fullmatch = _NO_LETTER.fullmatch
    if not drop_stopwords:
        return [t for t in raw if (t.isalnum() and not t.isdecimal()) or (not t.isalnum() and fullmatch(t) is None)]
    # Each word's verdict is cached: a vocabulary is small next to the text that uses it, and a
    # long letter repeats its words (the cache is bounded: cleared when it grows too large).
    cache = _KEEP[stop is EN_STOPWORDS]
    if len(cache) > _KEEP_MAX:
        cache.clear()
    # One C pass (map + compress) whatever the length: a word seen before is one dict lookup, an
    # unseen one is judged by ``__missing__`` — the same list as judging each word in Python.
    return list(compress(raw, map(cache.__getitem__, raw)))


def _judge(t: str, stop: frozenset[str], cache: dict[str, bool]) -> bool:
    """Whether a segmented word is kept (remembered in ``cache``)."""
    keep = cache[t] = (
        t not in stop
        and ((t.isalnum() and not t.isdecimal()) or (not t.isalnum() and _NO_LETTER.fullmatch(t) is None))
        # Single Latin letters ("a", the "s" of "it's") and single kana (Japanese particles).
        and not (len(t) == 1 and (t.isascii() or "\u3040" <= t <= "\u30ff"))
    )
    return keep
