"""Suspected wrong characters (错别字) and misspelt idioms, from a confusion set and word frequencies.

The noisy-channel idea without a language-model download: a character ``c`` at position ``i`` is
suspect when replacing it by a confusable ``c'`` (same sound, or similar shape) makes the text
around it much more probable as a sequence of dictionary words. "Probable" is the best
segmentation's log-probability under the unigram word model of jieba's dictionary (the same
dictionary the segmenter uses; MIT, installed with jieba): ``朋唷`` is two rare single characters,
``朋友`` a common word, so ``唷 → 友`` gains a lot; ``是场`` → ``市场`` gains less than the
threshold because 是 and 场 are themselves frequent words. The confusion set
(``data/confusion.tsv``) is derived from pycorrector's same-pinyin and same-stroke tables
(Apache-2.0). Idioms are the dictionary's ``i``-tagged four-character words: a four-character
window that is not a word but differs from an idiom in one confusable character is reported.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

_CJK = re.compile(r"[\u4e00-\u9fff]+")
MAX_WORD = 4  # longest word the local segmentation considers (idioms have their own check)
MIN_FORM = 5  # a correction must make a word at least this frequent in the dictionary
IDIOM_MARGIN = math.log(3)  # an idiom must be 3× as frequent as a dictionary word it corrects
CONTEXT = 4  # characters either side of a suspect that the local segmentation looks at

# Channel costs (nats) of each kind of confusion: same sound and tone is the most common slip.
COST_SAME_TONE = 0.0
COST_OTHER_TONE = 2.0
COST_SHAPE = 2.5


@dataclass(frozen=True, slots=True)
class Suspect:
    """A suspected wrong character (or idiom) at ``start:end`` with its correction."""

    start: int
    end: int
    text: str
    suggestion: str
    kind: str  # "typo" | "idiom"
    gain: float  # log-probability gained by the correction, after the channel cost


class Lexicon:
    """Word log-probabilities, idioms and the confusion set, loaded once per process."""

    def __init__(self, freq: dict[str, int], idioms: set[str], confusion: dict[str, dict[str, float]]) -> None:
        total = float(sum(freq.values())) or 1.0
        self.logp: dict[str, float] = {w: math.log(f / total) for w, f in freq.items() if f > 0}
        self.unknown = math.log(0.5 / total)  # a character the dictionary has never seen
        self.idioms = idioms
        self.confusion = confusion
        # word with one position masked → the characters that complete it: "朋?" → "友党辈…"
        masks: dict[str, set[str]] = {}
        for w, f in freq.items():
            if f >= MIN_FORM and 2 <= len(w) <= MAX_WORD:
                for p in range(len(w)):
                    masks.setdefault(w[:p] + "?" + w[p + 1 :], set()).add(w[p])
        self.masks: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in masks.items()}
        # idiom with one position masked → idioms; "按?就班" → {"按部就班"}
        self.idiom_masks: dict[str, list[str]] = {}
        for idiom in idioms:
            for p in range(len(idiom)):
                self.idiom_masks.setdefault(idiom[:p] + "?" + idiom[p + 1 :], []).append(idiom)

    def best(self, text: str) -> float:
        """Log-probability of the best segmentation of ``text`` into dictionary words."""
        n = len(text)
        score = [0.0] + [-math.inf] * n
        logp, unknown = self.logp, self.unknown
        for end in range(1, n + 1):
            best = -math.inf
            for length in range(1, min(MAX_WORD, end) + 1):
                w = text[end - length : end]
                lp = logp.get(w)
                if lp is None:
                    if length > 1:
                        continue
                    lp = unknown
                s = score[end - length] + lp
                if s > best:
                    best = s
            score[end] = best
        return score[n]

    def completions(self, text: str, i: int) -> set[str]:
        """The characters that, put at ``i``, make a dictionary word of 2–4 characters there."""
        out: set[str] = set()
        masks = self.masks
        n = len(text)
        for left in range(0, min(i, MAX_WORD - 1) + 1):
            head = text[i - left : i] + "?"
            for right in range(0, min(n - i - 1, MAX_WORD - 1 - left) + 1):
                if left + right == 0:
                    continue
                chars = masks.get(head + text[i + 1 : i + 1 + right])
                if chars:
                    out.update(chars)
        return out


def _data_path(name: str) -> Path:
    return Path(str(resources.files("qingting.core.proofread").joinpath("data", name)))


def _jieba_dictionary() -> Path:
    import jieba  # the dictionary file only; jieba's segmenter is not used here

    return Path(jieba.__file__).parent / "dict.txt"


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """jieba's dictionary and the shipped confusion set (about a second, once per process)."""
    freq: dict[str, int] = {}
    idioms: set[str] = set()
    with _jieba_dictionary().open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) < 2 or not parts[1].isdigit():
                continue
            word = parts[0]
            freq[word] = int(parts[1])
            if len(parts) > 2 and parts[2] == "i" and len(word) == 4 and _CJK.fullmatch(word):
                idioms.add(word)
    with _data_path("official_words.txt").open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 2 and not line.startswith("#"):
                freq[parts[0]] = max(freq.get(parts[0], 0), int(parts[1]))
    confusion: dict[str, dict[str, float]] = {}
    with _data_path("confusion.tsv").open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 4:
                continue
            ch, same, other, shape = cols[0], cols[1], cols[2], cols[3]
            costs: dict[str, float] = {}
            for chars, cost in ((shape, COST_SHAPE), (other, COST_OTHER_TONE), (same, COST_SAME_TONE)):
                for c in chars:
                    costs[c] = min(cost, costs.get(c, math.inf))
            confusion[ch] = costs
    return Lexicon(freq, idioms, confusion)


