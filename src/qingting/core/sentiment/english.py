"""English sentiment: VADER (Hutto & Gilbert 2014), a rule-based lexicon method, as a probability.

VADER ships its lexicon inside the ``vaderSentiment`` package (MIT licence), so nothing is
downloaded. Its ``compound`` score in [-1, 1] is mapped linearly to a probability of being
positive, ``p = (compound + 1) / 2``: VADER's own neutral zone ``|compound| < 0.05`` becomes
``0.475 < p < 0.525``, well inside Qingting's neutral band (see :data:`NEUTRAL_BAND`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class EnglishSentiment:
    """VADER mapped to a probability of being positive; an empty text gives 0.5.

    >>> en = EnglishSentiment()
    >>> [round(p, 2) for p in en.predict_proba(["I love it, great service!", "terrible, awful", ""])]
    [0.93, 0.14, 0.5]
    """

    def __init__(self) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._vader: Any = SentimentIntensityAnalyzer()

    def predict_proba(self, texts: Sequence[str]) -> list[float]:
        """Probability that each text is positive."""
        scores = self._vader.polarity_scores
        return [(float(scores(t)["compound"]) + 1.0) / 2.0 if t.strip() else 0.5 for t in texts]
