"""Normalisation of a post: its own content, its entities, and its matching form.

The original text is always kept unchanged; everything the engine compares (dedupe, clustering,
rules, search) uses the *matching form* produced by :func:`fold`.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import opencc

MAX_MATCH_CHARS = 10_000
"""Only the first ``MAX_MATCH_CHARS`` characters of a text are analysed.

A post is ~20–200 characters and a long news article a few thousand, so this cap never bites on
ordinary input; it bounds the work (and the size of every derived field) for a 10 MB paste. When it
applies, :attr:`Normalized.truncated` is true; ``original`` is still the whole text.
"""

# Phrase-level Traditional→Simplified: 乾隆 stays 乾隆 while 乾淨 → 干净. OpenCC's "tw2s" is "t2s"
# preceded by Taiwan variant folding, so Taiwan's 看著 (着 written 著) becomes 看着 while 著名 stays:
# on weibo2018 posts converted with OpenCC "s2tw", "t2s" left 14.5 % of them with another match
# than the original, "tw2s" with the variants below 0.24 %. It costs ~3 µs for an average CED post
# (t2s ~2 µs).
_T2S = opencc.OpenCC("tw2s")
# tw2s also turns 么 (Taiwan's form of 幺) into 幺, which would split 什么/什麼: 幺 folds back to 么.
# What tw2s leaves: Hong Kong and rare variants that Simplified text never uses, and two words
# whose Traditional spelling is also accepted in Simplified (想像, 座标). Folding them makes a post
# and its s2t/s2tw/s2hk conversion match (measured with bench/bench_text.py --scripts).
_VARIANT_CHARS = str.maketrans("揹暱衞敍锺濬澂伕枱幺", "背昵卫叙钟浚澄夫台么")
_VARIANT_WORDS = (("想像", "想象"), ("座标", "坐标"))
_HAS_VARIANT = re.compile("[揹暱衞敍锺濬澂伕枱幺]|想像|座标")

# Control characters become spaces (a NUL or a vertical tab separates words); format characters
# (zero-width space/joiner, BOM, bidi marks, soft hyphen, tags) and lone surrogates are dropped, so
# "台\u200b湾" matches "台湾" and OpenCC (which needs valid UTF-8) never sees a surrogate.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_INVISIBLE_CORE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b\u200c\u200e\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufeff\uffa0\ufff0-\ufffb\ud800-\udfff\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a"
)
# The zero-width joiner, variation selectors and tag characters build emoji sequences: kept
# until emoji are taken out of a post, dropped from the matching form.
_EMOJI_JOINERS = "\u200d\ufe00-\ufe0f\U000e0000-\U000e0fff"
_INVISIBLE = re.compile(f"[{_INVISIBLE_CORE}{_EMOJI_JOINERS}]+")
_INVISIBLE_BUT_JOINERS = re.compile(f"[{_INVISIBLE_CORE}]+")

# Repost chains. Weibo: "my comment//@alice: her comment//@bob:the original". Twitter: "RT @bob: …".
_CHAIN_SPLIT = re.compile(r"//\s*[@＠﹫]([^\s:：/@＠]{1,30})\s*[:：]?")
_RT = re.compile(r"(?:^|\s)RT\s*[@＠﹫]([^\s:：@＠]{1,30})\s*[:：]?", re.IGNORECASE)
# Weibo's default text when a user reposts without a comment (also "轉發微博", "Repost").
# One character class after the phrase: "\s*[…]*\s*$" backtracks quadratically on long blanks.
_DEFAULT_REPOST = re.compile(r"\s*(?:转发微博|轉發微博|转发|轉發|repost)[\s。.!！~～]*$", re.IGNORECASE)

# Entities, found on the NFKC form of the post's own content (so full-width ＠ ＃ ｈｔｔｐ are seen).
_EMOJI_BASE = (
    "\U0001f000-\U0001faff\u2600-\u27bf\u2300-\u23ff\u2b00-\u2bff\u2190-\u21ff\u25a0-\u25ff\u2934\u2935\u3030\u303d"
)
_EMOJI_MOD = "\ufe0f\u20e3\U0001f3fb-\U0001f3ff\U000e0020-\U000e007f"
# Every alternative starts with a literal character, so the regex engine skips quickly to
# candidate positions (a character class or lookbehind in front would be tried at every position);
# emoji, which need a class, are found by a second pass only when a post has any.
_ENTITY = re.compile(
    r"(?P<url>(?:h[tT][tT][pP][sS]?:(?://)?|H[tT][tT][pP][sS]?:(?://)?|w[wW][wW]\.|W[wW][wW]\.)"
    r"[^\s\u3000-\u303f\u4e00-\u9fff\uff00-\uffef<>\"'\[\]]*)"
    r"|@(?P<mention>[\w\-]{1,30})"
    r"|#(?P<topic>[^#\s](?:[^#\n]{0,58}[^#\s])?)#"
    r"|#(?P<hashtag>\w{1,60})"
    r"|\[(?P<emoticon>[\u4e00-\u9fffA-Za-z]{1,8})\]"
)  # no IGNORECASE: with it, [A-Za-z] also matches İ ı ſ K, which lower-casing changes
# An @ or # right after these (unconsumed) characters is an e-mail address, "C#", "&#123;" …, not
# a mention or hashtag. Checked in code, not by lookbehind, because a character that an earlier
# entity consumed must count as a boundary: it becomes a space in the matching form.
_NOT_AFTER = {
    "mention": frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_."),
    "hashtag": frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_&"),
}
_EMOJI = re.compile(rf"[{_EMOJI_BASE}][{_EMOJI_MOD}]*(?:\u200d[{_EMOJI_BASE}][{_EMOJI_MOD}]*)*")
# A comment's reply prefix "回复@name:" is a mention, not words of the comment.
_REPLY = re.compile(r"\s*回[复覆]\s*@([\w\-]{1,30})\s*:?")
# Cheap pre-check: most posts hold none of these, and then the entity pass is skipped.
_MAYBE_ENTITY = re.compile(rf"[@#\[{_EMOJI_BASE}]|[hH][tT][tT][pP]|[wW]{{3}}\.")
# The most frequent full-width punctuation of everyday Chinese; replacing it first lets most posts
# pass NFKC's quick check, ~5× faster than a full NFKC (which still runs when anything else needs it).
_FULL_WIDTH = tuple((ch, unicodedata.normalize("NFKC", ch)) for ch in "，！？：；（）～\u3000")
_SURROGATE = re.compile("[\ud800-\udfff]+")


@dataclass(frozen=True, slots=True)
class Normalized:
    """A post taken apart for matching; the original is never altered.

    ``own`` is what this poster wrote (repost chain and Weibo's default ``转发微博`` removed, script
    and width as written). ``match`` is :func:`fold` of ``own`` after URLs, @mentions, the reply
    prefix ``回复@name:``, bracket emoticons and emoji were taken out and ``#topic#`` markers were
    reduced to their words. ``urls``, ``mentions``, ``topics``, ``emoticons`` (Weibo ``[哈哈]``, stored
    without brackets, folded: ``[淚]`` → ``泪``) and ``emoji`` are listed in order of appearance,
    in NFKC form, from ``own`` only. Emoji are kept out of ``match`` (so ``好😀`` and ``好``
    match) but kept here, because sentiment uses them. ``repost_of_text`` is the innermost
    reposted text of a chain, when the chain shows it.
    """

    original: str
    own: str
    match: str
    urls: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    emoticons: tuple[str, ...] = ()
    emoji: tuple[str, ...] = ()
    is_repost: bool = False
    repost_of_text: str | None = None
    truncated: bool = False


def _as_text(value: object) -> str:
    """Any input as ``str``: bytes are decoded as UTF-8 with replacement, ``None`` is empty."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    try:
        return str(value)
    except Exception:  # an object whose __str__ fails has no text to offer
        return ""