class TypoDetector:
    """Finds suspected wrong characters and misspelt idioms in text.

    ``threshold`` is the log-probability (nats) a correction must gain, after its channel cost,
    before it is reported: higher means fewer and surer findings.

    >>> d = TypoDetector()
    >>> [(s.text, s.suggestion) for s in d.detect("对不气，这次会议布署了下一阶段工作。")]
    [('气', '起'), ('布', '部')]
    """

    def __init__(self, *, threshold: float = 3.0, lexicon: Lexicon | None = None) -> None:
        if threshold <= 0:
            raise ValueError(f"threshold must be positive, got {threshold!r}")
        self.threshold = threshold
        self.lexicon = lexicon or default_lexicon()

    def detect(self, text: str) -> list[Suspect]:
        found: list[Suspect] = []
        for m in _CJK.finditer(text):
            found.extend(self._run(m.group(), m.start()))
        return found

    def _run(self, run: str, offset: int) -> list[Suspect]:
        lex = self.lexicon
        out: list[Suspect] = []
        idiom_spans: list[tuple[int, int]] = []
        if len(run) >= 4:
            for s in range(len(run) - 3):
                window = run[s : s + 4]
                if window in lex.idioms:
                    continue
                # jieba's dictionary lists some common misspellings (再接再励) as rare words
                own = lex.logp.get(window, -math.inf)
                for p in range(4):
                    for idiom in lex.idiom_masks.get(window[:p] + "?" + window[p + 1 :], ()):
                        cost = lex.confusion.get(window[p], {}).get(idiom[p])
                        if cost is None or lex.logp[idiom] < own + IDIOM_MARGIN:
                            continue
                        if not any(a <= s + p < b for a, b in idiom_spans):
                            out.append(Suspect(offset + s + p, offset + s + p + 1, window[p], idiom[p], "idiom", 99.0))
                        idiom_spans.append((s, s + 4))
                        break
                    else:
                        continue
                    break
        for i, ch in enumerate(run):
            if any(a <= i < b for a, b in idiom_spans):
                continue
            candidates = lex.confusion.get(ch)
            if not candidates:
                continue
            formed = lex.completions(run, i)
            plausible = [(c, cost) for c, cost in candidates.items() if c in formed]
            if not plausible:
                continue
            lo, hi = max(0, i - CONTEXT), min(len(run), i + CONTEXT + 1)
            window = run[lo:hi]
            j = i - lo
            base = lex.best(window)
            best_gain, best_char = -math.inf, ""
            for c, cost in plausible:
                gain = lex.best(window[:j] + c + window[j + 1 :]) - base - cost
                if gain > best_gain:
                    best_gain, best_char = gain, c
            if best_gain >= self.threshold:
                out.append(Suspect(offset + i, offset + i + 1, ch, best_char, "typo", round(best_gain, 2)))
        out.sort(key=lambda s: s.start)
        return out
