"""Standard wording (规范表述): find the forms an organisation's own list says are wrong.

The list is the organisation's: its officials' names with their current titles (``张三县长`` when
张三 is 副县长), institution names (``县发改局`` → ``县发展和改革局``), outdated names (``县卫计委``
after the 2019 reform), and phrases its style guide forbids. Each :class:`WordingRule` names a
wrong form and the right one; ``serious`` marks the ones the national indicators treat as a
serious wording error (严重表述错误, a single-item veto: a leader's wrong name or title).

Pure Python and deterministic, so the command line, the channel inspections and the release
proofreading share it:

>>> rules = [WordingRule("县卫计委", "县卫生健康委员会", kind="outdated")]
>>> [(h.text, h.suggestion) for h in check_wording("县卫计委召开会议。", rules)]
[('县卫计委', '县卫生健康委员会')]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["KINDS", "WordingHit", "WordingRule", "check_wording", "parse_wording_rules", "sentence_at"]

# What a rule is about; free text elsewhere, these are the ones the forms offer.
KINDS = ("name", "title", "institution", "outdated", "other")
_SENTENCE_END = "。！？!?；;\n"


@dataclass(frozen=True, slots=True)
class WordingRule:
    """``wrong`` must be written ``right``; ``serious`` makes a hit a 严重表述错误."""

    wrong: str
    right: str
    kind: str = "other"
    serious: bool = False
    note: str = ""

    def __post_init__(self) -> None:
        if not self.wrong.strip():
            raise ValueError("WordingRule: the wrong form is empty")
        if self.wrong == self.right:
            raise ValueError(f"WordingRule: wrong and right are the same ({self.wrong!r})")


@dataclass(frozen=True, slots=True)
class WordingHit:
    """A wrong form at ``text[start:end]`` with the rule's right form as ``suggestion``."""

    start: int
    end: int
    text: str
    suggestion: str
    kind: str
    serious: bool
    note: str = ""


def _pattern(rules: Sequence[WordingRule]) -> re.Pattern[str] | None:
    forms = sorted({r.wrong for r in rules}, key=len, reverse=True)  # longest first wins
    if not forms:
        return None
    return re.compile("|".join(re.escape(f) for f in forms))


def check_wording(text: str, rules: Iterable[WordingRule]) -> list[WordingHit]:
    """Every occurrence of a rule's wrong form in ``text``, in order, without overlaps.

    An occurrence inside an occurrence of the right form is not a hit (when the right form
    contains the wrong one: ``青禾日报`` inside ``青禾日报社``).

    >>> check_wording("请联系青禾日报社。", [WordingRule("青禾日报", "青禾日报社")])
    []
    """
    rules = list(rules)
    pattern = _pattern(rules)
    if pattern is None or not text:
        return []
    by_wrong: dict[str, WordingRule] = {}
    for rule in rules:
        by_wrong.setdefault(rule.wrong, rule)
    hits: list[WordingHit] = []
    right_spans: dict[str, list[tuple[int, int]]] = {}
    for m in pattern.finditer(text):
        rule = by_wrong[m.group()]
        if rule.right and rule.wrong in rule.right:
            spans = right_spans.get(rule.right)
            if spans is None:
                spans = [(r.start(), r.end()) for r in re.finditer(re.escape(rule.right), text)]
                right_spans[rule.right] = spans
            if any(s <= m.start() and m.end() <= e for s, e in spans):
                continue
        hits.append(WordingHit(m.start(), m.end(), m.group(), rule.right, rule.kind, rule.serious, rule.note))
    return hits


def sentence_at(text: str, start: int, end: int, *, limit: int = 120) -> str:
    """The sentence of ``text`` around ``text[start:end]``, at most ``limit`` characters.

    >>> sentence_at("第一句。县卫计委召开会议。第三句", 4, 8)
    '县卫计委召开会议。'
    """
    left = max((text.rfind(c, 0, start) for c in _SENTENCE_END), default=-1) + 1
    ends = [i for i in (text.find(c, end) for c in _SENTENCE_END) if i >= 0]
    right = min(ends) + 1 if ends else len(text)
    sentence = text[left:right].strip()
    if len(sentence) <= limit:
        return sentence
    # Too long (a page without punctuation): a window centred on the hit.
    half = max(0, (limit - (end - start)) // 2)
    lo = max(0, start - half)
    return ("…" if lo > 0 else "") + text[lo : lo + limit].strip() + "…"


def parse_wording_rules(lines: Iterable[str], *, where: str = "list") -> list[WordingRule]:
    """Rules from ``wrong => right`` or ``wrong<TAB>right[<TAB>kind[<TAB>serious[<TAB>note]]]`` lines.

    ``#`` starts a comment; ``serious`` is ``serious``, ``严重``, ``yes`` or ``1``. A bad line
    raises ``ValueError`` naming it.

    >>> [(r.wrong, r.right, r.serious) for r in parse_wording_rules(["张三县长\\t张三副县长\\ttitle\\t严重"])]
    [('张三县长', '张三副县长', True)]
    """
    rules: list[WordingRule] = []
    for n, raw in enumerate(lines, 1):
        line = raw.strip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if "=>" in line and "\t" not in line:
            wrong, _, right = line.partition("=>")
            parts = [wrong, right]
        else:
            parts = line.split("\t")
        if len(parts) < 2:
            raise ValueError(f"{where}, line {n}: expected 'wrong => right' or 'wrong<TAB>right', got {line!r}")
        wrong, right = parts[0].strip(), parts[1].strip()
        kind = parts[2].strip() if len(parts) > 2 and parts[2].strip() else "other"
        serious = len(parts) > 3 and parts[3].strip().lower() in ("serious", "严重", "yes", "1", "true")
        note = parts[4].strip() if len(parts) > 4 else ""
        try:
            rules.append(WordingRule(wrong, right, kind=kind, serious=serious, note=note))
        except ValueError as e:
            raise ValueError(f"{where}, line {n}: {e}") from None
    return rules
