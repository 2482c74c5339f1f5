"""One word segmentation per text, shared by clustering and the sentiment featuriser.

Without this the pipeline segments a post twice with rjieba: :func:`~qingting.core.text.tokenize`
cuts its matching form for clustering, and the sentiment featuriser cuts the sentiment text built
from it (the matching form, plus its emoticons and emoji; a long text's opening and close). Inside
:func:`shared` (one per stretch of a batch, per thread), :func:`segment` answers from a store that
:meth:`Segments.prime` fills: the matching form is cut once, and the sentiment text's segmentation
is *derived* from that cut, not cut again. Outside :func:`shared`, :func:`segment` is
``rjieba.cut(text, True)``.

Why the derivation is exact: jieba splits a text into blocks — maximal runs of "Han" characters
(CJK ideographs, ASCII letters and digits, ``+#&._%-``) and single other characters (a space or a
punctuation mark is a token of its own, ``\\r\\n`` one token) — and segments each run on its own.
Wherever a character next to a position is not of the Han kind, the segmentation of the text is
the segmentation of the part before it followed by that of the part after it. So the cut of
``text[a:b]`` is the cut of ``text`` between the first such boundary at or after ``a`` and the last
at or before ``b``, with only the two short pieces outside them cut again. Which characters count
is decided conservatively (any letter or digit of any script is taken as Han): a boundary is used
only where it surely is one. ``tests/core/test_segments.py`` checks the derivation against rjieba
on real text.

>>> with shared() as segs:
...     segs.prime("柳湾镇停水五天了", "柳湾镇停水五天了 [怒]", extra="[怒]")
...     segment("柳湾镇停水五天了 [怒]")[-4:]
[' ', '[', '怒', ']']
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import accumulate

import rjieba

__all__ = ["Segments", "segment", "shared"]

# Characters that may belong to a run of the segmenter's "Han" class, besides letters and digits;
# \r and \n too, because "\r\n" is one token (splitting between them would not be a boundary).
_RUN_PUNCT = frozenset("+#&._%-\r\n")
MAX_PRIMED_CHARS = 10_000
"""A matching form longer than this is never cut ahead."""
MAX_PRIMED_RATIO = 2.0
"""A matching form is cut ahead for a sentiment text only when it is at most this many times as
long as it: a long letter's sentiment text is its opening and close (≈ 512 characters), and when
clustering never needs the whole text (a copy of a live story's post), cutting it all just to
derive those 512 would cost more than cutting them."""

_local = threading.local()


def _plain(ch: str) -> bool:
    """Whether ``ch`` is surely not part of a run the segmenter cuts as a whole."""
    return not ch.isalnum() and ch not in _RUN_PUNCT and not ("\u3400" <= ch <= "\ufaff" or ch >= "\U00020000")


def _boundary(text: str, j: int) -> bool:
    """Whether the segmentation of ``text`` surely splits at position ``j`` (0 < j < len(text))."""
    return _plain(text[j - 1]) or _plain(text[j])


def cut_slice(text: str, tokens: list[str], a: int, b: int, ends: list[int] | None = None) -> list[str]:
    """``rjieba.cut(text[a:b], True)``, given ``tokens = rjieba.cut(text, True)``: only the pieces
    of ``text[a:b]`` outside its outermost block boundaries are cut again. ``ends``, if given, is
    where each token ends (``list(accumulate(map(len, tokens)))``), for a caller cutting two slices."""
    n = len(text)
    j1 = a
    if 0 < a < n:
        while j1 < b and not _boundary(text, j1):
            j1 += 1
    j2 = b
    if 0 < b < n:
        while j2 > j1 and not _boundary(text, j2):
            j2 -= 1
    if j2 - j1 < 2:
        return rjieba.cut(text[a:b], True) if a < b else []
    if ends is None:
        ends = list(accumulate(map(len, tokens)))
    i1 = bisect_left(ends, j1 + 1)  # the token that starts at j1
    i2 = bisect_left(ends, j2)  # the token that ends at j2
    if i2 >= len(ends) or ends[i2] != j2 or ends[i1] - len(tokens[i1]) != j1:
        return rjieba.cut(text[a:b], True)  # not the segmentation of this text: cut the slice itself
    out = rjieba.cut(text[a:j1], True) if a < j1 else []
    out.extend(tokens[i1 : i2 + 1])
    if j2 < b:
        out.extend(rjieba.cut(text[j2:b], True))
    return out


class Segments:
    """The segmentations of one stretch of a batch, by text (see the module docstring)."""

    __slots__ = ("cuts",)

    def __init__(self) -> None:
        self.cuts: dict[str, list[str]] = {}

    def prime(self, match: str, sentiment: str, *, extra: str = "", head: int = 0, tail: int = 0) -> None:
        """Cut ``match`` once and give ``sentiment``'s segmentation from it.

        ``sentiment`` is the text the sentiment featuriser will segment, built from ``match``:
        ``match``, or ``f"{match} {extra}"``; when ``head`` is given, that text's first ``head``
        and last ``tail`` characters joined by one space. Anything else is not derived (the
        featuriser then cuts it itself).
        """
        if not match or len(match) > MAX_PRIMED_CHARS or len(match) > MAX_PRIMED_RATIO * len(sentiment):
            return
        cuts = self.cuts
        tokens = cuts.get(match)
        if tokens is None:
            tokens = cuts[match] = rjieba.cut(match, True)
        if sentiment in cuts:
            return
        base, base_tokens = match, tokens
        if extra:
            base = f"{match} {extra}"
            base_tokens = [*tokens, " ", *rjieba.cut(extra, True)]
        if head:
            if head + tail >= len(base) or sentiment != f"{base[:head]} {base[-tail:]}":
                return
            ends = list(accumulate(map(len, base_tokens)))  # once for both slices
            derived = cut_slice(base, base_tokens, 0, head, ends)
            derived.append(" ")
            derived.extend(cut_slice(base, base_tokens, len(base) - tail, len(base), ends))
            cuts[sentiment] = derived
        elif sentiment == base:
            cuts[sentiment] = base_tokens


def segment(text: str) -> list[str]:
    """``rjieba.cut(text, True)``, from the current thread's :func:`shared` store when it has ``text``.

    The list returned may be shared: callers must not change it.
    """
    store: Segments | None = getattr(_local, "store", None)
    if store is not None:
        tokens = store.cuts.get(text)
        if tokens is not None:
            return tokens
    return rjieba.cut(text, True)


@contextmanager
def shared() -> Iterator[Segments]:
    """Open a store of segmentations for this thread; :func:`segment` answers from it until the block ends."""
    outer = getattr(_local, "store", None)
    store = _local.store = Segments()
    try:
        yield store
    finally:
        _local.store = outer
