"""Sentiment (情感倾向) for Chinese and English posts: probability that a post is positive.

Chinese (and other CJK) text goes to a trainable, fast NB-weighted logistic regression over
hashed character n-grams, rjieba words and word bigrams, and Weibo emoticons; English goes to
VADER; other languages get 0.5 (neutral). See ``docs/decisions/0005-sentiment.md``.

>>> from qingting.core.sentiment import train, label_for
>>> m = train(["很好,满意", "非常满意", "太差了", "很失望"], [1, 1, 0, 0], seed=0)
>>> [str(label_for(p)) for p in m.predict_proba(["满意", "失望"])]
['positive', 'negative']

The shipped model: ``default_model()``; users train their own with ``train(texts, labels)``
(or ``qingting sentiment train``) on texts folded by :func:`qingting.core.text.fold`.
"""

from __future__ import annotations

from qingting.core.sentiment.analyzer import (
    NEUTRAL_BAND,
    Analyzer,
    default_analyzer,
    label_for,
    method_for,
    sentiment_text,
)
from qingting.core.sentiment.default import (
    DEFAULT_MODEL_PATH,
    DefaultCorpusMissing,
    default_corpus,
    default_model,
    train_default,
)
from qingting.core.sentiment.english import EnglishSentiment
from qingting.core.sentiment.model import ModelFormatError, SentimentModel, train

__all__ = [
    "DEFAULT_MODEL_PATH",
    "NEUTRAL_BAND",
    "Analyzer",
    "DefaultCorpusMissing",
    "EnglishSentiment",
    "ModelFormatError",
    "SentimentModel",
    "default_analyzer",
    "default_corpus",
    "default_model",
    "label_for",
    "method_for",
    "sentiment_text",
    "train",
    "train_default",
]
