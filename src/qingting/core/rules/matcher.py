"""Compiled scheme matchers: fast boolean matching on many items, and spans for highlighting.

An expression is parsed once and compiled into nested closures; matching an item folds its text
once (:func:`qingting.core.text.fold`) and then only runs substring tests (``in``, C speed) or, for
English words, a precompiled regular expression with word boundaries. Positions are computed only
where ``NEAR`` needs them.

Matching rules, in the user's words:

- a term matches as a substring of the folded text (Chinese has no spaces, so ``停水`` matches
  ``全镇停水了``); a term that starts or ends with a Latin letter or digit must sit on a word
  boundary there (``art`` does not match ``party``; ``5g`` does not match ``15g``);
- ``A NEAR/n B``: an occurrence of A and one of B, in either order, with at most ``n`` characters
  of folded text between them (characters throughout, also for English: about six per word);
- ``source:x`` — the item's source equals ``x`` (folded); ``region:x`` — the item's region
  contains ``x`` when the item has a region, else its text mentions ``x``.

>>> m = compile_expression('(停水 OR 断水) NEAR/8 柳湾镇 -演习')
>>> m.matches("柳灣鎮今天全鎮停水，什麼時候恢復？")
True
>>> m.matches("柳湾镇停水演习通知")
False
>>> text = "柳灣鎮今天全鎮停水"
>>> [(s.start, s.end, text[s.start:s.end]) for s in m.spans(text)]
[(0, 3, '柳灣鎮'), (7, 9, '停水')]
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from qingting.core.rules.expression import All, And, Field, Near, Node, Not, Or, Term, parse
from qingting.core.text import fold
from qingting.core.types import Item

__all__ = ["Matcher", "Span", "compile_expression"]

_Ctx = tuple[str, str, str]  # folded text, folded source, folded region
_Pred = Callable[[_Ctx], bool]
_Finder = Callable[[str], list[tuple[int, int]]]


@dataclass(frozen=True, slots=True)
class Span:
    """A matched piece of the *original* text: ``text[start:end]`` shows ``term`` (folded)."""

    start: int
    end: int
    term: str


def _is_word_char(c: str) -> bool:
    return c.isascii() and c.isalnum()


def _finder(term: str) -> tuple[Callable[[str], bool], _Finder]:
    """A fast presence test and an all-occurrences finder for one folded term."""
    left, right = _is_word_char(term[0]), _is_word_char(term[-1])
    if left or right:
        rx = re.compile(("(?<![a-z0-9])" if left else "") + re.escape(term) + ("(?![a-z0-9])" if right else ""))
        search = rx.search

        def present(text: str) -> bool:
            return term in text and search(text) is not None

        def find(text: str) -> list[tuple[int, int]]:
            return [m.span() for m in rx.finditer(text)]

        return present, find

    def present_plain(text: str) -> bool:
        return term in text

    def find_plain(text: str) -> list[tuple[int, int]]:
        out, i, n = [], text.find(term), len(term)
        while i >= 0:
            out.append((i, i + n))
            i = text.find(term, i + 1)
        return out

    return present_plain, find_plain


class Matcher:
    """A compiled scheme expression; build with :func:`compile_expression`."""

    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.tree: Node = parse(expression)
        self._finders: dict[str, tuple[Callable[[str], bool], _Finder]] = {}
        self._pred = self._compile(self.tree)
        self.terms: tuple[str, ...] = tuple(dict.fromkeys(_positive_terms(self.tree)))

    # -- public API -------------------------------------------------------------------------

    def matches(self, text: str, *, source: str = "", region: str = "") -> bool:
        """Whether an item with this text (and source, region) matches the expression."""
        return self._pred((fold(text), fold(source) if source else "", fold(region) if region else ""))

    def matches_folded(self, folded: str, *, source: str = "", region: str = "") -> bool:
        """As :meth:`matches`, for callers that already hold ``fold(text)`` (and folded fields)."""
        return self._pred((folded, source, region))

    def match_item(self, item: Item, *, region: str = "") -> bool:
        """Whether an engine item matches: its title and text are both searched."""
        text = f"{item.title}\n{item.text}" if item.title else item.text
        return self.matches(text, source=item.source, region=region)

    def filter(self, items: Iterable[Item]) -> Iterator[Item]:
        """The items that match, in order."""
        return (it for it in items if self.match_item(it))

    def preview(self, items: Iterable[Item], limit: int = 50) -> list[tuple[Item, list[Span]]]:
        """The first ``limit`` matching items with the spans to highlight in their text.

        For the scheme editor's live preview; spans index ``item.text`` (not the title).
        """
        out: list[tuple[Item, list[Span]]] = []
        for it in items:
            if len(out) >= limit:
                break
            if self.match_item(it):
                out.append((it, self.spans(it.text)))
        return out

    def spans(self, text: str) -> list[Span]:
        """Where the expression's positive terms occur in ``text`` (original positions), merged.

        Terms under NOT are not highlighted; ``region:`` values are, when found in the text.
        """
        folded, offsets = _fold_with_offsets(text)
        found: list[tuple[int, int, str]] = []
        for term in self.terms:
            _, find = self._finder_for(term)
            for a, b in find(folded):
                found.append((offsets[a], offsets[b - 1] + 1, term))
        found.sort()
        merged: list[Span] = []
        for a, b, term in found:
            if merged and a < merged[-1].end:
                last = merged[-1]
                if b > last.end:
                    merged[-1] = Span(last.start, b, last.term)
                continue
            merged.append(Span(a, b, term))
        return merged

    # -- compilation ------------------------------------------------------------------------

    def _finder_for(self, term: str) -> tuple[Callable[[str], bool], _Finder]:
        f = self._finders.get(term)
        if f is None:
            f = self._finders[term] = _finder(term)
        return f

    def _compile(self, node: Node) -> _Pred:
        if isinstance(node, Term):
            present = self._finder_for(node.text)[0]
            return lambda ctx: present(ctx[0])
        if isinstance(node, All):
            return lambda ctx: True
        if isinstance(node, Field):
            value = node.value
            if node.name == "source":
                return lambda ctx: ctx[1] == value
            in_text = self._finder_for(value)[0]
            return lambda ctx: value in ctx[2] if ctx[2] else in_text(ctx[0])
        if isinstance(node, Not):
            inner = self._compile(node.child)
            return lambda ctx: not inner(ctx)
        if isinstance(node, And):
            parts = tuple(self._compile(c) for c in _cheap_first(node.children))
            return lambda ctx: all(p(ctx) for p in parts)
        if isinstance(node, Or):
            alts = tuple(self._compile(c) for c in node.children)
            return lambda ctx: any(p(ctx) for p in alts)
        if isinstance(node, Near):
            gate = self._compile(And((node.left, node.right)))  # cheap presence test first
            occ = self._occurrences(node)
            return lambda ctx: gate(ctx) and bool(occ(ctx[0]))
        raise TypeError(f"unknown node {node!r}")  # pragma: no cover

    def _occurrences(self, node: Node) -> _Finder:
        """Positions where a span-producing node (term, OR of them, NEAR) matches."""
        if isinstance(node, Term):
            return self._finder_for(node.text)[1]
        if isinstance(node, Or):
            subs = tuple(self._occurrences(c) for c in node.children)
            return lambda text: sorted(p for f in subs for p in f(text))
        if isinstance(node, Near):
            left, right, dist = self._occurrences(node.left), self._occurrences(node.right), node.distance

            def near(text: str) -> list[tuple[int, int]]:
                out = []
                rs = right(text)
                if not rs:
                    return []
                for a0, a1 in left(text):
                    for b0, b1 in rs:
                        if max(b0 - a1, a0 - b1, 0) <= dist:
                            out.append((min(a0, b0), max(a1, b1)))
                return out

            return near
        raise TypeError(f"NEAR operand cannot give positions: {node!r}")  # pragma: no cover


def _cheap_first(children: tuple[Node, ...]) -> tuple[Node, ...]:
    """Evaluate filters and plain terms before NEAR and nested groups (AND short-circuits)."""

    def cost(n: Node) -> int:
        if isinstance(n, Field):
            return 0
        if isinstance(n, Term):
            return 1
        if isinstance(n, Near):
            return 3
        return 2

    return tuple(sorted(children, key=cost))


def _positive_terms(node: Node) -> Iterator[str]:
    if isinstance(node, Term):
        yield node.text
    elif isinstance(node, Field):
        if node.name == "region":
            yield node.value
    elif isinstance(node, And | Or):
        for c in node.children:
            yield from _positive_terms(c)
    elif isinstance(node, Near):
        yield from _positive_terms(node.left)
        yield from _positive_terms(node.right)


def _fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """Fold ``text`` character by character, remembering each folded character's original index.

    Equal to :func:`fold` for almost every text (the exception: OpenCC phrase conversions that
    change length, where a per-character conversion is used instead) — good enough to highlight.
    """
    chars: list[str] = []
    offsets: list[int] = []
    for k, c in enumerate(text):
        if c.isspace() or not c.isprintable():
            if unicodedata.category(c) == "Cf":  # invisible: dropped, like fold does
                continue
            if chars and chars[-1] != " ":
                chars.append(" ")
                offsets.append(k)
            continue
        for x in unicodedata.normalize("NFKC", c).lower():
            chars.append(x)
            offsets.append(k)
    if chars and chars[-1] == " ":
        chars.pop()
        offsets.pop()
    joined = "".join(chars)
    folded = fold(joined) if not joined.isascii() else joined
    if len(folded) != len(joined):
        # fold changed the length (a phrase conversion): convert character by character instead
        folded = "".join(_fold_char(x) for x in chars)
    return folded, offsets


def _fold_char(c: str) -> str:
    if c == " ":
        return c
    f = fold(c)
    return f if len(f) == 1 else c


def compile_expression(expression: str) -> Matcher:
    """Parse and compile ``expression``; raises :class:`~qingting.core.rules.ParseError`."""
    return Matcher(expression)
