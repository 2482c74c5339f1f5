"""The proofreader: typos and idioms (:mod:`.typos`), wording, dates and weekdays, key dates, numbers."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from qingting.core.proofread.typos import TypoDetector

KINDS = ("typo", "idiom", "wording", "date", "weekday", "key_date", "number", "link")
WEEKDAYS = "一二三四五六日"
_WEEKDAY_INDEX = {c: i for i, c in enumerate(WEEKDAYS)} | {"天": 6}

# 2026年12月7日（周一） · 12月7日(星期一) · 12月7日 — the weekday is optional
_DATE = re.compile(
    r"(?:(?P<year>\d{4})\s*年\s*)?(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*[日号]"
    r"(?:\s*[（(]\s*(?P<wprefix>周|星期|礼拜)(?P<weekday>[一二三四五六日天])\s*[）)])?"
)
# a number with the measure word after it: 3名, 1.5万元, 120余人, 12个
_NUMBER = re.compile(
    r"(?<![\d.])(?P<num>\d+(?:\.\d+)?)(?P<mod>余|多)?\s*(?P<unit>万元|亿元|元|万|亿|名|人|起|件|个|家|户|条|次|项|所|辆|处|吨|亩|公里|米|天|小时|%)"
)


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing to look at again: ``text`` at ``start:end`` of the checked string."""

    start: int
    end: int
    text: str
    suggestion: str
    kind: str
    message: str = ""
    field: str = "body"  # "title" or "body" when a document is checked

    def as_dict(self) -> dict[str, object]:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "suggestion": self.suggestion,
            "kind": self.kind,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class WordingRule:
    """An entry of the organisation's standard-wording list: ``wrong`` must be written ``right``."""

    wrong: str
    right: str
    note: str = ""

    def __post_init__(self) -> None:
        if not self.wrong.strip():
            raise ValueError("a wording rule needs the wrong form")
        if self.wrong == self.right:
            raise ValueError(f"wording rule {self.wrong!r}: the wrong and the right form are the same")


@dataclass(frozen=True, slots=True)
class KeyDate:
    """A sensitive day (敏感节点): every year on ``month``/``day``, or only in ``year`` when given."""

    month: int
    day: int
    name: str
    year: int | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1 <= self.day <= 31:
            raise ValueError(f"key date {self.name!r}: no such day {self.month}-{self.day}")

    def matches(self, d: date) -> bool:
        return d.month == self.month and d.day == self.day and (self.year is None or self.year == d.year)


def parse_wording_rules(lines: Iterable[str]) -> list[WordingRule]:
    """Rules from lines ``wrong<TAB or =>right[<TAB>note]``; ``#`` starts a comment.

    >>> parse_wording_rules(["国家工商总局 => 国家市场监督管理总局"])[0].right
    '国家市场监督管理总局'
    """
    rules: list[WordingRule] = []
    for n, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "=>" in line:
            wrong, _, rest = line.partition("=>")
            right, _, note = rest.strip().partition("\t")
        else:
            parts = line.split("\t")
            if len(parts) < 2:
                raise ValueError(f"line {n}: expected 'wrong => right' or 'wrong<TAB>right', got {line!r}")
            wrong, right, note = parts[0], parts[1], "\t".join(parts[2:])
        try:
            rules.append(WordingRule(wrong.strip(), right.strip(), note.strip()))
        except ValueError as e:
            raise ValueError(f"line {n}: {e}") from None
    return rules


_KEY_LINE = re.compile(r"^(?:(\d{4})-)?(\d{1,2})-(\d{1,2})\s+(.+)$")


def parse_key_dates(lines: Iterable[str]) -> list[KeyDate]:
    """Key dates from lines ``MM-DD name`` (every year) or ``YYYY-MM-DD name``; ``#`` comments.

    >>> parse_key_dates(["12-13 国家公祭日"])[0].name
    '国家公祭日'
    """
    out: list[KeyDate] = []
    for n, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _KEY_LINE.match(line)
        if not m:
            raise ValueError(f"line {n}: expected 'MM-DD name' or 'YYYY-MM-DD name', got {line!r}")
        try:
            out.append(KeyDate(int(m[2]), int(m[3]), m[4].strip(), int(m[1]) if m[1] else None))
        except ValueError as e:
            raise ValueError(f"line {n}: {e}") from None
    return out


def infer_year(month: int, day: int, today: date) -> int:
    """The year (last, this or next) that puts month/day nearest to ``today``.

    >>> infer_year(1, 3, date(2026, 12, 20)), infer_year(12, 1, date(2026, 1, 5))
    (2027, 2025)
    """
    best_year, best_gap = today.year, None
    for year in (today.year - 1, today.year, today.year + 1):
        if day > calendar.monthrange(year, month)[1]:
            continue
        gap = abs((date(year, month, day) - today).days)
        if best_gap is None or gap < best_gap:
            best_year, best_gap = year, gap
    return best_year


