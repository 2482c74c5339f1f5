"""Hashed features of folded texts for the linear sentiment model, computed for a whole batch.

A text is represented by the *set* of its features (presence, not counts: binarised features are
what NB-weighted logistic regression works best with, Wang & Manning 2012):

- character n-grams, ``1..max_ngram`` — robust to segmentation errors and to the new words of
  social media;
- words and word bigrams from rjieba — they capture negations and phrases such as ``不|满意``
  that character n-grams only partly see;
- Weibo bracket emoticons such as ``[泪]`` or ``[哈哈]`` — among the strongest signals on Weibo,
  so each is also one whole feature.

Why hashing, and why like this: building one Python string per n-gram and looking it up in a
vocabulary of ~10⁶ entries costs ~1 µs per feature, i.e. only a few hundred to a few thousand
texts/s. Instead the whole batch is encoded once as an array of code points and every feature is
a *span* ``[a, b)`` of that array, hashed with a polynomial hash computed from prefix sums in
numpy (``hash(a, b) = Σ u[j]·P^(b-1-j) mod 2⁶⁴``), salted with the feature's kind and mapped to
one of ``2**bits`` buckets by Fibonacci hashing. The only per-text Python work left is the word
segmentation. The hash is fixed arithmetic on unsigned 64-bit integers, so a saved model means
the same thing on every machine and in every process (unlike Python's randomised ``hash``).
"""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt

from qingting.core.text.segments import segment

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

_EMOTICON = re.compile(r"\[[^\[\]\s]{1,8}\]")
# Control characters (among them NUL, our separator between texts) read as spaces.
_CONTROL = str.maketrans({i: " " for i in range(32)})
_SURROGATE = re.compile("[\ud800-\udfff]+")

_P = 0x100000001B3  # odd, so it has an inverse modulo 2**64
_P_INV = pow(_P, -1, 2**64)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing multiplier
# One salt per feature kind, so a word and the character n-gram with the same letters differ.
_SALT_NGRAM = 0x51ED270B27A3C9A1  # xor'ed with n as well
_SALT_WORD = 0x2545F4914F6CDD1D
_SALT_BIGRAM = 0x7A6F3C5B1D2E4F61
_SALT_EMOTICON = 0x3C6EF372FE94F82B

_pow: U64 = np.ones(1, dtype=np.uint64)
_pow_inv: U64 = np.ones(1, dtype=np.uint64)


def _powers(n: int) -> tuple[U64, U64]:
    """``P**i`` and ``P**-i`` modulo 2**64 for ``i < n`` (cached, grown on demand)."""
    global _pow, _pow_inv
    if len(_pow) < n:
        size = max(n, 2 * len(_pow), 4096)
        with np.errstate(over="ignore"):
            p = np.cumprod(np.full(size - 1, _P, dtype=np.uint64))
            q = np.cumprod(np.full(size - 1, _P_INV, dtype=np.uint64))
        one = np.ones(1, dtype=np.uint64)
        _pow, _pow_inv = np.concatenate([one, p]), np.concatenate([one, q])
    return _pow, _pow_inv


MAX_CHARS = 10_000
"""Only a text's first ``MAX_CHARS`` characters are read (as ``qingting.core.text`` does): it bounds
the work and memory for a 10 MB paste, and a post's tone is set long before that."""


def _clean(text: str) -> str:
    if not isinstance(text, str):  # defined fallback for a mistyped field: no features, p = 0.5
        return ""
    text = text[:MAX_CHARS]
    if text.isprintable():
        return text
    # lone surrogates cannot be encoded for the segmenter; they carry no meaning anyway
    return _SURROGATE.sub("", text.translate(_CONTROL))


