"""Measuring the engine on labeled data: clusters, sentiment and duplicates.

The command line's ``qingting eval …`` commands and the benchmarks in ``bench/`` call these, so a
figure in ``docs/benchmarks.md`` and a user's own measurement come from the same code.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from qingting.core import metrics
from qingting.core.pipeline import Pipeline, PipelineConfig
from qingting.core.types import Item, RecordError

__all__ = [
    "ClusterReport",
    "SentimentReport",
    "evaluate_clusters",
    "evaluate_sentiment",
    "macro_f1",
    "split_holdout",
]


@dataclass(frozen=True, slots=True)
class ClusterReport:
    items: int
    gold_clusters: int
    clusters: int
    nmi: float
    homogeneity: float
    completeness: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    seconds: float
    unassigned: int  # items the pipeline put in no event (no usable text); scored as singletons

    @property
    def items_per_second(self) -> float:
        return self.items / self.seconds if self.seconds else 0.0


def evaluate_clusters(
    labeled: Iterable[tuple[Item, str]],
    config: PipelineConfig | None = None,
    *,
    batch_size: int = 1000,
) -> ClusterReport:
    """Run the full pipeline over ``(item, gold cluster)`` pairs in order and score its events.

    Items the pipeline assigns to no event count as singleton clusters, so they can only lower the
    score: nothing is left out of the figure.
    """
    pipe = Pipeline(config)
    gold: list[str] = []
    pred: list[str] = []
    batch: list[Item] = []
    unassigned = 0
    seconds = 0.0

    def flush() -> None:
        nonlocal unassigned, seconds
        t0 = time.perf_counter()
        result = pipe.partial_fit(batch)
        seconds += time.perf_counter() - t0
        for a in result.assignments:
            if a.event_id is None:
                unassigned += 1
                pred.append(f"single:{a.item_id}")
            else:
                pred.append(str(a.event_id))
        batch.clear()

    for item, label in labeled:
        gold.append(label)
        batch.append(item)
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    p, r, f = metrics.bcubed(gold, pred)
    return ClusterReport(
        items=len(gold),
        gold_clusters=len(set(gold)),
        clusters=len(set(pred)),
        nmi=metrics.nmi(gold, pred),
        homogeneity=metrics.homogeneity(gold, pred),
        completeness=metrics.completeness(gold, pred),
        bcubed_precision=p,
        bcubed_recall=r,
        bcubed_f1=f,
        seconds=seconds,
        unassigned=unassigned,
    )


@dataclass(frozen=True, slots=True)
class SentimentReport:
    items: int
    accuracy: float
    macro_f1: float
    seconds: float  # prediction time only
    trained_on: int  # 0 when the shipped default model was used

    @property
    def items_per_second(self) -> float:
        return self.items / self.seconds if self.seconds else 0.0


def macro_f1(gold: Sequence[int], pred: Sequence[int]) -> float:
    """Mean over the classes present of each class's F1 (a class never predicted nor present is skipped)."""
    f1s = []
    for cls in sorted(set(gold) | set(pred)):
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == cls and p == cls)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != cls and p == cls)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == cls and p != cls)
        denom = 2 * tp + fp + fn
        f1s.append(2 * tp / denom if denom else 0.0)
    return sum(f1s) / len(f1s) if f1s else 0.0


def split_holdout(
    rows: Sequence[tuple[str, int]], fraction: float, seed: int = 0
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """A seeded random split: ``(train, holdout)`` with ``fraction`` of the rows held out."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"holdout fraction must be between 0 and 1, got {fraction!r}")
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    cut = round(len(rows) * fraction)
    held = set(order[:cut])
    train = [r for i, r in enumerate(rows) if i not in held]
    test = [r for i, r in enumerate(rows) if i in held]
    return train, test


def evaluate_sentiment(
    gold: Sequence[tuple[str, int]],
    train: Sequence[tuple[str, int]] | None = None,
    *,
    seed: int = 0,
    train_limit: int | None = None,
    method: str = "default",
    stream: bool = True,
) -> SentimentReport:
    """Accuracy and macro-F1 on ``(text, label)`` rows, labels 0 negative / 1 positive.

    ``method``: ``"default"`` — the shipped three-class model, or with ``train`` the default plus
    those labels (:func:`~qingting.core.sentiment.train_with_labels`, what the correction job runs);
    ``"old"`` — the previous product-review model (``default_model()``), or with ``train`` a plain
    NB-logistic-regression model. ``train_limit`` keeps that many rows of ``train``, drawn with
    ``seed``; all of ``train``'s texts, unlabeled, are then the organisation's stream the default
    is adapted to first (``stream=``, as the correction job adapts to the organisation's recent
    items; decision 0127) — so ``--train-limit 500`` measures 500 labels within a stream of the
    training file's size. ``stream=False`` measures the labels alone. A three-class model's
    *neutral* counts as not negative, i.e. label 1: the gold sets are binary (weibo2018 labels its
    news and notices 1).
    """
    from qingting.core import sentiment
    from qingting.core.sentiment import sentiment_text
    from qingting.core.text import normalize
    from qingting.core.types import SentimentLabel

    if method not in ("default", "old"):
        raise ValueError(f"method must be 'default' or 'old', got {method!r}")
    stream_texts = [sentiment_text(normalize(t)) for t, _ in train] if train is not None and stream else None
    if train is not None and train_limit is not None:
        if train_limit < 2:
            raise ValueError(f"train_limit must be at least 2, got {train_limit}")
        if train_limit < len(train):
            train = random.Random(seed).sample(list(train), train_limit)
    model: sentiment.ThreeClassModel | sentiment.SentimentModel
    if train is not None:
        folded = [sentiment_text(normalize(t)) for t, _ in train]
        ys = [y for _, y in train]
        if method == "old":
            model = sentiment.train(folded, ys, seed=seed)
        else:
            model = sentiment.train_with_labels(folded, ys, seed=seed, stream=stream_texts)
    else:
        model = sentiment.default_model() if method == "old" else sentiment.ThreeClassModel.default()
    texts = [sentiment_text(normalize(t)) for t, _ in gold]
    t0 = time.perf_counter()
    if isinstance(model, sentiment.ThreeClassModel):
        pred = [0 if p.label == SentimentLabel.NEGATIVE else 1 for p in model.predict(texts)]
    else:
        pred = [1 if float(p) >= 0.5 else 0 for p in model.predict_proba(texts)]
    seconds = time.perf_counter() - t0
    truth = [y for _, y in gold]
    correct = sum(1 for g, p in zip(truth, pred, strict=True) if g == p)
    return SentimentReport(
        items=len(gold),
        accuracy=correct / len(gold) if gold else 0.0,
        macro_f1=macro_f1(truth, pred),
        seconds=seconds,
        trained_on=len(train) if train is not None else 0,
    )


def labeled_rows(pairs: Iterable[tuple[Item | RecordError, object]]) -> list[tuple[str, int]]:
    """``(text, 0/1)`` rows from items with labels; raises ValueError naming a bad label."""
    out = []
    for item, label in pairs:
        if isinstance(item, RecordError):
            raise ValueError(f"{item.record}: {item.field}: {item.message}")
        try:
            y = int(str(label).strip())
        except ValueError:
            raise ValueError(f"{item.id}: label: expected 0 or 1, got {label!r}") from None
        if y not in (0, 1):
            raise ValueError(f"{item.id}: label: expected 0 or 1, got {label!r}")
        out.append((item.text, y))
    return out
