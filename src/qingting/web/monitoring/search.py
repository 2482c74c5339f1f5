"""Chinese-aware full-text search: segmentation for the index and the query, and highlighting.

The index (SQLite FTS5, migration 0002) holds each item's title and text already segmented into
space-separated tokens. Segmentation is the core engine's (``qingting.core.text.tokenize`` over
``fold``-ed text, so Traditional and Simplified match each other); until that module is
importable, CJK runs are indexed as overlapping character bigrams. Index and query always use the
same function, and :func:`qingting.web.monitoring.services.search_index_rebuild` re-indexes
everything after the segmenter changes.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[\w\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+", re.UNICODE)
MAX_QUERY_TERMS = 12


def _fallback_fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _fallback_tokenize(text: str, lang: str | None = None) -> list[str]:
    tokens: list[str] = []
    for word in _WORD.findall(text):
        if _CJK.fullmatch(word):
            tokens.extend(word[i : i + 2] for i in range(len(word) - 1)) if len(word) > 1 else tokens.append(word)
        else:
            # Mixed runs: split CJK parts out so "APP停水" indexes both parts.
            for part in re.split(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)", word):
                if not part:
                    continue
                if _CJK.fullmatch(part):
                    tokens.extend(_fallback_tokenize(part))
                else:
                    tokens.append(part)
    return tokens


@functools.cache
def _engine() -> tuple[Callable[[str], str], Callable[[str, str | None], list[str]], str]:
    """(fold, tokenize, name) — the core's when importable, the bigram fallback otherwise."""
    try:
        from qingting.core.text import fold, tokenize
    except ImportError:
        return _fallback_fold, _fallback_tokenize, "bigram"

    def core_tokenize(text: str, lang: str | None) -> list[str]:
        # "und" lets the core pick: Han characters are segmented as Chinese.
        return [str(t) for t in tokenize(text, lang or "und")]

    return fold, core_tokenize, "core"


def fold(text: str) -> str:
    """Text folded for matching (NFKC, lower case, Traditional → Simplified when available)."""
    return _engine()[0](text)


def segmenter_name() -> str:
    """Which segmenter is in use: ``"core"`` or ``"bigram"``."""
    return _engine()[2]


def segment(text: str, lang: str | None = None) -> list[str]:
    """Tokens of ``text`` for the index, words only (punctuation dropped)."""
    tokens = _engine()[1](fold(text), lang)
    return [t for t in tokens if _WORD.search(t)]


def index_body(title: str, text: str, lang: str | None = None) -> str:
    """The string stored in the FTS index for one item."""
    return " ".join(segment(f"{title}\n{text}", lang))


def index_body_folded(folded: str, lang: str | None = None) -> str:
    """:func:`index_body` from the item's stored matching form (``Item.folded``: its title and
    text already folded, and ``fold`` is idempotent), without folding again."""
    return " ".join(t for t in _engine()[1](folded, lang) if _WORD.search(t))


# Facet tokens: letters and digits only (FTS5's unicode61 tokenizer splits on "_"), with a prefix
# no Chinese or English word has, so that scoping and filters run inside the full-text index.
FACET = "qqf"


def facet_tokens(*, unit_ids: Iterable[int], source_id: int, source_kind: str, sentiment: str) -> list[str]:
    """Tokens indexed with an item so a query can require its unit (or an ancestor), source, kind, mood."""
    tokens = [f"{FACET}u{u}" for u in unit_ids]
    tokens.append(f"{FACET}s{source_id}")
    if source_kind.isalnum():
        tokens.append(f"{FACET}k{source_kind}")
    if sentiment.isalnum():
        tokens.append(f"{FACET}m{sentiment}")
    return tokens


# Query dialects: SQLite FTS5 MATCH, or PostgreSQL to_tsquery('simple', …).
_DIALECTS: dict[str, tuple[str, str, Callable[[str], str]]] = {
    "sqlite": (" AND ", " OR ", lambda t: '"' + t.replace('"', '""') + '"'),
    "postgresql": (" & ", " | ", lambda t: "'" + t.replace("\\", "\\\\").replace("'", "''") + "'"),
}