class Proofreader:
    """Checks text for the things 三校 looks at; see the package docstring for the kinds.

    ``wording``: the organisation's standard-wording list; ``key_dates``: its sensitive days;
    ``today``: the reference day for dates without a year (``date.today()`` when ``None``);
    ``typos``: turn the typo and idiom detector off (it loads a dictionary once per process).
    """

    def __init__(
        self,
        *,
        wording: Sequence[WordingRule] = (),
        key_dates: Sequence[KeyDate] = (),
        today: date | None = None,
        typos: bool = True,
        threshold: float = 3.0,
    ) -> None:
        self.wording = list(wording)
        self.key_dates = list(key_dates)
        self.today = today
        self._typos = TypoDetector(threshold=threshold) if typos else None
        # longest wrong form first, so "原国家工商总局" wins over "工商总局"
        self._wording_re = (
            re.compile("|".join(re.escape(r.wrong) for r in sorted(self.wording, key=lambda r: -len(r.wrong))))
            if self.wording
            else None
        )
        self._rule_for = {r.wrong: r for r in self.wording}

    # --- one piece of text ------------------------------------------------------------------

    def check(self, text: str) -> list[Finding]:
        """Every finding in ``text``, in order of position."""
        findings: list[Finding] = []
        findings.extend(self._wording(text))
        findings.extend(self._dates(text))
        if self._typos is not None:
            taken = [(f.start, f.end) for f in findings]
            for s in self._typos.detect(text):
                if any(a < s.end and s.start < b for a, b in taken):
                    continue  # a wording rule or a date already covers it
                message = "疑似成语用字错误" if s.kind == "idiom" else "疑似错别字"
                findings.append(Finding(s.start, s.end, s.text, s.suggestion, s.kind, message))
        findings.sort(key=lambda f: (f.start, f.end, f.kind))
        return findings

    def check_document(self, title: str, body: str) -> list[Finding]:
        """Findings in the title and the body (``field`` says which), plus title/body number mismatches."""
        out = [_with_field(f, "title") for f in self.check(title)]
        out.extend(self.check(body))
        out.extend(self._numbers(title, body))
        return out

    # --- the checks ---------------------------------------------------------------------------

    def _wording(self, text: str) -> Iterable[Finding]:
        if self._wording_re is None:
            return
        for m in self._wording_re.finditer(text):
            rule = self._rule_for[m.group()]
            if _inside(text, rule.right, m.start(), m.end()):
                continue  # the wrong form is part of the right one here ("监管局" in "市场监管局")
            yield Finding(m.start(), m.end(), m.group(), rule.right, "wording", rule.note or "不符合规范表述")

    def _dates(self, text: str) -> Iterable[Finding]:
        today = self.today or date.today()
        for m in _DATE.finditer(text):
            month, day = int(m["month"]), int(m["day"])
            year = int(m["year"]) if m["year"] else None
            if not 1 <= month <= 12 or day < 1:
                yield Finding(m.start(), m.end(), m.group(), "", "date", f"没有{month}月{day}日")
                continue
            if year is None:
                year = infer_year(month, day, today)
            if day > calendar.monthrange(year, month)[1]:
                yield Finding(m.start(), m.end(), m.group(), "", "date", f"{year}年{month}月没有{day}日")
                continue
            d = date(year, month, day)
            if m["weekday"]:
                actual = d.weekday()
                if _WEEKDAY_INDEX[m["weekday"]] != actual:
                    right = m["wprefix"] + WEEKDAYS[actual]
                    start, end = m.start("wprefix"), m.end("weekday")
                    yield Finding(start, end, text[start:end], right, "weekday", f"{year}年{month}月{day}日是{right}")
            for key in self.key_dates:
                if key.matches(d):
                    yield Finding(
                        m.start(), m.end(), m.group(), "", "key_date", f"{year}年{month}月{day}日是敏感节点：{key.name}"
                    )

    def _numbers(self, title: str, body: str) -> Iterable[Finding]:
        in_body: dict[str, set[str]] = {}
        for m in _NUMBER.finditer(body):
            in_body.setdefault(m["unit"], set()).add(_canonical(m["num"]))
        for m in _NUMBER.finditer(title):
            values = in_body.get(m["unit"])
            if not values or _canonical(m["num"]) in values:
                continue
            others = "、".join(sorted(v + m["unit"] for v in values))
            yield Finding(
                m.start(),
                m.end(),
                m.group(),
                others if len(values) == 1 else "",
                "number",
                f"标题为{m.group()}，正文为{others}",
                "title",
            )


def _inside(text: str, right: str, start: int, end: int) -> bool:
    """Whether an occurrence of ``right`` in ``text`` covers ``start:end``."""
    if not right:
        return False
    s = text.find(right, max(0, end - len(right)))
    while s != -1 and s <= start:
        if s + len(right) >= end:
            return True
        s = text.find(right, s + 1)
    return False


def _canonical(num: str) -> str:
    return num.rstrip("0").rstrip(".") if "." in num else num.lstrip("0") or "0"


def _with_field(f: Finding, field: str) -> Finding:
    return Finding(f.start, f.end, f.text, f.suggestion, f.kind, f.message, field)


def findings_by_kind(findings: Iterable[Finding]) -> Mapping[str, int]:
    """How many findings of each kind (for summaries)."""
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    return counts