def _clean(text: str, invisible: re.Pattern[str] = _INVISIBLE) -> str:
    """Drop invisible characters and lone surrogates; turn control characters into spaces."""
    if not text.isprintable():  # fast path: printable text has no controls nor format characters
        text = _CONTROL.sub(" ", text)
        text = invisible.sub("", text)
    return text


def _nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, faster on everyday Chinese text."""
    for wide, narrow in _FULL_WIDTH:
        if wide in text:
            text = text.replace(wide, narrow)
    if unicodedata.is_normalized("NFKC", text):
        return text
    return unicodedata.normalize("NFKC", text)


def fold(text: str) -> str:
    """Return the matching form of ``text``: what search, rules and dedupe compare.

    NFKC (full-width ``ＡＢＣ１２３`` → ``abc123``, compatibility forms folded), lower case,
    Traditional → Simplified (OpenCC ``tw2s``: phrase level, Taiwan variants included, plus a few
    Hong Kong and rare variants), invisible characters dropped, control
    characters and any run of whitespace turned into one space, ends stripped. URLs and @mentions
    are *not* removed here (a search for ``@人民日报`` keeps its word); :func:`normalize` removes
    them before folding. Only the first :data:`MAX_MATCH_CHARS` characters are used.

    ``fold`` is idempotent (``fold(fold(s)) == fold(s)``) and never raises: a non-``str`` argument
    is converted (bytes decoded as UTF-8 with replacement, ``None`` → ``""``).

    >>> fold("臺灣ＡＢＣ１２３  乾淨")
    '台湾abc123 干净'
    """
    text = _clean(_as_text(text)[:MAX_MATCH_CHARS])
    if text.isascii():  # most non-Chinese text: no width, script or compatibility forms to fold
        return " ".join(text.lower().split())
    return _fold_nfkc(_nfkc(text))


def _fold_nfkc(text: str) -> str:
    """The rest of :func:`fold`, for text that is already cleaned and in NFKC."""
    if text.isascii():
        return " ".join(text.lower().split())
    # Emoji joiners may be left over, and lower-casing and T→S can, for a few rare characters,
    # yield a non-NFKC character: dropping the one and then re-checking the other keeps fold
    # idempotent, at the cost of a quick check in the common case.
    text = _clean(_T2S.convert(text.lower()))
    if _HAS_VARIANT.search(text) is not None:
        text = text.translate(_VARIANT_CHARS)
        for variant, standard in _VARIANT_WORDS:
            text = text.replace(variant, standard)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = " ".join(text.split())
    if len(text) > MAX_MATCH_CHARS:  # NFKC can expand a character (e.g. ㈱ → (株)); keep the cap
        text = text[:MAX_MATCH_CHARS].rstrip()
    return text


@functools.lru_cache(maxsize=4096)
def _fold_emoticon(name: str) -> str:
    """Emoticon names are a small vocabulary: fold each once."""
    return fold(name)


def _split_repost(text: str) -> tuple[str, str | None, bool]:
    """Split a repost chain into (own content, innermost reposted text, is a repost)."""
    if "@" not in text and "＠" not in text and "﹫" not in text:  # no chain and no RT without a name
        if len(text) < 64 and _DEFAULT_REPOST.match(text):
            return "", None, True
        return text, None, False
    if "/" in text:
        parts = _CHAIN_SPLIT.split(text)
        if len(parts) > 1:
            # parts = [own, name1, text1, name2, text2, ...]; the innermost text comes last.
            inner = parts[-1].strip()
            return parts[0].strip(), inner or None, True
    if "RT" in text or "rt" in text:
        found = _RT.search(text)
        if found is not None:
            inner = _RT.split(text)[-1].strip()
            return text[: found.start()].strip(), inner or None, True
    if len(text) < 64 and _DEFAULT_REPOST.match(text):
        return "", None, True
    return text, None, False


def _take_entities(
    text: str,
    urls: list[str],
    mentions: list[str],
    topics: list[str] | None,
    emoticons: list[str],
    emoji: list[str],
) -> str:
    """Append the entities of ``text`` to the lists; return the text without them.

    Removed entities leave a space, so their neighbours never fuse into a new word. A topic's
    words stay (``#台风#`` → `` 台风 ``), cleaned of entities themselves; ``topics`` is ``None``
    for that inner pass.
    """
    pieces: list[str] = []
    pos = 0
    for m in _ENTITY.finditer(text):
        start = m.start()
        kind = m.lastgroup
        if kind in _NOT_AFTER and start > pos and text[start - 1] in _NOT_AFTER[kind]:
            continue  # not an entity: its text goes out with the next piece
        pieces.append(text[pos:start])
        pos = m.end()
        if kind == "url":
            urls.append(m.group())
        elif kind == "mention":
            mentions.append(m.group("mention"))
        elif kind == "topic" or kind == "hashtag":
            word = m.group(kind)
            if topics is None:  # cannot happen inside a topic (no "#" there); keep the text
                pieces.append(m.group())
                continue
            topics.append(word)
            if _MAYBE_ENTITY.search(word) is not None:
                word = _take_entities(word, urls, mentions, None, emoticons, emoji)
            pieces.append(" " + word + " ")
            continue
        elif kind == "emoticon":
            emoticons.append(_fold_emoticon(m.group("emoticon")))  # [淚] and [泪] are one emoticon
        pieces.append(" ")
    pieces.append(text[pos:])
    text = "".join(pieces)
    if topics is not None and _EMOJI.search(text) is not None:
        emoji.extend(_EMOJI.findall(text))
        text = _EMOJI.sub(" ", text)
    return text


def normalize(text: str) -> Normalized:
    """Take a post apart: its own content, its entities and its matching form.

    Never raises. Defined behaviour for bad input: empty or whitespace-only text gives empty
    ``own`` and ``match``; text longer than :data:`MAX_MATCH_CHARS` is analysed on its first
    ``MAX_MATCH_CHARS`` characters only (``truncated`` is then true, ``original`` stays whole);
    lone surrogates and invisible format characters are dropped and control characters read as
    spaces in every derived field; unknown scripts pass through NFKC and lower-casing unchanged;
    a non-``str`` argument is converted as in :func:`fold`.

    >>> n = normalize("支持！[加油] #台风# http://t.cn/abc //@新华社:臺風來了")
    >>> n.own, n.match, n.topics, n.emoticons, n.is_repost, n.repost_of_text
    ('支持！[加油] #台风# http://t.cn/abc', '支持! 台风', ('台风',), ('加油',), True, '臺風來了')
    """
    original = _as_text(text)
    truncated = len(original) > MAX_MATCH_CHARS
    work = original[:MAX_MATCH_CHARS] if truncated else original
    if not work.isprintable():  # lone surrogates cannot be encoded anywhere downstream
        work = _SURROGATE.sub("", work)
    own, repost_of, is_repost = _split_repost(work)
    if not own:
        return Normalized(original, "", "", is_repost=is_repost, repost_of_text=repost_of, truncated=truncated)

    nf = _nfkc(_clean(own, _INVISIBLE_BUT_JOINERS))
    urls: list[str] = []
    mentions: list[str] = []
    topics: list[str] = []
    emoticons: list[str] = []
    emoji: list[str] = []
    rest = nf
    reply = _REPLY.match(nf) if "回" in nf else None
    if reply is not None:
        mentions.append(reply.group(1))
        rest = " " + nf[reply.end() :]
    if _MAYBE_ENTITY.search(rest) is not None:
        rest = _take_entities(rest, urls, mentions, topics, emoticons, emoji)
    match = _fold_nfkc(rest)  # rest is cleaned and NFKC: entity removal only inserted spaces
    # Boilerplate is removed after folding, so 轉發微博 and mixed forms go too and a second
    # normalisation finds nothing more to remove.
    if "转发微博" in match:
        match = " ".join(match.replace("转发微博", " ").split())
        is_repost = is_repost or not match
    if match and _DEFAULT_REPOST.match(match):  # "转发 [哈哈]": nothing of its own but the emoticon
        match = ""
        is_repost = True
    # Positional arguments, in field order: ~0.6 µs cheaper per post than keywords.
    return Normalized(
        original,
        own,
        match,
        tuple(urls),
        tuple(mentions),
        tuple(topics),
        tuple(emoticons),
        tuple(emoji),
        is_repost,
        repost_of,
        truncated,
    )