def _render(groups: list[list[str]], dialect: str) -> str:
    and_, or_, quote = _DIALECTS[dialect]
    rendered = []
    for group in groups:
        quoted = [quote(t) for t in group]
        rendered.append(quoted[0] if len(quoted) == 1 else "(" + or_.join(quoted) + ")")
    return and_.join(rendered)


def facet_expression(
    *,
    unit_ids: Iterable[int] | None,
    source_id: int | None,
    source_kind: str,
    sentiment: str,
    dialect: str = "sqlite",
) -> str:
    """The index conditions for the scope and filters (``unit_ids`` ``None``: no unit condition)."""
    groups: list[list[str]] = []
    if unit_ids is not None:
        groups.append([f"{FACET}u{int(u)}" for u in sorted(unit_ids)])
    if source_id is not None:
        groups.append([f"{FACET}s{int(source_id)}"])
    if source_kind.isalnum():
        groups.append([f"{FACET}k{source_kind}"])
    if sentiment.isalnum():
        groups.append([f"{FACET}m{sentiment}"])
    return _render(groups, dialect) if groups else ""


def match_expression(query: str, dialect: str = "sqlite") -> str | None:
    """An index expression requiring every query token, or ``None`` for an empty query.

    Every token is quoted for the dialect (quotes doubled inside), so user input can never use
    FTS5 or tsquery operators or column filters.
    """
    terms = list(dict.fromkeys(segment(query)))[:MAX_QUERY_TERMS]
    if not terms:
        return None
    return _render([[t] for t in terms], dialect)


def query_terms(query: str) -> list[str]:
    """Surface forms to highlight: the folded query's tokens and its whitespace-separated words."""
    folded = fold(query)
    terms = set(segment(query)) | {w for w in folded.split() if _WORD.search(w)}
    return sorted(terms, key=len, reverse=True)


_SPACE = re.compile(r"(\s+)")


def _matching_form(text: str) -> str:
    """``text`` folded piece by piece so that it keeps its length (positions map back 1:1).

    ``fold`` collapses whitespace and may change length; folding each non-space run on its own
    and keeping runs whose length changed as plain lower case keeps every position in place.
    """
    out: list[str] = []
    for part in _SPACE.split(text):
        if not part or part.isspace():
            out.append(part)
            continue
        folded = fold(part)
        out.append(folded if len(folded) == len(part) else part.lower() if len(part.lower()) == len(part) else part)
    return "".join(out)


def _spans(haystack: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    for term in terms:
        if not term:
            continue
        start = 0
        while (i := haystack.find(term, start)) >= 0:
            found.append((i, i + len(term)))
            start = i + len(term)
    found.sort()
    merged: list[tuple[int, int]] = []
    for a, b in found:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def highlight(text: str, query: str, *, width: int | None = None) -> SafeString:
    """``text`` HTML-escaped, with query matches wrapped in ``<mark>``; optionally a snippet.

    Escaping happens piece by piece *before* the marks are added, so nothing in ``text`` can
    become markup. Matching runs on the folded text (so a search for 「停水」 also marks it written
    in Traditional), folded in a way that keeps positions.
    """
    haystack = _matching_form(text)
    spans = _spans(haystack, query_terms(query)) if query.strip() else []
    lo, hi = 0, len(text)
    if width is not None and len(text) > width:
        centre = spans[0][0] if spans else 0
        lo = max(0, centre - width // 3)
        hi = min(len(text), lo + width)
    out: list[str] = ["…" if lo > 0 else ""]
    pos = lo
    for a, b in spans:
        if b <= lo or a >= hi:
            continue
        a, b = max(a, lo), min(b, hi)
        out.append(escape(text[pos:a]))
        out.append("<mark>" + escape(text[a:b]) + "</mark>")
        pos = b
    out.append(escape(text[pos:hi]))
    if hi < len(text):
        out.append("…")
    return mark_safe("".join(out))  # every piece of outside text above went through escape()
