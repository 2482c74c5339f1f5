"""One entry point for every language: dispatch each text to the right sentiment method.

- Chinese and the other CJK languages (``zh*``, ``ja``, ``ko``, ``yue``, ``wuu``) → the three-class
  Chinese model (:class:`~qingting.core.sentiment.three.ThreeClassModel`: lexicon, rules and the
  organisation's learned model, if any; decision 0095) or a binary model a user trained before.
- English (``en*``) → VADER (:class:`~qingting.core.sentiment.english.EnglishSentiment`).
- Any other language, unknown (``None``, ``""``, ``"und"``): exactly 0.5, i.e. neutral — we do
  not guess a sentiment we have no method for.

Probabilities map to labels through :data:`NEUTRAL_BAND`: ``p < 0.4`` negative, ``p > 0.6``
positive, ``0.4 ≤ p ≤ 0.6`` neutral (the bounds are inclusive on the neutral side).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from qingting.core.sentiment.english import EnglishSentiment
from qingting.core.sentiment.model import SentimentModel
from qingting.core.sentiment.three import ThreeClassModel, load_any
from qingting.core.text import Normalized
from qingting.core.types import SentimentLabel

NEUTRAL_BAND: tuple[float, float] = (0.4, 0.6)
_CJK = ("zh", "ja", "ko", "yue", "wuu", "cjk")


def label_for(prob: float, band: tuple[float, float] = NEUTRAL_BAND) -> SentimentLabel:
    """The label of a positive-probability: negative below ``band[0]``, positive above ``band[1]``.

    >>> label_for(0.1), label_for(0.5), label_for(0.9)
    (<SentimentLabel.NEGATIVE: 'negative'>, <SentimentLabel.NEUTRAL: 'neutral'>, <SentimentLabel.POSITIVE: 'positive'>)
    """
    lo, hi = band
    if prob < lo:
        return SentimentLabel.NEGATIVE
    if prob > hi:
        return SentimentLabel.POSITIVE
    return SentimentLabel.NEUTRAL


def sentiment_text(norm: Normalized) -> str:
    """The text to score for a normalised post: its matching form plus its emoticons and emoji.

    ``Normalized.match`` drops Weibo emoticons and emoji, yet they are among the strongest signals
    on Weibo (weibo2018, 80/20 split: 0.857 on ``match`` alone, 0.881 with them put back).

    >>> from qingting.core.text import normalize
    >>> sentiment_text(normalize("太好了[哈哈]😀 http://t.cn/x"))
    '太好了 [哈哈]😀'
    """
    extra = "".join(f"[{e}]" for e in norm.emoticons) + "".join(norm.emoji)
    if not extra:
        return norm.match
    return f"{norm.match} {extra}" if norm.match else extra


def method_for(lang: str | None) -> str:
    """``"zh"`` (the trained model), ``"en"`` (VADER) or ``"none"`` (0.5) for a language code."""
    code = (lang or "").lower()
    if code.startswith(_CJK):
        return "zh"
    if code == "en" or code.startswith("en-") or code.startswith("en_"):
        return "en"
    return "none"


class Analyzer:
    """Sentiment for texts in mixed languages: ``predict_proba(texts, langs)``.

    Texts are expected in matching form (:func:`qingting.core.text.fold`). ``model`` defaults to
    the shipped Chinese model; both models are loaded on first use.

    >>> a = Analyzer()
    >>> [str(x) for x in a.predict_label(["太棒了,非常满意", "terrible!", "très bien"], ["zh", "en", "fr"])]
    ['positive', 'negative', 'neutral']
    """

    def __init__(
        self, model: ThreeClassModel | SentimentModel | None = None, english: EnglishSentiment | None = None
    ) -> None:
        self._model = model
        self._english = english

    @property
    def model(self) -> ThreeClassModel | SentimentModel:
        """The Chinese model in use."""
        if self._model is None:
            self._model = _shipped()
        return self._model

    @property
    def english(self) -> EnglishSentiment:
        """The English method in use."""
        if self._english is None:
            self._english = EnglishSentiment()
        return self._english

    def predict_proba(self, texts: Sequence[str], langs: Sequence[str | None]) -> list[float]:
        """Probability that each text is positive, in input order (0.5 for unsupported languages)."""
        if len(texts) != len(langs):
            raise ValueError(f"texts and langs differ in length: {len(texts)} != {len(langs)}")
        out = [0.5] * len(texts)
        # each distinct text is scored once: streams repeat themselves (copies, "转发微博")
        groups: dict[str, dict[str, list[int]]] = {"zh": {}, "en": {}}
        for i, lang in enumerate(langs):
            m = method_for(lang)
            if m != "none":
                groups[m].setdefault(texts[i], []).append(i)
        for method, by_text in groups.items():
            if not by_text:
                continue
            unique = list(by_text)
            scorer = self.model if method == "zh" else self.english
            for text, p in zip(unique, scorer.predict_proba(unique), strict=True):
                for i in by_text[text]:
                    out[i] = float(p)
        return out

    def predict_label(self, texts: Sequence[str], langs: Sequence[str | None]) -> list[SentimentLabel]:
        """:func:`label_for` of each probability."""
        return [label_for(p) for p in self.predict_proba(texts, langs)]


def default_analyzer(model_path: str | Path | None = None) -> Analyzer:
    """An :class:`Analyzer` with the model at ``model_path`` (from ``qingting sentiment train``), or the default."""
    return Analyzer(load_any(model_path) if model_path else None)


_SHIPPED: list[ThreeClassModel] = []


def _shipped() -> ThreeClassModel:
    """The shipped three-class default, built once per process."""
    if not _SHIPPED:
        _SHIPPED.append(ThreeClassModel.default())
    return _SHIPPED[0]