def hashed_features(
    texts: list[str] | tuple[str, ...],
    *,
    max_ngram: int = 3,
    words: bool = True,
    bits: int = 22,
) -> tuple[I64, I64]:
    """The features of each text as ``(doc, bucket)`` arrays, one row per distinct pair.

    Rows are sorted by ``doc`` (the text's index in ``texts``) then ``bucket`` (``0 ≤ bucket <
    2**bits``); a text's rows do not depend on the other texts of the batch. An empty text has no
    rows.

    >>> doc, bucket = hashed_features(["好", "好[哈哈]"], max_ngram=1, words=False)
    >>> doc.tolist(), bool(set(bucket[doc == 0]) <= set(bucket[doc == 1]))
    ([0, 1, 1, 1, 1, 1], True)
    """
    clean = [_clean(t) for t in texts]
    lengths = np.fromiter((len(t) + 1 for t in clean), dtype=np.int64, count=len(clean))
    joined = "\x00".join(clean) + "\x00"  # a separator after every text
    u = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
    total = len(u)
    pw, pw_inv = _powers(total + 1)
    with np.errstate(over="ignore"):
        prefix = np.zeros(total + 1, dtype=np.uint64)
        np.cumsum(u * pw_inv[:total], out=prefix[1:])
    doc_of = np.repeat(np.arange(len(clean), dtype=np.int64), lengths)
    is_sep = u == 0

    def span(a: I64, b: I64) -> U64:
        with np.errstate(over="ignore"):
            h: U64 = pw[b - 1] * (prefix[b] - prefix[a])
        return h

    docs: list[I64] = []
    hashes: list[U64] = []
    for n in range(1, max_ngram + 1):
        a = np.arange(total - n + 1, dtype=np.int64)
        b = a + n
        # an n-gram must not cross or touch a separator (the separator is a text's last position)
        ok = (doc_of[a] == doc_of[b - 1]) & ~is_sep[b - 1]
        if n == 1:
            ok &= u != 32  # a lone space says nothing
        a, b = a[ok], b[ok]
        docs.append(doc_of[a])
        hashes.append(span(a, b) ^ np.uint64(_SALT_NGRAM ^ n))

    tok_lens: list[int] = []
    emo: list[int] = []
    offset = 0
    for t in clean:
        if t:
            if words:
                tok_lens.extend(map(len, segment(t)))  # rjieba.cut(t, True), shared with clustering
            if "[" in t:
                for m in _EMOTICON.finditer(t):
                    emo.extend((offset + m.start(), offset + m.end()))
        tok_lens.append(1)  # the separator, as a token of its own
        offset += len(t) + 1
    if words:
        lens = np.asarray(tok_lens, dtype=np.int64)
        ends = np.cumsum(lens)
        starts = ends - lens
        keep = ~is_sep[starts] & ~((lens == 1) & (u[starts] == 32))
        ws, we = starts[keep], ends[keep]
        docs.append(doc_of[ws])
        hashes.append(span(ws, we) ^ np.uint64(_SALT_WORD))
        # bigrams: adjacent kept tokens of the same text
        pair = (doc_of[ws[:-1]] == doc_of[ws[1:]]) & (we[:-1] == ws[1:])
        docs.append(doc_of[ws[:-1][pair]])
        hashes.append(span(ws[:-1][pair], we[1:][pair]) ^ np.uint64(_SALT_BIGRAM))
    if emo:
        e = np.asarray(emo, dtype=np.int64).reshape(-1, 2)
        docs.append(doc_of[e[:, 0]])
        hashes.append(span(e[:, 0], e[:, 1]) ^ np.uint64(_SALT_EMOTICON))

    h = np.concatenate(hashes)
    with np.errstate(over="ignore"):
        h ^= h >> np.uint64(29)
        h *= _GOLDEN
    bucket = (h >> np.uint64(64 - bits)).astype(np.int64)
    key = (np.concatenate(docs) << bits) | bucket
    # sort + neighbour test: several times faster than np.unique's hash path here; when every key
    # fits 32 bits (up to 2**(32 - bits) texts, see model.SLICE_TEXTS) half the bytes are sorted
    if len(clean) << bits <= 1 << 32:
        narrow = key.astype(np.uint32)
        narrow.sort()
        key = narrow.astype(np.int64)
    else:
        key.sort()
    distinct = np.empty(len(key), dtype=bool)
    distinct[:1] = True
    np.not_equal(key[1:], key[:-1], out=distinct[1:])
    key = key[distinct]
    return key >> bits, key & ((1 << bits) - 1)
