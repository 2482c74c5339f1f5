"""Lexicon and rules: the evidence a Chinese post gives of its tone, read clause by clause.

The lexicon (``lexicon_zh.txt`` beside this module) was written by hand for Qingting; see its
header for the sections. :meth:`Lexicon.evidence` reads a folded text (``qingting.core.text.fold``)
and returns :class:`Evidence`:

- **sentiment words**, matched longest-first (an entry of weight 0 such as ``好像`` blocks the
  ``好`` inside it), multiplied by a preceding **degree word** (``非常``, ``有点``) and flipped by a
  preceding **negator** of the same clause (``不``, ``没有``; a flipped positive becomes a weaker
  negative, a flipped negative a weak positive: ``不满意`` is negative, ``不差`` mildly positive);
- **contrast** (``但``, ``不过``, ``却``): in a sentence, what follows the contrast word outweighs
  what precedes it; a clause opened by a **concession** (``虽然``) is outweighed too. A contrast
  with nothing after it (``辟谣是辟谣了,但...``) is a dismissal and counts as negative;
- **rhetorical questions** (``难道``, ``凭什么``, ``有意思吗``): the positive words of the clause turn
  negative and the marker itself counts negative;
- **genuine questions** (``请问``, ``吗?``) and the **register of official notices and news**
  (``通报``, ``据悉``, ``【…】`` headlines, ``#话题#``): not a tone, but evidence for *neutral*;
- Weibo **[表情] codes** and **emoji**, each with its own weight.

The terms are found in one pass over the text by an Aho-Corasick automaton (``ahocorasick_rs``,
leftmost-longest: at each position the longest term, the scan going on after it), the clauses
then read the matches that fall in them; the rules are pure Python.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import ahocorasick_rs

LEXICON_PATH = Path(__file__).with_name("lexicon_zh.txt")

SECTIONS = (
    "word",
    "negator",
    "degree",
    "contrast",
    "concede",
    "rhetoric",
    "question",
    "register",
    "emoticon",
    "emoji",
    "refute",
    "rumour",
)

_EMOTICON = re.compile(r"\[([^\[\]\s]{1,10})\]")
_SENTENCE = re.compile(r"[。!?\n]+|\.\.\.+|…+")
_CLAUSE = re.compile(r"[,;:、，；：]+")
_HEADLINE = re.compile(r"^\s*(【[^】]{2,60}】|#[^#]{2,40}#)")
_VARIATION = re.compile("[\ufe0f\ufe0e\u200d]")  # emoji presentation selectors and joiners: dropped
_SURROGATE = re.compile("[\ud800-\udfff]")
# Characters that end a clause or a sentence: a term holding one can never be read in a clause.
_BOUNDARY = re.compile(r"[,;:、，；：。!?\n…]|\.\.\.")


@dataclass(frozen=True, slots=True)
class Evidence:
    """What the lexicon and rules found in one text (all sums are weighted)."""

    words: float = 0.0  # sum of the sentiment words after negation, degree and contrast
    positive: float = 0.0  # that sum over the positive contributions only
    negative: float = 0.0  # … and over the negative ones (≤ 0)
    hits: int = 0  # how many sentiment words, emoticons and emoji were found
    emoticons: float = 0.0  # sum of the [表情] codes and emoji
    rhetoric: int = 0  # rhetorical questions found
    dismissals: int = 0  # contrasts with nothing after them ("…是…了,但...")
    questions: int = 0  # genuine questions (no rhetoric, ends with "?")
    register: int = 0  # markers of official notices / news found; a headline counts one
    length: int = 0  # characters


@dataclass(frozen=True, slots=True)
class _Entry:
    word: float | None = None
    negator: bool = False
    degree: float | None = None
    contrast: bool = False
    concede: bool = False
    rhetoric: float | None = None
    question: bool = False
    register: float = 0.0
    emoji: float | None = None
    refute: bool = False
    rumour: bool = False


@dataclass(frozen=True, slots=True)
class Rules:
    """The few numbers the rules use (chosen on development data, see decision 0095)."""

    negated_positive: float = -0.8  # a negated positive word counts this times its weight
    negated_negative: float = -0.4  # a negated negative word (不差) counts this times its weight
    before_contrast: float = 0.6  # weight of what precedes a contrast in its sentence
    after_contrast: float = 1.2  # weight of what follows it
    rhetoric: float = -1.0  # a rhetorical question, beyond the words it flips
    dismissal: float = -1.5  # a contrast with nothing after it
    single_char: float = 0.5  # weight of one-character sentiment words (好, 烦): ambiguous in long posts


class Lexicon:
    """A parsed lexicon file: ``Lexicon.load()`` reads the shipped one."""

    def __init__(self, entries: dict[str, _Entry], emoticons: dict[str, float], rules: Rules | None = None) -> None:
        self.entries = entries
        self.emoticons = emoticons
        self.rules = rules or Rules()
        # Terms spanning a clause boundary cannot match inside a clause; leaving them out of the
        # automaton lets it run over the whole text with the same matches as clause by clause.
        terms = [t for t in entries if not _BOUNDARY.search(t)]
        self._terms = [(len(t), entries[t]) for t in terms]
        self._automaton = (
            ahocorasick_rs.AhoCorasick(terms, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest) if terms else None
        )

    @classmethod
    def parse(cls, text: str, rules: Rules | None = None) -> Lexicon:
        """Parse lexicon text (``SECTION<TAB>TERM<TAB>VALUE`` lines, ``#`` comments)."""
        fields: dict[str, dict[str, object]] = {}
        emoticons: dict[str, float] = {}
        for n, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 3 or parts[0] not in SECTIONS:
                raise ValueError(f"lexicon line {n}: expected SECTION<TAB>TERM<TAB>VALUE, got {raw!r}")
            section, term, value = parts[0], parts[1], float(parts[2])
            if section == "emoticon":
                emoticons.setdefault(term.lower(), value)
                continue
            if section == "emoji":
                term = _VARIATION.sub("", term)
            slot = fields.setdefault(term, {})
            if section in ("negator", "contrast", "concede", "question", "refute", "rumour"):
                slot[section] = True
            else:
                slot.setdefault(section, value)
        entries = {t: _Entry(**f) for t, f in fields.items()}  # type: ignore[arg-type]
        return cls(entries, emoticons, rules)

    @classmethod
    def load(cls, path: str | Path = LEXICON_PATH, rules: Rules | None = None) -> Lexicon:
        return cls.parse(Path(path).read_text(encoding="utf-8"), rules)

    def _matches(self, text: str) -> list[tuple[int, int, int]]:
        """Leftmost-longest matches of lexicon terms in ``text``: ``(term index, start, end)``."""
        if self._automaton is None:
            return []
        try:
            return self._automaton.find_matches_as_indexes(text)
        except UnicodeEncodeError:  # lone surrogates (no term holds one) cannot cross into Rust
            return self._automaton.find_matches_as_indexes(_SURROGATE.sub("\ufffd", text))

    def evidence(self, text: str) -> Evidence:
        """The :class:`Evidence` of one folded text."""
        if not isinstance(text, str) or not text:
            return Evidence()
        r = self.rules
        text = _VARIATION.sub("", text[:2000])  # a regex: str.translate costs a dict lookup per character
        emo = 0.0
        hits = 0
        seen: dict[str, int] = {}
        for m in _EMOTICON.finditer(text):
            code = m.group(1).lower()
            w = self.emoticons.get(code)
            if w is not None:
                seen[code] = seen.get(code, 0) + 1
                if seen[code] <= 2:  # a row of ten [泪] is not ten times as sad
                    emo += w
                    hits += 1
        if seen:
            text = _EMOTICON.sub(",", text)
        register = 1 if _HEADLINE.match(text) else 0
        pos = neg = 0.0
        refuted = False
        rumour = 0.0
        rhetoric = dismissals = questions = 0
        matches, terms = self._matches(text), self._terms
        mi, nm = 0, len(matches)
        for sentence, start, end in _sentences(text):
            if mi >= nm or matches[mi][1] >= start + len(sentence):
                # no term starts in it: its clauses add nothing; only a dangling contrast counts
                if _ends_with_contrast(sentence):
                    dismissals += 1
                continue
            clauses = _clauses(sentence, start)
            before: list[float] = []
            after: list[float] = []
            contrasted = False
            is_question = end.startswith("?")
            for ci, (clause, stop) in enumerate(clauses):
                neg_parity = False
                degree = 1.0
                conceded = False
                clause_rhetoric = False
                clause_question = False
                values: list[float] = []
                while mi < nm and matches[mi][1] < stop:  # the matches that start in this clause
                    k, e = terms[matches[mi][0]]
                    mi += 1
                    if e.register:
                        register += int(e.register)
                    if e.refute:
                        refuted = True
                    if e.emoji is not None:
                        emo += e.emoji
                        hits += 1
                    if e.contrast:
                        if not contrasted:
                            contrasted = True
                            before.extend(after)
                            after = []
                        before.extend(values)
                        values = []
                        neg_parity, degree = False, 1.0
                    if e.concede:
                        conceded = True
                    if e.rhetoric is not None:
                        clause_rhetoric = True
                    if e.question:
                        clause_question = True
                    if e.negator:
                        neg_parity = not neg_parity
                    if e.degree is not None:
                        degree *= e.degree
                    if e.word is not None and e.word != 0.0 and not e.negator:
                        v = e.word * min(degree, 3.0) * (r.single_char if k == 1 else 1.0)
                        if neg_parity:
                            v *= r.negated_positive if v > 0 else r.negated_negative
                        if e.rumour and v < 0:
                            rumour += v  # counted unless the text refutes the rumour
                        else:
                            values.append(v)
                        hits += 1
                        neg_parity, degree = False, 1.0
                last = ci == len(clauses) - 1
                if clause_rhetoric and (is_question or not last or "吗" in clause or "呢" in clause):
                    values = [v * r.negated_positive if v > 0 else v for v in values]
                    rhetoric += 1
                elif clause_question and last and is_question:
                    questions += 1
                if conceded:
                    values = [v * r.before_contrast for v in values]
                after.extend(values)
            if _ends_with_contrast(sentence):
                dismissals += 1
            if contrasted:
                for v in before:
                    _acc = v * r.before_contrast
                    pos, neg = (pos + _acc, neg) if _acc > 0 else (pos, neg + _acc)
                for v in after:
                    _acc = v * r.after_contrast
                    pos, neg = (pos + _acc, neg) if _acc > 0 else (pos, neg + _acc)
            else:
                for v in after:
                    pos, neg = (pos + v, neg) if v > 0 else (pos, neg + v)
        if not (refuted and register):
            neg += rumour
        words = pos + neg + rhetoric * r.rhetoric + dismissals * r.dismissal
        return Evidence(
            words=words,
            positive=pos,
            negative=neg + rhetoric * r.rhetoric + dismissals * r.dismissal,
            hits=hits + rhetoric + dismissals,
            emoticons=emo,
            rhetoric=rhetoric,
            dismissals=dismissals,
            questions=questions,
            register=register,
            length=len(text),
        )


def _sentences(text: str) -> list[tuple[str, int, str]]:
    """``(sentence, where it starts in text, the punctuation that ends it)`` triples."""
    out: list[tuple[str, int, str]] = []
    pos = 0
    for m in _SENTENCE.finditer(text):
        out.append((text[pos : m.start()], pos, m.group()))
        pos = m.end()
    if pos < len(text):
        out.append((text[pos:], pos, ""))
    return out


def _clauses(sentence: str, start: int) -> list[tuple[str, int]]:
    """The clauses of a sentence (as ``_CLAUSE.split`` cuts it) with where each ends in the text."""
    out: list[tuple[str, int]] = []
    pos = 0
    for m in _CLAUSE.finditer(sentence):
        out.append((sentence[pos : m.start()], start + m.start()))
        pos = m.end()
    out.append((sentence[pos:], start + len(sentence)))
    return out


_CONTRAST_TAIL = re.compile(r"(但是?|不过|可是|然而|只是)\s*$")


def _ends_with_contrast(sentence: str) -> bool:
    return bool(_CONTRAST_TAIL.search(sentence))


@functools.cache
def shipped_lexicon() -> Lexicon:
    """The lexicon shipped with Qingting (parsed once per process)."""
    return Lexicon.load()
